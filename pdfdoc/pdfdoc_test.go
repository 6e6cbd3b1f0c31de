package pdfdoc_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"golang.org/x/image/font/gofont/goregular"

	"github.com/floorfeed/floorfeed/pdfdoc"
	"github.com/floorfeed/floorfeed/pdfdoc/pdfdoctest"
)

// common is a pool of frequent Chinese characters, for long paragraphs.
const common = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴奇拉号泵漏油槽萃取阳极效应电解炉温压"

func longChinese(r *rand.Rand, n int) string {
	pool := []rune(common)
	punct := []rune("，。、；：？！（）《》“”")
	var b strings.Builder
	for i := range n {
		if i > 0 && r.IntN(12) == 0 {
			b.WriteRune(punct[r.IntN(len(punct))])
			continue
		}
		b.WriteRune(pool[r.IntN(len(pool))])
	}
	return b.String()
}

func mustDoc(tb testing.TB, o pdfdoc.Options) *pdfdoc.Doc {
	tb.Helper()
	d, err := pdfdoc.New(o)
	if err != nil {
		tb.Fatalf("pdfdoc.New: %v", err)
	}
	return d
}

func render(tb testing.TB, d *pdfdoc.Doc) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		tb.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// squeeze drops white space: pdftotext puts its own at line and page ends.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// TestTextFidelity: every character of long Chinese paragraphs, mixed
// Chinese and English, emoji and control characters comes back from
// pdftotext (placeholders aside), through wrapping and page breaks, in
// regular and bold, at several widths.
func TestTextFidelity(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	texts := []string{
		longChinese(r, 3000),
		"萃取槽3号泵漏油，extraction tank pump No.3 leaking oil since 08:00；阳极效应 anode effect 频繁（每班5次以上），请R&D检查 centrifuge 转速 1450 rpm。" + longChinese(r, 400),
		"Emoji 😀🔥👍🏽 from a phone, 控制字符\x00\x07\x1b and a right-to-left override \u202eevil\u202c, zero width\u200djoiner, tab\there, CR\r\nLF, surrogate-free 𠀀 (U+20000).",
		strings.Repeat("supercalifragilisticexpialidocious", 20) + " " + strings.Repeat("长", 500),
		"第一行\n\n第三行 after a blank line\n   indented line with spaces   ",
	}
	fs, err := pdfdoc.DefaultFonts()
	if err != nil {
		t.Fatal(err)
	}
	for _, width := range []float64{180, 61.3, 23} {
		d := mustDoc(t, pdfdoc.Options{Created: time.Unix(0, 0)})
		var want strings.Builder
		for i, s := range texts {
			st := pdfdoc.Style{Size: 10 + float64(i), Bold: i%2 == 1}
			d.Paragraph(s, st, width)
			d.Space(3)
			want.WriteString(fs.Sanitize(s))
		}
		got := squeeze(pdfdoctest.Text(t, render(t, d)))
		w := squeeze(want.String())
		if got != w {
			t.Errorf("width %v: pdftotext differs from the text drawn:\n%s", width, firstDiff(got, w))
		}
		for _, s := range texts {
			for _, c := range s {
				if c > 0xffff && strings.ContainsRune(got, c) {
					t.Errorf("rune %U above U+FFFF reached the page", c)
				}
			}
		}
		if !strings.Contains(got, string(fs.Placeholder())) {
			t.Errorf("no placeholder %q in the output", fs.Placeholder())
		}
	}
}

func firstDiff(got, want string) string {
	g, w := []rune(got), []rune(want)
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	lo := max(0, i-20)
	return "at rune " + strconv.Itoa(i) + ":\n got  …" + string(g[lo:min(len(g), i+20)]) + "…\n want …" + string(w[lo:min(len(w), i+20)]) + "…"
}

