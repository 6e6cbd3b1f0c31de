// Package worker claims jobs from the queue and runs the handler registered
// for each job type, with leases, retries and a graceful drain on shutdown.
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
}

// Handler runs one job. It must be idempotent: a job can be delivered more
// than once (at-least-once queue). It should return ctx.Err() promptly when
// ctx is cancelled; the job is then released, not counted as failed.
type Handler func(ctx context.Context, j store.Job) error

// Config tunes a Worker. Zero values take the defaults.
type Config struct {
	// Concurrency is how many jobs run at once (default 4).
	Concurrency int
	// Lease is how long a claimed job stays invisible to other workers
	// (default 1 minute). A handler must finish well within it.
	Lease time.Duration
	// PollInterval is the longest wait between claims when the queue is
	// empty (default 500ms; Notify wakes the worker sooner).
	PollInterval time.Duration
	// DrainTimeout bounds how long Run waits for running jobs after its
	// context is cancelled before cancelling them (default 10s).
	DrainTimeout time.Duration
	// Consumer names this worker to the queue (default: the host name; a
	// stable name keeps the Redis consumer group from collecting dead names).
	Consumer string
}

// Deps are the worker's collaborators.
type Deps struct {
	Queue    Queue
	Handlers map[string]Handler
	Log      *slog.Logger
	// Observe, if set, is told how each delivery ended: outcome is one of
	// the Outcome* constants.
	Observe func(jobType, outcome string, d time.Duration)
	// ObserveWait, if set, is told how long a job waited in the queue before
	// its first delivery started.
	ObserveWait func(jobType string, wait time.Duration)
	// Backoff returns the delay before retrying after the given attempt
	// failed (default: 2s, 4s, 8s … capped at 5 minutes).
	Backoff func(attempt int) time.Duration
}

// How a delivery ended, as told to Deps.Observe (and used as the outcome
// label of floorfeed_job_duration_seconds).
const (
	OutcomeOK       = "ok"       // done and acked
	OutcomeFailed   = "failed"   // failed; will be retried
	OutcomeDead     = "dead"     // failed on the last attempt: dead-lettered
	OutcomeReleased = "released" // handed back unfinished at shutdown, for another worker
)

// Worker runs jobs. Create it with New and start it with Run.
type Worker struct {
	d    Deps
	cfg  Config
	wake chan struct{}
}

// New returns a Worker.
func New(d Deps, cfg Config) *Worker {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 10 * time.Second
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
	return &Worker{d: d, cfg: cfg, wake: make(chan struct{}, 1)}
}

// DefaultBackoff doubles from 2s and caps at 5 minutes.
func DefaultBackoff(attempt int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempt && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}

// Notify tells the worker there may be new jobs, so it claims at once
// instead of waiting for the next poll. It never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run claims and runs jobs until ctx is cancelled. Then it stops claiming,
// lets running jobs finish for up to DrainTimeout, cancels the rest (their
// jobs are released for another worker) and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	// Jobs run under their own context, cancelled only when the drain time
	// is over, so a shutdown lets short jobs finish.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()

	slots := make(chan struct{}, w.cfg.Concurrency)
	var running sync.WaitGroup
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return w.drain(&running, cancelJobs)
		case <-w.wake:
		case <-time.After(wait):
		}
		free := w.cfg.Concurrency - len(slots)
		if free == 0 {
			// All slots busy: wait for one to free up (or shutdown).
			select {
			case <-ctx.Done():
				return w.drain(&running, cancelJobs)
			case slots <- struct{}{}:
				<-slots
			}
			wait = 0
			continue
		}
		jobs, err := w.d.Queue.Claim(ctx, store.QueueReport, w.cfg.Consumer, free, w.cfg.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return w.drain(&running, cancelJobs)
			}
			w.d.Log.Error("claim jobs", "err", err)
			wait = w.cfg.PollInterval
			continue
		}
		for _, j := range jobs {
			slots <- struct{}{}
			running.Add(1)
			go func() {
				defer func() { <-slots; running.Done() }()
				w.runOne(jobCtx, j)
			}()
		}
		if len(jobs) == free {
			wait = 0 // there may be more
		} else {
			wait = w.cfg.PollInterval
		}
	}
}

func (w *Worker) drain(running *sync.WaitGroup, cancelJobs context.CancelFunc) error {
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

// runOne runs one delivery and settles it with the queue: Ack on success,
// Release when cancelled by shutdown, Fail (retry or dead-letter) otherwise.
func (w *Worker) runOne(ctx context.Context, j store.Job) {
	start := time.Now()
	if w.d.ObserveWait != nil && j.Attempt == 1 && !j.EnqueuedAt.IsZero() {
		w.d.ObserveWait(j.Type, max(0, start.Sub(j.EnqueuedAt)))
	}
	log := w.d.Log.With("job", j.ID, "type", j.Type, "attempt", j.Attempt, "report", j.ReportID)
	outcome := OutcomeOK
	defer func() {
		if w.d.Observe != nil {
			w.d.Observe(j.Type, outcome, time.Since(start))
		}
	}()
	// Settling must happen even when ctx is cancelled, bounded in time.
	settle := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	}

	h, ok := w.d.Handlers[j.Type]
	var err error
	if !ok {
		err = fmt.Errorf("no handler for job type %q", j.Type)
	} else {
		err = runHandler(ctx, h, j)
	}
	sctx, cancel := settle()
	defer cancel()
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
