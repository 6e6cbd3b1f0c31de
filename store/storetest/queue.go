package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

func testQueueClaimAck(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	for i := range 3 {
		MustSubmit(t, s, MakeSubmission(fmt.Sprint("q", i), base.Add(time.Duration(i)*time.Second), nil))
	}
	jobs := mustClaim(t, s, 2, time.Minute)
	if len(jobs) != 2 {
		t.Fatalf("Claim(max 2) = %d jobs, want 2", len(jobs))
	}
	if st := mustStats(t, s); st.Ready != 1 || st.InFlight != 2 {
		t.Fatalf("QueueStats = %+v, want 1 ready 2 in flight", st)
	}
	rest := mustClaim(t, s, 10, time.Minute)
	if len(rest) != 1 {
		t.Fatalf("second Claim = %d jobs, want the 1 left (leased ones stay leased)", len(rest))
	}
	if none := mustClaim(t, s, 10, time.Minute); len(none) != 0 {
		t.Fatalf("third Claim = %+v, want none", none)
	}
	for _, j := range append(jobs, rest...) {
		if err := s.Ack(ctx, j); err != nil {
			t.Fatalf("Ack = %v", err)
		}
	}
	if err := s.Ack(ctx, jobs[0]); err != nil {
		t.Fatalf("Ack twice = %v, want nil", err)
	}
	if st := mustStats(t, s); st != (store.QueueStats{}) {
		t.Fatalf("QueueStats after acks = %+v, want all zero", st)
	}
}

func testQueueLeaseExpiry(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	sub := MakeSubmission("lease", base, nil)
	MustSubmit(t, s, sub)
	const lease = 300 * time.Millisecond
	first := mustClaim(t, s, 1, lease)
	if len(first) != 1 {
		t.Fatalf("Claim = %d jobs, want 1", len(first))
	}
	// The worker "dies": no Ack. Before the lease ends, nobody else gets it.
	if again := mustClaim(t, s, 1, lease); len(again) != 0 {
		t.Fatalf("Claim during lease = %+v, want none", again)
	}
	time.Sleep(lease + 50*time.Millisecond)
	back := claimWithin(t, s, 2*time.Second, time.Minute)
	if len(back) != 1 || back[0].ID != sub.Job.ID || back[0].Attempt != 2 {
		t.Fatalf("Claim after lease = %+v, want job %s on attempt 2", back, sub.Job.ID)
	}
	if err := s.Ack(ctx, back[0]); err != nil {
		t.Fatalf("Ack = %v", err)
	}
	if st := mustStats(t, s); st != (store.QueueStats{}) {
		t.Fatalf("QueueStats = %+v, want empty", st)
	}
}

func testQueueFailRetry(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	sub := MakeSubmission("fail", base, nil)
	MustSubmit(t, s, sub)
	jobs := mustClaim(t, s, 1, time.Minute)
	if len(jobs) != 1 {
		t.Fatalf("Claim = %d jobs", len(jobs))
	}
	if err := s.Fail(ctx, jobs[0], "smtp down", 200*time.Millisecond); err != nil {
		t.Fatalf("Fail = %v", err)
	}
	if early := mustClaim(t, s, 1, time.Minute); len(early) != 0 {
		t.Fatalf("Claim right after Fail(retry 200ms) = %+v, want none yet", early)
	}
	back := claimWithin(t, s, 3*time.Second, time.Minute)
	if len(back) != 1 || back[0].ID != sub.Job.ID || back[0].Attempt != 2 {
		t.Fatalf("Claim after retry delay = %+v, want job on attempt 2", back)
	}
}

