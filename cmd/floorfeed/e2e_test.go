package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store/boltstore"
)

const testSecret = "e2e-secret-0123456789abcdef"

// testServer is a running `floorfeed serve` (the real wiring) on loopback.
type testServer struct {
	URL  string
	Cfg  *Config
	stop func() error
}

// Stop shuts the server down as SIGTERM would and returns run's error.
func (s *testServer) Stop() error { return s.stop() }

// startServe runs `floorfeed serve` with env and args on 127.0.0.1:0.
func startServe(tb testing.TB, env map[string]string, args ...string) *testServer {
	tb.Helper()
	cfg, _, err := parseConfig("serve", append([]string{"--addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, nil)
	if err != nil {
		tb.Fatalf("parseConfig(%v) = %v", args, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := newServer(ctx, cfg, cfg.newLogger(os.Stderr, slog.LevelDebug))
	if err != nil {
		cancel()
		tb.Fatalf("newServer = %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.run(ctx) }()
	var stopped bool
	var runErr error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				runErr = errors.New("serve did not stop within 30s")
			}
		}
		return runErr
	}
	tb.Cleanup(func() { _ = stop() })
	return &testServer{URL: "http://" + srv.Addr(), Cfg: srv.cfg, stop: stop}
}

// runCmd runs a floorfeed subcommand in-process and returns its output.
func runCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	out, _, err := runCLI(t, env, args...)
	return out, err
}

// runCLI runs the program as main would, without the process: its
// standard output, standard error and the error main turns into the exit
// status (see exitCode).
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = run(ctx, args, sys{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut})
	return out.String(), errOut.String(), err
}

type receipt struct {
	ID        string `json:"id"`
	Code      string `json:"code"`
	Receipt   string `json:"receipt"`
	StatusURL string `json:"status_url"`
	Status    string `json:"status"`
}

func submitJSON(t *testing.T, base string, key string, fields map[string]string) (int, []byte) {
	t.Helper()
	body, _ := json.Marshal(fields)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/reports", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /api/v1/reports: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func getJSON(t *testing.T, url, bearer string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if v != nil && res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: bad JSON %v: %s", url, err, b)
		}
	}
	return res.StatusCode
}

// receiptView is what the tests read of /api/v1/receipts/{receipt}.
type receiptView struct {
	Code    string `json:"code"`
	Status  string `json:"status"`
	Contact string `json:"contact"`
	History []struct {
		Action string `json:"action"`
	} `json:"history"`
}

// waitReceived polls the reporter's view until a worker has processed the
// report (status "received"), failing after 10 seconds.
func waitReceived(t *testing.T, base, rcpt string) receiptView {
	t.Helper()
	var view receiptView
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if st := getJSON(t, base+"/api/v1/receipts/"+rcpt, "", &view); st != http.StatusOK {
			t.Fatalf("GET /api/v1/receipts/%s = %d, want 200", rcpt, st)
		}
		if view.Status == "received" {
			return view
		}
		if time.Now().After(deadline) {
			t.Fatalf("receipt %s still %q after 10s, want received (processed by a worker)", rcpt, view.Status)
		}
	}
}

func reportFields(token string) map[string]string {
	return map[string]string{
		"line": "sx-1", "token": token, "category": "process", "severity": "high",
		"title": "反萃段有机相夹带 / organic entrainment in stripping", "body": "A5 槽出口可见乳化层约 2 cm。",
		"station": "反萃", "role": "operator", "lang": "zh", "contact": "分机 6021",
	}
}

// backends runs fn once on the embedded store and once on a private Redis.
func backends(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		fn(t, map[string]string{"FLOORFEED_SECRET": testSecret})
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		rs := testutil.StartRedis(t)
		fn(t, map[string]string{"FLOORFEED_SECRET": testSecret, "FLOORFEED_REDIS_URL": rs.URL})
	})
}

