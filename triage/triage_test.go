package triage_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
	"github.com/floorfeed/floorfeed/triage"
)

var testStart = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// rerunning is a store whose UpdateReport runs fn once more, on a scratch
// copy, before the real update: as an optimistic retry would. A triage step
// with side effects outside the report shows up as a wrong result.
type rerunning struct{ store.Store }

func (s rerunning) UpdateReport(ctx context.Context, id string, fn func(*store.Report) error) (store.Report, error) {
	if scratch, err := s.Report(ctx, id); err == nil {
		_ = fn(&scratch) // the scratch result is thrown away, as a lost race's would be
	}
	return s.Store.UpdateReport(ctx, id, fn)
}

func ptr[T any](v T) *T { return &v }

// entry is the part of a history entry a case checks (At and By are the
// same for every entry of one step).
type entry struct {
	action, from, to, text string
	internal               bool
}

func TestApply(t *testing.T) {
	longReply := strings.Repeat("回", triage.MaxReply+1)
	tests := []struct {
		name string
		// before is applied first (by "setup") to give the report a state.
		before *triage.Change
		change triage.Change
		// wantFields are the fields of the ValidationError; nil for success.
		wantFields map[string]string
		// wantAdded are the history entries the change appends, in order.
		wantAdded               []entry
		wantStatus              store.Status
		wantTeam, wantReply     string
		wantUnchangedUpdateTime bool
	}{
		{name: "status", change: triage.Change{Status: ptr(store.StatusTriaged)},
			wantAdded: []entry{{action: "status", from: "new", to: "triaged"}}, wantStatus: store.StatusTriaged},
		{name: "status unchanged", before: &triage.Change{Status: ptr(store.StatusInProgress)},
			change: triage.Change{Status: ptr(store.StatusInProgress)}, wantStatus: store.StatusInProgress, wantUnchangedUpdateTime: true},
		{name: "status reopened", before: &triage.Change{Status: ptr(store.StatusClosed)},
			change:    triage.Change{Status: ptr(store.StatusReceived)},
			wantAdded: []entry{{action: "status", from: "closed", to: "received"}}, wantStatus: store.StatusReceived},
		{name: "status unknown", change: triage.Change{Status: ptr(store.Status("done"))},
			wantFields: map[string]string{"status": store.CodeInvalid}},
		{name: "status back to new", before: &triage.Change{Status: ptr(store.StatusTriaged)},
			change: triage.Change{Status: ptr(store.StatusNew)}, wantFields: map[string]string{"status": store.CodeInvalid}},
		{name: "team", change: triage.Change{Team: ptr("separation")},
			wantAdded: []entry{{action: "team", to: "separation"}}, wantStatus: store.StatusNew, wantTeam: "separation"},
		{name: "team moved", before: &triage.Change{Team: ptr("separation")}, change: triage.Change{Team: ptr(" magnets ")},
			wantAdded: []entry{{action: "team", from: "separation", to: "magnets"}}, wantStatus: store.StatusNew, wantTeam: "magnets"},
		{name: "team unassigned", before: &triage.Change{Team: ptr("separation")}, change: triage.Change{Team: ptr("")},
			wantAdded: []entry{{action: "team", from: "separation"}}, wantStatus: store.StatusNew},
		{name: "team unchanged", before: &triage.Change{Team: ptr("separation")}, change: triage.Change{Team: ptr("separation")},
			wantStatus: store.StatusNew, wantTeam: "separation", wantUnchangedUpdateTime: true},
		{name: "team unknown", change: triage.Change{Team: ptr("marketing")},
			wantFields: map[string]string{"team": store.CodeUnknown}},
		{name: "reply", change: triage.Change{Reply: ptr("  已安排更换萃取剂批次。 ")},
			wantAdded:  []entry{{action: "reply", text: "已安排更换萃取剂批次。"}},
			wantStatus: store.StatusNew, wantReply: "已安排更换萃取剂批次。"},
		{name: "reply replaced", before: &triage.Change{Reply: ptr("first answer")}, change: triage.Change{Reply: ptr("better answer")},
			wantAdded: []entry{{action: "reply", text: "better answer"}}, wantStatus: store.StatusNew, wantReply: "better answer"},
		{name: "reply withdrawn", before: &triage.Change{Reply: ptr("meant for someone else")}, change: triage.Change{Reply: ptr("")},
			wantAdded: []entry{{action: "reply"}}, wantStatus: store.StatusNew},
		{name: "reply unchanged", before: &triage.Change{Reply: ptr("same")}, change: triage.Change{Reply: ptr(" same ")},
			wantStatus: store.StatusNew, wantReply: "same", wantUnchangedUpdateTime: true},
		{name: "reply at the limit", change: triage.Change{Reply: ptr(longReply[len("回"):])},
			wantAdded:  []entry{{action: "reply", text: longReply[len("回"):]}},
			wantStatus: store.StatusNew, wantReply: longReply[len("回"):]},
		{name: "reply too long", change: triage.Change{Reply: ptr(longReply)},
			wantFields: map[string]string{"reply": store.CodeTooLong}},
		{name: "reply not UTF-8", change: triage.Change{Reply: ptr("bad \xff")},
			wantFields: map[string]string{"reply": store.CodeInvalid}},
		{name: "note", change: triage.Change{Note: ptr("supplier batch 7 suspected")},
			wantAdded: []entry{{action: "note", text: "supplier batch 7 suspected", internal: true}}, wantStatus: store.StatusNew},
		{name: "note repeated", before: &triage.Change{Note: ptr("call back")}, change: triage.Change{Note: ptr("call back")},
			wantAdded: []entry{{action: "note", text: "call back", internal: true}}, wantStatus: store.StatusNew},
		{name: "note empty", change: triage.Change{Note: ptr("   ")},
			wantFields: map[string]string{"note": store.CodeRequired}},
		{name: "note too long", change: triage.Change{Note: ptr(strings.Repeat("n", triage.MaxNote+1))},
			wantFields: map[string]string{"note": store.CodeTooLong}},
		{name: "everything at once",
			change: triage.Change{Status: ptr(store.StatusInProgress), Team: ptr("separation"), Reply: ptr("on it"), Note: ptr("check pH log")},
			wantAdded: []entry{
				{action: "status", from: "new", to: "in_progress"},
				{action: "team", to: "separation"},
				{action: "reply", text: "on it"},
				{action: "note", text: "check pH log", internal: true},
			},
			wantStatus: store.StatusInProgress, wantTeam: "separation", wantReply: "on it"},
		{name: "partly unchanged", before: &triage.Change{Status: ptr(store.StatusTriaged), Team: ptr("separation")},
			change:    triage.Change{Status: ptr(store.StatusTriaged), Team: ptr("magnets")},
			wantAdded: []entry{{action: "team", from: "separation", to: "magnets"}}, wantStatus: store.StatusTriaged, wantTeam: "magnets"},
		{name: "every field invalid: nothing applied",
			change:     triage.Change{Status: ptr(store.Status("x")), Team: ptr("x"), Reply: ptr(longReply), Note: ptr("")},
			wantFields: map[string]string{"status": "invalid", "team": "unknown", "reply": "too_long", "note": "required"}},
		{name: "one field invalid: nothing applied",
			change:     triage.Change{Status: ptr(store.StatusResolved), Team: ptr("x")},
			wantFields: map[string]string{"team": "unknown"}},
		{name: "empty change", change: triage.Change{}, wantStatus: store.StatusNew, wantUnchangedUpdateTime: true},
	}

	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			st := be.Open(t)
			clock := testutil.NewClock(testStart)
			svc, err := triage.New(triage.Deps{Reports: rerunning{st}, Teams: plant.Sample(), Now: clock.Now})
			if err != nil {
				t.Fatalf("triage.New: %v", err)
			}
			ctx := context.Background()
			for i, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					clock.Advance(time.Minute)
					sub := storetest.MakeSubmission(fmt.Sprint("key-", i), clock.Now(), nil)
					if _, _, err := st.Submit(ctx, sub); err != nil {
						t.Fatalf("Submit: %v", err)
					}
					id := sub.Report.ID
					if tc.before != nil {
						clock.Advance(time.Minute)
						if _, err := svc.Apply(ctx, id, "setup", *tc.before); err != nil {
							t.Fatalf("Apply(setup %+v) = %v", *tc.before, err)
						}
					}
					before, err := st.Report(ctx, id)
					if err != nil {
						t.Fatalf("Report(%s): %v", id, err)
					}
					clock.Advance(time.Minute)
					at := clock.Now()

					got, err := svc.Apply(ctx, id, "alice.zhang", tc.change)
					stored, rerr := st.Report(ctx, id)
					if rerr != nil {
						t.Fatalf("Report(%s) after Apply: %v", id, rerr)
					}

					if tc.wantFields != nil {
						var ve *store.ValidationError
						if !errors.As(err, &ve) || !maps.Equal(ve.Fields, tc.wantFields) {
							t.Fatalf("Apply(%s) = %v, want a validation error on %v", tc.name, err, tc.wantFields)
						}
						if len(stored.History) != len(before.History) || stored.Status != before.Status ||
							stored.Team != before.Team || stored.Reply != before.Reply || !stored.UpdatedAt.Equal(before.UpdatedAt) {
							t.Errorf("after the failed Apply(%s), the stored report changed: %+v, was %+v", tc.name, stored, before)
						}
						return
					}
					if err != nil {
						t.Fatalf("Apply(%s) = %v, want success", tc.name, err)
					}
					for which, r := range map[string]store.Report{"returned": got, "stored": stored} {
						if r.ID != id || r.Status != tc.wantStatus || r.Team != tc.wantTeam || r.Reply != tc.wantReply {
							t.Errorf("Apply(%s): %s report has status %q team %q reply %q, want %q %q %q",
								tc.name, which, r.Status, r.Team, r.Reply, tc.wantStatus, tc.wantTeam, tc.wantReply)
						}
						if !slices.Equal(historyOf(r.History[:min(len(before.History), len(r.History))]), historyOf(before.History)) {
							t.Errorf("Apply(%s): %s history does not start with the history before: %+v", tc.name, which, r.History)
						}
						added := r.History[min(len(before.History), len(r.History)):]
						if !slices.Equal(entries(added), tc.wantAdded) {
							t.Errorf("Apply(%s): %s report gained history %+v, want %+v", tc.name, which, entries(added), tc.wantAdded)
						}
						for _, ev := range added {
							if !ev.At.Equal(at) || ev.By != "alice.zhang" {
								t.Errorf("Apply(%s): new entry %+v, want at %v by alice.zhang", tc.name, ev, at)
							}
						}
						wantUpdated := at
						if tc.wantUnchangedUpdateTime {
							wantUpdated = before.UpdatedAt
						}
						if !r.UpdatedAt.Equal(wantUpdated) {
							t.Errorf("Apply(%s): %s updated_at = %v, want %v", tc.name, which, r.UpdatedAt, wantUpdated)
						}
					}
				})
			}

			t.Run("unknown report", func(t *testing.T) {
				_, err := svc.Apply(ctx, store.NewID(clock.Now()), "alice.zhang", triage.Change{Status: ptr(store.StatusTriaged)})
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Apply(unknown id) = %v, want store.ErrNotFound", err)
				}
			})
			t.Run("reserved or missing actor", func(t *testing.T) {
				sub := storetest.MakeSubmission("key-actor", clock.Now(), nil)
				if _, _, err := st.Submit(ctx, sub); err != nil {
					t.Fatalf("Submit: %v", err)
				}
				for _, by := range []string{"", "  ", "R&D", "reporter", "system", strings.Repeat("x", triage.MaxActor+1)} {
					if _, err := svc.SetStatus(ctx, sub.Report.ID, by, store.StatusTriaged); !errors.Is(err, triage.ErrBadActor) {
						t.Errorf("SetStatus(by %q) = %v, want triage.ErrBadActor", by, err)
					}
				}
				if r, _ := st.Report(ctx, sub.Report.ID); len(r.History) != 1 || r.Status != store.StatusNew {
					t.Errorf("after refused actors the report is %+v, want it untouched", r)
				}
			})
			t.Run("one-field helpers", func(t *testing.T) {
				sub := storetest.MakeSubmission("key-helpers", clock.Now(), nil)
				if _, _, err := st.Submit(ctx, sub); err != nil {
					t.Fatalf("Submit: %v", err)
				}
				id := sub.Report.ID
				steps := []func() (store.Report, error){
					func() (store.Report, error) { return svc.AssignTeam(ctx, id, "bob", "metallurgy") },
					func() (store.Report, error) { return svc.SetStatus(ctx, id, "bob", store.StatusTriaged) },
					func() (store.Report, error) { return svc.AddNote(ctx, id, "bob", "internal") },
					func() (store.Report, error) { return svc.Reply(ctx, id, "bob", "thanks") },
				}
				var r store.Report
				for _, step := range steps {
					var err error
					if r, err = step(); err != nil {
						t.Fatalf("helper step: %v", err)
					}
				}
				want := []string{"created", "team", "status", "note", "reply"}
				if got := actions(r.History); !slices.Equal(got, want) {
					t.Errorf("history after AssignTeam, SetStatus, AddNote, Reply = %v, want %v", got, want)
				}
			})
		})
	}
}

