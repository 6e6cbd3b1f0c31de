package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/internal/loadgen"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store/redisstore"
)

const benchSecret = "bench-secret-0123456789abcdef"

// BenchmarkSubmitHTTP measures JSON report submissions (no photos) over
// loopback HTTP at 64 concurrent connections: the real `serve` wiring on
// Redis and on the embedded store, and, as the yardstick, a bare Echo
// handler that only does the Redis writes a submission needs (one pipelined
// HSET + XADD). Load generator, server and Redis share the machine, so runs
// are noisy: every case runs once per round, rounds interleave the cases, and
// the summary gives medians (the Redis ratio is the median of the per-round
// ratios). Run it with `make bench`; it prints a table at the end.
//
// FLOORFEED_BENCH_REQUESTS (default 20000) sets the requests per case and
// round, FLOORFEED_BENCH_ROUNDS (default 3) the rounds.
func BenchmarkSubmitHTTP(b *testing.B) {
	n := envInt("FLOORFEED_BENCH_REQUESTS", 20000)
	rounds := int(envInt("FLOORFEED_BENCH_ROUNDS", 3))
	const conns = 64
	cases := []struct {
		name  string
		start func(b *testing.B) (url string)
	}{
		{"bare-echo-redis", startBareRedis},
		{"floorfeed-redis", func(b *testing.B) string { return startFloorfeed(b, testutil.StartRedis(b).URL, 0) }},
		{"floorfeed-redis+workers", func(b *testing.B) string { return startFloorfeed(b, testutil.StartRedis(b).URL, 32) }},
		{"floorfeed-embedded", func(b *testing.B) string { return startFloorfeed(b, "", 0) }},
		{"floorfeed-embedded+workers", func(b *testing.B) string { return startFloorfeed(b, "", 32) }},
	}
	signer, _ := signing.New([]byte(benchSecret))
	body := reportBody(signer)
	results := map[string][]loadgen.Result{}
	for round := range rounds {
		for _, c := range cases {
			b.Run(fmt.Sprintf("%s/round%d", c.name, round+1), func(b *testing.B) {
				url := c.start(b)
				b.ResetTimer()
				res, err := loadgen.Run(context.Background(), loadgen.Options{
					URL: url + "/api/v1/reports", Conns: conns, Requests: n * int64(b.N), Warmup: 500,
					WantStatus: http.StatusCreated, ContentType: "application/json",
				}, func(i int64) ([]byte, http.Header) {
					return body, http.Header{"Idempotency-Key": {fmt.Sprintf("bench-%s-%d", c.name, i)}}
				})
				b.StopTimer()
				if err != nil {
					b.Fatalf("load %s: %v", c.name, err)
				}
				if res.Errors > 0 {
					b.Fatalf("%s: %d of %d requests failed, first: %s", c.name, res.Errors, res.Requests, res.FirstError)
				}
				b.ReportMetric(res.Throughput(), "req/s")
				b.ReportMetric(ms(res.P99), "p99-ms")
				results[c.name] = append(results[c.name], res)
			})
		}
	}
	for _, c := range cases {
		if len(results[c.name]) != rounds {
			return // a -bench pattern picked some cases only: no summary
		}
	}
	var ratios []float64
	for i := range rounds {
		ratios = append(ratios, results["floorfeed-redis"][i].Throughput()/results["bare-echo-redis"][i].Throughput())
	}
	ratio := median(ratios)
	red, emb := summarize(results["floorfeed-redis"]), summarize(results["floorfeed-embedded"])
	fmt.Printf("\nJSON submissions, %d connections, %d requests per case and round, %d rounds, GOMAXPROCS=%d (medians)\n",
		conns, n, rounds, runtime.GOMAXPROCS(0))
	fmt.Printf("%-27s %10s %9s %9s %9s\n", "case", "req/s", "p50 ms", "p99 ms", "max ms")
	for _, c := range cases {
		r := summarize(results[c.name])
		fmt.Printf("%-27s %10.0f %9.2f %9.2f %9.2f\n", c.name, r.rps, r.p50, r.p99, r.max)
	}
	fmt.Printf("\nfloorfeed-redis / bare = %.0f%% (per round: %s; target ≥ 60%%), p99 %.1f ms (target ≤ 30): %s\n",
		ratio*100, percents(ratios), red.p99, verdict(ratio >= 0.6 && red.p99 <= 30))
	fmt.Printf("floorfeed-embedded = %.0f durable submissions/s (target ≥ 5000): %s\n\n",
		emb.rps, verdict(emb.rps >= 5000))
}

type summary struct{ rps, p50, p99, max float64 }

// summarize takes the median of each measure over the rounds.
func summarize(rs []loadgen.Result) summary {
	var rps, p50, p99, mx []float64
	for _, r := range rs {
		rps = append(rps, r.Throughput())
		p50, p99, mx = append(p50, ms(r.P50)), append(p99, ms(r.P99)), append(mx, ms(r.Max))
	}
	return summary{median(rps), median(p50), median(p99), median(mx)}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func percents(v []float64) string {
	var parts []string
	for _, x := range v {
		parts = append(parts, fmt.Sprintf("%.0f%%", x*100))
	}
	return strings.Join(parts, " ")
}

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil && v > 0 {
		return v
	}
	return def
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func reportBody(s *signing.Signer) []byte {
	b, _ := json.Marshal(map[string]string{
		"line": "ndfeb-1", "token": s.LineToken("ndfeb-1"), "category": "quality", "severity": "high",
		"title": "烧结炉3号 磁体Hcj偏低 / Hcj low on furnace 3", "station": "烧结炉",
		"body": "本班三炉Hcj 1350 kA/m，低于规格 1430。Batch 2611-07, O2 in glovebox 180 ppm.",
		"role": "technician", "lang": "zh",
	})
	return b
}

// startFloorfeed runs the real serve wiring on loopback; redisURL "" means
// the embedded store. With workers 0 it measures the submission path alone
// (as the bare handler does nothing else); with workers > 0 the reports are
// also processed while the load runs, as in production.
func startFloorfeed(b *testing.B, redisURL string, workers int) string {
	b.Helper()
	env := map[string]string{"FLOORFEED_SECRET": benchSecret, "FLOORFEED_REDIS_URL": redisURL}
	return startServe(b, env, "--data-dir", b.TempDir(), "--submit-rate", "0", "--log-level", "error",
		"--workers", strconv.Itoa(workers)).URL
}

// startBareRedis is the yardstick: Echo, a JSON body read, and one pipelined
// HSET + XADD per request on the same kind of Redis connection.
func startBareRedis(b *testing.B) string {
	b.Helper()
	rs := testutil.StartRedis(b)
	opts, err := redisstore.ParseURL(rs.URL)
	if err != nil {
		b.Fatalf("ParseURL: %v", err)
	}
	rdb := redis.NewUniversalClient(opts)
	b.Cleanup(func() { rdb.Close() })
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/api/v1/reports", func(c echo.Context) error {
		var in map[string]any
		if err := json.NewDecoder(c.Request().Body).Decode(&in); err != nil {
			return c.JSON(http.StatusBadRequest, map[string]string{"error": err.Error()})
		}
		id := uuid.Must(uuid.NewV7()).String()
		raw, _ := json.Marshal(in)
		ctx := c.Request().Context()
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, "bare:report:"+id, "json", raw, "status", "new")
			p.XAdd(ctx, &redis.XAddArgs{Stream: "bare:queue", Values: []string{"report", id}})
			return nil
		})
		if err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		}
		return c.JSON(http.StatusCreated, map[string]string{"id": id, "status": "new"})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: e}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}
