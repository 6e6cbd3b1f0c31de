package pdfdoc

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitize returns s as it will be drawn: CR LF and lone CR become LF, a tab
// becomes a space, and every rune no face can draw — runes above U+FFFF (an
// emoji from a phone keyboard), control and format characters (NUL, BEL,
// bidirectional overrides, zero-width joiners), invalid UTF-8, scripts none
// of the fonts covers — becomes the placeholder (see Placeholder). Newlines
// are kept. Every method that draws or measures text sanitizes it first, so
// callers need this only to know what a page will show.
func (fs *FontSet) Sanitize(s string) string {
	clean := true
	for i, r := range s {
		if r == '\n' {
			continue
		}
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				clean = false
				break
			}
		}
		if !fs.drawable(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteRune(fs.placeholder)
		case r == '\r':
			b.WriteByte('\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				n++
			}
		case r == '\t':
			b.WriteByte(' ')
		case r == '\n' || fs.drawable(r):
			b.WriteRune(r)
		case spelled[r] != "" && fs.drawableString(spelled[r]):
			b.WriteString(spelled[r]) // ℃ is 30 °C on every plant's reports
		default:
			b.WriteRune(fs.placeholder)
		}
		i += n
	}
	return b.String()
}

// spelled are characters the embedded fonts lack that have an exact
// spelling in characters they have: drawn so rather than as a placeholder.
var spelled = map[rune]string{
	'℃': "°C", '℉': "°F", '№': "No.", '™': "TM", '…': "...", '‰': "‰",
}

func (fs *FontSet) drawableString(s string) bool {
	for _, r := range s {
		if !fs.drawable(r) {
			return false
		}
	}
	return true
}

// drawable reports whether r is drawn as itself (a newline is not: it is
// layout).
func (fs *FontSet) drawable(r rune) bool {
	if r >= bmp || r < 0x20 || (r >= 0x7f && r < 0xa0) || unicode.Is(unicode.Cf, r) {
		return false
	}
	return fs.faceFor(r) >= 0
}

// breakKind is what separates a laid-out line from the next.
type breakKind uint8

const (
	breakEnd   breakKind = iota // the text ends after this line
	breakHard                   // a newline in the text (consumed)
	breakSpace                  // a space where the line wrapped (consumed)
	breakNone                   // the line wrapped between two runes (nothing consumed)
)

// laidLine is one line of laid-out text and what followed it in the input.
type laidLine struct {
	text string
	brk  breakKind
}

// runeWidth returns r's advance in millimetres at size points.
func (fs *FontSet) runeWidth(r rune, bold bool, size float64) float64 {
	fi := fs.faceFor(r)
	if fi < 0 {
		fi = fs.faceFor(fs.placeholder)
		r = fs.placeholder
		if fi < 0 {
			return 0
		}
	}
	v := 0
	if bold {
		v = 1
	}
	return float64(fs.faces[fi].widths[v][r]) * size / 1000 * mmPerPt
}

// width returns the width in millimetres of sanitized single-line text.
func (fs *FontSet) width(s string, bold bool, size float64) float64 {
	w := 0.0
	for _, r := range s {
		w += fs.runeWidth(r, bold, size)
	}
	return w
}

// layout wraps sanitized text into lines at most width millimetres wide.
// Lines break at newlines, at spaces (the space is consumed), between CJK
// runes (not before closing or after opening punctuation), and, when a word
// is longer than a line, between any two runes. No rune is ever lost:
// joining the lines with what their breakKind says gives s back.
func (fs *FontSet) layout(s string, bold bool, size, width float64) []laidLine {
	if s == "" {
		return nil
	}
	var out []laidLine
	var runes []rune
	var cum []float64
	for {
		hard, rest, more := strings.Cut(s, "\n")
		runes = append(runes[:0], []rune(hard)...)
		cum = append(cum[:0], 0)
		for _, r := range runes {
			cum = append(cum, cum[len(cum)-1]+fs.runeWidth(r, bold, size))
		}
		out = wrapLine(out, runes, cum, width)
		if !more {
			break
		}
		out[len(out)-1].brk = breakHard
		s = rest
	}
	return out
}

// wrapLine appends the lines of one hard line to out; cum[i] is the width of
// runes[:i]. The last line appended has breakEnd.
func wrapLine(out []laidLine, runes []rune, cum []float64, width float64) []laidLine {
	const eps = 1e-9
	start := 0
	lastBreak, lastSpace := -1, false
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		if i > start {
			switch {
			case runes[i-1] == ' ' && i-1 > start:
				lastBreak, lastSpace = i, true
			case r != ' ' && runes[i-1] != ' ' && cjkBreak(runes[i-1], r):
				lastBreak, lastSpace = i, false
			}
		}
		if cum[i+1]-cum[start] <= width+eps || i == start {
			continue
		}
		// runes[i] does not fit on the line that begins at start.
		if r == ' ' {
			out = append(out, laidLine{string(runes[start:i]), breakSpace})
			start, lastBreak = i+1, -1
			continue
		}
		if lastBreak > start {
			if lastSpace {
				out = append(out, laidLine{string(runes[start : lastBreak-1]), breakSpace})
			} else {
				out = append(out, laidLine{string(runes[start:lastBreak]), breakNone})
			}
			start, lastBreak = lastBreak, -1
			if cum[i+1]-cum[start] <= width+eps || i == start {
				continue
			}
		}
		// No break opportunity left on this line: break before runes[i].
		out = append(out, laidLine{string(runes[start:i]), breakNone})
		start, lastBreak = i, -1
	}
	return append(out, laidLine{string(runes[start:]), breakEnd})
}

// cjkBreak reports whether a line may wrap between a and b without a space:
// when either is CJK, unless b is punctuation that must not begin a line or
// a is punctuation that must not end one.
func cjkBreak(a, b rune) bool {
	if !isCJK(a) && !isCJK(b) {
		return false
	}
	return !strings.ContainsRune(noLineStart, b) && !strings.ContainsRune(noLineEnd, a)
}

// Kinsoku rules, simplified: what may not begin and what may not end a line.
const (
	noLineStart = "，。、；：？！）》」』】〉〕”’…·・ー々〜－,.;:?!)]}%％！），．：；？］｝"
	noLineEnd   = "（《「『【〈〔“‘([{（［｛"
)

func isCJK(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r >= 0x3000 && r <= 0x303f, // CJK symbols and punctuation
		r >= 0xff00 && r <= 0xffef, // fullwidth forms
		r >= 0x3040 && r <= 0x30ff, // kana
		r >= 0x3100 && r <= 0x312f, // bopomofo
		r >= 0x3400 && r <= 0x4dbf, // CJK extension A
		r >= 0x4e00 && r <= 0x9fff, // CJK unified ideographs
		r >= 0xf900 && r <= 0xfaff, // compatibility ideographs
		r >= 0xac00 && r <= 0xd7af: // Hangul syllables
		return true
	}
	return unicode.Is(unicode.Han, r)
}
