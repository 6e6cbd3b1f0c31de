package schedule_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/mail/mailtest"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
	"github.com/floorfeed/floorfeed/store/redisstore"
)

// opener opens a handle on one store's data; each call is a new instance
// (a new connection, or the bolt file opened again after the last handle
// was closed).
type opener func(t *testing.T) store.Store

func backendOpeners(t *testing.T) map[string]func(t *testing.T) opener {
	return map[string]func(t *testing.T) opener{
		"bolt": func(t *testing.T) opener {
			path := filepath.Join(t.TempDir(), "floorfeed.db")
			return func(t *testing.T) store.Store {
				st, err := boltstore.Open(path, boltstore.Options{})
				if err != nil {
					t.Fatalf("boltstore.Open: %v", err)
				}
				t.Cleanup(func() { _ = st.Close() })
				return st
			}
		},
		"redis": func(t *testing.T) opener {
			rs := testutil.StartRedis(t)
			return func(t *testing.T) store.Store {
				st, err := redisstore.Open(context.Background(), rs.URL, redisstore.Options{})
				if err != nil {
					t.Fatalf("redisstore.Open: %v", err)
				}
				t.Cleanup(func() { _ = st.Close() })
				return st
			}
		},
	}
}

func forEachBackend(t *testing.T, f func(t *testing.T, name string, open opener)) {
	for _, name := range []string{"bolt", "redis"} {
		t.Run(name, func(t *testing.T) { f(t, name, backendOpeners(t)[name](t)) })
	}
}

// TestOneEmailPerSlot: the brief arrives once per slot at a real SMTP server
// (STARTTLS, AUTH PLAIN) with a valid PDF and the Chinese subject intact,
// however often the scheduler ticks.
func TestOneEmailPerSlot(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string, open opener) {
		st := open(t)
		p := mustPlant(t)
		clock := testutil.NewClock(monday0759)
		r := &fakeRenderer{}
		smtp := mailtest.Start(t, mailtest.Options{Username: "floorfeed", Password: "pw-123456"})
		runWorker(t, st, p, clock.Now, r, smtp.Config("Floorfeed <floorfeed@plant.example>"))
		s := newStack(t, st, p, clock.Now, r, "a")

		tick(t, s.sched) // 07:59: first seen, nothing due
		clock.Advance(65 * time.Second)
		for range 3 {
			tick(t, s.sched)
		}
		slot := time.Date(2026, 11, 30, 8, 0, 0, 0, shanghai)
		d := waitDelivery(t, s.log, delivery.BriefDeliveryKey("separation", slot), delivery.ResultSent)
		waitIdle(t, st)
		tick(t, s.sched)
		waitIdle(t, st)

		msgs := smtp.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d messages for one slot, want 1", len(msgs))
		}
		if name == "bolt" {
			t.Logf("the e-mail as received:\n%s", msgs[0].Data)
		}
		m, err := mailtest.Parse(msgs[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		wantSubject := "Floorfeed 简报｜分离工艺研发组｜2026-11-23 至 2026-11-30｜报告 12 条，严重 2 条"
		if m.Subject != wantSubject {
			t.Errorf("subject = %q, want %q", m.Subject, wantSubject)
		}
		for _, want := range []string{"时间段：2026-11-23 08:00 至 2026-11-30 08:00（Asia/Shanghai）", "报告 12 条（上期 9 条，+33%）",
			"首次回复时间中位数：3.5 小时", "1. 萃取槽乳化，分相慢", "萃取分离一线", "https://floorfeed.plant.example/api/v1/briefs/brief-1.pdf"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("text body lacks %q:\n%s", want, m.Text)
			}
		}
		if !strings.Contains(m.HTML, "<strong>萃取槽乳化，分相慢</strong>") || !strings.Contains(m.HTML, `lang="zh-CN"`) {
			t.Errorf("HTML body:\n%s", m.HTML)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].ContentType != "application/pdf" || m.Attachments[0].Name != "Floorfeed简报-分离工艺研发组-2026-11-30.pdf" {
			t.Fatalf("attachments: %d (%+v)", len(m.Attachments), names(m.Attachments))
		}
		checkPDF(t, m.Attachments[0].Data, "Brief separation 1")
		if got := strings.Join(msgs[0].To, ","); got != "lead@plant.example,rnd@plant.example" {
			t.Errorf("recipients = %s", got)
		}
		if d.MessageID == "" || d.MessageID != m.Header.Get("Message-Id") || d.Attempts != 1 || d.BriefID != "brief-1" ||
			!d.From.Equal(slot.AddDate(0, 0, -7)) || !d.To.Equal(slot) || d.Team != "separation" || len(d.Recipients) != 2 {
			t.Errorf("delivery record = %+v (message id header %q)", d, m.Header.Get("Message-Id"))
		}
		specs := r.Specs()
		if len(specs) != 1 || specs[0].MinSeverity != "medium" || len(specs[0].Lines) != 2 || specs[0].Lang.String() != "zh" {
			t.Fatalf("renders = %+v, want one with the team's filter, in zh", specs)
		}

		// The next week's slot: one more, its period starting where the first ended.
		clock.Advance(7 * 24 * time.Hour)
		tick(t, s.sched)
		tick(t, s.sched)
		next := slot.AddDate(0, 0, 7)
		d2 := waitDelivery(t, s.log, delivery.BriefDeliveryKey("separation", next), delivery.ResultSent)
		waitIdle(t, st)
		if n := len(smtp.Messages()); n != 2 {
			t.Errorf("%d messages after two slots, want 2", n)
		}
		if !d2.From.Equal(slot) || !d2.To.Equal(next) {
			t.Errorf("second period = %s – %s, want %s – %s", d2.From, d2.To, slot, next)
		}
		page, err := s.log.List(context.Background(), delivery.ListQuery{Team: "separation"})
		if err != nil || len(page.Deliveries) != 2 || page.Deliveries[0].Key != d2.Key {
			t.Errorf("List = %+v, %v; want both, newest first", page, err)
		}
	})
}

