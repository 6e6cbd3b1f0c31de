package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/store"
)

// Error codes of the JSON error body. Clients switch on these.
const (
	codeValidation           = "validation"
	codeBadRequest           = "bad_request"
	codeBadToken             = "bad_token"
	codeUnauthorized         = "unauthorized"
	codeForbidden            = "forbidden"
	codeNotFound             = "not_found"
	codeMethodNotAllowed     = "method_not_allowed"
	codeTooLarge             = "too_large"
	codeUnsupportedMediaType = "unsupported_media_type"
	codeIdempotencyMismatch  = "idempotency_mismatch"
	codeRateLimited          = "rate_limited"
	codeUnavailable          = "unavailable"
	codeInternal             = "internal"
)

// Field problem codes besides store's (required, too_long, invalid, unknown).
const (
	fieldCodeType       = "type"        // a JSON value of the wrong type
	fieldCodeNotAllowed = "not_allowed" // a member this request may not send
	// fieldCodeNotAParameter: a query parameter the request does not take.
	fieldCodeNotAParameter = "not_a_parameter"
)

// unavailableRetryAfter is the Retry-After sent with a 503.
const unavailableRetryAfter = 5 * time.Second

// apiError is an error with everything needed to answer it. Handlers return
// it (or errors handleError knows how to map); handleError renders it in the
// request's language.
type apiError struct {
	status int
	code   string
	// fields maps a field name to a problem code (store.Code*, fieldCodeType);
	// handleError turns each into a message.
	fields     map[string]string
	retryAfter time.Duration
	cause      error // logged for 5xx; never shown to the client
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("%d %s", e.status, e.code)
	if len(e.fields) > 0 {
		s += fmt.Sprintf(" %v", e.fields)
	}
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

func (e *apiError) Unwrap() error { return e.cause }

func errNotFound() *apiError {
	return &apiError{status: http.StatusNotFound, code: codeNotFound}
}

func errUnauthorized() *apiError {
	return &apiError{status: http.StatusUnauthorized, code: codeUnauthorized}
}

func errUnsupported() *apiError {
	return &apiError{status: http.StatusUnsupportedMediaType, code: codeUnsupportedMediaType}
}

func errBadToken() *apiError {
	return &apiError{status: http.StatusForbidden, code: codeBadToken}
}

func errTooLarge() *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge}
}

func errBadRequest(cause error, fields map[string]string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeBadRequest, fields: fields, cause: cause}
}

func errValidation(fields map[string]string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeValidation, fields: fields}
}

func errRateLimited(wait time.Duration) *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: codeRateLimited, retryAfter: wait}
}

// errUnavailable wraps a store failure: the client should keep its data and
// retry. The cause is logged, not shown.
func errUnavailable(cause error) *apiError {
	return &apiError{status: http.StatusServiceUnavailable, code: codeUnavailable, retryAfter: unavailableRetryAfter, cause: cause}
}

// storeReadError maps a store failure: not found (404), the store being
// unreachable (503: the client retries later), or anything else, which is a
// fault of ours (500, logged with the request id).
func storeReadError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errNotFound()
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return errUnavailable(err)
	}
	return err
}

// toAPIError maps any error a handler or middleware returns.
func toAPIError(err error) *apiError {
	var (
		ae  *apiError
		ve  *store.ValidationError
		mbe *http.MaxBytesError
		he  *echo.HTTPError
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ve):
		return errValidation(ve.Fields)
	case errors.Is(err, intake.ErrBadToken):
		return errBadToken()
	case errors.Is(err, store.ErrIdempotencyMismatch):
		return &apiError{status: http.StatusUnprocessableEntity, code: codeIdempotencyMismatch}
	case errors.Is(err, store.ErrNotFound):
		return errNotFound()
	case errors.As(err, &mbe):
		return errTooLarge()
	case errors.As(err, &he):
		return &apiError{status: he.Code, code: codeForStatus(he.Code), cause: err}
	}
	return &apiError{status: http.StatusInternalServerError, code: codeInternal, cause: err}
}

