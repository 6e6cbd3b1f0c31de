package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// Severity of a report.
type Severity string

// Severities, least to most urgent.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists the valid severities, least urgent first.
var Severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Status of a report in its life from the floor to R&D and back.
type Status string

// Statuses a report moves through.
const (
	StatusNew        Status = "new"         // accepted, not yet processed by a worker
	StatusReceived   Status = "received"    // processed, waiting for triage
	StatusTriaged    Status = "triaged"     // an R&D team has taken it
	StatusInProgress Status = "in_progress" // being worked on
	StatusResolved   Status = "resolved"    // done
	StatusClosed     Status = "closed"      // closed without action (not reproducible)
	StatusWontFix    Status = "wont_fix"    // R&D decided not to act on it
	StatusDuplicate  Status = "duplicate"   // merged into another report (see triage.Merge)
)

// Statuses lists the valid statuses in their usual order.
var Statuses = []Status{StatusNew, StatusReceived, StatusTriaged, StatusInProgress, StatusResolved, StatusClosed, StatusWontFix, StatusDuplicate}

// Role of the person reporting.
type Role string

// Roles a reporter can give.
const (
	RoleOperator   Role = "operator"
	RoleTechnician Role = "technician"
	RoleEngineer   Role = "engineer"
	RoleResearcher Role = "researcher"
	RoleOther      Role = "other"
)

// Roles lists the valid roles.
var Roles = []Role{RoleOperator, RoleTechnician, RoleEngineer, RoleResearcher, RoleOther}

// Field limits (in characters, not bytes).
const (
	MaxTitle    = 120
	MaxBody     = 5000
	MaxShort    = 100 // station, reporter, category, line
	MaxContact  = 200
	MaxIdemKey  = 128
	MaxLangCode = 10
)

// Report is one production issue logged from the floor.
type Report struct {
	ID       string   `json:"id"`      // UUID v7: sorts by creation time
	Code     string   `json:"code"`    // short human code, e.g. "K7QM-X2PD"
	Receipt  string   `json:"receipt"` // unguessable; the reporter's link to /s/{receipt}
	Line     string   `json:"line"`
	Category string   `json:"category"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Body     string   `json:"body,omitempty"`
	Station  string   `json:"station,omitempty"`
	Role     Role     `json:"role,omitempty"`
	Reporter string   `json:"reporter,omitempty"`
	Contact  string   `json:"contact,omitempty"`
	Lang     string   `json:"lang,omitempty"`

	Status      Status     `json:"status"`
	Team        string     `json:"team,omitempty"`
	Votes       int        `json:"votes,omitempty"`
	Reply       string     `json:"reply,omitempty"` // R&D's public answer to the reporter
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ProcessedAt *time.Time `json:"processed_at,omitempty"`
	Photos      []Photo    `json:"photos,omitempty"`
	History     []Event    `json:"history"`
}

// Photo is an image attached to a report. It arrives PhotoPending (the
// upload is stored as it came, never served) and becomes PhotoReady once
// the photo job has re-encoded it (Width and Height are then the
// re-encoded image's), or PhotoFailed if its pixels did not decode. URL and
// ThumbURL are filled in by the API that serves the photo, not stored.
type Photo struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	ThumbURL string `json:"thumb_url"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	// State is PhotoPending, PhotoReady or PhotoFailed; empty (reports
	// stored before photos had states) means ready.
	State string `json:"state,omitempty"`
}

// Photo states.
const (
	PhotoPending = "pending"
	PhotoReady   = "ready"
	PhotoFailed  = "failed"
)

// Ready reports whether p has been re-encoded and may be served.
func (p Photo) Ready() bool { return p.State == PhotoReady || p.State == "" }