// TestSanitize: what is drawn instead of what cannot be.
func TestSanitize(t *testing.T) {
	fs, err := pdfdoc.DefaultFonts()
	if err != nil {
		t.Fatal(err)
	}
	p := string(fs.Placeholder())
	if p != "□" {
		t.Fatalf("Placeholder() = %q, want □ (a face has U+25A1)", p)
	}
	for _, c := range []struct{ in, want string }{
		{"abc 中文", "abc 中文"},
		{"a\tb", "a b"},
		{"a\r\nb\rc", "a\nb\nc"},
		{"😀", p},
		{"x\x00y\x07", "x" + p + "y" + p},
		{"\u202eabc", p + "abc"},
		{"bad \xff utf8", "bad " + p + " utf8"},
		{"\u0e01", p}, // Thai: in none of the faces
	} {
		if got := fs.Sanitize(c.in); got != c.want {
			t.Errorf("Sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestLinesBreaks: where lines break.
func TestLinesBreaks(t *testing.T) {
	d := mustDoc(t, pdfdoc.Options{})
	st := pdfdoc.Style{Size: 10}
	for _, c := range []struct {
		in    string
		width float64
		want  []string
	}{
		{"hello world", 1000, []string{"hello world"}},
		{"", 1000, nil},
		{"hello world", d.Width("hello wor", st), []string{"hello", "world"}},
		{"a\nb", 1000, []string{"a", "b"}},
		{"a\n", 1000, []string{"a", ""}},
		{"中文中文", d.Width("中文", st), []string{"中文", "中文"}},
		// no line begins with a closing mark: 文 moves down with its comma
		{"中文中文，好", d.Width("中文中文", st), []string{"中文中", "文，好"}},
		{"abcdef", d.Width("abc", st), []string{"abc", "def"}},
	} {
		got := d.Lines(c.in, st, c.width)
		if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
			t.Errorf("Lines(%q, %.1f) = %q, want %q", c.in, c.width, got, c.want)
		}
		for _, l := range got {
			if w := d.Width(l, st); w > c.width+1e-6 && len([]rune(l)) > 1 {
				t.Errorf("Lines(%q): line %q is %.2f mm wide, more than %.2f", c.in, l, w, c.width)
			}
		}
	}
}

// TestHostileConsecutive: 20,000 distinct consecutive ideographs (the input
// that makes gofpdf's width table cubic) render, and every one comes back.
func TestHostileConsecutive(t *testing.T) {
	s := consecutive(0x4e00, 20000)
	d := mustDoc(t, pdfdoc.Options{})
	start := time.Now()
	d.Paragraph(s, pdfdoc.Style{Size: 9}, 0)
	pdf := render(t, d)
	t.Logf("20,000 consecutive ideographs: %d pages, %d bytes, %v", d.PageCount(), len(pdf), time.Since(start))
	if got := squeeze(pdfdoctest.Text(t, pdf)); got != s {
		t.Errorf("pdftotext lost characters of the consecutive run:\n%s", firstDiff(got, s))
	}
}

func consecutive(from rune, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteRune(from + rune(i))
	}
	return b.String()
}

// TestFontOverride: a TrueType collection and an OpenType CFF font are
// refused when loaded, with a message that says why; a TrueType file works.
func TestFontOverride(t *testing.T) {
	dir := t.TempDir()
	ttf := filepath.Join(dir, "go.ttf")
	ttc := filepath.Join(dir, "fonts.ttc")
	junk := filepath.Join(dir, "junk.ttf")
	writeFile(t, ttf, goregular.TTF)
	// A collection header in front of a font: refused for the header alone.
	writeFile(t, ttc, append([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10"), goregular.TTF...))
	writeFile(t, junk, []byte("\x00\x01\x00\x00 this is not a font at all"))
	for _, c := range []struct {
		path string
		want error
		msg  string
	}{
		{ttc, pdfdoc.ErrFontCollection, "collection"},
		{"testdata/CFFTest.otf", pdfdoc.ErrFontCFF, "CFF"},
		{junk, pdfdoc.ErrNotTrueType, "not a TrueType"},
	} {
		_, err := pdfdoc.LoadFonts(pdfdoc.FontOverride{Path: c.path})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("LoadFonts(%s) = %v, want %v naming the file", c.path, err, c.want)
		}
	}
	if _, err := pdfdoc.LoadFonts(pdfdoc.FontOverride{Path: filepath.Join(dir, "missing.ttf")}); err == nil {
		t.Errorf("LoadFonts(missing file) = nil error")
	}

	fs, err := pdfdoc.LoadFonts(pdfdoc.FontOverride{Path: ttf})
	if err != nil {
		t.Fatalf("LoadFonts(go.ttf) = %v", err)
	}
	d := mustDoc(t, pdfdoc.Options{Fonts: fs})
	// The Go font has no ideographs: with it as the fallback, they become
	// placeholders, while Latin text is drawn.
	d.Paragraph("override 中", pdfdoc.Style{}, 0)
	if got, want := squeeze(pdfdoctest.Text(t, render(t, d))), "override"+string(fs.Placeholder()); got != want {
		t.Errorf("with the override font, pdftotext = %q, want %q", got, want)
	}
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestImageReencoded: a JPEG's EXIF block (where phones put GPS) never
// reaches the PDF, and corrupt or oversized images are errors, not panics.
func TestImageReencoded(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 90, 255})
		}
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, nil); err != nil {
		t.Fatal(err)
	}
	const marker = "GPSLatitude=31.2304N-SECRET"
	exif := append([]byte("Exif\x00\x00"), marker...)
	seg := append([]byte{0xff, 0xe1, byte((len(exif) + 2) >> 8), byte(len(exif) + 2)}, exif...)
	withExif := append(append(append([]byte{}, jb.Bytes()[:2]...), seg...), jb.Bytes()[2:]...)

	var pb bytes.Buffer
	if err := png.Encode(&pb, image.NewNRGBA(image.Rect(0, 0, 8, 8))); err != nil { // transparent
		t.Fatal(err)
	}
	d := mustDoc(t, pdfdoc.Options{})
	if err := d.ImageData(withExif, 10, 10, 60, 0); err != nil {
		t.Fatalf("ImageData(JPEG with EXIF) = %v", err)
	}
	if err := d.ImageData(pb.Bytes(), 80, 10, 20, 20); err != nil {
		t.Fatalf("ImageData(transparent PNG) = %v", err)
	}
	if err := d.Image(img, 10, 80, 0, 30); err != nil {
		t.Fatalf("Image = %v", err)
	}
	corrupt := append([]byte{}, pb.Bytes()...)
	corrupt[len(corrupt)/2] ^= 0xff
	for name, b := range map[string][]byte{
		"corrupt PNG":  corrupt,
		"truncated":    jb.Bytes()[:40],
		"not an image": []byte("hello"),
		"huge PNG":     hugePNGHeader(30000, 30000),
	} {
		if err := d.ImageData(b, 0, 0, 10, 10); err == nil {
			t.Errorf("ImageData(%s) = nil error", name)
		}
	}
	if err := d.Err(); err != nil {
		t.Fatalf("a refused image spoiled the document: %v", err)
	}
	out := render(t, d)
	if bytes.Contains(out, []byte(marker)) || bytes.Contains(out, []byte("Exif")) {
		t.Errorf("the PDF contains the source JPEG's EXIF block")
	}
	if pages := pdfdoctest.Pages(t, out, 30); len(pages) != 1 {
		t.Errorf("pdftoppm made %d pages, want 1", len(pages))
	}
}

// hugePNGHeader is a PNG signature and IHDR declaring w×h pixels, no data.
func hugePNGHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := []byte{0, 0, 0, 13, 'I', 'H', 'D', 'R',
		byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w),
		byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h), 8, 6, 0, 0, 0, 0, 0, 0, 0}
	b.Write(ihdr)
	return b.Bytes()
}

