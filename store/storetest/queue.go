package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// Times of the time-based queue cases. They are real time on a backend
// whose clock the test cannot set (Harness.RealTime), so they stay short;
// the margins leave room for a loaded test machine.
const (
	lease     = 150 * time.Millisecond // a lease that is meant to run out
	pastLease = lease + 60*time.Millisecond
	longLease = time.Hour // a lease that must not run out during a case
)

// newJob is a job of type typ, queue empty (the queue follows the type).
func newJob(typ string) store.Job {
	return store.Job{ID: store.NewID(time.Now()), Type: typ, Payload: []byte(`{"n":1}`), EnqueuedAt: base}
}

func mustEnqueue(t *testing.T, s store.Store, j store.Job) {
	t.Helper()
	if err := s.Enqueue(ctxT(t), j); err != nil {
		t.Fatalf("Enqueue(%s %s, queue %q) = %v", j.Type, j.ID, j.Queue, err)
	}
}

// claimOne claims from queue and fails unless exactly job id comes back on
// the given attempt.
func claimOne(t *testing.T, s store.Store, queue, id string, attempt int, lease time.Duration) store.Job {
	t.Helper()
	jobs := mustClaimFrom(t, s, queue, 10, lease)
	if len(jobs) != 1 || jobs[0].ID != id || jobs[0].Attempt != attempt || jobs[0].Queue != queue || jobs[0].Handle == "" {
		t.Fatalf("Claim(%s) = %s; want exactly job %s on attempt %d, in queue %s, with a handle", queue, describe(jobs), id, attempt, queue)
	}
	return jobs[0]
}

// claimNone fails if Claim(queue) returns any job.
func claimNone(t *testing.T, s store.Store, queue, why string) {
	t.Helper()
	if jobs := mustClaimFrom(t, s, queue, 10, longLease); len(jobs) != 0 {
		t.Fatalf("Claim(%s) %s = %s; want none", queue, why, describe(jobs))
	}
}

func wantStats(t *testing.T, s store.Store, queue string, want store.QueueStats, when string) {
	t.Helper()
	if got := mustStatsOf(t, s, queue); got != want {
		t.Fatalf("QueueStats(%s) %s = %+v; want %+v", queue, when, got, want)
	}
}

func describe(jobs []store.Job) string {
	if len(jobs) == 0 {
		return "no jobs"
	}
	var b strings.Builder
	for i, j := range jobs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "{%s %s queue=%s attempt=%d err=%q}", j.ID, j.Type, j.Queue, j.Attempt, j.LastError)
	}
	return b.String()
}

func mustAck(t *testing.T, s store.Store, j store.Job) {
	t.Helper()
	if err := s.Ack(ctxT(t), j); err != nil {
		t.Fatalf("Ack(%s attempt %d) = %v", j.ID, j.Attempt, err)
	}
}

func mustFail(t *testing.T, s store.Store, j store.Job, reason string, retryAfter time.Duration) {
	t.Helper()
	if err := s.Fail(ctxT(t), j, reason, retryAfter); err != nil {
		t.Fatalf("Fail(%s attempt %d, %q, %s) = %v, want nil", j.ID, j.Attempt, reason, retryAfter, err)
	}
}

func mustRelease(t *testing.T, s store.Store, j store.Job, after time.Duration) {
	t.Helper()
	if err := s.Release(ctxT(t), j, after); err != nil {
		t.Fatalf("Release(%s attempt %d, %s) = %v, want nil", j.ID, j.Attempt, after, err)
	}
}

// killJob delivers j (already enqueued in queue) and fails it until it is
// dead-lettered; the last reason is "failure <MaxAttempts>".
func killJob(t *testing.T, s store.Store, queue, id string) {
	t.Helper()
	for attempt := 1; attempt <= store.MaxAttempts; attempt++ {
		d := claimOne(t, s, queue, id, attempt, longLease)
		mustFail(t, s, d, fmt.Sprint("failure ", attempt), 0)
	}
}

