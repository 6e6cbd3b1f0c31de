package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
)

// TestWalkUnion walks the union of a few indexes in batches far smaller
// than the indexes, as FindReports does for Lines or MinSeverity, and checks
// that it yields every id of the union once, in descending order.
func TestWalkUnion(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := mustOpen(t, testutil.StartRedis(t).URL, Options{})
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{s.k.idx("line", "a"), s.k.idx("line", "b"), s.k.idx("line", "c"), s.k.idx("line", "empty")}
	var union []string
	for i := range 200 {
		id := store.NewID(base.Add(time.Duration(i) * time.Second))
		// Skewed: a gets most, b some, c few, empty none.
		k := keys[0]
		switch r := rng.IntN(10); {
		case r == 0:
			k = keys[2]
		case r < 4:
			k = keys[1]
		}
		mustNil(t, "ZADD", s.c.ZAdd(ctx, k, redis.Z{Member: id}).Err())
		union = append(union, id)
	}
	slices.Reverse(union)
	for _, tc := range []struct {
		lo, hi string // id range [lo, hi)
	}{
		{"", "~"},
		{union[150], union[20]},
	} {
		var want []string
		for _, id := range union {
			if id >= tc.lo && id < tc.hi {
				want = append(want, id)
			}
		}
		bottom := "-"
		if tc.lo != "" {
			bottom = "[" + tc.lo
		}
		for _, batch := range []int64{1, 2, 3, 7, 500} {
			var got []string
			top := "(" + tc.hi
			for rounds := 0; ; rounds++ {
				if rounds > len(union) {
					t.Fatalf("walkUnion(batch %d) did not end", batch)
				}
				ids, more, err := s.walkUnion(ctx, keys, bottom, top, batch)
				if err != nil {
					t.Fatalf("walkUnion = %v", err)
				}
				got = append(got, ids...)
				if !more {
					break
				}
				if len(ids) == 0 {
					t.Fatalf("walkUnion(batch %d) returned no ids but more", batch)
				}
				top = "(" + ids[len(ids)-1]
			}
			if !slices.Equal(got, want) {
				t.Fatalf("walkUnion over [%q, %q) by batches of %d = %d ids, want %d:\ngot  %v\nwant %v",
					tc.lo, tc.hi, batch, len(got), len(want), got, want)
			}
		}
	}
}

// commandLog records the keys of every command a client sends.
type commandLog struct {
	mu   sync.Mutex
	cmds []string
}

func (l *commandLog) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (l *commandLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		l.add(cmd)
		return next(ctx, cmd)
	}
}

func (l *commandLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			l.add(c)
		}
		return next(ctx, cmds)
	}
}

func (l *commandLog) add(c redis.Cmder) {
	l.mu.Lock()
	defer l.mu.Unlock()
	args := make([]string, len(c.Args()))
	for i, a := range c.Args() {
		args[i] = fmt.Sprint(a)
	}
	l.cmds = append(l.cmds, strings.Join(args, " "))
}

func (l *commandLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.cmds
	l.cmds = nil
	return out
}

