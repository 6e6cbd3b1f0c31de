package triage

import (
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// Who did something, as the reporter is shown it.
const (
	// ByReporter: the reporter themself (the report was submitted).
	ByReporter = "reporter"
	// BySystem: Floorfeed itself (the worker processed the report).
	BySystem = "system"
	// ByRnD: anyone at R&D — a person or an API token; their names are
	// not the reporter's business.
	ByRnD = "R&D"
)

// PublicReport is a report as its reporter sees it (the receipt): what
// became of it and R&D's reply — never internal notes, nor who at R&D did
// what, nor anyone's name or contact details (not even the reporter's own:
// a receipt link can be forwarded).
type PublicReport struct {
	Code   string       `json:"code"`
	Line   string       `json:"line"`
	Title  string       `json:"title"`
	Status store.Status `json:"status"`
	// CreatedAt is when the report was submitted.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is the time of the latest public history entry (CreatedAt
	// if none): an internal note must not show as an unexplained update.
	UpdatedAt time.Time     `json:"updated_at"`
	History   []PublicEvent `json:"history"`
	// Reply is R&D's current answer; "" for none.
	Reply string `json:"reply"`
}

// PublicEvent is a history entry as the reporter sees it.
type PublicEvent struct {
	At time.Time `json:"at"`
	// By is ByReporter, BySystem or ByRnD.
	By     string `json:"by"`
	Action string `json:"action"`
	// From and To are the statuses or team ids of a change.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Text is the reply of a reply entry; other entries have none.
	Text string `json:"text,omitempty"`
}

// publicActions are the history actions a reporter sees. It is a list of
// what may be shown rather than of what may not, so that an action added
// later stays internal until someone decides otherwise.
var publicActions = map[string]bool{
	store.ActionCreated:   true,
	store.ActionProcessed: true,
	store.ActionStatus:    true,
	store.ActionTeam:      true,
	store.ActionReply:     true,
}

// PublicView returns the reporter's view of r.
func PublicView(r store.Report) PublicReport {
	v := PublicReport{
		Code: r.Code, Line: r.Line, Title: r.Title, Status: r.Status,
		CreatedAt: r.CreatedAt, UpdatedAt: r.CreatedAt, Reply: r.Reply,
		History: []PublicEvent{},
	}
	for _, ev := range r.History {
		if ev.Internal || !publicActions[ev.Action] {
			continue
		}
		pe := PublicEvent{At: ev.At, By: PublicActor(ev.By), Action: ev.Action, From: ev.From, To: ev.To}
		if ev.Action == store.ActionReply {
			pe.Text = ev.Text
		}
		v.History = append(v.History, pe)
		if ev.At.After(v.UpdatedAt) {
			v.UpdatedAt = ev.At
		}
	}
	return v
}

// PublicActor is who made a change as the reporter is shown it: the
// reporter and the system as themselves, everyone else as ByRnD.
func PublicActor(by string) string {
	switch by {
	case ByReporter, BySystem:
		return by
	}
	return ByRnD
}
