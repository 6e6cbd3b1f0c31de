package handlers_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/static"
)

// scriptTag matches the opening tag of a script element.
var scriptTag = regexp.MustCompile(`<script[^>]*>`)

// hasInlineScript reports whether an HTML page has a script the CSP would
// block: any script element that is not an external file of package static.
func hasInlineScript(body string) bool {
	for _, tag := range scriptTag.FindAllString(body, -1) {
		if !strings.Contains(tag, ` src="/static/`) {
			return true
		}
	}
	return false
}

// TestServiceWorkerRoute: /sw.js is served at the root (its scope is the
// whole site), as JavaScript, revalidated on every update check, under a CSP
// that lets it fetch this origin; the ETag makes the check cheap.
func TestServiceWorkerRoute(t *testing.T) {
	e := newEnv(t, envOptions{})
	rec := e.get("/sw.js")
	h := rec.Header()
	if rec.Code != http.StatusOK || h.Get("Content-Type") != "text/javascript; charset=utf-8" || h.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET /sw.js = %d, %q, Cache-Control %q; want 200 JavaScript, no-cache", rec.Code, h.Get("Content-Type"), h.Get("Cache-Control"))
	}
	if csp := h.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") {
		t.Errorf("GET /sw.js CSP %q, want default-src 'self' (the worker fetches this origin)", csp)
	}
	a, _ := static.New()
	for _, name := range []string{"style.css", "app.js"} {
		u, _ := a.URL(name)
		if !strings.Contains(rec.Body.String(), u) {
			t.Errorf("GET /sw.js does not name %s", u)
		}
	}
	if rec2 := e.get("/sw.js", "If-None-Match", h.Get("ETag")); rec2.Code != http.StatusNotModified {
		t.Errorf("GET /sw.js with its ETag = %d, want 304", rec2.Code)
	}
}

// TestLanguageRemembered: a language chosen on the form (?lang=, the
// no-JavaScript switch) is kept in a cookie, and the status page after the
// submission uses it over the browser's Accept-Language.
func TestLanguageRemembered(t *testing.T) {
	e := newEnv(t, envOptions{})
	rec := e.get("/r/sx-1?t="+e.token("sx-1")+"&lang=zh", "Accept-Language", "en")
	var ck *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "ff_lang" {
			ck = c
		}
	}
	if ck == nil || ck.Value != "zh" || ck.Path != "/" || ck.MaxAge <= 0 {
		t.Fatalf("GET the form with ?lang=zh set cookie %+v, want ff_lang=zh for the whole site", ck)
	}
	r := e.mustSubmit(nil)
	for _, tc := range []struct{ cookie, want string }{{"ff_lang=zh", "报告进度"}, {"", "Report status"}, {"ff_lang=xx", "Report status"}} {
		rec := e.get("/s/"+r.Receipt, "Accept-Language", "en", "Cookie", tc.cookie)
		if !strings.Contains(rec.Body.String(), "<h1>"+tc.want) {
			t.Errorf("status page with cookie %q and Accept-Language en: want heading %q first", tc.cookie, tc.want)
		}
	}
}
