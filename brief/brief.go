// Package brief turns a period of reports into a PDF brief for an R&D team:
// the headline numbers, charts, recurring themes, critical and new items,
// what became of the previous brief's items, researchers' field notes and
// the full table of the period's reports, in Chinese or English.
//
// A brief is made from the store alone (Maker.Make), the same whether the
// schedule, the API or the CLI asks for it, and every brief made is kept in
// store.Records (its parameters, numbers, the items it listed and its PDF)
// under an id, so that it can be served again, listed, and followed up by
// the next brief of the same team.
package brief

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/pdfdoc"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

// Bounds on a request.
const (
	// MaxPeriod is the longest period one brief covers.
	MaxPeriod = 366 * 24 * time.Hour
	// maxListed bounds the critical and new items listed in full (the
	// appendix still lists every report).
	maxListed = 40
	// maxFieldNotes bounds the researchers' reports shown in full.
	maxFieldNotes = 60
	// maxThemes is how many themes the brief shows.
	maxThemes = 10
	// onePageThemes and onePageCritical are what page one shows.
	onePageThemes   = 5
	onePageCritical = 6
)

// ErrInvalid marks a request that cannot be made (bad period, unknown team,
// line or category); the message says which part.
var ErrInvalid = errors.New("invalid brief request")

// Request is what a brief covers: a period and a team's filter.
type Request struct {
	// Team is the team whose reports (store.Report.Team) the brief covers;
	// "" means every team.
	Team string `json:"team,omitempty"`
	// From and To bound the reports' creation time: [From, To).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Lang is the language of the brief's labels; report text is shown as
	// written.
	Lang i18n.Lang `json:"lang"`
	// Lines and Categories keep only reports of these lines / categories
	// (none: all); MinSeverity only reports at least this severe.
	Lines       []string       `json:"lines,omitempty"`
	Categories  []string       `json:"categories,omitempty"`
	MinSeverity store.Severity `json:"min_severity,omitempty"`
}

// filter is the store filter of the request over [from, to).
func (r Request) filter(from, to time.Time) store.Filter {
	return store.Filter{From: from, To: to, Team: r.Team, Lines: r.Lines, Categories: r.Categories,
		MinSeverity: r.MinSeverity, Limit: store.MaxLimit}
}

// validate checks the request against the plant.
func (r Request) validate(p *plant.Plant) error {
	switch {
	case r.From.IsZero() || r.To.IsZero():
		return fmt.Errorf("%w: from and to are required", ErrInvalid)
	case !r.To.After(r.From):
		return fmt.Errorf("%w: to (%s) must be after from (%s)", ErrInvalid, r.To.Format(time.RFC3339), r.From.Format(time.RFC3339))
	case r.To.Sub(r.From) > MaxPeriod:
		return fmt.Errorf("%w: a period of at most %d days", ErrInvalid, int(MaxPeriod.Hours()/24))
	case r.MinSeverity != "" && !slices.Contains(store.Severities, r.MinSeverity):
		return fmt.Errorf("%w: unknown min_severity %q", ErrInvalid, r.MinSeverity)
	}
	if _, ok := p.Team(r.Team); r.Team != "" && !ok {
		return fmt.Errorf("%w: unknown team %q", ErrInvalid, r.Team)
	}
	for _, l := range r.Lines {
		if _, ok := p.Line(l); !ok {
			return fmt.Errorf("%w: unknown line %q", ErrInvalid, l)
		}
	}
	for _, c := range r.Categories {
		if _, ok := p.Category(c); !ok {
			return fmt.Errorf("%w: unknown category %q", ErrInvalid, c)
		}
	}
	return nil
}

// Reports reads reports (implemented by store.Reports).
type Reports interface {
	// FindReports returns one page of reports matching f, newest first.
	FindReports(ctx context.Context, f store.Filter) (store.Page, error)
	// Report returns one report by id, or store.ErrNotFound.
	Report(ctx context.Context, id string) (store.Report, error)
}

// Records keeps the briefs made (implemented by store.Records).
type Records interface {
	PutRecord(ctx context.Context, coll, key string, val []byte) error
	GetRecord(ctx context.Context, coll, key string) ([]byte, error)
	ListRecords(ctx context.Context, coll string, opts store.ListOptions) ([]store.Record, error)
}

// Thumbnails gives the thumbnail of a report's photo (implemented by the
// photo store): a re-encoded image, never the uploaded bytes. Errors:
// store.ErrNotFound when there is none.
type Thumbnails interface {
	Thumbnail(ctx context.Context, reportID, photoID string) (image.Image, error)
}

