package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/store"
)

func TestSubmitBadInput(t *testing.T) {
	const mib = 1 << 20
	big := strings.Repeat("x", mib+10)
	tests := []struct {
		name       string
		req        func(e *env) *http.Request
		wantStatus int
		wantCode   string
		wantField  string // a field the error must name, if any
	}{
		{"malformed JSON", func(e *env) *http.Request {
			return jsonRequest(`{"line": "sx-1", "title": `)
		}, 400, "bad_request", ""},
		{"empty body", func(e *env) *http.Request { return jsonRequest(``) }, 400, "bad_request", ""},
		{"JSON array", func(e *env) *http.Request { return jsonRequest(`[1,2]`) }, 400, "bad_request", ""},
		{"two JSON objects", func(e *env) *http.Request {
			return jsonRequest(e.validReport(nil) + e.validReport(nil))
		}, 400, "bad_request", ""},
		{"wrong type: title is a number", func(e *env) *http.Request {
			return jsonRequest(e.validReport(map[string]any{"title": 5}))
		}, 400, "bad_request", "title"},
		{"wrong type: line is an object", func(e *env) *http.Request {
			return jsonRequest(e.validReport(map[string]any{"line": map[string]any{"id": "sx-1"}}))
		}, 400, "bad_request", "line"},
		{"missing title", func(e *env) *http.Request {
			return jsonRequest(e.validReport(map[string]any{"title": nil}))
		}, 400, "validation", "title"},
		{"over-long title", func(e *env) *http.Request {
			return jsonRequest(e.validReport(map[string]any{"title": strings.Repeat("长", store.MaxTitle+1)}))
		}, 400, "validation", "title"},
		{"over-long body", func(e *env) *http.Request {
			return jsonRequest(e.validReport(map[string]any{"body": strings.Repeat("b", store.MaxBody+1)}))
		}, 400, "validation", "body"},
		{"unknown line", func(e *env) *http.Request {
			return jsonRequest(e.validReport(map[string]any{"line": "nope-9"}))
		}, 400, "validation", "line"},
		{"unknown category", func(e *env) *http.Request {
			return jsonRequest(e.validReport(map[string]any{"category": "gossip"}))
		}, 400, "validation", "category"},
		{"bad severity", func(e *env) *http.Request {
			return jsonRequest(e.validReport(map[string]any{"severity": "urgent"}))
		}, 400, "validation", "severity"},
		{"bad token", func(e *env) *http.Request {
			return jsonRequest(e.validReport(map[string]any{"token": "AAAAAAAAAAAAAAAA"}))
		}, 403, "bad_token", ""},
		{"token of another line", func(e *env) *http.Request {
			return jsonRequest(e.validReport(map[string]any{"token": e.token("calc-1")}))
		}, 403, "bad_token", ""},
		{"missing token", func(e *env) *http.Request {
			return jsonRequest(e.validReport(map[string]any{"token": nil}))
		}, 403, "bad_token", ""},
		{"oversize body with Content-Length", func(e *env) *http.Request {
			r := jsonRequest(e.validReport(map[string]any{"body": big}))
			if r.ContentLength <= mib {
				panic("test body is not over the limit")
			}
			return r
		}, 413, "too_large", ""},
		{"oversize chunked body", func(e *env) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/reports",
				unsizedReader{strings.NewReader(e.validReport(map[string]any{"body": big}))})
			r.Header.Set("Content-Type", "application/json")
			if r.ContentLength != -1 {
				panic(fmt.Sprintf("test request has ContentLength %d, want -1 (chunked)", r.ContentLength))
			}
			return r
		}, 413, "too_large", ""},
		{"oversize chunked form-encoded body", func(e *env) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/reports",
				unsizedReader{strings.NewReader("line=sx-1&body=" + big)})
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 413, "too_large", ""},
		{"missing Content-Type", func(e *env) *http.Request {
			r := jsonRequest(e.validReport(nil))
			r.Header.Del("Content-Type")
			return r
		}, 415, "unsupported_media_type", ""},
		{"wrong Content-Type", func(e *env) *http.Request {
			r := jsonRequest(e.validReport(nil))
			r.Header.Set("Content-Type", "text/plain")
			return r
		}, 415, "unsupported_media_type", ""},
		{"multipart without boundary", func(e *env) *http.Request {
			r := jsonRequest("--x--")
			r.Header.Set("Content-Type", "multipart/form-data")
			return r
		}, 400, "bad_request", ""},
		{"over-long Idempotency-Key", func(e *env) *http.Request {
			r := jsonRequest(e.validReport(nil))
			r.Header.Set("Idempotency-Key", strings.Repeat("k", store.MaxIdemKey+1))
			return r
		}, 400, "validation", "idempotency_key"},
		{"over-long idempotency_key form field", func(e *env) *http.Request {
			v := url.Values{"line": {"sx-1"}, "token": {e.token("sx-1")}, "title": {"t"},
				"idempotency_key": {strings.Repeat("k", store.MaxIdemKey+1)}}
			r := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(v.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 400, "validation", "idempotency_key"},
		// One rule for invalid UTF-8, whatever the encoding of the body.
		{"invalid UTF-8 in a JSON title", func(e *env) *http.Request {
			// json.Marshal cannot make invalid UTF-8: put the bytes in after.
			body := strings.Replace(e.validReport(map[string]any{"title": "bad MARK here"}), "MARK", "\xff\xfe", 1)
			return jsonRequest(body)
		}, 400, "validation", "title"},
		{"invalid UTF-8 in a form title", func(e *env) *http.Request {
			v := url.Values{"line": {"sx-1"}, "token": {e.token("sx-1")}, "title": {"bad \xff\xfe here"}}
			r := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(v.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 400, "validation", "title"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			call := "POST /api/v1/reports (" + tc.name + ")"
			rec := e.do(tc.req(e))
			er := wantError(t, call, rec, tc.wantStatus, tc.wantCode)
			if tc.wantField != "" && er.Error.Fields[tc.wantField] == "" {
				t.Errorf("%s fields = %v, want a message for %q", call, er.Error.Fields, tc.wantField)
			}
			if er.Error.Fields == nil {
				t.Errorf("%s: error has no fields object, want {} at least", call)
			}
			e.assertNothingStored(call)
		})
	}
}

func jsonRequest(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func TestSubmitCreateThenReplay(t *testing.T) {
	e := newEnv(t, envOptions{})
	body := e.validReport(nil)
	first := e.postJSON(body, "Idempotency-Key", "phone-1/42")
	if first.Code != http.StatusCreated {
		t.Fatalf("POST /api/v1/reports = %d %s, want 201", first.Code, first.Body)
	}
	var r submitResp
	if err := decodeJSON(first.Body.String(), &r); err != nil {
		t.Fatalf("201 body: %v", err)
	}
	if r.ID == "" || r.Code == "" || r.Receipt == "" || r.StatusURL != "/s/"+r.Receipt || r.Status != "new" {
		t.Errorf("201 body = %+v, want id, code, receipt, status_url /s/<receipt>, status new", r)
	}

	// The worker may have moved it on meanwhile; the replay still answers
	// with the first body.
	if _, err := e.store.UpdateReport(context.Background(), r.ID, func(rep *store.Report) error {
		rep.SetStatus(store.StatusReceived, "system", e.clock.Now())
		return nil
	}); err != nil {
		t.Fatalf("UpdateReport: %v", err)
	}
	replay := e.postJSON(body, "Idempotency-Key", "phone-1/42")
	if replay.Code != http.StatusOK {
		t.Fatalf("POST /api/v1/reports (replay) = %d %s, want 200", replay.Code, replay.Body)
	}
	if replay.Body.String() != first.Body.String() {
		t.Errorf("replay body = %s\nwant the first body %s", replay.Body, first.Body)
	}
	page, _ := e.store.FindReports(context.Background(), store.Filter{})
	if len(page.Reports) != 1 {
		t.Errorf("after create + replay: %d reports stored, want 1", len(page.Reports))
	}

	mismatch := e.postJSON(e.validReport(map[string]any{"title": "另一个问题"}), "Idempotency-Key", "phone-1/42")
	wantError(t, "POST /api/v1/reports (same key, other title)", mismatch, http.StatusUnprocessableEntity, "idempotency_mismatch")
}

func TestSubmitFieldMessagesInLanguage(t *testing.T) {
	e := newEnv(t, envOptions{})
	tests := []struct {
		name           string
		lang           any // the report's lang field; nil leaves it out
		acceptLanguage string
		wantTitle      string
		wantLine       string
	}{
		{"lang field zh", "zh", "en-US", "标题为必填项", "产线不存在"},
		{"lang field zh-CN", "zh-CN", "", "标题为必填项", "产线不存在"},
		{"lang field en", "en", "zh-CN", "Title is required", "Line does not exist"},
		{"Accept-Language zh", nil, "zh-CN,zh;q=0.9,en;q=0.8", "标题为必填项", "产线不存在"},
		{"Accept-Language prefers zh by q", nil, "fr, en;q=0.3, zh;q=0.7", "标题为必填项", "产线不存在"},
		{"Accept-Language en", nil, "en-GB,en;q=0.9", "Title is required", "Line does not exist"},
		{"no language", nil, "", "Title is required", "Line does not exist"},
		{"other language", "de", "de-DE", "Title is required", "Line does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := e.validReport(map[string]any{"title": "", "line": "nope-9", "lang": tc.lang})
			rec := e.postJSON(body, "Accept-Language", tc.acceptLanguage)
			er := wantError(t, "POST /api/v1/reports ("+tc.name+")", rec, 400, "validation")
			if got := er.Error.Fields["title"]; got != tc.wantTitle {
				t.Errorf("fields.title = %q, want %q", got, tc.wantTitle)
			}
			if got := er.Error.Fields["line"]; got != tc.wantLine {
				t.Errorf("fields.line = %q, want %q", got, tc.wantLine)
			}
		})
	}
	rec := e.postJSON(e.validReport(map[string]any{"title": strings.Repeat("x", 121), "lang": "en"}))
	if got := decodeError(t, "POST (long title)", rec).Error.Fields["title"]; got != "Title is too long (at most 120 characters)" {
		t.Errorf("fields.title for a long title = %q, want the limit in the message", got)
	}
	e.assertNothingStored("invalid submissions")
}

func TestSubmitFormEncodedAndMultipartFromAPIClients(t *testing.T) {
	e := newEnv(t, envOptions{})
	fields := map[string]string{
		"line": "calc-1", "token": e.token("calc-1"), "title": "回转窑温度波动", "category": "process",
		"idempotency_key": "form-key-1",
	}
	v := url.Values{}
	for k, x := range fields {
		v.Set(k, x)
	}
	r := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := e.do(r)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST form-encoded = %d %s, want 201", rec.Code, rec.Body)
	}

	// The same form as multipart, with a photo part that is ignored for now,
	// and the same hidden key: a replay.
	ct, body := multipartBody(t, fields, map[string][]byte{"photo": []byte("\xff\xd8 not really a jpeg")})
	r = httptest.NewRequest(http.MethodPost, "/api/v1/reports", body)
	r.Header.Set("Content-Type", ct)
	rec2 := e.do(r)
	if rec2.Code != http.StatusOK || rec2.Body.String() != rec.Body.String() {
		t.Errorf("POST multipart (same key) = %d %s, want 200 with %s", rec2.Code, rec2.Body, rec.Body)
	}

	// The header wins over the hidden field.
	r = httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Idempotency-Key", "header-key")
	if rec3 := e.do(r); rec3.Code != http.StatusCreated {
		t.Errorf("POST form with Idempotency-Key header = %d, want 201 (a new key)", rec3.Code)
	}
}

