package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

// inboxPageSize is how many reports one inbox page lists.
const inboxPageSize = 50

// readBatch is how many reports one store read returns while walking.
const readBatch = 500

// storeTimeout bounds the store reads of one page.
const storeTimeout = 10 * time.Second

// facet is the counts of one field's values among the counted reports.
type facet struct {
	Name   string // the query parameter
	Label  string
	Values []facetValue
}

type facetValue struct {
	Value, Label string
	Count        int
	Active       bool
	URL          string
}

type inboxRow struct {
	R         store.Report
	LineName  string
	CatName   string
	TeamName  string
	Open      bool
	ReturnURL string
	Statuses  []option
}

type inboxView struct {
	base
	Q                       query
	Rows                    []inboxRow
	Facets                  []facet
	Counted                 int
	Capped                  bool
	Budget                  int
	NextURL                 string
	FirstURL                string
	ExportCSV, ExportNDJSON string
	Statuses                []store.Status
	Severities              []store.Severity
	Searching               bool
	NoIndex                 bool
	HasCounts               bool
	CountsURL               string
	CountsLink              string
	Self                    string
	Options                 filterOptions
}

// filterOptions are the choices of the filter form.
type filterOptions struct {
	Lines, Categories, Teams []option
	Severities, Statuses     []option
}

type option struct {
	Value, Label string
	Selected     bool
	Disabled     bool
}

