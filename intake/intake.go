// Package intake turns what a reporter typed into a stored report: it
// normalises and validates the input against the plant, checks the line's
// QR token, builds the report with its ids, receipt and first history entry,
// and hands it to the store together with its processing job in one atomic,
// idempotent step.
//
// It is used by the HTTP handlers and by `floorfeed demo`, so it knows
// nothing about HTTP.
package intake

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
)

// ErrBadToken means the QR token does not belong to the line: the form URL
// was forged, mistyped, or printed under an older secret.
var ErrBadToken = errors.New("intake: bad line token")

// DefaultSeverity and DefaultCategory are used when the reporter leaves them empty.
const (
	DefaultSeverity = store.SeverityMedium
	DefaultCategory = "other"
)

// Input is one report as a reporter sends it. The JSON names are the
// design's field names; the HTML form posts the same names.
type Input struct {
	Line     string `json:"line"`
	Token    string `json:"token"`
	Category string `json:"category"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Station  string `json:"station"`
	Role     string `json:"role"`
	Reporter string `json:"reporter"`
	Contact  string `json:"contact"`
	Lang     string `json:"lang"`
}

// Meta is what the caller knows about a submission besides its content.
type Meta struct {
	// IdempotencyKey guards against double submission; empty means a random
	// key, so no deduplication.
	IdempotencyKey string
	// At is the time of submission; zero means Deps.Now().
	At time.Time
	// SkipToken skips the QR token check, for trusted callers such as demo.
	SkipToken bool
	// ReportID is the new report's id when the caller made it already
	// (store.NewID), to store the report's photos under it before the
	// report; empty means a new one.
	ReportID string
	// Photos are the report's photos, already stored (pending).
	Photos []store.Photo
}

// Submitter stores a submission atomically and idempotently
// (store.Reports.Submit). It returns store.ErrIdempotencyMismatch when the key
// was used with another payload, and store.ErrUnavailable (or another error)
// when the store cannot take the report.
type Submitter interface {
	Submit(ctx context.Context, sub store.Submission) (store.Report, bool, error)
}

// Deps are what a Service needs.
type Deps struct {
	Store  Submitter
	Plant  *plant.Plant
	Signer *signing.Signer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service accepts reports. It is safe for concurrent use.
type Service struct {
	store  Submitter
	plant  *plant.Plant
	signer *signing.Signer
	now    func() time.Time
}

// New returns a Service. Store, Plant and Signer must be set.
func New(d Deps) *Service {
	if d.Store == nil || d.Plant == nil || d.Signer == nil {
		panic("intake.New: Store, Plant and Signer are required") // a wiring bug, not a runtime condition
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Service{store: d.Store, plant: d.Plant, signer: d.Signer, now: now}
}

// Submit validates in, builds the report and stores it with its processing
// job. It returns the stored report and whether it was created now (false for
// a replay of the same idempotency key and payload, which writes nothing).
//
// Errors: *store.ValidationError for invalid fields (an unknown line is
// reported before the token is checked), ErrBadToken for a wrong QR token,
// store.ErrIdempotencyMismatch when the key was used with another payload,
// and the store's error (wrapped) when it cannot take the report.
func (s *Service) Submit(ctx context.Context, in Input, m Meta) (store.Report, bool, error) {
	in, line, err := s.check(in, m)
	if err != nil {
		return store.Report{}, false, err
	}

	at := m.At
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC() // also drops the monotonic reading, so stored and returned times compare equal

	key := m.IdempotencyKey
	if key == "" {
		key = randomKey()
	}

	id := m.ReportID
	if id == "" {
		id = store.NewID(at)
	}
	r := store.Report{
		ID:        id,
		Code:      store.NewCode(),
		Receipt:   s.signer.Receipt(id),
		Line:      in.Line,
		Category:  in.Category,
		Severity:  store.Severity(in.Severity),
		Title:     in.Title,
		Body:      in.Body,
		Station:   in.Station,
		Role:      store.Role(in.Role),
		Reporter:  in.Reporter,
		Contact:   in.Contact,
		Lang:      in.Lang,
		Status:    store.StatusNew,
		Team:      line.Team,
		CreatedAt: at,
		UpdatedAt: at,
		Photos:    m.Photos,
		History: []store.Event{{
			At: at, By: "reporter", Action: store.ActionCreated, To: string(store.StatusNew),
		}},
	}
	sub := store.Submission{
		Report:         r,
		IdempotencyKey: key,
		PayloadHash:    PayloadHash(in),
		Job: store.Job{
			ID: store.NewID(at), Type: store.JobProcessReport, ReportID: id, EnqueuedAt: at,
		},
	}
	stored, created, err := s.store.Submit(ctx, sub)
	if err != nil {
		return store.Report{}, false, fmt.Errorf("submit report for line %s: %w", in.Line, err)
	}
	return stored, created, nil
}

// Check runs Submit's checks (fields, plant, QR token) without storing
// anything, so that a caller can refuse a report before it writes its
// photos. It returns the errors Submit would return before the store.
func (s *Service) Check(in Input, m Meta) error {
	_, _, err := s.check(in, m)
	return err
}

// check normalises and validates in, returning it with its line.
func (s *Service) check(in Input, m Meta) (Input, plant.Line, error) {
	categoryGiven := strings.TrimSpace(in.Category) != ""
	in = Normalize(in)
	if _, ok := s.plant.Category(in.Category); !categoryGiven && !ok {
		in.Category = "" // the plant has no default category: the reporter must choose
	}

	fields := map[string]string{}
	if utf8.RuneCountInString(m.IdempotencyKey) > store.MaxIdemKey {
		fields["idempotency_key"] = store.CodeTooLong
	}
	line, lineOK := s.plant.Line(in.Line)
	if in.Line != "" && !lineOK {
		fields["line"] = store.CodeUnknown
	}
	// A report for a line that does not exist is a validation error whatever
	// its token; say everything that is wrong with it at once.
	if len(fields) > 0 || in.Line == "" {
		return in, line, s.validate(in, fields)
	}
	if !m.SkipToken && !s.signer.CheckLineToken(in.Line, in.Token) {
		return in, line, ErrBadToken
	}
	if err := s.validate(in, fields); err != nil {
		return in, line, err
	}
	return in, line, nil
}

// validate runs the store's field checks and the plant's category check on
// normalised input, adding to fields, and returns a *store.ValidationError
// if anything is wrong.
func (s *Service) validate(in Input, fields map[string]string) error {
	r := store.Report{
		Line: in.Line, Category: in.Category, Severity: store.Severity(in.Severity),
		Title: in.Title, Body: in.Body, Station: in.Station, Role: store.Role(in.Role),
		Reporter: in.Reporter, Contact: in.Contact, Lang: in.Lang,
	}
	var ve *store.ValidationError
	if err := r.Validate(); errors.As(err, &ve) {
		for k, v := range ve.Fields {
			if _, ok := fields[k]; !ok {
				fields[k] = v
			}
		}
	}
	if _, done := fields["category"]; !done {
		switch _, ok := s.plant.Category(in.Category); {
		case in.Category == "":
			// Only when the plant has no "other" category to default to.
			fields["category"] = store.CodeRequired
		case !ok:
			fields["category"] = store.CodeUnknown
		}
	}
	if in.Lang == langInvalid {
		fields["lang"] = store.CodeInvalid
	}
	if len(fields) > 0 {
		return &store.ValidationError{Fields: fields}
	}
	return nil
}

// Normalize cleans every field (control and bidi override characters
// removed, see hygiene.go), trims it, lower-cases the identifiers (line,
// category, severity, role: "HIGH" is "high" everywhere), turns CRLF line
// ends into LF, fills in the default
// severity and category, and reduces lang to "zh", "en" or another primary
// language subtag ("zh-CN" → "zh", "en_GB" → "en", "de-AT" → "de").
// Normalize is idempotent.
//
// Category defaults to "other" here; Submit leaves it empty (and reports it
// as required) only when the plant has no "other" category.
func Normalize(in Input) Input {
	trim := func(s string) string { return strings.TrimSpace(cleanText(s, false)) }
	lower := func(s string) string { return strings.ToLower(trim(s)) }
	out := Input{
		Line:     lower(in.Line),
		Token:    trim(in.Token),
		Category: lower(in.Category),
		Severity: lower(in.Severity),
		Title:    trim(in.Title),
		Body:     strings.TrimSpace(cleanText(in.Body, true)),
		Station:  trim(in.Station),
		Role:     lower(in.Role),
		Reporter: trim(in.Reporter),
		Contact:  trim(in.Contact),
		Lang:     NormalizeLang(in.Lang),
	}
	if out.Severity == "" {
		out.Severity = string(DefaultSeverity)
	}
	if out.Category == "" {
		out.Category = DefaultCategory
	}
	return out
}

// langInvalid marks a lang value that is not a language tag; Submit reports
// it as invalid. It cannot collide with a real subtag (those are letters).
const langInvalid = "!"

// NormalizeLang reduces a language tag to its lower-case primary subtag:
// "zh-CN", "zh_Hans" → "zh"; "en-US" → "en"; "" → "". A value that is not a
// language tag (not 2–8 ASCII letters before the first '-' or '_') comes back
// as an invalid marker that Submit rejects.
func NormalizeLang(tag string) string {
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return ""
	}
	if tag == langInvalid {
		return langInvalid
	}
	primary, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	primary = strings.ToLower(primary)
	if len(primary) < 2 || len(primary) > 8 {
		return langInvalid
	}
	for _, c := range primary {
		if c < 'a' || c > 'z' {
			return langInvalid
		}
	}
	return primary
}

// PayloadHash is the hex SHA-256 of a canonical encoding of the normalised
// input without its token (a re-printed QR code must not turn a retry into
// a different payload). Each field is written as name, length and value, so
// no two different inputs encode alike.
func PayloadHash(in Input) string {
	in = Normalize(in)
	fields := [...]struct{ name, v string }{
		{"line", in.Line}, {"category", in.Category}, {"severity", in.Severity},
		{"title", in.Title}, {"body", in.Body}, {"station", in.Station},
		{"role", in.Role}, {"reporter", in.Reporter}, {"contact", in.Contact},
		{"lang", in.Lang},
	}
	// One buffer, hashed at once: the bytes of one Write per field.
	n := len(payloadHashHeader)
	for _, f := range fields {
		n += len(f.name) + len(f.v) + 24
	}
	b := append(make([]byte, 0, n), payloadHashHeader...)
	for _, f := range fields {
		b = append(b, f.name...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(len(f.v)), 10)
		b = append(b, ':')
		b = append(b, f.v...)
		b = append(b, '\n')
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// payloadHashHeader starts PayloadHash's input: its version.
const payloadHashHeader = "floorfeed-report-v1\n"

// randomKey is an idempotency key nobody else will send: without a client
// key there is nothing to deduplicate against.
func randomKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return "auto-" + hex.EncodeToString(b[:])
}
