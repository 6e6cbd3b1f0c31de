package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

// overviewBudget bounds the reports one overview reads per period.
const overviewBudget = 50000

// defaultOverviewDays is the period of the overview when none is asked for.
const defaultOverviewDays = 7

// severityColors are the charts' colours, least urgent first (high
// contrast on white, distinguishable without red–green vision).
var severityColors = map[store.Severity]string{
	store.SeverityLow: "#93c5fd", store.SeverityMedium: "#2563eb", store.SeverityHigh: "#f59e0b", store.SeverityCritical: "#b91c1c",
}

type headline struct {
	Total, Critical, Open, Resolved, Prev int
	ChangePct                             int
	HasChange                             bool
	MedianResponse                        string
	Capped                                bool
}

// stackChart is reports per day, stacked by severity, laid out for SVG.
type stackChart struct {
	W, H, Base int
	Days       []stackDay
	Legend     []legendItem
	Max        int
	Ticks      []tick
}

type stackDay struct {
	X, W  int
	Label string
	Show  bool // label drawn (not every day fits)
	Total int
	Bars  []bar
}

type bar struct {
	X, Y, W, H int
	Color      string
	Title      string
}

type tick struct {
	Y     int
	Label string
}

type legendItem struct{ Color, Label string }

// hbarChart is one horizontal bar per value.
type hbarChart struct {
	W, H int
	Rows []hbar
}

type hbar struct {
	Y, W  int
	Label string
	Count int
	URL   string
	TextX int
}

type overviewView struct {
	base
	From, To    string // YYYY-MM-DD, to inclusive
	Head        headline
	Days        stackChart
	ByCategory  hbarChart
	ByLine      hbarChart
	PeriodLabel string
}

func (d *Dashboard) handleOverview(c echo.Context, b base) error {
	b.Title, b.Nav = tr(b.Lang, "nav.overview"), "overview"
	tz := d.d.TimeZone
	today := d.d.Now().In(tz)
	to := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, tz).AddDate(0, 0, 1)
	from := to.AddDate(0, 0, -defaultOverviewDays)
	if s := c.QueryParam("from"); s != "" {
		t, err := time.ParseInLocation(time.DateOnly, s, tz)
		if err != nil {
			return d.errorPage(c, b, http.StatusBadRequest, "err.date")
		}
		from = t
	}
	if s := c.QueryParam("to"); s != "" {
		t, err := time.ParseInLocation(time.DateOnly, s, tz)
		if err != nil {
			return d.errorPage(c, b, http.StatusBadRequest, "err.date")
		}
		to = t.AddDate(0, 0, 1)
	}
	if !to.After(from) || to.Sub(from) > 366*24*time.Hour {
		return d.errorPage(c, b, http.StatusBadRequest, "err.period")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*storeTimeout)
	defer cancel()
	v, err := d.overview(ctx, b, from, to)
	if err != nil {
		return d.storeError(c, b, "overview", err)
	}
	return d.render(c, http.StatusOK, "overview.html", v)
}

func (d *Dashboard) overview(ctx context.Context, b base, from, to time.Time) (overviewView, error) {
	tz, lang := d.d.TimeZone, b.Lang
	v := overviewView{base: b, From: from.Format(time.DateOnly), To: to.AddDate(0, 0, -1).Format(time.DateOnly)}
	ndays := int(to.Sub(from).Hours()/24 + 0.5)
	perDay := make([]map[store.Severity]int, ndays)
	for i := range perDay {
		perDay[i] = map[store.Severity]int{}
	}
	byCat, byLine := map[string]int{}, map[string]int{}
	var responses []time.Duration
	n := 0
	err := d.walk(ctx, query{filter: store.Filter{From: from, To: to}}, readBatch, func(r store.Report) bool {
		if n == overviewBudget {
			v.Head.Capped = true
			return false
		}
		n++
		v.Head.Total++
		if r.Severity == store.SeverityCritical {
			v.Head.Critical++
		}
		if openStatus(r.Status) {
			v.Head.Open++
		} else if r.Status == store.StatusResolved {
			v.Head.Resolved++
		}
		day := int(r.CreatedAt.In(tz).Sub(from).Hours() / 24)
		if day >= 0 && day < ndays {
			perDay[day][r.Severity]++
		}
		byCat[r.Category]++
		byLine[r.Line]++
		if rt, ok := firstResponse(r); ok {
			responses = append(responses, rt)
		}
		return true
	})
	if err != nil {
		return v, err
	}
	prevFrom := from.Add(-to.Sub(from))
	err = d.walk(ctx, query{filter: store.Filter{From: prevFrom, To: from}}, readBatch, func(store.Report) bool {
		v.Head.Prev++
		return v.Head.Prev < overviewBudget
	})
	if err != nil {
		return v, err
	}
	if v.Head.Prev > 0 {
		v.Head.HasChange = true
		v.Head.ChangePct = int(float64(v.Head.Total-v.Head.Prev)/float64(v.Head.Prev)*100 + 0.5*sign(v.Head.Total-v.Head.Prev))
	}
	if len(responses) > 0 {
		slices.Sort(responses)
		v.Head.MedianResponse = humanDuration(lang, responses[len(responses)/2])
	}
	v.Days = stackDays(lang, from, perDay)
	var cats, lines []kv
	for _, c := range b.Plant.Categories {
		cats = append(cats, kv{c.ID, c.Name.In(lang), byCat[c.ID]})
		delete(byCat, c.ID)
	}
	for id, n := range byCat {
		cats = append(cats, kv{id, id, n})
	}
	for _, l := range b.Plant.Lines {
		lines = append(lines, kv{l.ID, l.Name.In(lang), byLine[l.ID]})
		delete(byLine, l.ID)
	}
	for id, n := range byLine {
		lines = append(lines, kv{id, id, n})
	}
	inbox := query{From: v.From, To: v.To}
	v.ByCategory = hbars(cats, func(id string) string { return inbox.with(PathInbox, "category", id) })
	v.ByLine = hbars(lines, func(id string) string { return inbox.with(PathInbox, "line", id) })
	return v, nil
}

