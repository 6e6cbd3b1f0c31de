package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/floorfeed/floorfeed/store"
)

func testRecordsBasic(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	if _, err := s.GetRecord(ctx, "things", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get from an unknown collection: %v, want ErrNotFound", err)
	}
	bin := []byte{0, 1, 2, 0xff, '\n'}
	if err := s.PutRecord(ctx, "things", "a", bin); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetRecord(ctx, "things", "a"); err != nil || !bytes.Equal(got, bin) {
		t.Fatalf("get: %q, %v; want %q", got, err, bin)
	}
	if err := s.PutRecord(ctx, "things", "a", []byte("second")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetRecord(ctx, "things", "a"); string(got) != "second" {
		t.Fatalf("after overwrite: %q", got)
	}
	if _, err := s.GetRecord(ctx, "other", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("collections must be separate: %v", err)
	}
	created, err := s.CreateRecord(ctx, "things", "a", []byte("third"))
	if err != nil || created {
		t.Fatalf("create over an existing key: created=%v err=%v", created, err)
	}
	if got, _ := s.GetRecord(ctx, "things", "a"); string(got) != "second" {
		t.Fatalf("a refused create changed the value: %q", got)
	}
	if created, err := s.CreateRecord(ctx, "things", "b", nil); err != nil || !created {
		t.Fatalf("create new: created=%v err=%v", created, err)
	}
	if got, err := s.GetRecord(ctx, "things", "b"); err != nil || len(got) != 0 {
		t.Fatalf("empty value: %q, %v", got, err)
	}
	if n, err := s.CountRecords(ctx, "things"); err != nil || n != 2 {
		t.Fatalf("count: %d, %v", n, err)
	}
	if err := s.DeleteRecord(ctx, "things", "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRecord(ctx, "things", "a"); err != nil {
		t.Fatalf("delete twice: %v", err)
	}
	if err := s.DeleteRecord(ctx, "nowhere", "a"); err != nil {
		t.Fatalf("delete from unknown collection: %v", err)
	}
	if _, err := s.GetRecord(ctx, "things", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if n, _ := s.CountRecords(ctx, "things"); n != 1 {
		t.Fatalf("count after delete: %d", n)
	}
	recs, err := s.ListRecords(ctx, "things", store.ListOptions{})
	if err != nil || len(recs) != 1 || recs[0].Key != "b" {
		t.Fatalf("list after delete: %v, %v", recs, err)
	}
	if n, err := s.CountRecords(ctx, "nowhere"); err != nil || n != 0 {
		t.Fatalf("count unknown: %d, %v", n, err)
	}
}

func testRecordsRejects(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	for _, tc := range []struct{ coll, key string }{
		{"", "k"}, {"has space", "k"}, {"ok", ""}, {"ok", "nul\x00"}, {"ok", strings.Repeat("k", store.MaxRecordKey+1)},
	} {
		if err := s.PutRecord(ctx, tc.coll, tc.key, []byte("v")); err == nil {
			t.Errorf("PutRecord(%q, %q) accepted", tc.coll, tc.key)
		}
		if _, err := s.CreateRecord(ctx, tc.coll, tc.key, []byte("v")); err == nil {
			t.Errorf("CreateRecord(%q, %q) accepted", tc.coll, tc.key)
		}
	}
	if err := s.PutRecord(ctx, "ok", "big", make([]byte, store.MaxRecordSize+1)); err == nil {
		t.Error("a value above MaxRecordSize was accepted")
	}
}

func testRecordsCreateOnce(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	const n = 30
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := range n {
		wg.Go(func() {
			created, err := s.CreateRecord(ctx, "slots", "team-a/2026-W49", []byte(strconv.Itoa(i)))
			if err != nil {
				t.Error(err)
				return
			}
			if created {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d concurrent creates of one key succeeded, want exactly 1", winners)
	}
}

func testRecordsUpdate(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	const n = 40
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := s.UpdateRecord(ctx, "counters", "c", func(cur []byte, exists bool) ([]byte, error) {
				v := 0
				if exists {
					var err error
					if v, err = strconv.Atoi(string(cur)); err != nil {
						return nil, err
					}
				}
				return []byte(strconv.Itoa(v + 1)), nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, _ := s.GetRecord(ctx, "counters", "c"); string(got) != strconv.Itoa(n) {
		t.Fatalf("%d concurrent increments gave %q", n, got)
	}

	// An error from fn writes nothing and comes back as it is.
	boom := errors.New("boom")
	if _, err := s.UpdateRecord(ctx, "counters", "c", func([]byte, bool) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("fn error: %v", err)
	}
	if got, _ := s.GetRecord(ctx, "counters", "c"); string(got) != strconv.Itoa(n) {
		t.Fatalf("an aborted update changed the value: %q", got)
	}
	// ErrDeleteRecord deletes.
	out, err := s.UpdateRecord(ctx, "counters", "c", func([]byte, bool) ([]byte, error) { return nil, store.ErrDeleteRecord })
	if err != nil || out != nil {
		t.Fatalf("delete by update: %q, %v", out, err)
	}
	if _, err := s.GetRecord(ctx, "counters", "c"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete by update: %v", err)
	}
	if n, _ := s.CountRecords(ctx, "counters"); n != 0 {
		t.Fatalf("count after delete by update: %d", n)
	}
	// Update of an absent key sees exists=false and creates it.
	out, err = s.UpdateRecord(ctx, "counters", "new", func(cur []byte, exists bool) ([]byte, error) {
		if exists || cur != nil {
			return nil, fmt.Errorf("absent key seen as %q, exists=%v", cur, exists)
		}
		return []byte("made"), nil
	})
	if err != nil || string(out) != "made" {
		t.Fatalf("update of absent key: %q, %v", out, err)
	}
	recs, _ := s.ListRecords(ctx, "counters", store.ListOptions{})
	if len(recs) != 1 || recs[0].Key != "new" {
		t.Fatalf("a key made by update must list: %v", recs)
	}
}

func testRecordsList(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	var keys []string
	for _, p := range []string{"a", "ab", "b", "b\xff", "c"} {
		for i := range 7 {
			keys = append(keys, fmt.Sprintf("%s%02d", p, i))
		}
	}
	keys = append(keys, "a", "b", "\xff\xff")
	for _, k := range keys {
		if err := s.PutRecord(ctx, "list", k, []byte("v:"+k)); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(keys)
	model := func(prefix string, reverse bool) []string {
		var out []string
		for _, k := range keys {
			if strings.HasPrefix(k, prefix) {
				out = append(out, k)
			}
		}
		if reverse {
			slices.Reverse(out)
		}
		return out
	}
	for _, prefix := range []string{"", "a", "ab", "b", "b\xff", "c0", "zz", "\xff"} {
		for _, reverse := range []bool{false, true} {
			for _, limit := range []int{1, 3, 100} {
				t.Run(fmt.Sprintf("prefix=%q/reverse=%v/limit=%d", prefix, reverse, limit), func(t *testing.T) {
					var got []string
					after := ""
					for page := 0; ; page++ {
						if page > len(keys)+1 {
							t.Fatal("paging does not end")
						}
						recs, err := s.ListRecords(ctx, "list", store.ListOptions{Prefix: prefix, After: after, Limit: limit, Reverse: reverse})
						if err != nil {
							t.Fatal(err)
						}
						if len(recs) > limit {
							t.Fatalf("page of %d, limit %d", len(recs), limit)
						}
						for _, r := range recs {
							if string(r.Value) != "v:"+r.Key {
								t.Fatalf("value of %q is %q", r.Key, r.Value)
							}
							got = append(got, r.Key)
						}
						if len(recs) < limit {
							break
						}
						after = recs[len(recs)-1].Key
					}
					if want := model(prefix, reverse); !slices.Equal(got, want) {
						t.Fatalf("listed %q\nwant %q", got, want)
					}
				})
			}
		}
	}
	// A cursor outside the prefix still lists within it.
	recs, err := s.ListRecords(ctx, "list", store.ListOptions{Prefix: "b", After: "zzz", Reverse: true, Limit: 2})
	if err != nil || len(recs) != 2 || recs[0].Key != "b\xff06" {
		t.Fatalf("reverse with a cursor beyond the prefix: %v, %v", recs, err)
	}
	if recs, err := s.ListRecords(ctx, "nowhere", store.ListOptions{}); err != nil || len(recs) != 0 {
		t.Fatalf("unknown collection: %v, %v", recs, err)
	}
}

func testRecordsDurable(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := context.Background()
	if err := s.PutRecord(ctx, "users", "ada", []byte(`{"role":"admin"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRecord(ctx, "slots", "x", []byte("1")); err != nil {
		t.Fatal(err)
	}
	s = h.Reopen(t, s)
	if got, err := s.GetRecord(ctx, "users", "ada"); err != nil || string(got) != `{"role":"admin"}` {
		t.Fatalf("after reopen: %q, %v", got, err)
	}
	if created, err := s.CreateRecord(ctx, "slots", "x", []byte("2")); err != nil || created {
		t.Fatalf("a slot claimed before the restart was claimed again: %v, %v", created, err)
	}
}