func TestSubmitBrowserForm(t *testing.T) {
	e := newEnv(t, envOptions{})
	post := func(fields map[string]string) *httptest.ResponseRecorder {
		ct, body := multipartBody(t, fields, nil)
		r := httptest.NewRequest(http.MethodPost, "/api/v1/reports", body)
		r.Header.Set("Content-Type", ct)
		r.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		return e.do(r)
	}
	valid := map[string]string{
		"line": "sx-1", "token": e.token("sx-1"), "idempotency_key": "browser-key-1", "lang": "zh",
		"title": "皂化段 pH 偏低", "body": "第一行\r\n第二行", "severity": "medium", "category": "",
	}

	// Validation error: the form again, filled in, with the message and the same key.
	invalid := map[string]string{}
	for k, v := range valid {
		invalid[k] = v
	}
	invalid["title"] = ""
	rec := post(invalid)
	if rec.Code != http.StatusBadRequest || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("browser POST without title = %d %s, want 400 HTML", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{"标题为必填项", `value="browser-key-1"`, "第一行", `name="token" value="` + e.token("sx-1") + `"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("browser POST without title: page lacks %q", want)
		}
	}
	e.assertNothingStored("browser POST without title")

	// Success: 303 to the status page.
	rec = post(valid)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("browser POST = %d %s, want 303", rec.Code, rec.Body)
	}
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, "/s/") {
		t.Fatalf("browser POST Location = %q, want /s/<receipt>", loc)
	}
	if page := e.get(loc, "Accept-Language", "zh-CN"); page.Code != 200 || !strings.Contains(page.Body.String(), "皂化段 pH 偏低") {
		t.Errorf("GET %s = %d, want 200 with the report's title", loc, page.Code)
	}
	// The double tap: same key, same content → the same redirect.
	if again := post(valid); again.Code != http.StatusSeeOther || again.Header().Get("Location") != loc {
		t.Errorf("browser POST (replay) = %d → %q, want 303 → %q", again.Code, again.Header().Get("Location"), loc)
	}

	// Bad token: an HTML error page, not JSON.
	bad := map[string]string{}
	for k, v := range valid {
		bad[k] = v
	}
	bad["token"], bad["idempotency_key"] = "forged", "browser-key-2"
	rec = post(bad)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "二维码链接无效") ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("browser POST with a bad token = %d %q, want a 403 HTML page saying the QR link is invalid", rec.Code, rec.Body)
	}
}

// failingSubmitter is a store whose Submit always fails.
type failingSubmitter struct{ err error }

func (f failingSubmitter) Submit(context.Context, store.Submission) (store.Report, bool, error) {
	return store.Report{}, false, f.err
}

func TestSubmitStoreFailureIs503(t *testing.T) {
	for _, cause := range []error{store.ErrUnavailable, errors.New("disk on fire"), context.DeadlineExceeded} {
		t.Run(cause.Error(), func(t *testing.T) {
			e := newEnv(t, envOptions{submitter: func(intake.Submitter) intake.Submitter { return failingSubmitter{cause} }})
			rec := e.postJSON(e.validReport(nil), "X-Request-ID", "req-503-test")
			wantError(t, "POST /api/v1/reports (store failing)", rec, http.StatusServiceUnavailable, "unavailable")
			if rec.Header().Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
			if strings.Contains(rec.Body.String(), cause.Error()) {
				t.Errorf("503 body %s shows the internal error", rec.Body)
			}
			logged := false
			for _, r := range logRecords(t, e.logs) {
				if r["request_id"] == "req-503-test" && r["level"] == "ERROR" && strings.Contains(fmt.Sprint(r["err"]), cause.Error()) {
					logged = true
				}
			}
			if !logged {
				t.Errorf("store failure %q not logged at ERROR with request id req-503-test", cause)
			}

			// A browser gets its form back, filled in, to retry with the same key.
			ct, body := multipartBody(t, map[string]string{
				"line": "sx-1", "token": e.token("sx-1"), "title": "retry me", "idempotency_key": "k-503",
			}, nil)
			r := httptest.NewRequest(http.MethodPost, "/api/v1/reports", body)
			r.Header.Set("Content-Type", ct)
			r.Header.Set("Accept", "text/html")
			rec = e.do(r)
			if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `value="k-503"`) ||
				!strings.Contains(rec.Body.String(), "retry me") {
				t.Errorf("browser POST (store failing) = %d, want 503 with the form, its values and key k-503", rec.Code)
			}
		})
	}
}

func TestSubmitMultipartLimit(t *testing.T) {
	e := newEnv(t, envOptions{})
	fields := map[string]string{"line": "sx-1", "token": e.token("sx-1"), "title": "with photo"}
	// Over the 1 MiB JSON limit but under the multipart limit: accepted.
	ct, body := multipartBody(t, fields, map[string][]byte{"photo": make([]byte, 3<<20)})
	r := httptest.NewRequest(http.MethodPost, "/api/v1/reports", body)
	r.Header.Set("Content-Type", ct)
	if rec := e.do(r); rec.Code != http.StatusCreated {
		t.Errorf("POST multipart with a 3 MiB photo = %d %s, want 201", rec.Code, rec.Body)
	}
	// Over the multipart limit, streamed: 413.
	ct, body = multipartBody(t, fields, map[string][]byte{"photo": make([]byte, 21<<20)})
	r = httptest.NewRequest(http.MethodPost, "/api/v1/reports", unsizedReader{body})
	r.Header.Set("Content-Type", ct)
	wantError(t, "POST multipart with a 21 MiB photo", e.do(r), http.StatusRequestEntityTooLarge, "too_large")
	// An over-long text field is refused without reading it all.
	ct, body = multipartBody(t, map[string]string{"line": "sx-1", "body": strings.Repeat("y", 40<<10)}, nil)
	r = httptest.NewRequest(http.MethodPost, "/api/v1/reports", body)
	r.Header.Set("Content-Type", ct)
	wantError(t, "POST multipart with a 40 KiB text field", e.do(r), http.StatusRequestEntityTooLarge, "too_large")
}

// TestSubmitOversizeOverTCP sends a truly chunked oversize body through a
// real HTTP server: the client must get the 413 JSON, not a reset.
func TestSubmitOversizeOverTCP(t *testing.T) {
	e := newEnv(t, envOptions{})
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	body := unsizedReader{strings.NewReader(e.validReport(map[string]any{"body": strings.Repeat("x", 5<<20)}))}
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/api/v1/reports", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("POST 5 MiB chunked over TCP: %v", err)
	}
	defer resp.Body.Close()
	rec := httptest.NewRecorder()
	rec.Code = resp.StatusCode
	_, _ = rec.Body.ReadFrom(resp.Body)
	wantError(t, "POST 5 MiB chunked over TCP", rec, http.StatusRequestEntityTooLarge, "too_large")
	e.assertNothingStored("POST 5 MiB chunked over TCP")
}
