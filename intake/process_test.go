package intake_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
)

// flakyEnqueue fails the first n Enqueue calls, as a store that drops out
// between the two steps of processing would.
type flakyEnqueue struct {
	store.Store
	fails int
}

func (f *flakyEnqueue) Enqueue(ctx context.Context, j store.Job) error {
	if f.fails > 0 {
		f.fails--
		return fmt.Errorf("enqueue: %w", store.ErrUnavailable)
	}
	return f.Store.Enqueue(ctx, j)
}

func TestProcessorMarksReceivedAndEnqueuesFollowUpsOnce(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s := be.Open(t)
			critical := storetest.MakeSubmission("crit", testNow, func(r *store.Report) { r.Severity = store.SeverityCritical })
			low := storetest.MakeSubmission("low", testNow.Add(time.Second), func(r *store.Report) { r.Severity = store.SeverityLow })
			storetest.MustSubmit(t, s, critical)
			storetest.MustSubmit(t, s, low)

			alertFor := func(r store.Report) (store.Job, bool) {
				if r.Severity != store.SeverityCritical {
					return store.Job{}, false
				}
				return store.Job{ID: intake.FollowUpID(store.JobAlert, r.ID), Type: store.JobAlert, ReportID: r.ID}, true
			}
			processedAt := testNow.Add(time.Hour)
			flaky := &flakyEnqueue{Store: s, fails: 1}
			p := intake.NewProcessor(flaky, func() time.Time { return processedAt }, alertFor)

			// First delivery: the report is marked, then the follow-up enqueue
			// fails, so the job fails and will be retried.
			job := store.Job{Type: store.JobProcessReport, ReportID: critical.Report.ID}
			if err := p.Handle(ctx, job); !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("Handle with a failing Enqueue = %v, want ErrUnavailable", err)
			}
			// The retry and a further redelivery: the follow-up is enqueued once.
			for i := range 2 {
				if err := p.Handle(ctx, job); err != nil {
					t.Fatalf("Handle (run %d) = %v", i+2, err)
				}
			}
			if err := p.Handle(ctx, store.Job{Type: store.JobProcessReport, ReportID: low.Report.ID}); err != nil {
				t.Fatalf("Handle(low) = %v", err)
			}

			r, err := s.Report(ctx, critical.Report.ID)
			if err != nil {
				t.Fatalf("Report = %v", err)
			}
			if r.Status != store.StatusReceived || r.ProcessedAt == nil || !r.ProcessedAt.Equal(processedAt) || len(r.History) != 2 {
				t.Fatalf("after processing: status %s processed %v history %d, want received at %v with 2 entries",
					r.Status, r.ProcessedAt, len(r.History), processedAt)
			}
			if e := r.History[1]; e.Action != store.ActionProcessed || e.From != "new" || e.To != "received" || e.By != "system" {
				t.Fatalf("history entry = %+v, want processed new→received by system", e)
			}
			st, err := s.QueueStats(ctx, store.QueueAlert)
			if err != nil {
				t.Fatalf("QueueStats(alert) = %v", err)
			}
			if st.Ready != 1 {
				t.Fatalf("alert queue = %+v, want exactly 1 ready job (critical report only, once)", st)
			}
			jobs, err := s.Claim(ctx, store.QueueAlert, "t", 10, time.Minute)
			if err != nil || len(jobs) != 1 || jobs[0].ReportID != critical.Report.ID || jobs[0].Type != store.JobAlert {
				t.Fatalf("Claim(alert) = %+v, %v; want the critical report's alert", jobs, err)
			}
		})
	}
}

func TestProcessorUnknownReport(t *testing.T) {
	s := backends.Bolt(t)
	p := intake.NewProcessor(s, nil)
	err := p.Handle(context.Background(), store.Job{Type: store.JobProcessReport, ReportID: store.NewID(testNow)})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Handle(unknown report) = %v, want ErrNotFound", err)
	}
	if err := p.Handle(context.Background(), store.Job{Type: store.JobProcessReport}); err == nil {
		t.Fatal("Handle(job without report id) = nil, want an error")
	}
}
