package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/signing"
)

// BenchmarkSustainedIntake submits reports at a steady 1,000 per second for
// 20 s to a server with its default workers, and reports how long report
// jobs waited in the queue (floorfeed_job_wait_seconds: mean, and the share
// over 1 s) and the report queue's depth at the end: with workers that keep
// up, the wait stays flat and the queue empty instead of growing with time.
func BenchmarkSustainedIntake(b *testing.B) {
	const rate, seconds = 1000, 20
	for _, be := range []struct {
		name  string
		redis func(b *testing.B) string
	}{
		{"embedded", func(*testing.B) string { return "" }},
		{"redis", func(b *testing.B) string { return testutil.StartRedis(b).URL }},
	} {
		b.Run(be.name, func(b *testing.B) {
			for range b.N {
				env := map[string]string{"FLOORFEED_SECRET": benchSecret, "FLOORFEED_REDIS_URL": be.redis(b)}
				base := startServe(b, env, "--data-dir", b.TempDir(), "--submit-rate", "0", "--log-level", "error", "--max-conns-per-client", "0").URL
				signer, _ := signing.New([]byte(benchSecret))
				body := reportBody(signer)
				client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
				var sent, failed atomic.Int64
				var wg sync.WaitGroup
				// Ten requests every 10 ms: a 1 ms ticker cannot keep 1,000/s
				// on a busy 2-core machine.
				const perTick = 10
				tick := time.NewTicker(perTick * time.Second / rate)
				end := time.Now().Add(seconds * time.Second)
				for n := 0; time.Now().Before(end); n++ {
					if n%perTick == 0 {
						<-tick.C
					}
					wg.Go(func() {
						req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/reports", bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Idempotency-Key", fmt.Sprint("sustained-", n))
						res, err := client.Do(req)
						if err != nil || res.StatusCode != http.StatusCreated {
							failed.Add(1)
						}
						if res != nil {
							_, _ = io.Copy(io.Discard, res.Body)
							res.Body.Close()
						}
						sent.Add(1)
					})
				}
				tick.Stop()
				wg.Wait()
				time.Sleep(500 * time.Millisecond) // the last jobs
				m := scrape(b, base)
				count, sum := m[`floorfeed_job_wait_seconds_count{queue="report",type="process_report"}`], m[`floorfeed_job_wait_seconds_sum{queue="report",type="process_report"}`]
				le1 := m[`floorfeed_job_wait_seconds_bucket{queue="report",type="process_report",le="1"}`]
				if count == 0 {
					b.Fatal("no report job ran")
				}
				b.ReportMetric(float64(sent.Load())/seconds, "submissions/s")
				b.ReportMetric(sum/count*1000, "mean-wait-ms")
				b.ReportMetric((count-le1)/count*100, "%-waits>1s")
				b.ReportMetric(m[`floorfeed_queue_jobs{queue="report",state="ready"}`], "ready-at-end")
				b.ReportMetric(float64(failed.Load()), "failed")
			}
		})
	}
}

// scrape reads /metrics into name{labels} → value.
func scrape(b *testing.B, base string) map[string]float64 {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}
