package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/internal/loadgen"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store/redisstore"
)

// BenchmarkRedisDurability measures the submission path on Redis with AOF
// appendfsync everysec and always (what docker-compose.yml ships): the price
// of not losing acknowledged reports when redis-server crashes.
func BenchmarkRedisDurability(b *testing.B) {
	n := envInt("FLOORFEED_BENCH_REQUESTS", 20000)
	signer, _ := signing.New([]byte(benchSecret))
	body := reportBody(signer)
	for _, mode := range []string{"everysec", "always"} {
		b.Run(mode, func(b *testing.B) {
			rs := testutil.StartRedis(b)
			opts, err := redisstore.ParseURL(rs.URL)
			if err != nil {
				b.Fatal(err)
			}
			c := redis.NewUniversalClient(opts)
			defer c.Close()
			if err := c.ConfigSet(context.Background(), "appendfsync", mode).Err(); err != nil {
				b.Fatal(err)
			}
			url := startFloorfeed(b, rs.URL, 0)
			b.ResetTimer()
			res, err := loadgen.Run(context.Background(), loadgen.Options{
				URL: url + "/api/v1/reports", Conns: 64, Requests: n * int64(b.N), Warmup: 500,
				WantStatus: http.StatusCreated, ContentType: "application/json",
			}, func(i int64) ([]byte, http.Header) {
				return body, http.Header{"Idempotency-Key": {fmt.Sprintf("dur-%s-%d", mode, i)}}
			})
			b.StopTimer()
			if err != nil || res.Errors > 0 {
				b.Fatalf("load: %v (%d errors, first %s)", err, res.Errors, res.FirstError)
			}
			b.ReportMetric(res.Throughput(), "req/s")
			b.ReportMetric(ms(res.P50), "p50-ms")
			b.ReportMetric(ms(res.P99), "p99-ms")
		})
	}
}