func mustDeadLetters(t *testing.T, s store.Store, limit int) []store.Job {
	t.Helper()
	dead, err := s.DeadLetters(ctxT(t), limit)
	if err != nil {
		t.Fatalf("DeadLetters(%d) = %v", limit, err)
	}
	return dead
}

func testQueueClaimAck(t *testing.T, h Harness) {
	s := open(t, h)
	var subs []store.Submission
	for i := range 3 {
		sub := MakeSubmission(fmt.Sprint("q", i), base.Add(time.Duration(i)*time.Second), nil)
		MustSubmit(t, s, sub)
		subs = append(subs, sub)
	}
	jobs := mustClaim(t, s, 2, longLease)
	if len(jobs) != 2 || jobs[0].ID != subs[0].Job.ID || jobs[1].ID != subs[1].Job.ID {
		t.Fatalf("Claim(report, max 2) = %s; want the jobs of the first two submissions, oldest first", describe(jobs))
	}
	for i, j := range jobs {
		if j.Queue != store.QueueReport || j.Attempt != 1 || j.ReportID != subs[i].Report.ID || j.Type != store.JobProcessReport {
			t.Fatalf("claimed job %d = %+v; want queue report, attempt 1, report %s", i, j, subs[i].Report.ID)
		}
	}
	wantStats(t, s, store.QueueReport, store.QueueStats{Ready: 1, InFlight: 2}, "after claiming 2 of 3")
	rest := claimOne(t, s, store.QueueReport, subs[2].Job.ID, 1, longLease)
	claimNone(t, s, store.QueueReport, "with every job leased")
	for _, j := range append(jobs, rest) {
		mustAck(t, s, j)
	}
	mustAck(t, s, jobs[0]) // acking twice is harmless
	wantStats(t, s, store.QueueReport, store.QueueStats{}, "after acking all")
}

func testQueueLeaseExpiry(t *testing.T, h Harness) {
	s := open(t, h)
	sub := MakeSubmission("lease", base, nil)
	MustSubmit(t, s, sub)
	claimOne(t, s, store.QueueReport, sub.Job.ID, 1, lease)
	// The worker "dies": no Ack. Until the lease ends, nobody else gets it.
	claimNone(t, s, store.QueueReport, "during the lease")
	wantStats(t, s, store.QueueReport, store.QueueStats{InFlight: 1}, "during the lease")
	h.Advance(t, s, pastLease)
	wantStats(t, s, store.QueueReport, store.QueueStats{Ready: 1}, "after the lease ran out")
	back := claimOne(t, s, store.QueueReport, sub.Job.ID, 2, longLease)
	mustAck(t, s, back)
	wantStats(t, s, store.QueueReport, store.QueueStats{}, "after Ack")
}

func testQueueFailRetry(t *testing.T, h Harness) {
	s := open(t, h)
	sub := MakeSubmission("fail", base, nil)
	MustSubmit(t, s, sub)
	d := claimOne(t, s, store.QueueReport, sub.Job.ID, 1, longLease)
	const retry = 300 * time.Millisecond
	mustFail(t, s, d, "smtp down", retry)
	mustFail(t, s, d, "again", 0) // a second Fail of the same delivery: ignored
	wantStats(t, s, store.QueueReport, store.QueueStats{Ready: 1}, "while waiting for the retry")
	claimNone(t, s, store.QueueReport, "right after Fail(retry 300ms)")
	h.Advance(t, s, retry+60*time.Millisecond)
	back := claimOne(t, s, store.QueueReport, sub.Job.ID, 2, longLease)
	if back.LastError != "smtp down" {
		t.Fatalf("redelivery after Fail = %+v; want LastError %q (the first Fail's reason)", back, "smtp down")
	}
	mustAck(t, s, back)
	if dead := mustDeadLetters(t, s, 10); len(dead) != 0 {
		t.Fatalf("DeadLetters after a retried success = %s; want none", describe(dead))
	}
}

