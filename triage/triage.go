// Package triage is the one place that changes what R&D decides about a
// report — its status, its team, the reply to the reporter — and adds
// internal notes, each change with its history entry; and it decides what
// the reporter may see of a report (PublicView).
//
// Every change is checked before the store is asked (a known status, a team
// the plant knows, bounded texts) and applied in one atomic step through
// the store's UpdateReport. Setting a value it already has is a no-op:
// nothing is written and no history entry appears.
package triage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

// Length limits of the texts triage takes, in characters.
const (
	// MaxReply bounds the reply to the reporter: a few paragraphs on a phone.
	MaxReply = 2000
	// MaxNote bounds an internal note.
	MaxNote = store.MaxBody
	// MaxActor bounds who made a change (a user or API token name).
	MaxActor = store.MaxShort
)

// Reports is what triage needs of the store (implemented by store.Reports).
type Reports interface {
	// UpdateReport loads report id, calls fn on it and stores the result in
	// one atomic step; fn may run more than once. It returns fn's error
	// (wrapped) if fn fails, and store.ErrNotFound (wrapped) if there is no
	// such report.
	UpdateReport(ctx context.Context, id string, fn func(*store.Report) error) (store.Report, error)
}

// Teams says which R&D teams exist (implemented by *plant.Plant).
type Teams interface {
	// Team returns the team with id, and whether there is one.
	Team(id string) (plant.Team, bool)
}

// Deps are what a Service needs; Reports and Teams are required.
type Deps struct {
	Reports Reports
	Teams   Teams
	// Now stamps history entries; nil means time.Now.
	Now func() time.Time
}

// Service applies triage changes. It is safe for concurrent use.
type Service struct {
	reports Reports
	teams   Teams
	now     func() time.Time
}

