// Package worker is the job runtime: it claims jobs from the queues, runs the
// handler registered for each job type, and settles each delivery (ack,
// retry, dead letter, release) with leases and a graceful drain on shutdown.
// It holds no business logic: handlers live with their domain (intake, and
// later photo, alert, brief, mail) and cmd/floorfeed registers them.
package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// Queue is what the worker needs of the job queue.
type Queue interface {
	Claim(ctx context.Context, queue, consumer string, max int, lease time.Duration) ([]store.Job, error)
	Ack(ctx context.Context, j store.Job) error
	Fail(ctx context.Context, j store.Job, reason string, retryAfter time.Duration) error
	Release(ctx context.Context, j store.Job, after time.Duration) error
	// Extend renews a running delivery's lease; false when it is no
	// longer current (store.Queue.Extend).
	Extend(ctx context.Context, j store.Job, lease time.Duration) (bool, error)
}

// Handler runs one job. It must be idempotent: a job can be delivered more
// than once (at-least-once queue). It should return ctx.Err() promptly when
// ctx is cancelled; the job is then released, not counted as failed.
type Handler func(ctx context.Context, j store.Job) error

// Pool is the worker pool of one queue: how many of its jobs run at once and
// how long a claimed job stays invisible to other workers. Each queue has its
// own, so a 30 s PDF render never holds up a 10 ms report job.
type Pool struct {
	Queue       string
	Concurrency int // default 1
	// Lease is how long a claimed job is the worker's (default 1 minute)
	// before another worker may take it: after a crash, its jobs come back
	// that much later.
	Lease time.Duration
	// MaxRun is how long one job may run (default: Lease). When it is longer
	// than Lease, the worker renews the lease every Lease/3 while the job
	// runs, so a long job keeps a short lease. The handler's context ends a
	// little before MaxRun, and a job still running then counts as failed.
	MaxRun time.Duration
}

// DefaultPools returns a pool for every queue of store.Queues, sized for a
// small installation: reports are many and quick, briefs few and slow.
func DefaultPools() []Pool {
	return []Pool{
		{Queue: store.QueueReport, Concurrency: 32, Lease: 10 * time.Second},
		{Queue: store.QueuePhoto, Concurrency: 2, Lease: 30 * time.Second, MaxRun: 2 * time.Minute},
		{Queue: store.QueueAlert, Concurrency: 2, Lease: 30 * time.Second, MaxRun: time.Minute},
		{Queue: store.QueueBrief, Concurrency: 1, Lease: 30 * time.Second, MaxRun: 10 * time.Minute},
		{Queue: store.QueueMail, Concurrency: 2, Lease: 30 * time.Second, MaxRun: 2 * time.Minute},
		{Queue: store.QueueIndex, Concurrency: 1, Lease: 30 * time.Second, MaxRun: time.Minute},
	}
}

// Config tunes a Worker. Zero values take the defaults.
type Config struct {
	// Pools lists the queues this worker serves (default DefaultPools()).
	Pools []Pool
	// PollInterval is the longest wait between claims when a queue is
	// empty (default 500ms).
	PollInterval time.Duration
	// DrainTimeout bounds how long Run waits for running jobs after its
	// context is cancelled before cancelling them (default 10s).
	DrainTimeout time.Duration
	// Consumer names this worker to the queue (default: the host name; a
	// stable name keeps the Redis consumer group from collecting dead names).
	Consumer string
	// UnknownTypeDelay is how long a job of a type this binary has no
	// handler for is handed back before it is offered again (default 1
	// minute). During a rolling upgrade an old instance may claim a new kind
	// of job; releasing it, never failing it, leaves it for a newer instance.
	UnknownTypeDelay time.Duration
}

// Deps are the worker's collaborators.
type Deps struct {
	Queue    Queue
	Handlers map[string]Handler
	Log      *slog.Logger
	// Observe, if set, is told how each delivery ended: outcome is one of
	// the Outcome* constants.
	Observe func(queue, jobType, outcome string, d time.Duration)
	// ObserveWait, if set, is told how long a job waited in the queue before
	// its first delivery started.
	ObserveWait func(queue, jobType string, wait time.Duration)
	// Backoff returns the delay before retrying after the given attempt
	// failed (default: 2s, 4s, 8s … capped at 5 minutes).
	Backoff func(attempt int) time.Duration
}

// How a delivery ended, as told to Deps.Observe (and used as the outcome
// label of floorfeed_job_duration_seconds).
const (
	OutcomeOK       = "ok"           // done and acked
	OutcomeFailed   = "failed"       // failed; will be retried
	OutcomeDead     = "dead"         // failed on the last attempt: dead-lettered
	OutcomeReleased = "released"     // handed back unfinished at shutdown, for another worker
	OutcomeUnknown  = "unknown_type" // no handler in this binary: handed back after UnknownTypeDelay
)

