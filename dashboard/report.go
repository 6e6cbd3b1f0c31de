package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/apiview"
	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

// similarShown is how many similar reports the report page lists.
const similarShown = 5

type similarRow struct {
	R     store.Report
	Score int // percent
}

type historyRow struct {
	E        store.Event
	FromText string
	ToText   string
	Link     string // a merge entry links the other report
	By       string
}

type reportView struct {
	base
	R         store.Report
	LineName  string
	CatName   string
	TeamName  string
	Photos    []photoView
	History   []historyRow
	Similar   []similarRow
	NoSimilar bool
	Statuses  []option
	Teams     []option
	Saved     bool
	Merged    bool
	FieldErrs map[string]string
}

type photoView struct {
	Full, Thumb string
	W, H        int
}

func (d *Dashboard) handleReport(c echo.Context, b base) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
	defer cancel()
	r, err := d.d.Reports.Report(ctx, c.Param("id"))
	if err != nil {
		return d.storeError(c, b, "report", err)
	}
	b.Flash = ""
	v := d.reportView(ctx, b, r)
	v.Saved = c.QueryParam("saved") == "1"
	v.Merged = c.QueryParam("merged") == "1"
	return d.render(c, http.StatusOK, "report.html", v)
}

func (d *Dashboard) reportView(ctx context.Context, b base, r store.Report) reportView {
	b.Title, b.Nav = r.Code+" · "+r.Title, "inbox"
	lang := b.Lang
	v := reportView{
		base: b, R: r, LineName: lineName(b.Plant, lang, r.Line), CatName: categoryName(b.Plant, lang, r.Category),
		TeamName: teamName(b.Plant, lang, r.Team),
	}
	for _, p := range r.Photos {
		full := p.URL
		if full == "" {
			full = apiview.PhotoURL(url.PathEscape(r.ID), url.PathEscape(p.ID))
		}
		thumb := p.ThumbURL
		if thumb == "" {
			thumb = full + "/thumb"
		}
		v.Photos = append(v.Photos, photoView{Full: full, Thumb: thumb, W: p.Width, H: p.Height})
	}
	for _, e := range r.History {
		h := historyRow{E: e, FromText: e.From, ToText: e.To, By: i18n.Actor(langOf(lang), e.By)}
		switch e.Action {
		case store.ActionStatus, store.ActionCreated, store.ActionProcessed:
			h.FromText, h.ToText = statusLabel(lang, store.Status(e.From)), statusLabel(lang, store.Status(e.To))
		case store.ActionTeam:
			h.FromText, h.ToText = teamName(b.Plant, lang, e.From), teamName(b.Plant, lang, e.To)
		case store.ActionMerged:
			h.Link, h.FromText = "/reports/"+url.PathEscape(e.From), ""
		case store.ActionDuplicate:
			h.Link, h.ToText = "/reports/"+url.PathEscape(e.To), ""
		}
		v.History = append(v.History, h)
	}
	v.Statuses = statusOptions(lang, r.Status)
	v.Teams = append(v.Teams, option{Value: "", Label: tr(lang, "team.none"), Selected: r.Team == ""})
	for _, t := range b.Plant.Teams {
		v.Teams = append(v.Teams, option{Value: t.ID, Label: t.Name.In(lang), Selected: t.ID == r.Team})
	}
	if d.d.Similarity == nil {
		v.NoSimilar = true
	} else if sims, err := d.d.Similarity.SimilarTo(ctx, r, similarShown); err != nil {
		d.d.Log.Warn("dashboard: similar reports", "report", r.ID, "err", err)
		v.NoSimilar = true
	} else {
		for _, s := range sims {
			sr, err := d.d.Reports.Report(ctx, s.ID)
			if err != nil {
				continue // gone, or the store hiccuped: the list is a help, not the page
			}
			v.Similar = append(v.Similar, similarRow{R: sr, Score: int(s.Score*100 + 0.5)})
		}
	}
	return v
}

// statusOptions are the choices of a status menu for a report in cur:
// the statuses R&D may set, and cur itself even when it is not one of them
// (new), disabled so that saving the form without touching the menu does
// not change the status.
func statusOptions(lang string, cur store.Status) []option {
	var out []option
	if cur == store.StatusNew {
		out = append(out, option{Value: string(cur), Label: statusLabel(lang, cur), Selected: true, Disabled: true})
	}
	for _, s := range triageStatuses() {
		out = append(out, option{Value: string(s), Label: statusLabel(lang, s), Selected: s == cur})
	}
	return out
}