func sign(n int) float64 {
	if n < 0 {
		return -1
	}
	return 1
}

// firstResponse is how long R&D took to first act on r (a status, team or
// reply change by someone other than the reporter or the system).
func firstResponse(r store.Report) (time.Duration, bool) {
	for _, e := range r.History {
		if e.By == triage.ByReporter || e.By == triage.BySystem {
			continue
		}
		switch e.Action {
		case store.ActionStatus, store.ActionTeam, store.ActionReply:
			return e.At.Sub(r.CreatedAt), true
		}
	}
	return 0, false
}

func humanDuration(lang string, dur time.Duration) string {
	h := dur.Hours()
	switch {
	case h < 1:
		return fmt.Sprintf(tr(lang, "dur.minutes"), int(dur.Minutes()+0.5))
	case h < 48:
		return fmt.Sprintf(tr(lang, "dur.hours"), h)
	}
	return fmt.Sprintf(tr(lang, "dur.days"), h/24)
}

type kv struct {
	ID, Label string
	N         int
}

// Chart geometry (SVG user units).
const (
	chartW      = 720
	chartH      = 220
	chartLeft   = 36
	chartBottom = 24
	hbarRow     = 26
	hbarW       = 480
	hbarLabelW  = 170
)

func stackDays(lang string, from time.Time, perDay []map[store.Severity]int) stackChart {
	ch := stackChart{W: chartW, H: chartH, Base: chartH - chartBottom}
	for i := len(store.Severities) - 1; i >= 0; i-- {
		s := store.Severities[i]
		ch.Legend = append(ch.Legend, legendItem{severityColors[s], severityLabel(lang, s)})
	}
	for _, m := range perDay {
		t := 0
		for _, n := range m {
			t += n
		}
		ch.Max = max(ch.Max, t)
	}
	top := niceMax(ch.Max)
	plotH := ch.Base - 8
	n := len(perDay)
	slot := float64(chartW-chartLeft) / float64(max(n, 1))
	every := max(1, int(48/slot+0.999))
	for i, m := range perDay {
		x := chartLeft + int(float64(i)*slot)
		w := max(1, int(slot*0.8))
		day := stackDay{X: x, W: w, Label: from.AddDate(0, 0, i).Format("01-02"), Show: i%every == 0}
		y := ch.Base
		for _, s := range store.Severities {
			cnt := m[s]
			day.Total += cnt
			if cnt == 0 {
				continue
			}
			h := int(float64(cnt) / float64(top) * float64(plotH))
			h = max(h, 1)
			y -= h
			day.Bars = append(day.Bars, bar{X: x, Y: y, W: w, H: h, Color: severityColors[s],
				Title: fmt.Sprintf("%s %s: %d", day.Label, severityLabel(lang, s), cnt)})
		}
		ch.Days = append(ch.Days, day)
	}
	for _, f := range []float64{0, 0.5, 1} {
		ch.Ticks = append(ch.Ticks, tick{Y: ch.Base - int(f*float64(plotH)), Label: formatInt(int(f * float64(top)))})
	}
	return ch
}

// niceMax rounds a chart's maximum up to 1, 2 or 5 times a power of ten.
func niceMax(n int) int {
	if n <= 0 {
		return 1
	}
	p := 1
	for p*10 <= n {
		p *= 10
	}
	for _, m := range []int{1, 2, 5, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}

func hbars(items []kv, link func(id string) string) hbarChart {
	sort.SliceStable(items, func(i, j int) bool { return items[i].N > items[j].N })
	ch := hbarChart{W: hbarW, H: max(1, len(items)) * hbarRow}
	top := 1
	for _, it := range items {
		top = max(top, it.N)
	}
	plotW := hbarW - hbarLabelW - 50
	for i, it := range items {
		w := int(float64(it.N) / float64(top) * float64(plotW))
		if it.N > 0 {
			w = max(w, 2)
		}
		ch.Rows = append(ch.Rows, hbar{Y: i * hbarRow, W: w, Label: it.Label, Count: it.N, URL: link(it.ID), TextX: hbarLabelW + w + 6})
	}
	return ch
}
