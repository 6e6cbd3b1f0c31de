package storehealth_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
	"github.com/floorfeed/floorfeed/storehealth"
)

// diskFull is a real store whose writes fail, while set, the way a full
// disk makes the embedded store fail (store.ErrUnavailable wrapping ENOSPC);
// reads keep working.
type diskFull struct {
	store.Store
	full atomic.Bool
}

func (d *diskFull) err() error {
	if d.full.Load() {
		return fmt.Errorf("%w: write floorfeed.db: no space left on device", store.ErrUnavailable)
	}
	return nil
}

func (d *diskFull) Submit(ctx context.Context, sub store.Submission) (store.Report, bool, error) {
	if err := d.err(); err != nil {
		return store.Report{}, false, err
	}
	return d.Store.Submit(ctx, sub)
}

func (d *diskFull) PutRecord(ctx context.Context, coll, key string, val []byte) error {
	if err := d.err(); err != nil {
		return err
	}
	return d.Store.PutRecord(ctx, coll, key, val)
}

func TestReadyFollowsWrites(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := testutil.NewClock(time.Now())
			df := &diskFull{Store: be.Open(t)}
			var failures atomic.Int64
			s := storehealth.Watch(df, storehealth.Options{Now: clock.Now, OnWriteFailure: func(string) { failures.Add(1) }})

			if err := s.Ready(ctx); err != nil {
				t.Fatalf("fresh store not ready: %v", err)
			}
			df.full.Store(true)
			if _, _, err := s.Submit(ctx, storetest.MakeSubmission("k1", time.Now(), nil)); err == nil {
				t.Fatal("submit on a full disk succeeded")
			}
			if failures.Load() != 1 {
				t.Fatalf("write failures counted %d, want 1", failures.Load())
			}
			err := s.Ready(ctx)
			if err == nil || !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("Ready after a failed write = %v; want an error naming the reason", err)
			}
			if st := s.Status(); !st.Failing || st.Since.IsZero() {
				t.Fatalf("status = %+v", st)
			}
			// The disk frees up, but no traffic comes: Ready's own probe
			// (once per ProbeInterval) brings it back.
			df.full.Store(false)
			if err := s.Ready(ctx); err == nil {
				t.Fatal("Ready recovered before a write succeeded (the probe waits ProbeInterval)")
			}
			clock.Advance(storehealth.ProbeInterval)
			if err := s.Ready(ctx); err != nil {
				t.Fatalf("Ready after the probe write succeeded = %v", err)
			}
			// A failed write then a good one (real traffic) clears it too.
			df.full.Store(true)
			_, _, _ = s.Submit(ctx, storetest.MakeSubmission("k2", time.Now(), nil))
			df.full.Store(false)
			if _, _, err := s.Submit(ctx, storetest.MakeSubmission("k3", time.Now(), nil)); err != nil {
				t.Fatal(err)
			}
			if err := s.Ready(ctx); err != nil {
				t.Fatalf("Ready after a successful submit = %v", err)
			}
			// Errors that say nothing about health do not count.
			if _, err := s.UpdateReport(ctx, "no-such-report", func(*store.Report) error { return nil }); err == nil {
				t.Fatal("update of a missing report succeeded")
			}
			if err := s.Ready(ctx); err != nil {
				t.Fatalf("a not-found error made the store unready: %v", err)
			}
		})
	}
}
