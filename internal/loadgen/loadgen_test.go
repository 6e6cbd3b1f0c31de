package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsRequestsAndErrors(t *testing.T) {
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if seen.Add(1)%10 == 0 || string(b) != "x" || r.Header.Get("Idempotency-Key") == "" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Options{URL: srv.URL, Conns: 8, Requests: 200, Warmup: 0, WantStatus: http.StatusCreated, ContentType: "text/plain"},
		func(i int64) ([]byte, http.Header) {
			return []byte("x"), http.Header{"Idempotency-Key": {"k"}}
		})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	if res.Requests != 200 || seen.Load() != 200 {
		t.Fatalf("Run sent %d (server saw %d), want 200", res.Requests, seen.Load())
	}
	if res.Errors != 20 || res.FirstError == "" {
		t.Fatalf("Run errors = %d (%q), want 20 (every 10th answered 418)", res.Errors, res.FirstError)
	}
	if res.P99 < res.P50 || res.Max < res.P99 || res.Throughput() <= 0 {
		t.Fatalf("inconsistent result %+v", res)
	}
}

func TestRunStopsAtDuration(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond)
	}))
	defer srv.Close()
	start := time.Now()
	res, err := Run(context.Background(), Options{URL: srv.URL, Conns: 4, Duration: 200 * time.Millisecond, WantStatus: 200},
		func(int64) ([]byte, http.Header) { return nil, nil })
	if err != nil || res.Requests == 0 || res.Errors != 0 {
		t.Fatalf("Run = %+v, %v; want some requests and no errors", res, err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Run with Duration 200ms took %v", took)
	}
}
