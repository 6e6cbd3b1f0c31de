package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/apiview"
	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

// Bounds on what the authenticated API accepts before asking the store.
const (
	maxBearerLen   = 512
	maxCursorLen   = 100
	maxReportIDLen = 64
)

// requireToken admits requests with a valid credential (see authenticate):
// otherwise 401 with WWW-Authenticate; 503 if the store cannot say. A
// state-changing request needs a principal who may triage (403 for a
// viewer's session).
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if !isSafeMethod(c.Request().Method) && !p.CanTriage() {
			// A viewer's session reads only.
			return &apiError{status: http.StatusForbidden, code: codeForbidden}
		}
		return next(c)
	}
}

// apiReport is a report as the authenticated API returns it.
type apiReport = apiview.Report

func newAPIReport(r store.Report) apiReport { return apiview.Of(r) }

// reportList is the body of GET /api/v1/reports; next_cursor is empty on
// the last page.
type reportList struct {
	Reports    []apiReport `json:"reports"`
	NextCursor string      `json:"next_cursor"`
}

// handleReportList serves GET /api/v1/reports: filters from, to (RFC 3339
// or YYYY-MM-DD in Config.TimeZone; a date-only "to" includes that day),
// one query parameter per store.FilterFields entry (line and category
// repeated or comma-separated for any of several; severity, status, team),
// min_severity (that severity or more urgent), limit, cursor, code (the
// short code a reporter reads out: that one report). Any other parameter,
// a malformed value, date or cursor is a 400 naming it.
func (s *Server) handleReportList(c echo.Context) error {
	f, err := s.parseFilter(c)
	if err != nil {
		return err
	}
	if code := c.QueryParam("code"); code != "" || c.QueryParams().Has("code") {
		return s.handleReportByCode(c, code, f)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	page, err := s.reports.FindReports(ctx, f)
	if err != nil {
		return storeReadError(err)
	}
	out := reportList{Reports: make([]apiReport, 0, len(page.Reports)), NextCursor: page.NextCursor}
	for _, r := range page.Reports {
		out.Reports = append(out.Reports, newAPIReport(r))
	}
	return c.JSON(http.StatusOK, out)
}

// handleReportGet serves GET /api/v1/reports/{id}.
func (s *Server) handleReportGet(c echo.Context) error {
	id := c.Param("id")
	if id == "" || len(id) > maxReportIDLen {
		return errNotFound()
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	r, err := s.reports.Report(ctx, id)
	if err != nil {
		return storeReadError(err)
	}
	return c.JSON(http.StatusOK, newAPIReport(r))
}

// handleReportPatch serves PATCH /api/v1/reports/{id}: a JSON object with
// any of "status", "team", "reply" (the public answer to the reporter) and
// "note" (internal), applied by package triage in one step under the API
// token's name, each change with its history entry. It answers 200 with the
// report as GET returns it (unchanged if nothing changed), 400 naming every
// invalid or unexpected field, 404 for an unknown id, 415 for a body that is
// not JSON, 503 if the store cannot be reached.
func (s *Server) handleReportPatch(c echo.Context) error {
	id := c.Param("id")
	if id == "" || len(id) > maxReportIDLen {
		return errNotFound()
	}
	ch, err := decodeChange(c.Request())
	if err != nil {
		return err
	}
	if s.triage == nil {
		return fmt.Errorf("PATCH %s: no triage service (Deps.Triage unset and Deps.Reports cannot update)", routeReport)
	}
	who, _ := auth.PrincipalFrom(c.Request().Context())
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	start := s.now().UTC()
	r, err := s.triage.Apply(ctx, id, who.Name, ch)
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		return errValidation(ve.Fields)
	case errors.Is(err, store.ErrNotFound):
		return errNotFound()
	case errors.Is(err, triage.ErrBadActor):
		// A token whose name the reporter would mistake for their own or
		// the system's may not change reports.
		return &apiError{status: http.StatusForbidden, code: codeForbidden, cause: err}
	case err != nil:
		return storeReadError(err)
	}
	s.auditTriage(c, r, start, who.Name)
	return c.JSON(http.StatusOK, newAPIReport(r))
}

// decodeChange reads a PATCH body: one JSON object whose members are
// strings (or null, meaning "leave alone"). Unlike a report submission, it
// refuses members it does not know: a misspelt "staus" silently changing
// nothing would look like success to the R&D tool that sent it.
func decodeChange(r *http.Request) (triage.Change, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return triage.Change{}, errUnsupported()
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return triage.Change{}, bodyReadError(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return triage.Change{}, errBadRequest(err, nil)
	}
	if raw == nil {
		return triage.Change{}, errBadRequest(errors.New("body is null, want a JSON object"), nil)
	}
	var in struct{ status, team, reply, note *string }
	bad := map[string]string{}
	for name, v := range raw {
		var dst **string
		switch name {
		case "status":
			dst = &in.status
		case "team":
			dst = &in.team
		case "reply":
			dst = &in.reply
		case "note":
			dst = &in.note
		default:
			bad[name] = fieldCodeNotAllowed
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			bad[name] = fieldCodeType
		}
	}
	if len(bad) > 0 {
		return triage.Change{}, errBadRequest(errors.New("unexpected or mistyped members"), bad)
	}
	ch := triage.Change{Team: in.team, Reply: in.reply, Note: in.note}
	if in.status != nil {
		st := store.Status(*in.status)
		ch.Status = &st
	}
	return ch, nil
}

// parseFilter reads the list filters, reporting every bad one at once as a
// validation error.
func (s *Server) parseFilter(c echo.Context) (store.Filter, error) {
	q := c.QueryParams()
	var f store.Filter
	bad := map[string]string{}
	checkListParams(q, bad)
	for _, one := range []string{"from", "to", "limit"} {
		if len(q[one]) > 1 {
			bad[one] = store.CodeInvalid
		}
	}
	if v := q.Get("from"); v != "" {
		t, ok := parseTimeParam(v, s.cfg.TimeZone, false)
		if !ok {
			bad["from"] = store.CodeInvalid
		}
		f.From = t
	}
	if v := q.Get("to"); v != "" {
		t, ok := parseTimeParam(v, s.cfg.TimeZone, true)
		if !ok {
			bad["to"] = store.CodeInvalid
		}
		f.To = t
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		bad["to"] = store.CodeInvalid
	}
	for _, fd := range store.FilterFields {
		vals, code := s.filterValues(fd, q[fd.Name])
		if code != "" {
			bad[fd.Name] = code
			continue
		}
		if len(vals) > 0 {
			fd.Set(&f, vals)
		}
	}
	if v := q.Get("min_severity"); v != "" {
		f.MinSeverity = store.Severity(strings.ToLower(strings.TrimSpace(v))) // one case rule: see filterValues
		if len(q["min_severity"]) > 1 || !slices.Contains(store.Severities, f.MinSeverity) {
			bad["min_severity"] = store.CodeInvalid
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			bad["limit"] = store.CodeInvalid
		}
		f.Limit = n // PageSize caps it at store.MaxLimit
	}
	if v := q.Get("cursor"); v != "" {
		switch {
		case len(v) > maxCursorLen:
			bad["cursor"] = store.CodeTooLong
		case !validCursor(v) || len(q["cursor"]) > 1:
			// Only a next_cursor this API handed out: anything else would
			// silently start at some other page.
			bad["cursor"] = store.CodeInvalid
		}
		f.Cursor = v
	}
	if q.Get("q") != "" {
		// Full-text search is not implemented yet; ignoring q would return
		// every report as if it matched.
		bad["q"] = store.CodeInvalid
	}
	if len(bad) > 0 {
		return store.Filter{}, errValidation(bad)
	}
	return f, nil
}

// maxFilterValues bounds how many values one list filter (line, category)
// takes.
const maxFilterValues = 50

// filterValues reads the query values of filter field fd: one value, or for
// a Multi field any number of repeated and comma-separated ones (empty ones
// are dropped). Each must be a value the field can have: one of fd.Enum, or
// an id the plant file defines. It returns the values, or a validation code.
func (s *Server) filterValues(fd store.Field, raw []string) ([]string, string) {
	// Identifiers are case-insensitive everywhere, as at submission
	// (intake.Normalize): severity=HIGH filters like severity=high, and
	// plant ids are lower-case.
	var vals []string
	for _, r := range raw {
		r = strings.ToLower(r)
		if !fd.Multi {
			vals = append(vals, strings.TrimSpace(r))
			continue
		}
		for _, v := range strings.Split(r, ",") {
			if v = strings.TrimSpace(v); v != "" {
				vals = append(vals, v)
			}
		}
	}
	switch {
	case len(vals) == 0:
		return nil, ""
	case !fd.Multi && len(vals) > 1:
		return nil, store.CodeInvalid
	case len(vals) > maxFilterValues:
		return nil, store.CodeInvalid
	}
	if !fd.Multi && vals[0] == "" {
		return nil, "" // line= and the like: no condition, as before
	}
	for _, v := range vals {
		if code := s.checkFilterValue(fd, v); code != "" {
			return nil, code
		}
	}
	return vals, ""
}

// checkFilterValue returns "" if v is a value of fd, else the validation
// code: invalid for a value outside fd.Enum, unknown for an id the plant file
// does not define.
func (s *Server) checkFilterValue(fd store.Field, v string) string {
	if fd.Enum != nil {
		if !slices.Contains(fd.Enum, v) {
			return store.CodeInvalid
		}
		return ""
	}
	var known bool
	switch fd.Name {
	case "line":
		_, known = s.plant.Line(v)
	case "category":
		_, known = s.plant.Category(v)
	case "team":
		_, known = s.plant.Team(v)
	default:
		// A field the plant does not define and that has no Enum: this
		// code does not know its values yet, so it takes none (a test
		// checks every store.FilterFields entry is handled).
	}
	if !known {
		return store.CodeUnknown
	}
	return ""
}

// parseTimeParam reads an RFC 3339 time or a YYYY-MM-DD date in loc. A
// date-only upper bound means the end of that day. A "+" in an offset that
// arrived unescaped (and so decoded as a space) is put back.
func parseTimeParam(v string, loc *time.Location, upper bool) (time.Time, bool) {
	if strings.Contains(v, "T") {
		v = strings.Replace(v, " ", "+", 1)
		t, err := time.Parse(time.RFC3339, v)
		return t, err == nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return time.Time{}, false
	}
	if upper {
		d = d.AddDate(0, 0, 1)
	}
	return d, true
}
