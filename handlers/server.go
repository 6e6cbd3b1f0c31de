// Package handlers is Floorfeed's HTTP layer: the public report form and
// submission API, the reporter's status pages, the authenticated reports API,
// the browser's files (package static), health and metrics endpoints, and the
// middleware around them (request ids, logging, metrics, body limits, client
// IPs, rate limiting, and each route area's cache and security headers).
//
// It is the only package that imports Echo; callers get an http.Handler.
package handlers

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/metrics"
	"github.com/floorfeed/floorfeed/pdfdoc"
	"github.com/floorfeed/floorfeed/photo"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/static"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

// Default limits.
const (
	// DefaultBodyLimit bounds JSON and form-encoded request bodies.
	DefaultBodyLimit = 1 << 20 // 1 MiB
	// DefaultMultipartBodyLimit bounds multipart bodies, which will carry
	// phone photos (a few downscaled images).
	DefaultMultipartBodyLimit = 32 << 20 // 32 MiB: three 10 MB photos and the fields
)

// Route patterns. The public ones are a contract (printed QR codes and
// clients depend on them); they also label the HTTP metrics.
const (
	routeForm         = "/r/:line"
	routeStatusPage   = "/s/:receipt"
	routeReports      = "/api/v1/reports"
	routeReport       = "/api/v1/reports/:id"
	routeReceipt      = "/api/v1/receipts/:receipt"
	routeHealthz      = "/healthz"
	routeReadyz       = "/readyz"
	routeMetrics      = "/metrics"
	routeStatic       = "/static/*"
	routeUnmatched    = "/*" // the route label of URLs no route matches
	readyTimeout      = 2 * time.Second
	storeReadTimeout  = 10 * time.Second
	submitStoreBudget = 15 * time.Second
)

// Config is the HTTP layer's configuration.
type Config struct {
	// BaseURL is the public base URL, e.g. https://floorfeed.plant.example;
	// used for the absolute status link shown to reporters. Optional.
	BaseURL string
	// BodyLimit is the largest JSON or form-encoded request body in bytes;
	// 0 means DefaultBodyLimit.
	BodyLimit int64
	// MultipartBodyLimit is the largest multipart/form-data body in bytes
	// (photos will come that way); 0 means DefaultMultipartBodyLimit.
	MultipartBodyLimit int64
	// TrustedProxies are CIDRs (or single IPs) of reverse proxies whose
	// X-Forwarded-For (or, without it, X-Real-IP) header is believed. Empty
	// means the TCP peer address is the client; loopback and private ranges
	// are never trusted implicitly.
	TrustedProxies []string
	// SubmitRate is the number of submissions per minute allowed per client
	// IP; 0 means no limit.
	SubmitRate float64
	// SubmitBurst is how many submissions a client may make at once before
	// SubmitRate applies; 0 means ceil(SubmitRate), at least 1.
	SubmitBurst int
	// BodyGrace is the grace period of a request body's read deadline
	// (BodyDeadline); 0 means BodyGrace.
	BodyGrace time.Duration
	// MetricsToken, if set, is the bearer token GET /metrics requires.
	MetricsToken string
	// MetricsElsewhere: /metrics is served on a listener of its own
	// (MetricsHandler), not by this handler.
	MetricsElsewhere bool
	// UploadMemory bounds the photo bytes held in memory by all
	// submissions being read at once; 0 means DefaultUploadMemory.
	UploadMemory int64
	// TimeZone interprets date-only filters (from=2026-11-02) and formats
	// times on HTML pages; nil means UTC.
	TimeZone *time.Location
}

// ReportReader reads reports (implemented by store.Reports).
type ReportReader interface {
	// Report returns one report by id, or store.ErrNotFound.
	Report(ctx context.Context, id string) (store.Report, error)
	// ReportByReceipt returns the report a receipt belongs to, or store.ErrNotFound.
	ReportByReceipt(ctx context.Context, receipt string) (store.Report, error)
	// FindReports returns one page of reports matching f, newest first.
	FindReports(ctx context.Context, f store.Filter) (store.Page, error)
}

// Triager changes what R&D decides about a report (implemented by
// *triage.Service): status, team, reply and notes, each with its history
// entry. Errors: *store.ValidationError, triage.ErrBadActor,
// store.ErrNotFound, and the store's errors.
type Triager interface {
	Apply(ctx context.Context, id, by string, ch triage.Change) (store.Report, error)
}

