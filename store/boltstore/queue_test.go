package boltstore

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/store"
)

// queueFixture is a store on a fake clock with one job enqueued.
func queueFixture(t *testing.T) (*Store, *testutil.Clock, store.Job) {
	t.Helper()
	clock := newClock()
	s := mustOpen(t, filepath.Join(t.TempDir(), "floorfeed.db"), Options{Now: clock.Now})
	j := store.Job{ID: store.NewID(clock.Now()), Type: "brief", Payload: []byte(`{"team":"magnets"}`)}
	if err := s.Enqueue(ctxT(t), j); err != nil {
		t.Fatalf("Enqueue = %v", err)
	}
	return s, clock, j
}

func claimOne(t *testing.T, s *Store, lease time.Duration) store.Job {
	t.Helper()
	jobs, err := s.Claim(ctxT(t), "w", 10, lease)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("Claim = %+v, %v; want one job", jobs, err)
	}
	return jobs[0]
}

func wantStats(t *testing.T, s *Store, want store.QueueStats) {
	t.Helper()
	got, err := s.QueueStats(ctxT(t))
	if err != nil || got != want {
		t.Fatalf("QueueStats = %+v, %v; want %+v", got, err, want)
	}
}

func TestStaleDelivery(t *testing.T) {
	s, clock, j := queueFixture(t)
	ctx := ctxT(t)
	first := claimOne(t, s, time.Minute)
	clock.Advance(2 * time.Minute) // first's lease runs out
	wantStats(t, s, store.QueueStats{Ready: 1})
	second := claimOne(t, s, time.Minute)
	if second.Attempt != 2 || second.Handle == first.Handle || second.ID != j.ID {
		t.Fatalf("redelivery = %+v after %+v; want attempt 2 with a new handle", second, first)
	}
	// The first worker's Fail and Release are stale: the job stays with the second.
	if err := s.Fail(ctx, first, "late failure", 0); err != nil {
		t.Fatalf("Fail(stale) = %v", err)
	}
	if err := s.Release(ctx, first); err != nil {
		t.Fatalf("Release(stale) = %v", err)
	}
	wantStats(t, s, store.QueueStats{InFlight: 1})
	if jobs, _ := s.Claim(ctx, "w", 10, time.Minute); len(jobs) != 0 {
		t.Fatalf("Claim after stale Fail/Release = %+v, want none (still leased)", jobs)
	}
	// A stale Ack still acks: the first worker did finish the work.
	if err := s.Ack(ctx, first); err != nil {
		t.Fatalf("Ack(stale) = %v", err)
	}
	wantStats(t, s, store.QueueStats{})
	if err := s.Fail(ctx, second, "too late", time.Second); err != nil {
		t.Fatalf("Fail(gone job) = %v, want nil", err)
	}
	if err := s.Ack(ctx, second); err != nil {
		t.Fatalf("Ack(gone job) = %v, want nil", err)
	}
	wantStats(t, s, store.QueueStats{})
}

func TestReleaseDoesNotCount(t *testing.T) {
	s, _, _ := queueFixture(t)
	ctx := ctxT(t)
	for range store.MaxAttempts + 2 {
		j := claimOne(t, s, time.Hour)
		if j.Attempt != 1 {
			t.Fatalf("Claim after Release = attempt %d, want 1 (Release does not count)", j.Attempt)
		}
		if err := s.Release(ctx, j); err != nil {
			t.Fatalf("Release = %v", err)
		}
		if err := s.Release(ctx, j); err != nil { // twice: the second is stale
			t.Fatalf("Release twice = %v", err)
		}
	}
	wantStats(t, s, store.QueueStats{Ready: 1})
}

func TestFailRetryTiming(t *testing.T) {
	s, clock, _ := queueFixture(t)
	ctx := ctxT(t)
	j := claimOne(t, s, time.Minute)
	if err := s.Fail(ctx, j, "smtp down", 10*time.Minute); err != nil {
		t.Fatalf("Fail = %v", err)
	}
	if err := s.Fail(ctx, j, "again", 0); err != nil { // duplicate Fail: ignored
		t.Fatalf("Fail twice = %v", err)
	}
	wantStats(t, s, store.QueueStats{Ready: 1})
	clock.Advance(9 * time.Minute)
	if jobs, _ := s.Claim(ctx, "w", 10, time.Minute); len(jobs) != 0 {
		t.Fatalf("Claim before the retry time = %+v, want none", jobs)
	}
	clock.Advance(time.Minute)
	back := claimOne(t, s, time.Minute)
	if back.Attempt != 2 || back.LastError != "smtp down" {
		t.Fatalf("retry delivery = %+v, want attempt 2 with last error %q", back, "smtp down")
	}
	wantStats(t, s, store.QueueStats{InFlight: 1})
}