func testQueueDeadLetterAfterFailures(t *testing.T, h Harness) {
	s := open(t, h)
	sub := MakeSubmission("dead", base, nil)
	MustSubmit(t, s, sub)
	killJob(t, s, store.QueueReport, sub.Job.ID)
	claimNone(t, s, store.QueueReport, fmt.Sprintf("after %d failures", store.MaxAttempts))
	dead := mustDeadLetters(t, s, 10)
	want := fmt.Sprint("failure ", store.MaxAttempts)
	if len(dead) != 1 {
		t.Fatalf("DeadLetters = %s; want the one job", describe(dead))
	}
	if d := dead[0]; d.ID != sub.Job.ID || d.ReportID != sub.Report.ID || d.Queue != store.QueueReport ||
		d.Attempt != store.MaxAttempts || d.LastError != want || d.DeadAt.IsZero() || d.Type != store.JobProcessReport {
		t.Fatalf("dead letter = %+v; want job %s of report %s in queue report, attempt %d, last error %q, DeadAt set",
			d, sub.Job.ID, sub.Report.ID, store.MaxAttempts, want)
	}
	wantStats(t, s, store.QueueReport, store.QueueStats{Dead: 1}, "after dead-lettering")
}

func testQueueDeadLetterAfterLeaseExpiries(t *testing.T, h Harness) {
	s := open(t, h)
	sub := MakeSubmission("crashy", base, nil)
	MustSubmit(t, s, sub)
	d := claimOne(t, s, store.QueueReport, sub.Job.ID, 1, longLease)
	mustFail(t, s, d, "pdf render failed", 0) // one reported failure first
	for attempt := 2; attempt <= store.MaxAttempts; attempt++ {
		claimOne(t, s, store.QueueReport, sub.Job.ID, attempt, lease)
		h.Advance(t, s, pastLease) // the worker crashes every time: no Ack, no Fail
	}
	wantStats(t, s, store.QueueReport, store.QueueStats{Ready: 1}, "after the last lease ran out (not yet dead-lettered)")
	claimNone(t, s, store.QueueReport, fmt.Sprintf("after %d deliveries", store.MaxAttempts))
	wantStats(t, s, store.QueueReport, store.QueueStats{Dead: 1}, "after the Claim that dead-lettered it")
	dead := mustDeadLetters(t, s, 0)
	if len(dead) != 1 || dead[0].ID != sub.Job.ID || dead[0].Attempt != store.MaxAttempts || dead[0].Queue != store.QueueReport ||
		dead[0].LastError != "lease expired; earlier error: pdf render failed" || dead[0].DeadAt.IsZero() {
		t.Fatalf("DeadLetters = %s; want job %s, attempt %d, last error %q, DeadAt set",
			describe(dead), sub.Job.ID, store.MaxAttempts, "lease expired; earlier error: pdf render failed")
	}
}

func testQueueReleaseNow(t *testing.T, h Harness) {
	s := open(t, h)
	sub := MakeSubmission("rel", base, nil)
	MustSubmit(t, s, sub)
	d := claimOne(t, s, store.QueueReport, sub.Job.ID, 1, longLease)
	mustRelease(t, s, d, 0)
	mustRelease(t, s, d, 0) // twice: the second is stale and ignored
	wantStats(t, s, store.QueueReport, store.QueueStats{Ready: 1}, "after Release(0)")
	// Back at once, still on attempt 1: a release is not a failure.
	claimOne(t, s, store.QueueReport, sub.Job.ID, 1, longLease)
}

func testQueueReleaseDelayed(t *testing.T, h Harness) {
	s := open(t, h)
	j := newJob(store.JobMail)
	mustEnqueue(t, s, j)
	d := claimOne(t, s, store.QueueMail, j.ID, 1, longLease)
	const after = 300 * time.Millisecond
	mustRelease(t, s, d, after)
	wantStats(t, s, store.QueueMail, store.QueueStats{Ready: 1}, "after Release(300ms)")
	claimNone(t, s, store.QueueMail, "before the release delay is over")
	h.Advance(t, s, after+60*time.Millisecond)
	claimOne(t, s, store.QueueMail, j.ID, 1, longLease)
}

