package worker_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
	"github.com/floorfeed/floorfeed/worker"
)

// outcomes records what the worker reported for each delivery.
type outcomes struct {
	mu  sync.Mutex
	got []string
}

func (o *outcomes) observe(_, _, outcome string, _ time.Duration) {
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

func stats(t *testing.T, s store.Queue, queue string) store.QueueStats {
	t.Helper()
	st, err := s.QueueStats(context.Background(), queue)
	if err != nil {
		t.Fatalf("QueueStats(%s) = %v", queue, err)
	}
	return st
}

func reportPool() []worker.Pool {
	return []worker.Pool{{Queue: store.QueueReport, Concurrency: 4, Lease: time.Minute}}
}

func TestJobsRunAndWaitIsObserved(t *testing.T) {
	s := backends.Bolt(t)
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for i := range 12 {
		storetest.MustSubmit(t, s, storetest.MakeSubmission(string(rune('a'+i)), base.Add(time.Duration(i)*time.Minute), nil))
	}
	obs := &outcomes{}
	var ran, waits atomic.Int32
	w := worker.New(worker.Deps{
		Queue: s,
		Handlers: map[string]worker.Handler{store.JobProcessReport: func(context.Context, store.Job) error {
			ran.Add(1)
			return nil
		}},
		Observe: obs.observe,
		ObserveWait: func(queue, jobType string, wait time.Duration) {
			// The jobs were enqueued "in" November 2026 at base: they waited.
			if queue == store.QueueReport && jobType == store.JobProcessReport && wait > 0 {
				waits.Add(1)
			}
		},
	}, worker.Config{Pools: []worker.Pool{{Queue: store.QueueReport, Concurrency: 3}}, PollInterval: 20 * time.Millisecond})
	stop := start(t, w)
	waitFor(t, "12 jobs processed", func() bool { return len(obs.list()) == 12 })
	stop()
	for _, o := range obs.list() {
		if o != worker.OutcomeOK {
			t.Fatalf("outcomes = %v, want all ok", obs.list())
		}
	}
	if n := ran.Load(); n != 12 {
		t.Fatalf("handler ran %d times, want 12", n)
	}
	if n := waits.Load(); n != 12 {
		t.Fatalf("ObserveWait saw %d first deliveries with a wait, want 12", n)
	}
	if st := stats(t, s, store.QueueReport); st != (store.QueueStats{}) {
		t.Fatalf("QueueStats after processing = %+v, want empty", st)
	}
}

func TestFailingJobRetriesThenDeadLetters(t *testing.T) {
	s := backends.Bolt(t)
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
	}, worker.Config{Pools: reportPool(), PollInterval: 10 * time.Millisecond})
	start(t, w)
	waitFor(t, "dead letter", func() bool { return stats(t, s, store.QueueReport).Dead == 1 })
	if n := calls.Load(); n != store.MaxAttempts {
		t.Fatalf("handler ran %d times, want %d", n, store.MaxAttempts)
	}
	want := []string{worker.OutcomeFailed, worker.OutcomeFailed, worker.OutcomeFailed, worker.OutcomeFailed, worker.OutcomeDead}
	waitFor(t, "5 outcomes", func() bool { return len(obs.list()) == 5 })
	if got := obs.list(); !slices.Equal(got, want) {
		t.Fatalf("outcomes = %v, want %v", got, want)
	}
	dead, err := s.DeadLetters(ctx, 5)
	if err != nil || len(dead) != 1 || dead[0].ID != sub.Job.ID || dead[0].LastError != "downstream refused" {
		t.Fatalf("DeadLetters = %+v, %v; want job %s with its last error", dead, err, sub.Job.ID)
	}
}

func TestShutdownReleasesRunningJob(t *testing.T) {
	s := backends.Bolt(t)
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
	}, worker.Config{
		Pools:        []worker.Pool{{Queue: store.QueueReport, Concurrency: 1, Lease: time.Hour}},
		DrainTimeout: 100 * time.Millisecond, PollInterval: 10 * time.Millisecond,
	})
	stop := start(t, w)
	<-started
	stop()
	if got := obs.list(); len(got) != 1 || got[0] != worker.OutcomeReleased {
		t.Fatalf("outcomes = %v, want [released]", got)
	}
	// Released, not waiting out its one-hour lease: another worker gets it now.
	jobs, err := s.Claim(ctx, store.QueueReport, "next", 1, time.Minute)
	if err != nil || len(jobs) != 1 || jobs[0].ID != sub.Job.ID || jobs[0].Attempt != 1 {
		t.Fatalf("Claim after shutdown = %+v, %v; want the released job at attempt 1", jobs, err)
	}
}