func (d *Dashboard) handleInbox(c echo.Context, b base) error {
	b.Title, b.Nav = tr(b.Lang, "nav.inbox"), "inbox"
	q, err := parseQuery(c.QueryParams(), d.d.TimeZone)
	if err != nil {
		b.Error = tr(b.Lang, "err.filter") + " " + err.Error()
		q = query{}
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
	defer cancel()
	v, err := d.inbox(ctx, b, q, c.QueryParam("counts") == "1")
	if err != nil {
		return d.storeError(c, b, "inbox", err)
	}
	status := http.StatusOK
	if b.Error != "" {
		status = http.StatusBadRequest
	}
	return d.render(c, status, "inbox.html", v)
}

// inbox reads one inbox page: its rows, and with withCounts the counts per
// filter value (otherwise the page loads them from /inbox/counts).
func (d *Dashboard) inbox(ctx context.Context, b base, q query, withCounts bool) (inboxView, error) {
	v := inboxView{base: b, Q: q, Budget: d.d.FacetBudget, Searching: q.Q != "", NoIndex: q.Q != "" && d.d.Search == nil}
	var rows []store.Report
	more := false
	err := d.walk(ctx, q, inboxPageSize+1, func(r store.Report) bool {
		if len(rows) == inboxPageSize {
			more = true
			return false
		}
		rows = append(rows, r)
		return true
	})
	if err != nil {
		return v, err
	}
	if q.Cursor != "" {
		v.FirstURL = q.with(PathInbox)
	}
	if withCounts {
		fc, err := d.counts(ctx, q)
		if err != nil {
			return v, err
		}
		v.Facets, v.Counted, v.Capped, v.HasCounts = d.facets(b, q, fc.byField), fc.counted, fc.capped, true
	}
	v.CountsURL = q.with(PathInbox + "/counts")
	v.CountsLink = q.with(PathInbox, "counts", "1")
	if more && len(rows) > 0 {
		next := q
		next.Cursor = rows[len(rows)-1].ID
		vals := next.urlValues()
		v.NextURL = PathInbox + "?" + vals.Encode()
	}
	self := PathInbox
	if s := q.urlValues().Encode(); s != "" {
		self += "?" + s
	}
	v.Self = self
	for _, r := range rows {
		v.Rows = append(v.Rows, inboxRow{
			R: r, LineName: lineName(b.Plant, b.Lang, r.Line), CatName: categoryName(b.Plant, b.Lang, r.Category),
			TeamName: teamName(b.Plant, b.Lang, r.Team), Open: openStatus(r.Status), ReturnURL: self,
			Statuses: statusOptions(b.Lang, r.Status),
		})
	}
	v.Options = d.options(b, q)
	exp := q.urlValues()
	exp.Del("cursor")
	v.ExportCSV, v.ExportNDJSON = PathExport+".csv", PathExport+".ndjson"
	if s := exp.Encode(); s != "" {
		v.ExportCSV += "?" + s
		v.ExportNDJSON += "?" + s
	}
	v.Statuses = triageStatuses()
	return v, nil
}

// triageStatuses are the statuses R&D may set.
func triageStatuses() []store.Status {
	return slices.DeleteFunc(slices.Clone(store.Statuses), func(s store.Status) bool { return s == store.StatusNew })
}

// facets turns the counts into the lists the page shows: every value the
// plant defines (zero counts too, so a filter is one click away) and any
// other value seen, most urgent severity first.
func (d *Dashboard) facets(b base, q query, counts map[string]map[string]int) []facet {
	p, lang := b.Plant, b.Lang
	type item struct{ value, label string }
	var lists = map[string][]item{}
	for _, l := range p.Lines {
		lists["line"] = append(lists["line"], item{l.ID, l.Name.In(lang)})
	}
	for _, c := range p.Categories {
		lists["category"] = append(lists["category"], item{c.ID, c.Name.In(lang)})
	}
	for i := len(store.Severities) - 1; i >= 0; i-- {
		s := store.Severities[i]
		lists["severity"] = append(lists["severity"], item{string(s), severityLabel(lang, s)})
	}
	for _, s := range store.Statuses {
		lists["status"] = append(lists["status"], item{string(s), statusLabel(lang, s)})
	}
	for _, t := range p.Teams {
		lists["team"] = append(lists["team"], item{t.ID, t.Name.In(lang)})
	}
	lists["team"] = append(lists["team"], item{"", tr(lang, "team.none")})
	active := map[string][]string{
		"line": q.Lines, "category": q.Categories, "severity": {q.Severity}, "status": {q.Status}, "team": {q.Team},
	}
	var out []facet
	for _, fd := range store.FilterFields {
		items := lists[fd.Name]
		for val := range counts[fd.Name] {
			if !slices.ContainsFunc(items, func(it item) bool { return it.value == val }) {
				items = append(items, item{val, val})
			}
		}
		f := facet{Name: fd.Name, Label: tr(lang, "field."+fd.Name)}
		for _, it := range items {
			if fd.Name == "team" && it.value == "" {
				continue // "unassigned" cannot be asked of the store's team filter
			}
			on := slices.Contains(active[fd.Name], it.value)
			set := it.value
			if on {
				set = ""
			}
			f.Values = append(f.Values, facetValue{
				Value: it.value, Label: it.label, Count: counts[fd.Name][it.value], Active: on,
				URL: q.with(PathInbox, fd.Name, set),
			})
		}
		out = append(out, f)
	}
	return out
}

func (d *Dashboard) options(b base, q query) filterOptions {
	p, lang := b.Plant, b.Lang
	var o filterOptions
	for _, l := range p.Lines {
		o.Lines = append(o.Lines, option{Value: l.ID, Label: l.Name.In(lang), Selected: slices.Contains(q.Lines, l.ID)})
	}
	for _, c := range p.Categories {
		o.Categories = append(o.Categories, option{Value: c.ID, Label: c.Name.In(lang), Selected: slices.Contains(q.Categories, c.ID)})
	}
	for _, t := range p.Teams {
		o.Teams = append(o.Teams, option{Value: t.ID, Label: t.Name.In(lang), Selected: q.Team == t.ID})
	}
	for i := len(store.Severities) - 1; i >= 0; i-- {
		s := string(store.Severities[i])
		o.Severities = append(o.Severities, option{Value: s, Label: severityLabel(lang, store.Severity(s)), Selected: q.Severity == s})
	}
	o.Statuses = append(o.Statuses, option{Value: statusOpen, Label: tr(lang, "status.open"), Selected: q.Status == statusOpen})
	for _, s := range store.Statuses {
		o.Statuses = append(o.Statuses, option{Value: string(s), Label: statusLabel(lang, s), Selected: q.Status == string(s)})
	}
	return o
}

// handleQuickStatus changes one report's status from an inbox row and
// goes back to the inbox page it came from.
func (d *Dashboard) handleQuickStatus(c echo.Context, b base) error {
	p := principal(c)
	if !p.CanTriage() {
		return d.errorPage(c, b, http.StatusForbidden, "err.forbidden")
	}
	id := c.FormValue("id")
	st := store.Status(c.FormValue("status"))
	back := c.FormValue("return")
	if !strings.HasPrefix(back, PathInbox) {
		back = PathInbox
	}
	if st == "" {
		// The menu still showed a status R&D cannot set (new): nothing to do.
		return c.Redirect(http.StatusSeeOther, back)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
	defer cancel()
	before, err := d.d.Reports.Report(ctx, id)
	if err != nil {
		return d.storeError(c, b, "quick status", err)
	}
	if _, err := d.d.Triage.Apply(ctx, id, p.Name, triage.Change{Status: &st}); err != nil {
		return d.triageError(c, b, err)
	}
	if before.Status != st {
		d.audit(ctx, p.Name, "report.status", id, string(before.Status)+" → "+string(st))
	}
	return c.Redirect(http.StatusSeeOther, back)
}