func testQueueReleaseDoesNotCount(t *testing.T, h Harness) {
	s := open(t, h)
	j := newJob(store.JobBrief)
	mustEnqueue(t, s, j)
	for range store.MaxAttempts + 2 {
		d := claimOne(t, s, store.QueueBrief, j.ID, 1, longLease)
		mustRelease(t, s, d, 0)
	}
	wantStats(t, s, store.QueueBrief, store.QueueStats{Ready: 1}, fmt.Sprintf("after %d releases", store.MaxAttempts+2))
	if dead := mustDeadLetters(t, s, 10); len(dead) != 0 {
		t.Fatalf("DeadLetters after releases = %s; want none", describe(dead))
	}
}

// Leases are per delivery: a claimer using a short lease never takes a job
// that another claimer leased for longer.
func testQueueLongLeaseNotStolen(t *testing.T, h Harness) {
	s := open(t, h)
	sub := MakeSubmission("long", base, nil)
	MustSubmit(t, s, sub)
	claimOne(t, s, store.QueueReport, sub.Job.ID, 1, longLease)
	for range 2 {
		h.Advance(t, s, pastLease)
		if jobs := mustClaimFrom(t, s, store.QueueReport, 10, lease); len(jobs) != 0 {
			t.Fatalf("Claim(lease %s) during another's %s lease = %s; want none", lease, longLease, describe(jobs))
		}
	}
	wantStats(t, s, store.QueueReport, store.QueueStats{InFlight: 1}, "during the long lease")
}

// A worker whose lease ran out may still call Fail, Release or Ack late.
// A late Fail or Release must not take the job from the worker that holds
// it now; a late Ack acks (the work was done).
func testQueueStaleDelivery(t *testing.T, h Harness) {
	s := open(t, h)
	sub := MakeSubmission("stale", base, nil)
	MustSubmit(t, s, sub)
	old := claimOne(t, s, store.QueueReport, sub.Job.ID, 1, lease)
	h.Advance(t, s, pastLease)
	cur := claimOne(t, s, store.QueueReport, sub.Job.ID, 2, longLease)
	mustFail(t, s, old, "late failure", 0)
	mustRelease(t, s, old, 0)
	wantStats(t, s, store.QueueReport, store.QueueStats{InFlight: 1}, "after a stale Fail and Release")
	claimNone(t, s, store.QueueReport, "after a stale Fail and Release (the current lease holds)")
	mustAck(t, s, old)
	wantStats(t, s, store.QueueReport, store.QueueStats{}, "after the stale Ack")
	// The current holder's settlement of a gone job is harmless.
	mustFail(t, s, cur, "too late", 0)
	mustAck(t, s, cur)
	wantStats(t, s, store.QueueReport, store.QueueStats{}, "after settling a gone job")
	if dead := mustDeadLetters(t, s, 10); len(dead) != 0 {
		t.Fatalf("DeadLetters = %s; want none", describe(dead))
	}
}

// Enqueue of an id that is ready, in flight, dead or acked recently is a
// no-op, whichever queue it names; the id of Submit's job is registered the
// same way.
func testQueueEnqueueSameID(t *testing.T, h Harness) {
	s := open(t, h)

	// Ready: twice, then once more into another queue.
	ready := newJob(store.JobAlert)
	mustEnqueue(t, s, ready)
	mustEnqueue(t, s, ready)
	other := ready
	other.Queue = store.QueueMail
	mustEnqueue(t, s, other)
	wantStats(t, s, store.QueueAlert, store.QueueStats{Ready: 1}, "after enqueueing one id twice")
	wantStats(t, s, store.QueueMail, store.QueueStats{}, "after enqueueing an alert's id into mail")

	// In flight.
	d := claimOne(t, s, store.QueueAlert, ready.ID, 1, longLease)
	mustEnqueue(t, s, ready)
	wantStats(t, s, store.QueueAlert, store.QueueStats{InFlight: 1}, "after enqueueing an in-flight id")

	// Acked recently.
	mustAck(t, s, d)
	h.Advance(t, s, 50*time.Millisecond)
	mustEnqueue(t, s, ready)
	wantStats(t, s, store.QueueAlert, store.QueueStats{}, "after enqueueing a just-acked id")
	claimNone(t, s, store.QueueAlert, "after enqueueing a just-acked id")

	// Dead.
	dead := newJob(store.JobAlert)
	mustEnqueue(t, s, dead)
	killJob(t, s, store.QueueAlert, dead.ID)
	mustEnqueue(t, s, dead)
	wantStats(t, s, store.QueueAlert, store.QueueStats{Dead: 1}, "after enqueueing a dead id")

	// Submit's job is registered the same way: in any queue, in any state.
	sub := MakeSubmission("sub-id", base, nil)
	MustSubmit(t, s, sub)
	again := sub.Job
	mustEnqueue(t, s, again)
	again.Queue = store.QueuePhoto
	mustEnqueue(t, s, again)
	wantStats(t, s, store.QueueReport, store.QueueStats{Ready: 1}, "after enqueueing a submitted job's id")
	wantStats(t, s, store.QueuePhoto, store.QueueStats{}, "after enqueueing a submitted job's id into photo")
	d = claimOne(t, s, store.QueueReport, sub.Job.ID, 1, longLease)
	mustEnqueue(t, s, again)
	mustAck(t, s, d)
	mustEnqueue(t, s, sub.Job)
	wantStats(t, s, store.QueueReport, store.QueueStats{}, "after enqueueing an acked submitted job's id")
}

