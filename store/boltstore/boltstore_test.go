package boltstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

func TestConformance(t *testing.T) {
	var (
		mu     sync.Mutex
		clocks = map[store.Store]*testutil.Clock{}
	)
	clockOf := func(t *testing.T, s store.Store) *testutil.Clock {
		mu.Lock()
		defer mu.Unlock()
		c, ok := clocks[s]
		if !ok {
			t.Fatalf("store %p was not opened by this harness", s)
		}
		return c
	}
	openWith := func(t *testing.T, path string, c *testutil.Clock) store.Store {
		s := mustOpen(t, path, Options{Now: c.Now})
		mu.Lock()
		clocks[s] = c
		mu.Unlock()
		return s
	}
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) store.Store {
			return openWith(t, filepath.Join(t.TempDir(), "floorfeed.db"), newClock())
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			bs := s.(*Store)
			if err := bs.Close(); err != nil {
				t.Fatalf("Close = %v", err)
			}
			return openWith(t, bs.path, clockOf(t, s))
		},
		Advance: func(t *testing.T, s store.Store, d time.Duration) {
			clockOf(t, s).Advance(d)
		},
	})
}

// mustOpen opens path and closes it at cleanup.
func mustOpen(tb testing.TB, path string, opts Options) *Store {
	tb.Helper()
	s, err := Open(path, opts)
	if err != nil {
		tb.Fatalf("Open(%s, %+v) = %v", path, opts, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newClock() *testutil.Clock {
	return testutil.NewClock(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "floorfeed.db")
	mustOpen(t, path, Options{})
	for _, readOnly := range []bool{false, true} {
		start := time.Now()
		s, err := Open(path, Options{Timeout: 200 * time.Millisecond, ReadOnly: readOnly})
		took := time.Since(start)
		if err == nil {
			_ = s.Close()
			t.Fatalf("second Open(read-only %v) of a held file succeeded, want ErrLocked", readOnly)
		}
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("second Open(read-only %v) = %v, want ErrLocked", readOnly, err)
		}
		if took > 2*time.Second {
			t.Fatalf("second Open took %v with a 200ms timeout", took)
		}
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "floorfeed serve") {
			t.Fatalf("ErrLocked message %q should name the file and hint at `floorfeed serve`", msg)
		}
	}
}

func TestOpenDefaultsAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "dir", "floorfeed.db")
	s := mustOpen(t, path, Options{})
	if s.db.NoSync || s.db.NoGrowSync || s.db.NoFreelistSync {
		t.Fatalf("NoSync %v NoGrowSync %v NoFreelistSync %v; want all false (durable commits)", s.db.NoSync, s.db.NoGrowSync, s.db.NoFreelistSync)
	}
	if s.db.MaxBatchSize <= 1 || s.db.MaxBatchDelay <= 0 {
		t.Fatalf("MaxBatchSize %d MaxBatchDelay %v: group commit is off", s.db.MaxBatchSize, s.db.MaxBatchDelay)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("Stat(%s) = %v", path, err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Fatalf("database file mode %v, want 0600", mode)
	}
	if err := s.Ping(ctxT(t)); err != nil {
		t.Fatalf("Ping = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	if err := s.Ping(ctxT(t)); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Ping after Close = %v, want ErrUnavailable", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.db"), Options{ReadOnly: true}); err == nil {
		t.Fatalf("Open(missing file, read-only) succeeded, want an error")
	}
}

func TestContextCanceled(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "floorfeed.db"), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sub := storetest.MakeSubmission("k", time.Now(), nil)
	if _, _, err := s.Submit(ctx, sub); !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit(canceled ctx) = %v, want context.Canceled", err)
	}
	if _, err := s.Claim(ctx, store.QueueReport, "w", 1, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("Claim(canceled ctx) = %v, want context.Canceled", err)
	}
	if _, err := s.Report(ctxT(t), sub.Report.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Report after canceled Submit = %v, want ErrNotFound", err)
	}
}

