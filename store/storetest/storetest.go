// Package storetest is the conformance suite every store.Store backend must
// pass. A backend's test file calls Run with a Harness that opens a fresh,
// private store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// Harness opens stores for the suite.
type Harness struct {
	// New returns a new, empty store private to t; the harness closes it at
	// cleanup (closing twice must be harmless).
	New func(t *testing.T) store.Store
	// Reopen closes s and opens the same data again, as a process restart
	// would. The returned store replaces s (and keeps s's clock).
	Reopen func(t *testing.T, s store.Store) store.Store
	// Advance moves s's clock on by d: a fake clock the backend reads, or,
	// for a backend that reads a clock the test cannot set (the Redis
	// server's), a real sleep. The suite keeps real-time advances short.
	Advance func(t *testing.T, s store.Store, d time.Duration)
	// RealTime says Advance sleeps; cases that need days to pass are then
	// skipped (each says where its backend proves the behaviour instead).
	RealTime bool
}

// Run runs the whole suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"SubmitAndRead", testSubmitAndRead},
		{"SubmitReplay", testSubmitReplay},
		{"SubmitConcurrentSameKey", testSubmitConcurrentSameKey},
		{"SubmitConcurrentDistinct", testSubmitConcurrentDistinct},
		{"ReportByIdempotencyKey", testReportByIdempotencyKey},
		{"NotFound", testNotFound},
		{"FindReports", testFindReports},
		{"FilterFields", testFilterFields},
		{"FilterEachField", testFilterEachField},
		{"FilterRandom", testFilterRandom},
		{"FilterUpdateMovesIndexes", testFilterUpdateMovesIndexes},
		{"UpdateReport", testUpdateReport},
		{"QueueClaimAck", testQueueClaimAck},
		{"QueueLeaseExpiry", testQueueLeaseExpiry},
		{"QueueFailRetry", testQueueFailRetry},
		{"QueueDeadLetterAfterFailures", testQueueDeadLetterAfterFailures},
		{"QueueDeadLetterAfterLeaseExpiries", testQueueDeadLetterAfterLeaseExpiries},
		{"QueueReleaseNow", testQueueReleaseNow},
		{"QueueReleaseDelayed", testQueueReleaseDelayed},
		{"QueueReleaseDoesNotCount", testQueueReleaseDoesNotCount},
		{"QueueLongLeaseNotStolen", testQueueLongLeaseNotStolen},
		{"QueueStaleDelivery", testQueueStaleDelivery},
		{"QueueEnqueueSameID", testQueueEnqueueSameID},
		{"QueueEnqueueAfterAckedRetention", testQueueEnqueueAfterAckedRetention},
		{"QueueEnqueueRejects", testQueueEnqueueRejects},
		{"QueueEnqueuePayload", testQueueEnqueuePayload},
		{"QueuesIsolated", testQueuesIsolated},
		{"QueueDeadLettersAcrossQueues", testQueueDeadLettersAcrossQueues},
		{"QueueRetryDead", testQueueRetryDead},
		{"QueueExtend", testQueueExtend},
		{"Tokens", testTokens},
		{"TokensRevoke", testTokensRevoke},
		{"TokensTouch", testTokensTouch},
		{"RestartDurability", testRestartDurability},
		{"RecordsBasic", testRecordsBasic},
		{"RecordsRejects", testRecordsRejects},
		{"RecordsCreateOnce", testRecordsCreateOnce},
		{"RecordsUpdate", testRecordsUpdate},
		{"RecordsList", testRecordsList},
		{"RecordsDurable", testRecordsDurable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, h)
		})
	}
}