// Outcomes lists every outcome, in the order above.
func Outcomes() []string {
	return []string{OutcomeOK, OutcomeFailed, OutcomeDead, OutcomeReleased, OutcomeUnknown}
}

// Worker runs jobs. Create it with New and start it with Run.
type Worker struct {
	d     Deps
	cfg   Config
	pools []Pool
}

// New returns a Worker.
func New(d Deps, cfg Config) *Worker {
	if len(cfg.Pools) == 0 {
		cfg.Pools = DefaultPools()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 10 * time.Second
	}
	if cfg.UnknownTypeDelay <= 0 {
		cfg.UnknownTypeDelay = time.Minute
	}
	if cfg.Consumer == "" {
		host, _ := os.Hostname() // on error: the fallback name below
		cfg.Consumer = cmp.Or(host, "floorfeed")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Backoff == nil {
		d.Backoff = DefaultBackoff
	}
	w := &Worker{d: d, cfg: cfg}
	for _, p := range cfg.Pools {
		if p.Concurrency <= 0 {
			p.Concurrency = 1
		}
		if p.Lease <= 0 {
			p.Lease = time.Minute
		}
		if p.MaxRun < p.Lease {
			p.MaxRun = p.Lease
		}
		w.pools = append(w.pools, p)
	}
	return w
}

// DefaultBackoff doubles from 2s and caps at 5 minutes.
func DefaultBackoff(attempt int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempt && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}

// Run claims and runs jobs from every pool's queue until ctx is cancelled.
// Then it stops claiming, lets running jobs finish for up to DrainTimeout,
// cancels the rest (their jobs are released for another worker) and returns
// nil.
func (w *Worker) Run(ctx context.Context) error {
	// Jobs run under their own context, cancelled only when the drain time
	// is over, so a shutdown lets short jobs finish.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()

	var running, loops sync.WaitGroup
	for _, p := range w.pools {
		loops.Go(func() { w.claimLoop(ctx, jobCtx, p, &running) })
	}
	loops.Wait()

	done := make(chan struct{})
	go func() { running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(w.cfg.DrainTimeout):
		w.d.Log.Warn("drain timeout: cancelling running jobs; they will be released", "timeout", w.cfg.DrainTimeout)
		cancelJobs()
		<-done
	}
	return nil
}

// claimLoop claims p's jobs while it has free slots, until ctx is cancelled.
func (w *Worker) claimLoop(ctx, jobCtx context.Context, p Pool, running *sync.WaitGroup) {
	slots := make(chan struct{}, p.Concurrency)
	log := w.d.Log.With("queue", p.Queue)
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		free := p.Concurrency - len(slots)
		if free == 0 {
			// All slots busy: wait for one to free up (or shutdown).
			select {
			case <-ctx.Done():
				return
			case slots <- struct{}{}:
				<-slots
			}
			wait = 0
			continue
		}
		// Not under ctx: a claim cut short by shutdown may still have leased
		// jobs on the server, which would then wait out their lease. Jobs it
		// returns run (and are drained) like any others.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), claimTimeout)
		jobs, err := w.d.Queue.Claim(cctx, p.Queue, w.cfg.Consumer, free, p.Lease)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("claim jobs", "err", err)
			wait = w.cfg.PollInterval
			continue
		}
		for _, j := range jobs {
			slots <- struct{}{}
			running.Add(1)
			go func() {
				defer func() { <-slots; running.Done() }()
				w.runOne(jobCtx, p, j)
			}()
		}
		if len(jobs) == free {
			wait = 0 // there may be more
		} else {
			wait = w.cfg.PollInterval
		}
	}
}

