package dashboard

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/apiview"
	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

// ExportColumns are the CSV export's columns, in order. Times are RFC 3339
// in UTC; line_name, category_name and team_name are in the language of
// the request (?lang=, else Accept-Language).
var ExportColumns = []string{
	"id", "code", "created_at", "updated_at", "processed_at", "line", "line_name", "station",
	"category", "category_name", "severity", "status", "team", "team_name", "votes",
	"title", "body", "reporter", "role", "contact", "lang", "reply",
}

// exportTimeout bounds one export: 100,000 reports take a few seconds.
const exportTimeout = 5 * time.Minute

// exportFlushEvery is how many rows are written between flushes.
const exportFlushEvery = 500

// exportStart checks the principal and the filter; on success the
// response headers are set and the body may be streamed.
func (d *Dashboard) exportStart(c echo.Context, contentType, ext string) (query, bool, error) {
	p, ok := auth.PrincipalFrom(c.Request().Context())
	if !ok || !p.CanRead() {
		return query{}, false, echo.NewHTTPError(http.StatusUnauthorized, "authentication required")
	}
	q, err := parseQuery(c.QueryParams(), d.d.TimeZone)
	if err != nil {
		return query{}, false, echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	h := c.Response().Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", `attachment; filename="floorfeed-reports-`+d.d.Now().In(d.d.TimeZone).Format("20060102-1504")+ext+`"`)
	c.Response().WriteHeader(http.StatusOK)
	return q, true, nil
}

// handleExportCSV streams the reports matching the inbox's filters as CSV:
// UTF-8 with a byte-order mark (Excel then reads Chinese correctly), one
// header row of ExportColumns, cells that a spreadsheet would take for a
// formula prefixed with an apostrophe.
func (d *Dashboard) handleExportCSV(c echo.Context) error {
	q, ok, err := d.exportStart(c, "text/csv; charset=utf-8", ".csv")
	if !ok {
		return err
	}
	lang := d.lang(c).String()
	pl, _, err := d.d.Plant.Current(c.Request().Context())
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(c.Response(), 64<<10)
	_, _ = bw.WriteString("\uFEFF")
	w := csv.NewWriter(bw)
	w.UseCRLF = true
	_ = w.Write(ExportColumns)
	row := make([]string, len(ExportColumns))
	n := 0
	ctx, cancel := context.WithTimeout(c.Request().Context(), exportTimeout)
	defer cancel()
	werr := error(nil)
	err = d.walkAll(ctx, q, func(r store.Report) bool {
		processed := ""
		if r.ProcessedAt != nil {
			processed = r.ProcessedAt.UTC().Format(time.RFC3339)
		}
		vals := [...]string{
			r.ID, r.Code, r.CreatedAt.UTC().Format(time.RFC3339), r.UpdatedAt.UTC().Format(time.RFC3339), processed,
			r.Line, lineName(pl, lang, r.Line), r.Station, r.Category, categoryName(pl, lang, r.Category),
			string(r.Severity), string(r.Status), r.Team, teamNameOrEmpty(pl, lang, r.Team), strconv.Itoa(r.Votes),
			r.Title, r.Body, r.Reporter, string(r.Role), r.Contact, r.Lang, r.Reply,
		}
		for i, v := range vals {
			row[i] = SafeCell(v)
		}
		if werr = w.Write(row); werr != nil {
			return false
		}
		n++
		if n%exportFlushEvery == 0 {
			w.Flush()
			if werr = bw.Flush(); werr != nil {
				return false
			}
			c.Response().Flush()
		}
		return true
	})
	w.Flush()
	_ = bw.Flush()
	if err == nil {
		err = werr
	}
	if err != nil {
		// The status line is gone: the truncated file is the signal; log it.
		d.d.Log.Error("dashboard: CSV export cut short", "rows", n, "err", err)
	}
	return nil
}

// SafeCell neutralises a cell a spreadsheet would run as a formula (one
// starting with =, +, -, @, a tab or a carriage return) by putting an
// apostrophe before it, so it shows as the text it is.
func SafeCell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}

func teamNameOrEmpty(p *plant.Plant, lang, id string) string {
	if id == "" {
		return ""
	}
	return teamName(p, lang, id)
}

func (d *Dashboard) handleExportNDJSON(c echo.Context) error {
	return d.exportJSON(c, "application/x-ndjson", ".ndjson", false)
}

func (d *Dashboard) handleExportJSON(c echo.Context) error {
	return d.exportJSON(c, "application/json", ".json", true)
}

// exportJSON streams reports as NDJSON (one object per line) or as one
// JSON array.
func (d *Dashboard) exportJSON(c echo.Context, contentType, ext string, array bool) error {
	q, ok, err := d.exportStart(c, contentType, ext)
	if !ok {
		return err
	}
	bw := bufio.NewWriterSize(c.Response(), 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if array {
		_, _ = bw.WriteString("[\n")
	}
	n := 0
	ctx, cancel := context.WithTimeout(c.Request().Context(), exportTimeout)
	defer cancel()
	var werr error
	err = d.walkAll(ctx, q, func(r store.Report) bool {
		if array && n > 0 {
			_, _ = bw.WriteString(",")
		}
		if werr = enc.Encode(apiview.Of(r)); werr != nil {
			return false
		}
		n++
		if n%exportFlushEvery == 0 {
			if werr = bw.Flush(); werr != nil {
				return false
			}
			c.Response().Flush()
		}
		return true
	})
	if array && err == nil && werr == nil {
		// Only a complete export is closed: a cut-short array fails to parse.
		_, _ = bw.WriteString("]\n")
	}
	_ = bw.Flush()
	if err == nil {
		err = werr
	}
	if err != nil {
		d.d.Log.Error("dashboard: JSON export cut short", "rows", n, "err", err)
	}
	return nil
}
