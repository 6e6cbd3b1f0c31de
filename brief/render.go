package brief

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/pdfdoc"
	"github.com/floorfeed/floorfeed/store"
)

// Page geometry (A4 portrait, millimetres).
const (
	marginX      = 15.0
	marginTop    = 16.0
	marginBottom = 18.0 // the footer lives below it
	contentW     = pdfdoc.A4Width - 2*marginX
)

// Colours.
var (
	colInk     = pdfdoc.Color{R: 33, G: 37, B: 41}
	colMuted   = pdfdoc.Color{R: 108, G: 117, B: 125}
	colRule    = pdfdoc.Color{R: 206, G: 212, B: 218}
	colPanel   = pdfdoc.Color{R: 241, G: 243, B: 245}
	colStripe  = pdfdoc.Color{R: 247, G: 248, B: 249}
	colAccent  = pdfdoc.Color{R: 25, G: 91, B: 160}
	colLink    = pdfdoc.Color{R: 25, G: 91, B: 200}
	colBar     = pdfdoc.Color{R: 70, G: 130, B: 180}
	colCrit    = pdfdoc.Color{R: 200, G: 35, B: 45}
	sevColours = [4]pdfdoc.Color{
		{R: 134, G: 188, B: 134}, // low
		{R: 240, G: 190, B: 70},  // medium
		{R: 240, G: 130, B: 40},  // high
		{R: 200, G: 35, B: 45},   // critical
	}
)

// Text styles.
var (
	stTitle   = pdfdoc.Style{Size: 20, Bold: true, Color: colInk}
	stSub     = pdfdoc.Style{Size: 9.5, Color: colMuted}
	stH1      = pdfdoc.Style{Size: 14, Bold: true, Color: colAccent}
	stH2      = pdfdoc.Style{Size: 11, Bold: true, Color: colInk}
	stBody    = pdfdoc.Style{Size: 9.5, Color: colInk, LineHeight: 1.4}
	stItem    = pdfdoc.Style{Size: 10.5, Bold: true, Color: colInk}
	stMeta    = pdfdoc.Style{Size: 8, Color: colMuted}
	stSmall   = pdfdoc.Style{Size: 8, Color: colInk}
	stLink    = pdfdoc.Style{Size: 7.5, Color: colLink}
	stFigure  = pdfdoc.Style{Size: 20, Bold: true, Color: colInk, Align: pdfdoc.Center}
	stFigLbl  = pdfdoc.Style{Size: 7.5, Color: colInk, Align: pdfdoc.Center, LineHeight: 1.2}
	stFigSub  = pdfdoc.Style{Size: 7, Color: colMuted, Align: pdfdoc.Center, LineHeight: 1.2}
	stCell    = pdfdoc.Style{Size: 7.5, Color: colInk, LineHeight: 1.25}
	stHead    = pdfdoc.Style{Size: 7.5, Bold: true, Color: colInk, LineHeight: 1.25}
	stFooter  = pdfdoc.Style{Size: 7, Color: colMuted, LineHeight: 1.2}
	stChartLb = pdfdoc.Style{Size: 6.5, Color: colMuted}
)

// renderer draws one brief into one document (never shared between
// goroutines).
type renderer struct {
	m   *Maker
	ctx context.Context
	d   *Data
	doc *pdfdoc.Doc
	l   i18n.Lang

	appendixCols []column
	appendixRows []laidRow
}

// render draws d as a PDF.
func (m *Maker) render(ctx context.Context, d *Data) ([]byte, error) {
	fonts, err := m.fontSet()
	if err != nil {
		return nil, err
	}
	r := &renderer{m: m, ctx: ctx, d: d, l: d.Request.Lang}
	doc, err := pdfdoc.New(pdfdoc.Options{
		Margins: pdfdoc.Margins{Top: marginTop, Right: marginX, Bottom: marginBottom, Left: marginX},
		Fonts:   fonts, Title: r.label("title") + " " + r.period(), Author: "Floorfeed",
		Subject: r.teamName(), Created: d.CreatedAt, PageStart: r.pageHeader,
	})
	if err != nil {
		return nil, err
	}
	r.doc = doc
	// The appendix is laid out (measured and wrapped) while the themes are
	// still being grouped; page one needs them.
	r.appendixCols, r.appendixRows = r.appendixTable()
	d.awaitThemes()
	steps := []func(){r.pageOne, r.charts, r.themes, r.items, r.loop, r.fieldNotes, r.appendix}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		step()
		if err := doc.Err(); err != nil {
			return nil, err
		}
	}
	doc.EachPage(r.footer)
	var buf bytes.Buffer
	buf.Grow(1 << 20)
	if err := doc.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (m *Maker) fontSet() (*pdfdoc.FontSet, error) {
	if m.fonts != nil {
		return m.fonts, nil
	}
	return pdfdoc.DefaultFonts()
}

