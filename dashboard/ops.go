package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/store"
)

// deadListed is how many dead letters the operations page lists.
const deadListed = 100

type queueRow struct {
	Name  string
	Stats store.QueueStats
	Err   bool
}

type opsView struct {
	base
	Queues []queueRow
	Dead   []store.Job
}

func (d *Dashboard) handleOps(c echo.Context, b base) error {
	b.Title, b.Nav = tr(b.Lang, "nav.ops"), "ops"
	if id := c.QueryParam("retried"); id != "" {
		b.Flash = tr(b.Lang, "ops.retried") + " " + id
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
	defer cancel()
	v := opsView{base: b}
	for _, q := range store.Queues {
		st, err := d.d.Queue.QueueStats(ctx, q)
		if err != nil {
			d.d.Log.Warn("dashboard: queue stats", "queue", q, "err", err)
		}
		v.Queues = append(v.Queues, queueRow{Name: q, Stats: st, Err: err != nil})
	}
	dead, err := d.d.Queue.DeadLetters(ctx, deadListed)
	if err != nil {
		return d.storeError(c, b, "dead letters", err)
	}
	v.Dead = dead
	return d.render(c, http.StatusOK, "ops.html", v)
}

func (d *Dashboard) handleRetry(c echo.Context, b base) error {
	p := principal(c)
	if !p.CanTriage() {
		return d.errorPage(c, b, http.StatusForbidden, "err.forbidden")
	}
	id := c.Param("id")
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
	defer cancel()
	if err := d.d.Queue.RetryDead(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return d.errorPage(c, b, http.StatusNotFound, "err.not_found")
		}
		return d.storeError(c, b, "retry", err)
	}
	d.audit(ctx, p.Name, "job.retry", id, "")
	return c.Redirect(http.StatusSeeOther, PathOps+"?retried="+url.QueryEscape(id))
}