func names(ps []mailtest.Part) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name+" "+p.ContentType)
	}
	return out
}

// TestRacingSchedulersSendOnce: instances racing for one slot (two
// connections to one Redis, or goroutines on one bolt store) send once.
func TestRacingSchedulersSendOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string, open opener) {
		p := mustPlant(t)
		clock := testutil.NewClock(monday0759)
		r := &fakeRenderer{}
		smtp := mailtest.Start(t, mailtest.Options{})
		first := open(t)
		instances := []*stack{newStack(t, first, p, clock.Now, r, "a")}
		if name == "redis" {
			instances = append(instances, newStack(t, open(t), p, clock.Now, r, "b"))
		} else {
			instances = append(instances, newStack(t, first, p, clock.Now, r, "b"))
		}
		// Both see the team first before the slot, then race at 08:00:01.
		var wg sync.WaitGroup
		for _, in := range instances {
			wg.Go(func() { tick(t, in.sched) })
		}
		wg.Wait()
		clock.Advance(61 * time.Second)
		start := make(chan struct{})
		for _, in := range instances {
			for range 4 {
				wg.Go(func() { <-start; tick(t, in.sched) })
			}
		}
		close(start)
		wg.Wait()
		for _, in := range instances { // each instance runs its own worker
			runWorker(t, in.st, p, clock.Now, r, smtp.Config("floorfeed@plant.example"))
		}
		slot := time.Date(2026, 11, 30, 8, 0, 0, 0, shanghai)
		waitDelivery(t, instances[0].log, delivery.BriefDeliveryKey("separation", slot), delivery.ResultSent)
		for _, in := range instances {
			waitIdle(t, in.st)
		}
		if n, renders := len(smtp.Messages()), len(r.Specs()); n != 1 || renders != 1 {
			t.Fatalf("%d messages and %d renders for one slot raced by %d schedulers, want 1 and 1", n, renders, 8)
		}
	})
}