// ReplayFinder answers a replayed submission from the store without
// submitting it again (implemented by both store backends, in their idem.go).
type ReplayFinder interface {
	// ReportByIdempotencyKey returns the report stored under an idempotency
	// key by a submission with the same payload hash. Errors:
	// store.ErrNotFound when no report is stored under the key,
	// store.ErrIdempotencyMismatch when one is but for another payload. It
	// writes nothing.
	ReportByIdempotencyKey(ctx context.Context, key, payloadHash string) (store.Report, error)
}

// Deps are what the server needs. Intake, Reports, Tokens, Ready, Plant and
// Signer are required; so is Replays when Config.SubmitRate limits
// submissions (Reports is used when it implements ReplayFinder); Metrics,
// Log and Now have defaults.
type Deps struct {
	Intake  *intake.Service
	Reports ReportReader
	// Replays answers a rate-limited replay of an accepted submission from
	// the store, so that a retry is never refused for the rate limit.
	Replays ReplayFinder
	Tokens  TokenAuth
	Demo    DemoLoader // optional: POST /api/v1/admin/demo answers 404 without
	Jobs    DeadJobs   // optional: the admin API's /jobs/dead routes answer 404 without
	Reindex Reindexer  // optional: POST /api/v1/admin/reindex answers 404 without
	Briefs  BriefMaker // optional: the /api/v1/briefs routes (api_briefs.go) answer 404 without
	Dump    Dumper     // optional: GET /api/v1/admin/backup and /export answer 404 without
	// Deliveries is the delivery log (GET /api/v1/deliveries; 404 without).
	Deliveries DeliveryLog
	// Triage changes reports for PATCH /api/v1/reports/{id}; nil means a
	// triage.Service over Reports when Reports can update reports too (the
	// stores can).
	Triage Triager
	// Ready reports whether the store answers and takes writes (GET
	// /readyz answers 503 with its error as the reason).
	Ready func(context.Context) error
	// Durability names what an acknowledged report survives with this
	// store (e.g. "fsync-every-commit", "aof-always", "aof-everysec");
	// /readyz shows it. Optional.
	Durability string
	Plant      *plant.Plant
	Signer     *signing.Signer
	// PDFFonts are the faces of the PDFs the server makes (the QR sheet);
	// nil means the embedded ones (pdfdoc.DefaultFonts).
	PDFFonts *pdfdoc.FontSet
	// Accounts are the dashboard's users and sessions; nil means
	// auth.Accounts over Reports when it is a store.Records (the stores are).
	Accounts Accounts
	// Audit is the audit log; nil means audit.Log over Reports when it is a
	// store.Records.
	Audit AuditLog
	// Codes finds reports by short code (GET /api/v1/reports?code=); nil
	// means intake.Codes over Reports when it is a store.Records.
	Codes CodeLookup
	// Dashboard is the R&D dashboard (package dashboard), mounted by
	// registerDashboard (dashboard.go); optional.
	Dashboard Dashboard
	// Metrics records HTTP and submission metrics and serves /metrics; nil
	// means a private set (then /metrics shows no worker or queue metrics).
	Metrics *metrics.Metrics
	// Log receives request logs and errors; nil discards them.
	Log *slog.Logger
	// Photos stores the photos of submissions (photos.go); nil drops them.
	Photos photo.Store
	// Limiter counts new submissions when Config.SubmitRate is set; nil
	// means an in-memory one (right for one instance; with Redis, pass
	// redisstore's, shared by every instance).
	Limiter SubmitLimiter
	// Votes stores "me too" votes (votes.go); nil answers their routes 404.
	Votes VoteStore
	// Now is the clock for rate limiting and history time stamps; nil means
	// time.Now.
	Now    func() time.Time
	Config Config
}

// Server is Floorfeed's HTTP handler.
type Server struct {
	e            *echo.Echo
	intake       *intake.Service
	reports      ReportReader
	tokens       TokenAuth
	demo         DemoLoader
	jobs         DeadJobs
	reindex      Reindexer
	dump         Dumper
	ready        func(context.Context) error
	durability   string
	plant        *plant.Plant
	signer       *signing.Signer
	metrics      *metrics.Metrics
	log          *slog.Logger
	now          func() time.Time
	cfg          Config
	replays      ReplayFinder
	triage       Triager
	limiter      SubmitLimiter // nil: no submission rate limit
	photos       photo.Store
	uploadBudget *photo.Budget
	votes        *voteService
	gzip         gzipPool
	gzAssets     sync.Map // asset URL → *gzAsset
	// submitting serialises this instance's submissions of one idempotency
	// key while a rate limit applies (see limitSubmission).
	submitting *keyLocks
	text       catalog
	pages      *pages
	assets     *static.Assets
	// deliveries serves GET /api/v1/deliveries (api_deliveries.go); nil: 404.
	deliveries DeliveryLog
	pdfFonts   *pdfdoc.FontSet
	accounts   Accounts
	auditLog   AuditLog
	codes      CodeLookup
}

