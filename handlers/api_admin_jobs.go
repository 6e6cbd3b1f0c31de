package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/store"
)

// The dead-letter part of the admin API (the CLI's `floorfeed jobs`, the
// dashboard later):
//
//	GET  /api/v1/admin/jobs/dead[?limit=N]   dead-lettered jobs of every queue, newest first
//	POST /api/v1/admin/jobs/dead/{id}/retry  back into its queue: 204, 404 if no dead job has that id
//	POST /api/v1/admin/jobs/dead/retry       every dead job: {"retried": n}
//	POST /api/v1/admin/reindex               every report into the index of each of its fields: {"added": n}

// DeadJobs lists and retries dead-lettered jobs (implemented by store.Queue).
type DeadJobs interface {
	// DeadLetters returns up to limit dead jobs of every queue, newest first.
	DeadLetters(ctx context.Context, limit int) ([]store.Job, error)
	// RetryDead puts the dead job id back into its queue with a fresh
	// attempt count; store.ErrNotFound if no dead job has that id.
	RetryDead(ctx context.Context, id string) error
}

// maxRetryRounds bounds POST …/jobs/dead/retry: it retries store.MaxLimit
// jobs a round, so at most this many times that in one request.
const maxRetryRounds = 100

// AdminDeadJob is a dead-lettered job as the admin API shows it.
type AdminDeadJob struct {
	ID        string    `json:"id"`
	Queue     string    `json:"queue"`
	Type      string    `json:"type"`
	ReportID  string    `json:"report_id,omitempty"`
	Attempt   int       `json:"attempt"`
	LastError string    `json:"last_error"`
	DeadAt    time.Time `json:"dead_at"`
}

// Reindexer puts every report into the index of each of its fields,
// idempotently (implemented by both stores: store.Reindexer).
type Reindexer interface {
	Reindex(ctx context.Context) (added int, err error)
}

func (s *Server) registerAdminJobRoutes(g *echo.Group) {
	g.POST("/reindex", s.handleAdminReindex)
	adminGET(g, "/jobs/dead", s.handleAdminDeadList)
	g.POST("/jobs/dead/retry", s.handleAdminDeadRetryAll)
	g.POST("/jobs/dead/:id/retry", s.handleAdminDeadRetry)
}

func (s *Server) handleAdminDeadList(c echo.Context) error {
	if s.jobs == nil {
		return errNotFound()
	}
	limit := store.DefaultLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			return adminValidation(c, "limit", "limit must be a whole number from 1 to "+strconv.Itoa(store.MaxLimit))
		}
		limit = n
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	jobs, err := s.jobs.DeadLetters(ctx, limit)
	if err != nil {
		return storeReadError(err)
	}
	out := make([]AdminDeadJob, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, AdminDeadJob{ID: j.ID, Queue: j.Queue, Type: j.Type, ReportID: j.ReportID,
			Attempt: j.Attempt, LastError: j.LastError, DeadAt: j.DeadAt})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleAdminDeadRetry(c echo.Context) error {
	if s.jobs == nil {
		return errNotFound()
	}
	id := c.Param("id")
	if id == "" || len(id) > store.MaxShort*2 {
		return errNotFound()
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	if err := s.jobs.RetryDead(ctx, id); err != nil {
		return storeReadError(err)
	}
	s.log.Info("dead job retried", "job", id)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleAdminDeadRetryAll(c echo.Context) error {
	if s.jobs == nil {
		return errNotFound()
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), time.Minute)
	defer cancel()
	// DeadLetters has no cursor: retry a page, read the next. A job that
	// dies again while this runs is not retried a second time.
	seen := map[string]bool{}
	retried := 0
	for range maxRetryRounds {
		jobs, err := s.jobs.DeadLetters(ctx, store.MaxLimit)
		if err != nil {
			return storeReadError(err)
		}
		fresh := 0
		for _, j := range jobs {
			if seen[j.ID] {
				continue
			}
			seen[j.ID] = true
			fresh++
			err := s.jobs.RetryDead(ctx, j.ID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				continue // retried meanwhile by someone else
			case err != nil:
				return storeReadError(err)
			}
			retried++
		}
		if len(jobs) < store.MaxLimit || fresh == 0 {
			break
		}
	}
	s.log.Info("dead jobs retried", "count", retried)
	return c.JSON(http.StatusOK, map[string]int{"retried": retried})
}

func (s *Server) handleAdminReindex(c echo.Context) error {
	if s.reindex == nil && s.codes == nil {
		return errNotFound()
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 30*time.Minute)
	defer cancel()
	added, codes := 0, 0
	var err error
	if s.reindex != nil {
		if added, err = s.reindex.Reindex(ctx); err != nil {
			return storeReadError(err)
		}
	}
	if s.codes != nil {
		// Reports stored before the code index existed.
		if codes, err = s.codes.Backfill(ctx, s.reports); err != nil {
			return storeReadError(err)
		}
	}
	s.log.Info("reports reindexed", "added", added, "codes", codes)
	return c.JSON(http.StatusOK, map[string]int{"added": added, "codes": codes})
}
