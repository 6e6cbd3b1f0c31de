package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/metrics"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
)

// testAPIToken is the secret of the API token every env stores.
const testAPIToken = "ff_test_0123456789abcdef"

var testStart = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// logRecords returns the JSON log records written to logs so far.
func logRecords(t *testing.T, logs *testutil.SyncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// env is one server over a real bolt store in a temp dir.
type env struct {
	t       *testing.T
	srv     *handlers.Server
	store   *boltstore.Store
	intake  *intake.Service
	signer  *signing.Signer
	plant   *plant.Plant
	metrics *metrics.Metrics
	logs    *testutil.SyncBuffer
	clock   *testutil.Clock
	tokens  *auth.Service
}

// envOptions change how newEnv wires the server.
type envOptions struct {
	config handlers.Config
	// submitter wraps the store's Submit (e.g. to fail it).
	submitter func(intake.Submitter) intake.Submitter
	ready     func(context.Context) error
	// secret signs QR tokens and receipts; nil means the usual test secret.
	secret []byte
}

// newEnv starts a server over a fresh bolt store.
func newEnv(t *testing.T, opts envOptions) *env {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "floorfeed.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("boltstore.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	secret := opts.secret
	if secret == nil {
		secret = []byte("handlers-test-secret-0123456789")
	}
	sg, err := signing.New(secret)
	if err != nil {
		t.Fatalf("signing.New: %v", err)
	}
	clk := testutil.NewClock(testStart)
	var sub intake.Submitter = st
	if opts.submitter != nil {
		sub = opts.submitter(st)
	}
	p := plant.Sample()
	svc := intake.New(intake.Deps{Store: sub, Plant: p, Signer: sg, Now: clk.Now})
	m := metrics.New(st.QueueStats)
	logs := &testutil.SyncBuffer{}
	ready := opts.ready
	if ready == nil {
		ready = st.Ping
	}
	tokens, err := auth.New(auth.Deps{Tokens: st, Now: clk.Now})
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	srv, err := handlers.New(handlers.Deps{
		Intake: svc, Reports: st, Tokens: tokens, Ready: ready, Plant: p, Signer: sg,
		Metrics: m, Log: slog.New(slog.NewJSONHandler(logs, nil)), Now: clk.Now, Config: opts.config,
	})
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	sum := sha256.Sum256([]byte(testAPIToken))
	if err := st.CreateToken(context.Background(), store.APIToken{
		ID: "tok-1", Name: "ci", Hash: hex.EncodeToString(sum[:]), CreatedAt: testStart,
	}); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return &env{t: t, srv: srv, store: st, intake: svc, signer: sg, plant: p, metrics: m, logs: logs, clock: clk, tokens: tokens}
}

// do runs req through the real router.
func (e *env) do(req *http.Request) *httptest.ResponseRecorder {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

// get is a GET with optional header pairs ("Name", "value", ...).
func (e *env) get(path string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	setHeaders(req, headers...)
	return e.do(req)
}

// apiGet is a GET with the test API token.
func (e *env) apiGet(path string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.get(path, "Authorization", "Bearer "+testAPIToken)
}

// postJSON posts body as JSON with optional header pairs.
func (e *env) postJSON(body string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	setHeaders(req, headers...)
	return e.do(req)
}

func setHeaders(req *http.Request, headers ...string) {
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
}

// token is the QR token of line.
func (e *env) token(line string) string { return e.signer.LineToken(line) }

// validReport is a JSON report that passes every check, with fields
// overridden by mod (nil deletes a field).
func (e *env) validReport(mod map[string]any) string {
	e.t.Helper()
	r := map[string]any{
		"line": "sx-1", "token": e.token("sx-1"), "category": "quality", "severity": "high",
		"title": "萃取槽分相慢", "body": "B 槽二班开始分相慢，界面有乳化。", "station": "混合澄清槽 B",
		"role": "operator", "reporter": "王工", "contact": "13800001234", "lang": "zh",
	}
	for k, v := range mod {
		if v == nil {
			delete(r, k)
		} else {
			r[k] = v
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		e.t.Fatalf("marshal report: %v", err)
	}
	return string(b)
}

// errorResponse is the JSON error shape.
type errorResponse struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// decodeError parses a JSON error body, failing if it is not exactly the
// contract's shape.
func decodeError(t *testing.T, call string, rec *httptest.ResponseRecorder) errorResponse {
	t.Helper()
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatalf("%s: body %q is not a JSON error: %v", call, rec.Body.String(), err)
	}
	if len(raw) != 1 || raw["error"] == nil {
		t.Fatalf("%s: body %s, want exactly {\"error\": {...}}", call, rec.Body.String())
	}
	for k := range raw["error"] {
		if k != "code" && k != "message" && k != "fields" {
			t.Errorf("%s: error has key %q, want only code, message, fields", call, k)
		}
	}
	var er errorResponse
	_ = json.Unmarshal(rec.Body.Bytes(), &er)
	if er.Error.Code == "" || er.Error.Message == "" {
		t.Errorf("%s: error %s lacks code or message", call, rec.Body.String())
	}
	return er
}

// wantError checks status and error code of a JSON error response.
func wantError(t *testing.T, call string, rec *httptest.ResponseRecorder, status int, code string) errorResponse {
	t.Helper()
	if rec.Code != status {
		t.Errorf("%s = %d %s, want %d", call, rec.Code, rec.Body.String(), status)
	}
	er := decodeError(t, call, rec)
	if er.Error.Code != code {
		t.Errorf("%s error code = %q, want %q", call, er.Error.Code, code)
	}
	return er
}

// submitResp is the 201/200 body.
type submitResp struct {
	ID        string `json:"id"`
	Code      string `json:"code"`
	Receipt   string `json:"receipt"`
	StatusURL string `json:"status_url"`
	Status    string `json:"status"`
}

// mustSubmit posts a valid report and returns its response.
func (e *env) mustSubmit(mod map[string]any, headers ...string) submitResp {
	e.t.Helper()
	rec := e.postJSON(e.validReport(mod), headers...)
	if rec.Code != http.StatusCreated {
		e.t.Fatalf("POST /api/v1/reports = %d %s, want 201", rec.Code, rec.Body.String())
	}
	var r submitResp
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		e.t.Fatalf("POST /api/v1/reports body: %v", err)
	}
	return r
}

// assertNothingStored fails if any report or job exists.
func (e *env) assertNothingStored(call string) {
	e.t.Helper()
	ctx := context.Background()
	page, err := e.store.FindReports(ctx, store.Filter{})
	if err != nil {
		e.t.Fatalf("FindReports: %v", err)
	}
	if len(page.Reports) != 0 {
		e.t.Errorf("after %s: FindReports = %d reports, want none stored", call, len(page.Reports))
	}
	qs, err := e.store.QueueStats(ctx, store.QueueReport)
	if err != nil {
		e.t.Fatalf("QueueStats: %v", err)
	}
	if qs != (store.QueueStats{}) {
		e.t.Errorf("after %s: QueueStats = %+v, want all zero", call, qs)
	}
}

// multipartBody builds a multipart form; files maps a field to file content.
func multipartBody(t *testing.T, fields map[string]string, files map[string][]byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range files {
		fw, err := w.CreateFormFile(k, k+".jpg")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(v)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), &buf
}

// unsizedReader hides a reader's length, so the request goes out chunked
// (ContentLength -1).
type unsizedReader struct{ r io.Reader }

func (u unsizedReader) Read(p []byte) (int, error) { return u.r.Read(p) }

// scrapeMetrics returns GET /metrics.
func (e *env) scrapeMetrics() string {
	e.t.Helper()
	rec := e.get("/metrics")
	if rec.Code != http.StatusOK {
		e.t.Fatalf("GET /metrics = %d, want 200", rec.Code)
	}
	return rec.Body.String()
}

// decodeJSON unmarshals a response body.
func decodeJSON(body string, v any) error { return json.Unmarshal([]byte(body), v) }

// baseURLConfig is a config with a public base URL.
func baseURLConfig() handlers.Config {
	return handlers.Config{BaseURL: "https://floorfeed.plant.example/"}
}
