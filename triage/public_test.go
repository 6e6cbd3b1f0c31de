package triage_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

func TestPublicView(t *testing.T) {
	t0 := testStart
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	processed := at(1)
	r := store.Report{
		ID: "0193-id", Code: "K7QM-X2PD", Receipt: "secret-receipt", Line: "sx-1", Category: "quality",
		Severity: store.SeverityHigh, Title: "萃取槽分相慢", Body: "B 槽二班开始分相慢", Station: "混合澄清槽 B",
		Role: store.RoleOperator, Reporter: "王工", Contact: "13800001234", Lang: "zh",
		Status: store.StatusInProgress, Team: "separation", Votes: 3, Reply: "已安排更换萃取剂批次。",
		CreatedAt: t0, UpdatedAt: at(9), ProcessedAt: &processed,
		Photos: []store.Photo{{ID: "p1", URL: "/photos/p1"}},
		History: []store.Event{
			{At: t0, By: "reporter", Action: store.ActionCreated, To: "new"},
			{At: at(1), By: "system", Action: store.ActionProcessed, From: "new", To: "received"},
			{At: at(2), By: "alice.zhang", Action: store.ActionTeam, To: "separation"},
			{At: at(3), By: "alice.zhang", Action: store.ActionStatus, From: "received", To: "in_progress", Text: "internal reason"},
			{At: at(4), By: "alice.zhang", Action: store.ActionNote, Text: "supplier batch 7 suspected", Internal: true},
			{At: at(5), By: "bob.li", Action: store.ActionReply, Text: "已安排更换萃取剂批次。"},
			{At: at(6), By: "bob.li", Action: store.ActionNote, Text: "a note someone forgot to mark internal"},
			{At: at(7), By: "carol", Action: store.ActionStatus, From: "x", To: "y", Internal: true},
			{At: at(8), By: "system", Action: "merged", Text: "duplicate of K7QM-AAAA (reporter 李工)"},
			{At: at(9), By: "carol", Action: store.ActionNote, Text: "late note", Internal: true},
		},
	}
	got := triage.PublicView(r)
	want := triage.PublicReport{
		Code: "K7QM-X2PD", Line: "sx-1", Title: "萃取槽分相慢", Status: store.StatusInProgress,
		CreatedAt: t0, UpdatedAt: at(5), Reply: "已安排更换萃取剂批次。",
		History: []triage.PublicEvent{
			{At: t0, By: "reporter", Action: "created", To: "new"},
			{At: at(1), By: "system", Action: "processed", From: "new", To: "received"},
			{At: at(2), By: "R&D", Action: "team", To: "separation"},
			{At: at(3), By: "R&D", Action: "status", From: "received", To: "in_progress"},
			{At: at(5), By: "R&D", Action: "reply", Text: "已安排更换萃取剂批次。"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PublicView =\n%+v\nwant\n%+v", got, want)
	}

	b, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("json.Marshal(PublicView): %v", err)
	}
	for _, secret := range []string{"王工", "李工", "13800001234", "secret-receipt", "0193-id", "alice", "bob", "carol",
		"supplier", "internal", "late note", "merged", "B 槽二班", "混合澄清槽", "separation\",\"votes", "photos"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("PublicView JSON shows %q: %s", secret, b)
		}
	}

	fresh := triage.PublicView(store.Report{Code: "C", CreatedAt: t0, UpdatedAt: at(3)})
	if fresh.History == nil || len(fresh.History) != 0 || !fresh.UpdatedAt.Equal(t0) {
		t.Errorf("PublicView(no history) = %+v, want an empty (non-nil) history and updated_at = created_at", fresh)
	}
}

func TestPublicActor(t *testing.T) {
	for by, want := range map[string]string{"reporter": "reporter", "system": "system", "alice.zhang": "R&D", "ci-token": "R&D", "": "R&D", "demo": "R&D"} {
		if got := triage.PublicActor(by); got != want {
			t.Errorf("PublicActor(%q) = %q, want %q", by, got, want)
		}
	}
}
