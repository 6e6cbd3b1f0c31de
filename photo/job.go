package photo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/store"
)

// Reports is what the photo job needs of the report store.
type Reports interface {
	Report(ctx context.Context, id string) (store.Report, error)
	UpdateReport(ctx context.Context, id string, fn func(*store.Report) error) (store.Report, error)
}

// FollowUp is the report job's follow-up (intake.FollowUp) that enqueues
// the photo job of a report with pending photos, under a deterministic id
// (intake.FollowUpID's form) so that a redelivered report job enqueues it
// once.
func FollowUp(r store.Report) (store.Job, bool) {
	for _, p := range r.Photos {
		if p.State == store.PhotoPending {
			return store.Job{ID: intake.FollowUpID(store.JobProcessPhotos, r.ID), Type: store.JobProcessPhotos, ReportID: r.ID}, true
		}
	}
	return store.Job{}, false
}

// DecodeBudget bounds the decoded pixels' memory of the photo jobs of one
// process at once (estimated as Check does): one 40 MP photo, or several
// camera originals.
const DecodeBudget = MaxDecodedBytes

// Processor is the handler of store.JobProcessPhotos.
type Processor struct {
	photos  Store
	reports Reports
	log     *slog.Logger
	budget  *Budget
}

// NewProcessor returns the photo job's handler; log may be nil.
func NewProcessor(photos Store, reports Reports, log *slog.Logger) *Processor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Processor{photos: photos, reports: reports, log: log, budget: NewBudget(DecodeBudget)}
}

