package brief_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/brief"
	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
)

var shanghai = time.FixedZone("CST", 8*3600)

// day is a time on day d (0 = Monday 2026-11-02) of the test week, at h:00
// Shanghai time.
func day(d, h int) time.Time { return time.Date(2026, 11, 2+d, h, 0, 0, 0, shanghai) }

// fixture is one report of the fixed data set.
type fixture struct {
	key      string
	at       time.Time
	line     string
	team     string
	cat      string
	sev      store.Severity
	status   store.Status
	role     store.Role
	votes    int
	answerBy string        // who first acted on it ("" nobody)
	answerIn time.Duration // how long after creation
	title    string
}

// week is the fixed data set: the week of 2026-11-02 for team separation,
// the week before, and reports the separation brief must leave out.
var week = []fixture{
	// The previous week: 3 of separation's (1 critical), 1 of metallurgy's.
	{key: "p1", at: day(-7, 9), line: "sx-1", team: "separation", cat: "quality", sev: store.SeverityCritical, status: store.StatusNew, title: "上周紧急：萃取槽乳化"},
	{key: "p2", at: day(-5, 10), line: "calc-1", team: "separation", cat: "process", sev: store.SeverityMedium, status: store.StatusNew, title: "kiln temperature drift"},
	{key: "p3", at: day(-1, 23), line: "sx-1", team: "separation", cat: "equipment", sev: store.SeverityLow, status: store.StatusNew, title: "泵有异响"},
	{key: "p4", at: day(-3, 10), line: "elec-1", team: "metallurgy", cat: "process", sev: store.SeverityHigh, status: store.StatusNew, title: "cell voltage high"},

	// This week, separation's: 6 reports.
	{key: "r1", at: day(0, 9), line: "sx-1", team: "separation", cat: "quality", sev: store.SeverityCritical, status: store.StatusResolved, votes: 3,
		answerBy: "alice", answerIn: 2 * time.Hour, title: "紧急：萃取槽A泄漏"},
	{key: "r2", at: day(0, 14), line: "sx-1", team: "separation", cat: "equipment", sev: store.SeverityHigh, status: store.StatusNew, votes: 1, title: "pump leaking oil at mixer-settler B"},
	{key: "r3", at: day(2, 8), line: "calc-1", team: "separation", cat: "process", sev: store.SeverityMedium, status: store.StatusTriaged, role: store.RoleResearcher,
		answerBy: "bob", answerIn: 4 * time.Hour, title: "回转窑温度波动 ±15 ℃"},
	{key: "r4", at: day(2, 16), line: "calc-1", team: "separation", cat: "process", sev: store.SeverityLow, status: store.StatusClosed, votes: 2,
		answerBy: "bob", answerIn: 6 * time.Hour, title: "filter cloth wearing fast"},
	{key: "r5", at: day(6, 7), line: "sx-1", team: "separation", cat: "quality", sev: store.SeverityCritical, status: store.StatusReceived,
		answerBy: "system", answerIn: time.Minute, title: "critical: HCl fumes at stripping"},
	{key: "r6", at: day(6, 23), line: "sx-1", team: "separation", cat: "quality", sev: store.SeverityMedium, status: store.StatusInProgress,
		answerBy: "reporter", answerIn: time.Hour, title: "皂化度偏低"},

	// Left out: another team's, and one created when the period ends.
	{key: "x1", at: day(3, 10), line: "elec-1", team: "metallurgy", cat: "quality", sev: store.SeverityCritical, status: store.StatusNew, title: "HF alarm"},
	{key: "x2", at: day(7, 0), line: "sx-1", team: "separation", cat: "quality", sev: store.SeverityHigh, status: store.StatusNew, title: "next week already"},
}

func (f fixture) submission() store.Submission {
	return storetest.MakeSubmission(f.key, f.at, func(r *store.Report) {
		r.Line, r.Team, r.Category, r.Severity, r.Status, r.Votes, r.Title = f.line, f.team, f.cat, f.sev, f.status, f.votes, f.title
		r.Role = store.RoleOperator
		if f.role != "" {
			r.Role = f.role
		}
		if f.answerBy != "" {
			action := store.ActionStatus
			if f.answerBy == "system" {
				action = store.ActionProcessed
			}
			r.History = append(r.History, store.Event{At: f.at.Add(f.answerIn), By: f.answerBy, Action: action, To: string(f.status)})
		}
	})
}

// loadWeek stores the fixed data set and returns the ids by key.
func loadWeek(t *testing.T, st store.Store) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, f := range week {
		r, _, err := st.Submit(context.Background(), f.submission())
		if err != nil {
			t.Fatalf("Submit(%s) = %v", f.key, err)
		}
		ids[f.key] = r.ID
	}
	return ids
}