// TestFindReportsUsesIndexes checks that filtered reads walk the value
// indexes of the most selective condition and never idx:all, and that a
// report is fetched only when its index says it may match.
func TestFindReportsUsesIndexes(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := mustOpen(t, testutil.StartRedis(t).URL, Options{})
	teams := []string{"separation", "metallurgy", "magnets"}
	for i := range 60 {
		storetest.MustSubmit(t, s, storetest.MakeSubmission(fmt.Sprint("u", i), base.Add(time.Duration(i)*time.Minute), func(r *store.Report) {
			r.Team = teams[i%3]
			r.Severity = store.Severities[i%4]
			if i == 7 {
				r.Line = "calc-1"
			}
		}))
	}
	log := &commandLog{}
	s.c.AddHook(log)
	for _, tc := range []struct {
		name      string
		f         store.Filter
		walked    []string // the index keys that must be walked (ZRANGE)
		maxFetch  int      // most report ids fetched
		wantFound int
	}{
		{"team", store.Filter{Team: "magnets"}, []string{"idx:team:magnets"}, 20, 20},
		{"min severity", store.Filter{MinSeverity: store.SeverityHigh},
			[]string{"idx:severity:high", "idx:severity:critical"}, 30, 30},
		{"rare line beats team", store.Filter{Team: "metallurgy", Lines: []string{"calc-1", "no-such-line"}},
			[]string{"idx:line:calc-1"}, 1, 1},
		{"team beats min severity", store.Filter{Team: "separation", MinSeverity: store.SeverityLow},
			[]string{"idx:team:separation"}, 20, 20},
	} {
		page, err := s.FindReports(ctx, tc.f)
		if err != nil || len(page.Reports) != tc.wantFound {
			t.Fatalf("%s: FindReports(%+v) = %d reports, %v; want %d", tc.name, tc.f, len(page.Reports), err, tc.wantFound)
		}
		var walked []string
		fetched := 0
		for _, c := range log.take() {
			if strings.Contains(c, "idx:all") {
				t.Errorf("%s: FindReports(%+v) sent %q: a full scan", tc.name, tc.f, c)
			}
			if strings.HasPrefix(c, "zrange ") {
				key := strings.Fields(c)[1]
				walked = append(walked, key[strings.Index(key, "idx:"):])
			}
			if strings.HasPrefix(c, "mget ") {
				fetched += len(strings.Fields(c)) - 1
			}
		}
		slices.Sort(walked)
		want := slices.Sorted(slices.Values(tc.walked))
		if !slices.Equal(slices.Compact(walked), want) {
			t.Errorf("%s: FindReports(%+v) walked %v, want %v", tc.name, tc.f, walked, want)
		}
		if fetched > tc.maxFetch {
			t.Errorf("%s: FindReports(%+v) fetched %d reports, want at most %d", tc.name, tc.f, fetched, tc.maxFetch)
		}
	}
}

// TestSubmitOneRoundTrip checks that Submit, team index included, is one
// script call and that the report lands in every value index of its fields.
func TestSubmitOneRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := mustOpen(t, testutil.StartRedis(t).URL, Options{})
	storetest.MustSubmit(t, s, storetest.MakeSubmission("warm", base, nil)) // a connection is open
	log := &commandLog{}
	s.c.AddHook(log)
	sub := storetest.MakeSubmission("one", base.Add(time.Minute), func(r *store.Report) { r.Team = "separation" })
	storetest.MustSubmit(t, s, sub)
	if cmds := log.take(); len(cmds) != 1 || !strings.HasPrefix(cmds[0], "evalsha ") {
		t.Fatalf("Submit sent %d commands %q, want one EVALSHA", len(cmds), cmds)
	}
	for _, fd := range store.FilterFields {
		key := s.k.idx(fd.Name, fd.Value(&sub.Report))
		if _, err := s.c.ZScore(ctx, key, sub.Report.ID).Result(); err != nil {
			t.Errorf("ZSCORE %s %s = %v, want the report in its %s index", key, sub.Report.ID, err, fd.Name)
		}
	}
}

func TestReindex(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, testutil.StartRedis(t).URL, Options{})
	storetest.CheckReindex(t, s, func(t *testing.T) {
		ctx := ctxT(t)
		keys, err := s.c.Keys(ctx, s.k.idx("team", "*")).Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("KEYS team indexes = %v, %v", keys, err)
		}
		mustNil(t, "DEL team indexes", s.c.Del(ctx, keys...).Err())
	})
}

// An update puts the report into every index of its current values, also
// those it was missing from: a report that an instance of schema 1 accepted
// during a rolling upgrade has no team entry until then.
func TestUpdateReportRepairsMissingIndexEntries(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, testutil.StartRedis(t).URL, Options{})
	ctx := ctxT(t)
	sub := storetest.MakeSubmission("from-old-instance", time.Now(), func(r *store.Report) { r.Team = "separation" })
	storetest.MustSubmit(t, s, sub)
	mustNil(t, "ZREM team index", s.c.ZRem(ctx, s.k.idx("team", "separation"), sub.Report.ID).Err())
	if page, err := s.FindReports(ctx, store.Filter{Team: "separation"}); err != nil || len(page.Reports) != 0 {
		t.Fatalf("FindReports(team) without its index entry = %d, %v; want 0", len(page.Reports), err)
	}
	if _, err := s.UpdateReport(ctx, sub.Report.ID, func(r *store.Report) error {
		r.SetStatus(store.StatusReceived, "system", time.Now())
		return nil
	}); err != nil {
		t.Fatalf("UpdateReport = %v", err)
	}
	page, err := s.FindReports(ctx, store.Filter{Team: "separation"})
	if err != nil || len(page.Reports) != 1 || page.Reports[0].ID != sub.Report.ID {
		t.Fatalf("FindReports(team) after an update = %+v, %v; want the report back in its team index", page.Reports, err)
	}
}
