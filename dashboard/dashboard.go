// Package dashboard is the R&D dashboard: the inbox with its filters and
// counts, one report with its triage actions and merge, the overview with
// its charts, briefs, the plant settings, the operations page (queues and
// dead letters), and the reports export (CSV, NDJSON, JSON). Pages are
// rendered on the server from embedded templates, in Chinese and English,
// with one small script for keyboard triage; every page works without it.
//
// The package does not authenticate: it is mounted behind the session
// middleware, which puts the signed-in auth.Principal and the session's
// CSRF token on the request context. It enforces roles itself (viewers
// read, R&D triages, admins edit the plant) and checks the CSRF token of
// every form it receives against the one on the context.
package dashboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/static"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

// Router is where the dashboard registers its routes (the handlers
// package's route groups have these methods; so has a bare *echo.Echo
// through EchoRouter).
type Router interface {
	GET(path string, h echo.HandlerFunc)
	POST(path string, h echo.HandlerFunc)
}

// Reports reads reports (implemented by store.Reports).
type Reports interface {
	// Report returns one report, or store.ErrNotFound.
	Report(ctx context.Context, id string) (store.Report, error)
	// FindReports returns one page of reports matching f, newest first.
	FindReports(ctx context.Context, f store.Filter) (store.Page, error)
}

// Triager changes reports (implemented by *triage.Service).
type Triager interface {
	// Apply makes a triage change; see triage.Service.Apply for its errors.
	Apply(ctx context.Context, id, by string, ch triage.Change) (store.Report, error)
	// Merge marks dupID a duplicate of intoID; see triage.Service.Merge.
	Merge(ctx context.Context, dupID, intoID, by string) (dup, into store.Report, err error)
}

// PlantEditor saves the plant (implemented by *plant.Settings).
type PlantEditor interface {
	// Save stores p as the version after base; plant.ErrVersionConflict
	// when the stored version is not base, a validation error for a bad plant.
	Save(ctx context.Context, p *plant.Plant, base int64, by string) (int64, error)
	// Info says who saved the plant last and when.
	Info(ctx context.Context) (version int64, at time.Time, by string, err error)
}

// Queue is what the operations page needs (implemented by store.Queue).
type Queue interface {
	QueueStats(ctx context.Context, queue string) (store.QueueStats, error)
	DeadLetters(ctx context.Context, limit int) ([]store.Job, error)
	// RetryDead makes a dead job ready again; store.ErrNotFound if none.
	RetryDead(ctx context.Context, id string) error
}

// Searcher is the text index over reports (package search, adapted): ids
// of the reports matching q, newest first, after the id after ("" from the
// newest), at most limit.
type Searcher interface {
	Search(ctx context.Context, q, after string, limit int) ([]string, error)
}

// Similar is one similar report and how similar it is (0..1).
type Similar struct {
	ID    string
	Score float64
}

// Similarity finds reports like r (package themes, adapted); at most n,
// most similar first, r itself excluded.
type Similarity interface {
	SimilarTo(ctx context.Context, r store.Report, n int) ([]Similar, error)
}

// Brief is one brief made or sent, as the briefs page lists it.
type Brief struct {
	ID        string
	Team      string
	From, To  time.Time
	Lang      string
	CreatedAt time.Time
	// By is who asked for it ("schedule", a user's name).
	By string
	// URL downloads the PDF.
	URL string
	// Deliveries are the e-mails sent with it.
	Deliveries []Delivery
}

// Delivery is one e-mail of a brief.
type Delivery struct {
	To    string
	At    time.Time
	OK    bool
	Error string
}

// Briefs makes and lists briefs (package brief, adapted).
type Briefs interface {
	// List returns the newest briefs first, at most limit.
	List(ctx context.Context, limit int) ([]Brief, error)
	// Make makes a brief now for team ("" for the whole plant) over
	// [from, to) in lang ("zh", "en") and returns its id.
	Make(ctx context.Context, team string, from, to time.Time, lang string) (id string, err error)
}

// Deliveries lists the e-mails of a brief (package mail, adapted); when
// set, it fills Brief.Deliveries of briefs that have none.
type Deliveries interface {
	Deliveries(ctx context.Context, briefID string) ([]Delivery, error)
}

// Auditor records who changed what (the audit log of package auth).
type Auditor interface {
	Audit(ctx context.Context, actor, action, target, detail string) error
}

// Deps are what the dashboard needs. Reports, Triage, Plant and Queue are
// required; the rest are optional and the pages say what is missing.
type Deps struct {
	Reports Reports
	Triage  Triager
	Plant   plant.Source
	// PlantEditor saves plant edits; nil makes the plant page read-only.
	PlantEditor PlantEditor
	Queue       Queue
	Search      Searcher
	Similarity  Similarity
	Briefs      Briefs
	Deliveries  Deliveries
	Audit       Auditor
	// Assets resolves the stylesheet and script URLs; nil means static.New().
	Assets *static.Assets
	// TimeZone shows times and reads dates (from=2026-11-02); nil means UTC.
	TimeZone *time.Location
	// FacetBudget is how many of the newest matching reports the inbox
	// reads to count per filter value; 0 means DefaultFacetBudget.
	FacetBudget int
	Log         *slog.Logger
	Now         func() time.Time
}