func TestSubmitReceiptProcessed(t *testing.T) {
	backends(t, func(t *testing.T, env map[string]string) {
		srv := startServe(t, env, "--data-dir", t.TempDir(), "--log-level", "error")
		signer, _ := signing.New([]byte(testSecret))
		fields := reportFields(signer.LineToken("sx-1"))

		code, body := submitJSON(t, srv.URL, "e2e-1", fields)
		if code != http.StatusCreated {
			t.Fatalf("submit = %d %s, want 201", code, body)
		}
		var rc receipt
		if err := json.Unmarshal(body, &rc); err != nil || rc.ID == "" || rc.Receipt == "" || rc.StatusURL != "/s/"+rc.Receipt || rc.Status != "new" {
			t.Fatalf("submit body = %s (%v), want id, receipt, status_url /s/<receipt>, status new", body, err)
		}
		// The phone retries (its 201 got lost): same answer, 200, nothing new.
		code2, body2 := submitJSON(t, srv.URL, "e2e-1", fields)
		if code2 != http.StatusOK || !bytes.Equal(bytes.TrimSpace(body2), bytes.TrimSpace(body)) {
			t.Fatalf("replay = %d %s, want 200 with %s", code2, body2, body)
		}

		// The worker processes it: the reporter sees "received".
		view := waitReceived(t, srv.URL, rc.Receipt)
		if view.Code != rc.Code || len(view.History) < 2 {
			t.Fatalf("receipt view = %+v, want code %s, status received, ≥2 history entries", view, rc.Code)
		}
		if view.Contact != "" {
			t.Fatalf("receipt view shows contact %q to the public", view.Contact)
		}
		res, err := http.Get(srv.URL + rc.StatusURL)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %v %v, want 200", rc.StatusURL, res.StatusCode, err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !bytes.Contains(page, []byte(rc.Code)) {
			t.Fatalf("status page does not show the code %s", rc.Code)
		}
		wants := []string{
			`floorfeed_submissions_total{outcome="created"} 1`,
			`floorfeed_submissions_total{outcome="replayed"} 1`,
			`floorfeed_job_wait_seconds_count{queue="report",type="process_report"} 1`,
			`floorfeed_job_duration_seconds_count{outcome="ok",queue="report",type="process_report"} 1`,
			`floorfeed_queue_jobs{queue="report",state="ready"} 0`,
		}
		// The job's metrics are recorded when its handler has returned,
		// which is after the report shows "received": poll a little.
		var missing []string
		for deadline := time.Now().Add(10 * time.Second); ; {
			res, err = http.Get(srv.URL + "/metrics")
			if err != nil {
				t.Fatalf("GET /metrics: %v", err)
			}
			metrics, _ := io.ReadAll(res.Body)
			res.Body.Close()
			missing = missing[:0]
			for _, want := range wants {
				if !bytes.Contains(metrics, []byte(want)) {
					missing = append(missing, want)
				}
			}
			if len(missing) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, want := range missing {
			t.Errorf("/metrics lacks %q", want)
		}
		if err := srv.Stop(); err != nil {
			t.Fatalf("graceful stop = %v", err)
		}
	})
}

func TestRestartKeepsReports(t *testing.T) {
	backends(t, func(t *testing.T, env map[string]string) {
		dir := t.TempDir()
		srv := startServe(t, env, "--data-dir", dir, "--log-level", "error", "--workers", "0", "--submit-rate", "0")
		signer, _ := signing.New([]byte(testSecret))
		var receipts []string
		for i := range 20 {
			code, body := submitJSON(t, srv.URL, fmt.Sprint("restart-", i), reportFields(signer.LineToken("sx-1")))
			if code != http.StatusCreated {
				t.Fatalf("submit %d = %d %s", i, code, body)
			}
			var rc receipt
			_ = json.Unmarshal(body, &rc)
			receipts = append(receipts, rc.Receipt)
		}
		if err := srv.Stop(); err != nil {
			t.Fatalf("stop = %v", err)
		}
		srv2 := startServe(t, env, "--data-dir", dir, "--log-level", "error")
		for _, r := range receipts {
			if st := getJSON(t, srv2.URL+"/api/v1/receipts/"+r, "", nil); st != http.StatusOK {
				t.Fatalf("after restart GET receipt %s = %d, want 200", r, st)
			}
		}
	})
}

