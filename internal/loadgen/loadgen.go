// Package loadgen drives an HTTP endpoint with a fixed number of concurrent
// keep-alive connections and reports throughput and latency percentiles.
// It is for the project's benchmarks, against servers on this machine only.
package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Request builds the i-th request's body and headers.
type Request func(i int64) (body []byte, header http.Header)

// Options describe one run.
type Options struct {
	URL         string
	Conns       int           // concurrent connections (each its own goroutine)
	Requests    int64         // total requests to send (0: until Duration)
	Duration    time.Duration // upper bound on the run (0: until Requests)
	Warmup      int64         // requests sent first and not measured
	WantStatus  int           // a response with another status counts as an error
	ContentType string
}

// Result is what a run measured.
type Result struct {
	Requests   int64
	Errors     int64
	FirstError string
	Elapsed    time.Duration
	P50, P99   time.Duration
	Max        time.Duration
}

// Throughput is successful requests per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// Run sends requests as o describes and measures them.
func Run(ctx context.Context, o Options, req Request) (Result, error) {
	if o.Conns <= 0 || (o.Requests <= 0 && o.Duration <= 0) {
		return Result{}, fmt.Errorf("loadgen: need Conns and Requests or Duration")
	}
	tr := &http.Transport{
		MaxIdleConnsPerHost: o.Conns,
		MaxConnsPerHost:     o.Conns,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	send := func(ctx context.Context, i int64) (time.Duration, error) {
		body, h := req(i)
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, o.URL, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		hr.Header.Set("Content-Type", o.ContentType)
		for k, v := range h {
			hr.Header[k] = v
		}
		start := time.Now()
		res, err := client.Do(hr)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		d := time.Since(start)
		if o.WantStatus != 0 && res.StatusCode != o.WantStatus {
			return d, fmt.Errorf("status %d, want %d", res.StatusCode, o.WantStatus)
		}
		return d, nil
	}

	var next atomic.Int64
	// Warm-up: open the connections and fill caches, unmeasured.
	for i := range o.Warmup {
		if _, err := send(ctx, i); err != nil {
			return Result{}, fmt.Errorf("loadgen warm-up: %w", err)
		}
	}
	next.Store(o.Warmup)
	limit := o.Warmup + o.Requests

	runCtx := ctx
	if o.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	var (
		mu       sync.Mutex
		lats     []time.Duration
		errs     atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range o.Conns {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1024)
			for runCtx.Err() == nil {
				i := next.Add(1) - 1
				if o.Requests > 0 && i >= limit {
					break
				}
				d, err := send(runCtx, i)
				if err != nil {
					if runCtx.Err() != nil {
						break // the run's time is up: this request does not count
					}
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				local = append(local, d)
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	r := Result{Elapsed: time.Since(start), Errors: errs.Load()}
	r.Requests = int64(len(lats)) + r.Errors
	if s, ok := firstErr.Load().(string); ok {
		r.FirstError = s
	}
	if len(lats) > 0 {
		slices.Sort(lats)
		r.P50 = lats[len(lats)*50/100]
		r.P99 = lats[min(len(lats)-1, len(lats)*99/100)]
		r.Max = lats[len(lats)-1]
	}
	return r, nil
}