// runOne runs one delivery and settles it with the queue: Ack on success,
// Release when cancelled by shutdown or when no handler knows the type, Fail
// (retry or dead-letter) otherwise — also when the handler outruns its
// lease: by then another worker may have the job, so the handler's context
// ends a little before the lease does.
func (w *Worker) runOne(ctx context.Context, p Pool, j store.Job) {
	queue := p.Queue
	start := time.Now()
	if w.d.ObserveWait != nil && j.Attempt == 1 && !j.EnqueuedAt.IsZero() {
		w.d.ObserveWait(queue, j.Type, max(0, start.Sub(j.EnqueuedAt)))
	}
	log := w.d.Log.With("queue", queue, "job", j.ID, "type", j.Type, "attempt", j.Attempt, "report", j.ReportID)
	outcome := OutcomeOK
	defer func() {
		if w.d.Observe != nil {
			w.d.Observe(queue, j.Type, outcome, time.Since(start))
		}
	}()
	// Settling must happen even when ctx is cancelled, bounded in time.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()

	h, ok := w.d.Handlers[j.Type]
	if !ok {
		// A newer instance enqueued a kind of job this binary does not know
		// (rolling upgrade): never fail it, or an old instance would
		// dead-letter work that a new one can do.
		outcome = OutcomeUnknown
		if rerr := w.d.Queue.Release(sctx, j, w.cfg.UnknownTypeDelay); rerr != nil {
			log.Error("release job of unknown type", "err", rerr)
		}
		log.Warn("no handler for this job type in this version; released for a newer instance", "retry_in", w.cfg.UnknownTypeDelay)
		return
	}
	hctx, hcancel := context.WithTimeoutCause(ctx, handlerTime(p.MaxRun), errRanOut)
	stopRenew := w.renew(hctx, hcancel, p, j, log)
	err := runHandler(hctx, h, j)
	lost := stopRenew()
	hcancel()
	switch {
	case lost:
		err = fmt.Errorf("lost its lease (delivered again elsewhere while it ran): %w", cmp.Or(err, errLeaseLost))
	case err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && hctx.Err() != nil:
		limit := fmt.Sprintf("its lease (%s)", p.Lease)
		if p.MaxRun > p.Lease {
			limit = fmt.Sprintf("its queue's maximum run time (%s)", p.MaxRun)
		}
		err = fmt.Errorf("ran out of time: a job of queue %s must finish within %s: %w", queue, limit, err)
	}
	switch {
	case err == nil:
		if aerr := w.d.Queue.Ack(sctx, j); aerr != nil {
			// The job ran; it will be delivered again after the lease and
			// the handler, being idempotent, will do nothing harmful.
			log.Error("ack job", "err", aerr)
		}
		log.Debug("job done", "took", time.Since(start))
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		outcome = OutcomeReleased
		if rerr := w.d.Queue.Release(sctx, j, 0); rerr != nil {
			log.Error("release job", "err", rerr)
		}
		log.Info("job released on shutdown")
	default:
		outcome = OutcomeFailed
		if j.Attempt >= store.MaxAttempts {
			outcome = OutcomeDead
		}
		if ferr := w.d.Queue.Fail(sctx, j, err.Error(), w.d.Backoff(j.Attempt)); ferr != nil {
			log.Error("record job failure", "err", ferr, "job_err", err)
		}
		if outcome == OutcomeDead {
			log.Error("job dead-lettered", "err", err)
		} else {
			log.Warn("job failed; will retry", "err", err)
		}
	}
}

var (
	errRanOut    = errors.New("job ran out of time")
	errLeaseLost = errors.New("lease lost")
)

// renew keeps j's lease alive while its handler runs, when the pool's jobs
// may run longer than one lease: every Lease/3 it extends the lease; if the
// delivery is no longer current (another worker has the job), it cancels
// the handler. The returned stop ends the renewals and says whether the
// lease was lost.
func (w *Worker) renew(ctx context.Context, cancel context.CancelFunc, p Pool, j store.Job, log *slog.Logger) (stop func() bool) {
	if p.MaxRun <= p.Lease {
		return func() bool { return false }
	}
	done := make(chan struct{})
	var lost bool
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(p.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ectx, ecancel := context.WithTimeout(context.WithoutCancel(ctx), p.Lease/3)
			ok, err := w.d.Queue.Extend(ectx, j, p.Lease)
			ecancel()
			switch {
			case err != nil:
				// The store may be back before the lease runs out: go on,
				// the next tick tries again.
				log.Warn("renew job lease", "err", err)
			case !ok:
				log.Error("job lease lost: another worker may have it; stopping this run")
				lost = true
				cancel()
				return
			}
		}
	})
	return func() bool {
		close(done)
		wg.Wait()
		return lost
	}
}

// claimTimeout bounds one Claim call.
const claimTimeout = 10 * time.Second

// handlerTime is how long a handler may run on a lease: the lease less a
// tenth (at least 100ms, at most 30s) for settling the job in time.
func handlerTime(lease time.Duration) time.Duration {
	margin := min(max(lease/10, 100*time.Millisecond), 30*time.Second)
	return max(lease-margin, lease/2)
}

// runHandler turns a handler panic into an error, so one bad job cannot take
// the process down.
func runHandler(ctx context.Context, h Handler, j store.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job handler panicked: %v", p)
		}
	}()
	return h(ctx, j)
}