// TestRestartAfterMissedSlots: a slot missed while nothing ran is sent once
// when an instance comes back; after three missed slots, one brief covers
// the whole gap, up to when it is made.
func TestRestartAfterMissedSlots(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string, open opener) {
		p := mustPlant(t)
		clock := testutil.NewClock(monday0759)
		r := &fakeRenderer{}
		smtp := mailtest.Start(t, mailtest.Options{})
		cfg := smtp.Config("floorfeed@plant.example")
		slot := time.Date(2026, 11, 30, 8, 0, 0, 0, shanghai)

		// First life: the 11-30 slot is sent.
		func() {
			t.Run("first life", func(t *testing.T) {
				st := open(t)
				runWorker(t, st, p, clock.Now, r, cfg)
				s := newStack(t, st, p, clock.Now, r, "a")
				tick(t, s.sched)
				clock.Advance(time.Minute)
				tick(t, s.sched)
				waitDelivery(t, s.log, delivery.BriefDeliveryKey("separation", slot), delivery.ResultSent)
				waitIdle(t, st)
			}) // its store and worker close at the end of the subtest: the server is down
		}()
		// Down through the 12-07, 12-14 and 12-21 slots; back on 12-21 at 10:00.
		clock.Advance(21*24*time.Hour + 2*time.Hour)
		st := open(t)
		runWorker(t, st, p, clock.Now, r, cfg)
		s := newStack(t, st, p, clock.Now, r, "a")
		for range 3 {
			tick(t, s.sched)
		}
		latest := time.Date(2026, 12, 21, 8, 0, 0, 0, shanghai)
		d := waitDelivery(t, s.log, delivery.BriefDeliveryKey("separation", latest), delivery.ResultSent)
		waitIdle(t, st)
		tick(t, s.sched)
		waitIdle(t, st)
		msgs := smtp.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d messages after one sent slot and three missed, want 2", len(msgs))
		}
		back := time.Date(2026, 12, 21, 10, 0, 0, 0, shanghai)
		if !d.From.Equal(slot) || !d.To.Equal(back) {
			t.Errorf("catch-up period = %s – %s, want %s – %s (the whole gap)", d.From.In(shanghai), d.To.In(shanghai), slot, back)
		}
		m, err := mailtest.Parse(msgs[1].Data)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, "错过了计划发送时间") || !strings.Contains(m.Text, "2026-11-30 08:00 至 2026-12-21 10:00") {
			t.Errorf("catch-up text lacks the late notice or period:\n%s", m.Text)
		}
		for _, missed := range []time.Time{slot.AddDate(0, 0, 7), slot.AddDate(0, 0, 14)} {
			if _, err := s.log.Get(context.Background(), delivery.BriefDeliveryKey("separation", missed)); err == nil {
				t.Errorf("missed slot %s has a delivery of its own", missed)
			}
		}
		// The next slot is on time again, from where the catch-up ended.
		clock.Advance(7*24*time.Hour - 2*time.Hour + time.Minute)
		tick(t, s.sched)
		d3 := waitDelivery(t, s.log, delivery.BriefDeliveryKey("separation", latest.AddDate(0, 0, 7)), delivery.ResultSent)
		if !d3.From.Equal(back) || !d3.To.Equal(latest.AddDate(0, 0, 7)) {
			t.Errorf("period after catch-up = %s – %s, want %s – %s", d3.From, d3.To, back, latest.AddDate(0, 0, 7))
		}
	})
}

// TestSMTPOutage: with the SMTP server down, the mail job is retried with
// backoff, then dead-lettered and its delivery recorded as failed; retried
// from the dead letters once the server is back, it is sent.
func TestSMTPOutage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, name string, open opener) {
		st := open(t)
		p := mustPlant(t)
		clock := testutil.NewClock(monday0759)
		r := &fakeRenderer{}
		smtp := mailtest.Start(t, mailtest.Options{Username: "floorfeed", Password: "pw-123456"})
		runWorker(t, st, p, clock.Now, r, smtp.Config("floorfeed@plant.example"))
		smtp.Stop()
		s := newStack(t, st, p, clock.Now, r, "a")
		tick(t, s.sched)
		clock.Advance(time.Minute)
		tick(t, s.sched)
		slot := time.Date(2026, 11, 30, 8, 0, 0, 0, shanghai)
		key := delivery.BriefDeliveryKey("separation", slot)
		d := waitDelivery(t, s.log, key, delivery.ResultFailed)
		if d.Attempts != store.MaxAttempts || !strings.Contains(d.Error, "send mail via") {
			t.Errorf("failed delivery = %+v, want %d attempts and the connect error", d, store.MaxAttempts)
		}
		waitIdle(t, st)
		dead, err := st.DeadLetters(context.Background(), 10)
		if err != nil || len(dead) != 1 || dead[0].Type != store.JobMail || dead[0].Attempt != store.MaxAttempts {
			t.Fatalf("dead letters = %+v, %v; want the mail job after %d attempts", dead, err, store.MaxAttempts)
		}
		if n := len(r.Specs()); n != 1 {
			t.Errorf("%d renders, want 1: retries resend, never re-render", n)
		}
		smtp.Restart()
		if err := st.RetryDead(context.Background(), dead[0].ID); err != nil {
			t.Fatal(err)
		}
		d = waitDelivery(t, s.log, key, delivery.ResultSent)
		waitIdle(t, st)
		if n := len(smtp.Messages()); n != 1 || d.Attempts != store.MaxAttempts+1 || d.Error != "" {
			t.Errorf("after the retry: %d messages, delivery %+v; want 1, sent on attempt %d", n, d, store.MaxAttempts+1)
		}
	})
}

func checkPDF(t *testing.T, data []byte, want string) {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("attachment is not a PDF: %.20q", data)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if testutil.InCI() {
			t.Fatal("pdftotext missing in CI")
		}
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	path := filepath.Join(t.TempDir(), "brief.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", path, "-").CombinedOutput()
	if err != nil || !strings.Contains(string(out), want) {
		t.Fatalf("pdftotext = %q, %v; want %q", out, err, want)
	}
}
