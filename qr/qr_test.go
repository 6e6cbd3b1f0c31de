package qr_test

import (
	"bytes"
	"cmp"
	"image/png"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/pdfdoc"
	"github.com/floorfeed/floorfeed/pdfdoc/pdfdoctest"
	"github.com/floorfeed/floorfeed/qr"
	"github.com/floorfeed/floorfeed/signing"
)

func mustSigner(t testing.TB, secret string) *signing.Signer {
	t.Helper()
	sg, err := signing.New([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

func TestFormURL(t *testing.T) {
	sg := mustSigner(t, "qr-test-secret-0123456789")
	tok := sg.LineToken("sx-1")
	for _, c := range []struct{ line, station, want, display string }{
		{"sx-1", "", "https://p.example/r/sx-1?t=" + tok, "https://p.example/r/sx-1?t=" + tok},
		{"sx-1", "混合澄清槽 A", "https://p.example/r/sx-1?t=" + tok + "&s=%E6%B7%B7%E5%90%88%E6%BE%84%E6%B8%85%E6%A7%BD%20A",
			"https://p.example/r/sx-1?t=" + tok + "&s=混合澄清槽 A"},
		{"sx-1", "a&b=c", "https://p.example/r/sx-1?t=" + tok + "&s=a%26b%3Dc", "https://p.example/r/sx-1?t=" + tok + "&s=a&b=c"},
	} {
		got := qr.FormURL("https://p.example", c.line, c.station, sg)
		if got != c.want {
			t.Errorf("FormURL(%q, %q) = %q, want %q", c.line, c.station, got, c.want)
		}
		u, err := url.Parse(got)
		if err != nil || u.Query().Get("s") != c.station || u.Query().Get("t") != tok {
			t.Errorf("FormURL(%q, %q) = %q does not parse back to its station and token", c.line, c.station, got)
		}
		if d := qr.DisplayURL(got); d != c.display {
			t.Errorf("DisplayURL(%q) = %q, want %q", got, d, c.display)
		}
	}
	if other := qr.FormURL("https://p.example", "sx-1", "", mustSigner(t, "another-secret-0123456789")); strings.Contains(other, tok) {
		t.Errorf("a different secret gives the same token: %s", other)
	}
	if d := qr.DisplayURL("https://p.example/r/x?t=a&s=%00"); strings.ContainsRune(d, 0) {
		t.Errorf("DisplayURL decoded a control character: %q", d)
	}
}

// TestCodePNG: the PNG decodes (zbarimg) to the content, at the scale asked.
func TestCodePNG(t *testing.T) {
	const content = "https://p.example/r/sx-1?t=abcdefghijklmnop&s=%E7%9A%82%E5%8C%96"
	c, err := qr.Encode(content)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.PNG(5)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	if w := img.Bounds().Dx(); w != (c.Size()+2*qr.QuietZone)*5 {
		t.Errorf("PNG is %d px wide, want %d", w, (c.Size()+2*qr.QuietZone)*5)
	}
	f := filepath.Join(t.TempDir(), "code.png")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := pdfdoctest.QRCodes(t, f); len(got) != 1 || got[0] != content {
		t.Errorf("zbarimg reads %q, want %q", got, content)
	}
}

// TestDrawOnGrid: modules are whole grid steps, the corner on the grid.
func TestDrawOnGrid(t *testing.T) {
	c, err := qr.Encode("https://p.example/r/sx-1?t=abcdefghijklmnop")
	if err != nil {
		t.Fatal(err)
	}
	d, err := pdfdoc.New(pdfdoc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []float64{10, 33.3, 42, 60} {
		side := c.Draw(d, 17.123, 40.77, size)
		steps := side / float64(c.Size()+2*qr.QuietZone) / qr.PrintGrid
		if side > size+1e-9 || math.Abs(steps-math.Round(steps)) > 1e-6 || steps < 1 {
			t.Errorf("Draw(size %v) = side %v: %v grid steps per module, want a whole number ≥ 1 within the size", size, side, steps)
		}
	}
}

// TestSheetLayout: stickers fill pages of qr.PerPage; names in both
// languages, the station and the URLs are on the page.
func TestSheetLayout(t *testing.T) {
	sg := mustSigner(t, "qr-test-secret-0123456789")
	var stickers []qr.Sticker
	for i := range qr.PerPage + 1 {
		st := ""
		if i%2 == 1 {
			st = "工位" + string(rune('A'+i))
		}
		stickers = append(stickers, qr.Sticker{URL: qr.FormURL("https://p.example", "line-"+string(rune('a'+i)), st, sg),
			NameZH: "萃取分离" + string(rune('一'+i)) + "线", NameEN: "Extraction line " + string(rune('A'+i)), Station: st})
		if st != "" && i%4 == 1 { // some with names in both languages
			stickers[i].StationZH, stickers[i].StationEN = st+"号", "Station "+string(rune('A'+i))
		}
	}
	var buf bytes.Buffer
	if err := qr.Sheet(&buf, stickers, qr.SheetOptions{Lang: i18n.En, PlantName: "Test plant", Created: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(pdfdoctest.Text(t, buf.Bytes())), "")
	for _, st := range stickers {
		for _, s := range []string{st.NameZH, st.NameEN, cmp.Or(st.StationZH, st.Station), st.StationEN, qr.DisplayURL(st.URL)} {
			if !strings.Contains(text, strings.Join(strings.Fields(s), "")) {
				t.Errorf("sheet text lacks %q", s)
			}
		}
	}
	pages := pdfdoctest.Pages(t, buf.Bytes(), 150)
	if len(pages) != 2 {
		t.Fatalf("%d stickers made %d pages, want 2", len(stickers), len(pages))
	}
	n := 0
	for _, p := range pages {
		n += len(pdfdoctest.QRCodes(t, p))
	}
	if n != len(stickers) {
		t.Errorf("zbarimg decoded %d codes, want %d", n, len(stickers))
	}
}

// BenchmarkSheet makes the sheet of 30 stickers (the sample plant's 29
// and one more), as GET /api/v1/qr-sheet.pdf does.
func BenchmarkSheet(b *testing.B) {
	sg := mustSigner(b, "qr-test-secret-0123456789")
	fs, err := pdfdoc.DefaultFonts()
	if err != nil {
		b.Fatal(err)
	}
	var stickers []qr.Sticker
	for i := range 30 {
		stickers = append(stickers, qr.Sticker{URL: qr.FormURL("https://floorfeed.plant.example", "sx-1", "混合澄清槽 "+string(rune('A'+i)), sg),
			NameZH: "萃取分离一线", NameEN: "Solvent Extraction Line 1", Station: "混合澄清槽 " + string(rune('A'+i))})
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := qr.Sheet(io.Discard, stickers, qr.SheetOptions{Lang: i18n.Zh, Fonts: fs}); err != nil {
			b.Fatal(err)
		}
	}
}