// While Redis is down a phone gets 503 with Retry-After and keeps its
// report; its retry after Redis is back is stored once.
func TestRedisOutage(t *testing.T) {
	rs := testutil.StartRedis(t)
	env := map[string]string{"FLOORFEED_SECRET": testSecret, "FLOORFEED_REDIS_URL": rs.URL}
	srv := startServe(t, env, "--data-dir", t.TempDir(), "--log-level", "error", "--submit-rate", "0")
	signer, _ := signing.New([]byte(testSecret))
	fields := reportFields(signer.LineToken("sx-1"))

	rs.Stop()
	code, body := submitJSON(t, srv.URL, "outage-1", fields)
	if code != http.StatusServiceUnavailable || !bytes.Contains(body, []byte(`"unavailable"`)) {
		t.Fatalf("submit with Redis down = %d %s, want 503 unavailable", code, body)
	}
	if st := getJSON(t, srv.URL+"/readyz", "", nil); st != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with Redis down = %d, want 503", st)
	}
	if st := getJSON(t, srv.URL+"/healthz", "", nil); st != http.StatusOK {
		t.Fatalf("/healthz with Redis down = %d, want 200 (the process is alive)", st)
	}

	rs.Start(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body = submitJSON(t, srv.URL, "outage-1", fields)
		if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond) // the phone's outbox retrying
	}
	if code != http.StatusCreated {
		t.Fatalf("retry after Redis is back = %d %s, want 201 (the first attempt stored nothing)", code, body)
	}
	var rc receipt
	_ = json.Unmarshal(body, &rc)
	waitReceived(t, srv.URL, rc.Receipt) // the worker resumes too
}

func TestTwoInstancesShareRedis(t *testing.T) {
	rs := testutil.StartRedis(t)
	// No FLOORFEED_SECRET: the first instance generates one in Redis, the second must agree.
	env := map[string]string{"FLOORFEED_REDIS_URL": rs.URL}
	a := startServe(t, env, "--data-dir", t.TempDir(), "--log-level", "error")
	b := startServe(t, env, "--data-dir", t.TempDir(), "--log-level", "error")

	out, err := runCmd(t, env, "lines", "--json", "--base-url", a.URL)
	if err != nil {
		t.Fatalf("lines --json = %v", err)
	}
	var lines []handlers.AdminLine
	if err := json.Unmarshal([]byte(out), &lines); err != nil || len(lines) == 0 {
		t.Fatalf("lines --json = %q (%v)", out, err)
	}
	token := strings.SplitN(lines[0].FormURL, "?t=", 2)[1]
	fields := reportFields(token)
	fields["line"] = lines[0].ID

	tok, err := runCmd(t, env, "token", "create", "e2e")
	if err != nil || !strings.HasPrefix(tok, "fft_") {
		t.Fatalf("token create = %q, %v", tok, err)
	}
	tok = strings.TrimSpace(tok)

	code, body := submitJSON(t, a.URL, "shared-1", fields)
	if code != http.StatusCreated {
		t.Fatalf("submit to A = %d %s", code, body)
	}
	var rc receipt
	_ = json.Unmarshal(body, &rc)
	// B sees A's report, by id and in its list; and B replays A's key.
	var got struct {
		ID     string `json:"id"`
		Title  string `json:"title"`
		Status string `json:"status"`
	}
	if st := getJSON(t, b.URL+"/api/v1/reports/"+rc.ID, tok, &got); st != http.StatusOK || got.ID != rc.ID {
		t.Fatalf("B GET /api/v1/reports/%s = %d %+v", rc.ID, st, got)
	}
	var list struct {
		Reports []struct {
			ID string `json:"id"`
		} `json:"reports"`
	}
	if st := getJSON(t, b.URL+"/api/v1/reports?line="+lines[0].ID, tok, &list); st != http.StatusOK || len(list.Reports) != 1 {
		t.Fatalf("B GET /api/v1/reports = %d %+v, want A's one report", st, list)
	}
	code, body2 := submitJSON(t, b.URL, "shared-1", fields)
	if code != http.StatusOK || !bytes.Equal(bytes.TrimSpace(body), bytes.TrimSpace(body2)) {
		t.Fatalf("replay on B = %d %s, want 200 %s", code, body2, body)
	}
	if st := getJSON(t, b.URL+"/api/v1/reports", "", nil); st != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/reports without token = %d, want 401", st)
	}
}

