package dashboard

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/floorfeed/floorfeed/store"
)

// walk calls fn with each report matching q, newest first, starting below
// q.Cursor, until fn returns false or no report is left. It asks the store
// (or the text index, for a search) batch reports at a time, so a walk over
// every report holds one batch in memory.
//
// A search goes through the text index when there is one; without it, the
// walk reads the filtered reports and keeps those whose texts contain q
// (case-insensitive), which is correct but reads every report of the filter.
func (d *Dashboard) walk(ctx context.Context, q query, batch int, fn func(store.Report) bool) error {
	return d.walkBatches(ctx, q, batch, false, fn)
}

// walkAll is walk over every matching report (exports), reading the next
// batch while fn works on this one.
func (d *Dashboard) walkAll(ctx context.Context, q query, fn func(store.Report) bool) error {
	return d.walkBatches(ctx, q, readBatch, true, fn)
}

func (d *Dashboard) walkBatches(ctx context.Context, q query, batch int, prefetch bool, fn func(store.Report) bool) error {
	match := q.matcher()
	if q.Q != "" && d.d.Search != nil {
		after := q.Cursor
		for {
			ids, err := d.d.Search.Search(ctx, q.Q, after, batch)
			if err != nil {
				return fmt.Errorf("search %q: %w", q.Q, err)
			}
			for _, id := range ids {
				r, err := d.d.Reports.Report(ctx, id)
				if errors.Is(err, store.ErrNotFound) {
					continue // indexed but gone: nothing to show
				}
				if err != nil {
					return fmt.Errorf("read report %s: %w", id, err)
				}
				if match(&r) && !fn(r) {
					return nil
				}
			}
			if len(ids) == 0 {
				return nil // the index may page smaller than asked: only an empty page ends
			}
			after = ids[len(ids)-1]
		}
	}
	var text func(*store.Report) bool
	if q.Q != "" {
		needle := strings.ToLower(q.Q)
		text = func(r *store.Report) bool { return containsText(r, needle) }
	}
	f := q.filter
	f.Limit = batch
	if !prefetch {
		for {
			page, err := d.d.Reports.FindReports(ctx, f)
			if err != nil {
				return fmt.Errorf("find reports: %w", err)
			}
			if !d.each(page.Reports, q, text, fn) || page.NextCursor == "" {
				return nil
			}
			f.Cursor = page.NextCursor
		}
	}
	// The next batch is read while fn works on this one, so decoding in the
	// store and fn's work overlap (on two cores, nearly halving an export).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		page store.Page
		err  error
	}
	pages := make(chan result, 1)
	go func() {
		defer close(pages)
		for {
			page, err := d.d.Reports.FindReports(ctx, f)
			select {
			case pages <- result{page, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || page.NextCursor == "" {
				return
			}
			f.Cursor = page.NextCursor
		}
	}()
	for res := range pages {
		if res.err != nil {
			return fmt.Errorf("find reports: %w", res.err)
		}
		if !d.each(res.page.Reports, q, text, fn) {
			return nil
		}
	}
	return nil
}

// each calls fn with the reports of one batch that q keeps; false when fn
// asked to stop.
func (d *Dashboard) each(reports []store.Report, q query, text func(*store.Report) bool, fn func(store.Report) bool) bool {
	for i := range reports {
		r := &reports[i]
		if q.Status == statusOpen && !openStatus(r.Status) {
			continue
		}
		if text != nil && !text(r) {
			continue
		}
		if !fn(*r) {
			return false
		}
	}
	return true
}

// containsText reports whether any of r's texts contains needle (lower case).
func containsText(r *store.Report, needle string) bool {
	for _, s := range []string{r.Title, r.Body, r.Station, r.Code, r.Reporter, r.Reply} {
		if strings.Contains(strings.ToLower(s), needle) {
			return true
		}
	}
	return false
}