func TestShutdownLetsShortJobsFinish(t *testing.T) {
	s := backends.Bolt(t)
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
	}, worker.Config{Pools: reportPool(), DrainTimeout: 5 * time.Second, PollInterval: 10 * time.Millisecond})
	stop := start(t, w)
	<-started
	stop()
	if got := obs.list(); len(got) != 1 || got[0] != worker.OutcomeOK {
		t.Fatalf("outcomes = %v, want [ok]", got)
	}
	if st := stats(t, s, store.QueueReport); st != (store.QueueStats{}) {
		t.Fatalf("QueueStats = %+v, want empty (job acked during drain)", st)
	}
}

// A slow job in one queue never holds up another queue: the brief pool is
// busy with a render that does not end, and report jobs still run.
func TestPoolsAreIsolated(t *testing.T) {
	s := backends.Bolt(t)
	ctx := context.Background()
	if err := s.Enqueue(ctx, store.Job{ID: "brief-1", Type: store.JobBrief, EnqueuedAt: time.Now()}); err != nil {
		t.Fatalf("Enqueue(brief) = %v", err)
	}
	briefStarted := make(chan struct{})
	var reports atomic.Int32
	w := worker.New(worker.Deps{
		Queue: s,
		Handlers: map[string]worker.Handler{
			store.JobBrief: func(ctx context.Context, _ store.Job) error {
				close(briefStarted)
				<-ctx.Done()
				return ctx.Err()
			},
			store.JobProcessReport: func(context.Context, store.Job) error {
				reports.Add(1)
				return nil
			},
		},
	}, worker.Config{
		Pools: []worker.Pool{
			{Queue: store.QueueReport, Concurrency: 1, Lease: time.Minute},
			{Queue: store.QueueBrief, Concurrency: 1, Lease: time.Hour},
		},
		PollInterval: 10 * time.Millisecond, DrainTimeout: 50 * time.Millisecond,
	})
	start(t, w)
	<-briefStarted
	for i := range 5 {
		storetest.MustSubmit(t, s, storetest.MakeSubmission(string(rune('p'+i)), time.Now(), nil))
	}
	waitFor(t, "5 report jobs while the brief job runs", func() bool { return reports.Load() == 5 })
	if st := stats(t, s, store.QueueBrief); st.InFlight != 1 {
		t.Fatalf("brief queue = %+v, want its one job still in flight", st)
	}
}

// Rolling upgrade: an old instance claims a job of a type it does not know.
// It hands it back (not failed, not dead, attempt not counted), and an
// instance that knows the type processes it.
func TestUnknownJobTypeIsReleasedForANewerInstance(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) { testUnknownJobType(t, be.Open(t)) })
	}
}

func testUnknownJobType(t *testing.T, s store.Store) {
	ctx := context.Background()
	job := store.Job{ID: "future-1", Type: "future_kind", Queue: store.QueueReport, EnqueuedAt: time.Now()}
	if err := s.Enqueue(ctx, job); err != nil {
		t.Fatalf("Enqueue(%+v) = %v", job, err)
	}
	oldObs := &outcomes{}
	old := worker.New(worker.Deps{
		Queue:    s,
		Handlers: map[string]worker.Handler{store.JobProcessReport: func(context.Context, store.Job) error { return nil }},
		Observe:  oldObs.observe,
	}, worker.Config{Pools: reportPool(), PollInterval: 5 * time.Millisecond, UnknownTypeDelay: 30 * time.Millisecond, Consumer: "old"})
	stopOld := start(t, old)
	// More deliveries than MaxAttempts: a failure would have dead-lettered it.
	waitFor(t, "the old instance to hand the job back repeatedly", func() bool { return len(oldObs.list()) > store.MaxAttempts })
	stopOld()
	for _, o := range oldObs.list() {
		if o != worker.OutcomeUnknown {
			t.Fatalf("old instance outcomes = %v, want all %s", oldObs.list(), worker.OutcomeUnknown)
		}
	}
	if st := stats(t, s, store.QueueReport); st.Dead != 0 || st.Ready != 1 {
		t.Fatalf("after the old instance: %+v, want the job ready, nothing dead", st)
	}

	var got atomic.Value
	done := make(chan struct{})
	newer := worker.New(worker.Deps{
		Queue: s,
		Handlers: map[string]worker.Handler{"future_kind": func(_ context.Context, j store.Job) error {
			got.Store(j)
			close(done)
			return nil
		}},
	}, worker.Config{Pools: reportPool(), PollInterval: 5 * time.Millisecond, Consumer: "new"})
	start(t, newer)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the newer instance never got the job")
	}
	j := got.Load().(store.Job)
	if j.ID != job.ID || j.Attempt != 1 {
		t.Fatalf("newer instance got %+v, want job %s at attempt 1 (releases do not count)", j, job.ID)
	}
	waitFor(t, "the job acked", func() bool { return stats(t, s, store.QueueReport) == store.QueueStats{} })
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