// DefaultFacetBudget bounds the reports the inbox counts per request.
const DefaultFacetBudget = 1000

// Dashboard serves the dashboard pages and the export.
type Dashboard struct {
	d     Deps
	pages *pages
	cache countsCache
}

// New returns a Dashboard.
func New(d Deps) (*Dashboard, error) {
	if d.Reports == nil || d.Triage == nil || d.Plant == nil || d.Queue == nil {
		return nil, errors.New("dashboard.New: Reports, Triage, Plant and Queue are required")
	}
	if d.Assets == nil {
		a, err := static.New()
		if err != nil {
			return nil, fmt.Errorf("dashboard.New: %w", err)
		}
		d.Assets = a
	}
	if d.TimeZone == nil {
		d.TimeZone = time.UTC
	}
	if d.FacetBudget <= 0 {
		d.FacetBudget = DefaultFacetBudget
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	p, err := newPages(d.Assets, d.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("dashboard.New: %w", err)
	}
	return &Dashboard{d: d, pages: p}, nil
}

// Route paths.
const (
	PathInbox    = "/inbox"
	PathOverview = "/overview"
	PathBriefs   = "/briefs"
	PathPlant    = "/plant"
	PathOps      = "/ops"
	PathExport   = "/api/v1/reports"
)

// Register adds the pages (HTML) to r:
//
//	GET  /inbox                      filters, counts, newest first, cursor paging
//	GET  /inbox/counts               the counts box of an inbox page (HTML fragment)
//	POST /inbox/status               quick status change of one report (from a row)
//	GET  /reports/{id}               one report; POST …/triage, POST …/merge
//	GET  /overview                   the period at a glance
//	GET  /briefs; POST /briefs       list and make briefs
//	GET  /plant; POST /plant         the plant settings (admins edit)
//	GET  /plant.yaml                 the stored plant as a plant file
//	GET  /ops; POST /ops/dead/{id}/retry
func (d *Dashboard) Register(r Router) {
	r.GET(PathInbox, d.page(d.handleInbox))
	r.GET(PathInbox+"/counts", d.page(d.handleCounts))
	r.POST(PathInbox+"/status", d.page(d.handleQuickStatus))
	r.GET("/reports/:id", d.page(d.handleReport))
	r.POST("/reports/:id/triage", d.page(d.handleTriage))
	r.POST("/reports/:id/merge", d.page(d.handleMerge))
	r.GET(PathOverview, d.page(d.handleOverview))
	r.GET(PathBriefs, d.page(d.handleBriefs))
	r.POST(PathBriefs, d.page(d.handleBriefMake))
	r.GET(PathPlant, d.page(d.handlePlant))
	r.POST(PathPlant, d.page(d.handlePlantSave))
	r.GET("/plant.yaml", d.page(d.handlePlantYAML))
	r.GET(PathOps, d.page(d.handleOps))
	r.POST(PathOps+"/dead/:id/retry", d.page(d.handleRetry))
}

// RegisterAPI adds the export to r, the authenticated API area:
//
//	GET /api/v1/reports.csv      UTF-8 with BOM, formula cells neutralised
//	GET /api/v1/reports.ndjson   one report (JSON) per line
//	GET /api/v1/reports.json     one JSON array
//
// all with the inbox's filters, streamed page by page.
func (d *Dashboard) RegisterAPI(r Router) {
	r.GET(PathExport+".csv", d.handleExportCSV)
	r.GET(PathExport+".ndjson", d.handleExportNDJSON)
	r.GET(PathExport+".json", d.handleExportJSON)
}

// EchoRouter adapts an *echo.Echo (or an echo.Group) with middleware to Router.
type EchoRouter struct {
	E interface {
		Add(method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
	}
	MW []echo.MiddlewareFunc
}

// GET registers a GET route.
func (r EchoRouter) GET(path string, h echo.HandlerFunc) { r.E.Add("GET", path, h, r.MW...) }

// POST registers a POST route.
func (r EchoRouter) POST(path string, h echo.HandlerFunc) { r.E.Add("POST", path, h, r.MW...) }

// audit records a change; a failure to record is logged, not returned: the
// change itself is done.
func (d *Dashboard) audit(ctx context.Context, actor, action, target, detail string) {
	if d.d.Audit == nil {
		return
	}
	if err := d.d.Audit.Audit(ctx, actor, action, target, detail); err != nil {
		d.d.Log.Error("audit log write failed", "actor", actor, "action", action, "target", target, "err", err)
	}
}
