package pdfdoc

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// rejoin puts laid-out lines back together as their breaks say.
func rejoin(ll []laidLine) string {
	var b strings.Builder
	for _, l := range ll {
		b.WriteString(l.text)
		switch l.brk {
		case breakHard:
			b.WriteByte('\n')
		case breakSpace:
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// FuzzLayout: line breaking never panics, never loses or adds a rune
// (joining the lines with the spaces and newlines they broke at gives the
// sanitized input back), keeps every line within the width unless it is a
// single rune, and Lines' output is that minus the break spaces.
func FuzzLayout(f *testing.F) {
	for _, s := range []string{
		"", " ", "\n", "hello world", "萃取槽3号泵漏油，extraction tank pump leaking。",
		"a  b   c", "😀\x00\r\n\t", strings.Repeat("长", 300), "（开始）结束。", "word " + strings.Repeat("x", 200),
	} {
		f.Add(s, 40.0, false)
	}
	fs, err := DefaultFonts()
	if err != nil {
		f.Fatal(err)
	}
	d, err := New(Options{Fonts: fs})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, width float64, bold bool) {
		if width != width || width > 1e6 || width < -1e6 { // NaN, absurd
			width = 40
		}
		clean := fs.Sanitize(s)
		if !utf8.ValidString(clean) {
			t.Fatalf("Sanitize(%q) is not valid UTF-8: %q", s, clean)
		}
		for _, r := range clean {
			if r != '\n' && !fs.drawable(r) {
				t.Fatalf("Sanitize(%q) kept undrawable %U", s, r)
			}
		}
		const size = 10
		ll := fs.layout(clean, bold, size, width)
		if got := rejoin(ll); got != clean {
			t.Fatalf("layout(%q, %v) lost text:\n got  %q\n want %q", clean, width, got, clean)
		}
		for _, l := range ll {
			if utf8.RuneCountInString(l.text) > 1 && fs.width(l.text, bold, size) > width+1e-6 {
				// only a line that could not break may overflow
				for _, r := range l.text {
					if r == ' ' {
						t.Fatalf("layout(%q, %v): line %q overflows though it has a space", clean, width, l.text)
					}
				}
			}
		}
		lines := d.Lines(s, Style{Size: size, Bold: bold}, width)
		if got, want := strings.Join(lines, ""), strings.NewReplacer(" ", "", "\n", "").Replace(clean); strings.ReplaceAll(got, " ", "") != want {
			t.Fatalf("Lines(%q) = %q: runes lost", s, lines)
		}
	})
}

// BenchmarkHostileConsecutive renders a paragraph of n distinct consecutive
// ideographs, the input that makes gofpdf's width table cubic, with and
// without spreading the runes over copies of the font.
func BenchmarkHostileConsecutive(b *testing.B) {
	for _, c := range []struct {
		name     string
		n        int
		noSpread bool
	}{
		{"spread/n=20000", 20000, false},
		{"spread/n=2000", 2000, false},
		{"one-copy/n=2000", 2000, true},
		{"one-copy/n=1000", 1000, true},
	} {
		var sb strings.Builder
		for i := range c.n {
			sb.WriteRune(0x4e00 + rune(i))
		}
		s := sb.String()
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, err := New(Options{})
				if err != nil {
					b.Fatal(err)
				}
				d.noSpread = c.noSpread
				d.Paragraph(s, Style{Size: 9}, 0)
				if err := d.Write(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParagraph lays out and renders 100 paragraphs of mixed Chinese
// and English, the shape of a brief's report texts.
func BenchmarkParagraph(b *testing.B) {
	text := strings.Repeat("萃取槽3号泵漏油，extraction tank pump No.3 leaking oil；阳极效应 anode effect 频繁，请检查。", 4)
	b.ReportAllocs()
	for b.Loop() {
		d, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		for range 100 {
			d.Paragraph(text, Style{Size: 9}, 0)
		}
		var buf bytes.Buffer
		if err := d.Write(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSharedFontBytesUntouched: writing documents leaves the FontSet's font
// files as they were (gofpdf pads tables in place in the bytes it gets).
func TestSharedFontBytesUntouched(t *testing.T) {
	fs, err := DefaultFonts()
	if err != nil {
		t.Fatal(err)
	}
	var before [][]byte
	for _, f := range fs.faces {
		before = append(before, bytes.Clone(f.regular), bytes.Clone(f.bold))
	}
	d, err := New(Options{Fonts: fs})
	if err != nil {
		t.Fatal(err)
	}
	d.Paragraph("Latin 中文 bold 粗体", Style{}, 0)
	d.Paragraph("Latin 中文 bold 粗体", Style{Bold: true}, 0)
	if err := d.Write(io.Discard); err != nil {
		t.Fatal(err)
	}
	for i, f := range fs.faces {
		if !bytes.Equal(f.regular, before[2*i]) || !bytes.Equal(f.bold, before[2*i+1]) {
			t.Errorf("face %s: its font bytes changed while a document was written", f.name)
		}
	}
}
