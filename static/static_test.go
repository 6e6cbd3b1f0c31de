package static_test

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/floorfeed/floorfeed/static"
)

func TestEmbeddedStylesheet(t *testing.T) {
	a, err := static.New()
	if err != nil {
		t.Fatalf("static.New: %v", err)
	}
	u, err := a.URL("style.css")
	if err != nil {
		t.Fatalf(`URL("style.css"): %v`, err)
	}
	if !regexp.MustCompile(`^/static/style\.[0-9a-f]{8}\.css$`).MatchString(u) {
		t.Fatalf(`URL("style.css") = %q, want /static/style.<8 hex>.css`, u)
	}
	as, ok := a.Lookup(u)
	if !ok {
		t.Fatalf("Lookup(%q) found nothing", u)
	}
	sum := sha256.Sum256(as.Body)
	if h := hex.EncodeToString(sum[:]); !strings.Contains(u, "."+h[:8]+".") || as.ETag != `"`+h+`"` {
		t.Errorf("URL %q, ETag %s do not carry the content's SHA-256 %s", u, as.ETag, h)
	}
	if as.ContentType != "text/css; charset=utf-8" || !strings.Contains(string(as.Body), "box-sizing") {
		t.Errorf("style.css: type %q, %d bytes; want text/css with the stylesheet", as.ContentType, len(as.Body))
	}
}

func TestHashFollowsContent(t *testing.T) {
	v1, err := static.FromFS(fstest.MapFS{
		"app.css":           {Data: []byte("body{color:red}")},
		"icons/app-192.png": {Data: []byte("png-1")},
		"LICENSE.txt":       {Data: []byte("text")},
	})
	if err != nil {
		t.Fatalf("FromFS: %v", err)
	}
	v2, err := static.FromFS(fstest.MapFS{"app.css": {Data: []byte("body{color:blue}")}})
	if err != nil {
		t.Fatalf("FromFS: %v", err)
	}
	u1, _ := v1.URL("app.css")
	u2, _ := v2.URL("app.css")
	if u1 == u2 {
		t.Fatalf("app.css has URL %q before and after its content changed", u1)
	}
	if _, ok := v2.Lookup(u1); ok {
		t.Errorf("Lookup(old URL %q) found the new file; want a stale hash refused", u1)
	}
	for _, bad := range []string{"/static/app.css", "/static/app.00000000.css", strings.Replace(u2, "/static/", "/static/x/", 1), u2 + "x"} {
		if _, ok := v2.Lookup(bad); ok {
			t.Errorf("Lookup(%q) found a file; want only the current hashed URL to resolve", bad)
		}
	}
	icon, err := v1.URL("icons/app-192.png")
	if err != nil || !regexp.MustCompile(`^/static/icons/app-192\.[0-9a-f]{8}\.png$`).MatchString(icon) {
		t.Errorf(`URL("icons/app-192.png") = %q, %v; want /static/icons/app-192.<hash>.png`, icon, err)
	}
	if as, ok := v1.Lookup(icon); !ok || as.ContentType != "image/png" {
		t.Errorf("Lookup(%q) = %+v, %v; want the PNG", icon, as, ok)
	}
	if _, err := v1.URL("missing.css"); err == nil {
		t.Errorf(`URL("missing.css") = nil error, want one (a template naming it must fail)`)
	}
	if n := len(v1.All()); n != 3 {
		t.Errorf("All() has %d files, want 3", n)
	}
}

func TestUnknownExtensionFailsAtStart(t *testing.T) {
	if _, err := static.FromFS(fstest.MapFS{"notes.docx": {Data: []byte("x")}}); err == nil {
		t.Fatal("FromFS(a .docx file) = nil error, want one: it has no content type to be served with")
	}
}
