package handlers_test

import (
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/pdfdoc/pdfdoctest"
	"github.com/floorfeed/floorfeed/qr"
)

const qrBase = "https://ff.plant.example"

// wantStickerURLs are the URLs the sheet must carry, built here from the
// plant and the signer: each line's, then one per station.
func (e *env) wantStickerURLs() []string {
	var out []string
	for _, l := range e.plant.Lines {
		u := qrBase + "/r/" + l.ID + "?t=" + e.token(l.ID)
		out = append(out, u)
		for _, st := range l.Stations {
			out = append(out, u+"&s="+strings.ReplaceAll(url.QueryEscape(st), "+", "%20"))
		}
	}
	return out
}

// sheetCodes renders the PDF's pages at 150 dpi and returns what zbarimg
// decodes on each.
func sheetCodes(t *testing.T, pdf []byte) [][]string {
	t.Helper()
	var pages [][]string
	for _, f := range pdfdoctest.Pages(t, pdf, 150) {
		pages = append(pages, pdfdoctest.QRCodes(t, f))
	}
	return pages
}

// TestQRSheet: every code on the sheet, in both languages, decodes to its
// line's or station's exact URL, none missing, none extra; each opens the
// form (with its station chosen); the sheet's text has both names and the
// URLs.
func TestQRSheet(t *testing.T) {
	e := newEnv(t, envOptions{config: handlers.Config{BaseURL: qrBase}})
	want := e.wantStickerURLs()
	if len(want) <= qr.PerPage {
		t.Fatalf("the sample plant has %d stickers: want more than a page's %d for this test", len(want), qr.PerPage)
	}
	for _, lang := range []string{"zh", "en"} {
		rec := e.apiGet("/api/v1/qr-sheet.pdf?lang=" + lang)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/pdf" {
			t.Fatalf("GET qr-sheet.pdf?lang=%s = %d %q", lang, rec.Code, rec.Header().Get("Content-Type"))
		}
		pdf := rec.Body.Bytes()
		pages := sheetCodes(t, pdf)
		if wantPages := (len(want) + qr.PerPage - 1) / qr.PerPage; len(pages) != wantPages {
			t.Errorf("%s sheet: %d pages for %d stickers, want %d", lang, len(pages), len(want), wantPages)
		}
		var got []string
		for i, codes := range pages {
			if n := min(qr.PerPage, len(want)-i*qr.PerPage); len(codes) != n {
				t.Errorf("%s sheet page %d: zbarimg decoded %d codes, want %d", lang, i+1, len(codes), n)
			}
			got = append(got, codes...)
		}
		slices.Sort(got)
		sorted := slices.Sorted(slices.Values(want))
		if !slices.Equal(got, sorted) {
			t.Errorf("%s sheet: decoded codes differ from the lines' and stations' URLs:\n got  %q\n want %q", lang, got, sorted)
		}
		text := pdfdoctest.Text(t, pdf)
		flat := strings.Join(strings.Fields(text), "")
		for _, l := range e.plant.Lines {
			for _, name := range []string{l.Name.ZH, l.Name.EN} {
				if !strings.Contains(flat, strings.Join(strings.Fields(name), "")) {
					t.Errorf("%s sheet: text lacks line name %q", lang, name)
				}
			}
		}
		for _, u := range want {
			if !strings.Contains(flat, strings.Join(strings.Fields(qr.DisplayURL(u)), "")) {
				t.Errorf("%s sheet: the URL %s is not printed", lang, qr.DisplayURL(u))
			}
		}
	}
	// Each URL opens its form; a station's comes with the station chosen.
	for _, u := range want {
		rec := e.get(strings.TrimPrefix(u, qrBase))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d, want the form", u, rec.Code)
		}
		pu, _ := url.Parse(u)
		if st := pu.Query().Get("s"); st != "" {
			if sel := `<option value="` + st + `" selected>`; !strings.Contains(rec.Body.String(), sel) {
				t.Errorf("GET %s: the form does not preselect station %q", u, st)
			}
		} else if m := regexp.MustCompile(`(?s)<select id="f-station".*?</select>`).FindString(rec.Body.String()); strings.Contains(m, "selected") {
			t.Errorf("GET %s: a station is preselected without ?s=", u)
		}
	}
	// A station the plant file does not have opens the form, none chosen.
	rec := e.get("/r/sx-1?t=" + e.token("sx-1") + "&s=nowhere")
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `value="nowhere"`) {
		t.Errorf("GET form with an unknown station = %d; want 200 without it", rec.Code)
	}
	if rec := e.apiGet("/api/v1/qr-sheet.pdf?lang=fr"); rec.Code != http.StatusBadRequest {
		t.Errorf("GET qr-sheet.pdf?lang=fr = %d, want 400", rec.Code)
	}
}