// New returns a Service.
func New(d Deps) (*Service, error) {
	if d.Reports == nil || d.Teams == nil {
		return nil, errors.New("triage.New: Reports and Teams are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{reports: d.Reports, teams: d.Teams, now: d.Now}, nil
}

// Change is what one triage step changes; nil fields are left alone.
type Change struct {
	// Status is the new status: any known one except store.StatusNew, which
	// belongs to reports the worker has not processed yet.
	Status *store.Status
	// Team is the id of the team that takes the report (one the plant
	// knows), or "" to unassign it.
	Team *string
	// Reply is the public answer to the reporter (at most MaxReply
	// characters, surrounding spaces trimmed); "" withdraws it.
	Reply *string
	// Note is an internal note, never shown to the reporter: not empty, at
	// most MaxNote characters. A note is always added, even one repeating
	// an earlier note.
	Note *string
}

// ErrBadActor is returned (wrapped) when the name a change is made under is
// empty, too long, or one of the names the reporter is shown (ByReporter,
// BySystem, ByRnD): R&D's change would look like the reporter's own.
var ErrBadActor = errors.New("invalid actor name")

// errUnchanged aborts an update that would change nothing, so nothing is
// written.
var errUnchanged = errors.New("unchanged")

// Apply makes the changes ch to report id on behalf of by (a user or API
// token name), appending one history entry per change that changes
// something, all stamped with the same time. It returns the report as
// stored afterwards (as it was, if nothing changed).
//
// Errors: a *store.ValidationError naming each invalid field of ch (codes
// store.CodeInvalid, CodeUnknown, CodeRequired, CodeTooLong) and
// ErrBadActor, both before the store is asked; store.ErrNotFound (wrapped)
// for an unknown id; the store's errors (wrapped) otherwise.
func (s *Service) Apply(ctx context.Context, id, by string, ch Change) (store.Report, error) {
	by = strings.TrimSpace(by)
	switch {
	case by == "" || utf8.RuneCountInString(by) > MaxActor || !utf8.ValidString(by):
		return store.Report{}, fmt.Errorf("triage report %s: %w %q: want 1 to %d characters", id, ErrBadActor, by, MaxActor)
	case by == ByReporter || by == BySystem || by == ByRnD:
		return store.Report{}, fmt.Errorf("triage report %s: %w %q: reserved", id, ErrBadActor, by)
	}
	ch, err := s.normalize(ch)
	if err != nil {
		return store.Report{}, fmt.Errorf("triage report %s: %w", id, err)
	}
	at := s.now()
	var unchanged store.Report
	r, err := s.reports.UpdateReport(ctx, id, func(r *store.Report) error {
		if !apply(r, by, at, ch) {
			unchanged = *r
			return errUnchanged
		}
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		return unchanged, nil
	case err != nil:
		return store.Report{}, fmt.Errorf("triage report %s: %w", id, err)
	}
	return r, nil
}

// SetStatus changes the status of report id; see Apply.
func (s *Service) SetStatus(ctx context.Context, id, by string, status store.Status) (store.Report, error) {
	return s.Apply(ctx, id, by, Change{Status: &status})
}

// AssignTeam gives report id to a team ("" unassigns it); see Apply.
func (s *Service) AssignTeam(ctx context.Context, id, by, team string) (store.Report, error) {
	return s.Apply(ctx, id, by, Change{Team: &team})
}

// Reply sets the public answer to the reporter of report id; see Apply.
func (s *Service) Reply(ctx context.Context, id, by, reply string) (store.Report, error) {
	return s.Apply(ctx, id, by, Change{Reply: &reply})
}

// AddNote adds an internal note to report id; see Apply.
func (s *Service) AddNote(ctx context.Context, id, by, note string) (store.Report, error) {
	return s.Apply(ctx, id, by, Change{Note: &note})
}

// normalize trims ch's texts and checks every field, reporting all problems
// at once.
func (s *Service) normalize(ch Change) (Change, error) {
	bad := map[string]string{}
	if ch.Status != nil {
		st := store.Status(strings.TrimSpace(string(*ch.Status)))
		if !slices.Contains(store.Statuses, st) || st == store.StatusNew {
			bad["status"] = store.CodeInvalid
		}
		ch.Status = &st
	}
	if ch.Team != nil {
		team := strings.TrimSpace(*ch.Team)
		if _, ok := s.teams.Team(team); team != "" && !ok {
			bad["team"] = store.CodeUnknown
		}
		ch.Team = &team
	}
	if ch.Reply != nil {
		reply := strings.TrimSpace(*ch.Reply)
		if code := checkText(reply, MaxReply, false); code != "" {
			bad["reply"] = code
		}
		ch.Reply = &reply
	}
	if ch.Note != nil {
		note := strings.TrimSpace(*ch.Note)
		if code := checkText(note, MaxNote, true); code != "" {
			bad["note"] = code
		}
		ch.Note = &note
	}
	if len(bad) > 0 {
		return Change{}, &store.ValidationError{Fields: bad}
	}
	return ch, nil
}

// checkText returns the problem code of a text field, "" if it is fine.
func checkText(v string, max int, required bool) string {
	switch {
	case !utf8.ValidString(v):
		return store.CodeInvalid
	case required && v == "":
		return store.CodeRequired
	case utf8.RuneCountInString(v) > max:
		return store.CodeTooLong
	}
	return ""
}

// apply makes the (already checked) changes on r and reports whether
// anything changed. It only touches r: UpdateReport may call it again on a
// fresh copy.
func apply(r *store.Report, by string, at time.Time, ch Change) bool {
	n := len(r.History)
	if ch.Status != nil {
		r.SetStatus(*ch.Status, by, at)
	}
	if ch.Team != nil {
		r.SetTeam(*ch.Team, by, at)
	}
	if ch.Reply != nil {
		r.SetReply(*ch.Reply, by, at)
	}
	if ch.Note != nil {
		r.History = append(r.History, store.Event{At: at, By: by, Action: store.ActionNote, Text: *ch.Note, Internal: true})
		r.UpdatedAt = at
	}
	return len(r.History) > n
}