// handleTriage applies the report form: status, team, reply, note.
func (d *Dashboard) handleTriage(c echo.Context, b base) error {
	p := principal(c)
	if !p.CanTriage() {
		return d.errorPage(c, b, http.StatusForbidden, "err.forbidden")
	}
	id := c.Param("id")
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
	defer cancel()
	before, err := d.d.Reports.Report(ctx, id)
	if err != nil {
		return d.storeError(c, b, "triage", err)
	}
	var ch triage.Change
	form, _ := c.FormParams()
	if form.Has("status") {
		st := store.Status(form.Get("status"))
		ch.Status = &st
	}
	if form.Has("team") {
		t := form.Get("team")
		ch.Team = &t
	}
	if form.Has("reply") {
		r := form.Get("reply")
		ch.Reply = &r
	}
	if n := strings.TrimSpace(form.Get("note")); n != "" {
		ch.Note = &n
	}
	after, err := d.d.Triage.Apply(ctx, id, p.Name, ch)
	if err != nil {
		var ve *store.ValidationError
		if errors.As(err, &ve) {
			v := d.reportView(ctx, b, before)
			v.FieldErrs = map[string]string{}
			for f, code := range ve.Fields {
				v.FieldErrs[f] = tr(b.Lang, "field."+f) + ": " + tr(b.Lang, "code."+code)
			}
			v.Error = tr(b.Lang, "err.fields")
			return d.render(c, http.StatusBadRequest, "report.html", v)
		}
		return d.triageError(c, b, err)
	}
	if before.Status != after.Status {
		d.audit(ctx, p.Name, "report.status", id, string(before.Status)+" → "+string(after.Status))
	}
	if before.Team != after.Team {
		d.audit(ctx, p.Name, "report.team", id, before.Team+" → "+after.Team)
	}
	if before.Reply != after.Reply {
		d.audit(ctx, p.Name, "report.reply", id, after.Reply)
	}
	if ch.Note != nil {
		d.audit(ctx, p.Name, "report.note", id, "")
	}
	return c.Redirect(http.StatusSeeOther, "/reports/"+url.PathEscape(id)+"?saved=1")
}

// handleMerge merges this report as a duplicate into another, named by its
// id or by a link to its page.
func (d *Dashboard) handleMerge(c echo.Context, b base) error {
	p := principal(c)
	if !p.CanTriage() {
		return d.errorPage(c, b, http.StatusForbidden, "err.forbidden")
	}
	id := c.Param("id")
	into := strings.TrimSpace(c.FormValue("into"))
	if u, err := url.Parse(into); err == nil && strings.Contains(u.Path, "/") {
		into = path.Base(u.Path)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
	defer cancel()
	if into == "" {
		return d.errorPage(c, b, http.StatusBadRequest, "err.merge_target")
	}
	if _, _, err := d.d.Triage.Merge(ctx, id, into, p.Name); err != nil {
		switch {
		case errors.Is(err, triage.ErrSelfMerge):
			return d.errorPage(c, b, http.StatusBadRequest, "err.merge_self")
		case errors.Is(err, triage.ErrMergeChain):
			return d.errorPage(c, b, http.StatusConflict, "err.merge_chain")
		case errors.Is(err, triage.ErrAlreadyMerged):
			return d.errorPage(c, b, http.StatusConflict, "err.merge_already")
		}
		return d.triageError(c, b, err)
	}
	d.audit(ctx, p.Name, "report.merge", id, "into "+into)
	return c.Redirect(http.StatusSeeOther, "/reports/"+url.PathEscape(into)+"?merged=1")
}

// triageError answers a failed triage call.
func (d *Dashboard) triageError(c echo.Context, b base, err error) error {
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		return d.errorPage(c, b, http.StatusBadRequest, "err.fields")
	case errors.Is(err, store.ErrNotFound):
		return d.errorPage(c, b, http.StatusNotFound, "err.not_found")
	case errors.Is(err, triage.ErrBadActor):
		return d.errorPage(c, b, http.StatusForbidden, "err.actor")
	}
	d.d.Log.Error("dashboard: triage", "err", err)
	return d.errorPage(c, b, http.StatusServiceUnavailable, "err.unavailable")
}
