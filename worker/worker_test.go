package worker_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
	"github.com/floorfeed/floorfeed/store/storetest"
	"github.com/floorfeed/floorfeed/worker"
)

func openStore(t *testing.T) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "ff.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("boltstore.Open = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// outcomes records what the worker reported for each delivery.
type outcomes struct {
	mu  sync.Mutex
	got []string
}

func (o *outcomes) observe(_, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, outcome)
}

func (o *outcomes) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.got...)
}

// start runs w until the test ends and returns a func that stops it and
// waits for Run to return.
func start(t *testing.T, w *worker.Worker) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run = %v, want nil", err)
				}
			case <-time.After(15 * time.Second):
				t.Errorf("Run did not return 15s after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestProcessReportMarksReceivedOnce(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var subs []store.Submission
	for i := range 12 {
		sub := storetest.MakeSubmission(string(rune('a'+i)), base.Add(time.Duration(i)*time.Minute), nil)
		storetest.MustSubmit(t, s, sub)
		subs = append(subs, sub)
	}
	now := base.Add(time.Hour)
	obs := &outcomes{}
	var waits atomic.Int32
	w := worker.New(worker.Deps{
		Queue:    s,
		Handlers: map[string]worker.Handler{store.JobProcessReport: worker.ProcessReport(s, func() time.Time { return now })},
		Observe:  obs.observe,
		ObserveWait: func(jobType string, wait time.Duration) {
			// The jobs were enqueued "in" November 2026 at base: they waited.
			if jobType == store.JobProcessReport && wait > 0 {
				waits.Add(1)
			}
		},
	}, worker.Config{Concurrency: 3, PollInterval: 20 * time.Millisecond})
	stop := start(t, w)
	waitFor(t, "12 jobs processed", func() bool { return len(obs.list()) == 12 })
	stop()
	for _, o := range obs.list() {
		if o != worker.OutcomeOK {
			t.Fatalf("outcomes = %v, want all ok", obs.list())
		}
	}
	if n := waits.Load(); n != 12 {
		t.Fatalf("ObserveWait saw %d first deliveries with a wait, want 12", n)
	}
	for _, sub := range subs {
		r, err := s.Report(ctx, sub.Report.ID)
		if err != nil {
			t.Fatalf("Report = %v", err)
		}
		if r.Status != store.StatusReceived || r.ProcessedAt == nil || !r.ProcessedAt.Equal(now) || len(r.History) != 2 {
			t.Fatalf("after processing report = status %s processed %v history %d, want received at %v with 2 entries", r.Status, r.ProcessedAt, len(r.History), now)
		}
		if e := r.History[1]; e.Action != store.ActionProcessed || e.From != "new" || e.To != "received" {
			t.Fatalf("history entry = %+v, want processed new→received", e)
		}
	}
	if st, _ := s.QueueStats(ctx, store.QueueReport); st != (store.QueueStats{}) {
		t.Fatalf("QueueStats after processing = %+v, want empty", st)
	}

	// A redelivery (at-least-once) changes nothing.
	h := worker.ProcessReport(s, func() time.Time { return now.Add(time.Hour) })
	if err := h(ctx, store.Job{Type: store.JobProcessReport, ReportID: subs[0].Report.ID}); err != nil {
		t.Fatalf("second run = %v", err)
	}
	r, _ := s.Report(ctx, subs[0].Report.ID)
	if len(r.History) != 2 || !r.ProcessedAt.Equal(now) {
		t.Fatalf("redelivery changed the report: history %d, processed %v", len(r.History), r.ProcessedAt)
	}
}

