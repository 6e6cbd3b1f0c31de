package intake

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// ProcessorStore is what the report processor needs of the store.
type ProcessorStore interface {
	UpdateReport(ctx context.Context, id string, fn func(*store.Report) error) (store.Report, error)
	// Enqueue is idempotent by job id (store.Queue), so a redelivered report
	// job enqueues each follow-up once.
	Enqueue(ctx context.Context, j store.Job) error
}

// FollowUp decides whether a processed report needs another job (its photos
// sanitised, an alert raised …) and returns it. The job's ID must be
// deterministic for the report (see FollowUpID), so that processing the same
// report twice enqueues it once.
type FollowUp func(r store.Report) (store.Job, bool)

// FollowUpID is the deterministic id of a report's follow-up job of a type.
func FollowUpID(jobType, reportID string) string { return jobType + ":" + reportID }

// Processor is the handler of store.JobProcessReport.
type Processor struct {
	store     ProcessorStore
	followUps []FollowUp
	now       func() time.Time
	codes     *Codes // nil: codes are not indexed
}

// IndexCodes makes p record each processed report's code in c, and
// returns p.
func (p *Processor) IndexCodes(c *Codes) *Processor {
	p.codes = c
	return p
}

// NewProcessor returns the report processor. followUps are the jobs a
// processed report may lead to; register only those this binary has a
// handler for (an unknown type is released until some instance knows it).
func NewProcessor(s ProcessorStore, now func() time.Time, followUps ...FollowUp) *Processor {
	if now == nil {
		now = time.Now
	}
	return &Processor{store: s, followUps: followUps, now: now}
}

// Handle processes one report job: it marks the report processed, moving it
// from "new" to "received" with a history entry, then enqueues its follow-up
// jobs, each a retry unit of its own. Running it again changes nothing
// (the report is already processed, the follow-ups already enqueued), so an
// at-least-once redelivery, or a retry after a failed enqueue, is harmless.
func (p *Processor) Handle(ctx context.Context, j store.Job) error {
	if j.ReportID == "" {
		return errors.New("process report: job has no report id")
	}
	r, err := p.store.UpdateReport(ctx, j.ReportID, func(r *store.Report) error {
		if r.ProcessedAt != nil {
			return nil // already processed: an at-least-once redelivery
		}
		at := p.now().UTC()
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
	if p.codes != nil {
		// Every delivery writes it (idempotent), so a failure is retried
		// with the job.
		if err := p.codes.Put(ctx, r.Code, r.ID); err != nil {
			return fmt.Errorf("process report %s: %w", r.ID, err)
		}
	}
	for _, f := range p.followUps {
		next, ok := f(r)
		if !ok {
			continue
		}
		if next.EnqueuedAt.IsZero() {
			next.EnqueuedAt = p.now().UTC()
		}
		if err := p.store.Enqueue(ctx, next); err != nil {
			return fmt.Errorf("process report %s: enqueue %s: %w", r.ID, next.Type, err)
		}
	}
	return nil
}
