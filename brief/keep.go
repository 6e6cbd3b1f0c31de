package brief

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// The collections of kept briefs.
const (
	// collBriefs: brief id (UUID v7, so keys list by time) → Kept as JSON.
	collBriefs = "brief.briefs"
	// collPDFs: brief id → the PDF's bytes (absent when larger than
	// store.MaxRecordSize: then it is made again from the parameters).
	collPDFs = "brief.pdfs"
	// collByTeam: "<team>/<to, unix ms, 15 digits>/<id>" → id, to find the
	// latest earlier brief of a team (the previous one) in one listing.
	collByTeam = "brief.byteam"
)

// keptSchema is the version of Kept's encoding.
const keptSchema = 1

// allTeams is the team key of briefs over every team ("" is no valid key
// part; plant ids start with a letter or digit, so this cannot clash).
const allTeams = "_all"

// Kept is what is kept of a brief: its parameters, numbers, the items it
// listed (for closing the loop) and whether its PDF is stored.
type Kept struct {
	Schema    int       `json:"schema"`
	ID        string    `json:"id"`
	Request   Request   `json:"request"`
	CreatedAt time.Time `json:"created_at"`
	Summary   Summary   `json:"summary"`
	// Items are the reports the brief listed for action (critical, new,
	// theme examples) as they were then.
	Items     []ItemRef `json:"items"`
	PDFSize   int       `json:"pdf_size"`
	PDFStored bool      `json:"pdf_stored"`
}

// ItemRef is a report as a brief listed it.
type ItemRef struct {
	ID       string         `json:"id"`
	Code     string         `json:"code"`
	Title    string         `json:"title"`
	Severity store.Severity `json:"severity"`
	Status   store.Status   `json:"status"`
}

// Summary is a brief's headline: enough for a short e-mail body.
type Summary struct {
	Numbers Numbers        `json:"numbers"`
	Themes  []ThemeSummary `json:"themes"`
	// URL is where the PDF can be fetched (authenticated), "" without a
	// base URL.
	URL string `json:"url,omitempty"`
}

// ThemeSummary is one top theme in a summary.
type ThemeSummary struct {
	Terms []string `json:"terms"`
	Count int      `json:"count"`
	Votes int      `json:"votes"`
	// Title is the representative report's title, as written.
	Title string   `json:"title"`
	Lines []string `json:"lines"`
}

func (d *Data) summary(url string) Summary {
	s := Summary{Numbers: d.Numbers, URL: url, Themes: []ThemeSummary{}}
	for i, t := range d.Themes {
		if i == onePageThemes {
			break
		}
		s.Themes = append(s.Themes, ThemeSummary{Terms: t.Terms, Count: t.Count, Votes: t.Votes, Title: t.Example.Title, Lines: t.Lines})
	}
	return s
}

// items are the references the next brief follows up: the listed critical
// and new items and the themes' examples, each once.
func (d *Data) items() []ItemRef {
	seen := map[string]bool{}
	out := []ItemRef{}
	add := func(r store.Report) {
		if r.ID == "" || seen[r.ID] {
			return
		}
		seen[r.ID] = true
		out = append(out, ItemRef{ID: r.ID, Code: r.Code, Title: r.Title, Severity: r.Severity, Status: r.Status})
	}
	for _, it := range d.Critical {
		add(it.Report)
	}
	for _, it := range d.New {
		add(it.Report)
	}
	for _, t := range d.Themes {
		add(t.Example)
	}
	return out
}

func teamKey(team string) string {
	if team == "" {
		return allTeams
	}
	return team
}

func byTeamKey(team string, to time.Time, id string) string {
	return fmt.Sprintf("%s/%015d/%s", teamKey(team), max(to.UnixMilli(), 0), id)
}

// keep stores b: the PDF first, then the brief, then its team index entry,
// so that whatever lists a brief can read all of it.
func (m *Maker) keep(ctx context.Context, b *Brief) error {
	k := Kept{Schema: keptSchema, ID: b.ID, Request: b.Request, CreatedAt: b.CreatedAt, Summary: b.Summary,
		Items: b.Data.items(), PDFSize: len(b.PDF)}
	if len(b.PDF) <= store.MaxRecordSize {
		if err := m.records.PutRecord(ctx, collPDFs, b.ID, b.PDF); err != nil {
			return fmt.Errorf("keep brief %s: pdf: %w", b.ID, err)
		}
		k.PDFStored = true
	}
	v, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("keep brief %s: %w", b.ID, err)
	}
	if err := m.records.PutRecord(ctx, collBriefs, b.ID, v); err != nil {
		return fmt.Errorf("keep brief %s: %w", b.ID, err)
	}
	if err := m.records.PutRecord(ctx, collByTeam, byTeamKey(b.Request.Team, b.Request.To, b.ID), []byte(b.ID)); err != nil {
		return fmt.Errorf("keep brief %s: team index: %w", b.ID, err)
	}
	return nil
}

