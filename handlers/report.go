package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/metrics"
	"github.com/floorfeed/floorfeed/store"
)

// maxFormFieldBytes bounds one text field of a multipart form: more than
// any valid field (5,000 characters of up to 4 bytes).
const maxFormFieldBytes = 32 << 10

// headerIdempotencyKey carries the client's idempotency key; HTML forms
// send it as the hidden field formIdempotencyKey instead.
const (
	headerIdempotencyKey = "Idempotency-Key"
	formIdempotencyKey   = "idempotency_key"
)

// submitResponse is the body of 201 and of the 200 replay.
type submitResponse struct {
	ID        string       `json:"id"`
	Code      string       `json:"code"`
	Receipt   string       `json:"receipt"`
	StatusURL string       `json:"status_url"`
	Status    store.Status `json:"status"`
}

// handleReportCreate serves POST /api/v1/reports: JSON, form-encoded or
// multipart. It answers 201 with the receipt for a new report and 200 with
// the same body for a replay of the same Idempotency-Key; a browser form
// post gets a 303 to the status page instead, or the form again with the
// problems marked.
//
// The rate limit (per line and client address) applies to new reports only: a replay of an accepted
// report is answered from the store whatever the limit (see limitSubmission),
// and one that the limiter admitted gives its token back.
//
// Any failure of the store is a 503 (with Retry-After): the client keeps the
// report and retries with the same key, which can never create a duplicate.
func (s *Server) handleReportCreate(c echo.Context) error {
	req := c.Request()
	key := req.Header.Get(headerIdempotencyKey)
	if utf8.RuneCountInString(key) > store.MaxIdemKey {
		return errValidation(map[string]string{"idempotency_key": store.CodeTooLong})
	}

	var up *uploads
	if s.photos != nil {
		bctx, bcancel := context.WithTimeout(req.Context(), uploadWait)
		defer bcancel()
		up = &uploads{budget: s.uploadBudget, ctx: bctx}
		defer up.done()
	}
	in, formKey, err := decodeReport(req, up)
	if err != nil {
		return err
	}
	if key == "" {
		key = formKey
	}
	setLang(c, in.Lang)
	if utf8.RuneCountInString(key) > store.MaxIdemKey {
		return errValidation(map[string]string{"idempotency_key": store.CodeTooLong})
	}
	if up != nil && up.problem != nil {
		return s.submitFailed(c, in, key, photoError(up.problem))
	}

	// The report is stored even if the phone drops the connection meanwhile:
	// its retry will then get the 200 replay instead of a duplicate.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), submitStoreBudget)
	defer cancel()

	release, stored, err := s.limitSubmission(ctx, c, in, key)
	if err != nil {
		return s.submitFailed(c, in, key, err)
	}
	defer release()
	if stored != nil {
		return s.answerSubmitted(c, *stored, false)
	}

	var (
		r       store.Report
		created bool
	)
	if up != nil && len(up.photos) > 0 {
		r, created, err = s.submitWithPhotos(ctx, c, in, key, up)
	} else {
		r, created, err = s.intake.Submit(ctx, in, intake.Meta{IdempotencyKey: key})
	}
	if err != nil {
		var ve *store.ValidationError
		if !errors.As(err, &ve) && !errors.Is(err, intake.ErrBadToken) && !errors.Is(err, store.ErrIdempotencyMismatch) {
			err = errUnavailable(err)
		}
		return s.submitFailed(c, in, key, err)
	}
	if !created && s.limiter != nil {
		// The limiter admitted a replay: it made no new report, so it
		// gives its token back.
		s.refundSubmission(ctx, c, s.submitLimitKey(c, in))
	}
	return s.answerSubmitted(c, r, created)
}

