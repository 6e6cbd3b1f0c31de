package alert_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/alert"
	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/mail"
	"github.com/floorfeed/floorfeed/mail/mailtest"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
	"github.com/floorfeed/floorfeed/worker"
)

var reportAt = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

const secret = "webhook-secret-0123456789"

func testPlant(t *testing.T, lang, kind, url, sec string) *plant.Plant {
	t.Helper()
	hook := ""
	if kind != "" {
		hook = `, webhook: {kind: ` + kind + `, url: "` + url + `", secret: "` + sec + `"}`
	}
	p, err := plant.Parse([]byte(`
lines: [{id: sx-1, name: {zh: 萃取分离一线, en: Solvent Extraction Line 1}, team: separation}]
teams:
  - {id: separation, name: {zh: 分离工艺研发组, en: Separation R&D}, emails: [lead@plant.example], lang: ` + lang + hook + `}
`))
	if err != nil {
		t.Fatalf("plant.Parse: %v", err)
	}
	return p
}

// captured is one request a test webhook received.
type captured struct {
	query  map[string][]string
	header http.Header
	body   []byte
}

// hookServer answers like the robot of kind; fail makes the first n
// requests fail with 500.
type hookServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []captured
	fail int
}

func startHook(t *testing.T, kind string, fail int) *hookServer {
	h := &hookServer{fail: fail}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.reqs = append(h.reqs, captured{query: r.URL.Query(), header: r.Header.Clone(), body: b})
		failing := h.fail > 0
		h.fail--
		h.mu.Unlock()
		if failing || r.Method != http.MethodPost {
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		switch kind {
		case plant.WebhookWeCom, plant.WebhookDingTalk:
			_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
		case plant.WebhookFeishu:
			_, _ = io.WriteString(w, `{"code":0,"msg":"success","data":{}}`)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) requests() []captured {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]captured(nil), h.reqs...)
}

func submitCritical(t *testing.T, st store.Store) store.Report {
	t.Helper()
	sub := storetest.MakeSubmission("crit-1", reportAt, func(r *store.Report) {
		r.Severity = store.SeverityCritical
		r.Title = "3号萃取槽乳化严重 [紧急]"
		r.Body = "分相时间超过 40 分钟，有机相夹带水相。"
	})
	storetest.MustSubmit(t, st, sub)
	return sub.Report
}

