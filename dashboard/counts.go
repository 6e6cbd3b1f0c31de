package dashboard

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/store"
)

// Counts per filter value are the inbox's most expensive part: they read
// up to FacetBudget matching reports, where the list reads 51. So the page
// shows its list at once and loads the counts from /inbox/counts (a small
// script; without it, a link reloads the page with them), and counts are
// kept for countsTTL per filter, so paging and coming back cost nothing.

// countsTTL is how long counts for one filter are reused.
const countsTTL = 30 * time.Second

// countsKept bounds the filters whose counts are kept.
const countsKept = 256

type facetCounts struct {
	byField map[string]map[string]int
	counted int
	capped  bool
	at      time.Time
}

// countsCache keeps recent facet counts, per Dashboard.
type countsCache struct {
	mu sync.Mutex
	m  map[string]facetCounts
}

// counts returns the counts of q's matching reports (cursor ignored).
func (d *Dashboard) counts(ctx context.Context, q query) (facetCounts, error) {
	q.Cursor = ""
	key := q.urlValues().Encode()
	now := d.d.Now()
	d.cache.mu.Lock()
	fc, ok := d.cache.m[key]
	d.cache.mu.Unlock()
	if ok && now.Sub(fc.at) < countsTTL && !now.Before(fc.at) {
		return fc, nil
	}
	fc = facetCounts{byField: map[string]map[string]int{}, at: now}
	for _, fd := range store.FilterFields {
		fc.byField[fd.Name] = map[string]int{}
	}
	err := d.walk(ctx, q, min(readBatch, d.d.FacetBudget+1), func(r store.Report) bool {
		if fc.counted == d.d.FacetBudget {
			fc.capped = true
			return false
		}
		fc.counted++
		for _, fd := range store.FilterFields {
			fc.byField[fd.Name][fd.Value(&r)]++
		}
		return true
	})
	if err != nil {
		return facetCounts{}, err
	}
	d.cache.mu.Lock()
	if d.cache.m == nil || len(d.cache.m) >= countsKept {
		d.cache.m = map[string]facetCounts{} // crude, bounded: start afresh
	}
	d.cache.m[key] = fc
	d.cache.mu.Unlock()
	return fc, nil
}

// handleCounts serves the counts box of an inbox page as an HTML fragment.
func (d *Dashboard) handleCounts(c echo.Context, b base) error {
	q, err := parseQuery(c.QueryParams(), d.d.TimeZone)
	if err != nil {
		return c.NoContent(http.StatusBadRequest)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
	defer cancel()
	fc, err := d.counts(ctx, q)
	if err != nil {
		return d.storeError(c, b, "inbox counts", err)
	}
	v := inboxView{base: b, Q: q, Budget: d.d.FacetBudget, HasCounts: true,
		Facets: d.facets(b, q, fc.byField), Counted: fc.counted, Capped: fc.capped}
	return d.render(c, http.StatusOK, "counts", v)
}
