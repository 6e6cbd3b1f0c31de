// Package handlers is Floorfeed's HTTP layer: the public report form and
// submission API, the reporter's status pages, the authenticated reports API,
// health and metrics endpoints, and the middleware around them (request ids,
// logging, metrics, body limits, client IPs, rate limiting, security headers).
//
// It is the only package that imports Echo; callers get an http.Handler.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/metrics"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
)

// Default limits.
const (
	// DefaultBodyLimit bounds JSON and form-encoded request bodies.
	DefaultBodyLimit = 1 << 20 // 1 MiB
	// DefaultMultipartBodyLimit bounds multipart bodies, which will carry
	// phone photos (a few downscaled images).
	DefaultMultipartBodyLimit = 20 << 20 // 20 MiB
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

// Deps are what the server needs. Intake, Reports, Tokens, Ready, Plant and
// Signer are required; Metrics, Log and Now have defaults.
type Deps struct {
	Intake  *intake.Service
	Reports ReportReader
	Tokens  TokenAuth
	Demo    DemoLoader // optional: POST /api/v1/admin/demo answers 404 without
	// Ready reports whether the store answers (GET /readyz).
	Ready  func(context.Context) error
	Plant  *plant.Plant
	Signer *signing.Signer
	// Metrics records HTTP and submission metrics and serves /metrics; nil
	// means a private set (then /metrics shows no worker or queue metrics).
	Metrics *metrics.Metrics
	// Log receives request logs and errors; nil discards them.
	Log *slog.Logger
	// Now is the clock for rate limiting; nil means time.Now.
	Now    func() time.Time
	Config Config
}

// Server is Floorfeed's HTTP handler.
type Server struct {
	e       *echo.Echo
	intake  *intake.Service
	reports ReportReader
	tokens  TokenAuth
	demo    DemoLoader
	ready   func(context.Context) error
	plant   *plant.Plant
	signer  *signing.Signer
	metrics *metrics.Metrics
	log     *slog.Logger
	now     func() time.Time
	cfg     Config
	limiter *ipLimiter // nil: no submission rate limit
	text    catalog
	pages   *pages
}

// New builds the server and its routes:
//
//	GET  /r/{line}?t={token}          mobile report form (HTML; 403 bad token, 404 unknown line)
//	POST /api/v1/reports              submit (JSON, form-encoded, multipart); rate limited per IP
//	GET  /api/v1/receipts/{receipt}   reporter's view (JSON)
//	GET  /s/{receipt}                 reporter's status page (HTML)
//	GET  /api/v1/reports              list with filters and cursor (Bearer token)
//	GET  /api/v1/reports/{id}         one report (Bearer token)
//	GET  /healthz, /readyz, /metrics  probes and Prometheus
//	     /api/v1/admin/...            the admin API (api_admin.go), local administrator only
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
		intake: d.Intake, reports: d.Reports, tokens: d.Tokens, demo: d.Demo, ready: d.Ready,
		plant: d.Plant, signer: d.Signer, metrics: d.Metrics, log: d.Log, now: d.Now,
		cfg: d.Config, text: newCatalog(),
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
		s.limiter = newIPLimiter(s.cfg.SubmitRate, s.cfg.SubmitBurst)
	}
	if s.pages, err = newPages(s.text, s.cfg.TimeZone); err != nil {
		return nil, fmt.Errorf("handlers.New: %w", err)
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = ipExtractor(trusted)
	e.HTTPErrorHandler = s.handleError
	e.Use(s.requestID, s.securityHeaders, s.observe, s.recoverPanic(), s.bodyLimit)

	e.GET(routeForm, s.handleForm)
	e.GET(routeStatusPage, s.handleStatusPage)
	e.POST(routeReports, s.handleReportCreate, s.rateLimit)
	e.GET(routeReceipt, s.handleReceipt)
	e.GET(routeReports, s.handleReportList, s.requireToken)
	e.GET(routeReport, s.handleReportGet, s.requireToken)
	// Probes may use HEAD.
	e.Match([]string{http.MethodGet, http.MethodHead}, routeHealthz, s.handleHealthz)
	e.Match([]string{http.MethodGet, http.MethodHead}, routeReadyz, s.handleReadyz)
	e.GET(routeMetrics, echo.WrapHandler(s.metrics.Handler()))
	s.registerAdminRoutes(e.Group(routeAdminPrefix))
	s.e = e
	return s, nil
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
		return c.String(http.StatusServiceUnavailable, "unavailable")
	}
	return c.String(http.StatusOK, "ready")
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