// Get returns the kept brief id, or store.ErrNotFound.
func (m *Maker) Get(ctx context.Context, id string) (*Kept, error) {
	if !validID(id) {
		return nil, fmt.Errorf("brief %q: %w", id, store.ErrNotFound)
	}
	v, err := m.records.GetRecord(ctx, collBriefs, id)
	if err != nil {
		return nil, fmt.Errorf("brief %s: %w", id, err)
	}
	var k Kept
	if err := json.Unmarshal(v, &k); err != nil {
		return nil, fmt.Errorf("brief %s: decode: %w", id, err)
	}
	return &k, nil
}

// PDF returns the PDF of kept brief id: the stored one, or, for a brief
// too large to store, one made again from its parameters (the reports as
// they are now). store.ErrNotFound for an unknown id.
func (m *Maker) PDF(ctx context.Context, id string) ([]byte, error) {
	k, err := m.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if k.PDFStored {
		b, err := m.records.GetRecord(ctx, collPDFs, id)
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("brief %s: pdf: %w", id, err)
		}
	}
	d, err := m.compute(ctx, k.Request, k.CreatedAt, k.ID)
	if err != nil {
		return nil, err
	}
	pdf, err := m.render(ctx, d)
	d.awaitThemes() // render waits for them, unless it failed first
	return pdf, err
}

// List returns up to limit kept briefs, newest first, starting after the
// cursor (the last id of the previous page; "" for the first), and the
// cursor of the next page ("" on the last).
func (m *Maker) List(ctx context.Context, cursor string, limit int) ([]Kept, string, error) {
	opts := store.ListOptions{After: cursor, Limit: limit, Reverse: true}
	recs, err := m.records.ListRecords(ctx, collBriefs, opts)
	if err != nil {
		return nil, "", fmt.Errorf("list briefs: %w", err)
	}
	out := make([]Kept, 0, len(recs))
	for _, r := range recs {
		var k Kept
		if err := json.Unmarshal(r.Value, &k); err != nil {
			return nil, "", fmt.Errorf("list briefs: %s: %w", r.Key, err)
		}
		out = append(out, k)
	}
	next := ""
	if len(recs) == opts.PageSize() {
		next = recs[len(recs)-1].Key
	}
	return out, next, nil
}

// Previous returns the latest kept brief of team that ends at or before
// at, or store.ErrNotFound.
func (m *Maker) Previous(ctx context.Context, team string, at time.Time) (*Kept, error) {
	prefix := teamKey(team) + "/"
	after := fmt.Sprintf("%s%015d/~", prefix, max(at.UnixMilli(), 0))
	recs, err := m.records.ListRecords(ctx, collByTeam, store.ListOptions{Prefix: prefix, After: after, Reverse: true, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("previous brief of %s: %w", teamKey(team), err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("previous brief of %s: %w", teamKey(team), store.ErrNotFound)
	}
	return m.Get(ctx, string(recs[0].Value))
}

// closeLoop finds the previous brief of the team and the reports it listed
// as they are now.
func (m *Maker) closeLoop(ctx context.Context, req Request) (Loop, error) {
	prev, err := m.Previous(ctx, req.Team, req.From)
	if errors.Is(err, store.ErrNotFound) {
		return Loop{}, nil
	}
	if err != nil {
		return Loop{}, fmt.Errorf("brief: %w", err)
	}
	l := Loop{Previous: prev}
	for _, ref := range prev.Items {
		it := LoopItem{Ref: ref, URL: m.ReportURL(ref.ID)}
		r, err := m.reports.Report(ctx, ref.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			it.Missing = true
		case err != nil:
			return Loop{}, fmt.Errorf("brief: previous item %s: %w", ref.ID, err)
		default:
			it.Now = r
		}
		l.Items = append(l.Items, it)
	}
	return l, nil
}

// validID reports whether id looks like a brief id (a UUID), so that a
// path parameter never reaches the store as an odd key.
func validID(id string) bool {
	if len(id) != 36 {
		return false
	}
	return strings.Trim(id, "0123456789abcdef-") == ""
}