func TestNewNeedsDeps(t *testing.T) {
	if _, err := triage.New(triage.Deps{Teams: plant.Sample()}); err == nil {
		t.Errorf("triage.New without Reports succeeded, want an error")
	}
	if _, err := triage.New(triage.Deps{Reports: rerunning{}}); err == nil {
		t.Errorf("triage.New without Teams succeeded, want an error")
	}
}

func entries(evs []store.Event) []entry {
	out := []entry{}
	for _, ev := range evs {
		out = append(out, entry{action: ev.Action, from: ev.From, to: ev.To, text: ev.Text, internal: ev.Internal})
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func historyOf(evs []store.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%v", ev.At.UTC().Format(time.RFC3339Nano), ev.By, ev.Action, ev.From, ev.To, ev.Text, ev.Internal))
	}
	return out
}

func actions(evs []store.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Action)
	}
	return out
}

// TestConcurrentChanges: changes made at the same time by several people
// are all kept, each with its entry, on both backends (the store retries
// conflicting updates; triage's step must survive being run again).
func TestConcurrentChanges(t *testing.T) {
	const writers = 8
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			st := be.Open(t)
			svc, err := triage.New(triage.Deps{Reports: st, Teams: plant.Sample(), Now: testutil.NewClock(testStart).Now})
			if err != nil {
				t.Fatalf("triage.New: %v", err)
			}
			ctx := context.Background()
			sub := storetest.MakeSubmission("key-concurrent", testStart, nil)
			if _, _, err := st.Submit(ctx, sub); err != nil {
				t.Fatalf("Submit: %v", err)
			}
			errs := make(chan error, writers)
			for i := range writers {
				go func() {
					_, err := svc.Apply(ctx, sub.Report.ID, fmt.Sprint("user", i), triage.Change{
						Note: ptr(fmt.Sprint("note ", i)), Status: ptr(store.StatusInProgress),
					})
					errs <- err
				}()
			}
			for range writers {
				if err := <-errs; err != nil {
					t.Errorf("concurrent Apply: %v", err)
				}
			}
			r, err := st.Report(ctx, sub.Report.ID)
			if err != nil {
				t.Fatalf("Report: %v", err)
			}
			notes, statuses := map[string]bool{}, 0
			for _, ev := range r.History {
				switch ev.Action {
				case store.ActionNote:
					notes[ev.Text] = true
				case store.ActionStatus:
					statuses++
				}
			}
			if len(notes) != writers || statuses != 1 || r.Status != store.StatusInProgress {
				t.Errorf("after %d concurrent notes and status changes: %d distinct notes, %d status entries, status %q; want %d, 1, in_progress",
					writers, len(notes), statuses, r.Status, writers)
			}
		})
	}
}
