package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// ReportUpdater is what ProcessReport needs of the store.
type ReportUpdater interface {
	UpdateReport(ctx context.Context, id string, fn func(*store.Report) error) (store.Report, error)
}

// ProcessReport returns the handler for store.JobProcessReport: it marks the
// report processed and moves it from "new" to "received", with a history
// entry. Running it twice changes nothing the second time.
func ProcessReport(reports ReportUpdater, now func() time.Time) Handler {
	return func(ctx context.Context, j store.Job) error {
		if j.ReportID == "" {
			return errors.New("process report: job has no report id")
		}
		_, err := reports.UpdateReport(ctx, j.ReportID, func(r *store.Report) error {
			if r.ProcessedAt != nil {
				return nil // already processed: an at-least-once redelivery
			}
			at := now()
			r.ProcessedAt = &at
			r.UpdatedAt = at
			ev := store.Event{At: at, By: "system", Action: store.ActionProcessed}
			if r.Status == store.StatusNew {
				ev.From, ev.To = string(store.StatusNew), string(store.StatusReceived)
				r.Status = store.StatusReceived
			}
			r.History = append(r.History, ev)
			return nil
		})
		if err != nil {
			return fmt.Errorf("process report %s: %w", j.ReportID, err)
		}
		return nil
	}
}