var base = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// MakeSubmission builds a submission as the intake service would: a fresh ID
// for time at, a receipt, a first history entry and a processing job.
func MakeSubmission(key string, at time.Time, mod func(*store.Report)) store.Submission {
	id := store.NewID(at)
	r := store.Report{
		ID: id, Code: store.NewCode(), Receipt: "rcpt-" + id,
		Line: "sx-1", Category: "quality", Severity: store.SeverityMedium,
		Title: "萃取槽分相慢 / slow phase separation", Body: "Mixer-settler B, since shift 2.",
		Station: "混合澄清槽 B", Role: store.RoleOperator, Lang: "zh",
		Status: store.StatusNew, CreatedAt: at, UpdatedAt: at,
		History: []store.Event{{At: at, By: "reporter", Action: store.ActionCreated, To: string(store.StatusNew)}},
	}
	if mod != nil {
		mod(&r)
	}
	return store.Submission{
		Report:         r,
		IdempotencyKey: key,
		PayloadHash:    "hash-of-" + r.Title + "/" + r.Line,
		Job:            store.Job{ID: store.NewID(at), Type: store.JobProcessReport, ReportID: id, EnqueuedAt: at},
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, h Harness) store.Store {
	t.Helper()
	s := h.New(t)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// MustSubmit submits sub and fails the test on error.
func MustSubmit(t *testing.T, s store.Store, sub store.Submission) store.Report {
	t.Helper()
	r, _, err := s.Submit(ctxT(t), sub)
	if err != nil {
		t.Fatalf("Submit(%s) = %v", sub.IdempotencyKey, err)
	}
	return r
}

// mustStats returns the report queue's stats.
func mustStats(t *testing.T, s store.Store) store.QueueStats {
	t.Helper()
	return mustStatsOf(t, s, store.QueueReport)
}

func mustStatsOf(t *testing.T, s store.Store, queue string) store.QueueStats {
	t.Helper()
	st, err := s.QueueStats(ctxT(t), queue)
	if err != nil {
		t.Fatalf("QueueStats(%s) = %v", queue, err)
	}
	return st
}

// mustClaim claims from the report queue.
func mustClaim(t *testing.T, s store.Store, max int, lease time.Duration) []store.Job {
	t.Helper()
	return mustClaimFrom(t, s, store.QueueReport, max, lease)
}

func mustClaimFrom(t *testing.T, s store.Store, queue string, max int, lease time.Duration) []store.Job {
	t.Helper()
	jobs, err := s.Claim(ctxT(t), queue, "test-worker", max, lease)
	if err != nil {
		t.Fatalf("Claim(%s, max %d, lease %s) = %v", queue, max, lease, err)
	}
	return jobs
}

func sameReport(t *testing.T, what string, got, want store.Report) {
	t.Helper()
	switch {
	case got.ID != want.ID, got.Code != want.Code, got.Receipt != want.Receipt,
		got.Title != want.Title, got.Body != want.Body, got.Line != want.Line,
		got.Category != want.Category, got.Severity != want.Severity, got.Status != want.Status,
		got.Station != want.Station, got.Role != want.Role, got.Lang != want.Lang,
		!got.CreatedAt.Equal(want.CreatedAt), len(got.History) != len(want.History):
		t.Fatalf("%s = %+v\nwant %+v", what, got, want)
	}
}

func testSubmitAndRead(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	sub := MakeSubmission("k1", base, nil)
	got, created, err := s.Submit(ctx, sub)
	if err != nil || !created {
		t.Fatalf("Submit(new) = created %v, err %v; want created", created, err)
	}
	sameReport(t, "Submit(new)", got, sub.Report)
	byID, err := s.Report(ctx, sub.Report.ID)
	if err != nil {
		t.Fatalf("Report(%s) = %v", sub.Report.ID, err)
	}
	sameReport(t, "Report(id)", byID, sub.Report)
	byReceipt, err := s.ReportByReceipt(ctx, sub.Report.Receipt)
	if err != nil {
		t.Fatalf("ReportByReceipt = %v", err)
	}
	sameReport(t, "ReportByReceipt", byReceipt, sub.Report)
	if st := mustStats(t, s); st.Ready != 1 || st.InFlight != 0 || st.Dead != 0 {
		t.Fatalf("QueueStats after one submit = %+v, want 1 ready", st)
	}
	jobs := mustClaim(t, s, 10, time.Minute)
	if len(jobs) != 1 || jobs[0].ReportID != sub.Report.ID || jobs[0].Type != store.JobProcessReport || jobs[0].ID != sub.Job.ID {
		t.Fatalf("Claim after submit = %+v, want the one process job for %s", jobs, sub.Report.ID)
	}
	if jobs[0].Attempt != 1 {
		t.Fatalf("first delivery Attempt = %d, want 1", jobs[0].Attempt)
	}
}

func testSubmitReplay(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	first := MustSubmit(t, s, MakeSubmission("same-key", base, nil))

	// A retry builds a new ID and receipt, as a second HTTP request would.
	again := MakeSubmission("same-key", base.Add(time.Second), nil)
	got, created, err := s.Submit(ctx, again)
	if err != nil || created {
		t.Fatalf("Submit(replay) = created %v, err %v; want replay", created, err)
	}
	sameReport(t, "Submit(replay)", got, first)

	other := MakeSubmission("same-key", base, func(r *store.Report) { r.Title = "another title" })
	if _, _, err := s.Submit(ctx, other); !errors.Is(err, store.ErrIdempotencyMismatch) {
		t.Fatalf("Submit(same key, other payload) = %v, want ErrIdempotencyMismatch", err)
	}
	if _, err := s.Report(ctx, again.Report.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Report(replay's unused id) = %v, want ErrNotFound", err)
	}
	if st := mustStats(t, s); st.Ready != 1 {
		t.Fatalf("QueueStats after replays = %+v, want exactly 1 job", st)
	}
	page, err := s.FindReports(ctx, store.Filter{})
	if err != nil || len(page.Reports) != 1 {
		t.Fatalf("FindReports after replays = %d reports, %v; want 1", len(page.Reports), err)
	}
}

func testSubmitConcurrentSameKey(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	const n = 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[string]int{}
		created int
		errs    []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub := MakeSubmission("storm", base.Add(time.Duration(i)*time.Millisecond), nil)
			r, c, err := s.Submit(ctx, sub)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			ids[r.ID]++
			if c {
				created++
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d concurrent Submits failed, first: %v", len(errs), n, errs[0])
	}
	if created != 1 || len(ids) != 1 {
		t.Fatalf("50 concurrent Submits with one key: created %d, distinct ids %v; want 1 and 1", created, ids)
	}
	if st := mustStats(t, s); st.Ready != 1 {
		t.Fatalf("QueueStats = %+v, want exactly one job", st)
	}
	page, err := s.FindReports(ctx, store.Filter{})
	if err != nil || len(page.Reports) != 1 {
		t.Fatalf("FindReports = %d reports, %v; want 1", len(page.Reports), err)
	}
}

func testSubmitConcurrentDistinct(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	const workers, each = 32, 10
	var wg sync.WaitGroup
	errc := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				sub := MakeSubmission(fmt.Sprintf("w%d-%d", w, i), base.Add(time.Duration(w*each+i)*time.Millisecond), nil)
				if _, created, err := s.Submit(ctx, sub); err != nil || !created {
					errc <- fmt.Errorf("Submit(%s) = created %v, %v", sub.IdempotencyKey, created, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if st := mustStats(t, s); st.Ready != workers*each {
		t.Fatalf("QueueStats = %+v, want %d ready", st, workers*each)
	}
	seen := map[string]bool{}
	f := store.Filter{Limit: 100}
	for {
		page, err := s.FindReports(ctx, f)
		if err != nil {
			t.Fatalf("FindReports = %v", err)
		}
		for _, r := range page.Reports {
			if seen[r.ID] {
				t.Fatalf("FindReports returned %s twice", r.ID)
			}
			seen[r.ID] = true
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	if len(seen) != workers*each {
		t.Fatalf("paged through %d reports, want %d", len(seen), workers*each)
	}
}

func testNotFound(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	MustSubmit(t, s, MakeSubmission("k", base, nil))
	if _, err := s.Report(ctx, store.NewID(base)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Report(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.ReportByReceipt(ctx, "no-such-receipt"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReportByReceipt(unknown) = %v, want ErrNotFound", err)
	}
	_, err := s.UpdateReport(ctx, store.NewID(base), func(*store.Report) error { return nil })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateReport(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.TokenByHash(ctx, "deadbeef"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash(unknown) = %v, want ErrNotFound", err)
	}
}

func testFindReports(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	lines := []string{"sx-1", "calc-1", "elec-1"}
	cats := []string{"quality", "equipment", "safety", "idea"}
	var all []store.Report
	for i := range 40 {
		at := base.Add(time.Duration(i) * 7 * time.Hour)
		sub := MakeSubmission(fmt.Sprintf("f%d", i), at, func(r *store.Report) {
			r.Line = lines[i%len(lines)]
			r.Category = cats[i%len(cats)]
			r.Severity = store.Severities[i%len(store.Severities)]
		})
		all = append(all, MustSubmit(t, s, sub))
	}
	// Move some to another status, so the status index is exercised after updates.
	for i := 0; i < 40; i += 3 {
		if _, err := s.UpdateReport(ctx, all[i].ID, func(r *store.Report) error {
			r.SetStatus(store.StatusReceived, "system", base.Add(1000*time.Hour))
			return nil
		}); err != nil {
			t.Fatalf("UpdateReport = %v", err)
		}
		all[i].Status = store.StatusReceived
	}
	want := func(f store.Filter) []string {
		var ids []string
		for i := len(all) - 1; i >= 0; i-- {
			if f.Match(&all[i]) {
				ids = append(ids, all[i].ID)
			}
		}
		return ids
	}
	cases := []struct {
		name string
		f    store.Filter
	}{
		{"all", store.Filter{}},
		{"line", store.Filter{Line: "calc-1"}},
		{"category", store.Filter{Category: "safety"}},
		{"severity", store.Filter{Severity: store.SeverityCritical}},
		{"status new", store.Filter{Status: store.StatusNew}},
		{"status received", store.Filter{Status: store.StatusReceived}},
		{"time range", store.Filter{From: base.Add(50 * time.Hour), To: base.Add(150 * time.Hour)}},
		{"from only", store.Filter{From: base.Add(200 * time.Hour)}},
		{"to only", store.Filter{To: base.Add(21 * time.Hour)}},
		{"line and severity", store.Filter{Line: "sx-1", Severity: store.SeverityLow}},
		{"line, category, range", store.Filter{Line: "elec-1", Category: "equipment", From: base.Add(10 * time.Hour), To: base.Add(250 * time.Hour)}},
		{"status and line", store.Filter{Status: store.StatusReceived, Line: "sx-1"}},
		{"nothing matches", store.Filter{Line: "no-such-line"}},
		{"empty range", store.Filter{From: base.Add(500 * time.Hour)}},
	}
	for _, tc := range cases {
		for _, limit := range []int{3, 7, 100} {
			t.Run(fmt.Sprintf("%s/limit=%d", tc.name, limit), func(t *testing.T) {
				f := tc.f
				f.Limit = limit
				var got []string
				for pages := 0; ; pages++ {
					if pages > 50 {
						t.Fatalf("FindReports(%+v) paged more than 50 times", f)
					}
					page, err := s.FindReports(ctx, f)
					if err != nil {
						t.Fatalf("FindReports(%+v) = %v", f, err)
					}
					if len(page.Reports) > limit {
						t.Fatalf("FindReports(limit %d) returned %d", limit, len(page.Reports))
					}
					for _, r := range page.Reports {
						got = append(got, r.ID)
					}
					if page.NextCursor == "" {
						break
					}
					f.Cursor = page.NextCursor
				}
				if w := want(tc.f); !slices.Equal(got, w) {
					t.Fatalf("FindReports(%+v) paged by %d = %d ids %v\nwant %d ids %v", tc.f, limit, len(got), got, len(w), w)
				}
			})
		}
	}
}

func testUpdateReport(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	r := MustSubmit(t, s, MakeSubmission("u", base, nil))
	at := base.Add(time.Hour)
	got, err := s.UpdateReport(ctx, r.ID, func(r *store.Report) error {
		r.SetStatus(store.StatusTriaged, "alice", at)
		r.Team = "separation"
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateReport = %v", err)
	}
	if got.Status != store.StatusTriaged || got.Team != "separation" || len(got.History) != 2 {
		t.Fatalf("UpdateReport result = %+v, want triaged, team separation, 2 history entries", got)
	}
	reread, err := s.Report(ctx, r.ID)
	if err != nil || reread.Status != store.StatusTriaged || len(reread.History) != 2 {
		t.Fatalf("Report after update = %+v, %v", reread, err)
	}
	if e := reread.History[1]; e.By != "alice" || e.From != "new" || e.To != "triaged" || !e.At.Equal(at) {
		t.Fatalf("history entry = %+v, want alice new→triaged at %v", e, at)
	}
	for st, want := range map[store.Status]int{store.StatusNew: 0, store.StatusTriaged: 1} {
		page, err := s.FindReports(ctx, store.Filter{Status: st})
		if err != nil || len(page.Reports) != want {
			t.Fatalf("FindReports(status %s) = %d, %v; want %d", st, len(page.Reports), err, want)
		}
	}
	boom := errors.New("boom")
	if _, err := s.UpdateReport(ctx, r.ID, func(r *store.Report) error {
		r.SetStatus(store.StatusClosed, "bob", at)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("UpdateReport(fn fails) = %v, want boom", err)
	}
	if after, _ := s.Report(ctx, r.ID); after.Status != store.StatusTriaged || len(after.History) != 2 {
		t.Fatalf("failed update changed the report: %+v", after)
	}
	// Concurrent updates each append their entry: nothing is lost.
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.UpdateReport(ctx, r.ID, func(r *store.Report) error {
				r.History = append(r.History, store.Event{At: at, By: fmt.Sprint("u", i), Action: store.ActionNote, Internal: true})
				return nil
			}); err != nil {
				t.Errorf("concurrent UpdateReport = %v", err)
			}
		}()
	}
	wg.Wait()
	if after, _ := s.Report(ctx, r.ID); len(after.History) != 12 {
		t.Fatalf("after 10 concurrent updates history has %d entries, want 12", len(after.History))
	}
}

func testRestartDurability(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := ctxT(t)
	var subs []store.Submission
	for i := range 20 {
		sub := MakeSubmission(fmt.Sprint("d", i), base.Add(time.Duration(i)*time.Minute), nil)
		MustSubmit(t, s, sub)
		subs = append(subs, sub)
	}
	claimed := mustClaim(t, s, 5, lease)
	if len(claimed) != 5 {
		t.Fatalf("Claim = %d, want 5", len(claimed))
	}
	for _, j := range claimed[:2] {
		if err := s.Ack(ctx, j); err != nil {
			t.Fatalf("Ack = %v", err)
		}
	}
	s = h.Reopen(t, s)
	t.Cleanup(func() { _ = s.Close() })
	for _, sub := range subs {
		got, err := s.Report(ctx, sub.Report.ID)
		if err != nil {
			t.Fatalf("after restart Report(%s) = %v", sub.Report.ID, err)
		}
		sameReport(t, "Report after restart", got, sub.Report)
		if _, created, err := s.Submit(ctx, sub); err != nil || created {
			t.Fatalf("after restart Submit(replay %s) = created %v, %v; want replay", sub.IdempotencyKey, created, err)
		}
	}
	// 15 never claimed + 3 claimed but not acked (their lease runs out) = 18 jobs left.
	h.Advance(t, s, pastLease)
	got := map[string]bool{}
	for _, j := range mustClaim(t, s, 50, time.Minute) {
		got[j.ID] = true
		if err := s.Ack(ctx, j); err != nil {
			t.Fatalf("Ack = %v", err)
		}
	}
	if len(got) != 18 {
		t.Fatalf("after restart %d jobs delivered, want 18 (15 unclaimed + 3 unacked)", len(got))
	}
	for _, j := range claimed[:2] {
		if got[j.ID] {
			t.Fatalf("acked job %s delivered again after restart", j.ID)
		}
	}
}
