package delivery_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/mail"
	"github.com/floorfeed/floorfeed/mail/mailtest"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

var slot = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // Monday 08:00 in Shanghai

type countingRenderer struct {
	mu    sync.Mutex
	calls int
	theme string
}

func (r *countingRenderer) RenderBrief(_ context.Context, spec delivery.BriefSpec) (delivery.RenderedBrief, error) {
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
	return delivery.RenderedBrief{ID: "b1", PDF: mailtest.MinimalPDF("x"),
		Headline: delivery.Headline{Reports: 12, Critical: 2, PreviousReports: 9, Open: 5, Resolved: 4, Votes: 7, MedianResponse: 210 * time.Minute},
		Themes:   []delivery.Theme{{Title: r.theme, Terms: []string{"pump", "oil leak"}, Reports: 4, Votes: 2, Lines: []string{"sx-1", "gone-line"}}}}, nil
}

func mustPlant(t *testing.T, lang string) *plant.Plant {
	t.Helper()
	p, err := plant.Parse([]byte(`
lines: [{id: sx-1, name: {zh: 萃取分离一线, en: Solvent Extraction Line 1}, team: separation}]
teams: [{id: separation, name: {zh: 分离工艺研发组, en: Separation R&D}, emails: [a@plant.example], schedule: "0 8 * * 1", lang: ` + lang + `}]
`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func briefJob(t *testing.T) store.Job {
	t.Helper()
	b, _ := json.Marshal(delivery.BriefJob{Team: "separation", Slot: slot, From: slot.AddDate(0, 0, -7), To: slot})
	return store.Job{ID: delivery.BriefJobID("separation", slot), Type: store.JobBrief, Payload: b, Attempt: 1}
}

// TestBriefJobRendersOnce: a redelivered brief job does not render again
// and enqueues its mail job once.
func TestBriefJobRendersOnce(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			st := be.Open(t)
			r := &countingRenderer{theme: "泵漏油"}
			log := delivery.NewLog(st, nil)
			h, err := delivery.NewBriefHandler(delivery.BriefHandlerDeps{Renderer: r, Outbox: delivery.NewOutbox(st, st, log, nil), Plant: mustPlant(t, "zh")})
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if err := h.Handle(context.Background(), briefJob(t)); err != nil {
					t.Fatalf("Handle: %v", err)
				}
			}
			stats, err := st.QueueStats(context.Background(), store.QueueMail)
			if err != nil || r.calls != 1 || stats.Ready != 1 {
				t.Fatalf("%d renders, mail queue %+v (%v); want 1 render and 1 mail job", r.calls, stats, err)
			}
			d, err := log.Get(context.Background(), delivery.BriefDeliveryKey("separation", slot))
			if err != nil || d.Result != delivery.ResultPending || d.BriefID != "b1" || d.Subject == "" {
				t.Fatalf("delivery = %+v, %v; want pending with brief id and subject", d, err)
			}
		})
	}
}

// TestEnglishBriefMail composes an English brief's e-mail and reads it as
// rendered: subject, numbers, themes, and a hostile title escaped in HTML.
func TestEnglishBriefMail(t *testing.T) {
	st := backends.Bolt(t)
	r := &countingRenderer{theme: `Pump <script>alert(1)</script> leaking oil`}
	log := delivery.NewLog(st, nil)
	h, _ := delivery.NewBriefHandler(delivery.BriefHandlerDeps{Renderer: r, Outbox: delivery.NewOutbox(st, st, log, nil), Plant: mustPlant(t, "en"), BaseURL: "https://ff.example/"})
	if err := h.Handle(context.Background(), briefJob(t)); err != nil {
		t.Fatal(err)
	}
	var sent []mail.Message
	mh := delivery.NewMailHandler(st, log, mailerFunc(func(m mail.Message) (string, error) { sent = append(sent, m); return "<id@x>", nil }), nil)
	jobs, err := st.Claim(context.Background(), store.QueueMail, "t", 10, time.Minute)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("Claim = %d, %v", len(jobs), err)
	}
	for range 2 { // a redelivery after success sends nothing more
		if err := mh.Handle(context.Background(), jobs[0]); err != nil {
			t.Fatal(err)
		}
	}
	if len(sent) != 1 {
		t.Fatalf("%d sent, want 1", len(sent))
	}
	m := sent[0]
	if want := "Floorfeed brief | Separation R&D | 2026-11-23 to 2026-11-30 | 12 reports, 2 critical"; m.Subject != want {
		t.Errorf("subject = %q, want %q", m.Subject, want)
	}
	for _, want := range []string{"Separation R&D brief", "Period: 2026-11-23 08:00 to 2026-11-30 08:00 (Asia/Shanghai)", "12 reports (previous period 9, +33%)",
		"Median time to first response: 3.5 h", "4 reports, 2 “me too”; Solvent Extraction Line 1, gone-line; terms: pump, oil leak",
		"Online: https://ff.example/api/v1/briefs/b1.pdf"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("HTML does not escape the title:\n%s", m.HTML)
	}
	if m.Attachments[0].Name != "floorfeed-brief-separation-2026-11-30.pdf" {
		t.Errorf("attachment name %q", m.Attachments[0].Name)
	}
	d, _ := log.Get(context.Background(), delivery.BriefDeliveryKey("separation", slot))
	if d.Result != delivery.ResultSent || d.MessageID != "<id@x>" || d.Attempts != 1 {
		t.Errorf("delivery = %+v", d)
	}
}