// In embedded mode the server holds the database file; admin commands must
// still work (through the server's admin socket).
func TestAdminCommandsWhileServing(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"FLOORFEED_DATA_DIR": dir}
	srv := startServe(t, env, "--log-level", "error", "--submit-rate", "0")

	out, err := runCmd(t, env, "token", "create", "mes")
	if err != nil {
		t.Fatalf("token create while serving = %v", err)
	}
	tok := strings.TrimSpace(out)
	out, err = runCmd(t, env, "demo", "--reports", "25", "--seed", "7")
	if err != nil || !strings.Contains(out, "loaded 25 demo reports") {
		t.Fatalf("demo while serving = %q, %v", out, err)
	}
	var list struct {
		Reports []json.RawMessage `json:"reports"`
	}
	if st := getJSON(t, srv.URL+"/api/v1/reports?limit=100", tok, &list); st != http.StatusOK || len(list.Reports) != 25 {
		t.Fatalf("GET /api/v1/reports with the new token = %d, %d reports; want 200 and 25", st, len(list.Reports))
	}
	// Same seed again: the same idempotency keys, nothing new.
	if out, err = runCmd(t, env, "demo", "--reports", "25", "--seed", "7"); err != nil || !strings.Contains(out, "loaded 0 demo reports") {
		t.Fatalf("demo again with the same seed = %q, %v; want 0 new", out, err)
	}

	out, err = runCmd(t, env, "lines", "--base-url", srv.URL)
	if err != nil || !strings.Contains(out, "萃取分离一线") {
		t.Fatalf("lines = %q, %v", out, err)
	}
	formURL := strings.Fields(out[strings.Index(out, srv.URL+"/r/sx-1"):])[0]
	res, err := http.Get(formURL)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s (from `lines`) = %v, %v; want the form", formURL, res.StatusCode, err)
	}
	res.Body.Close()

	if out, err := runCmd(t, map[string]string{"FLOORFEED_ADDR": strings.TrimPrefix(srv.URL, "http://")}, "healthcheck"); err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("healthcheck = %q, %v", out, err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, adminSockName)); !os.IsNotExist(err) {
		t.Fatalf("admin socket left behind after stop: %v", err)
	}
	// Stopped: the commands open the database directly now.
	if out, err := runCmd(t, env, "token", "create", "after"); err != nil || !strings.HasPrefix(out, "fft_") {
		t.Fatalf("token create after stop = %q, %v", out, err)
	}
	if _, err := runCmd(t, map[string]string{"FLOORFEED_ADDR": strings.TrimPrefix(srv.URL, "http://")}, "healthcheck"); err == nil {
		t.Fatalf("healthcheck of a stopped server succeeded")
	}
}

func TestEmbeddedSecretIsKept(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"FLOORFEED_DATA_DIR": dir}
	if _, err := runCmd(t, env, "token", "create", "first"); err != nil {
		t.Fatalf("token create (makes the store) = %v", err)
	}
	first, err := runCmd(t, env, "lines", "--json")
	if err != nil {
		t.Fatalf("lines = %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, secretFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file = %v, %v; want mode 0600", fi, err)
	}
	second, _ := runCmd(t, env, "lines", "--json")
	if first != second {
		t.Fatalf("QR URLs changed between runs:\n%s\n%s", first, second)
	}
	env["FLOORFEED_SECRET"] = "another-secret-0123456789"
	third, _ := runCmd(t, env, "lines", "--json")
	if third == first {
		t.Fatalf("FLOORFEED_SECRET did not change the QR tokens")
	}
}

func TestServeFailsWhenDatabaseHeld(t *testing.T) {
	dir := t.TempDir()
	bs, err := boltstore.Open(filepath.Join(dir, dbFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	cfg, _, err := parseConfig("serve", []string{"--addr", "127.0.0.1:0", "--data-dir", dir}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newServer(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if !errors.Is(err, boltstore.ErrLocked) {
		t.Fatalf("newServer with the database held = %v, want ErrLocked", err)
	}
}
