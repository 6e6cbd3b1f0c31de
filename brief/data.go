package brief

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// Data is everything a brief shows, computed from the store.
type Data struct {
	ID        string
	Request   Request
	CreatedAt time.Time
	TimeZone  *time.Location

	Numbers Numbers
	// Days are the period's days (in TimeZone), each with counts by severity.
	Days []DayCount
	// ByCategory and ByLine count the period's reports, largest first.
	ByCategory []Count
	ByLine     []Count
	Themes     []Theme
	// Critical are the period's critical reports, newest first; New the
	// reports of high severity not yet triaged (new or received), newest
	// first. Each list is capped at maxListed; the Numbers say how many
	// there are in all.
	Critical []Item
	New      []Item
	// NewTotal counts the reports New would list without its cap.
	NewTotal int
	// Loop is what became of the previous brief's items (nil Previous: no
	// previous brief).
	Loop Loop
	// FieldNotes are the reports filed by researchers, oldest first: the
	// newest maxFieldNotes of FieldNotesTotal (the appendix lists all).
	FieldNotes      []Item
	FieldNotesTotal int

	// themesDone delivers Themes while they are grouped (awaitThemes).
	themesDone chan []Theme
	// Reports are every report of the period, oldest first (the appendix),
	// with only what the appendix shows: Body, History, Photos, Contact,
	// Receipt and Reply are dropped once the numbers and themes are made
	// (the items listed in full keep theirs), so that a brief of 10,000
	// reports holds no more than it needs while it renders.
	Reports []store.Report
}

// Numbers are the headline figures.
type Numbers struct {
	Reports  int `json:"reports"`
	Critical int `json:"critical"`
	// Previous and PreviousCritical count the previous period of equal
	// length, under the same filter.
	Previous         int `json:"previous"`
	PreviousCritical int `json:"previous_critical"`
	// ChangePct is (Reports-Previous)/Previous in percent; nil when the
	// previous period had none.
	ChangePct *float64 `json:"change_pct,omitempty"`
	Open      int      `json:"open"`
	Resolved  int      `json:"resolved"` // resolved or closed
	// MedianResponse is the median time from a report's creation to its
	// first history entry by R&D (anyone but the reporter and the system),
	// over the Responded reports; 0 when none was answered.
	MedianResponse time.Duration `json:"median_response"`
	Responded      int           `json:"responded"`
	Votes          int           `json:"votes"`
	// NewUntriaged counts high-or-critical reports still new or received.
	NewUntriaged int `json:"new_untriaged"`
}

// DayCount is one day of the per-day chart.
type DayCount struct {
	Day time.Time // midnight in the brief's time zone
	// BySeverity counts per store.Severities index (low … critical).
	BySeverity [4]int
}

// Total is the day's count.
func (d DayCount) Total() int {
	return d.BySeverity[0] + d.BySeverity[1] + d.BySeverity[2] + d.BySeverity[3]
}

// Count is one bar of a horizontal bar chart.
type Count struct {
	Key   string // category or line id
	Label string // its name in the brief's language
	N     int
}

// Theme is one recurring theme as the brief shows it.
type Theme struct {
	Terms     []string
	Count     int
	Votes     int
	Score     float64
	Lines     []string // line ids
	ReportIDs []string
	// Example is the representative report.
	Example store.Report
}

// Item is a report listed in full, with where to open it.
type Item struct {
	Report store.Report
	URL    string
}

// Loop is the closing-the-loop section.
type Loop struct {
	// Previous is the previous brief of the same team; nil if none.
	Previous *Kept
	Items    []LoopItem
}

// LoopItem is one item of the previous brief and its status now.
type LoopItem struct {
	Ref ItemRef
	// Now is the report as it is now; Missing when it is gone.
	Now     store.Report
	Missing bool
	URL     string
}

// openStatuses are the statuses of reports still waiting for an outcome.
var openStatuses = map[store.Status]bool{store.StatusNew: true, store.StatusReceived: true,
	store.StatusTriaged: true, store.StatusInProgress: true}

// severityIndex is s's index in store.Severities; unknown counts as low.
func severityIndex(s store.Severity) int {
	if i := slices.Index(store.Severities, s); i >= 0 {
		return i
	}
	return 0
}

