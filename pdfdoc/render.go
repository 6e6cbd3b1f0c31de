package pdfdoc

import (
	"bytes"
	"fmt"
	"strings"
)

// Text is drawn in runs of runes that share a gofpdf font. A gofpdf font is
// one face, regular or bold, and one of spreadCopies copies of it: gofpdf
// writes a font's width table (generateCIDFontMap) in time cubic in the
// length of each run of consecutive code points the document uses from it
// (its untypedKeyMap.put scans its keys for every key), so 20,000
// consecutive ideographs in one font would never finish. Each new rune goes
// to the first copy where it does not extend a run beyond spreadRun code
// points, which bounds the cost at a few milliseconds while ordinary text
// (whose code points are scattered) stays almost all in the first copy.
const (
	spreadRun    = 32
	spreadCopies = 4
)

// faceVariant is a face in its regular or its real bold font.
type faceVariant struct {
	face int8
	bold bool
}

// fontKey is one font embedded in the PDF.
type fontKey struct {
	faceVariant
	copy uint8
}

func (k fontKey) family() string {
	v := 'r'
	if k.bold {
		v = 'b'
	}
	return fmt.Sprintf("ff%d%c%d", k.face, v, k.copy)
}

// spread assigns the runes of one faceVariant to its copies.
type spread struct {
	assign map[rune]uint8
	used   [spreadCopies][]uint64
}

func (sp *spread) present(k int, r rune, f *face) bool {
	switch {
	case r < 0 || r >= bmp:
		return false
	case r < 256: // gofpdf always writes the widths of the first 256
		return f.has(r)
	}
	return sp.used[k] != nil && sp.used[k][r>>6]&(1<<(uint(r)&63)) != 0
}

// runLen is the length of the run r would make in copy k, up to spreadRun+1.
func (sp *spread) runLen(k int, r rune, f *face) int {
	n := 1
	for c := r - 1; n <= spreadRun && sp.present(k, c, f); c-- {
		n++
	}
	for c := r + 1; n <= spreadRun && sp.present(k, c, f); c++ {
		n++
	}
	return n
}

// copyFor returns the copy of fv that draws r, assigning one on first use.
func (d *Doc) copyFor(fv faceVariant, r rune) uint8 {
	if r < 256 || d.noSpread {
		return 0
	}
	sp := d.spread[fv]
	if sp == nil {
		sp = &spread{assign: map[rune]uint8{}}
		d.spread[fv] = sp
	}
	if c, ok := sp.assign[r]; ok {
		return c
	}
	f := d.fonts.faces[fv.face]
	c := spreadCopies - 1
	for k := range spreadCopies - 1 {
		if sp.runLen(k, r, f) <= spreadRun {
			c = k
			break
		}
	}
	if sp.used[c] == nil {
		sp.used[c] = make([]uint64, bmp/64)
	}
	sp.used[c][r>>6] |= 1 << (uint(r) & 63)
	sp.assign[r] = uint8(c)
	return uint8(c)
}

// keyFor returns the font that draws r (already sanitized) in style bold.
func (d *Doc) keyFor(r rune, bold bool) (fontKey, *face) {
	fi := d.fonts.faceFor(r)
	if fi < 0 { // not sanitized: cannot happen through the public methods
		fi = d.fonts.faceFor(d.fonts.placeholder)
	}
	f := d.fonts.faces[fi]
	fv := faceVariant{face: int8(fi), bold: bold && !f.fakeBold}
	return fontKey{faceVariant: fv, copy: d.copyFor(fv, r)}, f
}

func (d *Doc) setFont(k fontKey, size float64) {
	if d.hasFont && d.cur == k && d.curSize == size {
		return
	}
	fam, ok := d.fonts0[k]
	if !ok {
		fam = k.family()
		d.pdf.AddUTF8FontFromBytes(fam, "", d.fontBytes(k.faceVariant))
		d.fonts0[k] = fam
	}
	d.pdf.SetFont(fam, "", size)
	d.cur, d.curSize, d.hasFont = k, size, true
}

// fontBytes returns this document's private copy of a font file. gofpdf
// writes into the bytes it is given (it pads tables to compute their
// checksums with append, into the file's own array), so the FontSet's
// shared bytes must never reach it: two documents would race, and the
// shared font would be changed. The copies of one face share one copy.
func (d *Doc) fontBytes(fv faceVariant) []byte {
	if b, ok := d.fontFiles[fv]; ok {
		return b
	}
	f := d.fonts.faces[fv.face]
	src := f.regular
	if fv.bold {
		src = f.bold
	}
	b := bytes.Clone(src)
	d.fontFiles[fv] = b
	return b
}

// drawLine draws one sanitized line with its baseline at by, from x, in
// runs that share a font (substrings of line: no copies).
func (d *Doc) drawLine(x, by float64, line string, st Style) {
	size := st.size()
	d.pdf.SetTextColor(int(st.Color.R), int(st.Color.G), int(st.Color.B))
	var runKey fontKey
	var runFace *face
	runStart := 0
	flush := func(end int) {
		if end == runStart {
			return
		}
		s := line[runStart:end]
		runStart = end
		d.setFont(runKey, size)
		fake := st.Bold && runFace.fakeBold
		if fake { // outline the glyphs too: a bold look without a bold font
			d.pdf.SetTextRenderingMode(2)
			d.pdf.SetLineWidth(size * mmPerPt * 0.035)
			d.pdf.SetDrawColor(int(st.Color.R), int(st.Color.G), int(st.Color.B))
		}
		if strings.TrimLeft(s, " ") != "" { // spaces only move x
			d.pdf.Text(x, by, s)
		}
		if fake {
			d.pdf.SetTextRenderingMode(0)
			d.pdf.SetLineWidth(d.lineWidth)
			d.pdf.SetDrawColor(int(d.draw.R), int(d.draw.G), int(d.draw.B))
		}
		x += d.fonts.width(s, st.Bold, size)
	}
	for i, r := range line {
		k, f := d.keyFor(r, st.Bold)
		if k != runKey || runFace == nil {
			flush(i)
			runKey, runFace = k, f
		}
	}
	flush(len(line))
}

