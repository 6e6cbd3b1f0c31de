package handlers

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/floorfeed/floorfeed/metrics"
)

// Keys of values kept on the Echo context for the length of a request.
const (
	ctxRequestID = "ff.request_id"
	ctxLang      = "ff.lang"     // the reporter's language when the request said it (lang field)
	ctxOutcome   = "ff.outcome"  // submission outcome set by a successful submit
	ctxErrorCode = "ff.err_code" // error code the error handler answered with
)

// maxRequestIDLen bounds a client-supplied X-Request-ID.
const maxRequestIDLen = 64

// requestID takes the client's X-Request-ID when it is short and plain
// (letters, digits, '-', '_', '.', ':'), otherwise makes one, and echoes it in
// the response. A client value is never logged unchecked.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rid := c.Request().Header.Get(echo.HeaderXRequestID)
		if !plainRequestID(rid) {
			var b [12]byte
			_, _ = rand.Read(b[:]) // crypto/rand does not fail on supported platforms
			rid = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, rid)
		c.Response().Header().Set(echo.HeaderXRequestID, rid)
		return next(c)
	}
}

func plainRequestID(v string) bool {
	if v == "" || len(v) > maxRequestIDLen {
		return false
	}
	for _, r := range v {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '_' || r == '.' || r == ':'
		if !ok {
			return false
		}
	}
	return true
}

// requestIDOf returns the request id set by the requestID middleware.
func requestIDOf(c echo.Context) string {
	rid, _ := c.Get(ctxRequestID).(string)
	return rid
}

// Cache-Control values of the route areas.
const (
	cacheNoStore = "no-store"
	// cacheImmutable is for content-hashed URLs, whose content never changes.
	cacheImmutable = "public, max-age=31536000, immutable"
)

// noDocumentCSP is the Content-Security-Policy of responses that are not
// pages (JSON, probes, files): should one be opened as a document anyway, it
// may load and run nothing and be framed by nobody.
const noDocumentCSP = "default-src 'none'; frame-ancestors 'none'"

// baseHeaders sets the headers every response carries. Receipts and QR
// tokens live in URLs, so nothing is sent as a referrer. The page CSP and
// no-store are defaults for URLs that no route area claims (their 404 may be
// an HTML page); each area's policy middleware sets its own.
func (s *Server) baseHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
		h.Set("Content-Security-Policy", pageCSP)
		h.Set(echo.HeaderCacheControl, cacheNoStore)
		return next(c)
	}
}

// setPolicy sets an area's CSP and Cache-Control; a handler may still set
// its own Cache-Control after it.
func setPolicy(c echo.Context, csp, cache string) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", csp)
	h.Set(echo.HeaderCacheControl, cache)
}

// pagePolicy is the policy of the HTML pages: the page CSP (this origin
// only, no inline style or script) and no-store, since they show personal
// data (the status page) or carry one-time keys (the form, which relaxes it
// to private, no-cache itself).
func (s *Server) pagePolicy(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		setPolicy(c, pageCSP, cacheNoStore)
		return next(c)
	}
}

// apiPolicy is the policy of the JSON API, public and authenticated: no-store
// (receipts, reports and tokens must not sit in a cache) and a CSP that
// allows nothing. A browser's form post to POST /api/v1/reports is the one
// API request answered with a page (the form again, or an error page), so
// it gets the page CSP.
func (s *Server) apiPolicy(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		csp := noDocumentCSP
		if isBrowserFormPost(c.Request()) {
			csp = pageCSP
		}
		setPolicy(c, csp, cacheNoStore)
		return next(c)
	}
}

// assetPolicy is the policy of the content-hashed files: cached by anyone for
// a year and never revalidated. Anything but a success (a 404 for a stale
// hash) is no-store, so a cache cannot keep a miss under a URL that a newer
// instance would answer.
func (s *Server) assetPolicy(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		setPolicy(c, noDocumentCSP, cacheImmutable)
		res := c.Response()
		res.Before(func() {
			if res.Status != http.StatusOK && res.Status != http.StatusNotModified && res.Status != http.StatusPartialContent {
				res.Header().Set(echo.HeaderCacheControl, cacheNoStore)
			}
		})
		return next(c)
	}
}

// opsPolicy is the policy of the probes and metrics: fresh every time.
func (s *Server) opsPolicy(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		setPolicy(c, noDocumentCSP, cacheNoStore)
		return next(c)
	}
}

