package handlers

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/store"
)

// Bounds on what the authenticated API accepts before asking the store.
const (
	maxBearerLen   = 512
	maxCursorLen   = 100
	maxReportIDLen = 64
)

// requireToken admits requests with a valid credential (see authenticate):
// otherwise 401 with WWW-Authenticate; 503 if the store cannot say.
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := s.authenticate(c); err != nil {
			return err
		}
		return next(c)
	}
}

// apiReport is a report as the authenticated API returns it: every field
// except the receipt, which is the reporter's alone.
type apiReport struct {
	ID          string         `json:"id"`
	Code        string         `json:"code"`
	Line        string         `json:"line"`
	Category    string         `json:"category"`
	Severity    store.Severity `json:"severity"`
	Title       string         `json:"title"`
	Body        string         `json:"body"`
	Station     string         `json:"station"`
	Role        store.Role     `json:"role"`
	Reporter    string         `json:"reporter"`
	Contact     string         `json:"contact"`
	Lang        string         `json:"lang"`
	Status      store.Status   `json:"status"`
	Team        string         `json:"team"`
	Votes       int            `json:"votes"`
	Reply       string         `json:"reply"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	ProcessedAt *time.Time     `json:"processed_at"`
	Photos      []store.Photo  `json:"photos"`
	History     []store.Event  `json:"history"`
}

func newAPIReport(r store.Report) apiReport {
	v := apiReport{
		ID: r.ID, Code: r.Code, Line: r.Line, Category: r.Category, Severity: r.Severity,
		Title: r.Title, Body: r.Body, Station: r.Station, Role: r.Role, Reporter: r.Reporter,
		Contact: r.Contact, Lang: r.Lang, Status: r.Status, Team: r.Team, Votes: r.Votes,
		Reply: r.Reply, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ProcessedAt: r.ProcessedAt,
		Photos: r.Photos, History: r.History,
	}
	if v.Photos == nil {
		v.Photos = []store.Photo{}
	}
	if v.History == nil {
		v.History = []store.Event{}
	}
	return v
}

// reportList is the body of GET /api/v1/reports; next_cursor is empty on
// the last page.
type reportList struct {
	Reports    []apiReport `json:"reports"`
	NextCursor string      `json:"next_cursor"`
}

// handleReportList serves GET /api/v1/reports: filters from, to (RFC 3339
// or YYYY-MM-DD in Config.TimeZone; a date-only "to" includes that day),
// line, category, severity, status, limit, cursor.
func (s *Server) handleReportList(c echo.Context) error {
	f, err := s.parseFilter(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	page, err := s.reports.FindReports(ctx, f)
	if err != nil {
		return errUnavailable(err)
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

// parseFilter reads the list filters, reporting every bad one at once as a
// validation error.
func (s *Server) parseFilter(c echo.Context) (store.Filter, error) {
	q := c.QueryParams()
	var f store.Filter
	bad := map[string]string{}
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
	if v := q.Get("line"); v != "" {
		if _, ok := s.plant.Line(v); !ok {
			bad["line"] = store.CodeUnknown
		}
		f.Line = v
	}
	if v := q.Get("category"); v != "" {
		if _, ok := s.plant.Category(v); !ok {
			bad["category"] = store.CodeUnknown
		}
		f.Category = v
	}
	if v := q.Get("severity"); v != "" {
		f.Severity = store.Severity(v)
		if !slices.Contains(store.Severities, f.Severity) {
			bad["severity"] = store.CodeInvalid
		}
	}
	if v := q.Get("status"); v != "" {
		f.Status = store.Status(v)
		if !slices.Contains(store.Statuses, f.Status) {
			bad["status"] = store.CodeInvalid
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
		if len(v) > maxCursorLen {
			bad["cursor"] = store.CodeTooLong
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
