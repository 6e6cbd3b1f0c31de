package intake_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/search"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
	"github.com/floorfeed/floorfeed/worker"
)

// BenchmarkDrainReports measures how many report jobs per second the worker
// runtime processes with the real report handler and the default report
// pool, on each backend: the queue is filled first (submissions are not
// timed), then drained. Each b.N round drains drainBatch jobs.
func BenchmarkDrainReports(b *testing.B) {
	const drainBatch = 5000
	for _, be := range backends.All() {
		b.Run(be.Name, func(b *testing.B) {
			s := be.Open(b)
			ctx := context.Background()
			// The report job as serve runs it: the code index written and the
			// text-index follow-up enqueued with every report.
			proc := intake.NewProcessor(s, nil, search.FollowUp).IndexCodes(intake.NewCodes(s))
			var total time.Duration
			for range b.N {
				b.StopTimer()
				fill(b, s, drainBatch)
				b.StartTimer()
				start := time.Now()
				wctx, cancel := context.WithCancel(ctx)
				w := worker.New(worker.Deps{Queue: s, Handlers: map[string]worker.Handler{store.JobProcessReport: proc.Handle}},
					worker.Config{Pools: []worker.Pool{reportPool()}, PollInterval: 5 * time.Millisecond})
				done := make(chan struct{})
				go func() { _ = w.Run(wctx); close(done) }()
				waitDrained(b, s)
				total += time.Since(start)
				cancel()
				<-done
			}
			b.ReportMetric(float64(drainBatch*b.N)/total.Seconds(), "jobs/s")
		})
	}
}

func reportPool() worker.Pool {
	for _, p := range worker.DefaultPools() {
		if p.Queue == store.QueueReport {
			return p
		}
	}
	panic("no report pool")
}

// fill submits n reports (each with its report job) from 16 goroutines.
func fill(b *testing.B, s store.Store, n int) {
	b.Helper()
	ctx := context.Background()
	errs := make(chan error, 16)
	for g := range 16 {
		go func() {
			for i := g; i < n; i += 16 {
				sub := storetest.MakeSubmission(fmt.Sprintf("drain-%d-%d", time.Now().UnixNano(), i), time.Now(), nil)
				if _, _, err := s.Submit(ctx, sub); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// waitDrained polls the report queue until nothing is ready or in flight.
func waitDrained(b *testing.B, s store.Store) {
	b.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		st, err := s.QueueStats(context.Background(), store.QueueReport)
		if err != nil {
			b.Fatal(err)
		}
		if st.Ready == 0 && st.InFlight == 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.Fatal("queue not drained in 5 minutes")
}
