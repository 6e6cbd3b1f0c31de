package search

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/demo"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
	"github.com/floorfeed/floorfeed/store/redisstore"
)

// benchReports is the size of the benchmark's plant history.
const benchReports = 100000

// benchSpan is the time the benchmark's reports spread over: 100,000
// reports in a year is a busy plant (about 270 a day).
const benchSpan = 365 * 24 * time.Hour

// benchQueries are the queries timed: common and rare terms, in both
// languages, several terms (AND), terms that never meet (the whole
// driver list is walked), and a term nobody wrote.
var benchQueries = []struct{ name, q string }{
	{"common-zh-温度", "温度"},
	{"common-en-temperature", "temperature"},
	{"common-and-阳极效应+槽电压", "阳极效应 槽电压"},
	{"mid-zh-乳化", "乳化"},
	{"mid-cross-anode-effect", "anode effect"},
	{"rare-zh-叉车", "叉车"},
	{"rare-en-sludge", "grinding sludge"},
	{"rarest-zh-萃余液返混", "萃余液返混"},
	{"rarest-en-raffinate", "raffinate"},
	{"empty-and-托轮+叉车", "托轮 叉车"},
	{"rare-and-common-托轮+温度", "托轮 温度"},
	{"bigram-尾温", "尾温"},
	{"none-zzz", "zzzqqq"},
}

// benchCorpus is the generated reports, made once.
var benchCorpus = sync.OnceValue(func() []store.Report {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	items := demo.Generate(plant.Sample(), benchReports, now, 42)
	out := make([]store.Report, len(items))
	for i, it := range items {
		// Stretch the generator's four weeks to benchSpan, keeping order.
		at := now.Add(-time.Duration(float64(now.Sub(it.At)) * float64(benchSpan) / float64(demo.Window)))
		out[i] = store.Report{ID: store.NewID(at), Title: it.Title, Body: it.Body, CreatedAt: at}
		if i%5000 == 17 { // 20 reports of a problem nobody else reports
			out[i].Title, out[i].Body = "萃余液返混 / raffinate back-mixing", "第30级萃余液返混明显 — raffinate back-mixing at stage 30"
		}
	}
	return out
})

func sliceReports(rs []store.Report) Reports {
	return func(ctx context.Context, yield func(store.Report) error) error {
		for _, r := range rs {
			if err := yield(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// BenchmarkQuery100k indexes 100,000 generated reports (mixed Chinese and
// English, the demo plant's) on each backend and times the first page (50
// ids) of each query, reporting p50 and p95.
//
//	go test -run '^$' -bench Query100k -benchtime 200x -timeout 30m ./search/
func BenchmarkQuery100k(b *testing.B) {
	corpus := benchCorpus()
	for _, be := range []struct {
		name string
		open func(b *testing.B) (store.Records, func() string)
	}{
		{"bolt", openBoltBench},
		{"redis", openRedisBench},
	} {
		b.Run(be.name, func(b *testing.B) {
			rec, size := be.open(b)
			ix := New(rec, nil)
			ctx := context.Background()
			start := time.Now()
			if _, err := ix.Reindex(ctx, sliceReports(corpus)); err != nil {
				b.Fatalf("Reindex: %v", err)
			}
			fmt.Fprintf(os.Stderr, "%s: indexed %d reports in %v; %d posting records; index %s\n", be.name, len(corpus), time.Since(start).Round(time.Millisecond), postingRecords(ix, corpus), size())
			for _, q := range benchQueries {
				b.Run(q.name, func(b *testing.B) {
					var ds []time.Duration
					var n int
					for b.Loop() {
						t0 := time.Now()
						ids, err := ix.Query(ctx, q.q, Options{Limit: 50})
						if err != nil {
							b.Fatal(err)
						}
						ds = append(ds, time.Since(t0))
						n = len(ids)
					}
					slices.Sort(ds)
					b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
					b.ReportMetric(ms(ds[len(ds)*95/100]), "p95-ms")
					b.ReportMetric(float64(n), "hits")
				})
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func openBoltBench(b *testing.B) (store.Records, func() string) {
	path := filepath.Join(b.TempDir(), "floorfeed.db")
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st, func() string {
		fi, err := os.Stat(path)
		if err != nil {
			return err.Error()
		}
		n, _ := st.CountRecords(context.Background(), docsColl)
		return fmt.Sprintf("bolt file %.1f MB (%d token sets)", float64(fi.Size())/1e6, n)
	}
}

func openRedisBench(b *testing.B) (store.Records, func() string) {
	rs := testutil.StartRedis(b)
	st, err := redisstore.Open(context.Background(), rs.URL, redisstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: rs.Socket})
	b.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	before := usedMemory(ctx, c)
	return st, func() string {
		keys, _ := c.DBSize(ctx).Result()
		return fmt.Sprintf("redis used_memory +%.1f MB, %d keys", float64(usedMemory(ctx, c)-before)/1e6, keys)
	}
}

func usedMemory(ctx context.Context, c *redis.Client) int64 {
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// postingRecords counts the (token, bucket) records the corpus makes.
func postingRecords(ix *Index, rs []store.Report) int {
	seen := map[[2]string]bool{}
	for _, r := range rs {
		for _, t := range ix.Tokens(r) {
			seen[[2]string{t, bucketOf(r.ID)}] = true
		}
	}
	return len(seen)
}
