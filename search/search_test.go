package search

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
)

var base = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func rep(at time.Time, title, body string) store.Report {
	return store.Report{ID: store.NewID(at), Title: title, Body: body, CreatedAt: at}
}

func mustAdd(t *testing.T, ix *Index, rs ...store.Report) {
	t.Helper()
	for _, r := range rs {
		if err := ix.Add(ctxT(t), r); err != nil {
			t.Fatalf("Add(%s %q): %v", r.ID, r.Title, err)
		}
	}
}

func mustQuery(t *testing.T, ix *Index, q string, opts Options) []string {
	t.Helper()
	ids, err := ix.Query(ctxT(t), q, opts)
	if err != nil {
		t.Fatalf("Query(%q, %+v): %v", q, opts, err)
	}
	return ids
}

func TestIndex(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("match", func(t *testing.T) { testMatch(t, New(b.Open(t), nil)) })
			t.Run("paging", func(t *testing.T) { testPaging(t, New(b.Open(t), nil)) })
			t.Run("edit and remove", func(t *testing.T) { testEditRemove(t, New(b.Open(t), nil)) })
			t.Run("reindex", func(t *testing.T) { testReindex(t, b.Open(t)) })
			t.Run("concurrent adds", func(t *testing.T) { testConcurrentAdds(t, New(b.Open(t), nil)) })
		})
	}
}

