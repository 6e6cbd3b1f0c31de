// Package demo generates realistic sample reports for `floorfeed demo`: what
// shop-floor staff and visiting researchers of a plant would log over a few
// weeks, in Chinese and English, so that the dashboard, the similar-report
// grouping and the PDF briefs have something believable to show.
//
// The lines of the built-in sample plant (sx-1, calc-1, elec-1, ndfeb-1,
// polish-1) get issues specific to their process; any other line gets generic
// manufacturing issues. Output is deterministic for a given plant, n, now and
// seed.
package demo

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/floorfeed/floorfeed/plant"
)

// Item is one generated report, in the shape of the public submission fields.
type Item struct {
	Line, Station, Category, Severity, Title, Body, Role, Reporter, Contact, Lang string
	At                                                                            time.Time // when it was reported
	// Votes are the "me too" votes it collects (see votes in brief.go).
	Votes int
}

// Window is how far back before now the generated reports go.
const Window = 28 * 24 * time.Hour

// zhShare is the share of reports written in Chinese; the rest are English.
const zhShare = 0.70

// lineWeight makes some sample lines busier than others; other lines weigh 1.
var lineWeight = map[string]float64{
	"sx-1":     1.0,
	"calc-1":   0.7,
	"elec-1":   1.0,
	"ndfeb-1":  1.2,
	"polish-1": 0.6,
}

// Generate returns n reports spread over the four weeks before now (more on
// weekdays and day shifts, a few at night, in now's time zone), in Chinese
// (about 70%) and English (about 30%, e.g. visiting researchers),
// deterministic for a given seed. Items are sorted by At, oldest first. When
// n is at least the number of lines, every line gets at least one report.
// It returns nil when n <= 0 or the plant has no lines.
func Generate(p *plant.Plant, n int, now time.Time, seed int64) []Item {
	if p == nil || n <= 0 || len(p.Lines) == 0 {
		return nil
	}
	g := newGenerator(p, now, seed)
	items := make([]Item, 0, n)
	first := g.r.Perm(len(p.Lines)) // every line once before the weighted draw
	for i := range n {
		li := -1
		if i < len(first) {
			li = first[i]
		} else {
			li = g.pickLine()
		}
		items = append(items, g.item(li))
	}
	g.ensureRecentCriticals(items)
	slices.SortStableFunc(items, func(a, b Item) int { return a.At.Compare(b.At) })
	return items
}

// lineState is what the generator keeps per line: its themes and the theme
// that recurs more often during one week (a "hot" problem people keep
// reporting, in both languages).
type lineState struct {
	line     plant.Line
	themes   []theme
	weight   float64
	hot      int // index into themes
	hotStart time.Time
}

type generator struct {
	p     *plant.Plant
	r     *rand.Rand
	now   time.Time
	start time.Time
	lines []lineState
	total float64 // sum of line weights
}

func newGenerator(p *plant.Plant, now time.Time, seed int64) *generator {
	g := &generator{
		p:     p,
		r:     rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		now:   now,
		start: now.Add(-Window),
	}
	for _, l := range p.Lines {
		ts, ok := sampleThemes[l.ID]
		if !ok {
			ts = genericThemes
		}
		ts = withCriticals(l.ID, ts)
		w, ok := lineWeight[l.ID]
		if !ok {
			w = 1
		}
		st := lineState{line: l, themes: ts, weight: w}
		st.hot = g.pickTheme(ts, true)
		// A week-long stretch somewhere in the window.
		st.hotStart = g.start.Add(time.Duration(g.r.Int64N(int64(Window - 7*24*time.Hour))))
		g.lines = append(g.lines, st)
		g.total += w
	}
	return g
}

func (g *generator) pickLine() int {
	x := g.r.Float64() * g.total
	for i, l := range g.lines {
		x -= l.weight
		if x < 0 {
			return i
		}
	}
	return len(g.lines) - 1
}

// pickTheme draws a theme by weight; noCritical leaves out critical ones
// (they are not what recurs all week).
func (g *generator) pickTheme(ts []theme, noCritical bool) int {
	total := 0
	for _, t := range ts {
		if !(noCritical && t.sev == sevCritical) {
			total += t.weight
		}
	}
	x := g.r.IntN(max(total, 1))
	for i, t := range ts {
		if noCritical && t.sev == sevCritical {
			continue
		}
		x -= t.weight
		if x < 0 {
			return i
		}
	}
	return 0
}

