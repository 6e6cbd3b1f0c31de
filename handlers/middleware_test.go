package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/store"
)

func TestRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{config: handlers.Config{SubmitRate: 2, SubmitBurst: 2}})
	for i := range 2 {
		if rec := e.postJSON(e.validReport(map[string]any{"title": "burst " + strconv.Itoa(i)})); rec.Code != http.StatusCreated {
			t.Fatalf("POST #%d within the burst = %d %s, want 201", i+1, rec.Code, rec.Body)
		}
	}
	rec := e.postJSON(e.validReport(map[string]any{"title": "one too many", "lang": "en"}))
	er := wantError(t, "POST #3 over the limit", rec, http.StatusTooManyRequests, "rate_limited")
	// 2 per minute: the next token comes in 30 s.
	if got := rec.Header().Get("Retry-After"); got != "30" {
		t.Errorf("POST #3 Retry-After = %q, want 30", got)
	}
	if !strings.Contains(er.Error.Message, "30 seconds") {
		t.Errorf("POST #3 message = %q, want it to say 30 seconds", er.Error.Message)
	}
	// Other endpoints are not limited.
	if rec := e.get("/healthz"); rec.Code != http.StatusOK {
		t.Errorf("GET /healthz while rate limited = %d, want 200", rec.Code)
	}
	e.clock.Advance(30 * time.Second)
	if rec := e.postJSON(e.validReport(map[string]any{"title": "after waiting"})); rec.Code != http.StatusCreated {
		t.Errorf("POST after Retry-After = %d %s, want 201", rec.Code, rec.Body)
	}
	if m := e.scrapeMetrics(); !strings.Contains(m, `floorfeed_submissions_total{outcome="rate_limited"} 1`) {
		t.Errorf("GET /metrics lacks floorfeed_submissions_total{outcome=\"rate_limited\"} 1")
	}
}