func (r *renderer) label(key string) string { return i18n.Brief(r.l, key) }

func (r *renderer) labelf(key string, args ...any) string {
	return fmt.Sprintf(i18n.Brief(r.l, key), args...)
}

func (r *renderer) teamName() string {
	if r.d.Request.Team == "" {
		return r.label("team.all")
	}
	if t, ok := r.m.plant.Team(r.d.Request.Team); ok {
		return t.Name.In(r.l.String())
	}
	return r.d.Request.Team
}

// period is the covered period: dates when it runs from midnight to
// midnight (the last day shown is the last one included), else times.
func (r *renderer) period() string {
	from, to := r.d.Request.From.In(r.d.TimeZone), r.d.Request.To.In(r.d.TimeZone)
	if from.Equal(startOfDay(from)) && to.Equal(startOfDay(to)) {
		return from.Format(time.DateOnly) + " – " + to.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	return from.Format("2006-01-02 15:04") + " – " + to.Format("2006-01-02 15:04")
}

func (r *renderer) filterText() string {
	req := r.d.Request
	var parts []string
	if len(req.Lines) > 0 {
		names := make([]string, len(req.Lines))
		for i, l := range req.Lines {
			names[i] = r.m.lineName(req)(l)
		}
		parts = append(parts, r.label("filter.lines")+": "+strings.Join(names, ", "))
	}
	if len(req.Categories) > 0 {
		names := make([]string, len(req.Categories))
		for i, c := range req.Categories {
			names[i] = r.categoryName(c)
		}
		parts = append(parts, r.label("filter.categories")+": "+strings.Join(names, ", "))
	}
	if req.MinSeverity != "" {
		parts = append(parts, r.label("filter.minseverity")+": "+i18n.Severity(r.l, req.MinSeverity))
	}
	if len(parts) == 0 {
		return r.label("filter.none")
	}
	return strings.Join(parts, "; ")
}

func (r *renderer) categoryName(id string) string {
	if c, ok := r.m.plant.Category(id); ok {
		return c.Name.In(r.l.String())
	}
	return id
}

func (r *renderer) when(t time.Time) string { return t.In(r.d.TimeZone).Format("01-02 15:04") }

// pageHeader runs at the top of every page: a running head from page 2 on.
func (r *renderer) pageHeader(doc *pdfdoc.Doc) {
	if doc.PageCount() == 1 {
		return
	}
	doc.Text(marginX, 8, r.label("title")+" · "+r.teamName()+" · "+r.period(), stFooter)
	doc.SetDrawColor(colRule)
	doc.SetLineWidth(0.2)
	doc.Line(marginX, 12, pdfdoc.A4Width-marginX, 12)
}

// footer runs on every page once all are drawn: when and how the brief was
// made, and the page number.
func (r *renderer) footer(page, pages int) {
	doc := r.doc
	y := pdfdoc.A4Height - marginBottom + 5
	doc.SetDrawColor(colRule)
	doc.SetLineWidth(0.2)
	doc.Line(marginX, y-1.5, pdfdoc.A4Width-marginX, y-1.5)
	left := r.label("generated") + " " + r.d.CreatedAt.In(r.d.TimeZone).Format("2006-01-02 15:04 MST") +
		" · " + r.label("period") + " " + r.period() + " · " + r.label("team") + " " + r.teamName() +
		" · " + r.label("filter") + " " + r.filterText()
	if r.d.ID != "" {
		left += " · " + r.d.ID
	}
	doc.Block(marginX, y, left, stFooter, contentW-30)
	right := stFooter
	right.Align = pdfdoc.Right
	doc.Text(pdfdoc.A4Width-marginX, y, r.labelf("page", page, pages), right)
}

// heading starts a section, on a new page when little room is left.
func (r *renderer) heading(key string) {
	doc := r.doc
	doc.EnsureSpace(40)
	if _, y := doc.Cursor(); y > marginTop+1 {
		doc.Space(4)
	}
	doc.SetCursor(marginX, cursorY(doc))
	doc.Paragraph(r.label(key), stH1, contentW)
	y := cursorY(doc)
	doc.SetDrawColor(colAccent)
	doc.SetLineWidth(0.5)
	doc.Line(marginX, y+0.5, pdfdoc.A4Width-marginX, y+0.5)
	doc.SetCursor(marginX, y+3)
}

func cursorY(doc *pdfdoc.Doc) float64 { _, y := doc.Cursor(); return y }

// para draws text at the left margin over the content width.
func (r *renderer) para(s string, st pdfdoc.Style) {
	r.doc.SetCursor(marginX, cursorY(r.doc))
	r.doc.Paragraph(s, st, contentW)
}

// pageOne: the title, the headline numbers as big figures, the top themes
// and the critical reports.
func (r *renderer) pageOne() {
	doc, d := r.doc, r.d
	doc.Paragraph(r.label("title")+" · "+r.teamName(), stTitle, contentW)
	doc.Space(1)
	r.para(r.label("period")+" "+r.period()+"  ·  "+r.label("filter")+": "+r.filterText(), stSub)
	doc.Space(4)
	r.figures()
	doc.Space(6)

	doc.Paragraph(r.label("onepage.themes"), stH2, contentW)
	doc.Space(1)
	if len(d.Themes) == 0 {
		r.para(r.label("themes.none"), stBody)
	}
	for i, t := range d.Themes {
		if i == onePageThemes {
			break
		}
		terms := t.Terms[:min(len(t.Terms), 3)]
		r.para(fmt.Sprintf("%d. %s", i+1, strings.Join(terms, " · ")), pdfdoc.Style{Size: 10, Bold: true, Color: colInk})
		doc.SetCursor(marginX+5, cursorY(doc))
		doc.Paragraph(r.labelf("themes.count", t.Count)+" · "+r.labelf("item.votes", t.Votes)+" · "+r.lineList(t.Lines), stMeta, contentW-5)
		doc.SetCursor(marginX+5, cursorY(doc))
		doc.Paragraph("“"+t.Example.Title+"”", stBody, contentW-5)
		doc.Space(1.5)
	}
	doc.Space(5)
	doc.SetCursor(marginX, cursorY(doc))
	doc.Paragraph(r.label("onepage.critical"), stH2, contentW)
	doc.Space(1)
	if len(d.Critical) == 0 {
		r.para(r.label("onepage.nocritical"), stBody)
	}
	for i, it := range d.Critical {
		if i == onePageCritical {
			r.para(r.labelf("onepage.more", d.Numbers.Critical-onePageCritical), stMeta)
			break
		}
		rep := it.Report
		r.para(rep.Code+" · "+r.when(rep.CreatedAt)+" · "+r.m.lineName(d.Request)(rep.Line)+" · "+i18n.Status(r.l, rep.Status),
			pdfdoc.Style{Size: 8, Bold: true, Color: colCrit})
		doc.SetCursor(marginX+5, cursorY(doc))
		doc.Paragraph(rep.Title, stBody, contentW-5)
		doc.Space(1.5)
	}
}

// figure is one big number on page one.
type figure struct{ value, label, sub string }

func (r *renderer) figures() {
	doc, n := r.doc, r.d.Numbers
	change := "—"
	if n.ChangePct != nil {
		change = fmt.Sprintf("%+.0f%%", *n.ChangePct)
	}
	resp, respSub := "—", r.label("num.response.none")
	if n.Responded > 0 {
		resp, respSub = r.duration(n.MedianResponse), r.labelf("num.responded", n.Responded)
	}
	figs := []figure{
		{strconv.Itoa(n.Reports), r.label("num.reports"), r.labelf("num.previous", n.Previous)},
		{strconv.Itoa(n.Critical), r.label("num.critical"), r.labelf("num.previous", n.PreviousCritical)},
		{change, r.label("num.change"), r.labelf("num.previous", n.Previous)},
		{strconv.Itoa(n.Open) + " / " + strconv.Itoa(n.Resolved), r.label("num.open") + " / " + r.label("num.resolved"), ""},
		{resp, r.label("num.response"), respSub},
		{strconv.Itoa(n.Votes), r.label("num.votes"), ""},
	}
	const gap = 2.0
	w := (contentW - gap*float64(len(figs)-1)) / float64(len(figs))
	const h = 30.0
	y := cursorY(doc)
	for i, f := range figs {
		x := marginX + float64(i)*(w+gap)
		doc.FillRect(x, y, w, h, colPanel)
		if i == 1 && n.Critical > 0 {
			doc.FillRect(x, y, w, 1.2, colCrit)
		}
		st := stFigure
		if doc.Width(f.value, st) > w-2 {
			st.Size = 14
		}
		doc.Text(x+w/2, y+3, f.value, st)
		doc.Block(x+1, y+14, f.label, stFigLbl, w-2)
		if f.sub != "" {
			doc.Block(x+1, y+23.5, f.sub, stFigSub, w-2)
		}
	}
	doc.SetCursor(marginX, y+h)
}

// duration is a time to first response in hours, or days past two days.
func (r *renderer) duration(d time.Duration) string {
	if h := d.Hours(); h < 48 {
		return r.labelf("num.hours", strconv.FormatFloat(math.Round(h*10)/10, 'f', -1, 64))
	}
	return r.labelf("num.days", strconv.FormatFloat(math.Round(d.Hours()/24*10)/10, 'f', -1, 64))
}

func (r *renderer) lineList(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = r.m.lineName(r.d.Request)(id)
	}
	return strings.Join(names, ", ")
}

