package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// testReportByIdempotencyKey checks the read-only lookup of a submission by
// idempotency key and payload hash: it finds what Submit stored, refuses
// another payload, knows no unknown key, and writes nothing (no report, no
// job), whatever it is asked.
func testReportByIdempotencyKey(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)

	if _, err := s.ReportByIdempotencyKey(ctx, "never-used", "any-hash"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ReportByIdempotencyKey(unknown key) = %v, want ErrNotFound", err)
	}

	sub := MakeSubmission("idem-lookup", base, nil)
	first := MustSubmit(t, s, sub)
	got, err := s.ReportByIdempotencyKey(ctx, sub.IdempotencyKey, sub.PayloadHash)
	if err != nil {
		t.Fatalf("ReportByIdempotencyKey(stored key, its hash) = %v, want the report", err)
	}
	sameReport(t, "ReportByIdempotencyKey(stored key, its hash)", got, first)

	// It answers the report as it is now, as a Submit replay does.
	if _, err := s.UpdateReport(ctx, first.ID, func(r *store.Report) error {
		r.SetStatus(store.StatusTriaged, "rnd", base.Add(time.Minute))
		return nil
	}); err != nil {
		t.Fatalf("UpdateReport = %v", err)
	}
	if got, err := s.ReportByIdempotencyKey(ctx, sub.IdempotencyKey, sub.PayloadHash); err != nil || got.Status != store.StatusTriaged {
		t.Fatalf("ReportByIdempotencyKey after a status change = %v, %v; want the report as triaged", got.Status, err)
	}

	if _, err := s.ReportByIdempotencyKey(ctx, sub.IdempotencyKey, "another-hash"); !errors.Is(err, store.ErrIdempotencyMismatch) {
		t.Fatalf("ReportByIdempotencyKey(stored key, other hash) = %v, want ErrIdempotencyMismatch", err)
	}
	// A key is not a prefix match, and a hash is not the key's.
	if _, err := s.ReportByIdempotencyKey(ctx, "idem-look", sub.PayloadHash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ReportByIdempotencyKey(prefix of a stored key) = %v, want ErrNotFound", err)
	}

	// Lookups wrote nothing: still one report and one job.
	page, err := s.FindReports(ctx, store.Filter{})
	if err != nil {
		t.Fatalf("FindReports = %v", err)
	}
	if len(page.Reports) != 1 {
		t.Fatalf("after lookups: %d reports, want the 1 submitted", len(page.Reports))
	}
	if st := mustStats(t, s); st.Ready != 1 {
		t.Fatalf("after lookups: QueueStats = %+v, want the 1 job of the submission", st)
	}

	// The stored key still turns a Submit into a replay: the lookup did not
	// consume or change it.
	if got, created, err := s.Submit(ctx, MakeSubmission(sub.IdempotencyKey, base.Add(time.Hour), nil)); err != nil || created || got.ID != first.ID {
		t.Fatalf("Submit(same key) after lookups = %s, created %v, %v; want replay of %s", got.ID, created, err, first.ID)
	}
}