// compute gathers the period's reports and works out every section.
func (m *Maker) compute(ctx context.Context, req Request, now time.Time, id string) (*Data, error) {
	// The previous period is counted while this one is read.
	type counted struct {
		c   periodCount
		err error
	}
	prevDone := make(chan counted, 1)
	go func() {
		prevFrom := req.From.Add(-req.To.Sub(req.From))
		c, err := m.countAll(ctx, req.filter(prevFrom, req.From))
		prevDone <- counted{c, err}
	}()
	reps, err := m.findAll(ctx, req.filter(req.From, req.To))
	prev := <-prevDone
	if err != nil {
		return nil, fmt.Errorf("brief: read reports: %w", err)
	}
	if prev.err != nil {
		return nil, fmt.Errorf("brief: read previous period: %w", prev.err)
	}
	// Oldest first: the order of the appendix and of the field notes.
	slices.Reverse(reps)
	d := &Data{ID: id, Request: req, CreatedAt: now, TimeZone: m.tz, Reports: reps}

	// Grouping themes is the longest step and only reads reps: it runs
	// while the rest is counted and read, and the renderer lays out the
	// appendix (see awaitThemes).
	d.themesDone = make(chan []Theme, 1)
	go func() { d.themesDone <- m.themes(reps) }()
	ok := false
	defer func() {
		if !ok {
			d.awaitThemes() // an early return: do not leave the goroutine behind
		}
	}()

	d.Numbers.Previous, d.Numbers.PreviousCritical = prev.c.total, prev.c.critical
	m.countNumbers(d)
	d.Days = m.perDay(req, reps)
	d.ByCategory = m.byCategory(req, reps)
	d.ByLine = m.byLine(req, reps)

	for i := len(reps) - 1; i >= 0; i-- { // newest first
		r := reps[i]
		switch {
		case r.Severity == store.SeverityCritical:
			if len(d.Critical) < maxListed {
				d.Critical = append(d.Critical, Item{Report: r, URL: m.ReportURL(r.ID)})
			}
		case r.Severity == store.SeverityHigh && (r.Status == store.StatusNew || r.Status == store.StatusReceived):
			d.NewTotal++
			if len(d.New) < maxListed {
				d.New = append(d.New, Item{Report: r, URL: m.ReportURL(r.ID)})
			}
		}
	}
	// Field notes: the newest maxFieldNotes, shown oldest first.
	for i := len(reps) - 1; i >= 0; i-- {
		if r := reps[i]; r.Role == store.RoleResearcher {
			d.FieldNotesTotal++
			if len(d.FieldNotes) < maxFieldNotes {
				d.FieldNotes = append(d.FieldNotes, Item{Report: r, URL: m.ReportURL(r.ID)})
			}
		}
	}
	slices.Reverse(d.FieldNotes)
	if d.Loop, err = m.closeLoop(ctx, req); err != nil {
		return nil, err
	}
	ok = true
	return d, nil
}

// awaitThemes waits for the themes being grouped, if they are, and then
// drops from the appendix's reports what it does not show. Until it has
// returned, d.Reports must only be read.
func (d *Data) awaitThemes() {
	if d.themesDone == nil {
		return
	}
	d.Themes = <-d.themesDone
	d.themesDone = nil
	if d.Themes == nil {
		d.Themes = []Theme{}
	}
	slimAppendix(d.Reports)
}

// findAll pages through every report matching f.
func (m *Maker) findAll(ctx context.Context, f store.Filter) ([]store.Report, error) {
	var out []store.Report
	for {
		p, err := m.reports.FindReports(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Reports...)
		if p.NextCursor == "" || len(p.Reports) == 0 {
			return out, nil
		}
		f.Cursor = p.NextCursor
	}
}

type periodCount struct{ total, critical int }

// countAll pages through f counting, keeping no report.
func (m *Maker) countAll(ctx context.Context, f store.Filter) (periodCount, error) {
	var c periodCount
	for {
		p, err := m.reports.FindReports(ctx, f)
		if err != nil {
			return c, err
		}
		for _, r := range p.Reports {
			c.total++
			if r.Severity == store.SeverityCritical {
				c.critical++
			}
		}
		if p.NextCursor == "" || len(p.Reports) == 0 {
			return c, nil
		}
		f.Cursor = p.NextCursor
	}
}

