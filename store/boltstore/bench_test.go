package boltstore

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store/storetest"
)

// BenchmarkSubmitParallel measures durable (fsynced, group-committed)
// submissions with about 64 concurrent clients, as the intake sees them.
//
//	go test -run '^$' -bench SubmitParallel -benchtime 10000x ./store/boltstore/
func BenchmarkSubmitParallel(b *testing.B) {
	s := mustOpen(b, filepath.Join(b.TempDir(), "floorfeed.db"), Options{})
	ctx := context.Background()
	const clients = 64
	b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	var n atomic.Int64
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			sub := storetest.MakeSubmission(fmt.Sprint("bench-", i), start.Add(time.Duration(i)*time.Microsecond), nil)
			if _, created, err := s.Submit(ctx, sub); err != nil || !created {
				b.Errorf("Submit(%s) = created %v, %v", sub.IdempotencyKey, created, err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submits/s")
}