// Event is one entry of a report's history. Nothing changes a report
// without appending one.
type Event struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`     // "reporter", "system", a user or token name
	Action string    `json:"action"` // "created", "received", "status", "team", "reply", "note"
	From   string    `json:"from,omitempty"`
	To     string    `json:"to,omitempty"`
	Text   string    `json:"text,omitempty"`
	// Internal events (notes) are never shown to the reporter.
	Internal bool `json:"internal,omitempty"`
}

// Event actions.
const (
	ActionCreated   = "created"
	ActionProcessed = "processed"
	ActionStatus    = "status"
	ActionTeam      = "team"
	ActionReply     = "reply"
	ActionNote      = "note"
	// ActionMerged: a duplicate (From: its id, Text: its code) was merged
	// into this report, with its votes and reporter.
	ActionMerged = "merged"
	// ActionDuplicate: this report was merged into another (To: its id,
	// Text: its code).
	ActionDuplicate = "duplicate"
)

// SetStatus changes the status and records who did it; a no-op if unchanged.
func (r *Report) SetStatus(s Status, by string, at time.Time) {
	if r.Status == s {
		return
	}
	r.History = append(r.History, Event{At: at, By: by, Action: ActionStatus, From: string(r.Status), To: string(s)})
	r.Status = s
	r.UpdatedAt = at
}

// SetTeam assigns the report to team ("" unassigns it) and records who did
// it; a no-op if unchanged.
func (r *Report) SetTeam(team, by string, at time.Time) {
	if r.Team == team {
		return
	}
	r.History = append(r.History, Event{At: at, By: by, Action: ActionTeam, From: r.Team, To: team})
	r.Team = team
	r.UpdatedAt = at
}

// SetReply sets R&D's public answer ("" withdraws it) and records it; a
// no-op if unchanged. The previous reply is the Text of the previous reply
// entry.
func (r *Report) SetReply(reply, by string, at time.Time) {
	if r.Reply == reply {
		return
	}
	r.History = append(r.History, Event{At: at, By: by, Action: ActionReply, Text: reply})
	r.Reply = reply
	r.UpdatedAt = at
}

// ValidationError lists invalid fields. Each value is a code ("required",
// "too_long", "invalid", "unknown") that the HTTP layer turns into a message
// in the reporter's language.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s := "invalid report:"
	for _, k := range keys {
		s += fmt.Sprintf(" %s %s;", k, e.Fields[k])
	}
	return s
}

// Validation codes.
const (
	CodeRequired = "required"
	CodeTooLong  = "too_long"
	CodeInvalid  = "invalid"
	CodeUnknown  = "unknown"
)

// Validate checks the reporter-supplied fields of r (lengths, enumerations,
// valid UTF-8). Whether the line and category exist is the plant's business
// and is checked by the caller.
func (r *Report) Validate() error {
	f := map[string]string{}
	check := func(name, v string, max int, required bool) {
		switch {
		case !utf8.ValidString(v):
			f[name] = CodeInvalid
		case required && v == "":
			f[name] = CodeRequired
		case utf8.RuneCountInString(v) > max:
			f[name] = CodeTooLong
		}
	}
	check("line", r.Line, MaxShort, true)
	check("title", r.Title, MaxTitle, true)
	check("body", r.Body, MaxBody, false)
	check("station", r.Station, MaxShort, false)
	check("category", r.Category, MaxShort, false)
	check("reporter", r.Reporter, MaxShort, false)
	check("contact", r.Contact, MaxContact, false)
	check("lang", r.Lang, MaxLangCode, false)
	if r.Severity != "" && !slices.Contains(Severities, r.Severity) {
		f["severity"] = CodeInvalid
	}
	if r.Role != "" && !slices.Contains(Roles, r.Role) {
		f["role"] = CodeInvalid
	}
	if len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// PageSize is f.Limit with the default and cap applied.
func (f Filter) PageSize() int {
	switch {
	case f.Limit <= 0:
		return DefaultLimit
	case f.Limit > MaxLimit:
		return MaxLimit
	}
	return f.Limit
}

// IDRange returns the half-open range [lo, hi) of report IDs that f's time
// range covers, as strings that compare like the IDs do. Combined with
// Cursor (IDs strictly below it), a backend can walk any index in order.
func (f Filter) IDRange() (lo, hi string) {
	lo = IDFloor(f.From)
	hi = "~" // above every ID
	if !f.To.IsZero() {
		hi = IDFloor(f.To)
	}
	if f.Cursor != "" && f.Cursor < hi {
		hi = f.Cursor
	}
	return lo, hi
}

// Page is one page of FindReports.
type Page struct {
	Reports []Report `json:"reports"`
	// NextCursor is empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// NewID returns a new UUID v7 for time t. IDs made for later times compare
// greater as strings, so ordering by ID is ordering by creation time.
func NewID(t time.Time) string {
	var b [16]byte
	if _, err := rand.Read(b[6:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	putMillis(&b, t)
	b[6] = b[6]&0x0f | 0x70 // version 7
	b[8] = b[8]&0x3f | 0x80 // variant 10
	return formatUUID(b)
}

// IDFloor returns the smallest ID string for time t: every ID made at or after
// t compares >= it, every ID made before compares <.
func IDFloor(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	var b [16]byte
	putMillis(&b, t)
	return formatUUID(b)
}

func putMillis(b *[16]byte, t time.Time) {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	var m [8]byte
	binary.BigEndian.PutUint64(m[:], uint64(ms))
	copy(b[0:6], m[2:8])
}

func formatUUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// crockford is Crockford's base32 alphabet: no I, L, O, U to misread.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewCode returns a short code people can read out over a radio, like
// "K7QM-X2PD" (40 random bits).
func NewCode() string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	v := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
	var s [9]byte
	for i := 8; i >= 0; i-- {
		if i == 4 {
			s[i] = '-'
			continue
		}
		s[i] = crockford[v&31]
		v >>= 5
	}
	return string(s[:])
}