func TestFailingJobRetriesThenDeadLetters(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	sub := storetest.MakeSubmission("x", time.Now(), nil)
	storetest.MustSubmit(t, s, sub)
	var calls atomic.Int32
	obs := &outcomes{}
	w := worker.New(worker.Deps{
		Queue: s,
		Handlers: map[string]worker.Handler{store.JobProcessReport: func(context.Context, store.Job) error {
			if calls.Add(1) == 3 {
				panic("third time unlucky")
			}
			return errors.New("downstream refused")
		}},
		Observe: obs.observe,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond },
	}, worker.Config{PollInterval: 10 * time.Millisecond})
	start(t, w)
	waitFor(t, "dead letter", func() bool {
		st, _ := s.QueueStats(ctx, store.QueueReport)
		return st.Dead == 1
	})
	if n := calls.Load(); n != store.MaxAttempts {
		t.Fatalf("handler ran %d times, want %d", n, store.MaxAttempts)
	}
	want := []string{worker.OutcomeFailed, worker.OutcomeFailed, worker.OutcomeFailed, worker.OutcomeFailed, worker.OutcomeDead}
	waitFor(t, "5 outcomes", func() bool { return len(obs.list()) == 5 })
	for i, o := range obs.list() {
		if o != want[i] {
			t.Fatalf("outcomes = %v, want %v", obs.list(), want)
		}
	}
	dead, err := s.DeadLetters(ctx, 5)
	if err != nil || len(dead) != 1 || dead[0].LastError != "downstream refused" {
		t.Fatalf("DeadLetters = %+v, %v; want the job with its last error", dead, err)
	}
}

func TestShutdownReleasesRunningJob(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	sub := storetest.MakeSubmission("slow", time.Now(), nil)
	storetest.MustSubmit(t, s, sub)
	started := make(chan struct{})
	obs := &outcomes{}
	w := worker.New(worker.Deps{
		Queue: s,
		Handlers: map[string]worker.Handler{store.JobProcessReport: func(ctx context.Context, _ store.Job) error {
			close(started)
			<-ctx.Done() // a job that only stops when told to
			return ctx.Err()
		}},
		Observe: obs.observe,
	}, worker.Config{Lease: time.Hour, DrainTimeout: 100 * time.Millisecond, PollInterval: 10 * time.Millisecond})
	stop := start(t, w)
	<-started
	stop()
	if got := obs.list(); len(got) != 1 || got[0] != worker.OutcomeReleased {
		t.Fatalf("outcomes = %v, want [released]", got)
	}
	// Released, not waiting out its one-hour lease: another worker gets it now.
	jobs, err := s.Claim(ctx, store.QueueReport, "next", 1, time.Minute)
	if err != nil || len(jobs) != 1 || jobs[0].ID != sub.Job.ID {
		t.Fatalf("Claim after shutdown = %+v, %v; want the released job", jobs, err)
	}
}

func TestShutdownLetsShortJobsFinish(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	storetest.MustSubmit(t, s, storetest.MakeSubmission("short", time.Now(), nil))
	started := make(chan struct{})
	obs := &outcomes{}
	w := worker.New(worker.Deps{
		Queue: s,
		Handlers: map[string]worker.Handler{store.JobProcessReport: func(context.Context, store.Job) error {
			close(started)
			time.Sleep(200 * time.Millisecond) // finishes within the drain time
			return nil
		}},
		Observe: obs.observe,
	}, worker.Config{DrainTimeout: 5 * time.Second, PollInterval: 10 * time.Millisecond})
	stop := start(t, w)
	<-started
	stop()
	if got := obs.list(); len(got) != 1 || got[0] != worker.OutcomeOK {
		t.Fatalf("outcomes = %v, want [ok]", got)
	}
	if st, _ := s.QueueStats(ctx, store.QueueReport); st != (store.QueueStats{}) {
		t.Fatalf("QueueStats = %+v, want empty (job acked during drain)", st)
	}
}

func TestDefaultBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{{1, 2 * time.Second}, {2, 4 * time.Second}, {3, 8 * time.Second}, {20, 5 * time.Minute}} {
		if got := worker.DefaultBackoff(tc.attempt); got != tc.want {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", tc.attempt, got, tc.want)
		}
	}
}