func TestDeadLetterAfterMixedFailures(t *testing.T) {
	s, clock, j := queueFixture(t)
	ctx := ctxT(t)
	// One reported failure, then crashes until the deliveries run out.
	d := claimOne(t, s, time.Minute)
	if err := s.Fail(ctx, d, "pdf render failed", 0); err != nil {
		t.Fatalf("Fail = %v", err)
	}
	for attempt := 2; attempt <= store.MaxAttempts; attempt++ {
		if d := claimOne(t, s, time.Minute); d.Attempt != attempt {
			t.Fatalf("delivery %d has Attempt %d", attempt, d.Attempt)
		}
		clock.Advance(2 * time.Minute)
	}
	wantStats(t, s, store.QueueStats{Ready: 1}) // expired, not yet dead-lettered
	if jobs, err := s.Claim(ctx, "w", 10, time.Minute); err != nil || len(jobs) != 0 {
		t.Fatalf("Claim after the last lease expired = %+v, %v; want none", jobs, err)
	}
	wantStats(t, s, store.QueueStats{Dead: 1})
	dead, err := s.DeadLetters(ctx, 0)
	if err != nil || len(dead) != 1 {
		t.Fatalf("DeadLetters = %+v, %v; want 1", dead, err)
	}
	got := dead[0]
	if got.ID != j.ID || got.Attempt != store.MaxAttempts || !got.DeadAt.Equal(clock.Now()) ||
		!strings.HasPrefix(got.LastError, "lease expired") || !strings.Contains(got.LastError, "pdf render failed") ||
		string(got.Payload) != string(j.Payload) || got.Handle != "" {
		t.Fatalf("dead letter = %+v; want job %s, attempt %d, DeadAt now, lease expired + earlier failure", got, j.ID, store.MaxAttempts)
	}
}

func TestDeadLettersNewestFirst(t *testing.T) {
	clock := newClock()
	s := mustOpen(t, filepath.Join(t.TempDir(), "floorfeed.db"), Options{Now: clock.Now})
	ctx := ctxT(t)
	var ids []string
	for i := range 3 {
		j := store.Job{ID: store.NewID(clock.Now()), Type: "t"}
		if err := s.Enqueue(ctx, j); err != nil {
			t.Fatalf("Enqueue = %v", err)
		}
		if err := s.Enqueue(ctx, j); err != nil { // same id while queued: no-op
			t.Fatalf("Enqueue twice = %v", err)
		}
		for range store.MaxAttempts {
			d := claimOne(t, s, time.Minute)
			if err := s.Fail(ctx, d, "no", 0); err != nil {
				t.Fatalf("Fail = %v", err)
			}
		}
		ids = append(ids, j.ID)
		clock.Advance(time.Duration(i+1) * time.Second)
	}
	wantStats(t, s, store.QueueStats{Dead: 3})
	dead, err := s.DeadLetters(ctx, 2)
	if err != nil || len(dead) != 2 || dead[0].ID != ids[2] || dead[1].ID != ids[1] {
		t.Fatalf("DeadLetters(2) = %+v, %v; want %s then %s", dead, err, ids[2], ids[1])
	}
}

func TestClaimOrderAndMax(t *testing.T) {
	clock := newClock()
	s := mustOpen(t, filepath.Join(t.TempDir(), "floorfeed.db"), Options{Now: clock.Now})
	ctx := ctxT(t)
	var ids []string
	for range 5 {
		j := store.Job{ID: store.NewID(clock.Now()), Type: "t"}
		if err := s.Enqueue(ctx, j); err != nil {
			t.Fatalf("Enqueue = %v", err)
		}
		ids = append(ids, j.ID)
		clock.Advance(time.Millisecond)
	}
	got, err := s.Claim(ctx, "w", 3, time.Minute)
	if err != nil || len(got) != 3 {
		t.Fatalf("Claim(3) = %d jobs, %v", len(got), err)
	}
	for i, j := range got {
		if j.ID != ids[i] {
			t.Fatalf("Claim order: got %s at %d, want %s (oldest first)", j.ID, i, ids[i])
		}
	}
	if _, err := s.Claim(ctx, "w", 1, 0); err == nil {
		t.Fatalf("Claim(lease 0) succeeded, want an error")
	}
	if none, err := s.Claim(ctx, "w", 0, time.Minute); err != nil || len(none) != 0 {
		t.Fatalf("Claim(max 0) = %+v, %v; want none", none, err)
	}
	wantStats(t, s, store.QueueStats{Ready: 2, InFlight: 3})
}