// New builds the server and its routes, in areas that each have their own
// middleware and header policy (see the register*Routes functions):
//
//	pages (HTML, page CSP, no-store; the form private, no-cache)
//	  GET  /r/{line}?t={token}          mobile report form (403 bad token, 404 unknown line)
//	  GET  /s/{receipt}                 reporter's status page
//	public API (JSON, no-store)
//	  POST /api/v1/reports              submit (JSON, form-encoded, multipart); new reports rate limited per IP
//	  GET  /api/v1/receipts/{receipt}   reporter's view
//	authenticated API (JSON, no-store, Bearer token or session cookie, else 401;
//	changes need a role that may triage, and with a session the CSRF header)
//	  GET  /api/v1/reports              list with filters and cursor
//	  GET  /api/v1/reports/{id}         one report
//	  PATCH /api/v1/reports/{id}        status, team, reply, note (triage)
//	  GET  /api/v1/qr-sheet.pdf, /api/v1/lines/{line}/qr.svg|png  QR stickers (api_qr.go)
//	  POST /api/v1/briefs, GET /api/v1/briefs[/{id}[.pdf]]  make, list, get briefs (api_briefs.go)
//	admin API (JSON, no-store; the local administrator only: api_admin.go)
//	  /api/v1/admin/...
//	static assets (immutable for a year; 404 for an unknown or stale hash)
//	  GET  /static/{name}.{hash}.{ext}
//	sign-in and accounts (HTML, page CSP, no-store: accounts.go, account_pages.go)
//	  GET  /                            the inbox when signed in, else /login
//	  GET|POST /login, POST /logout, /logout-all, GET /account, POST /account/password
//	  GET|POST /users, POST /users/{name}, GET|POST /tokens, POST /tokens/{id}/revoke,
//	  GET /audit                        admins only
//	  dashboardGroup()                  where the dashboard's pages mount (session, CSRF, roles)
//	GET  /api/v1/openapi.json           the OpenAPI description, public
//	every GET route also answers HEAD
//	ops (plain text, no-store)
//	  GET  /healthz, /readyz, /metrics  probes and Prometheus
func New(d Deps) (*Server, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Intake": d.Intake != nil, "Reports": d.Reports != nil, "Tokens": d.Tokens != nil,
		"Ready": d.Ready != nil, "Plant": d.Plant != nil, "Signer": d.Signer != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("handlers.New: missing %s", strings.Join(missing, ", "))
	}
	s := &Server{
		intake: d.Intake, reports: d.Reports, replays: d.Replays, tokens: d.Tokens, demo: d.Demo, jobs: d.Jobs, reindex: d.Reindex, dump: d.Dump, ready: d.Ready, durability: d.Durability,
		plant: d.Plant, signer: d.Signer, metrics: d.Metrics, log: d.Log, now: d.Now,
		cfg: d.Config, text: newCatalog(), pdfFonts: d.PDFFonts,
	}
	if s.replays == nil {
		s.replays, _ = d.Reports.(ReplayFinder) // checked below when it is needed
	}
	s.triage = d.Triage
	s.deliveries = d.Deliveries
	if up, ok := d.Reports.(triage.Reports); ok && s.triage == nil {
		t, err := triage.New(triage.Deps{Reports: up, Teams: d.Plant, Now: s.now})
		if err != nil {
			return nil, fmt.Errorf("handlers.New: %w", err)
		}
		s.triage = t
	}
	if s.metrics == nil {
		s.metrics = metrics.New(nil)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.defaultAccounts(d); err != nil {
		return nil, fmt.Errorf("handlers.New: %w", err)
	}
	if s.cfg.BodyLimit <= 0 {
		s.cfg.BodyLimit = DefaultBodyLimit
	}
	if s.cfg.MultipartBodyLimit <= 0 {
		s.cfg.MultipartBodyLimit = DefaultMultipartBodyLimit
	}
	if s.cfg.TimeZone == nil {
		s.cfg.TimeZone = time.UTC
	}
	if s.cfg.BaseURL != "" {
		u, err := url.Parse(s.cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("handlers.New: BaseURL %q must be an absolute http(s) URL", s.cfg.BaseURL)
		}
		s.cfg.BaseURL = strings.TrimRight(s.cfg.BaseURL, "/")
	}
	trusted, err := parseCIDRs(s.cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("handlers.New: TrustedProxies: %w", err)
	}
	if s.cfg.SubmitRate < 0 || s.cfg.SubmitBurst < 0 {
		return nil, errors.New("handlers.New: SubmitRate and SubmitBurst must not be negative")
	}
	if s.cfg.SubmitRate > 0 {
		if s.replays == nil {
			return nil, errors.New("handlers.New: missing Replays (needed with a SubmitRate: a replay is answered from the store, never rate limited)")
		}
		s.limiter = d.Limiter
		if s.limiter == nil {
			s.limiter = memLimiter{newIPLimiter(s.cfg.SubmitRate, s.cfg.SubmitBurst)}
		}
		s.submitting = newKeyLocks()
	}
	s.setupMobile(d)
	if s.assets, err = static.New(); err != nil {
		return nil, fmt.Errorf("handlers.New: %w", err)
	}
	if s.pages, err = newPages(s.text, s.cfg.TimeZone, s.assets); err != nil {
		return nil, fmt.Errorf("handlers.New: %w", err)
	}

	e := echo.New()
	s.e = e
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = ipExtractor(trusted)
	e.HTTPErrorHandler = s.handleError
	// Every response: request id, the headers every response carries (with
	// strict defaults for URLs no area claims), one log line and metrics,
	// panics as 500s, bounded bodies.
	e.Use(s.requestID, s.baseHeaders, s.observe, s.compress, s.recoverPanic(), s.bodyLimit)

	s.registerPageRoutes(routeGroup{e: e, mw: []echo.MiddlewareFunc{s.pagePolicy}})
	s.registerPublicAPIRoutes(routeGroup{e: e, mw: []echo.MiddlewareFunc{s.apiPolicy}})
	s.registerAuthAPIRoutes(routeGroup{e: e, mw: []echo.MiddlewareFunc{s.apiPolicy, s.requireToken}})
	s.registerBriefRoutes(routeGroup{e: e, mw: []echo.MiddlewareFunc{s.apiPolicy, s.requireToken}}, d.Briefs)
	s.registerAdminRoutes(e.Group(routeAdminPrefix, s.apiPolicy))
	s.registerStaticRoutes(routeGroup{e: e, mw: []echo.MiddlewareFunc{s.assetPolicy}})
	s.registerOpsRoutes(routeGroup{e: e, mw: []echo.MiddlewareFunc{s.opsPolicy}})
	s.registerAccountRoutes(e)
	s.registerDashboard(d.Dashboard)
	s.registerOpenAPIRoute(routeGroup{e: e, mw: []echo.MiddlewareFunc{s.apiPolicy}})
	if err := s.registerMobileRoutes(e); err != nil { // mobile.go: /sw.js, /my
		return nil, fmt.Errorf("handlers.New: %w", err)
	}
	return s, nil
}