// charts: reports per day stacked by severity, then by category and by
// line side by side.
func (r *renderer) charts() {
	r.doc.AddPage()
	r.heading("section.charts")
	r.perDayChart()
	r.doc.Space(8)
	doc := r.doc
	half := (contentW - 8) / 2
	rows := max(min(len(r.d.ByCategory), 15), min(len(r.d.ByLine), 15))
	doc.EnsureSpace(float64(rows)*6 + 14)
	y := cursorY(doc)
	h1 := r.barChart(marginX, y, half, r.label("chart.category"), r.d.ByCategory)
	h2 := r.barChart(marginX+half+8, y, half, r.label("chart.line"), r.d.ByLine)
	doc.SetCursor(marginX, y+max(h1, h2))
}

// niceMax rounds n up to 1, 2 or 5 times a power of ten (at least 1).
func niceMax(n int) int {
	if n <= 1 {
		return 1
	}
	p := 1
	for p*10 < n {
		p *= 10
	}
	for _, k := range []int{1, 2, 5, 10} {
		if k*p >= n {
			return k * p
		}
	}
	return 10 * p
}

func (r *renderer) perDayChart() {
	doc, days := r.doc, r.d.Days
	doc.Paragraph(r.label("chart.perday"), stH2, contentW)
	doc.Space(2)
	const h = 55.0
	doc.EnsureSpace(h + 16)
	y0 := cursorY(doc)
	x0, w := marginX+10, contentW-10
	peak := 0
	for _, dc := range days {
		peak = max(peak, dc.Total())
	}
	top := niceMax(peak)
	doc.SetLineWidth(0.15)
	for i := 0; i <= 4; i++ {
		y := y0 + h - h*float64(i)/4
		doc.SetDrawColor(colRule)
		doc.Line(x0, y, x0+w, y)
		v := float64(top) * float64(i) / 4
		lbl := strconv.FormatFloat(v, 'f', -1, 64)
		if v != math.Trunc(v) {
			lbl = strconv.FormatFloat(v, 'f', 1, 64)
		}
		right := stChartLb
		right.Align = pdfdoc.Right
		doc.Text(x0-1.5, y-1.3, lbl, right)
	}
	n := max(len(days), 1)
	slot := w / float64(n)
	barW := slot * 0.7
	every := max(1, int(math.Ceil(float64(n)/14)))
	for i, dc := range days {
		x := x0 + float64(i)*slot + (slot-barW)/2
		y := y0 + h
		for s := range 4 {
			if c := dc.BySeverity[s]; c > 0 {
				bh := h * float64(c) / float64(top)
				y -= bh
				doc.FillRect(x, y, barW, bh, sevColours[s])
			}
		}
		if t := dc.Total(); t > 0 && barW >= 4 {
			c := stChartLb
			c.Align = pdfdoc.Center
			doc.Text(x+barW/2, y-3, strconv.Itoa(t), c)
		}
		if i%every == 0 {
			c := stChartLb
			c.Align = pdfdoc.Center
			doc.Text(x+barW/2, y0+h+1, dc.Day.Format("01-02"), c)
		}
	}
	// Legend.
	ly := y0 + h + 6
	lx := x0
	doc.Text(lx, ly, r.label("chart.legend")+":", stChartLb)
	lx += doc.Width(r.label("chart.legend")+":", stChartLb) + 3
	for s, sev := range store.Severities {
		doc.FillRect(lx, ly+0.6, 3, 2.4, sevColours[s])
		lx += 4
		lx += doc.Text(lx, ly, i18n.Severity(r.l, sev), stChartLb) + 4
	}
	doc.SetCursor(marginX, ly+5)
}