func newMaker(t testing.TB, st store.Store, now time.Time) *brief.Maker {
	t.Helper()
	m, err := brief.New(brief.Deps{Reports: st, Records: st, Plant: plant.Sample(), BaseURL: "https://ff.example",
		TimeZone: shanghai, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("brief.New: %v", err)
	}
	return m
}

func keysOf(ids map[string]string, items []brief.Item) []string {
	byID := map[string]string{}
	for k, id := range ids {
		byID[id] = k
	}
	var out []string
	for _, it := range items {
		out = append(out, byID[it.Report.ID])
	}
	return out
}

// TestNumbersOnFixedWeek checks every computed figure of the separation
// team's brief of the fixed week, on both backends.
func TestNumbersOnFixedWeek(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			st := be.Open(t)
			ids := loadWeek(t, st)
			m := newMaker(t, st, day(7, 8))
			d, err := m.Compute(context.Background(), brief.Request{Team: "separation", From: day(0, 0), To: day(7, 0), Lang: i18n.En})
			if err != nil {
				t.Fatalf("Compute = %v", err)
			}
			change := 100.0
			want := brief.Numbers{Reports: 6, Critical: 2, Previous: 3, PreviousCritical: 1, ChangePct: &change,
				Open: 4, Resolved: 2, MedianResponse: 4 * time.Hour, Responded: 3, Votes: 6, NewUntriaged: 2}
			got := d.Numbers
			if got.ChangePct == nil || *got.ChangePct != change {
				t.Errorf("ChangePct = %v, want %v", got.ChangePct, change)
			}
			got.ChangePct, want.ChangePct = nil, nil
			if got != want {
				t.Errorf("Numbers =\n %+v\nwant\n %+v", got, want)
			}

			if len(d.Days) != 7 {
				t.Fatalf("Days = %d, want 7", len(d.Days))
			}
			wantDays := map[int][4]int{0: {0, 0, 1, 1}, 2: {1, 1, 0, 0}, 6: {0, 1, 0, 1}}
			for i, dc := range d.Days {
				if !dc.Day.Equal(day(i, 0)) {
					t.Errorf("Days[%d].Day = %v, want %v", i, dc.Day, day(i, 0))
				}
				if dc.BySeverity != wantDays[i] {
					t.Errorf("Days[%d] (%s) = %v, want %v (low, medium, high, critical)", i, dc.Day.Format("01-02"), dc.BySeverity, wantDays[i])
				}
			}
			wantCats := []brief.Count{{"quality", "Quality", 3}, {"process", "Process / yield", 2}, {"equipment", "Equipment", 1}}
			if !slices.Equal(d.ByCategory, wantCats) {
				t.Errorf("ByCategory = %v, want %v", d.ByCategory, wantCats)
			}
			wantLines := []brief.Count{{"sx-1", "Solvent Extraction Line 1", 4}, {"calc-1", "Calcination Shop", 2}}
			if !slices.Equal(d.ByLine, wantLines) {
				t.Errorf("ByLine = %v, want %v", d.ByLine, wantLines)
			}
			if got, want := keysOf(ids, d.Critical), []string{"r5", "r1"}; !slices.Equal(got, want) {
				t.Errorf("Critical = %v, want %v", got, want)
			}
			if got, want := keysOf(ids, d.New), []string{"r2"}; !slices.Equal(got, want) {
				t.Errorf("New = %v, want %v", got, want)
			}
			if got, want := keysOf(ids, d.FieldNotes), []string{"r3"}; !slices.Equal(got, want) {
				t.Errorf("FieldNotes = %v, want %v", got, want)
			}
			if d.Critical[0].URL != "https://ff.example/reports/"+ids["r5"] {
				t.Errorf("Critical[0].URL = %q, want the dashboard's report page", d.Critical[0].URL)
			}
			var appendix []string
			for _, r := range d.Reports {
				appendix = append(appendix, r.Title)
			}
			var wantTitles []string
			for _, f := range week[4:10] {
				wantTitles = append(wantTitles, f.title)
			}
			if !slices.Equal(appendix, wantTitles) {
				t.Errorf("appendix = %q, want %q (oldest first)", appendix, wantTitles)
			}
			if d.Loop.Previous != nil {
				t.Errorf("Loop.Previous = %+v, want none (no brief was made before)", d.Loop.Previous)
			}
		})
	}
}

