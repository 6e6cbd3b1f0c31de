package dashboard_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/demo"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
	"github.com/floorfeed/floorfeed/store/redisstore"
)

// benchReports is the size of the benchmark's installation.
const benchReports = 100000

// benchSeed makes the demo data, and so the cached bolt file, the same on
// every run.
const benchSeed = 8

// benchBoltCache is where the loaded bolt file is kept between benchmark
// runs (loading 100,000 reports takes a while); delete it to load anew.
func benchBoltCache() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("floorfeed-dash-bench-%d-%d-schema%d.db", benchReports, benchSeed, store.SchemaVersion))
}

// loadDemo submits benchReports demo reports through intake, as phones do.
func loadDemo(b *testing.B, e *env) {
	b.Helper()
	p, _, _ := e.settings.Current(context.Background())
	l := &demo.Loader{Intake: e.intake, Reports: e.st, Plant: p, Signer: testSigner(b), Now: func() time.Time { return testStart }}
	start := time.Now()
	n, err := l.Load(context.Background(), benchReports, benchSeed)
	if err != nil {
		b.Fatalf("load demo reports: %v", err)
	}
	b.Logf("loaded %d reports in %v", n, time.Since(start).Round(time.Millisecond))
}

func openBolt(b *testing.B, path string) *boltstore.Store {
	b.Helper()
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		b.Fatalf("boltstore.Open: %v", err)
	}
	return st
}

// benchStore opens a store of the named kind holding benchReports reports.
func benchStore(b *testing.B, name string) store.Store {
	b.Helper()
	if name == "redis" {
		// A private redis-server, loaded for this run.
		rs := testutil.StartRedis(b)
		red, err := redisstore.Open(context.Background(), rs.URL, redisstore.Options{})
		if err != nil {
			b.Fatalf("redisstore.Open: %v", err)
		}
		b.Cleanup(func() { _ = red.Close() })
		loadDemo(b, newEnv(b, red, envOptions{}))
		return red
	}
	// bolt: a copy of the cached file when there is one.
	cache := benchBoltCache()
	path := filepath.Join(b.TempDir(), "floorfeed.db")
	if data, err := os.ReadFile(cache); err == nil {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
	} else {
		st := openBolt(b, path)
		loadDemo(b, newEnv(b, st, envOptions{}))
		_ = st.Close()
		if data, err := os.ReadFile(path); err == nil {
			_ = os.WriteFile(cache+".tmp", data, 0o600)
			_ = os.Rename(cache+".tmp", cache)
		}
	}
	bolt := openBolt(b, path)
	b.Cleanup(func() { _ = bolt.Close() })
	return bolt
}

// BenchmarkDashboard measures, on both backends holding 100,000 reports:
//
//   - inbox-line-severity: the inbox page filtered by line and severity
//     (the whole handler: filter, counts over up to FacetBudget reports,
//     rendering), reported as p50 and p95 latency;
//
//   - export-csv: GET /api/v1/reports.csv of every report over a real HTTP
//     connection, read and discarded by the client, with the process's
//     peak heap while it streams.
//
//     go test -run '^$' -bench Dashboard -benchtime 200x ./dashboard/
func BenchmarkDashboard(b *testing.B) {
	for _, name := range []string{"bolt", "redis"} {
		b.Run(name, func(b *testing.B) { benchBackend(b, name) })
	}
}

func benchBackend(b *testing.B, name string) {
	e := newEnv(b, benchStore(b, name), envOptions{})
	{
		b.Run("inbox-line-severity", func(b *testing.B) {
			p, _, _ := e.settings.Current(context.Background())
			var urls []string
			for _, l := range p.Lines {
				for _, s := range store.Severities {
					urls = append(urls, "/inbox?line="+l.ID+"&severity="+string(s)+"&lang=zh")
				}
			}
			var durs []time.Duration
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				u := urls[i%len(urls)]
				req := httptest.NewRequest(http.MethodGet, u, nil)
				rec := httptest.NewRecorder()
				t0 := time.Now()
				e.e.ServeHTTP(rec, req)
				durs = append(durs, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", u, rec.Code)
				}
			}
			slices.Sort(durs)
			b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(durs[len(durs)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(len(durs)), "cpu-ms/op")
		})
		// The counts box of the same pages, each time computed afresh (the
		// clock moves past the cache's life before every request).
		b.Run("counts-line-severity-uncached", func(b *testing.B) {
			p, _, _ := e.settings.Current(context.Background())
			var urls []string
			for _, l := range p.Lines {
				for _, s := range store.Severities {
					urls = append(urls, "/inbox/counts?line="+l.ID+"&severity="+string(s)+"&lang=zh")
				}
			}
			var durs []time.Duration
			for i := 0; b.Loop(); i++ {
				e.clock.Advance(time.Minute)
				u := urls[i%len(urls)]
				rec := httptest.NewRecorder()
				t0 := time.Now()
				e.e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
				durs = append(durs, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", u, rec.Code)
				}
			}
			slices.Sort(durs)
			b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(durs[len(durs)*95/100].Microseconds())/1000, "p95-ms")
		})
		b.Run("export-csv", func(b *testing.B) {
			ts := httptest.NewServer(e.e)
			defer ts.Close()
			// Each run reads 100,000 reports: three runs, whatever -benchtime asks.
			var secs []float64
			var peakMax uint64
			cpu0 := cpuTime()
			runs := min(b.N, 3)
			for range runs {
				runtime.GC()
				var base runtime.MemStats
				runtime.ReadMemStats(&base)
				var peak atomic.Uint64
				done := make(chan struct{})
				var wg sync.WaitGroup
				wg.Go(func() {
					tick := time.NewTicker(5 * time.Millisecond)
					defer tick.Stop()
					var ms runtime.MemStats
					for {
						select {
						case <-done:
							return
						case <-tick.C:
							runtime.ReadMemStats(&ms)
							if ms.HeapAlloc > peak.Load() {
								peak.Store(ms.HeapAlloc)
							}
						}
					}
				})
				t0 := time.Now()
				resp, err := http.Get(ts.URL + "/api/v1/reports.csv")
				if err != nil {
					b.Fatal(err)
				}
				lines := 0
				sc := bufio.NewScanner(resp.Body)
				sc.Buffer(make([]byte, 64<<10), 1<<20)
				for sc.Scan() {
					lines++
				}
				_ = resp.Body.Close()
				elapsed := time.Since(t0)
				close(done)
				wg.Wait()
				if lines < benchReports+1 {
					b.Fatalf("CSV export has %d lines, want at least %d", lines, benchReports+1)
				}
				secs = append(secs, elapsed.Seconds())
				peakMax = max(peakMax, peak.Load()-min(peak.Load(), base.HeapAlloc))
			}
			slices.Sort(secs)
			b.ReportMetric(0, "ns/op") // a run is not an op of b.N: see export-s
			b.ReportMetric(secs[len(secs)/2], "export-s")
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(runs), "cpu-s/export")
			b.ReportMetric(float64(peakMax)/(1<<20), "peak-heap-above-base-MiB")
		})
	}
}

// cpuTime is the CPU time (user and system) this process has used: on a
// shared machine it says what a request costs when wall time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