// barChart draws horizontal bars of counts at (x, y) in width w and
// returns its height. More than 15 bars: the smallest are summed in the
// last row.
func (r *renderer) barChart(x, y, w float64, title string, counts []Count) float64 {
	doc := r.doc
	doc.Text(x, y, title, stH2)
	y += 7
	const rowH = 6.0
	rows := counts
	if len(rows) > 15 {
		rest := Count{Label: "…"}
		for _, c := range counts[14:] {
			rest.N += c.N
		}
		rows = append(append([]Count(nil), counts[:14]...), rest)
	}
	peak := 1
	for _, c := range rows {
		peak = max(peak, c.N)
	}
	labelW := w * 0.42
	barMax := w - labelW - 10
	for i, c := range rows {
		ry := y + float64(i)*rowH
		lines := doc.Lines(c.Label, stSmall, labelW-1)
		lbl := c.Label
		if len(lines) > 1 {
			lbl = lines[0] + "…"
		}
		doc.Text(x, ry+0.6, lbl, stSmall)
		bw := barMax * float64(c.N) / float64(peak)
		doc.FillRect(x+labelW, ry+0.8, max(bw, 0.3), rowH-2, colBar)
		doc.Text(x+labelW+bw+1.5, ry+0.6, strconv.Itoa(c.N), stSmall)
	}
	if len(rows) == 0 {
		doc.Text(x, y, "—", stSmall)
		return 7 + rowH
	}
	return 7 + float64(len(rows))*rowH
}

