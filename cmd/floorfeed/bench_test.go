package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
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
// HSET + XADD). Run it with `make bench`; it prints a table at the end.
//
// FLOORFEED_BENCH_REQUESTS (default 20000) sets the requests per case.
func BenchmarkSubmitHTTP(b *testing.B) {
	n := int64(20000)
	if v, err := strconv.ParseInt(os.Getenv("FLOORFEED_BENCH_REQUESTS"), 10, 64); err == nil && v > 0 {
		n = v
	}
	const conns = 64
	results := map[string]loadgen.Result{}
	cases := []struct {
		name  string
		start func(b *testing.B) (url string)
	}{
		{"bare-echo-redis", startBareRedis},
		{"floorfeed-redis", func(b *testing.B) string { return startFloorfeed(b, testutil.StartRedis(b).URL+os.Getenv("BENCH_REDIS_QUERY")) }},
		{"floorfeed-embedded", func(b *testing.B) string { return startFloorfeed(b, "") }},
	}
	signer, _ := signing.New([]byte(benchSecret))
	body := reportBody(signer)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
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
			b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
			results[c.name] = res
		})
	}
	bare, ok1 := results["bare-echo-redis"]
	red, ok2 := results["floorfeed-redis"]
	emb, ok3 := results["floorfeed-embedded"]
	if !ok1 || !ok2 || !ok3 {
		return
	}
	ratio := red.Throughput() / bare.Throughput()
	fmt.Printf("\nJSON submissions, %d connections, %d requests each, GOMAXPROCS=%d\n", conns, red.Requests, runtime.GOMAXPROCS(0))
	fmt.Printf("%-20s %10s %9s %9s %9s\n", "case", "req/s", "p50 ms", "p99 ms", "max ms")
	for _, name := range []string{"bare-echo-redis", "floorfeed-redis", "floorfeed-embedded"} {
		r := results[name]
		fmt.Printf("%-20s %10.0f %9.2f %9.2f %9.2f\n", name, r.Throughput(), ms(r.P50), ms(r.P99), ms(r.Max))
	}
	fmt.Printf("\nfloorfeed-redis / bare = %.0f%% (target ≥ 60%%), p99 %.1f ms (target ≤ 30): %s\n",
		ratio*100, ms(red.P99), verdict(ratio >= 0.6 && red.P99 <= 30*time.Millisecond))
	fmt.Printf("floorfeed-embedded = %.0f durable submissions/s (target ≥ 2000): %s\n\n",
		emb.Throughput(), verdict(emb.Throughput() >= 2000))
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
		"body":  "本班三炉Hcj 1350 kA/m，低于规格 1430。Batch 2611-07, O2 in glovebox 180 ppm.",
		"role":  "technician", "lang": "zh",
	})
	return b
}

// startFloorfeed runs the real serve wiring on loopback; redisURL "" means
// the embedded store.
func startFloorfeed(b *testing.B, redisURL string) string {
	b.Helper()
	env := map[string]string{"FLOORFEED_SECRET": benchSecret, "FLOORFEED_REDIS_URL": redisURL}
	return startServe(b, env, "--data-dir", b.TempDir(), "--submit-rate", "0", "--log-level", "error", "--workers", os.Getenv("BENCH_WORKERS")).URL
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
