package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/store"
)

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gzip.NewReader: %v", err)
	}
	out, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return string(out)
}

func TestGzip(t *testing.T) {
	e := newEnv(t, envOptions{})
	form := "/r/sx-1?lang=en&t=" + url.QueryEscape(e.token("sx-1"))

	plain := e.get(form)
	if plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("form without Accept-Encoding is %q-encoded", plain.Header().Get("Content-Encoding"))
	}
	gz := e.get(form, "Accept-Encoding", "gzip, deflate, br")
	if gz.Code != http.StatusOK || gz.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(gz.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("form with gzip = %d %v, want gzip with Vary", gz.Code, gz.Header())
	}
	html := gunzip(t, gz.Body.Bytes())
	if !strings.Contains(html, "<form") || gz.Body.Len() >= plain.Body.Len() {
		t.Errorf("gzipped form: %d bytes for %d, decoded has a form: %v", gz.Body.Len(), plain.Body.Len(), strings.Contains(html, "<form"))
	}
	if rec := e.get(form, "Accept-Encoding", "gzip;q=0"); rec.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}

	// The stylesheet: precompressed, its own ETag, 304 on revalidation.
	css := regexp.MustCompile(`/static/style\.[0-9a-f]+\.css`).FindString(html)
	rec := e.get(css, "Accept-Encoding", "gzip")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(gunzip(t, rec.Body.Bytes()), "{") {
		t.Fatalf("GET %s with gzip = %d %v", css, rec.Code, rec.Header())
	}
	etag := rec.Header().Get("ETag")
	if id := e.get(css).Header().Get("ETag"); id == etag || etag == "" {
		t.Errorf("gzip ETag %q equals the identity one %q", etag, id)
	}
	if rec := e.get(css, "Accept-Encoding", "gzip", "If-None-Match", etag); rec.Code != http.StatusNotModified {
		t.Errorf("revalidate gzipped css = %d, want 304", rec.Code)
	}

	// A small JSON answer (the 201) stays as it is; a big one is compressed.
	sub := e.postJSON(e.validReport(nil), "Accept-Encoding", "gzip")
	if sub.Code != http.StatusCreated || sub.Header().Get("Content-Encoding") != "" {
		t.Errorf("201 = %d, encoding %q; want a plain small body", sub.Code, sub.Header().Get("Content-Encoding"))
	}
	for range 10 {
		e.postJSON(e.validReport(nil))
	}
	list := e.get("/api/v1/reports", "Authorization", "Bearer "+testAPIToken, "Accept-Encoding", "gzip")
	if list.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(gunzip(t, list.Body.Bytes()), `"reports"`) {
		t.Errorf("report list = %v, want gzip JSON", list.Header())
	}
	// An error page is never garbled.
	bad := e.get("/r/sx-1?t=forged", "Accept-Encoding", "gzip", "Accept", "text/html")
	body := bad.Body.String()
	if bad.Header().Get("Content-Encoding") == "gzip" {
		body = gunzip(t, bad.Body.Bytes())
	}
	if bad.Code != http.StatusForbidden || !strings.Contains(body, "scan") {
		t.Errorf("403 page = %d %q", bad.Code, body)
	}
}

// Photos (JPEG) are never gzipped.
func TestGzipSkipsPhotos(t *testing.T) {
	e := newMobileEnv(t, backends.Backend{Name: "bolt", Open: backends.Bolt}, handlers.Config{}, nil)
	rec := e.submitPhotos("", nil, testJPEG(t, 400, 300))
	var sub struct{ ID string }
	_ = decodeJSON(rec.Body.String(), &sub)
	e.processPhotos(sub.ID)
	r, err := e.st.Report(context.Background(), sub.ID)
	if err != nil || len(r.Photos) != 1 || r.Photos[0].State != store.PhotoReady {
		t.Fatalf("report photos %+v, %v", r.Photos, err)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/reports/"+sub.ID+"/photos/"+r.Photos[0].ID, nil)
	req.Header.Set("Authorization", "Bearer "+e.bearer)
	req.Header.Set("Accept-Encoding", "gzip")
	got := e.do(req)
	if got.Code != http.StatusOK || got.Header().Get("Content-Encoding") != "" || got.Header().Get("Content-Type") != "image/jpeg" {
		t.Errorf("GET photo with gzip = %d %v, want a plain JPEG", got.Code, got.Header())
	}
}