// themes: every recurring theme with its terms, counts, lines and a
// representative report.
func (r *renderer) themes() {
	r.heading("section.themes")
	doc := r.doc
	if len(r.d.Themes) == 0 {
		r.para(r.label("themes.none"), stBody)
		return
	}
	for i, t := range r.d.Themes {
		doc.EnsureSpace(30)
		r.para(fmt.Sprintf("%d. %s", i+1, strings.Join(t.Terms, " · ")), stH2)
		r.para(r.labelf("themes.count", t.Count)+" · "+r.labelf("item.votes", t.Votes)+" · "+
			r.label("themes.lines")+": "+r.lineList(t.Lines), stMeta)
		doc.Space(1)
		r.para(r.label("themes.example")+":", stMeta)
		r.report(Item{Report: t.Example, URL: r.m.ReportURL(t.Example.ID)}, false)
		doc.Space(3)
	}
}

// report draws one report in full: title, what and where, body, link and
// (with thumbs) its photos.
func (r *renderer) report(it Item, thumbs bool) {
	doc, rep := r.doc, it.Report
	doc.EnsureSpace(18)
	r.para(rep.Title, stItem)
	who := rep.Reporter
	if who == "" {
		who = r.label("anonymous")
	}
	meta := []string{rep.Code, r.when(rep.CreatedAt), r.m.lineName(r.d.Request)(rep.Line)}
	if rep.Station != "" {
		meta = append(meta, rep.Station)
	}
	meta = append(meta, r.categoryName(rep.Category), i18n.Severity(r.l, rep.Severity), i18n.Status(r.l, rep.Status),
		who+" ("+i18n.Role(r.l, rep.Role)+")")
	if rep.Votes > 0 {
		meta = append(meta, r.labelf("item.votes", rep.Votes))
	}
	st := stMeta
	if rep.Severity == store.SeverityCritical {
		st.Color = colCrit
	}
	r.para(strings.Join(meta, " · "), st)
	if rep.Body != "" {
		doc.Space(0.8)
		r.para(rep.Body, stBody)
	}
	if it.URL != "" {
		doc.EnsureSpace(doc.LineHeight(stLink))
		y := cursorY(doc)
		w := doc.Text(marginX, y, it.URL, stLink)
		doc.Link(marginX, y, w, doc.LineHeight(stLink), it.URL)
		doc.SetCursor(marginX, y+doc.LineHeight(stLink))
	}
	if thumbs {
		r.thumbnails(rep)
	}
}

