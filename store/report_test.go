package store

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewIDSortsByTime(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 1000 {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		id := NewID(at)
		if len(id) != 36 || id[14] != '7' {
			t.Fatalf("NewID = %q, want a 36-char UUID v7", id)
		}
		if id <= prev {
			t.Fatalf("NewID(%v) = %s, not after %s", at, id, prev)
		}
		if fl := IDFloor(at); fl > id || IDFloor(at.Add(time.Millisecond)) <= id {
			t.Fatalf("IDFloor around %s: floor %s, next floor %s", id, fl, IDFloor(at.Add(time.Millisecond)))
		}
		prev = id
	}
}

func TestFilterIDRange(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	inside := NewID(from.Add(time.Hour))
	for _, tc := range []struct {
		name   string
		f      Filter
		id     string
		within bool
	}{
		{"open range", Filter{}, inside, true},
		{"inside", Filter{From: from, To: to}, inside, true},
		{"at From", Filter{From: from, To: to}, NewID(from), true},
		{"at To (exclusive)", Filter{From: from, To: to}, NewID(to), false},
		{"before", Filter{From: from}, NewID(from.Add(-time.Millisecond)), false},
		{"below cursor", Filter{Cursor: NewID(from.Add(2 * time.Hour))}, inside, true},
		{"cursor itself", Filter{Cursor: inside}, inside, false},
	} {
		lo, hi := tc.f.IDRange()
		if got := tc.id >= lo && tc.id < hi; got != tc.within {
			t.Errorf("%s: %s in [%q, %q) = %v, want %v", tc.name, tc.id, lo, hi, got, tc.within)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := func() Report { return Report{Line: "sx-1", Title: "t", Severity: SeverityHigh, Role: RoleOperator} }
	cases := []struct {
		name  string
		mod   func(*Report)
		field string
		code  string
	}{
		{"valid", func(*Report) {}, "", ""},
		{"no title", func(r *Report) { r.Title = "" }, "title", CodeRequired},
		{"long title", func(r *Report) { r.Title = strings.Repeat("稀", MaxTitle+1) }, "title", CodeTooLong},
		{"title at limit (runes, not bytes)", func(r *Report) { r.Title = strings.Repeat("稀", MaxTitle) }, "", ""},
		{"long body", func(r *Report) { r.Body = strings.Repeat("a", MaxBody+1) }, "body", CodeTooLong},
		{"bad severity", func(r *Report) { r.Severity = "urgent" }, "severity", CodeInvalid},
		{"bad role", func(r *Report) { r.Role = "boss" }, "role", CodeInvalid},
		{"invalid utf-8", func(r *Report) { r.Station = "\xff\xfe" }, "station", CodeInvalid},
		{"no line", func(r *Report) { r.Line = "" }, "line", CodeRequired},
	}
	for _, tc := range cases {
		r := ok()
		tc.mod(&r)
		err := r.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: Validate = %v, want nil", tc.name, err)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[tc.field] != tc.code {
			t.Errorf("%s: Validate = %v, want %s: %s", tc.name, err, tc.field, tc.code)
		}
	}
}

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c := NewCode()
		if len(c) != 9 || c[4] != '-' || strings.ContainsAny(c, "ILOU") {
			t.Fatalf("NewCode = %q, want XXXX-XXXX in Crockford base32", c)
		}
		if seen[c] {
			t.Fatalf("NewCode repeated %q within 2000 codes", c)
		}
		seen[c] = true
	}
}

func TestSetStatusRecordsHistory(t *testing.T) {
	r := Report{Status: StatusNew}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r.SetStatus(StatusTriaged, "alice", at)
	r.SetStatus(StatusTriaged, "bob", at) // unchanged: no entry
	if len(r.History) != 1 || r.History[0].By != "alice" || r.History[0].From != "new" || r.History[0].To != "triaged" || !r.UpdatedAt.Equal(at) {
		t.Fatalf("history = %+v, want one alice new→triaged entry", r.History)
	}
}

// Each change appends one history entry and moves UpdatedAt; setting the
// value a report already has changes nothing.
func TestReportSetters(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	at := t0.Add(time.Hour)
	for _, tc := range []struct {
		name   string
		set    func(r *Report)
		want   Event // zero: no entry
		verify func(r Report) bool
	}{
		{"status", func(r *Report) { r.SetStatus(StatusTriaged, "li", at) },
			Event{At: at, By: "li", Action: ActionStatus, From: "received", To: "triaged"},
			func(r Report) bool { return r.Status == StatusTriaged }},
		{"same status", func(r *Report) { r.SetStatus(StatusReceived, "li", at) }, Event{},
			func(r Report) bool { return r.Status == StatusReceived }},
		{"team", func(r *Report) { r.SetTeam("magnets", "li", at) },
			Event{At: at, By: "li", Action: ActionTeam, From: "separation", To: "magnets"},
			func(r Report) bool { return r.Team == "magnets" }},
		{"unassign team", func(r *Report) { r.SetTeam("", "li", at) },
			Event{At: at, By: "li", Action: ActionTeam, From: "separation"},
			func(r Report) bool { return r.Team == "" }},
		{"same team", func(r *Report) { r.SetTeam("separation", "li", at) }, Event{},
			func(r Report) bool { return r.Team == "separation" }},
		{"reply", func(r *Report) { r.SetReply("已安排取样", "li", at) },
			Event{At: at, By: "li", Action: ActionReply, Text: "已安排取样"},
			func(r Report) bool { return r.Reply == "已安排取样" }},
		{"same reply", func(r *Report) { r.SetReply("", "li", at) }, Event{},
			func(r Report) bool { return r.Reply == "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Report{Status: StatusReceived, Team: "separation", UpdatedAt: t0}
			tc.set(&r)
			if !tc.verify(r) {
				t.Fatalf("%s: report = %+v", tc.name, r)
			}
			if tc.want == (Event{}) {
				if len(r.History) != 0 || !r.UpdatedAt.Equal(t0) {
					t.Fatalf("%s: history %+v, updated %v; want no entry and no update", tc.name, r.History, r.UpdatedAt)
				}
				return
			}
			if len(r.History) != 1 || r.History[0] != tc.want || !r.UpdatedAt.Equal(at) {
				t.Fatalf("%s: history %+v, updated %v; want [%+v] at %v", tc.name, r.History, r.UpdatedAt, tc.want, at)
			}
		})
	}
}
