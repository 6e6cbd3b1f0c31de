package votes_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/votes"
)

func TestVote(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			st := be.Open(t)
			at := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
			id := store.NewID(at)
			if _, _, err := st.Submit(ctx, store.Submission{
				Report:         store.Report{ID: id, Code: "C", Receipt: "r", Line: "sx-1", Category: "other", Severity: store.SeverityLow, Title: "t", Status: store.StatusNew, CreatedAt: at, UpdatedAt: at},
				IdempotencyKey: "k", PayloadHash: "h",
				Job: store.Job{ID: store.NewID(at), Type: store.JobProcessReport, ReportID: id, EnqueuedAt: at},
			}); err != nil {
				t.Fatal(err)
			}
			v := votes.New(st, func() time.Time { return at })
			for _, step := range []struct {
				dev  string
				want int
			}{{"a", 1}, {"a", 1}, {"b", 2}, {"a", 2}} {
				if n, err := v.Vote(ctx, id, step.dev); err != nil || n != step.want {
					t.Fatalf("Vote(%s) = %d, %v; want %d", step.dev, n, err, step.want)
				}
			}
			if ok, err := v.Voted(ctx, id, "a"); !ok || err != nil {
				t.Errorf("Voted(a) = %v, %v", ok, err)
			}
			if ok, err := v.Voted(ctx, id, "c"); ok || err != nil {
				t.Errorf("Voted(c) = %v, %v", ok, err)
			}
			if r, _ := st.Report(ctx, id); r.Votes != 2 {
				t.Errorf("Report.Votes = %d, want 2", r.Votes)
			}
			// A count left behind (a crash between the vote and the count)
			// is mended by the next vote, a repeat included.
			if _, err := st.UpdateReport(ctx, id, func(r *store.Report) error { r.Votes = 0; return nil }); err != nil {
				t.Fatal(err)
			}
			if n, err := v.Vote(ctx, id, "a"); err != nil || n != 2 {
				t.Errorf("repeat vote after a lost count = %d, %v; want 2", n, err)
			}
			if _, err := v.Vote(ctx, id, "bad device!"); !errors.Is(err, votes.ErrBadDevice) {
				t.Errorf("Vote(bad device) = %v", err)
			}
			if _, err := v.Vote(ctx, store.NewID(at), "a"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Vote(unknown report) = %v, want ErrNotFound", err)
			}
		})
	}
}
