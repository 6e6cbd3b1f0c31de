package demo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
)

// MaxReports bounds one Load.
const MaxReports = 100000

// loaders is how many demo reports are submitted at once.
const loaders = 16

// ReportUpdater changes stored reports (implemented by store.Reports).
type ReportUpdater interface {
	// UpdateReport loads report id, calls fn on it and stores the result.
	UpdateReport(ctx context.Context, id string, fn func(*store.Report) error) (store.Report, error)
}

// Loader loads generated reports into a running installation.
type Loader struct {
	Intake  *intake.Service
	Reports ReportUpdater
	Plant   *plant.Plant
	Signer  *signing.Signer
	Now     func() time.Time
}

// Load submits n generated reports through the same intake path as the
// phones use, then moves some older ones along (triaged, in progress,
// resolved with a reply) so the data looks like a plant in use. Reports go
// in from several goroutines at once, as from many phones, so the embedded
// store can commit them together. Each report's idempotency key comes from
// seed and its index: loading the same seed again adds nothing. It returns
// how many reports were new.
func (l *Loader) Load(ctx context.Context, n int, seed int64) (int, error) {
	if n < 0 || n > MaxReports {
		return 0, fmt.Errorf("demo reports: want 0 to %d, not %d", MaxReports, n)
	}
	now := l.Now
	if now == nil {
		now = time.Now
	}
	items := Generate(l.Plant, n, now(), seed)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		created atomic.Int64
		next    atomic.Int64
		wg      sync.WaitGroup
	)
	for range loaders {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				isNew, err := l.loadItem(ctx, now, seed, i, items[i])
				if err != nil {
					cancel(err)
					return
				}
				if isNew {
					created.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return int(created.Load()), err
	}
	return int(created.Load()), ctx.Err()
}

func (l *Loader) loadItem(ctx context.Context, now func() time.Time, seed int64, i int, it Item) (bool, error) {
	in := intake.Input{
		Line: it.Line, Token: l.Signer.LineToken(it.Line), Category: it.Category, Severity: it.Severity,
		Title: it.Title, Body: it.Body, Station: it.Station, Role: it.Role,
		Reporter: it.Reporter, Contact: it.Contact, Lang: it.Lang,
	}
	r, isNew, err := l.Intake.Submit(ctx, in, intake.Meta{IdempotencyKey: fmt.Sprintf("demo-%d-%d", seed, i), At: it.At})
	if err != nil {
		return false, fmt.Errorf("demo report %d (%q): %w", i, it.Title, err)
	}
	if !isNew {
		return false, nil
	}
	if err := l.addVotes(ctx, r, it); err != nil {
		return true, err
	}
	return true, l.advance(ctx, now, r, i)
}

// advance gives older demo reports a plausible life after submission.
func (l *Loader) advance(ctx context.Context, now func() time.Time, r store.Report, i int) error {
	age := now().Sub(r.CreatedAt)
	if age < 3*24*time.Hour || i%3 == 0 {
		return nil // recent ones, and a third of the rest, are still waiting
	}
	_, err := l.Reports.UpdateReport(ctx, r.ID, func(rep *store.Report) error {
		at := rep.CreatedAt.Add(time.Duration(2+i%20) * time.Hour)
		rep.SetStatus(store.StatusTriaged, "demo", at)
		if i%3 == 1 {
			rep.SetStatus(store.StatusInProgress, "demo", at.Add(24*time.Hour))
			return nil
		}
		rep.SetStatus(store.StatusResolved, "demo", at.Add(48*time.Hour))
		reply := "Thanks — we adjusted the setpoint and will watch the next batches."
		if rep.Lang == "zh" {
			reply = "谢谢反馈，已调整工艺参数，后续批次继续跟踪。"
		}
		rep.SetReply(reply, "demo", at.Add(48*time.Hour))
		return nil
	})
	if err != nil {
		return fmt.Errorf("advance demo report %s: %w", r.ID, err)
	}
	return nil
}
