package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/brief"
	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/store"
)

// The briefs API, in the authenticated area:
//
//	POST /api/v1/briefs            {"team","from","to","lang","lines","categories","min_severity"}
//	                               → 201 {"id","url","summary"}: the brief is made, kept, and its PDF at url
//	GET  /api/v1/briefs            kept briefs, newest first (limit, cursor)
//	GET  /api/v1/briefs/{id}       one kept brief (parameters, numbers, items)
//	GET  /api/v1/briefs/{id}.pdf   its PDF
const (
	routeBriefs = "/api/v1/briefs"
	routeBrief  = "/api/v1/briefs/:file"
	// briefMakeTimeout bounds making one brief (10,000 reports take about
	// a second and a half).
	briefMakeTimeout = 2 * time.Minute
)

// BriefMaker makes, keeps and serves briefs (implemented by *brief.Maker).
type BriefMaker interface {
	// Make computes, renders and keeps the brief of req. Errors:
	// brief.ErrInvalid (wrapped) for a request that cannot be made.
	Make(ctx context.Context, req brief.Request) (*brief.Brief, error)
	// Get returns a kept brief, or store.ErrNotFound.
	Get(ctx context.Context, id string) (*brief.Kept, error)
	// PDF returns a kept brief's PDF, or store.ErrNotFound.
	PDF(ctx context.Context, id string) ([]byte, error)
	// List returns kept briefs, newest first, after cursor, and the next cursor.
	List(ctx context.Context, cursor string, limit int) ([]brief.Kept, string, error)
}

// registerBriefRoutes adds the briefs API to g (the authenticated area);
// without a BriefMaker the routes answer 404, as unknown URLs do.
func (s *Server) registerBriefRoutes(g routeGroup, b BriefMaker) {
	if b == nil {
		return
	}
	h := briefHandlers{s: s, b: b}
	g.POST(routeBriefs, h.create)
	g.GET(routeBriefs, h.list)
	g.GET(routeBrief, h.get)
}

type briefHandlers struct {
	s *Server
	b BriefMaker
}

// BriefCreated is the 201 body of POST /api/v1/briefs.
type BriefCreated struct {
	ID      string        `json:"id"`
	URL     string        `json:"url"`
	Summary brief.Summary `json:"summary"`
}

// BriefList is the body of GET /api/v1/briefs.
type BriefList struct {
	Briefs     []brief.Kept `json:"briefs"`
	NextCursor string       `json:"next_cursor"`
}

func briefPDFPath(id string) string { return routeBriefs + "/" + id + ".pdf" }

// create serves POST /api/v1/briefs. Dates are YYYY-MM-DD in the server's
// time zone (a date-only "to" includes that day) or RFC 3339 times; lang
// is zh or en (default zh).
func (h briefHandlers) create(c echo.Context) error {
	req, err := h.decodeRequest(c.Request())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), briefMakeTimeout)
	defer cancel()
	b, err := h.b.Make(ctx, req)
	switch {
	case errors.Is(err, brief.ErrInvalid):
		return errBadRequest(err, nil)
	case err != nil:
		return storeReadError(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, briefPDFPath(b.ID))
	return c.JSON(http.StatusCreated, BriefCreated{ID: b.ID, URL: briefPDFPath(b.ID), Summary: b.Summary})
}

// decodeRequest reads and checks the JSON body of a brief request,
// naming every bad field at once.
func (h briefHandlers) decodeRequest(r *http.Request) (brief.Request, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return brief.Request{}, errUnsupported()
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return brief.Request{}, bodyReadError(err)
	}
	var in struct {
		Team        string   `json:"team"`
		From        string   `json:"from"`
		To          string   `json:"to"`
		Lang        string   `json:"lang"`
		Lines       []string `json:"lines"`
		Categories  []string `json:"categories"`
		MinSeverity string   `json:"min_severity"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return brief.Request{}, errBadRequest(err, nil)
	}
	s := h.s
	bad := map[string]string{}
	var out brief.Request
	var ok bool
	switch out.From, ok = parseTimeParam(in.From, s.cfg.TimeZone, false); {
	case in.From == "":
		bad["from"] = store.CodeRequired
	case !ok:
		bad["from"] = store.CodeInvalid
	}
	switch out.To, ok = parseTimeParam(in.To, s.cfg.TimeZone, true); {
	case in.To == "":
		bad["to"] = store.CodeRequired
	case !ok || (bad["from"] == "" && !out.To.After(out.From)):
		bad["to"] = store.CodeInvalid
	case bad["from"] == "" && out.To.Sub(out.From) > brief.MaxPeriod:
		bad["to"] = store.CodeInvalid
	}
	out.Lang = i18n.Default
	if in.Lang != "" {
		if out.Lang, ok = i18n.Parse(in.Lang); !ok {
			bad["lang"] = store.CodeInvalid
		}
	}
	if out.Team = in.Team; in.Team != "" {
		team, ok := s.plant.Team(in.Team)
		if !ok {
			bad["team"] = store.CodeUnknown
		}
		// A team's brief covers the team's filter from the plant file,
		// as its scheduled brief does, unless the request gives one.
		if len(in.Lines) == 0 && len(in.Categories) == 0 && in.MinSeverity == "" {
			in.Lines, in.Categories, in.MinSeverity = team.Filter.Lines, team.Filter.Categories, team.Filter.MinSeverity
		}
	}
	for _, l := range in.Lines {
		if _, ok := s.plant.Line(l); !ok {
			bad["lines"] = store.CodeUnknown
		}
	}
	for _, cat := range in.Categories {
		if _, ok := s.plant.Category(cat); !ok {
			bad["categories"] = store.CodeUnknown
		}
	}
	out.Lines, out.Categories = in.Lines, in.Categories
	if in.MinSeverity != "" {
		out.MinSeverity = store.Severity(in.MinSeverity)
		if !slices.Contains(store.Severities, out.MinSeverity) {
			bad["min_severity"] = store.CodeInvalid
		}
	}
	if len(bad) > 0 {
		return brief.Request{}, errValidation(bad)
	}
	return out, nil
}

// list serves GET /api/v1/briefs (limit 1-500, default 50; cursor).
func (h briefHandlers) list(c echo.Context) error {
	limit := 0
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errValidation(map[string]string{"limit": store.CodeInvalid})
		}
		limit = n
	}
	cursor := c.QueryParam("cursor")
	if len(cursor) > maxCursorLen {
		return errValidation(map[string]string{"cursor": store.CodeTooLong})
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	list, next, err := h.b.List(ctx, cursor, limit)
	if err != nil {
		return storeReadError(err)
	}
	return c.JSON(http.StatusOK, BriefList{Briefs: list, NextCursor: next})
}

// get serves GET /api/v1/briefs/{id} (JSON) and /api/v1/briefs/{id}.pdf.
func (h briefHandlers) get(c echo.Context) error {
	file := c.Param("file")
	id, isPDF := strings.CutSuffix(file, ".pdf")
	if id == "" || len(id) > maxReportIDLen {
		return errNotFound()
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), briefMakeTimeout)
	defer cancel()
	if !isPDF {
		k, err := h.b.Get(ctx, id)
		if err != nil {
			return storeReadError(err)
		}
		return c.JSON(http.StatusOK, k)
	}
	pdf, err := h.b.PDF(ctx, id)
	if err != nil {
		return storeReadError(err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `inline; filename="brief-`+id+`.pdf"`)
	return c.Blob(http.StatusOK, "application/pdf", pdf)
}
