package triage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

// submitFor stores a processed report on st and returns it.
func submitFor(t *testing.T, st store.Store, id, code, reporter string, votes int, at time.Time) store.Report {
	t.Helper()
	r := store.Report{
		ID: id, Code: code, Receipt: "rcpt-" + id, Line: "sx-1", Category: "quality", Severity: store.SeverityHigh,
		Title: "title " + code, Reporter: reporter, Status: store.StatusReceived, Votes: votes,
		CreatedAt: at, UpdatedAt: at, History: []store.Event{{At: at, By: triage.ByReporter, Action: store.ActionCreated}},
	}
	got, _, err := st.Submit(context.Background(), store.Submission{
		Report: r, IdempotencyKey: "key-" + id, PayloadHash: "h-" + id,
		Job: store.Job{ID: "job-" + id, Type: store.JobProcessReport, ReportID: id, EnqueuedAt: at},
	})
	if err != nil {
		t.Fatalf("Submit(%s): %v", id, err)
	}
	return got
}

func TestMerge(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st := b.Open(t)
			at := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
			svc, err := triage.New(triage.Deps{Reports: st, Teams: plant.Sample(), Now: func() time.Time { return at.Add(time.Hour) }})
			if err != nil {
				t.Fatal(err)
			}
			target := submitFor(t, st, "0194f000-0000-7000-8000-000000000001", "AAAA-0001", "王工", 2, at)
			dupe := submitFor(t, st, "0194f000-0000-7000-8000-000000000002", "AAAA-0002", "李师傅", 3, at.Add(time.Minute))
			third := submitFor(t, st, "0194f000-0000-7000-8000-000000000003", "AAAA-0003", "", 0, at.Add(2*time.Minute))

			dup, into, err := svc.Merge(ctx, dupe.ID, target.ID, "alice")
			if err != nil {
				t.Fatalf("Merge: %v", err)
			}
			if dup.Status != store.StatusDuplicate {
				t.Errorf("duplicate's status = %s, want duplicate", dup.Status)
			}
			if into.Votes != 2+3+1 {
				t.Errorf("target votes = %d, want 6 (its 2, the duplicate's 3, its reporter 1)", into.Votes)
			}
			last := dup.History[len(dup.History)-1]
			if last.Action != store.ActionDuplicate || last.To != target.ID || last.By != "alice" {
				t.Errorf("duplicate's last history entry = %+v, want duplicate → %s by alice", last, target.ID)
			}
			last = into.History[len(into.History)-1]
			if last.Action != store.ActionMerged || last.From != dupe.ID || last.Text != "AAAA-0002 · 李师傅" {
				t.Errorf("target's last history entry = %+v, want merged from %s with code and reporter", last, dupe.ID)
			}
			// Stored, not only returned.
			stored, err := st.Report(ctx, target.ID)
			if err != nil || stored.Votes != 6 {
				t.Fatalf("stored target = %d votes, %v; want 6", stored.Votes, err)
			}

			// Again: nothing changes, votes are not counted twice.
			_, into2, err := svc.Merge(ctx, dupe.ID, target.ID, "alice")
			if err != nil || into2.Votes != 6 || len(into2.History) != len(into.History) {
				t.Errorf("second Merge = %d votes, %d entries, %v; want 6, %d, nil", into2.Votes, len(into2.History), err, len(into.History))
			}

			for _, tc := range []struct {
				name      string
				dup, into string
				want      error
			}{
				{"self", third.ID, third.ID, triage.ErrSelfMerge},
				{"into a duplicate", third.ID, dupe.ID, triage.ErrMergeChain},
				{"already merged elsewhere", dupe.ID, third.ID, triage.ErrAlreadyMerged},
				{"unknown target", third.ID, "0194f000-0000-7000-8000-0000000000ff", store.ErrNotFound},
				{"unknown duplicate", "0194f000-0000-7000-8000-0000000000ff", third.ID, store.ErrNotFound},
			} {
				if _, _, err := svc.Merge(ctx, tc.dup, tc.into, "alice"); !errors.Is(err, tc.want) {
					t.Errorf("Merge %s = %v, want %v", tc.name, err, tc.want)
				}
			}
			if _, _, err := svc.Merge(ctx, third.ID, target.ID, triage.ByRnD); !errors.Is(err, triage.ErrBadActor) {
				t.Errorf("Merge by %q = %v, want ErrBadActor", triage.ByRnD, err)
			}
		})
	}
}