// routeGroup is one area of the site: routes registered together that share
// middleware (their header policy, and authentication where it applies).
//
// Areas share path prefixes (the public and the authenticated API both live
// under /api/v1, even on one path: POST /api/v1/reports is public, GET is
// not), so an area is not an echo.Group, whose middleware would also answer
// every unmatched URL under its prefix: routeGroup adds its middleware to
// each route it registers and nothing else.
type routeGroup struct {
	e  *echo.Echo
	mw []echo.MiddlewareFunc
}

// GET registers a GET route of the area, and HEAD for the same path (the
// server sends the headers only).
func (g routeGroup) GET(path string, h echo.HandlerFunc) {
	g.e.Add(http.MethodGet, path, h, g.mw...)
	g.e.Add(http.MethodHead, path, h, g.mw...)
}

// DELETE registers a DELETE route of the area.
func (g routeGroup) DELETE(path string, h echo.HandlerFunc) {
	g.e.Add(http.MethodDelete, path, h, g.mw...)
}

// POST registers a POST route of the area.
func (g routeGroup) POST(path string, h echo.HandlerFunc) {
	g.e.Add(http.MethodPost, path, h, g.mw...)
}

// PATCH registers a PATCH route of the area.
func (g routeGroup) PATCH(path string, h echo.HandlerFunc) {
	g.e.Add(http.MethodPatch, path, h, g.mw...)
}