// TestClosingTheLoop makes last week's brief, moves one of its items on, and
// checks that this week's brief finds it with its status then and now; the
// brief of another team does not count as the previous one.
func TestClosingTheLoop(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			st := be.Open(t)
			ids := loadWeek(t, st)
			ctx := context.Background()
			prev, err := newMaker(t, st, day(0, 8)).Make(ctx, brief.Request{Team: "separation", From: day(-7, 0), To: day(0, 0), Lang: i18n.Zh})
			if err != nil {
				t.Fatalf("Make(previous week) = %v", err)
			}
			if _, err := newMaker(t, st, day(0, 9)).Make(ctx, brief.Request{Team: "metallurgy", From: day(-7, 0), To: day(0, 0)}); err != nil {
				t.Fatalf("Make(other team) = %v", err)
			}
			if _, err := st.UpdateReport(ctx, ids["p1"], func(r *store.Report) error {
				r.SetStatus(store.StatusResolved, "alice", day(1, 10))
				return nil
			}); err != nil {
				t.Fatalf("UpdateReport = %v", err)
			}
			d, err := newMaker(t, st, day(7, 8)).Compute(ctx, brief.Request{Team: "separation", From: day(0, 0), To: day(7, 0), Lang: i18n.Zh})
			if err != nil {
				t.Fatalf("Compute = %v", err)
			}
			if d.Loop.Previous == nil || d.Loop.Previous.ID != prev.ID {
				t.Fatalf("Loop.Previous = %+v, want brief %s", d.Loop.Previous, prev.ID)
			}
			var found bool
			for _, it := range d.Loop.Items {
				if it.Ref.ID != ids["p1"] {
					continue
				}
				found = true
				if it.Ref.Status != store.StatusNew || it.Now.Status != store.StatusResolved {
					t.Errorf("loop item p1: then %s, now %s; want new, then resolved", it.Ref.Status, it.Now.Status)
				}
			}
			if !found {
				t.Errorf("Loop.Items = %+v, want the previous brief's critical item p1", d.Loop.Items)
			}
		})
	}
}

// TestKeptBriefs checks that made briefs are kept, listed newest first with
// a cursor, and their PDFs served again byte for byte.
func TestKeptBriefs(t *testing.T) {
	st := backends.Bolt(t)
	loadWeek(t, st)
	ctx := context.Background()
	var made []*brief.Brief
	for i := range 3 {
		b, err := newMaker(t, st, day(7, 8+i)).Make(ctx, brief.Request{From: day(0, 0), To: day(7, 0), Lang: i18n.Lang(i % 2)})
		if err != nil {
			t.Fatalf("Make #%d = %v", i, err)
		}
		made = append(made, b)
	}
	m := newMaker(t, st, day(8, 0))
	page, next, err := m.List(ctx, "", 2)
	if err != nil || len(page) != 2 || next == "" || page[0].ID != made[2].ID || page[1].ID != made[1].ID {
		t.Fatalf("List(first 2) = %v, %q, %v; want briefs 2 and 1 and a cursor", ids(page), next, err)
	}
	page, next, err = m.List(ctx, next, 2)
	if err != nil || len(page) != 1 || next != "" || page[0].ID != made[0].ID {
		t.Fatalf("List(rest) = %v, %q, %v; want brief 0 and no cursor", ids(page), next, err)
	}
	if page[0].Summary.Numbers.Reports != 7 || !page[0].Request.To.Equal(day(7, 0)) {
		t.Errorf("kept brief = %+v; want its numbers (7 reports of every team) and parameters", page[0])
	}
	pdf, err := m.PDF(ctx, made[1].ID)
	if err != nil || string(pdf) != string(made[1].PDF) {
		t.Errorf("PDF(%s) = %d bytes, %v; want the %d bytes made", made[1].ID, len(pdf), err, len(made[1].PDF))
	}
	if _, err := m.Get(ctx, "not-an-id"); err == nil {
		t.Errorf("Get(not-an-id) = nil error, want not found")
	}
}

func ids(ks []brief.Kept) []string {
	var out []string
	for _, k := range ks {
		out = append(out, fmt.Sprintf("%s (%s)", k.ID, k.CreatedAt.Format(time.TimeOnly)))
	}
	return out
}

// TestInvalidRequests checks that requests that cannot be made are refused
// with ErrInvalid, before anything is read or kept.
func TestInvalidRequests(t *testing.T) {
	st := backends.Bolt(t)
	m := newMaker(t, st, day(7, 8))
	week := brief.Request{From: day(0, 0), To: day(7, 0)}
	for _, tc := range []struct {
		name string
		mod  func(*brief.Request)
	}{
		{"no from", func(r *brief.Request) { r.From = time.Time{} }},
		{"to before from", func(r *brief.Request) { r.To = r.From.Add(-time.Hour) }},
		{"empty period", func(r *brief.Request) { r.To = r.From }},
		{"over a year", func(r *brief.Request) { r.To = r.From.Add(brief.MaxPeriod + time.Hour) }},
		{"unknown team", func(r *brief.Request) { r.Team = "nope" }},
		{"unknown line", func(r *brief.Request) { r.Lines = []string{"sx-1", "nope"} }},
		{"unknown category", func(r *brief.Request) { r.Categories = []string{"nope"} }},
		{"unknown severity", func(r *brief.Request) { r.MinSeverity = "urgent" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := week
			tc.mod(&req)
			if _, err := m.Make(context.Background(), req); !errors.Is(err, brief.ErrInvalid) {
				t.Errorf("Make(%+v) = %v, want ErrInvalid", req, err)
			}
		})
	}
	if list, _, err := m.List(context.Background(), "", 0); err != nil || len(list) != 0 {
		t.Errorf("List after refused requests = %d briefs, %v; want none kept", len(list), err)
	}
}