func testQueueDeadLetterAfterFailures(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	sub := MakeSubmission("dead", base, nil)
	MustSubmit(t, s, sub)
	for attempt := 1; attempt <= store.MaxAttempts; attempt++ {
		jobs := claimWithin(t, s, 3*time.Second, time.Minute)
		if len(jobs) != 1 || jobs[0].Attempt != attempt {
			t.Fatalf("delivery %d: Claim = %+v, want the job on attempt %d", attempt, jobs, attempt)
		}
		if err := s.Fail(ctx, jobs[0], fmt.Sprint("failure ", attempt), 0); err != nil {
			t.Fatalf("Fail = %v", err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if jobs := mustClaim(t, s, 10, time.Minute); len(jobs) != 0 {
		t.Fatalf("Claim after %d failures = %+v, want none (dead-lettered)", store.MaxAttempts, jobs)
	}
	dead, err := s.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 {
		t.Fatalf("DeadLetters = %+v, %v; want 1", dead, err)
	}
	if d := dead[0]; d.ID != sub.Job.ID || d.ReportID != sub.Report.ID || d.LastError != fmt.Sprint("failure ", store.MaxAttempts) || d.DeadAt.IsZero() {
		t.Fatalf("dead letter = %+v, want job %s with last error %q and DeadAt", d, sub.Job.ID, fmt.Sprint("failure ", store.MaxAttempts))
	}
	if st := mustStats(t, s); st.Dead != 1 || st.Ready != 0 || st.InFlight != 0 {
		t.Fatalf("QueueStats = %+v, want 1 dead only", st)
	}
}

func testQueueDeadLetterAfterLeaseExpiries(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	sub := MakeSubmission("crashy", base, nil)
	MustSubmit(t, s, sub)
	const lease = 100 * time.Millisecond
	for attempt := 1; attempt <= store.MaxAttempts; attempt++ {
		jobs := claimWithin(t, s, 3*time.Second, lease)
		if len(jobs) != 1 || jobs[0].Attempt != attempt {
			t.Fatalf("delivery %d: Claim = %+v, want attempt %d", attempt, jobs, attempt)
		}
		// The worker crashes every time: no Ack, no Fail.
	}
	time.Sleep(lease + 50*time.Millisecond)
	if jobs := mustClaim(t, s, 10, lease); len(jobs) != 0 {
		t.Fatalf("Claim after %d expired leases = %+v, want none", store.MaxAttempts, jobs)
	}
	dead, err := s.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 || dead[0].ID != sub.Job.ID || dead[0].LastError == "" {
		t.Fatalf("DeadLetters = %+v, %v; want the job with a last error", dead, err)
	}
}

func testQueueRelease(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	sub := MakeSubmission("rel", base, nil)
	MustSubmit(t, s, sub)
	jobs := mustClaim(t, s, 1, time.Hour)
	if len(jobs) != 1 {
		t.Fatalf("Claim = %d", len(jobs))
	}
	if err := s.Release(ctx, jobs[0]); err != nil {
		t.Fatalf("Release = %v", err)
	}
	back := claimWithin(t, s, 2*time.Second, time.Hour)
	if len(back) != 1 || back[0].ID != sub.Job.ID || back[0].Attempt != 1 {
		t.Fatalf("Claim after Release = %+v, want the job back at once, still on attempt 1 (a release is not a failure)", back)
	}
}

// A worker whose lease ran out may still call Fail or Ack late. A late Fail
// must not take the job from the worker that holds it now.
func testQueueStaleFail(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	sub := MakeSubmission("stale", base, nil)
	MustSubmit(t, s, sub)
	const lease = 100 * time.Millisecond
	old := mustClaim(t, s, 1, lease)
	if len(old) != 1 {
		t.Fatalf("Claim = %d jobs", len(old))
	}
	time.Sleep(lease + 50*time.Millisecond)
	cur := claimWithin(t, s, 2*time.Second, time.Hour)
	if len(cur) != 1 || cur[0].Attempt != 2 {
		t.Fatalf("re-Claim = %+v, want attempt 2", cur)
	}
	if err := s.Fail(ctx, old[0], "late failure", 0); err != nil {
		t.Fatalf("stale Fail = %v, want nil (ignored)", err)
	}
	if jobs := mustClaim(t, s, 1, time.Hour); len(jobs) != 0 {
		t.Fatalf("Claim after a stale Fail = %+v, want none: the current lease holds", jobs)
	}
	if err := s.Ack(ctx, cur[0]); err != nil {
		t.Fatalf("Ack = %v", err)
	}
	if st := mustStats(t, s); st != (store.QueueStats{}) {
		t.Fatalf("QueueStats = %+v, want empty", st)
	}
}

func testQueueEnqueuePayload(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	j := store.Job{ID: store.NewID(base), Type: "brief", Payload: []byte(`{"team":"magnets","lang":"zh"}`), EnqueuedAt: base}
	if err := s.Enqueue(ctx, j); err != nil {
		t.Fatalf("Enqueue = %v", err)
	}
	jobs := mustClaim(t, s, 5, time.Minute)
	if len(jobs) != 1 || jobs[0].ID != j.ID || jobs[0].Type != "brief" || string(jobs[0].Payload) != string(j.Payload) || !jobs[0].EnqueuedAt.Equal(base) {
		t.Fatalf("Claim = %+v, want %+v", jobs, j)
	}
}
