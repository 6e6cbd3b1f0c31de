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
	for {
		page, err := d.d.Reports.FindReports(ctx, f)
		if err != nil {
			return fmt.Errorf("find reports: %w", err)
		}
		for i := range page.Reports {
			r := &page.Reports[i]
			if q.Status == statusOpen && !openStatus(r.Status) {
				continue
			}
			if text != nil && !text(r) {
				continue
			}
			if !fn(*r) {
				return nil
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		f.Cursor = page.NextCursor
	}
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