// Match registers one route for several methods (probes take HEAD too).
func (g routeGroup) Match(methods []string, path string, h echo.HandlerFunc) {
	for _, m := range methods {
		g.e.Add(m, path, h, g.mw...)
	}
}

// registerPageRoutes adds the reporter's HTML pages. They are public (the
// QR token and the receipt are their credentials) and never stored by a
// cache: the status page shows the report and its reply, and the form
// carries a fresh idempotency key (it says private, no-cache itself, to come
// back on Back with the same key).
func (s *Server) registerPageRoutes(g routeGroup) {
	g.GET(routeForm, s.handleForm)
	g.GET(routeStatusPage, s.handleStatusPage)
}

// registerPublicAPIRoutes adds the API a phone uses without an account.
func (s *Server) registerPublicAPIRoutes(g routeGroup) {
	g.POST(routeReports, s.handleReportCreate)
	g.GET(routeReceipt, s.handleReceipt)
	s.registerVoteRoutes(g)
}

// registerAuthAPIRoutes adds the API for R&D tools; g requires a Bearer
// token (401 JSON without a valid one).
func (s *Server) registerAuthAPIRoutes(g routeGroup) {
	g.GET(routeReports, s.handleReportList)
	g.GET(routeReport, s.handleReportGet)
	g.PATCH(routeReport, s.handleReportPatch)
	g.GET(routeDeliveries, s.handleDeliveryList)
	s.registerQRRoutes(g) // api_qr.go
	s.registerPhotoRoutes(g)
}

// registerStaticRoutes adds the browser's files of package static under
// their content-hashed URLs.
//
// The service worker will get its own route here, at the root scope it
// needs (see package static): g.Match(GET, HEAD, "/sw.js", …) serving
// assets/sw.js with Cache-Control: no-cache, not the immutable policy of
// the hashed files, so that browsers pick up a new version.
func (s *Server) registerStaticRoutes(g routeGroup) {
	g.Match([]string{http.MethodGet, http.MethodHead}, routeStatic, s.handleAsset)
}

// registerOpsRoutes adds the probes and metrics. They are public: keep them
// from the internet at the reverse proxy if the plant wants them private.
func (s *Server) registerOpsRoutes(g routeGroup) {
	// Probes may use HEAD.
	g.Match([]string{http.MethodGet, http.MethodHead}, routeHealthz, s.handleHealthz)
	g.Match([]string{http.MethodGet, http.MethodHead}, routeReadyz, s.handleReadyz)
	if !s.cfg.MetricsElsewhere {
		g.GET(routeMetrics, echo.WrapHandler(s.MetricsHandler()))
	}
}

// MetricsHandler serves the Prometheus metrics, behind the bearer token
// when Config.MetricsToken is set: for the main listener, or for a
// listener of its own (--metrics-addr).
func (s *Server) MetricsHandler() http.Handler {
	h := s.metrics.Handler()
	want := s.cfg.MetricsToken
	if want == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="floorfeed metrics"`)
			http.Error(w, "metrics need Authorization: Bearer <FLOORFEED_METRICS_TOKEN>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

// handleHealthz is liveness: the process serves HTTP.
func (s *Server) handleHealthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

// handleReadyz is readiness: the store answers.
func (s *Server) handleReadyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.log.Warn("not ready", "request_id", requestIDOf(c), "err", err)
		return c.String(http.StatusServiceUnavailable, "unavailable: "+err.Error()+s.durabilityLine())
	}
	return c.String(http.StatusOK, "ready"+s.durabilityLine())
}

// durabilityLine is the second line of /readyz's body: which durability is
// in force ("" when unknown to the handlers).
func (s *Server) durabilityLine() string {
	if s.durability == "" {
		return ""
	}
	return "\ndurability: " + s.durability
}

// parseCIDRs parses CIDRs; a bare IP means that one address.
func parseCIDRs(list []string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, v := range list {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if !strings.Contains(v, "/") {
			ip := net.ParseIP(v)
			if ip == nil {
				return nil, fmt.Errorf("%q is neither a CIDR nor an IP address", v)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(v)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", v, err)
		}
		out = append(out, n)
	}
	return out, nil
}