// TestConcurrentDocs: documents in parallel goroutines share one FontSet
// (run with -race); each has its own Doc.
func TestConcurrentDocs(t *testing.T) {
	fs, err := pdfdoc.DefaultFonts()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	outs := make([][]byte, 4)
	errs := make([]error, 4)
	for i := range outs {
		wg.Go(func() {
			d, err := pdfdoc.New(pdfdoc.Options{Fonts: fs, Created: time.Unix(0, 0)})
			if err != nil {
				errs[i] = err
				return
			}
			d.Paragraph("并发 concurrent "+strings.Repeat("文档", 200), pdfdoc.Style{}, 0)
			var buf bytes.Buffer
			errs[i] = d.Write(&buf)
			outs[i] = buf.Bytes()
		})
	}
	wg.Wait()
	for i := range outs {
		if errs[i] != nil {
			t.Fatalf("document %d: %v", i, errs[i])
		}
		if !bytes.Equal(outs[i], outs[0]) {
			t.Errorf("document %d differs from document 0 though made from the same input", i)
		}
	}
}

// TestPageBreaks: Paragraph adds pages at the bottom margin and keeps the
// cursor inside the page.
func TestPageBreaks(t *testing.T) {
	d := mustDoc(t, pdfdoc.Options{Landscape: true})
	w, h := d.PageSize()
	if w != pdfdoc.A4Height || h != pdfdoc.A4Width {
		t.Fatalf("landscape PageSize() = %v×%v", w, h)
	}
	st := pdfdoc.Style{Size: 12}
	lines := d.Lines(strings.Repeat("页面 ", 2000), st, d.ContentWidth())
	d.Paragraph(strings.Repeat("页面 ", 2000), st, 0)
	perPage := int((h - 2*pdfdoc.DefaultMargin) / d.LineHeight(st))
	if want := (len(lines) + perPage - 1) / perPage; d.PageCount() != want {
		t.Errorf("PageCount() = %d for %d lines of %d per page, want %d", d.PageCount(), len(lines), perPage, want)
	}
	if _, y := d.Cursor(); y > h-pdfdoc.DefaultMargin+1e-6 {
		t.Errorf("cursor y %.1f is below the bottom margin", y)
	}
	if err := d.Write(&bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(&bytes.Buffer{}); err == nil {
		t.Errorf("second Write = nil error")
	}
}

// TestEachPage: a footer drawn afterwards on every page carries the page
// count, on the right page, and the body text is unchanged.
func TestEachPage(t *testing.T) {
	d := mustDoc(t, pdfdoc.Options{})
	body := longChinese(rand.New(rand.NewPCG(1, 2)), 7000)
	d.Paragraph(body, pdfdoc.Style{Size: 11}, 0)
	d.FillRect(20, 20, 10, 10, pdfdoc.Color{R: 200})
	var footers []string
	d.EachPage(func(page, total int) {
		s := "第 " + strconv.Itoa(page) + " / " + strconv.Itoa(total) + " 页 · page " + strconv.Itoa(page)
		footers = append(footers, s)
		d.Text(105, 285, s, pdfdoc.Style{Size: 8, Align: pdfdoc.Center, Color: pdfdoc.Gray})
		d.Link(95, 285, 20, 4, "https://floorfeed.example/p/"+strconv.Itoa(page))
	})
	if d.PageCount() < 3 {
		t.Fatalf("PageCount() = %d, want several pages", d.PageCount())
	}
	pdf := render(t, d)
	pages := strings.Split(strings.TrimRight(pdfdoctest.Text(t, pdf), "\f"), "\f")
	if len(pages) != d.PageCount() {
		t.Fatalf("pdftotext found %d pages, want %d", len(pages), d.PageCount())
	}
	var all strings.Builder
	for i, p := range pages {
		sq := squeeze(p)
		f := squeeze(footers[i])
		if !strings.HasSuffix(sq, f) {
			t.Errorf("page %d does not end with its footer %q: …%s", i+1, footers[i], string([]rune(sq)[max(0, len([]rune(sq))-30):]))
		}
		all.WriteString(strings.TrimSuffix(sq, f))
	}
	if got := all.String(); got != squeeze(body) {
		t.Errorf("body text changed by the footers:\n%s", firstDiff(got, squeeze(body)))
	}
	for i := range pages {
		if !bytes.Contains(pdf, []byte("/URI (https://floorfeed.example/p/"+strconv.Itoa(i+1)+")")) {
			t.Errorf("no link annotation for page %d", i+1)
		}
	}
}
