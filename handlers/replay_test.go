package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/metrics"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
)

// liveServer is the real handler over a real store on a real listener.
type liveServer struct {
	url    string
	store  store.Store
	signer *signing.Signer
	srv    *handlers.Server
}

// startLive serves st with cfg on 127.0.0.1 through net/http, with a clock
// that stands still (a rate limit never refills during the test).
func startLive(t *testing.T, st store.Store, cfg handlers.Config) *liveServer {
	t.Helper()
	sg, err := signing.New([]byte("handlers-test-secret-0123456789"))
	if err != nil {
		t.Fatalf("signing.New: %v", err)
	}
	clk := testutil.NewClock(testStart)
	p := plant.Sample()
	tokens, err := auth.New(auth.Deps{Tokens: st, Now: clk.Now})
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	srv, err := handlers.New(handlers.Deps{
		Intake:  intake.New(intake.Deps{Store: st, Plant: p, Signer: sg, Now: clk.Now}),
		Reports: st, Tokens: tokens, Ready: st.Ping, Plant: p, Signer: sg,
		Metrics: metrics.New(st.QueueStats), Now: clk.Now, Config: cfg,
	})
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &liveServer{url: ts.URL, store: st, signer: sg, srv: srv}
}

// report is a valid JSON report titled title.
func (ls *liveServer) report(t *testing.T, title string) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{
		"line": "sx-1", "token": ls.signer.LineToken("sx-1"), "category": "quality", "severity": "high",
		"title": title, "body": "B 槽二班开始分相慢。", "lang": "zh",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// post sends a JSON report with an optional idempotency key over HTTP.
func (ls *liveServer) post(t *testing.T, body, key string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ls.url+"/api/v1/reports", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, nil, ""
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("POST /api/v1/reports: %v", err)
		return 0, nil, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// TestReplayIsNeverRateLimited: 50 phones' worth of retries of one report
// (one Idempotency-Key, one address, all at once) under a limit of one
// submission, through the real HTTP stack and both backends. The first
// creates the report, every other one is its replay — none is refused —
// while a new report from the same address is.
func TestReplayIsNeverRateLimited(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			ls := startLive(t, be.Open(t), handlers.Config{SubmitRate: 1, SubmitBurst: 1})
			body := ls.report(t, "萃取槽分相慢")
			const n = 50

			type answer struct {
				status int
				resp   submitResp
			}
			answers := make([]answer, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					status, _, b := ls.post(t, body, "outbox-7f3a")
					answers[i].status = status
					_ = json.Unmarshal([]byte(b), &answers[i].resp)
				})
			}
			close(start)
			wg.Wait()

			counts := map[int]int{}
			for _, a := range answers {
				counts[a.status]++
			}
			if counts[http.StatusCreated] != 1 || counts[http.StatusOK] != n-1 {
				t.Fatalf("%d concurrent POSTs with one Idempotency-Key, limit 1: status counts %v, want exactly 1×201 and %d×200", n, counts, n-1)
			}
			first := answers[0].resp
			for i, a := range answers {
				if a.resp.ID == "" || a.resp.ID != first.ID || a.resp.Receipt != first.Receipt || a.resp.Status != "new" {
					t.Fatalf("answer %d = %+v, want the same report as answer 0 (%+v)", i, a.resp, first)
				}
			}

			// The limit still holds for new reports from the same address.
			status, h, b := ls.post(t, ls.report(t, "另一个问题"), "outbox-other")
			if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(b, `"rate_limited"`) {
				t.Errorf("POST of a new report (new key) after the burst = %d %s, Retry-After %q; want 429 rate_limited with Retry-After", status, b, h.Get("Retry-After"))
			}
			if status, _, b := ls.post(t, ls.report(t, "没有密钥"), ""); status != http.StatusTooManyRequests {
				t.Errorf("POST of a new report without a key after the burst = %d %s, want 429", status, b)
			}
			// The accepted key with another payload is what it always is.
			if status, _, b := ls.post(t, ls.report(t, "改过的标题"), "outbox-7f3a"); status != http.StatusUnprocessableEntity || !strings.Contains(b, `"idempotency_mismatch"`) {
				t.Errorf("POST of the accepted key with other content while limited = %d %s, want 422 idempotency_mismatch", status, b)
			}
			// And one more replay, later and alone, is still answered.
			if status, _, b := ls.post(t, body, "outbox-7f3a"); status != http.StatusOK || !strings.Contains(b, first.ID) {
				t.Errorf("a later replay while limited = %d %s, want 200 with report %s", status, b, first.ID)
			}

			// One report and one job were stored; no key is left locked.
			page, err := ls.store.FindReports(context.Background(), store.Filter{})
			if err != nil {
				t.Fatalf("FindReports: %v", err)
			}
			if len(page.Reports) != 1 || page.Reports[0].ID != first.ID {
				t.Errorf("stored reports = %d, want only %s", len(page.Reports), first.ID)
			}
			if qs, err := ls.store.QueueStats(context.Background(), store.QueueReport); err != nil || qs.Ready != 1 {
				t.Errorf("QueueStats = %+v, %v; want 1 job ready", qs, err)
			}
			if k := handlers.SubmittingKeys(ls.srv); k != 0 {
				t.Errorf("after every request ended, %d idempotency keys are still held", k)
			}

			res, err := http.Get(ls.url + "/metrics")
			if err != nil {
				t.Fatalf("GET /metrics: %v", err)
			}
			m, _ := io.ReadAll(res.Body)
			res.Body.Close()
			for _, want := range []string{
				`floorfeed_submissions_total{outcome="created"} 1`,
				`floorfeed_submissions_total{outcome="replayed"} 50`,
				`floorfeed_submissions_total{outcome="rate_limited"} 2`,
			} {
				if !strings.Contains(string(m), want) {
					t.Errorf("GET /metrics lacks %s", want)
				}
			}
		})
	}
}

