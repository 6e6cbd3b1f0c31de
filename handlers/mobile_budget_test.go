package handlers_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// pageWeightBudget is the budget for the form: its HTML, CSS and
// JavaScript, gzipped, at most 30 KB.
const pageWeightBudget = 30 << 10

// assetRef finds the URLs a page names in src, href and action attributes.
var assetRef = regexp.MustCompile(`(?:src|href|action)="([^"]*)"`)

func gzipSize(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

// TestFormPageWeight renders the form through the real handler, fetches
// every file it names (and the service worker it registers) through the
// handler too, and sums their gzipped sizes against the budget. Nothing may
// come from another host.
func TestFormPageWeight(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, lang := range []string{"zh", "en"} {
		rec := e.get("/r/sx-1?t="+e.token("sx-1")+"&lang="+lang, "Accept", "text/html")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET the form = %d", rec.Code)
		}
		html := rec.Body.Bytes()
		total := gzipSize(t, html)
		t.Logf("form (%s) HTML: %d bytes, %d gzipped", lang, len(html), total)
		files := []string{"/sw.js"} // registered by app.js
		for _, m := range assetRef.FindAllSubmatch(html, -1) {
			u := string(m[1])
			if strings.Contains(u, "//") || strings.HasPrefix(u, "http") {
				t.Errorf("the form names %q on another host", u)
			}
			if strings.HasPrefix(u, "/static/") {
				files = append(files, u)
			}
		}
		if len(files) < 3 {
			t.Fatalf("the form names files %v, want the stylesheet and the script", files)
		}
		for _, u := range files {
			rec := e.get(u)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d", u, rec.Code)
			}
			body := rec.Body.Bytes()
			if bytes.Contains(body, []byte("://")) {
				t.Errorf("%s names an absolute URL (another host?)", u)
			}
			n := gzipSize(t, body)
			t.Logf("%s: %d bytes, %d gzipped", u, len(body), n)
			total += n
		}
		t.Logf("form (%s) HTML+CSS+JS gzipped: %d bytes (budget %d)", lang, total, pageWeightBudget)
		if total > pageWeightBudget {
			t.Errorf("form (%s) weighs %d bytes gzipped, over the budget of %d", lang, total, pageWeightBudget)
		}
	}
}