// item generates one report on line li.
func (g *generator) item(li int) Item {
	st := &g.lines[li]
	at := g.when()

	ti := g.pickTheme(st.themes, false)
	if !at.Before(st.hotStart) && at.Before(st.hotStart.Add(7*24*time.Hour)) && g.r.Float64() < 0.3 {
		ti = st.hot
	}
	return g.itemOf(li, ti, at)
}

// itemOf generates one report of theme ti on line li at at.
func (g *generator) itemOf(li, ti int, at time.Time) Item {
	st := &g.lines[li]
	th := st.themes[ti]

	lang := "en"
	if g.r.Float64() < zhShare {
		lang = "zh"
	}
	texts := th.zh
	if lang == "en" {
		texts = th.en
	}
	if len(texts) == 0 { // a theme written in one language only
		lang, texts = other(lang), th.texts(other(lang))
	}
	tx := texts[g.r.IntN(len(texts))]

	station := g.station(st.line, th.station)
	f := &filler{r: g.r, lang: lang, station: station, line: st.line, at: at, vars: map[string]string{}}
	title := clip(f.expand(tx.title), maxTitle)
	body := f.expand(tx.body)
	if th.cat != "idea" && th.cat != "other" && g.r.Float64() < 0.25 {
		tails := zhTails
		if lang == "en" {
			tails = enTails
		}
		body += sep(lang) + tails[g.r.IntN(len(tails))]
	}

	role, reporter, contact := g.person(lang)
	return Item{
		Line:     st.line.ID,
		Station:  station,
		Category: g.category(th.cat),
		Severity: g.severity(th.sev),
		Title:    title,
		Body:     clip(body, maxBody),
		Role:     role,
		Reporter: reporter,
		Contact:  contact,
		Lang:     lang,
		At:       at,
		Votes:    g.votes(ti == st.hot, th.sev),
	}
}

// when draws a time in [now-Window, now): more on weekdays than at weekends,
// most on the day shift, fewer in the evening, a few at night.
func (g *generator) when() time.Time {
	for {
		t := g.start.Add(time.Duration(g.r.Int64N(int64(Window/time.Second))) * time.Second)
		if g.r.Float64() < dayWeight(t)*hourWeight(t) {
			return t
		}
	}
}

func dayWeight(t time.Time) float64 {
	switch t.Weekday() {
	case time.Saturday:
		return 0.45
	case time.Sunday:
		return 0.3
	}
	return 1
}

func hourWeight(t time.Time) float64 {
	switch h := t.Hour(); {
	case h >= 8 && h < 16:
		return 1
	case h >= 16:
		return 0.45
	}
	return 0.12
}

// station picks the station a theme belongs to (the line's stations that
// contain hint), any of the line's stations when none matches, or "" when the
// line has none.
func (g *generator) station(l plant.Line, hint string) string {
	if len(l.Stations) == 0 {
		return ""
	}
	var match []string
	if hint != "" {
		for _, s := range l.Stations {
			if containsFold(s.ID, hint) || containsFold(s.Name.ZH, hint) || containsFold(s.Name.EN, hint) {
				match = append(match, s.ID)
			}
		}
	}
	if len(match) == 0 {
		match = l.StationIDs()
	}
	return match[g.r.IntN(len(match))]
}

// category returns id if the plant has that category, else "other", else the
// plant's first category.
func (g *generator) category(id string) string {
	if _, ok := g.p.Category(id); ok {
		return id
	}
	if _, ok := g.p.Category("other"); ok || len(g.p.Categories) == 0 {
		return "other"
	}
	return g.p.Categories[0].ID
}

var severities = []string{sevLow, sevMedium, sevHigh, sevCritical}