// thumbnails draws up to four photo thumbnails of rep in a row.
func (r *renderer) thumbnails(rep store.Report) {
	if r.m.thumbs == nil || len(rep.Photos) == 0 {
		return
	}
	const h, maxW = 28.0, 42.0
	doc := r.doc
	doc.Space(1)
	doc.EnsureSpace(h + 2)
	x, y := marginX, cursorY(doc)
	drawn := false
	shown := 0
	for _, p := range rep.Photos {
		if shown == 4 {
			break
		}
		if !p.Ready() {
			continue // not re-encoded yet (or never): nothing to show
		}
		img, err := r.m.thumbs.Thumbnail(r.ctx, rep.ID, p.ID)
		if err != nil {
			r.m.log.Warn("brief: photo thumbnail unavailable", "report", rep.ID, "photo", p.ID, "err", err)
			continue
		}
		b := img.Bounds()
		if b.Empty() {
			continue
		}
		w := min(h*float64(b.Dx())/float64(b.Dy()), maxW)
		if err := doc.Image(img, x, y, w, min(h, w*float64(b.Dy())/float64(b.Dx()))); err != nil {
			r.m.log.Warn("brief: photo thumbnail not drawn", "report", rep.ID, "photo", p.ID, "err", err)
			continue
		}
		x += w + 3
		drawn = true
		shown++
	}
	if drawn {
		doc.SetCursor(marginX, y+h+1)
	}
}

// items: the critical reports, then high ones not yet triaged.
func (r *renderer) items() {
	r.heading("section.critical")
	doc, d := r.doc, r.d
	if len(d.Critical) == 0 && len(d.New) == 0 {
		r.para(r.label("critical.none"), stBody)
		return
	}
	for _, part := range []struct {
		key   string
		items []Item
		total int
	}{{"critical.crit", d.Critical, d.Numbers.Critical}, {"critical.new", d.New, d.NewTotal}} {
		if len(part.items) == 0 {
			continue
		}
		doc.EnsureSpace(25)
		r.para(r.label(part.key)+" ("+strconv.Itoa(part.total)+")", stH2)
		doc.Space(1.5)
		for _, it := range part.items {
			r.report(it, true)
			doc.Space(3)
		}
		if part.total > len(part.items) {
			r.para(r.labelf("more.appendix", part.total-len(part.items)), stMeta)
		}
		doc.Space(2)
	}
}