// An id acked longer than store.AckedRetention ago may be enqueued again.
func testQueueEnqueueAfterAckedRetention(t *testing.T, h Harness) {
	if h.RealTime {
		// A week cannot pass in a test on a server clock; the Redis backend
		// proves the rule by back-dating the acked marker
		// (redisstore TestAckedMarkerExpires).
		t.Skip("needs store.AckedRetention to pass: fake-clock backends only")
	}
	s := open(t, h)
	j := newJob(store.JobBrief)
	mustEnqueue(t, s, j)
	mustAck(t, s, claimOne(t, s, store.QueueBrief, j.ID, 1, longLease))
	h.Advance(t, s, store.AckedRetention-time.Minute)
	mustEnqueue(t, s, j)
	claimNone(t, s, store.QueueBrief, "a minute before the acked id is forgotten")
	h.Advance(t, s, 2*time.Minute)
	mustEnqueue(t, s, j)
	mustAck(t, s, claimOne(t, s, store.QueueBrief, j.ID, 1, longLease))
	mustEnqueue(t, s, j) // acked again just now: a no-op again
	claimNone(t, s, store.QueueBrief, "after the second Ack")
}

func testQueueEnqueueRejects(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	for _, tc := range []struct {
		name string
		job  store.Job
	}{
		{"unknown queue", store.Job{ID: "j1", Type: store.JobMail, Queue: "fax"}},
		{"unknown type, no queue", store.Job{ID: "j2", Type: "print_label"}},
		{"empty id", store.Job{Type: store.JobMail}},
	} {
		if err := s.Enqueue(ctx, tc.job); err == nil {
			t.Errorf("Enqueue(%s: %+v) = nil; want an error", tc.name, tc.job)
		}
	}
	if _, err := s.Claim(ctx, "fax", "w", 1, time.Minute); err == nil {
		t.Errorf("Claim(unknown queue) = nil error; want one")
	}
	if _, err := s.QueueStats(ctx, "fax"); err == nil {
		t.Errorf("QueueStats(unknown queue) = nil error; want one")
	}
	if _, err := s.Claim(ctx, store.QueueMail, "w", 1, 0); err == nil {
		t.Errorf("Claim(lease 0) = nil error; want one")
	}
	if jobs, err := s.Claim(ctx, store.QueueMail, "w", 0, time.Minute); err != nil || len(jobs) != 0 {
		t.Errorf("Claim(max 0) = %s, %v; want no jobs, no error", describe(jobs), err)
	}
	// A job type this binary does not know goes where j.Queue says (an
	// older instance enqueueing for a newer one).
	future := store.Job{ID: store.NewID(base), Type: "print_label", Queue: store.QueuePhoto}
	mustEnqueue(t, s, future)
	claimOne(t, s, store.QueuePhoto, future.ID, 1, longLease)
}