// FirstResponse is when R&D first acted on r: its first history entry
// after creation by anyone but the reporter and the system; false if none.
func FirstResponse(r *store.Report) (time.Time, bool) {
	for _, e := range r.History {
		switch {
		case e.Action == store.ActionCreated || e.Action == store.ActionProcessed:
			continue
		case e.By == "" || e.By == "reporter" || e.By == "system":
			continue
		case e.At.Before(r.CreatedAt):
			continue
		}
		return e.At, true
	}
	return time.Time{}, false
}

func (m *Maker) countNumbers(d *Data) {
	n := &d.Numbers
	var waits []time.Duration
	for i := range d.Reports {
		r := &d.Reports[i]
		n.Reports++
		if r.Severity == store.SeverityCritical {
			n.Critical++
		}
		switch {
		case openStatuses[r.Status]:
			n.Open++
		case r.Status == store.StatusResolved || r.Status == store.StatusClosed:
			n.Resolved++
		}
		if (r.Severity == store.SeverityHigh || r.Severity == store.SeverityCritical) &&
			(r.Status == store.StatusNew || r.Status == store.StatusReceived) {
			n.NewUntriaged++
		}
		n.Votes += r.Votes
		if at, ok := FirstResponse(r); ok {
			waits = append(waits, at.Sub(r.CreatedAt))
		}
	}
	n.Responded = len(waits)
	n.MedianResponse = median(waits)
	if n.Previous > 0 {
		pct := float64(n.Reports-n.Previous) * 100 / float64(n.Previous)
		n.ChangePct = &pct
	}
}

// median of ds (the mean of the middle two for an even count); 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	k := len(ds) / 2
	if len(ds)%2 == 1 {
		return ds[k]
	}
	return (ds[k-1] + ds[k]) / 2
}

// perDay counts the reports of each day of the period in the brief's zone.
func (m *Maker) perDay(req Request, reps []store.Report) []DayCount {
	start := startOfDay(req.From.In(m.tz))
	var days []DayCount
	for d := start; d.Before(req.To); d = d.AddDate(0, 0, 1) {
		days = append(days, DayCount{Day: d})
	}
	for i := range reps {
		r := &reps[i]
		t := r.CreatedAt.In(m.tz)
		// Days are at most a DST hour off 24 h; search rather than divide.
		k := sort.Search(len(days), func(j int) bool { return days[j].Day.After(t) }) - 1
		if k < 0 {
			k = 0
		}
		if k < len(days) {
			days[k].BySeverity[severityIndex(r.Severity)]++
		}
	}
	return days
}

func startOfDay(t time.Time) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, t.Location())
}

func (m *Maker) byCategory(req Request, reps []store.Report) []Count {
	return countBy(reps, func(r *store.Report) string { return r.Category }, func(id string) string {
		if c, ok := m.plant.Category(id); ok {
			return c.Name.In(req.Lang.String())
		}
		return id
	})
}

func (m *Maker) byLine(req Request, reps []store.Report) []Count {
	return countBy(reps, func(r *store.Report) string { return r.Line }, m.lineName(req))
}

func (m *Maker) lineName(req Request) func(string) string {
	return func(id string) string {
		if l, ok := m.plant.Line(id); ok {
			return l.Name.In(req.Lang.String())
		}
		return id
	}
}

func countBy(reps []store.Report, key func(*store.Report) string, label func(string) string) []Count {
	idx := map[string]int{}
	var out []Count
	for i := range reps {
		k := key(&reps[i])
		j, ok := idx[k]
		if !ok {
			j = len(out)
			idx[k] = j
			out = append(out, Count{Key: k, Label: label(k)})
		}
		out[j].N++
	}
	slices.SortStableFunc(out, func(a, b Count) int {
		if c := cmp.Compare(b.N, a.N); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out
}

// slimAppendix drops from reps what the appendix does not show. The Items
// listed in full are copies and keep every field.
func slimAppendix(reps []store.Report) {
	for i := range reps {
		r := &reps[i]
		r.Body, r.History, r.Photos, r.Contact, r.Receipt, r.Reply = "", nil, nil, "", "", ""
	}
}