func TestClientIPAndForwardedHeaders(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		peer    string
		xff     []string // X-Forwarded-For of the two requests
		realIP  string
		wantIPs []string // client IP logged for each request
		want2nd int      // with 1 submission per client allowed
	}{
		{"no trusted proxies: XFF ignored", nil, "10.0.0.5:4000",
			[]string{"203.0.113.1", "203.0.113.2"}, "", []string{"10.0.0.5", "10.0.0.5"}, http.StatusTooManyRequests},
		{"no trusted proxies: X-Real-IP ignored", nil, "10.0.0.5:4000",
			nil, "203.0.113.9", []string{"10.0.0.5", "10.0.0.5"}, http.StatusTooManyRequests},
		{"trusted proxy: XFF honoured", []string{"10.0.0.0/8"}, "10.0.0.5:4000",
			[]string{"203.0.113.1", "203.0.113.2"}, "", []string{"203.0.113.1", "203.0.113.2"}, http.StatusCreated},
		{"trusted proxy: spoofed left-most entry skipped", []string{"10.0.0.0/8"}, "10.0.0.5:4000",
			[]string{"198.51.100.66, 203.0.113.1", "198.51.100.66, 203.0.113.2"}, "", []string{"203.0.113.1", "203.0.113.2"}, http.StatusCreated},
		{"untrusted peer: XFF ignored even with proxies configured", []string{"10.0.0.0/8"}, "192.168.1.20:4000",
			[]string{"203.0.113.1", "203.0.113.2"}, "", []string{"192.168.1.20", "192.168.1.20"}, http.StatusTooManyRequests},
		{"loopback not trusted implicitly", []string{"10.0.0.0/8"}, "127.0.0.1:4000",
			[]string{"203.0.113.1", "203.0.113.2"}, "", []string{"127.0.0.1", "127.0.0.1"}, http.StatusTooManyRequests},
		{"trusted single IP", []string{"10.0.0.5"}, "10.0.0.5:4000",
			[]string{"203.0.113.1", "203.0.113.2"}, "", []string{"203.0.113.1", "203.0.113.2"}, http.StatusCreated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{config: handlers.Config{SubmitRate: 1, SubmitBurst: 1, TrustedProxies: tc.trusted}})
			var codes []int
			for i := range 2 {
				r := jsonRequest(e.validReport(map[string]any{"title": "ip " + strconv.Itoa(i)}))
				r.RemoteAddr = tc.peer
				if tc.xff != nil {
					r.Header.Set("X-Forwarded-For", tc.xff[i])
				}
				if tc.realIP != "" {
					r.Header.Set("X-Real-IP", tc.realIP)
				}
				r.Header.Set("X-Request-ID", "ip-test-"+strconv.Itoa(i))
				codes = append(codes, e.do(r).Code)
			}
			if codes[0] != http.StatusCreated || codes[1] != tc.want2nd {
				t.Errorf("two POSTs (limit 1/client) = %v, want [201 %d]", codes, tc.want2nd)
			}
			for i, want := range tc.wantIPs {
				got := ""
				for _, rec := range logRecords(t, e.logs) {
					if rec["request_id"] == "ip-test-"+strconv.Itoa(i) && rec["msg"] == "http request" {
						got, _ = rec["ip"].(string)
					}
				}
				if got != want {
					t.Errorf("request %d logged ip %q, want %q", i, got, want)
				}
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	e := newEnv(t, envOptions{})
	base := handlers.Deps{Intake: e.intake, Reports: e.store, Tokens: e.tokens, Ready: e.store.Ping, Plant: e.plant, Signer: e.signer}
	tests := []struct {
		name string
		mod  func(*handlers.Deps)
	}{
		{"missing intake", func(d *handlers.Deps) { d.Intake = nil }},
		{"missing ready", func(d *handlers.Deps) { d.Ready = nil }},
		{"bad proxy CIDR", func(d *handlers.Deps) { d.Config.TrustedProxies = []string{"10.0.0.0/33"} }},
		{"relative base URL", func(d *handlers.Deps) { d.Config.BaseURL = "floorfeed.example" }},
		{"negative rate", func(d *handlers.Deps) { d.Config.SubmitRate = -1 }},
	}
	for _, tc := range tests {
		d := base
		tc.mod(&d)
		if _, err := handlers.New(d); err == nil {
			t.Errorf("handlers.New(%s) = nil error, want an error", tc.name)
		}
	}
	if _, err := handlers.New(base); err != nil {
		t.Errorf("handlers.New(minimal deps) = %v, want nil", err)
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t, envOptions{})
	if got := e.get("/healthz", "X-Request-ID", "abc-123").Header().Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("GET /healthz with X-Request-ID abc-123 answered %q, want it echoed", got)
	}
	for _, bad := range []string{"a b", strings.Repeat("x", 65), "x\u2028y"} {
		if got := e.get("/healthz", "X-Request-ID", bad).Header().Get("X-Request-Id"); got == bad || got == "" {
			t.Errorf("GET /healthz with X-Request-ID %q answered %q, want a fresh id", bad, got)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	down := errors.New("bolt: database not open")
	tests := []struct {
		name   string
		ready  func(context.Context) error
		path   string
		status int
		body   string
	}{
		{"healthz", nil, "/healthz", 200, "ok"},
		{"readyz up", nil, "/readyz", 200, "ready"},
		{"readyz down", func(context.Context) error { return down }, "/readyz", 503, "unavailable: bolt: database not open"},
		{"healthz while store down", func(context.Context) error { return down }, "/healthz", 200, "ok"},
	}
	for _, tc := range tests {
		e := newEnv(t, envOptions{ready: tc.ready})
		rec := e.get(tc.path)
		if rec.Code != tc.status || rec.Body.String() != tc.body {
			t.Errorf("GET %s (%s) = %d %q, want %d %q", tc.path, tc.name, rec.Code, rec.Body, tc.status, tc.body)
		}
	}
}

func TestMetricsEndpoint(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustSubmit(nil)
	e.postJSON(`{"title": 5}`)
	e.postJSON(e.validReport(map[string]any{"token": "forged"}))
	e.get("/s/some-receipt-value")
	e.get("/no/such/page")

	m := e.scrapeMetrics()
	for _, want := range []string{
		`floorfeed_submissions_total{outcome="created"} 1`,
		`floorfeed_submissions_total{outcome="invalid"} 1`,
		`floorfeed_submissions_total{outcome="forbidden"} 1`,
		`floorfeed_submissions_total{outcome="unavailable"} 0`,
		`floorfeed_http_requests_total{code="201",method="POST",route="/api/v1/reports"} 1`,
		`floorfeed_http_requests_total{code="404",method="GET",route="/s/:receipt"} 1`,
		`floorfeed_http_requests_total{code="404",method="GET",route="/*"} 1`,
		`floorfeed_http_request_duration_seconds_count{method="POST",route="/api/v1/reports"} 3`,
		`floorfeed_queue_jobs{queue="report",state="ready"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("GET /metrics lacks %s", want)
		}
	}
	if strings.Contains(m, "some-receipt-value") || strings.Contains(m, "/no/such/page") {
		t.Errorf("GET /metrics has a raw URL as a label; want route patterns only")
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	e := newEnv(t, envOptions{})
	wantError(t, "GET /api/v1/nope", e.get("/api/v1/nope"), 404, "not_found")
	rec := e.do(httptest.NewRequest(http.MethodPut, "/api/v1/reports", strings.NewReader("{}")))
	wantError(t, "PUT /api/v1/reports", rec, 405, "method_not_allowed")
	if rec.Header().Get("Allow") == "" {
		t.Errorf("PUT /api/v1/reports: 405 without Allow")
	}
	if rec := e.get("/nope", "Accept", "text/html"); rec.Code != 404 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("GET /nope from a browser = %d %s, want a 404 HTML page", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// panickingReports is the real store except that Report panics.
type panickingReports struct{ handlers.ReportReader }

func (panickingReports) Report(context.Context, string) (store.Report, error) { panic("boom") }

func TestPanicIsA500(t *testing.T) {
	e := newEnv(t, envOptions{})
	logs := &testutil.SyncBuffer{}
	srv, err := handlers.New(handlers.Deps{
		Intake: e.intake, Reports: panickingReports{e.store}, Tokens: e.tokens, Ready: e.store.Ping,
		Plant: e.plant, Signer: e.signer, Log: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/reports/x", nil)
	req.Header.Set("Authorization", "Bearer "+testAPIToken)
	req.Header.Set("X-Request-ID", "panic-1")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	er := wantError(t, "GET /api/v1/reports/x (Report panics)", rec, http.StatusInternalServerError, "internal")
	if strings.Contains(er.Error.Message, "boom") {
		t.Errorf("500 message %q shows the panic", er.Error.Message)
	}
	var sawStack bool
	for _, r := range logRecords(t, logs) {
		if r["msg"] == "panic" && r["request_id"] == "panic-1" && strings.Contains(fmt.Sprint(r["stack"]), "goroutine") {
			sawStack = true
		}
	}
	if !sawStack {
		t.Errorf("panic not logged with request id panic-1 and a stack")
	}
}