func testQueueEnqueuePayload(t *testing.T, h Harness) {
	s := open(t, h)
	j := store.Job{ID: store.NewID(base), Type: store.JobBrief, Payload: []byte(`{"team":"magnets","lang":"zh"}`), EnqueuedAt: base}
	mustEnqueue(t, s, j)
	got := claimOne(t, s, store.QueueBrief, j.ID, 1, longLease)
	if got.Type != store.JobBrief || string(got.Payload) != string(j.Payload) || !got.EnqueuedAt.Equal(base) || got.LastError != "" {
		t.Fatalf("Claim(brief) = %+v; want %+v", got, j)
	}
}

// Each queue is claimed on its own, with its own leases and counts.
func testQueuesIsolated(t *testing.T, h Harness) {
	s := open(t, h)
	sub := MakeSubmission("iso", base, nil)
	MustSubmit(t, s, sub)
	photo := newJob(store.JobProcessPhotos)
	mustEnqueue(t, s, photo)
	wantStats(t, s, store.QueueReport, store.QueueStats{Ready: 1}, "with one report job")
	wantStats(t, s, store.QueuePhoto, store.QueueStats{Ready: 1}, "with one photo job")
	for _, q := range []string{store.QueueAlert, store.QueueBrief, store.QueueMail} {
		claimNone(t, s, q, "with only report and photo jobs")
		wantStats(t, s, q, store.QueueStats{}, "with only report and photo jobs")
	}
	claimOne(t, s, store.QueueReport, sub.Job.ID, 1, longLease)
	claimNone(t, s, store.QueueReport, "(the photo job must not come from report)")
	p := claimOne(t, s, store.QueuePhoto, photo.ID, 1, lease)
	h.Advance(t, s, pastLease)
	// The photo lease ran out, the report lease did not.
	wantStats(t, s, store.QueuePhoto, store.QueueStats{Ready: 1}, "after the photo lease ran out")
	wantStats(t, s, store.QueueReport, store.QueueStats{InFlight: 1}, "while its long lease runs")
	claimNone(t, s, store.QueueReport, "while its long lease runs")
	p2 := claimOne(t, s, store.QueuePhoto, photo.ID, 2, longLease)
	if p2.Type != store.JobProcessPhotos || string(p2.Payload) != string(photo.Payload) {
		t.Fatalf("photo redelivery = %+v; want the photo job %+v", p2, p)
	}
}

func testQueueDeadLettersAcrossQueues(t *testing.T, h Harness) {
	s := open(t, h)
	var want []store.Job // in the order they die
	for _, typ := range []string{store.JobProcessPhotos, store.JobProcessReport, store.JobMail} {
		j := newJob(typ)
		mustEnqueue(t, s, j)
		q, _ := store.QueueFor(typ)
		killJob(t, s, q, j.ID)
		j.Queue = q
		want = append(want, j)
		h.Advance(t, s, 20*time.Millisecond) // distinct dead-at times
	}
	dead := mustDeadLetters(t, s, 0)
	if len(dead) != 3 {
		t.Fatalf("DeadLetters = %s; want 3", describe(dead))
	}
	for i, d := range dead {
		w := want[len(want)-1-i]
		if d.ID != w.ID || d.Queue != w.Queue || d.Type != w.Type || d.Attempt != store.MaxAttempts ||
			d.LastError != fmt.Sprint("failure ", store.MaxAttempts) || d.DeadAt.IsZero() || string(d.Payload) != string(w.Payload) {
			t.Fatalf("DeadLetters[%d] = %+v; want job %s of queue %s (newest first), attempt %d, its payload", i, d, w.ID, w.Queue, store.MaxAttempts)
		}
		if i > 0 && !d.DeadAt.Before(dead[i-1].DeadAt) {
			t.Fatalf("DeadLetters not newest first: %s at %s after %s at %s", d.ID, d.DeadAt, dead[i-1].ID, dead[i-1].DeadAt)
		}
	}
	if two := mustDeadLetters(t, s, 2); len(two) != 2 || two[0].ID != want[2].ID || two[1].ID != want[1].ID {
		t.Fatalf("DeadLetters(2) = %s; want %s then %s", describe(two), want[2].ID, want[1].ID)
	}
	for _, w := range want {
		wantStats(t, s, w.Queue, store.QueueStats{Dead: 1}, "with one dead job in each of three queues")
	}
	wantStats(t, s, store.QueueAlert, store.QueueStats{}, "with no alert jobs")
}