// LineHeight returns the height of one line of text in st, in millimetres.
func (d *Doc) LineHeight(st Style) float64 {
	lh := st.LineHeight
	if lh <= 0 {
		lh = DefaultLineHeight
	}
	return st.size() * mmPerPt * lh
}

// baseline returns the baseline of a line whose box starts at top.
func (d *Doc) baseline(top float64, st Style) float64 {
	s := st.size() * mmPerPt
	return top + (d.LineHeight(st)-s)/2 + 0.8*s
}

// Width returns the width of s in st, in millimetres; for text with
// newlines, that of its widest line.
func (d *Doc) Width(s string, st Style) float64 {
	w := 0.0
	for _, line := range strings.Split(d.fonts.Sanitize(s), "\n") {
		w = max(w, d.fonts.width(line, st.Bold, st.size()))
	}
	return w
}

// Lines wraps s into lines at most width millimetres wide, as Paragraph
// draws them: breaking at newlines, at spaces (which are dropped at the
// break), between CJK characters (except before closing and after opening
// punctuation), and inside a word only when it is longer than a line. No
// character is lost: the lines hold every rune of Sanitize(s) except the
// newlines and the spaces lines broke at.
func (d *Doc) Lines(s string, st Style, width float64) []string {
	ll := d.lines(s, st, width)
	out := make([]string, len(ll))
	for i, l := range ll {
		out[i] = l.text
	}
	return out
}

func (d *Doc) lines(s string, st Style, width float64) []laidLine {
	key := layoutKey{s: s, bold: st.Bold, size: st.size(), width: width}
	if ll, ok := d.layouts[key]; ok {
		return ll
	}
	ll := d.fonts.layout(d.fonts.Sanitize(s), st.Bold, st.size(), width)
	// A text that wrapped at its final space would end with an empty line.
	if n := len(ll); n > 1 && ll[n-1].text == "" && ll[n-2].brk == breakSpace {
		ll = ll[:n-1]
	}
	if len(s) <= maxCachedLayout {
		if len(d.layouts) >= maxLayouts {
			clear(d.layouts)
		}
		d.layouts[key] = ll
	}
	return ll
}

// The layout cache: Height then Block (a table row measured, then drawn)
// and repeated cells (a line's name in every row) are laid out once.
const (
	maxLayouts      = 4096
	maxCachedLayout = 2048 // bytes: long texts are rarely drawn twice
)

type layoutKey struct {
	s           string
	bold        bool
	size, width float64
}

// Height returns the height Block (or Paragraph, without page breaks) takes
// for s at width.
func (d *Doc) Height(s string, st Style, width float64) float64 {
	return float64(len(d.lines(s, st, width))) * d.LineHeight(st)
}

// Text draws s on one line with the top of its line box at y and returns
// its width. Newlines are drawn as spaces; nothing wraps. st.Align says
// whether x is where the text starts, its centre or its end.
func (d *Doc) Text(x, y float64, s string, st Style) float64 {
	line := strings.ReplaceAll(d.fonts.Sanitize(s), "\n", " ")
	w := d.fonts.width(line, st.Bold, st.size())
	switch st.Align {
	case Center:
		x -= w / 2
	case Right:
		x -= w
	}
	d.drawLine(x, d.baseline(y, st), line, st)
	return w
}

// Block draws s wrapped to width (see Lines) with its top-left corner at
// (x, y), without page breaks or cursor movement, and returns its height:
// for table cells and labels.
func (d *Doc) Block(x, y float64, s string, st Style, width float64) float64 {
	lh := d.LineHeight(st)
	ll := d.lines(s, st, width)
	for i, l := range ll {
		d.alignedLine(x, y+float64(i)*lh, width, l.text, st)
	}
	return float64(len(ll)) * lh
}

func (d *Doc) alignedLine(x, top, width float64, line string, st Style) {
	switch st.Align {
	case Center:
		x += (width - d.fonts.width(line, st.Bold, st.size())) / 2
	case Right:
		x += width - d.fonts.width(line, st.Bold, st.size())
	}
	d.drawLine(x, d.baseline(top, st), line, st)
}

// Paragraph draws s wrapped to width (see Lines; 0 means up to the right
// margin) at the cursor, adding pages when a line would cross the bottom
// margin (the cursor's x is kept on the new page), and moves the cursor
// below it. It returns the total height of its lines.
func (d *Doc) Paragraph(s string, st Style, width float64) float64 {
	if width <= 0 {
		width = d.w - d.m.Right - d.x
	}
	lh := d.LineHeight(st)
	ll := d.lines(s, st, width)
	for _, l := range ll {
		d.EnsureSpace(lh)
		d.alignedLine(d.x, d.y, width, l.text, st)
		d.y += lh
	}
	return float64(len(ll)) * lh
}