// observe logs each request and records its metrics once the response is
// final: it hands an error to the error handler itself, so the status it
// sees is the one the client gets. It logs the route pattern, never the URL,
// which carries receipts and QR tokens.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if errors.Is(err, echo.ErrNotFound) {
			// The router found no route: label it as one bounded pattern,
			// whatever part of a real pattern the URL happened to share.
			c.SetPath(routeUnmatched)
		}
		if err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		req, res := c.Request(), c.Response()
		route := c.Path()
		if route == "" {
			route = routeUnmatched
		}
		method := methodLabel(req.Method)
		status := res.Status

		s.metrics.Requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		s.metrics.RequestDuration.WithLabelValues(method, route).Observe(elapsed.Seconds())
		if route == routeReports && req.Method == http.MethodPost {
			s.metrics.Submissions.WithLabelValues(submissionOutcome(c)).Inc()
		}

		level := slog.LevelInfo
		if status >= http.StatusInternalServerError {
			level = slog.LevelError
		}
		if !s.log.Enabled(req.Context(), level) {
			return nil
		}
		attrs := []slog.Attr{
			slog.String("request_id", requestIDOf(c)),
			slog.String("method", req.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Duration("duration", elapsed),
			slog.String("ip", c.RealIP()),
			slog.Int64("bytes_out", res.Size),
		}
		if code, ok := c.Get(ctxErrorCode).(string); ok {
			attrs = append(attrs, slog.String("error_code", code))
		}
		s.log.LogAttrs(req.Context(), level, "http request", attrs...)
		return nil
	}
}

// methodLabel keeps the method label bounded whatever clients send.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// submissionOutcome classifies a finished POST /api/v1/reports.
func submissionOutcome(c echo.Context) string {
	if o, ok := c.Get(ctxOutcome).(string); ok {
		return o
	}
	code, _ := c.Get(ctxErrorCode).(string)
	switch code {
	case codeValidation, codeBadRequest, codeUnsupportedMediaType:
		return metrics.OutcomeInvalid
	case codeBadToken:
		return metrics.OutcomeForbidden
	case codeIdempotencyMismatch:
		return metrics.OutcomeMismatch
	case codeTooLarge:
		return metrics.OutcomeTooLarge
	case codeRateLimited:
		return metrics.OutcomeRateLimited
	case codeUnavailable:
		return metrics.OutcomeUnavailable
	}
	return metrics.OutcomeError
}

// recoverPanic turns a panic into a 500 (logged with its stack) instead of
// a dropped connection.
func (s *Server) recoverPanic() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", "request_id", requestIDOf(c), "route", c.Path(), "err", err, "stack", string(stack))
			return err
		},
		// observe hands the error to the error handler, once.
		DisableErrorHandler: true,
	})
}

// bodyLimit bounds request bodies: multipart bodies (which will carry
// photos) to MultipartBodyLimit, everything else to BodyLimit. A declared
// Content-Length over the limit is refused before reading; a body that turns
// out longer while being read (chunked, or a lying length) fails the read
// with *http.MaxBytesError, which the error handler answers with 413.
func (s *Server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		limit := s.cfg.BodyLimit
		if mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); err == nil && mt == echo.MIMEMultipartForm {
			limit = s.cfg.MultipartBodyLimit
		}
		if req.ContentLength > limit {
			return errTooLarge()
		}
		if req.Body != nil && req.Body != http.NoBody {
			req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, limit)
			// A client that trickles its body (one byte every few seconds)
			// must not hold a connection for the server's whole read
			// timeout: the body has a deadline that grows with its size.
			size := limit
			if req.ContentLength >= 0 {
				size = req.ContentLength
			}
			// An error means the connection cannot take deadlines (a test
			// recorder): the server's own timeouts apply.
			_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now().Add(s.bodyDeadline(size))) // the wall clock: a network deadline
		}
		return next(c)
	}
}

// Body deadlines: a request body of n bytes must arrive within
// BodyDeadline(n) of the handler starting to read it: a grace period plus
// the time n bytes take at MinBodyRate — slow enough for a photo over bad
// plant Wi-Fi, fast enough that a trickling client is cut off.
const (
	BodyGrace   = 10 * time.Second
	MinBodyRate = 16 << 10 // bytes per second
)

// BodyDeadline is how long a body of n bytes may take to arrive.
func BodyDeadline(n int64) time.Duration { return bodyDeadline(BodyGrace, n) }

func bodyDeadline(grace time.Duration, n int64) time.Duration {
	return grace + time.Duration(float64(max(n, 0))/MinBodyRate*float64(time.Second))
}

// bodyDeadline is BodyDeadline with the configured grace.
func (s *Server) bodyDeadline(n int64) time.Duration {
	return bodyDeadline(cmp.Or(s.cfg.BodyGrace, BodyGrace), n)
}

// ipExtractor says where the client's address comes from. Without trusted
// proxies it is the TCP peer, whatever headers say. With them, it is the
// right-most X-Forwarded-For address not in a trusted range (or X-Real-IP
// when there is no X-Forwarded-For) — and only the configured ranges are
// trusted: Echo's default trust of loopback, link-local and private
// addresses is switched off, since on a plant network the phones themselves
// have private addresses.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	fromXFF := echo.ExtractIPFromXFFHeader(opts...)
	fromRealIP := echo.ExtractIPFromRealIPHeader(opts...)
	return func(r *http.Request) string {
		if len(r.Header.Values(echo.HeaderXForwardedFor)) > 0 {
			return fromXFF(r)
		}
		return fromRealIP(r)
	}
}

// rateLimitKey is the bucket a client IP counts against: the address itself
// for IPv4, its /64 for IPv6, since one phone or host usually holds a whole
// /64 and could otherwise hop between addresses.
func rateLimitKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