type mailerFunc func(mail.Message) (string, error)

func (f mailerFunc) Send(_ context.Context, m mail.Message) (string, error) { return f(m) }

// TestMailWithoutSMTP: with no SMTP configured the mail job fails, saying
// why, and its last attempt is recorded as failed.
func TestMailWithoutSMTP(t *testing.T) {
	st := backends.Bolt(t)
	log := delivery.NewLog(st, nil)
	h, _ := delivery.NewBriefHandler(delivery.BriefHandlerDeps{Renderer: &countingRenderer{}, Outbox: delivery.NewOutbox(st, st, log, nil), Plant: mustPlant(t, "zh")})
	if err := h.Handle(context.Background(), briefJob(t)); err != nil {
		t.Fatal(err)
	}
	jobs, _ := st.Claim(context.Background(), store.QueueMail, "t", 1, time.Minute)
	mh := delivery.NewMailHandler(st, log, nil, nil)
	for attempt := 1; attempt <= store.MaxAttempts; attempt++ {
		jobs[0].Attempt = attempt
		if err := mh.Handle(context.Background(), jobs[0]); err == nil || !strings.Contains(err.Error(), "FLOORFEED_SMTP_HOST") {
			t.Fatalf("Handle = %v, want the missing configuration named", err)
		}
	}
	d, _ := log.Get(context.Background(), delivery.BriefDeliveryKey("separation", slot))
	if d.Result != delivery.ResultFailed || d.Attempts != store.MaxAttempts {
		t.Errorf("delivery = %s after %d attempts, want failed after %d", d.Result, d.Attempts, store.MaxAttempts)
	}
}

type failingRenderer struct{ fails int }

func (r *failingRenderer) RenderBrief(ctx context.Context, spec delivery.BriefSpec) (delivery.RenderedBrief, error) {
	if r.fails > 0 {
		r.fails--
		return delivery.RenderedBrief{}, errors.New("font missing")
	}
	return (&countingRenderer{theme: "t"}).RenderBrief(ctx, spec)
}

// TestRenderFailureRecorded: a brief that fails to render is in the log
// (retrying), and once it renders it is queued like any other.
func TestRenderFailureRecorded(t *testing.T) {
	st := backends.Bolt(t)
	log := delivery.NewLog(st, nil)
	h, _ := delivery.NewBriefHandler(delivery.BriefHandlerDeps{Renderer: &failingRenderer{fails: 1}, Outbox: delivery.NewOutbox(st, st, log, nil), Plant: mustPlant(t, "zh")})
	if err := h.Handle(context.Background(), briefJob(t)); err == nil || !strings.Contains(err.Error(), "font missing") {
		t.Fatalf("Handle = %v, want the render error", err)
	}
	key := delivery.BriefDeliveryKey("separation", slot)
	if d, err := log.Get(context.Background(), key); err != nil || d.Result != delivery.ResultRetrying || !strings.Contains(d.Error, "font missing") {
		t.Fatalf("delivery after a failed render = %+v, %v", d, err)
	}
	if err := h.Handle(context.Background(), briefJob(t)); err != nil {
		t.Fatal(err)
	}
	if d, _ := log.Get(context.Background(), key); d.Result != delivery.ResultPending || d.Error != "" || d.Subject == "" {
		t.Fatalf("delivery after the retry = %+v, want pending with its subject", d)
	}
	if s, _ := st.QueueStats(context.Background(), store.QueueMail); s.Ready != 1 {
		t.Fatalf("mail queue %+v, want 1 job", s)
	}
}
