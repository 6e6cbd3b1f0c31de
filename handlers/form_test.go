package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var hiddenKey = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`)

func TestFormPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	path := "/r/sx-1?t=" + e.token("sx-1")

	tests := []struct {
		name, acceptLanguage string
		want                 []string
	}{
		{"zh first", "zh-CN,zh;q=0.9", []string{
			`lang="zh-CN"`, "萃取分离一线", "Solvent Extraction Line 1", "报告问题", "Report an issue",
			"标题", "Title", "质量 / Quality", "混合澄清槽 A", "反萃", "紧急 / Critical", "操作工 / Operator",
			`action="/api/v1/reports"`, `method="post"`, `name="line" value="sx-1"`,
			`name="token" value="` + e.token("sx-1") + `"`, `name="lang" value="zh"`,
			`value="medium" checked`,
		}},
		{"en first", "en-US", []string{`lang="en"`, "Report an issue", "Quality / 质量", `name="lang" value="en"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.get(path, "Accept-Language", tc.acceptLanguage)
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("GET /r/sx-1?t=<token> = %d %s, want 200 HTML", rec.Code, rec.Header().Get("Content-Type"))
			}
			body := rec.Body.String()
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET /r/sx-1 (%s) lacks %q", tc.name, w)
				}
			}
			if hasInlineScript(body) || strings.Contains(body, " style=") {
				t.Errorf("GET /r/sx-1 has a script or a style attribute; the CSP allows neither")
			}
		})
	}

	// Each form gets its own idempotency key.
	k1 := hiddenKey.FindStringSubmatch(e.get(path).Body.String())
	k2 := hiddenKey.FindStringSubmatch(e.get(path).Body.String())
	if k1 == nil || k2 == nil || k1[1] == k2[1] {
		t.Errorf("two GET /r/sx-1 gave idempotency keys %v and %v, want two different keys", k1, k2)
	}

	// Errors are HTML pages here.
	errorCases := []struct {
		name, path string
		status     int
		want       string
	}{
		{"bad token", "/r/sx-1?t=AAAAAAAAAAAAAAAA", http.StatusForbidden, "二维码链接无效"},
		{"missing token", "/r/sx-1", http.StatusForbidden, "二维码链接无效"},
		{"token of another line", "/r/sx-1?t=" + e.token("calc-1"), http.StatusForbidden, "二维码链接无效"},
		{"unknown line", "/r/nope-9?t=" + e.token("nope-9"), http.StatusNotFound, "未找到"},
	}
	for _, tc := range errorCases {
		rec := e.get(tc.path, "Accept-Language", "zh-CN", "Accept", "text/html")
		if rec.Code != tc.status || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
			!strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("GET %s (%s) = %d %s, want %d HTML saying %q", tc.path, tc.name, rec.Code,
				rec.Header().Get("Content-Type"), tc.status, tc.want)
		}
	}
}

// After sending a form, a reporter may go Back, change the text and send
// again: the old key now belongs to other content. The form comes back with
// the text kept, a note, and a fresh key; sending that makes a second report.
func TestFormResentWithOtherContent(t *testing.T) {
	e := newEnv(t, envOptions{})
	page := e.get("/r/sx-1?t="+e.token("sx-1"), "Accept-Language", "en").Body.String()
	key := hiddenKey.FindStringSubmatch(page)[1]
	post := func(title, key string) *httptest.ResponseRecorder {
		form := url.Values{"line": {"sx-1"}, "token": {e.token("sx-1")}, "title": {title}, "lang": {"en"}, "idempotency_key": {key}}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "text/html")
		return e.do(req)
	}
	if rec := post("Pump seal leaking", key); rec.Code != http.StatusSeeOther {
		t.Fatalf("first form post = %d, want 303 to the status page", rec.Code)
	}
	if rec := post("Pump seal leaking", key); rec.Code != http.StatusSeeOther {
		t.Fatalf("same form posted again = %d, want 303 (a replay)", rec.Code)
	}
	rec := post("Pump seal leaking, and a second pump too", key)
	body := rec.Body.String()
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "already sent") ||
		!strings.Contains(body, "and a second pump too") {
		t.Fatalf("edited form posted with the old key = %d, want 422 with the form, the text kept and a note:\n%s", rec.Code, body)
	}
	fresh := hiddenKey.FindStringSubmatch(body)
	if fresh == nil || fresh[1] == key {
		t.Fatalf("re-shown form key = %v, want a new key (old %s)", fresh, key)
	}
	if rec := post("Pump seal leaking, and a second pump too", fresh[1]); rec.Code != http.StatusSeeOther {
		t.Fatalf("resend with the new key = %d, want 303", rec.Code)
	}
	if page := e.apiGet("/api/v1/reports"); !strings.Contains(page.Body.String(), "and a second pump too") ||
		strings.Count(page.Body.String(), `"code"`) != 2 {
		t.Fatalf("reports after the resend = %s, want exactly the two reports", page.Body.String())
	}
}