// loop: the previous brief's items, their status then and now.
func (r *renderer) loop() {
	r.heading("section.loop")
	lp := r.d.Loop
	if lp.Previous == nil {
		r.para(r.label("loop.none"), stBody)
		return
	}
	prev := lp.Previous
	pr := &renderer{m: r.m, d: &Data{Request: prev.Request, TimeZone: r.d.TimeZone}, l: r.l}
	r.para(r.labelf("loop.previous", pr.period(), prev.CreatedAt.In(r.d.TimeZone).Format("2006-01-02")), stMeta)
	r.doc.Space(2)
	if len(lp.Items) == 0 {
		r.para(r.label("loop.empty"), stBody)
		return
	}
	cols := []column{
		{title: r.label("col.code"), fit: true}, {title: r.label("col.title"), w: 72},
		{title: r.label("loop.then"), fit: true}, {title: r.label("loop.now"), fit: true}, {title: r.label("loop.reply")},
	}
	rows := make([][]cell, 0, len(lp.Items))
	for _, it := range lp.Items {
		now, reply := "—", ""
		nowCol := colInk
		if !it.Missing {
			now, reply = i18n.Status(r.l, it.Now.Status), it.Now.Reply
			if it.Now.Status == store.StatusResolved || it.Now.Status == store.StatusClosed {
				nowCol = pdfdoc.Color{R: 40, G: 140, B: 60}
			}
		}
		title := cell{text: it.Ref.Title}
		if it.Ref.Severity == store.SeverityCritical {
			title.color = colCrit
		}
		rows = append(rows, []cell{{text: it.Ref.Code}, title, {text: i18n.Status(r.l, it.Ref.Status)},
			{text: now, color: nowCol, bold: nowCol != colInk}, {text: reply}})
	}
	r.fitColumns(cols, rows)
	r.table(cols, rows)
}

// fieldNotes: what researchers reported, in full.
func (r *renderer) fieldNotes() {
	r.heading("section.field")
	if len(r.d.FieldNotes) == 0 {
		r.para(r.label("field.none"), stBody)
		return
	}
	if n := r.d.FieldNotesTotal; n > len(r.d.FieldNotes) {
		r.para(r.labelf("field.newest", len(r.d.FieldNotes), n), stMeta)
		r.doc.Space(2)
	}
	for _, it := range r.d.FieldNotes {
		r.report(it, true)
		r.doc.Space(3)
	}
}

// appendix: every report of the period, one row each, the header row
// repeated on every page.
func (r *renderer) appendix() {
	r.doc.AddPage()
	r.heading("section.appendix")
	if len(r.d.Reports) == 0 {
		r.para(r.label("appendix.none"), stBody)
		return
	}
	r.drawTable(r.appendixCols, r.appendixRows)
}

// appendixTable makes the appendix's columns and laid-out rows. It only
// reads the reports, so it may run while the themes are grouped.
func (r *renderer) appendixTable() ([]column, []laidRow) {
	lineName := r.m.lineName(r.d.Request)
	cats := map[string]string{}
	rows := make([][]cell, 0, len(r.d.Reports))
	for i := range r.d.Reports {
		rep := &r.d.Reports[i]
		cat, ok := cats[rep.Category]
		if !ok {
			cat = r.categoryName(rep.Category)
			cats[rep.Category] = cat
		}
		sev := cell{text: i18n.Severity(r.l, rep.Severity)}
		if rep.Severity == store.SeverityCritical {
			sev.color, sev.bold = colCrit, true
		}
		votes := ""
		if rep.Votes > 0 {
			votes = strconv.Itoa(rep.Votes)
		}
		rows = append(rows, []cell{{text: rep.Code}, {text: r.when(rep.CreatedAt)}, {text: lineName(rep.Line)},
			{text: cat}, sev, {text: i18n.Status(r.l, rep.Status)}, {text: votes}, {text: rep.Title}})
	}
	// Short columns are as wide as their widest value (or header word);
	// line and category get a fixed share; the title the rest.
	cols := []column{
		{title: r.label("col.code"), fit: true}, {title: r.label("col.date"), fit: true},
		{title: r.label("col.line"), w: 26}, {title: r.label("col.category"), w: 20},
		{title: r.label("col.severity"), fit: true}, {title: r.label("col.status"), fit: true},
		{title: r.label("col.votes"), fit: true}, {title: r.label("col.title")},
	}
	r.fitColumns(cols, rows)
	return cols, r.layRows(cols, rows)
}

type column struct {
	title string
	w     float64
	// fit: the width is that of the widest value or header.
	fit bool
}

