package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
)

func TestLogNewestFirstPaged(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			st := be.Open(t)
			clk := testutil.NewClock(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
			l, err := audit.New(st, clk.Now)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for i := range 7 {
				if err := l.Audit(ctx, "王工", audit.ActionLogin, fmt.Sprint("target-", i), "详情 detail"); err != nil {
					t.Fatalf("Audit(%d): %v", i, err)
				}
				clk.Advance(time.Millisecond * 3)
			}
			var got []string
			before := ""
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatal("List does not end")
				}
				es, next, err := l.List(ctx, before, 3)
				if err != nil {
					t.Fatalf("List(%q, 3): %v", before, err)
				}
				for _, e := range es {
					got = append(got, e.Target)
					if e.Actor != "王工" || e.Action != audit.ActionLogin || e.Detail != "详情 detail" || e.At.IsZero() {
						t.Errorf("entry %+v: fields not kept", e)
					}
				}
				if next == "" {
					break
				}
				before = next
			}
			want := []string{"target-6", "target-5", "target-4", "target-3", "target-2", "target-1", "target-0"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("listed %v, want %v (newest first, every entry once)", got, want)
			}
		})
	}
}

func TestLogCutsLongTexts(t *testing.T) {
	st := backends.Bolt(t)
	l, _ := audit.New(st, nil)
	long := make([]rune, audit.MaxDetail+50)
	for i := range long {
		long[i] = '长'
	}
	if err := l.Audit(context.Background(), "a", "x", "t", string(long)); err != nil {
		t.Fatal(err)
	}
	es, _, err := l.List(context.Background(), "", 0)
	if err != nil || len(es) != 1 {
		t.Fatalf("List = %v, %v", es, err)
	}
	if n := len([]rune(es[0].Detail)); n != audit.MaxDetail {
		t.Errorf("detail has %d characters, want it cut to %d", n, audit.MaxDetail)
	}
	if err := l.Audit(context.Background(), "a", "", "t", ""); err == nil {
		t.Error("Audit with an empty action = nil, want an error")
	}
}
