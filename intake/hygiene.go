package intake

import (
	"strings"
	"unicode/utf8"
)

// Text hygiene. Every reporter-typed field loses, before it is validated
// or stored, what no reporter means to send and what would mislead the
// people who read it:
//
//   - control characters (C0, DEL, C1) other than newline and tab: NUL,
//     BEL, escape sequences that a terminal or a log viewer would act on;
//   - the bidirectional embedding, override and isolate controls
//     (U+202A–U+202E, U+2066–U+2069), with which "‮txt.exe" reads as
//     "exe.txt" in the dashboard and the PDF brief.
//
// They are removed, not refused: a reporter cannot see them on a phone
// (they come from pasted text), and refusing a report from the floor over
// an invisible character would lose it. The implicit marks U+200E/U+200F
// stay (harmless, and Chinese/English mixed text may carry them). In
// single-line fields (everything but the body) newline and tab become a
// space. A carriage return is a line end (CRLF and lone CR become LF).

// cleanText returns s without the characters above; multiline keeps
// newlines and tabs. Invalid UTF-8 is left as it is, for Validate to
// refuse.
func cleanText(s string, multiline bool) string {
	if !needsCleaning(s, multiline) {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteByte(s[i]) // invalid: kept for Validate
			i++
			continue
		}
		i += n
		switch {
		case r == '\r':
			r = '\n'
		case isBidiControl(r):
			continue
		}
		switch {
		case r == '\n' || r == '\t':
			if !multiline {
				r = ' '
			}
		case isControl(r):
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// needsCleaning is the fast path: plain text has nothing to remove.
func needsCleaning(s string, multiline bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c == 0x7f:
			if !multiline || (c != '\n' && c != '\t') {
				return true
			}
		case c == 0xC2 || c == 0xE2: // lead bytes of C1 controls and of U+2000–U+2FFF
			return true
		}
	}
	return false
}

func isControl(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f
}

func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}