func testMatch(t *testing.T, ix *Index) {
	pumpZH := rep(base, "3号泵漏油", "萃取车间3号泵机封处漏油，地上一滩油")
	pumpEN := rep(base.Add(time.Minute), "Pump 3 leaking oil", "Oil is leaking from the mechanical seal.")
	leaks := rep(base.Add(2*time.Minute), "Flange leaks", "The flange at stage 4 leaks organic phase.")
	kiln := rep(base.Add(3*time.Minute), "回转窑温度低", "窑尾温度只有800度，比设定低")
	emul := rep(base.Add(4*time.Minute), "萃取槽乳化", "第12级界面有乳化层，分相慢")
	other := rep(base.Add(5*time.Minute), "记录仪没纸了", "时效炉记录仪打印纸用完")
	mustAdd(t, ix, pumpZH, pumpEN, leaks, kiln, emul, other)
	for _, c := range []struct {
		q    string
		want []store.Report // newest first
	}{
		{"漏油", []store.Report{pumpEN, pumpZH}},          // a Chinese query finds 泵漏油, and across languages
		{"oil leak", []store.Report{pumpEN, pumpZH}},    // and back
		{"leak", []store.Report{leaks, pumpEN, pumpZH}}, // stemming: leaking, leaks; 漏 in 漏油
		{"泵 漏油", []store.Report{pumpEN, pumpZH}},        // AND of concepts
		{"pump 窑", nil},                             // AND: no report has both
		{"窑尾温度", []store.Report{kiln}},              // bigrams outside the glossary
		{"温度", []store.Report{kiln}},                // a concept
		{"尾温", []store.Report{kiln}},                // a bare bigram
		{"乳化", []store.Report{emul}},                // a glossary term
		{"emulsion", []store.Report{emul}},          // its English name
		{"打印纸", []store.Report{other}},              // a glossary term found in Chinese only
		{"Mechanical SEAL", []store.Report{pumpEN}}, // case folded; 机封 is not in the glossary
		{"!!! 123", nil},                            // no token
		{"", nil},
	} {
		got := mustQuery(t, ix, c.q, Options{})
		var want []string
		for _, r := range c.want {
			want = append(want, r.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Query(%q) = %v, want %v (tokens %v)", c.q, got, want, ix.QueryTokens(c.q))
		}
	}
}

func testPaging(t *testing.T, ix *Index) {
	// 40 reports over 10 days (several buckets), every third about dust.
	var want []string
	for i := range 40 {
		at := base.Add(time.Duration(i) * 6 * time.Hour)
		r := rep(at, fmt.Sprintf("报告 %d", i), "温度正常")
		if i%3 == 0 {
			r = rep(at, fmt.Sprintf("Dust at packing %d", i), "粉尘很大，除尘器坏了")
			want = append(want, r.ID)
		}
		mustAdd(t, ix, r)
	}
	slices.Reverse(want)
	for _, limit := range []int{1, 4, 7, 100} {
		var got []string
		after := ""
		for page := 0; ; page++ {
			ids := mustQuery(t, ix, "粉尘", Options{After: after, Limit: limit})
			got = append(got, ids...)
			if len(ids) < limit {
				break
			}
			after = ids[len(ids)-1]
			if page > 50 {
				t.Fatal("paging does not end")
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages of %d = %v, want %v", limit, got, want)
		}
	}
	if got := mustQuery(t, ix, "dust 除尘器", Options{Limit: 3}); !slices.Equal(got, want[:3]) {
		t.Errorf("Query(dust 除尘器, 3) = %v, want %v", got, want[:3])
	}
}

func testEditRemove(t *testing.T, ix *Index) {
	ctx := ctxT(t)
	r := rep(base.Add(-time.Hour), "阀门内漏", "料液管道阀门关不严")
	mustAdd(t, ix, r, r) // twice: idempotent
	if got := mustQuery(t, ix, "阀门", Options{}); !slices.Equal(got, []string{r.ID}) {
		t.Fatalf("Query(阀门) = %v, want [%s]", got, r.ID)
	}
	r.Title, r.Body = "管道堵塞", "出料管道堵了"
	mustAdd(t, ix, r)
	if got := mustQuery(t, ix, "阀门", Options{}); len(got) != 0 {
		t.Errorf("after the edit, Query(阀门) = %v, want nothing", got)
	}
	if got := mustQuery(t, ix, "clog", Options{}); !slices.Equal(got, []string{r.ID}) {
		t.Errorf("after the edit, Query(clog) = %v, want [%s]", got, r.ID)
	}
	if err := ix.Remove(ctx, r.ID); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if got := mustQuery(t, ix, "管道", Options{}); len(got) != 0 {
		t.Errorf("after Remove, Query(管道) = %v, want nothing", got)
	}
	if err := ix.Remove(ctx, r.ID); err != nil {
		t.Errorf("Remove twice: %v", err)
	}
	// Nothing is left behind of the report: its token set and postings.
	if _, err := ix.rec.GetRecord(ctx, docsColl, r.ID); err == nil {
		t.Errorf("token set of removed report still stored")
	}
	for _, tok := range ix.Tokens(r) {
		b, err := ix.rec.GetRecord(ctx, postingColl(tok), bucketOf(r.ID))
		if err == nil && slices.Contains(decodeIDs(b), r.ID) {
			t.Errorf("posting %s still lists the removed report", tok)
		}
	}
}

func testReindex(t *testing.T, st store.Store) {
	ctx := ctxT(t)
	var subs []store.Submission
	for i := range 25 {
		at := base.Add(time.Duration(i) * 3 * time.Hour)
		subs = append(subs, storetest.MakeSubmission(fmt.Sprint("reidx", i), at, func(r *store.Report) {
			if i%5 == 0 {
				r.Title, r.Body = "Anode effect on cell 4", "Frequent anode effects this shift"
			}
		}))
	}
	var anode []string
	for _, s := range subs {
		r, _, err := st.Submit(ctx, s)
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if r.Title == "Anode effect on cell 4" {
			anode = append(anode, r.ID)
		}
	}
	slices.Reverse(anode)
	ix := New(st, nil)
	// One report is indexed already, with stale text: Reindex replaces it.
	stale := subs[0].Report
	stale.Title, stale.Body = "旧的标题", "草酸溶解慢"
	mustAdd(t, ix, stale)
	n, err := ix.Reindex(ctx, StoreReports(st))
	if err != nil || n != 25 {
		t.Fatalf("Reindex = %d, %v; want 25", n, err)
	}
	if got := mustQuery(t, ix, "阳极效应", Options{}); !slices.Equal(got, anode) {
		t.Errorf("after Reindex, Query(阳极效应) = %v, want %v", got, anode)
	}
	if got := mustQuery(t, ix, "草酸", Options{}); len(got) != 0 {
		t.Errorf("after Reindex, the stale text still found: %v", got)
	}
	all := mustQuery(t, ix, "分相", Options{Limit: 100}) // the default title of MakeSubmission
	if len(all) != 20 {
		t.Errorf("Query(分相) = %d reports, want 20", len(all))
	}
	// Reindex again: nothing changes.
	if _, err := ix.Reindex(ctx, StoreReports(st)); err != nil {
		t.Fatal(err)
	}
	if again := mustQuery(t, ix, "分相", Options{Limit: 100}); !reflect.DeepEqual(again, all) {
		t.Errorf("second Reindex changed results: %d vs %d", len(again), len(all))
	}
}

func testConcurrentAdds(t *testing.T, ix *Index) {
	// Reports of one bucket sharing their tokens, added at once: each
	// posting update is atomic, none is lost.
	const n = 48
	rs := make([]store.Report, n)
	for i := range rs {
		rs[i] = rep(base.Add(time.Duration(i)*time.Second), fmt.Sprintf("Pump %d leaking oil", i), "泵漏油")
	}
	errc := make(chan error, n)
	for w := range 8 {
		go func() {
			for i := w; i < n; i += 8 {
				errc <- ix.Add(ctxT(t), rs[i])
			}
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
	got := mustQuery(t, ix, "漏油", Options{Limit: 100})
	if len(got) != n || !slices.IsSortedFunc(got, func(a, b string) int { return -cmpStr(a, b) }) {
		t.Errorf("Query after %d concurrent adds = %d ids (sorted newest first: %v), want %d", n, len(got), slices.IsSortedFunc(got, func(a, b string) int { return -cmpStr(a, b) }), n)
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestEncodeIDs(t *testing.T) {
	uuids := []string{store.NewID(base), store.NewID(base.Add(time.Hour))}
	slices.Sort(uuids)
	for _, ids := range [][]string{uuids, {"a", "b-1"}, {uuids[0], "not-a-uuid"}, {strings.ToUpper(uuids[0])}} {
		b := encodeIDs(ids)
		if got := decodeIDs(b); !slices.Equal(got, ids) {
			t.Errorf("decodeIDs(encodeIDs(%v)) = %v", ids, got)
		}
	}
	if b := encodeIDs(uuids); len(b) != 1+16*len(uuids) {
		t.Errorf("encodeIDs(UUIDs) is %d bytes, want %d", len(b), 1+16*len(uuids))
	}
}

func TestBucketOrder(t *testing.T) {
	var ids []string
	for i := range 200 {
		ids = append(ids, store.NewID(base.Add(time.Duration(i)*97*time.Minute)))
	}
	slices.Sort(ids)
	buckets := map[string]bool{}
	for i := 1; i < len(ids); i++ {
		if bucketOf(ids[i-1]) > bucketOf(ids[i]) {
			t.Fatalf("bucketOf(%s) > bucketOf(%s)", ids[i-1], ids[i])
		}
		buckets[bucketOf(ids[i])] = true
	}
	// 200 × 97 min ≈ 13.5 days: about 17 buckets of 18.6 h.
	if n := len(buckets); n < 15 || n > 20 {
		t.Errorf("%d buckets for 13.5 days, want about 17", n)
	}
}
