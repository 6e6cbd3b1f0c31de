package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/store"
)

// CodeLookup finds a report's id by its short code (implemented by
// *intake.Codes).
type CodeLookup interface {
	// Lookup returns the id, or store.ErrNotFound for an unknown code.
	Lookup(ctx context.Context, code string) (string, error)
	// Backfill indexes the codes of stored reports missing from the index
	// (floorfeed reindex) and returns how many.
	Backfill(ctx context.Context, reports intake.ReportFinder) (int, error)
}

// listParams are the query parameters GET /api/v1/reports takes besides
// one per store.FilterFields entry; any other is a 400 naming it.
var listParams = map[string]bool{
	"from": true, "to": true, "min_severity": true, "limit": true, "cursor": true, "q": true, "code": true,
}

// checkListParams marks every query parameter the list does not take.
func checkListParams(q url.Values, bad map[string]string) {
	for name := range q {
		if listParams[name] {
			continue
		}
		known := false
		for _, fd := range store.FilterFields {
			if fd.Name == name {
				known = true
				break
			}
		}
		if !known {
			bad[name] = fieldCodeNotAParameter
		}
	}
}

// handleReportByCode answers GET /api/v1/reports?code=…: the list with the
// one report of that code (exact, through the code index) if it also meets
// the other filters, else an empty list.
func (s *Server) handleReportByCode(c echo.Context, raw string, f store.Filter) error {
	code, ok := intake.NormalizeCode(raw)
	if !ok || len(c.QueryParams()["code"]) > 1 {
		return errValidation(map[string]string{"code": store.CodeInvalid})
	}
	if f.Cursor != "" {
		return errValidation(map[string]string{"cursor": fieldCodeNotAParameter}) // one report: no pages
	}
	if s.codes == nil {
		return errors.New("GET ?code=: no code index (Deps.Codes unset and Reports is not a store.Records)")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	out := reportList{Reports: []apiReport{}}
	id, err := s.codes.Lookup(ctx, code)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return c.JSON(http.StatusOK, out)
	case err != nil:
		return storeReadError(err)
	}
	r, err := s.reports.Report(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return c.JSON(http.StatusOK, out)
	case err != nil:
		return storeReadError(err)
	}
	if r.Code == code && f.Match(&r) {
		out.Reports = append(out.Reports, newAPIReport(r))
	}
	return c.JSON(http.StatusOK, out)
}

// auditTriage records in the audit log each history entry a triage change
// by actor added to r at or after start (the note's text stays in the
// report: the log says a note was added).
func (s *Server) auditTriage(c echo.Context, r store.Report, start time.Time, actor string) {
	for _, ev := range r.History {
		if ev.By != actor || ev.At.Before(start) {
			continue
		}
		detail := ev.Action
		switch {
		case ev.From != "" || ev.To != "":
			detail += ": " + ev.From + " → " + ev.To
		case ev.Action == store.ActionReply && ev.Text != "":
			detail += ": " + ev.Text
		}
		s.audit(c, actorOf(c), audit.ActionReportTriage, "report:"+r.Code+" "+r.ID, detail)
	}
}