// TestSameKeyInOneBatch forces two submissions with one idempotency key into
// a single bbolt batch (one transaction): the second must see the first's
// write and replay it, or fail on a different payload.
func TestSameKeyInOneBatch(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sameHash bool
	}{{"same payload", true}, {"other payload", false}} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOpen(t, filepath.Join(t.TempDir(), "floorfeed.db"), Options{})
			ctx := ctxT(t)
			// Nothing runs until both calls have joined the batch.
			size, delay := s.db.MaxBatchSize, s.db.MaxBatchDelay
			s.db.MaxBatchSize = 2
			s.db.MaxBatchDelay = 10 * time.Second
			at := time.Now()
			subs := []store.Submission{
				storetest.MakeSubmission("one-key", at, nil),
				storetest.MakeSubmission("one-key", at.Add(time.Millisecond), nil),
			}
			if !tc.sameHash {
				subs[1].PayloadHash = "something else"
			}
			type result struct {
				r       store.Report
				created bool
				err     error
			}
			results := make([]result, len(subs))
			start := time.Now()
			var wg sync.WaitGroup
			for i, sub := range subs {
				wg.Go(func() {
					r, created, err := s.Submit(ctx, sub)
					results[i] = result{r, created, err}
				})
			}
			wg.Wait()
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("two Submits took %v: they did not share one batch", took)
			}
			var created, replayed, mismatched int
			var ids []string
			for _, res := range results {
				switch {
				case errors.Is(res.err, store.ErrIdempotencyMismatch):
					mismatched++
				case res.err != nil:
					t.Fatalf("Submit in batch = %v", res.err)
				case res.created:
					created++
					ids = append(ids, res.r.ID)
				default:
					replayed++
					ids = append(ids, res.r.ID)
				}
			}
			wantReplay, wantMismatch := 1, 0
			if !tc.sameHash {
				wantReplay, wantMismatch = 0, 1
			}
			if created != 1 || replayed != wantReplay || mismatched != wantMismatch {
				t.Fatalf("Submits in one batch: created %d replayed %d mismatched %d; want 1, %d, %d", created, replayed, mismatched, wantReplay, wantMismatch)
			}
			if len(ids) == 2 && ids[0] != ids[1] {
				t.Fatalf("created and replayed ids differ: %v", ids)
			}
			s.db.MaxBatchSize, s.db.MaxBatchDelay = size, delay
			page, err := s.FindReports(ctx, store.Filter{})
			if err != nil || len(page.Reports) != 1 || page.Reports[0].ID != ids[0] {
				t.Fatalf("FindReports = %d reports, %v; want the one created (%s)", len(page.Reports), err, ids[0])
			}
			if st, err := s.QueueStats(ctx, store.QueueReport); err != nil || st.Ready != 1 {
				t.Fatalf("QueueStats = %+v, %v; want 1 ready job", st, err)
			}
		})
	}
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "floorfeed.db")
	ctx := ctxT(t)
	w := mustOpen(t, path, Options{})
	sub := storetest.MakeSubmission("ro", time.Now(), nil)
	storetest.MustSubmit(t, w, sub)
	if err := w.CreateToken(ctx, store.APIToken{ID: "t1", Name: "mes", Hash: "h1", CreatedAt: time.Now()}); err != nil {
		t.Fatalf("CreateToken = %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}

	r1 := mustOpen(t, path, Options{ReadOnly: true})
	r2 := mustOpen(t, path, Options{ReadOnly: true, Timeout: 200 * time.Millisecond}) // shared lock
	for i, s := range []*Store{r1, r2} {
		if got, err := s.Report(ctx, sub.Report.ID); err != nil || got.Title != sub.Report.Title {
			t.Fatalf("reader %d: Report = %+v, %v", i, got, err)
		}
		if got, err := s.ReportByReceipt(ctx, sub.Report.Receipt); err != nil || got.ID != sub.Report.ID {
			t.Fatalf("reader %d: ReportByReceipt = %+v, %v", i, got, err)
		}
		if page, err := s.FindReports(ctx, store.Filter{Line: sub.Report.Line}); err != nil || len(page.Reports) != 1 {
			t.Fatalf("reader %d: FindReports = %+v, %v", i, page, err)
		}
		if st, err := s.QueueStats(ctx, store.QueueReport); err != nil || st.Ready != 1 {
			t.Fatalf("reader %d: QueueStats = %+v, %v", i, st, err)
		}
		if tok, err := s.TokenByHash(ctx, "h1"); err != nil || tok.Name != "mes" {
			t.Fatalf("reader %d: TokenByHash = %+v, %v", i, tok, err)
		}
	}
	if _, _, err := r1.Submit(ctx, storetest.MakeSubmission("ro2", time.Now(), nil)); !errors.Is(err, berrors.ErrDatabaseReadOnly) {
		t.Fatalf("Submit on a read-only store = %v, want ErrDatabaseReadOnly", err)
	}
	if s, err := Open(path, Options{Timeout: 200 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		if err == nil {
			_ = s.Close()
		}
		t.Fatalf("writer Open while readers hold the file = %v, want ErrLocked", err)
	}
}

func TestPurgeIdempotencyKeys(t *testing.T) {
	clock := newClock()
	s := mustOpen(t, filepath.Join(t.TempDir(), "floorfeed.db"), Options{Now: clock.Now})
	ctx := ctxT(t)
	old := []store.Submission{
		storetest.MakeSubmission("old-1", clock.Now(), nil),
		storetest.MakeSubmission("old-2", clock.Now(), nil),
		storetest.MakeSubmission("old-3", clock.Now(), nil),
	}
	for _, sub := range old {
		storetest.MustSubmit(t, s, sub)
	}
	clock.Advance(store.IdempotencyRetention - time.Hour)
	// Within retention: nothing purged, replays still replay.
	storetest.MustSubmit(t, s, storetest.MakeSubmission("young", clock.Now(), nil))
	if n, err := s.PurgeIdempotencyKeys(ctx, clock.Now().Add(-store.IdempotencyRetention)); err != nil || n != 0 {
		t.Fatalf("PurgeIdempotencyKeys(within retention) = %d, %v; want 0", n, err)
	}
	if _, created, err := s.Submit(ctx, old[0]); err != nil || created {
		t.Fatalf("replay within retention = created %v, %v; want replay", created, err)
	}

	// Past retention: the next Submit purges two of the old keys on its way.
	clock.Advance(2 * time.Hour)
	storetest.MustSubmit(t, s, storetest.MakeSubmission("trigger", clock.Now(), nil))
	if n, err := s.PurgeIdempotencyKeys(ctx, clock.Now().Add(-store.IdempotencyRetention)); err != nil || n != 1 {
		t.Fatalf("PurgeIdempotencyKeys after one Submit = %d, %v; want the 1 old key Submit left", n, err)
	}
	again := storetest.MakeSubmission("old-1", clock.Now(), nil)
	if _, created, err := s.Submit(ctx, again); err != nil || !created {
		t.Fatalf("Submit(purged key) = created %v, %v; want a new report", created, err)
	}
	if _, created, err := s.Submit(ctx, storetest.MakeSubmission("young", clock.Now(), nil)); err != nil || created {
		t.Fatalf("Submit(young key) = created %v, %v; want replay (not purged)", created, err)
	}
}

func TestFindReportsIndexChoice(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "floorfeed.db"), Options{})
	ctx := ctxT(t)
	at := time.Now()
	var critical store.Report
	for i := range 20 {
		sub := storetest.MakeSubmission("k"+string(rune('a'+i)), at.Add(time.Duration(i)*time.Millisecond), func(r *store.Report) {
			if i == 7 {
				r.Severity = store.SeverityCritical
			}
			if i == 9 {
				r.Category = "odd\x00value" // NUL in an indexed value
			}
			if i == 10 {
				r.Category = "odd"
			}
		})
		r := storetest.MustSubmit(t, s, sub)
		if i == 7 {
			critical = r
		}
	}
	check := func(f store.Filter, wantIndex string) {
		t.Helper()
		_ = s.db.View(func(tx *bolt.Tx) error {
			_, prefixes, ix := chooseIndex(tx, f)
			got := "reports"
			switch {
			case len(prefixes) == 0:
				got = "empty"
			case ix != nil:
				got = ix.name()
			}
			if got != wantIndex {
				t.Errorf("chooseIndex(%+v) = %s, want %s", f, got, wantIndex)
			}
			return nil
		})
	}
	check(store.Filter{}, "reports")
	check(store.Filter{From: at}, "reports")
	check(store.Filter{Status: store.StatusNew, Severity: store.SeverityCritical}, "severity")
	check(store.Filter{Status: store.StatusNew, Line: "sx-1"}, "line") // tie: store.FilterFields order
	check(store.Filter{Line: "no-such-line"}, "empty")

	// Move the critical one to another status: counts follow.
	if _, err := s.UpdateReport(ctx, critical.ID, func(r *store.Report) error {
		r.SetStatus(store.StatusTriaged, "alice", time.Now())
		return nil
	}); err != nil {
		t.Fatalf("UpdateReport = %v", err)
	}
	check(store.Filter{Status: store.StatusNew, Severity: store.SeverityCritical}, "severity")
	check(store.Filter{Status: store.StatusTriaged, Line: "sx-1"}, "status")
	page, err := s.FindReports(ctx, store.Filter{Status: store.StatusNew, Severity: store.SeverityCritical})
	if err != nil || len(page.Reports) != 0 {
		t.Fatalf("FindReports(new, critical) after triage = %d, %v; want 0", len(page.Reports), err)
	}
	for _, cat := range []string{"odd", "odd\x00value"} {
		page, err := s.FindReports(ctx, store.Filter{Category: cat})
		if err != nil || len(page.Reports) != 1 || page.Reports[0].Category != cat {
			t.Fatalf("FindReports(category %q) = %+v, %v; want exactly its one report", cat, page.Reports, err)
		}
	}
	// A full last page needs no extra round trip: no cursor when nothing follows.
	page, err = s.FindReports(ctx, store.Filter{Limit: 20})
	if err != nil || len(page.Reports) != 20 || page.NextCursor != "" {
		t.Fatalf("FindReports(limit 20 of 20) = %d reports, cursor %q, %v; want 20 and no cursor", len(page.Reports), page.NextCursor, err)
	}
}