// fitColumns sizes the fit columns to their content and gives the last
// column (w 0) what is left of the content width.
func (r *renderer) fitColumns(cols []column, rows [][]cell) {
	const pad = 2.2
	doc := r.doc
	seen := make([]map[string]bool, len(cols))
	for j, c := range cols {
		if c.fit {
			seen[j] = map[string]bool{}
			cols[j].w = doc.Width(c.title, stHead) + pad
		}
	}
	for _, row := range rows {
		for j, c := range row {
			if !cols[j].fit || seen[j][c.text] {
				continue
			}
			seen[j][c.text] = true
			st := stCell
			st.Bold = c.bold
			cols[j].w = max(cols[j].w, doc.Width(c.text, st)+pad)
		}
	}
	used := 0.0
	for _, c := range cols[:len(cols)-1] {
		used += c.w
	}
	cols[len(cols)-1].w = max(contentW-used, 30)
}

type cell struct {
	text  string
	color pdfdoc.Color
	bold  bool
}

// cellPad is the padding inside a table cell.
const cellPad = 1.0

// laidRow is a table row wrapped to its columns: each cell's lines.
type laidRow struct {
	cells []cell
	lines [][]string
	n     int // lines of the tallest cell
}

// table lays out and draws rows (see drawTable).
func (r *renderer) table(cols []column, rows [][]cell) {
	r.drawTable(cols, r.layRows(cols, rows))
}

// layRows wraps every cell of rows to its column.
func (r *renderer) layRows(cols []column, rows [][]cell) []laidRow {
	doc := r.doc
	const pad = cellPad
	// Fitted columns never wrap; others repeat their values (line and
	// category names) often enough that their layout is worth keeping.
	laid := make([]map[string][]string, len(cols))
	for j := range cols {
		laid[j] = map[string][]string{}
	}
	out := make([]laidRow, len(rows))
	for i, row := range rows {
		lr := laidRow{cells: row, lines: make([][]string, len(row)), n: 1}
		for j, c := range row {
			if cols[j].fit && doc.Width(c.text, stCell) <= cols[j].w-2*pad {
				lr.lines[j] = []string{c.text}
				continue
			}
			if ll, ok := laid[j][c.text]; ok && !c.bold {
				lr.lines[j] = ll
				lr.n = max(lr.n, len(ll))
				continue
			}
			st := stCell
			st.Bold = c.bold
			lr.lines[j] = doc.Lines(c.text, st, cols[j].w-2*pad)
			lr.n = max(lr.n, len(lr.lines[j]))
			if !c.bold && len(laid[j]) < 256 && j != len(cols)-1 {
				laid[j][c.text] = lr.lines[j]
			}
		}
		out[i] = lr
	}
	return out
}

// drawTable draws rows under a header row that is repeated at the top of
// every page the table continues on; rows are never split.
func (r *renderer) drawTable(cols []column, rows []laidRow) {
	doc := r.doc
	const pad = cellPad
	lh := doc.LineHeight(stCell)
	header := func() {
		y := cursorY(doc)
		hh := 0.0
		for _, c := range cols {
			hh = max(hh, doc.Height(c.title, stHead, c.w-2*pad))
		}
		hh += 2 * pad
		doc.FillRect(marginX, y, contentW, hh, colPanel)
		x := marginX
		for _, c := range cols {
			doc.Block(x+pad, y+pad, c.title, stHead, c.w-2*pad)
			x += c.w
		}
		doc.SetDrawColor(colRule)
		doc.SetLineWidth(0.3)
		doc.Line(marginX, y+hh, marginX+contentW, y+hh)
		doc.SetCursor(marginX, y+hh)
	}
	doc.EnsureSpace(4 * lh)
	header()
	for i, lr := range rows {
		h := float64(lr.n)*lh + 2*pad*0.6
		if doc.EnsureSpace(h) {
			header()
		}
		y := cursorY(doc)
		if i%2 == 1 {
			doc.FillRect(marginX, y, contentW, h, colStripe)
		}
		x := marginX
		for j, c := range lr.cells {
			st := stCell
			st.Bold = c.bold
			if c.color != (pdfdoc.Color{}) {
				st.Color = c.color
			}
			for k, ln := range lr.lines[j] {
				if ln != "" {
					doc.Text(x+pad, y+pad*0.6+float64(k)*lh, ln, st)
				}
			}
			x += cols[j].w
		}
		doc.SetCursor(marginX, y+h)
	}
}
