package dashboard

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// briefsListed is how many briefs the briefs page lists.
const briefsListed = 50

type briefsView struct {
	base
	Available bool
	Briefs    []Brief
	Teams     []option
	From, To  string
	MadeURL   string
}

func (d *Dashboard) handleBriefs(c echo.Context, b base) error {
	b.Title, b.Nav = tr(b.Lang, "nav.briefs"), "briefs"
	v := briefsView{base: b, Available: d.d.Briefs != nil}
	today := d.d.Now().In(d.d.TimeZone)
	v.To = today.Format(time.DateOnly)
	v.From = today.AddDate(0, 0, -6).Format(time.DateOnly)
	v.Teams = append(v.Teams, option{Value: "", Label: tr(b.Lang, "briefs.all_teams"), Selected: true})
	for _, t := range b.Plant.Teams {
		v.Teams = append(v.Teams, option{Value: t.ID, Label: t.Name.In(b.Lang), Selected: false})
	}
	if c.QueryParam("made") != "" {
		v.Flash = tr(b.Lang, "briefs.made")
	}
	if d.d.Briefs != nil {
		ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
		defer cancel()
		list, err := d.d.Briefs.List(ctx, briefsListed)
		if err != nil {
			return d.storeError(c, b, "briefs", err)
		}
		for i := range list {
			if len(list[i].Deliveries) == 0 && d.d.Deliveries != nil {
				if ds, err := d.d.Deliveries.Deliveries(ctx, list[i].ID); err == nil {
					list[i].Deliveries = ds
				} else {
					d.d.Log.Warn("dashboard: deliveries", "brief", list[i].ID, "err", err)
				}
			}
		}
		v.Briefs = list
	}
	return d.render(c, http.StatusOK, "briefs.html", v)
}

func (d *Dashboard) handleBriefMake(c echo.Context, b base) error {
	p := principal(c)
	if !p.CanTriage() {
		return d.errorPage(c, b, http.StatusForbidden, "err.forbidden")
	}
	if d.d.Briefs == nil {
		return d.errorPage(c, b, http.StatusNotFound, "briefs.unavailable")
	}
	tz := d.d.TimeZone
	from, err1 := time.ParseInLocation(time.DateOnly, c.FormValue("from"), tz)
	to, err2 := time.ParseInLocation(time.DateOnly, c.FormValue("to"), tz)
	if err1 != nil || err2 != nil || to.Before(from) || to.Sub(from) > 366*24*time.Hour {
		return d.errorPage(c, b, http.StatusBadRequest, "err.period")
	}
	team := c.FormValue("team")
	if _, ok := b.Plant.Team(team); team != "" && !ok {
		return d.errorPage(c, b, http.StatusBadRequest, "err.fields")
	}
	lang := c.FormValue("brief_lang")
	if lang != "en" {
		lang = "zh"
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 6*storeTimeout)
	defer cancel()
	id, err := d.d.Briefs.Make(ctx, team, from, to.AddDate(0, 0, 1), lang)
	if err != nil {
		return d.storeError(c, b, "make brief", err)
	}
	d.audit(ctx, p.Name, "brief.make", id, team+" "+c.FormValue("from")+".."+c.FormValue("to")+" "+lang)
	return c.Redirect(http.StatusSeeOther, PathBriefs+"?made="+id)
}