func TestUpdateReportMovesReceiptAndRejectsIDChange(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "floorfeed.db"), Options{})
	ctx := ctxT(t)
	r := storetest.MustSubmit(t, s, storetest.MakeSubmission("rc", time.Now(), nil))
	if _, err := s.UpdateReport(ctx, r.ID, func(r *store.Report) error {
		r.Receipt = "rotated-receipt"
		return nil
	}); err != nil {
		t.Fatalf("UpdateReport(new receipt) = %v", err)
	}
	if _, err := s.ReportByReceipt(ctx, r.Receipt); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ReportByReceipt(old receipt) = %v, want ErrNotFound", err)
	}
	if got, err := s.ReportByReceipt(ctx, "rotated-receipt"); err != nil || got.ID != r.ID {
		t.Fatalf("ReportByReceipt(new receipt) = %+v, %v; want %s", got, err, r.ID)
	}
	if _, err := s.UpdateReport(ctx, r.ID, func(r *store.Report) error {
		r.ID = store.NewID(time.Now())
		return nil
	}); err == nil {
		t.Fatalf("UpdateReport changing the id succeeded, want an error")
	}
	if got, err := s.Report(ctx, r.ID); err != nil || got.Receipt != "rotated-receipt" {
		t.Fatalf("Report after rejected update = %+v, %v", got, err)
	}
}
