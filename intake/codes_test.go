package intake_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

func TestNormalizeCode(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"Z54B-HE60", "Z54B-HE60", true},
		{" z54b-he60 ", "Z54B-HE60", true},
		{"Z54BHE60", "Z54B-HE60", true},
		{"Z54B-HEO0", "Z54B-HE00", true}, // O read as 0
		{"1L1I-0000", "1111-0000", true},
		{"Z54B-HE6", "", false},
		{"Z54B_HE60", "", false},
		{"UUUU-UUUU", "", false}, // no U in Crockford's alphabet
		{"", "", false},
		{"Z54B-HE60-XXXX", "", false},
	} {
		got, ok := intake.NormalizeCode(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for range 100 {
		code := store.NewCode()
		if got, ok := intake.NormalizeCode(code); !ok || got != code {
			t.Fatalf("NormalizeCode(NewCode() = %q) = %q, %v; want it unchanged", code, got, ok)
		}
	}
}

// The processor indexes each report's code (again on a redelivery, which
// changes nothing), on both backends; Backfill adds what is missing.
func TestProcessorIndexesCodes(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			st := be.Open(t)
			f := newFixtureOn(t, st)
			ctx := context.Background()
			r, _, err := f.svc.Submit(ctx, f.validInput(), intake.Meta{IdempotencyKey: "k1"})
			if err != nil {
				t.Fatal(err)
			}
			codes := intake.NewCodes(st)
			if _, err := codes.Lookup(ctx, r.Code); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Lookup before processing = %v, want ErrNotFound", err)
			}
			p := intake.NewProcessor(st, nil).IndexCodes(codes)
			jobs, err := st.Claim(ctx, store.QueueReport, "t", 10, time.Minute)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("Claim = %v, %v", jobs, err)
			}
			for range 2 {
				if err := p.Handle(ctx, jobs[0]); err != nil {
					t.Fatalf("Handle: %v", err)
				}
			}
			if id, err := codes.Lookup(ctx, r.Code); err != nil || id != r.ID {
				t.Fatalf("Lookup(%s) = %q, %v; want %s", r.Code, id, err, r.ID)
			}
			if err := st.DeleteRecord(ctx, intake.CodesCollection, r.Code); err != nil {
				t.Fatal(err)
			}
			if n, err := codes.Backfill(ctx, st); err != nil || n != 1 {
				t.Fatalf("Backfill = %d, %v; want 1", n, err)
			}
			if n, err := codes.Backfill(ctx, st); err != nil || n != 0 {
				t.Fatalf("Backfill again = %d, %v; want 0", n, err)
			}
			if id, err := codes.Lookup(ctx, r.Code); err != nil || id != r.ID {
				t.Fatalf("Lookup after Backfill = %q, %v", id, err)
			}
		})
	}
}

func newFixtureOn(t *testing.T, st store.Store) fixture {
	t.Helper()
	sg := mustSigner(t)
	p := plant.Sample()
	svc := intake.New(intake.Deps{Store: st, Plant: p, Signer: sg, Now: func() time.Time { return testNow }})
	return fixture{svc: svc, store: st, signer: sg, plant: p}
}
