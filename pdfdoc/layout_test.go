package pdfdoc

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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
			start := cpuTime()
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
			reportCPU(b, start)
		})
	}
}

// BenchmarkParagraph lays out and renders 100 paragraphs of mixed Chinese
// and English, the shape of a brief's report texts.
func BenchmarkParagraph(b *testing.B) {
	text := strings.Repeat("萃取槽3号泵漏油，extraction tank pump No.3 leaking oil；阳极效应 anode effect 频繁，请检查。", 4)
	b.ReportAllocs()
	start := cpuTime()
	defer reportCPU(b, start)
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

// BenchmarkTable10k draws a 10,000-row table of mixed Chinese and English
// cells (the appendix of a week's brief), wrapped, with page breaks.
func BenchmarkTable10k(b *testing.B) {
	titles := []string{"萃取槽3号泵漏油", "Pump 3 leaking oil at the extraction tank", "阳极效应频繁，电解槽 5 号", "Centrifuge vibration above limit 离心机振动超标", "烧结炉温度波动 ±15°C"}
	b.ReportAllocs()
	start := cpuTime()
	defer reportCPU(b, start)
	for b.Loop() {
		d, err := New(Options{Landscape: true})
		if err != nil {
			b.Fatal(err)
		}
		st := Style{Size: 7}
		cols := []float64{22, 18, 30, 120, 30}
		for i := range 10000 {
			cells := []string{"R-" + strconv.Itoa(100000+i), "sx-1", "质量 Quality", titles[i%len(titles)] + " #" + strconv.Itoa(i), "2026-11-0" + strconv.Itoa(i%9+1)}
			h := 0.0
			for j, c := range cells {
				h = max(h, d.Height(c, st, cols[j]))
			}
			d.EnsureSpace(h)
			x, y := d.Cursor()
			for j, c := range cells {
				d.Block(x, y, c, st, cols[j])
				x += cols[j] + 2
			}
			d.SetCursor(d.Margins().Left, y+h)
		}
		b.ReportMetric(float64(d.PageCount()), "pages")
		if err := d.Write(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the CPU time this process has used (user and system): on a
// shared machine, a steadier measure than the wall clock of a benchmark.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU milliseconds per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}