// TestFormReplayWhileRateLimited: a browser that sends the form again (its
// answer was lost on bad Wi-Fi) while its address is over the limit is sent
// to the status page of the report it already made, not shown a refusal.
func TestFormReplayWhileRateLimited(t *testing.T) {
	e := newEnv(t, envOptions{config: handlers.Config{SubmitRate: 1, SubmitBurst: 1}})
	fields := map[string]string{
		"line": "sx-1", "token": e.token("sx-1"), "title": "表单重发", "category": "quality",
		"severity": "high", "lang": "zh", "idempotency_key": "form-7c1e",
	}
	post := func() *httptest.ResponseRecorder {
		ct, body := multipartBody(t, fields, nil)
		req := httptest.NewRequest(http.MethodPost, "/api/v1/reports", body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		return e.do(req)
	}
	first := post()
	if first.Code != http.StatusSeeOther {
		t.Fatalf("form post = %d %s, want 303", first.Code, first.Body)
	}
	again := post()
	if again.Code != http.StatusSeeOther || again.Header().Get("Location") != first.Header().Get("Location") {
		t.Errorf("form sent again while limited = %d to %q, want 303 to %q", again.Code, again.Header().Get("Location"), first.Header().Get("Location"))
	}
	fields["idempotency_key"], fields["title"] = "form-8d2f", "新的报告"
	if rec := post(); rec.Code != http.StatusTooManyRequests || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("a new form report while limited = %d %s, want a 429 page", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// reportsWithoutReplays is a store that cannot look submissions up.
type reportsWithoutReplays struct{ handlers.ReportReader }

func TestRateLimitNeedsReplays(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, err := handlers.New(handlers.Deps{
		Intake: e.intake, Reports: reportsWithoutReplays{e.store}, Tokens: e.tokens, Ready: e.store.Ping,
		Plant: e.plant, Signer: e.signer, Config: handlers.Config{SubmitRate: 10},
	})
	if err == nil || !strings.Contains(err.Error(), "Replays") {
		t.Fatalf("handlers.New(SubmitRate, no ReplayFinder) = %v, want an error naming Replays", err)
	}
	if _, err := handlers.New(handlers.Deps{
		Intake: e.intake, Reports: reportsWithoutReplays{e.store}, Replays: e.store, Tokens: e.tokens,
		Ready: e.store.Ping, Plant: e.plant, Signer: e.signer, Config: handlers.Config{SubmitRate: 10},
	}); err != nil {
		t.Fatalf("handlers.New(SubmitRate, Replays set) = %v, want it to work", err)
	}
}

// TestAdmittedReplayDoesNotCount: replays that the limiter admits (the
// client is within its limit) give their token back, so they never use up
// the allowance of the client's next new report.
func TestAdmittedReplayDoesNotCount(t *testing.T) {
	e := newEnv(t, envOptions{config: handlers.Config{SubmitRate: 1, SubmitBurst: 2}})
	body := e.validReport(map[string]any{"title": "重发三次"})
	if rec := e.postJSON(body, "Idempotency-Key", "retry-1"); rec.Code != http.StatusCreated {
		t.Fatalf("POST A = %d %s, want 201", rec.Code, rec.Body)
	}
	for i := range 3 {
		if rec := e.postJSON(body, "Idempotency-Key", "retry-1"); rec.Code != http.StatusOK {
			t.Fatalf("replay %d of A = %d %s, want 200", i+1, rec.Code, rec.Body)
		}
	}
	if rec := e.postJSON(e.validReport(map[string]any{"title": "第二个报告"}), "Idempotency-Key", "new-2"); rec.Code != http.StatusCreated {
		t.Fatalf("POST B (the second new report, burst 2) after replays of A = %d %s, want 201: the replays counted", rec.Code, rec.Body)
	}
	wantError(t, "POST C (the third new report)", e.postJSON(e.validReport(map[string]any{"title": "第三个"}), "Idempotency-Key", "new-3"),
		http.StatusTooManyRequests, "rate_limited")
}

// TestLimitedReplayNeedsTheToken: a rate-limited replay is answered from the
// store only with the line's right QR token, as Submit would require.
func TestLimitedReplayNeedsTheToken(t *testing.T) {
	e := newEnv(t, envOptions{config: handlers.Config{SubmitRate: 1, SubmitBurst: 1}})
	e.mustSubmit(map[string]any{"title": "要令牌"}, "Idempotency-Key", "tok-1")
	wantError(t, "limited replay with a wrong token", e.postJSON(e.validReport(map[string]any{"title": "要令牌", "token": "wrong"}), "Idempotency-Key", "tok-1"),
		http.StatusTooManyRequests, "rate_limited")
	if rec := e.postJSON(e.validReport(map[string]any{"title": "要令牌"}), "Idempotency-Key", "tok-1"); rec.Code != http.StatusOK {
		t.Errorf("limited replay with the right token = %d %s, want 200", rec.Code, rec.Body)
	}
}