// limitSubmission applies the per-IP rate limit to a submission, to new
// reports only. When the limiter admits it, it returns a release func to
// call once the submission is decided, and nothing else: the hot path costs
// no store round trip. When the limiter refuses it and the client sent an
// idempotency key and the line's right QR token, the store is asked whether
// that key already holds this payload's report; if so, that report is returned (answer it as a replay),
// if it holds another payload's, store.ErrIdempotencyMismatch, and
// otherwise the 429.
//
// Submissions of one key are serialised on this instance (keyLocks): the
// second of two that arrive together waits for the first to be stored, and
// then finds it, instead of being refused while the first is in flight.
// Across instances (several behind one Redis) a replay that races its
// original on another instance may still get a 429, and its retry the 200.
func (s *Server) limitSubmission(ctx context.Context, c echo.Context, in intake.Input, key string) (release func(), stored *store.Report, err error) {
	release = func() {}
	if s.limiter == nil {
		return release, nil, nil
	}
	if key != "" {
		unlock, err := s.submitting.lock(ctx, key)
		if err != nil {
			return nil, nil, errUnavailable(fmt.Errorf("wait for another submission with the same idempotency key: %w", err))
		}
		release = unlock
	}
	ok, wait := s.allowSubmission(ctx, c, s.submitLimitKey(c, in))
	if ok {
		return release, nil, nil
	}
	refused := errRateLimited(wait)
	norm := intake.Normalize(in)
	// Without a key there is nothing to replay; with a wrong QR token the
	// store is not asked (Submit would refuse it before the store too).
	if key == "" || !s.signer.CheckLineToken(norm.Line, norm.Token) {
		release()
		return nil, nil, refused
	}
	rctx, cancel := context.WithTimeout(ctx, storeReadTimeout)
	defer cancel()
	r, err := s.replays.ReportByIdempotencyKey(rctx, key, intake.PayloadHash(in))
	switch {
	case err == nil:
		return release, &r, nil
	case errors.Is(err, store.ErrIdempotencyMismatch):
		release()
		return nil, nil, fmt.Errorf("rate-limited submission: %w", err)
	case !errors.Is(err, store.ErrNotFound):
		// The limiter's answer stands: the client retries after Retry-After
		// either way, and then the store may answer.
		s.log.Warn("look up a rate-limited submission's idempotency key", "request_id", requestIDOf(c), "err", err)
	}
	release()
	return nil, nil, refused
}

// submitFailed answers a submission that did not go through: a browser's
// form post gets the form again where that helps, anyone else the error.
func (s *Server) submitFailed(c echo.Context, in intake.Input, key string, err error) error {
	if isBrowserFormPost(c.Request()) {
		if shown, rerr := s.renderFormAgain(c, in, key, err); shown {
			return rerr
		}
	}
	return err
}

// answerSubmitted answers a stored submission: 201 when created now, 200
// for a replay, or a 303 to the status page for a browser's form post.
func (s *Server) answerSubmitted(c echo.Context, r store.Report, created bool) error {
	status, outcome := http.StatusOK, metrics.OutcomeReplayed
	if created {
		status, outcome = http.StatusCreated, metrics.OutcomeCreated
	}
	c.Set(ctxOutcome, outcome)
	statusURL := "/s/" + r.Receipt
	if isBrowserFormPost(c.Request()) {
		return c.Redirect(http.StatusSeeOther, statusURL)
	}
	// A replay answers with the body of the first answer: a report always
	// starts as "new", whatever has happened to it since (status_url tells).
	resp := submitResponse{ID: r.ID, Code: r.Code, Receipt: r.Receipt, StatusURL: statusURL, Status: store.StatusNew}
	if b, ok := resp.appendJSON(make([]byte, 0, 160)); ok && !c.Echo().Debug && c.Request().URL.RawQuery == "" {
		return c.JSONBlob(status, b)
	}
	return c.JSON(status, resp) // pretty-printed (debug, ?pretty), or with bytes to escape
}

// appendJSON appends what c.JSON writes for r (json.Encoder's encoding and
// newline), sparing the reflection on every submission. It handles values
// of plain printable ASCII, which is what the server makes (ids, codes,
// base64url receipts); ok is false for anything json would escape.
func (r *submitResponse) appendJSON(b []byte) (_ []byte, ok bool) {
	for _, f := range [...]struct{ key, v string }{
		{`{"id":"`, r.ID}, {`","code":"`, r.Code}, {`","receipt":"`, r.Receipt},
		{`","status_url":"`, r.StatusURL}, {`","status":"`, string(r.Status)},
	} {
		for j := 0; j < len(f.v); j++ {
			if c := f.v[j]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return b, false
			}
		}
		b = append(append(b, f.key...), f.v...)
	}
	return append(b, "\"}\n"...), true
}