// Handle re-encodes every pending photo of the job's report: full image
// and thumbnail stored, the photo marked ready with its new size, then the
// original deleted. It is idempotent: a photo whose re-encoded image is
// already stored is only marked, one already marked is skipped. A photo
// whose pixels do not decode is marked failed (retrying cannot help) and
// its original deleted.
func (p *Processor) Handle(ctx context.Context, j store.Job) error {
	if j.ReportID == "" {
		return errors.New("process photos: job has no report id")
	}
	r, err := p.reports.Report(ctx, j.ReportID)
	if err != nil {
		return fmt.Errorf("process photos of %s: %w", j.ReportID, err)
	}
	done := map[string]store.Photo{}
	for _, ph := range r.Photos {
		if ph.State != store.PhotoPending {
			continue
		}
		res, err := p.one(ctx, r.ID, ph)
		if err != nil {
			return fmt.Errorf("process photo %s of %s: %w", ph.ID, r.ID, err)
		}
		done[ph.ID] = res
	}
	if len(done) > 0 {
		_, err = p.reports.UpdateReport(ctx, r.ID, func(r *store.Report) error {
			for i := range r.Photos {
				if res, ok := done[r.Photos[i].ID]; ok && r.Photos[i].State == store.PhotoPending {
					r.Photos[i] = res
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("process photos of %s: %w", r.ID, err)
		}
	}
	for id := range done {
		if err := p.photos.Delete(ctx, r.ID, id, Original); err != nil {
			return fmt.Errorf("process photos of %s: delete original: %w", r.ID, err)
		}
	}
	if err := p.photos.Confirm(ctx, r.ID); err != nil {
		return fmt.Errorf("process photos of %s: %w", r.ID, err)
	}
	return nil
}

// one re-encodes one photo, or finds it re-encoded by an earlier delivery.
func (p *Processor) one(ctx context.Context, reportID string, ph store.Photo) (store.Photo, error) {
	out := store.Photo{ID: ph.ID}
	if full, err := p.photos.Get(ctx, reportID, ph.ID, Full); err == nil {
		if _, err := p.photos.Get(ctx, reportID, ph.ID, Thumb); err == nil {
			info, err := Check(full)
			if err == nil {
				out.Width, out.Height, out.State = info.Width, info.Height, store.PhotoReady
				return out, nil
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return out, err
	}
	orig, err := p.photos.Get(ctx, reportID, ph.ID, Original)
	if errors.Is(err, store.ErrNotFound) {
		p.log.Warn("photo original missing; marked failed", "report", reportID, "photo", ph.ID)
		out.State = store.PhotoFailed
		return out, nil
	}
	if err != nil {
		return out, err
	}
	info, err := Check(orig)
	if err != nil {
		p.log.Warn("photo refused by the job", "report", reportID, "photo", ph.ID, "err", err)
		out.State = store.PhotoFailed
		return out, nil
	}
	need := int64(info.Width) * int64(info.Height) * 4
	if err := p.budget.Acquire(ctx, need); err != nil {
		return out, err
	}
	proc, err := Process(orig)
	orig = nil
	p.budget.Release(need)
	if _, bad := IsError(err); bad {
		p.log.Warn("photo does not decode; marked failed", "report", reportID, "photo", ph.ID, "err", err)
		out.State = store.PhotoFailed
		return out, nil
	}
	if err != nil {
		return out, err
	}
	if err := p.photos.Put(ctx, reportID, ph.ID, Thumb, proc.Thumb); err != nil {
		return out, err
	}
	if err := p.photos.Put(ctx, reportID, ph.ID, Full, proc.Full); err != nil {
		return out, err
	}
	out.Width, out.Height, out.State = proc.Width, proc.Height, store.PhotoReady
	return out, nil
}

// Budget is a weighted semaphore of bytes, bounding the memory that
// uploads being read or photos being decoded take at once. Acquisitions
// are served one at a time in arrival order, so a big one is not starved
// by small ones.
type Budget struct {
	mu    sync.Mutex // held by the one acquisition in progress
	cond  sync.Mutex
	free  int64
	total int64
	wake  chan struct{}
}

// NewBudget returns a budget of total bytes.
func NewBudget(total int64) *Budget {
	return &Budget{free: total, total: total, wake: make(chan struct{}, 1)}
}

// Acquire waits until n bytes (at most the total) are free and takes
// them, or returns ctx's error.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	n = min(n, b.total)
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		b.cond.Lock()
		if b.free >= n {
			b.free -= n
			b.cond.Unlock()
			return nil
		}
		b.cond.Unlock()
		select {
		case <-b.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Release gives back n bytes taken by Acquire.
func (b *Budget) Release(n int64) {
	n = min(n, b.total)
	b.cond.Lock()
	b.free += n
	b.cond.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Sweeper deletes the photos of submissions that never got stored (the
// process died, or the store refused the report, after the photos were
// written and before their report): every candidate older than Grace
// whose report does not exist.
type Sweeper struct {
	Photos  Store
	Reports interface {
		Report(ctx context.Context, id string) (store.Report, error)
	}
	// Grace is how old a candidate must be (a submission in flight has its
	// photos written a moment before its report); 0 means an hour.
	Grace time.Duration
	// Window is how far back a sweep looks; 0 means a week.
	Window time.Duration
	Now    func() time.Time
	Log    *slog.Logger
}

// Sweep runs once and returns how many reports' photos it deleted.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	grace, window, now := s.Grace, s.Window, s.Now
	if grace <= 0 {
		grace = time.Hour
	}
	if window <= 0 {
		window = 7 * 24 * time.Hour
	}
	if now == nil {
		now = time.Now
	}
	t := now()
	ids, err := s.Photos.Candidates(ctx, t.Add(-window), t.Add(-grace))
	if err != nil {
		return 0, fmt.Errorf("sweep photos: %w", err)
	}
	n := 0
	for _, id := range ids {
		_, err := s.Reports.Report(ctx, id)
		switch {
		case err == nil:
			if err := s.Photos.Confirm(ctx, id); err != nil {
				return n, fmt.Errorf("sweep photos: %w", err)
			}
		case errors.Is(err, store.ErrNotFound):
			if err := s.Photos.DeleteReport(ctx, id); err != nil {
				return n, fmt.Errorf("sweep photos: %w", err)
			}
			n++
		default:
			return n, fmt.Errorf("sweep photos: %w", err)
		}
	}
	if n > 0 && s.Log != nil {
		s.Log.Info("deleted photos of submissions that were never stored", "reports", n)
	}
	return n, nil
}

// Run sweeps at once and then every interval until ctx ends.
func (s *Sweeper) Run(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil && s.Log != nil {
			s.Log.Warn("photo sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