// A handler that outruns its lease is stopped before the lease ends and the
// delivery counts as failed: it never runs twice at once, and a job that
// always hangs ends in the dead letters saying why.
func TestHandlerStoppedBeforeItsLeaseEnds(t *testing.T) {
	s := backends.Bolt(t)
	ctx := context.Background()
	sub := storetest.MakeSubmission("hangs", time.Now(), nil)
	storetest.MustSubmit(t, s, sub)
	var running, most atomic.Int32
	obs := &outcomes{}
	w := worker.New(worker.Deps{
		Queue: s,
		Handlers: map[string]worker.Handler{store.JobProcessReport: func(ctx context.Context, _ store.Job) error {
			n := running.Add(1)
			defer running.Add(-1)
			if n > most.Load() {
				most.Store(n)
			}
			<-ctx.Done() // an SMTP server that never answers
			return ctx.Err()
		}},
		Observe: obs.observe,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond },
	}, worker.Config{
		Pools:        []worker.Pool{{Queue: store.QueueReport, Concurrency: 4, Lease: 150 * time.Millisecond}},
		PollInterval: 5 * time.Millisecond,
	})
	start(t, w)
	waitFor(t, "dead letter", func() bool { return stats(t, s, store.QueueReport).Dead == 1 })
	want := []string{worker.OutcomeFailed, worker.OutcomeFailed, worker.OutcomeFailed, worker.OutcomeFailed, worker.OutcomeDead}
	waitFor(t, "5 outcomes", func() bool { return len(obs.list()) == 5 })
	if got := obs.list(); !slices.Equal(got, want) {
		t.Fatalf("outcomes = %v, want %v (never released: the worker is not shutting down)", got, want)
	}
	if n := most.Load(); n != 1 {
		t.Fatalf("the handler ran %d times at once, want 1: its lease ran out while it ran", n)
	}
	dead, err := s.DeadLetters(ctx, 5)
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].LastError, "must finish within its lease (150ms)") {
		t.Fatalf("DeadLetters = %+v, %v; want the job with a last error about its lease", dead, err)
	}
}

// TestLongJobKeepsShortLease: a job that runs longer than its pool's lease
// (but within MaxRun) has its lease renewed while it runs, so no other
// worker gets it meanwhile, and it is acked once.
func TestLongJobKeepsShortLease(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			s := be.Open(t)
			ctx := context.Background()
			if err := s.Enqueue(ctx, store.Job{ID: "brief:long", Type: store.JobBrief, EnqueuedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			const lease = 300 * time.Millisecond
			started, release := make(chan struct{}), make(chan struct{})
			var runs atomic.Int32
			obs := &outcomes{}
			w := worker.New(worker.Deps{
				Queue: s,
				Handlers: map[string]worker.Handler{store.JobBrief: func(ctx context.Context, _ store.Job) error {
					if runs.Add(1) == 1 {
						close(started)
					}
					select {
					case <-release:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				}},
				Observe: obs.observe,
			}, worker.Config{Pools: []worker.Pool{{Queue: store.QueueBrief, Concurrency: 1, Lease: lease, MaxRun: 30 * time.Second}}, PollInterval: 20 * time.Millisecond})
			stop := start(t, w)
			<-started
			// Four leases later, another worker still finds nothing to claim.
			time.Sleep(4 * lease)
			if jobs, err := s.Claim(ctx, store.QueueBrief, "other", 1, time.Minute); err != nil || len(jobs) != 0 {
				t.Fatalf("another worker claimed %v (%v) while the long job ran with a renewed lease", jobs, err)
			}
			close(release)
			waitFor(t, "the long job acked", func() bool { return len(obs.list()) == 1 })
			stop()
			if o := obs.list(); o[0] != worker.OutcomeOK || runs.Load() != 1 {
				t.Fatalf("outcomes %v, runs %d; want one ok run", o, runs.Load())
			}
			if st := stats(t, s, store.QueueBrief); st != (store.QueueStats{}) {
				t.Fatalf("QueueStats after = %+v", st)
			}
		})
	}
}
