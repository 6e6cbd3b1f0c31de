package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/static"
)

// The policies the areas promise (see handlers.New).
const (
	pageCSP        = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	noDocumentCSP  = "default-src 'none'; frame-ancestors 'none'"
	cacheImmutable = "public, max-age=31536000, immutable"
)

// stylesheetURL is the URL the pages must link.
func stylesheetURL(t *testing.T) string {
	t.Helper()
	a, err := static.New()
	if err != nil {
		t.Fatalf("static.New: %v", err)
	}
	u, err := a.URL("style.css")
	if err != nil {
		t.Fatalf(`URL("style.css"): %v`, err)
	}
	return u
}

func TestHeaderPolicyPerArea(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.mustSubmit(nil)
	css := stylesheetURL(t)
	formCT, formBody := multipartBody(t, map[string]string{
		"line": "sx-1", "token": e.token("sx-1"), "title": "表单提交", "category": "quality", "idempotency_key": "form-key-1",
	}, nil)

	type want struct {
		status      int
		csp         string
		cache       string
		contentType string // prefix; "" for no body
	}
	tests := []struct {
		name string
		req  func() *http.Request
		want want
	}{
		// pages
		{"form", get("/r/sx-1?t=" + e.token("sx-1")), want{200, pageCSP, "private, no-cache", "text/html"}},
		{"form, bad token (403 page)", get("/r/sx-1?t=bad", "Accept", "text/html"), want{403, pageCSP, "no-store", "text/html"}},
		{"status page", get("/s/" + r.Receipt), want{200, pageCSP, "no-store", "text/html"}},
		{"status page, unknown (404 page)", get("/s/AAAAAAAAAAAAAAAAAAAAAA"), want{404, pageCSP, "no-store", "text/html"}},
		// public API
		{"submit JSON (201)", func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(e.validReport(map[string]any{"title": "headers"})))
			req.Header.Set("Content-Type", "application/json")
			return req
		}, want{201, noDocumentCSP, "no-store", "application/json"}},
		{"submit, wrong type (415)", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader("x"))
		}, want{415, noDocumentCSP, "no-store", "application/json"}},
		{"browser form post (303 to the status page)", func() *http.Request {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(formBody.String()))
			req.Header.Set("Content-Type", formCT)
			req.Header.Set("Accept", "text/html,application/xhtml+xml")
			return req
		}, want{303, pageCSP, "no-store", ""}},
		{"receipt JSON", get("/api/v1/receipts/" + r.Receipt), want{200, noDocumentCSP, "no-store", "application/json"}},
		{"receipt JSON, unknown", get("/api/v1/receipts/AAAAAAAAAAAAAAAAAAAAAA"), want{404, noDocumentCSP, "no-store", "application/json"}},
		// authenticated API
		{"report list, no token (401)", get("/api/v1/reports", "Accept", "text/html"), want{401, noDocumentCSP, "no-store", "application/json"}},
		{"report list", get("/api/v1/reports", "Authorization", "Bearer "+testAPIToken), want{200, noDocumentCSP, "no-store", "application/json"}},
		{"one report", get("/api/v1/reports/"+r.ID, "Authorization", "Bearer "+testAPIToken), want{200, noDocumentCSP, "no-store", "application/json"}},
		{"admin area, no token (401)", get("/api/v1/admin/anything"), want{401, noDocumentCSP, "no-store", "application/json"}},
		// static assets
		{"stylesheet", get(css), want{200, noDocumentCSP, cacheImmutable, "text/css"}},
		{"stylesheet, stale hash (404)", get("/static/style.00000000.css"), want{404, noDocumentCSP, "no-store", "application/json"}},
		{"stylesheet, no hash (404)", get("/static/style.css"), want{404, noDocumentCSP, "no-store", "application/json"}},
		{"unknown asset (404)", get("/static/nope.12345678.js"), want{404, noDocumentCSP, "no-store", "application/json"}},
		// ops
		{"healthz", get("/healthz"), want{200, noDocumentCSP, "no-store", "text/plain"}},
		{"readyz", get("/readyz"), want{200, noDocumentCSP, "no-store", "text/plain"}},
		{"metrics", get("/metrics"), want{200, noDocumentCSP, "no-store", "text/plain"}},
		// no area
		{"unknown URL from a browser (404 page)", get("/nope", "Accept", "text/html"), want{404, pageCSP, "no-store", "text/html"}},
		{"DELETE /healthz (405)", func() *http.Request { return httptest.NewRequest(http.MethodDelete, "/healthz", nil) },
			want{405, "", "no-store", "application/json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req()
			rec := e.do(req)
			call := req.Method + " " + req.URL.Path
			h := rec.Header()
			if rec.Code != tc.want.status {
				t.Fatalf("%s = %d %s, want %d", call, rec.Code, rec.Body.String(), tc.want.status)
			}
			if got := h.Get("Cache-Control"); got != tc.want.cache {
				t.Errorf("%s: Cache-Control = %q, want %q", call, got, tc.want.cache)
			}
			if ct := h.Get("Content-Type"); tc.want.contentType != "" && !strings.HasPrefix(ct, tc.want.contentType) {
				t.Errorf("%s: Content-Type = %q, want %s", call, ct, tc.want.contentType)
			}
			csp := h.Get("Content-Security-Policy")
			if tc.want.csp != "" && csp != tc.want.csp {
				t.Errorf("%s: Content-Security-Policy = %q, want %q", call, csp, tc.want.csp)
			}
			if csp == "" || strings.Contains(csp, "unsafe-") || strings.Contains(csp, "sha256-") || strings.Contains(csp, "*") {
				t.Errorf("%s: Content-Security-Policy %q: want a strict one, with no inline allowance", call, csp)
			}
			for k, v := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"X-Frame-Options":        "DENY",
				"Referrer-Policy":        "no-referrer",
			} {
				if h.Get(k) != v {
					t.Errorf("%s: %s = %q, want %q", call, k, h.Get(k), v)
				}
			}
			if !strings.Contains(h.Get("Permissions-Policy"), "camera=(self)") {
				t.Errorf("%s: Permissions-Policy = %q, want camera=(self)", call, h.Get("Permissions-Policy"))
			}
			if h.Get("X-Request-Id") == "" {
				t.Errorf("%s: no X-Request-ID", call)
			}
		})
	}
}