// codeForStatus names Echo's own errors (routing, panics).
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return codeBadRequest
	case http.StatusUnauthorized:
		return codeUnauthorized
	case http.StatusForbidden:
		return codeForbidden
	case http.StatusNotFound:
		return codeNotFound
	case http.StatusMethodNotAllowed:
		return codeMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return codeTooLarge
	case http.StatusUnsupportedMediaType:
		return codeUnsupportedMediaType
	case http.StatusTooManyRequests:
		return codeRateLimited
	case http.StatusServiceUnavailable:
		return codeUnavailable
	}
	if status >= 500 {
		return codeInternal
	}
	return strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
}

// errorBody is the JSON error shape of the public contract:
// {"error": {"code": "…", "message": "…", "fields": {"title": "…"}}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"`
}

// handleError is Echo's HTTPErrorHandler: the one place errors become
// responses — JSON for API clients, an HTML page for browsers — in the
// user's language, with 5xx causes logged under the request id.
func (s *Server) handleError(err error, c echo.Context) {
	ae := toAPIError(err)
	s.noteFailure(c, ae, err)
	if c.Response().Committed {
		// Too late to answer; the failure is logged above (5xx) or by observe.
		return
	}

	lang := s.langOf(c)
	h := c.Response().Header()
	if ae.retryAfter > 0 {
		h.Set(echo.HeaderRetryAfter, strconv.Itoa(retrySeconds(ae.retryAfter)))
	}
	if ae.status == http.StatusUnauthorized {
		h.Set(echo.HeaderWWWAuthenticate, `Bearer realm="floorfeed"`)
	}

	detail := errorDetail{
		Code:    ae.code,
		Message: s.errorMessage(c, lang, ae),
		Fields:  make(map[string]string, len(ae.fields)),
	}
	for f, code := range ae.fields {
		detail.Fields[f] = s.text.fieldMessage(lang, f, code)
	}

	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(ae.status)
	case wantsHTML(c):
		werr = s.renderErrorPage(c, ae.status, lang.String(), detail)
	default:
		werr = c.JSON(ae.status, errorBody{Error: detail})
	}
	if werr != nil {
		s.log.Warn("writing error response failed", "request_id", requestIDOf(c), "err", werr)
	}
}

// noteFailure records the error code for the request log and metrics, and
// logs server-side failures (5xx) with their cause under the request id.
func (s *Server) noteFailure(c echo.Context, ae *apiError, err error) {
	c.Set(ctxErrorCode, ae.code)
	if ae.status >= http.StatusInternalServerError {
		s.log.Error("request failed", "request_id", requestIDOf(c), "route", c.Path(),
			"status", ae.status, "code", ae.code, "err", err)
	}
}

// retrySeconds is a Retry-After value: whole seconds, at least 1.
func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// errorMessage is the plain sentence for an error in lang.
func (s *Server) errorMessage(c echo.Context, lang i18n.Lang, ae *apiError) string {
	switch {
	case ae.code == codeRateLimited:
		return s.text.msg(lang, "err."+ae.code, retrySeconds(ae.retryAfter))
	case ae.code == codeUnavailable && (c.Path() != routeReports || c.Request().Method != http.MethodPost):
		// Only a submission has a report to keep.
		return s.text.msg(lang, "err.unavailable_read")
	}
	if msg, ok := s.text.lookup(lang, "err."+ae.code); ok {
		return msg
	}
	return http.StatusText(ae.status)
}

// wantsHTML reports whether the client should get an HTML page rather than
// JSON: the reporter's pages, a browser's form post, and unknown non-API
// URLs opened in a browser.
func wantsHTML(c echo.Context) bool {
	if html, _ := c.Get(ctxHTML).(bool); html {
		return true // a dashboard page
	}
	switch c.Path() {
	case routeForm, routeStatusPage:
		return true
	case routeReports:
		return isBrowserFormPost(c.Request())
	case routeUnmatched:
		return acceptsHTML(c.Request()) && !strings.HasPrefix(c.Request().URL.Path, "/api/")
	}
	return false
}

// acceptsHTML reports whether the client takes HTML (browsers say so; fetch
// and API clients normally do not).
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get(echo.HeaderAccept), echo.MIMETextHTML)
}