// severity mostly keeps a theme's severity and sometimes moves it one step
// (people judge the same problem differently), never into or out of critical.
func (g *generator) severity(s string) string {
	if s == sevCritical || g.r.Float64() >= 0.15 {
		return s
	}
	i := slices.Index(severities, s)
	switch {
	case i <= 0:
		return sevMedium
	case i >= 2:
		return sevMedium
	case g.r.IntN(2) == 0:
		return sevLow
	}
	return sevHigh
}

// Role shares by language: Chinese reports come mostly from operators and
// technicians, English ones more often from visiting researchers and
// engineers.
var (
	zhRoles = []weighted{{"operator", 50}, {"technician", 27}, {"engineer", 13}, {"researcher", 6}, {"other", 4}}
	enRoles = []weighted{{"operator", 20}, {"technician", 15}, {"engineer", 25}, {"researcher", 35}, {"other", 5}}
)

type weighted struct {
	v string
	w int
}

func (g *generator) pickWeighted(ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.w
	}
	x := g.r.IntN(total)
	for _, w := range ws {
		x -= w.w
		if x < 0 {
			return w.v
		}
	}
	return ws[len(ws)-1].v
}

// person returns the reporter's role, name and contact. Most reports are
// anonymous; named people are a small roster, so the same names recur, and
// they often leave their extension.
func (g *generator) person(lang string) (role, name, contact string) {
	roles, people := zhRoles, zhPeople
	if lang == "en" {
		roles, people = enRoles, enPeople
	}
	role = g.pickWeighted(roles)
	if g.r.Float64() < 0.4 {
		var cand []person
		for _, p := range people {
			if p.role == role {
				cand = append(cand, p)
			}
		}
		if len(cand) > 0 {
			p := cand[g.r.IntN(len(cand))]
			name = p.name
			if p.contact != "" && g.r.Float64() < 0.6 {
				contact = p.contact
			}
			return role, name, contact
		}
	}
	if g.r.Float64() < 0.08 {
		ext := 8100 + g.r.IntN(500)
		if lang == "zh" {
			contact = "分机 " + itoa(ext)
		} else {
			contact = "ext. " + itoa(ext)
		}
	}
	return role, name, contact
}

type person struct{ name, role, contact string }

var zhPeople = []person{
	{"王师傅", "operator", "分机 8213"},
	{"张师傅", "operator", ""},
	{"赵师傅", "operator", "分机 8230"},
	{"马师傅", "operator", ""},
	{"刘班长", "operator", "分机 8201"},
	{"孙班长", "operator", "分机 8207"},
	{"周建华", "operator", ""},
	{"韩晓东", "operator", "13847201562"},
	{"李工", "technician", "分机 8316"},
	{"陈工", "technician", ""},
	{"杨工", "technician", "分机 8322"},
	{"吴技术员", "technician", ""},
	{"黄工", "engineer", "分机 8405"},
	{"高工", "engineer", "分机 8411"},
	{"郭工程师", "engineer", ""},
	{"郑博士", "researcher", "分机 8502"},
	{"林研究员", "researcher", ""},
	{"质检小何", "other", "分机 8120"},
	{"叉车老许", "other", ""},
}

var enPeople = []person{
	{"Dr. Anna Keller", "researcher", "anna.keller@example.org"},
	{"Priya Nair", "researcher", "ext. 8531"},
	{"Kenji Sato", "researcher", ""},
	{"Lukas Becker", "researcher", "lukas.becker@example.org"},
	{"Tom Walsh", "engineer", "ext. 8417"},
	{"Maria Lopez", "engineer", ""},
	{"Leo Wang", "technician", "ext. 8328"},
	{"Kevin Liu", "operator", "ext. 8219"},
	{"Cindy Zhao", "operator", ""},
	{"Sam Patel", "other", ""},
}

// Closing remarks people add at the end of a problem report (not to ideas
// and other remarks).
var (
	zhTails = []string{"已告知班长。", "照片稍后补。", "请研发组帮忙看看。", "前几天也有类似情况。", "交班时已口头说明。"}
	enTails = []string{"Shift lead informed.", "Will add photos later.", "Similar thing happened last week.", "Happy to show someone on site."}
)

func other(lang string) string {
	if lang == "zh" {
		return "en"
	}
	return "zh"
}

func sep(lang string) string {
	if lang == "zh" {
		return ""
	}
	return " "
}