// Deps are what a Maker needs: Reports, Records and Plant are required.
type Deps struct {
	Reports Reports
	Records Records
	Plant   *plant.Plant
	// Thumbnails, when set, puts photo thumbnails next to the critical and
	// new items that have photos.
	Thumbnails Thumbnails
	// BaseURL is the dashboard's public base URL (FLOORFEED_BASE_URL); each
	// listed item links to {BaseURL}/reports/{id}. Empty: no links.
	BaseURL string
	// TimeZone is where days begin for the per-day chart and how times are
	// printed; nil means Asia/Shanghai (UTC+8 if the zone database is
	// missing).
	TimeZone *time.Location
	// Glossary maps the plant's terms across languages for theme grouping;
	// nil means the built-in rare-earth glossary extended by the plant
	// file's glossary entries.
	Glossary Glossary
	// Fonts draw the PDF; nil means pdfdoc.DefaultFonts (the embedded
	// ones). Load an override with pdfdoc.LoadFonts at start.
	Fonts *pdfdoc.FontSet
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives warnings (a thumbnail that would not load); nil discards.
	Log *slog.Logger
}

// Maker makes, keeps and finds briefs. It is safe for concurrent use: each
// brief is rendered into its own document.
type Maker struct {
	reports Reports
	records Records
	plant   *plant.Plant
	thumbs  Thumbnails
	baseURL string
	tz      *time.Location
	gloss   Glossary
	fonts   *pdfdoc.FontSet
	now     func() time.Time
	log     *slog.Logger
}

// New returns a Maker.
func New(d Deps) (*Maker, error) {
	if d.Reports == nil || d.Records == nil || d.Plant == nil {
		return nil, errors.New("brief.New: Reports, Records and Plant are required")
	}
	m := &Maker{reports: d.Reports, records: d.Records, plant: d.Plant, thumbs: d.Thumbnails,
		baseURL: strings.TrimRight(d.BaseURL, "/"), tz: d.TimeZone, gloss: d.Glossary, fonts: d.Fonts, now: d.Now, log: d.Log}
	if m.tz == nil {
		tz, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			tz = time.FixedZone("CST", 8*3600)
		}
		m.tz = tz
	}
	if m.gloss == nil {
		g, err := plantGlossary(d.Plant)
		if err != nil {
			return nil, err
		}
		m.gloss = g
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m, nil
}

// Brief is one brief made: its id, what it covers, its numbers and its PDF.
type Brief struct {
	ID        string    `json:"id"`
	Request   Request   `json:"request"`
	CreatedAt time.Time `json:"created_at"`
	// Data is everything the PDF shows.
	Data *Data `json:"-"`
	// Summary is enough for a short e-mail body.
	Summary Summary `json:"summary"`
	PDF     []byte  `json:"-"`
}

// Make computes the brief of req, renders its PDF and keeps it.
func (m *Maker) Make(ctx context.Context, req Request) (*Brief, error) {
	if err := req.validate(m.plant); err != nil {
		return nil, err
	}
	now := m.now()
	id := store.NewID(now)
	d, err := m.compute(ctx, req, now, id)
	if err != nil {
		return nil, err
	}
	pdf, err := m.render(ctx, d) // it waits for the themes when it needs them
	d.awaitThemes()
	if err != nil {
		return nil, fmt.Errorf("render brief %s: %w", id, err)
	}
	b := &Brief{ID: id, Request: req, CreatedAt: now, Data: d, Summary: d.summary(m.briefURL(id)), PDF: pdf}
	if err := m.keep(ctx, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Compute works out what the brief of req shows without rendering or
// keeping it (for tests and previews).
func (m *Maker) Compute(ctx context.Context, req Request) (*Data, error) {
	if err := req.validate(m.plant); err != nil {
		return nil, err
	}
	d, err := m.compute(ctx, req, m.now(), "")
	if err != nil {
		return nil, err
	}
	d.awaitThemes()
	return d, nil
}

// ReportURL is the dashboard's page of report id, or "" without a base URL.
func (m *Maker) ReportURL(id string) string {
	if m.baseURL == "" {
		return ""
	}
	return m.baseURL + "/reports/" + id
}

func (m *Maker) briefURL(id string) string {
	if m.baseURL == "" || id == "" {
		return ""
	}
	return m.baseURL + "/api/v1/briefs/" + id + ".pdf"
}