func testQueueRetryDead(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	j := newJob(store.JobMail)
	mustEnqueue(t, s, j)
	killJob(t, s, store.QueueMail, j.ID)
	if err := s.RetryDead(ctx, j.ID); err != nil {
		t.Fatalf("RetryDead(%s) = %v", j.ID, err)
	}
	if dead := mustDeadLetters(t, s, 10); len(dead) != 0 {
		t.Fatalf("DeadLetters after RetryDead = %s; want none", describe(dead))
	}
	wantStats(t, s, store.QueueMail, store.QueueStats{Ready: 1}, "after RetryDead")
	mustEnqueue(t, s, j) // live again: a no-op
	got := claimOne(t, s, store.QueueMail, j.ID, 1, longLease)
	if got.Type != store.JobMail || string(got.Payload) != string(j.Payload) || !got.DeadAt.IsZero() {
		t.Fatalf("Claim after RetryDead = %+v; want the mail job with its payload, no DeadAt", got)
	}
	// A retried job gets all its attempts again.
	mustFail(t, s, got, "failure 1", 0)
	for attempt := 2; attempt <= store.MaxAttempts; attempt++ {
		mustFail(t, s, claimOne(t, s, store.QueueMail, j.ID, attempt, longLease), fmt.Sprint("failure ", attempt), 0)
	}
	wantStats(t, s, store.QueueMail, store.QueueStats{Dead: 1}, "after dying again")
	if err := s.RetryDead(ctx, "no-such-job"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RetryDead(unknown id) = %v; want ErrNotFound", err)
	}
	live := newJob(store.JobMail)
	mustEnqueue(t, s, live)
	if err := s.RetryDead(ctx, live.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RetryDead(id of a ready job) = %v; want ErrNotFound", err)
	}
}

// testQueueExtend: a running job whose lease is renewed is not delivered
// again when its first lease would have run out; a renewal from a delivery
// that is no longer current is refused and changes nothing.
func testQueueExtend(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	sub := MakeSubmission("extend", base, nil)
	MustSubmit(t, s, sub)
	d := claimOne(t, s, store.QueueReport, sub.Job.ID, 1, lease)
	ok, err := s.Extend(ctx, d, longLease)
	if err != nil || !ok {
		t.Fatalf("Extend of the current delivery = %v, %v; want true", ok, err)
	}
	h.Advance(t, s, pastLease)
	claimNone(t, s, store.QueueReport, "after the first lease would have run out, renewed")
	wantStats(t, s, store.QueueReport, store.QueueStats{InFlight: 1}, "renewed")
	mustAck(t, s, d)
	if ok, err := s.Extend(ctx, d, longLease); err != nil || ok {
		t.Fatalf("Extend after Ack = %v, %v; want false", ok, err)
	}
	wantStats(t, s, store.QueueReport, store.QueueStats{}, "after Ack and a late Extend")

	// A delivery whose lease ran out and that was delivered again.
	sub2 := MakeSubmission("extend-stale", base, nil)
	MustSubmit(t, s, sub2)
	first := claimOne(t, s, store.QueueReport, sub2.Job.ID, 1, lease)
	h.Advance(t, s, pastLease)
	second := claimOne(t, s, store.QueueReport, sub2.Job.ID, 2, lease)
	if ok, err := s.Extend(ctx, first, longLease); err != nil || ok {
		t.Fatalf("Extend of a stale delivery = %v, %v; want false", ok, err)
	}
	// The stale renewal did not lengthen the current lease.
	h.Advance(t, s, pastLease)
	third := claimOne(t, s, store.QueueReport, sub2.Job.ID, 3, longLease)
	_ = second
	mustAck(t, s, third)
}