// isBrowserFormPost reports whether r is an HTML form submitted by a
// browser, which expects a page back rather than JSON.
func isBrowserFormPost(r *http.Request) bool {
	if r.Method != http.MethodPost || !acceptsHTML(r) {
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	return mt == echo.MIMEApplicationForm || mt == echo.MIMEMultipartForm
}

// decodeReport reads the report from the body according to its
// Content-Type, returning the form's hidden idempotency key if there is one.
// Errors: 415 for a missing or other type, 400 bad_request for a body that
// cannot be read, *http.MaxBytesError (413) for one over the limit.
func decodeReport(r *http.Request, up *uploads) (intake.Input, string, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil {
		return intake.Input{}, "", errUnsupported()
	}
	switch mt {
	case echo.MIMEApplicationJSON:
		in, err := decodeJSON(r.Body, r.ContentLength)
		return in, "", err
	case echo.MIMEApplicationForm:
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return intake.Input{}, "", bodyReadError(err)
		}
		vals, err := url.ParseQuery(string(b))
		if err != nil {
			return intake.Input{}, "", errBadRequest(err, nil)
		}
		return inputFromForm(vals), vals.Get(formIdempotencyKey), nil
	case echo.MIMEMultipartForm:
		vals, err := readMultipart(r.Body, params["boundary"], up)
		if err != nil {
			return intake.Input{}, "", err
		}
		return inputFromForm(vals), vals.Get(formIdempotencyKey), nil
	}
	return intake.Input{}, "", errUnsupported()
}

// readMultipart reads a multipart form's text fields, and its `photo`
// parts into up (see photos.go; without up they are dropped). Other file
// parts and unknown fields are read past and dropped; the body limit still
// counts them.
func readMultipart(body io.Reader, boundary string, up *uploads) (url.Values, error) {
	if boundary == "" {
		return nil, errBadRequest(errors.New("multipart body without boundary"), nil)
	}
	mr := multipart.NewReader(body, boundary)
	vals := url.Values{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return vals, nil
		}
		if err != nil {
			return nil, bodyReadError(err)
		}
		if p.FormName() == "photo" && up != nil {
			if err := up.read(p); err != nil {
				return nil, err
			}
			continue
		}
		if p.FileName() != "" || p.FormName() == "photo" || !isFormField(p.FormName()) {
			if _, err := io.Copy(io.Discard, p); err != nil {
				return nil, bodyReadError(err)
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, maxFormFieldBytes+1))
		if err != nil {
			return nil, bodyReadError(err)
		}
		if len(b) > maxFormFieldBytes {
			return nil, errTooLarge()
		}
		vals.Add(p.FormName(), string(b))
	}
}

// bodyReadError keeps the body limit's error (413) and makes anything else
// a 400.
func bodyReadError(err error) error {
	if errors.As(err, new(*http.MaxBytesError)) {
		return err
	}
	return errBadRequest(err, nil)
}

// isFormField reports whether name is a field the report form posts.
func isFormField(name string) bool {
	switch name {
	case "line", "token", "category", "severity", "title", "body", "station",
		"role", "reporter", "contact", "lang", formIdempotencyKey:
		return true
	}
	return false
}

// inputFromForm takes the report fields of a form (the JSON names).
func inputFromForm(v url.Values) intake.Input {
	return intake.Input{
		Line: v.Get("line"), Token: v.Get("token"), Category: v.Get("category"),
		Severity: v.Get("severity"), Title: v.Get("title"), Body: v.Get("body"),
		Station: v.Get("station"), Role: v.Get("role"), Reporter: v.Get("reporter"),
		Contact: v.Get("contact"), Lang: v.Get("lang"),
	}
}
