package search

import (
	"context"
	"errors"
	"fmt"

	"github.com/floorfeed/floorfeed/store"
)

// FollowUp is the report processor's follow-up (intake.FollowUp) that
// indexes every processed report: a job of its own (store.JobIndexReport
// in queue store.QueueIndex), so the report job stays quick and the index's
// shared posting lists see few concurrent writers. Its id is deterministic
// per report, so a report is indexed once however often it is processed.
func FollowUp(r store.Report) (store.Job, bool) {
	return store.Job{ID: store.JobIndexReport + ":" + r.ID, Type: store.JobIndexReport, ReportID: r.ID}, true
}

// ReportReader reads one report.
type ReportReader interface {
	Report(ctx context.Context, id string) (store.Report, error)
}

// Handler returns the job handler of store.JobIndexReport: it reads the
// report and adds it (Add is idempotent). A report deleted meanwhile is
// done with.
func (ix *Index) Handler(reports ReportReader) func(context.Context, store.Job) error {
	return func(ctx context.Context, j store.Job) error {
		r, err := reports.Report(ctx, j.ReportID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("index report %s: %w", j.ReportID, err)
		}
		if err := ix.Add(ctx, r); err != nil {
			return fmt.Errorf("index report %s: %w", j.ReportID, err)
		}
		return nil
	}
}