// get returns a func making a GET request with optional header pairs.
func get(path string, headers ...string) func() *http.Request {
	return func() *http.Request {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		setHeaders(req, headers...)
		return req
	}
}

// TestPagesLinkHashedStylesheet checks that every page links the current
// stylesheet URL and nothing inline (which the CSP would block), and that
// the URL serves the stylesheet with its cache headers.
func TestPagesLinkHashedStylesheet(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.mustSubmit(nil)
	css := stylesheetURL(t)
	link := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`)
	for _, path := range []string{"/r/sx-1?t=" + e.token("sx-1"), "/s/" + r.Receipt, "/r/sx-1?t=bad", "/nope"} {
		body := e.get(path, "Accept", "text/html").Body.String()
		m := link.FindAllStringSubmatch(body, -1)
		if len(m) != 1 || m[0][1] != css {
			t.Errorf("GET %s links stylesheets %v, want exactly %s", path, m, css)
		}
		if strings.Contains(body, "<style") || strings.Contains(body, " style=") || hasInlineScript(body) {
			t.Errorf("GET %s has inline style or script; the CSP allows neither", path)
		}
	}

	a, _ := static.New()
	want, _ := a.Lookup(css)
	rec := e.get(css)
	if rec.Code != 200 || rec.Body.String() != string(want.Body) || rec.Header().Get("Content-Type") != "text/css; charset=utf-8" {
		t.Fatalf("GET %s = %d %q, %d bytes; want 200 text/css with the stylesheet", css, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatalf("GET %s: no ETag", css)
	}
	if rec := e.get(css, "If-None-Match", etag); rec.Code != http.StatusNotModified || rec.Header().Get("Cache-Control") != cacheImmutable {
		t.Errorf("GET %s with If-None-Match = %d, Cache-Control %q; want 304, immutable", css, rec.Code, rec.Header().Get("Cache-Control"))
	}
	rec = e.do(httptest.NewRequest(http.MethodHead, css, nil))
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Cache-Control") != cacheImmutable {
		t.Errorf("HEAD %s = %d, %d bytes, Cache-Control %q; want 200, no body, immutable", css, rec.Code, rec.Body.Len(), rec.Header().Get("Cache-Control"))
	}
}

// publicRoutes are the routes anyone may call: the design's public contract,
// the front door and sign-in, the OpenAPI description, the files and the
// probes. Every other route must answer 401 (API) or a redirect to /login
// (pages) without a credential; a route added to this list is a deliberate
// decision to make it public.
var publicRoutes = map[string]bool{
	"GET /r/:line":                   true,
	"HEAD /r/:line":                  true,
	"GET /s/:receipt":                true,
	"HEAD /s/:receipt":               true,
	"POST /api/v1/reports":           true,
	"GET /api/v1/receipts/:receipt":  true,
	"HEAD /api/v1/receipts/:receipt": true,
	"GET /api/v1/openapi.json":       true,
	"HEAD /api/v1/openapi.json":      true,
	"GET /":                          true,
	"HEAD /":                         true,
	"GET /login":                     true,
	"HEAD /login":                    true,
	"POST /login":                    true,
	"HEAD /metrics":                  true,
	"GET /static/*":                  true,
	"HEAD /static/*":                 true,
	"GET /healthz":                   true,
	"HEAD /healthz":                  true,
	"GET /readyz":                    true,
	"HEAD /readyz":                   true,
	"GET /metrics":                   true,
	"GET /sw.js":                     true, // the service worker (mobile.go)
	"HEAD /sw.js":                    true,
	"GET /my":                        true, // "my reports": the phone's own list
	"HEAD /my":                       true,
}

// TestEveryOtherRouteNeedsToken walks every route registered on the router,
// so a route added later (admin routes, PATCH, CSV, briefs, dashboard
// pages…) without authentication fails here, whichever file adds it: an API
// route answers 401 JSON, a page redirects to /login.
func TestEveryOtherRouteNeedsToken(t *testing.T) {
	e := newEnv(t, envOptions{})
	param := regexp.MustCompile(`:[^/]+|\*`)
	seen := map[string]bool{}
	checked := 0
	for _, rt := range handlers.RoutesOf(e.srv) {
		method := rt.Method
		if method == handlers.RouteNotFoundMethod {
			method = http.MethodGet // a group's catch-all answers any method
		}
		name := rt.Method + " " + rt.Path
		seen[name] = true
		if publicRoutes[name] {
			continue
		}
		target := param.ReplaceAllString(rt.Path, "x")
		if !strings.HasPrefix(rt.Path, "/api/") && rt.Method != handlers.RouteNotFoundMethod {
			for _, cookie := range []string{"", "ff_session=forged"} {
				req := httptest.NewRequest(method, target, strings.NewReader("csrf=x"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if cookie != "" {
					req.Header.Set("Cookie", cookie)
				}
				rec := e.do(req)
				if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
					t.Errorf("%s %s (cookie %q) = %d, Location %q; want 303 to /login: is the page in the dashboard group?", method, target, cookie, rec.Code, loc)
				}
			}
			checked++
			continue
		}
		for _, auth := range []string{"", "Bearer not-a-token", "Basic " + testAPIToken} {
			req := httptest.NewRequest(method, target, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			rec := e.do(req)
			call := method + " " + target + " (route " + name + ", Authorization " + strings.SplitN(auth, " ", 2)[0] + ")"
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s = %d %s, want 401: is the route in an area that requires a token?", call, rec.Code, rec.Body.String())
				continue
			}
			if method == http.MethodHead {
				if rec.Body.Len() != 0 {
					t.Errorf("%s: a HEAD answer with a body", call)
				}
				continue
			}
			wantError(t, call, rec, http.StatusUnauthorized, "unauthorized")
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("%s: Content-Type %q, Cache-Control %q; want JSON, no-store", call, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
			}
		}
		checked++
	}
	for name := range publicRoutes {
		if !seen[name] {
			t.Errorf("public route %s is not registered", name)
		}
	}
	// GET /api/v1/reports, /api/v1/reports/:id and the admin area's catch-alls at least.
	if checked < 4 {
		t.Errorf("checked %d non-public routes, want at least 4; routes: %v", checked, handlers.RoutesOf(e.srv))
	}
}