func hmacSHA256(key, msg string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// TestWebhookFormats posts a critical report's alert to each kind of
// webhook and checks, independently of the code under test, the body the
// robot receives and its signature.
func TestWebhookFormats(t *testing.T) {
	now := reportAt.Add(2 * time.Second)
	for _, tc := range []struct {
		kind, secret string
		check        func(t *testing.T, c captured)
	}{
		{plant.WebhookGeneric, secret, func(t *testing.T, c captured) {
			ts := c.header.Get("X-Floorfeed-Timestamp")
			if ts != strconv.FormatInt(now.Unix(), 10) {
				t.Errorf("timestamp header = %q, want %d", ts, now.Unix())
			}
			want := "sha256=" + hex.EncodeToString(hmacSHA256(secret, ts+"."+string(c.body)))
			if got := c.header.Get("X-Floorfeed-Signature"); !hmac.Equal([]byte(got), []byte(want)) {
				t.Errorf("signature = %q, want %q", got, want)
			}
			var p struct {
				Event  string `json:"event"`
				Team   string `json:"team"`
				Report struct {
					ID, Title, Severity, Line, LineName string `json:"-"`
				} `json:"-"`
				R map[string]any `json:"report"`
			}
			if err := json.Unmarshal(c.body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Event != "report.critical" || p.Team != "separation" || p.R["severity"] != "critical" ||
				p.R["title"] != "3号萃取槽乳化严重 [紧急]" || p.R["line_name"] != "萃取分离一线" || !strings.HasSuffix(p.R["url"].(string), "/reports/"+p.R["id"].(string)) {
				t.Errorf("generic body = %s", c.body)
			}
		}},
		{plant.WebhookWeCom, "", func(t *testing.T, c captured) {
			var b struct {
				MsgType  string            `json:"msgtype"`
				Markdown map[string]string `json:"markdown"`
			}
			if err := json.Unmarshal(c.body, &b); err != nil {
				t.Fatal(err)
			}
			md := b.Markdown["content"]
			if b.MsgType != "markdown" || !strings.Contains(md, "萃取分离一线") || !strings.Contains(md, "3号萃取槽乳化严重 ［紧急］") || !strings.Contains(md, "](https://") {
				t.Errorf("wecom body = %s", c.body)
			}
		}},
		{plant.WebhookDingTalk, "SECdingtalk-secret", func(t *testing.T, c captured) {
			ts := c.query["timestamp"][0]
			if ts != strconv.FormatInt(now.UnixMilli(), 10) {
				t.Errorf("timestamp = %q, want %d (ms)", ts, now.UnixMilli())
			}
			want := base64.StdEncoding.EncodeToString(hmacSHA256("SECdingtalk-secret", ts+"\n"+"SECdingtalk-secret"))
			if got := c.query["sign"][0]; got != want {
				t.Errorf("sign = %q, want %q", got, want)
			}
			if c.query["access_token"][0] != "tok" {
				t.Errorf("access_token lost: %v", c.query)
			}
			var b struct {
				MsgType  string            `json:"msgtype"`
				Markdown map[string]string `json:"markdown"`
			}
			if err := json.Unmarshal(c.body, &b); err != nil {
				t.Fatal(err)
			}
			if b.MsgType != "markdown" || b.Markdown["title"] == "" || !strings.Contains(b.Markdown["text"], "分相时间超过 40 分钟") {
				t.Errorf("dingtalk body = %s", c.body)
			}
		}},
		{plant.WebhookDingTalk, "", func(t *testing.T, c captured) {
			if _, signed := c.query["sign"]; signed {
				t.Errorf("unsigned dingtalk robot got a sign: %v", c.query)
			}
		}},
		{plant.WebhookFeishu, "feishu-secret", func(t *testing.T, c captured) {
			var b struct {
				Timestamp string            `json:"timestamp"`
				Sign      string            `json:"sign"`
				MsgType   string            `json:"msg_type"`
				Content   map[string]string `json:"content"`
			}
			if err := json.Unmarshal(c.body, &b); err != nil {
				t.Fatal(err)
			}
			if b.Timestamp != strconv.FormatInt(now.Unix(), 10) {
				t.Errorf("timestamp = %q, want %d (s)", b.Timestamp, now.Unix())
			}
			// Feishu: the key is timestamp + "\n" + secret, the message empty.
			want := base64.StdEncoding.EncodeToString(hmacSHA256(b.Timestamp+"\n"+"feishu-secret", ""))
			if b.Sign != want {
				t.Errorf("sign = %q, want %q", b.Sign, want)
			}
			if b.MsgType != "text" || !strings.Contains(b.Content["text"], "3号萃取槽乳化严重 [紧急]") {
				t.Errorf("feishu body = %s", c.body)
			}
		}},
	} {
		t.Run(tc.kind+map[bool]string{true: "-signed", false: ""}[tc.secret != ""], func(t *testing.T) {
			st := backends.Bolt(t)
			r := submitCritical(t, st)
			hook := startHook(t, tc.kind, 0)
			p := testPlant(t, "zh", tc.kind, hook.URL+"/robot/send?access_token=tok", tc.secret)
			log := delivery.NewLog(st, func() time.Time { return now })
			h, err := alert.NewHandler(alert.Deps{Reports: st, Plant: p, Outbox: delivery.NewOutbox(st, st, log, nil), Log: log,
				BaseURL: "https://floorfeed.plant.example", Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			job, _ := alert.FollowUp(r)
			job.Attempt = 1
			if err := h.Handle(context.Background(), job); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			reqs := hook.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d webhook requests, want 1", len(reqs))
			}
			if ct := reqs[0].header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("content type %q", ct)
			}
			tc.check(t, reqs[0])
			d, err := log.Get(context.Background(), delivery.DeliveryKey(r.CreatedAt, delivery.KindAlert, r.ID, delivery.ChannelWebhook))
			if err != nil || d.Result != delivery.ResultSent || d.Attempts != 1 || !strings.HasPrefix(d.Target, tc.kind+" 127.0.0.1") || strings.Contains(d.Target, "tok") {
				t.Errorf("webhook delivery = %+v, %v", d, err)
			}
		})
	}
}

// TestRobotRefusal: a robot answering 200 with an error code (a bad
// signature) fails the attempt; the last attempt is recorded as failed.
func TestRobotRefusal(t *testing.T) {
	st := backends.Bolt(t)
	r := submitCritical(t, st)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"errcode":310000,"errmsg":"sign not match"}`)
	}))
	t.Cleanup(srv.Close)
	p := testPlant(t, "en", plant.WebhookDingTalk, srv.URL+"/robot/send?access_token=x", "SECwrong")
	log := delivery.NewLog(st, nil)
	h, _ := alert.NewHandler(alert.Deps{Reports: st, Plant: p, Outbox: delivery.NewOutbox(st, st, log, nil), Log: log})
	job, _ := alert.FollowUp(r)
	key := delivery.DeliveryKey(r.CreatedAt, delivery.KindAlert, r.ID, delivery.ChannelWebhook)
	for attempt := 1; attempt <= store.MaxAttempts; attempt++ {
		job.Attempt = attempt
		err := h.Handle(context.Background(), job)
		if err == nil || !strings.Contains(err.Error(), "310000") {
			t.Fatalf("attempt %d: Handle = %v, want the robot's refusal", attempt, err)
		}
		d, _ := log.Get(context.Background(), key)
		want := delivery.ResultRetrying
		if attempt == store.MaxAttempts {
			want = delivery.ResultFailed
		}
		if d.Result != want || d.Attempts != attempt {
			t.Errorf("after attempt %d: delivery %s with %d attempts, want %s", attempt, d.Result, d.Attempts, want)
		}
	}
}

// TestAlertOncePerCriticalReport runs the real path: the report job runs
// twice (an at-least-once redelivery), the alert job's first webhook post
// fails and is retried; the team gets one e-mail (at a real SMTP server) and
// one webhook post, and a non-critical report none.
func TestAlertOncePerCriticalReport(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			st := be.Open(t)
			r := submitCritical(t, st)
			low := storetest.MakeSubmission("low-1", reportAt.Add(time.Second), func(r *store.Report) { r.Severity = store.SeverityHigh })
			storetest.MustSubmit(t, st, low)
			hook := startHook(t, plant.WebhookGeneric, 1)
			p := testPlant(t, "zh", plant.WebhookGeneric, hook.URL+"/hook", secret)
			smtp := mailtest.Start(t, mailtest.Options{Username: "ff", Password: "pw"})
			sender, err := mail.New(smtp.Config("floorfeed@plant.example"))
			if err != nil {
				t.Fatal(err)
			}
			clock := testutil.NewClock(reportAt.Add(time.Second))
			log := delivery.NewLog(st, clock.Now)
			ah, _ := alert.NewHandler(alert.Deps{Reports: st, Plant: p, Outbox: delivery.NewOutbox(st, st, log, clock.Now), Log: log,
				Email: true, BaseURL: "https://floorfeed.plant.example", Now: clock.Now})

			proc := intake.NewProcessor(st, clock.Now, alert.FollowUp)
			for range 2 {
				for _, id := range []string{r.ID, low.Report.ID} {
					if err := proc.Handle(ctx, store.Job{Type: store.JobProcessReport, ReportID: id}); err != nil {
						t.Fatal(err)
					}
				}
			}
			w := worker.New(worker.Deps{Queue: st, Handlers: map[string]worker.Handler{
				store.JobAlert: ah.Handle, store.JobMail: delivery.NewMailHandler(st, log, sender, nil).Handle},
				Backoff: func(int) time.Duration { return 5 * time.Millisecond }},
				worker.Config{Pools: []worker.Pool{{Queue: store.QueueAlert}, {Queue: store.QueueMail}}, PollInterval: 10 * time.Millisecond, Consumer: "t"})
			wctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); _ = w.Run(wctx) }()
			t.Cleanup(func() { cancel(); <-done })

			msgs := smtp.WaitFor(1, 20*time.Second)
			waitSent(t, log, delivery.DeliveryKey(r.CreatedAt, delivery.KindAlert, r.ID, delivery.ChannelWebhook))
			waitSent(t, log, delivery.DeliveryKey(r.CreatedAt, delivery.KindAlert, r.ID, delivery.ChannelEmail))
			waitIdle(t, st)
			if n := len(smtp.Messages()); n != 1 {
				t.Errorf("%d alert e-mails, want 1", n)
			}
			if n := len(hook.requests()); n != 2 {
				t.Errorf("%d webhook requests, want 2 (one failed, one sent)", n)
			}
			m, err := mailtest.Parse(msgs[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Subject, "萃取分离一线") || !strings.HasSuffix(m.Subject, "：3号萃取槽乳化严重 [紧急]") {
				t.Errorf("alert subject = %q", m.Subject)
			}
			if !strings.Contains(m.Text, "分相时间超过 40 分钟") || !strings.Contains(m.Text, "https://floorfeed.plant.example/reports/"+r.ID) {
				t.Errorf("alert text:\n%s", m.Text)
			}
			if be.Name == "bolt" {
				t.Logf("the alert e-mail as received:\n%s", msgs[0].Data)
			}
			page, err := log.List(ctx, delivery.ListQuery{Kind: delivery.KindAlert})
			if err != nil || len(page.Deliveries) != 2 {
				t.Errorf("alert deliveries = %+v, %v; want e-mail and webhook", page, err)
			}
		})
	}
}

func waitSent(t *testing.T, log *delivery.Log, key string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if d, err := log.Get(context.Background(), key); err == nil && d.Result == delivery.ResultSent {
			return
		}
		time.Sleep(10 * time.Millisecond) // polling the store: the worker runs in its own goroutines
	}
	t.Fatalf("delivery %s not sent after 20s", key)
}

func waitIdle(t *testing.T, st store.Store) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		busy := int64(0)
		for _, q := range []string{store.QueueAlert, store.QueueMail} {
			s, err := st.QueueStats(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			busy += s.Ready + s.InFlight
		}
		if busy == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond) // polling the queue's counters
	}
	t.Fatal("alert and mail queues still busy")
}
