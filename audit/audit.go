// Package audit is the append-only log of who changed what and when:
// sign-ins (successful and failed), sign-outs, users, API tokens, settings
// and every triage change. Entries live in the store (store.Records), keyed
// by a UUID v7 of their time, so they list newest first and every instance
// sharing the store writes to one log. Nothing here updates or deletes an
// entry.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/store"
)

// Collection holds the entries, one per key (a UUID v7).
const Collection = "audit.log"

// Bounds of an entry's texts, in characters; longer ones are cut.
const (
	MaxActor  = 200
	MaxAction = 64
	MaxTarget = 200
	MaxDetail = 2000
)

const entrySchema = 1

// Actions the HTTP layer records (others may use their own words: an
// action is a short dotted name).
const (
	ActionLogin         = "login"
	ActionLoginFailed   = "login.failed"
	ActionLogout        = "logout"
	ActionLogoutAll     = "logout.everywhere"
	ActionPassword      = "user.password"
	ActionUserAdd       = "user.add"
	ActionUserRole      = "user.role"
	ActionUserDisable   = "user.disable"
	ActionUserEnable    = "user.enable"
	ActionTokenCreate   = "token.create"
	ActionTokenRevoke   = "token.revoke"
	ActionReportTriage  = "report.triage"
	ActionSettingChange = "settings.change"
)

// Entry is one line of the log.
type Entry struct {
	Schema int       `json:"schema"`
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
}

// Log appends to and reads the audit log.
type Log struct {
	rec store.Records
	now func() time.Time
}

// New returns the log over rec; now nil means time.Now.
func New(rec store.Records, now func() time.Time) (*Log, error) {
	if rec == nil {
		return nil, errors.New("audit.New: missing Records")
	}
	if now == nil {
		now = time.Now
	}
	return &Log{rec: rec, now: now}, nil
}

// Audit appends an entry: actor did action to target (detail says how).
// It never replaces an entry.
func (l *Log) Audit(ctx context.Context, actor, action, target, detail string) error {
	if action == "" {
		return errors.New("audit: empty action")
	}
	at := l.now().UTC()
	e := Entry{Schema: entrySchema, At: at, Actor: cut(actor, MaxActor), Action: cut(action, MaxAction),
		Target: cut(target, MaxTarget), Detail: cut(detail, MaxDetail)}
	for range 3 {
		e.ID = store.NewID(at)
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
		created, err := l.rec.CreateRecord(ctx, Collection, e.ID, b)
		if err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
		if created {
			return nil
		}
		// 74 random bits collided: take another id.
	}
	return fmt.Errorf("audit %s: no free id", action)
}

// List returns up to limit entries (store.DefaultLimit when 0) older than
// the entry with id before ("" for the newest), newest first, and the
// cursor of the next page ("" on the last).
func (l *Log) List(ctx context.Context, before string, limit int) ([]Entry, string, error) {
	opts := store.ListOptions{After: before, Reverse: true, Limit: limit}
	size := min(opts.PageSize(), store.MaxLimit-1)
	opts.Limit = size + 1 // one more, to know whether another page follows
	recs, err := l.rec.ListRecords(ctx, Collection, opts)
	if err != nil {
		return nil, "", fmt.Errorf("list audit log: %w", err)
	}
	next := ""
	if len(recs) > size {
		recs = recs[:size]
		next = recs[size-1].Key
	}
	out := make([]Entry, 0, len(recs))
	for _, r := range recs {
		var e Entry
		if err := json.Unmarshal(r.Value, &e); err != nil {
			return nil, "", fmt.Errorf("decode audit entry %s: %w", r.Key, err)
		}
		out = append(out, e)
	}
	return out, next, nil
}

// cut shortens s to at most n characters, marking the cut.
func cut(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