// TestQRNewSecret: a code printed under the old secret is refused (403)
// once the installation's secret changes; the new sheet's codes work.
func TestQRNewSecret(t *testing.T) {
	old := newEnv(t, envOptions{config: handlers.Config{BaseURL: qrBase}})
	renewed := newEnv(t, envOptions{config: handlers.Config{BaseURL: qrBase}, secret: []byte("a-new-secret-after-a-leak-0123456")})
	codes := func(e *env) []string {
		rec := e.apiGet("/api/v1/qr-sheet.pdf")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET qr-sheet.pdf = %d", rec.Code)
		}
		return slices.Concat(sheetCodes(t, rec.Body.Bytes())[:1]...)
	}
	oldCodes, newCodes := codes(old), codes(renewed)
	if len(oldCodes) == 0 || len(newCodes) == 0 {
		t.Fatalf("no codes decoded: old %d, new %d", len(oldCodes), len(newCodes))
	}
	for _, u := range oldCodes {
		path := strings.TrimPrefix(u, qrBase)
		if rec := old.get(path); rec.Code != http.StatusOK {
			t.Errorf("old code %s under the old secret = %d, want 200", u, rec.Code)
		}
		if rec := renewed.get(path, "Accept", "text/html"); rec.Code != http.StatusForbidden {
			t.Errorf("old code %s after the secret changed = %d, want 403", u, rec.Code)
		}
		if slices.Contains(newCodes, u) {
			t.Errorf("code %s is the same under both secrets", u)
		}
	}
	for _, u := range newCodes {
		if rec := renewed.get(strings.TrimPrefix(u, qrBase)); rec.Code != http.StatusOK {
			t.Errorf("new code %s = %d, want 200", u, rec.Code)
		}
	}
}

// TestLineQRImages: the PNG and SVG of a line's code (and a station's)
// decode to its URL; they need a token; unknown lines and stations are
// refused.
func TestLineQRImages(t *testing.T) {
	e := newEnv(t, envOptions{config: handlers.Config{BaseURL: qrBase}})
	dir := t.TempDir()
	for _, c := range []struct{ query, want string }{
		{"", qrBase + "/r/sx-1?t=" + e.token("sx-1")},
		{"?s=" + url.QueryEscape("混合澄清槽 B"), qrBase + "/r/sx-1?t=" + e.token("sx-1") + "&s=" + strings.ReplaceAll(url.QueryEscape("混合澄清槽 B"), "+", "%20")},
	} {
		rec := e.apiGet("/api/v1/lines/sx-1/qr.png" + c.query)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" {
			t.Fatalf("GET qr.png%s = %d %q", c.query, rec.Code, rec.Header().Get("Content-Type"))
		}
		f := filepath.Join(dir, "line"+strconv.Itoa(len(c.query))+".png")
		writeTestFile(t, f, rec.Body.Bytes())
		if got := pdfdoctest.QRCodes(t, f); !slices.Equal(got, []string{c.want}) {
			t.Errorf("qr.png%s decodes to %q, want %q", c.query, got, c.want)
		}

		rec = e.apiGet("/api/v1/lines/sx-1/qr.svg" + c.query)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("GET qr.svg%s = %d %q", c.query, rec.Code, rec.Header().Get("Content-Type"))
		}
		img := rasterizeSVG(t, rec.Body.Bytes(), 6)
		f = filepath.Join(dir, "svg"+strconv.Itoa(len(c.query))+".png")
		out, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(out, img); err != nil {
			t.Fatal(err)
		}
		out.Close()
		if got := pdfdoctest.QRCodes(t, f); !slices.Equal(got, []string{c.want}) {
			t.Errorf("qr.svg%s decodes to %q, want %q", c.query, got, c.want)
		}
	}
	for _, path := range []string{"/api/v1/lines/sx-1/qr.png", "/api/v1/lines/sx-1/qr.svg", "/api/v1/qr-sheet.pdf"} {
		if rec := e.get(path); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without a token = %d, want 401", path, rec.Code)
		}
		if rec := e.get(path, "Authorization", "Bearer fft_not-a-token"); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s with a bad token = %d, want 401", path, rec.Code)
		}
	}
	for path, want := range map[string]int{
		"/api/v1/lines/nope/qr.png":            http.StatusNotFound,
		"/api/v1/lines/nope/qr.svg":            http.StatusNotFound,
		"/api/v1/lines/sx-1/qr.svg?s=nowhere":  http.StatusBadRequest,
		"/api/v1/lines/sx-1/qr.png?scale=0":    http.StatusBadRequest,
		"/api/v1/lines/sx-1/qr.png?scale=1000": http.StatusBadRequest,
	} {
		if rec := e.apiGet(path); rec.Code != want {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
		}
	}
}

func writeTestFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// rasterizeSVG draws the code's SVG (a white rect and one path of
// "Mx yhNv1h-Nz" runs, as qr.Code.SVG writes it) at scale pixels per unit,
// after checking that it is well-formed XML.
func rasterizeSVG(t *testing.T, svg []byte, scale int) image.Image {
	t.Helper()
	var doc struct {
		ViewBox string `xml:"viewBox,attr"`
		Paths   []struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("SVG is not well-formed XML: %v", err)
	}
	var vb [4]int
	for i, f := range strings.Fields(doc.ViewBox) {
		vb[i], _ = strconv.Atoi(f)
	}
	if vb[2] == 0 || len(doc.Paths) != 1 {
		t.Fatalf("SVG viewBox %q, %d paths; want a square and one path", doc.ViewBox, len(doc.Paths))
	}
	img := image.NewGray(image.Rect(0, 0, vb[2]*scale, vb[3]*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	run := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	d := doc.Paths[0].D
	if rest := run.ReplaceAllString(d, ""); rest != "" {
		t.Fatalf("SVG path has commands other than runs: %q", rest)
	}
	for _, m := range run.FindAllStringSubmatch(d, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+n)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	return img
}
