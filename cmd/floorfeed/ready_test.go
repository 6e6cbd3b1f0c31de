package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/storehealth"
)

// fullDisk is the real embedded store with writes failing while full is
// set, as they do when its disk is full (reads still work, so Ping does).
type fullDisk struct {
	store.Store
	full atomic.Bool
}

func (f *fullDisk) Submit(ctx context.Context, sub store.Submission) (store.Report, bool, error) {
	if f.full.Load() {
		return store.Report{}, false, fmt.Errorf("%w: write: no space left on device", store.ErrUnavailable)
	}
	return f.Store.Submit(ctx, sub)
}

func (f *fullDisk) PutRecord(ctx context.Context, coll, key string, val []byte) error {
	if f.full.Load() {
		return fmt.Errorf("%w: write: no space left on device", store.ErrUnavailable)
	}
	return f.Store.PutRecord(ctx, coll, key, val)
}

// TestReadyzWhileWritesFail: through the real HTTP stack, /readyz turns 503
// (with the reason) once submissions fail, a metric counts the failures,
// and it is 200 again once a write succeeds.
func TestReadyzWhileWritesFail(t *testing.T) {
	env := map[string]string{"FLOORFEED_SECRET": testSecret}
	cfg, _, err := parseConfig("serve", []string{"--data-dir", t.TempDir()}, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	be, err := openBackend(context.Background(), cfg, log, openOptions{lockWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close() })
	fd := &fullDisk{Store: be.Store}
	be.Store = fd
	p, err := plant.Load("")
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(cfg, be, p, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.handler)
	t.Cleanup(ts.Close)
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	signer, _ := signing.New([]byte(testSecret))
	fields := reportFields(signer.LineToken("sx-1"))

	if code, body := get("/readyz"); code != 200 || body != "ready\ndurability: fsync-every-commit" {
		t.Fatalf("/readyz before = %d %q", code, body)
	}
	fd.full.Store(true)
	if code, body := submitJSON(t, ts.URL, "full-1", fields); code != http.StatusServiceUnavailable {
		t.Fatalf("submit on a full disk = %d %s, want 503", code, body)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "no space left on device") {
		t.Fatalf("/readyz while writes fail = %d %q; want 503 naming the reason", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, `floorfeed_store_write_failures_total{op="submit"} 1`) ||
		!strings.Contains(body, `floorfeed_store_durability{backend="bolt",mode="fsync-every-commit"} 1`) {
		t.Fatalf("/metrics lacks the write failure count or the durability:\n%s", grepLines(body, "floorfeed_store_"))
	}
	fd.full.Store(false)
	// No traffic needed: /readyz probes with a write of its own, at most
	// once per storehealth.ProbeInterval.
	deadline := time.Now().Add(3 * storehealth.ProbeInterval)
	for {
		code, body := get("/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after the disk freed up = %d %q", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, body := submitJSON(t, ts.URL, "full-2", fields); code != http.StatusCreated {
		t.Fatalf("submit after = %d %s", code, body)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestMetricsPrivate: --metrics-addr moves /metrics to its own listener
// (the main one answers 404), and FLOORFEED_METRICS_TOKEN guards it.
func TestMetricsPrivate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"FLOORFEED_SECRET": testSecret, "FLOORFEED_METRICS_TOKEN": "scrape-me-please"}
	srv := startServe(t, env, "--data-dir", t.TempDir(), "--log-level", "error", "--metrics-addr", maddr)
	get := func(url, bearer string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, tc := range []struct {
		url, bearer string
		want        int
	}{
		{srv.URL + "/metrics", "scrape-me-please", http.StatusNotFound},
		{"http://" + maddr + "/metrics", "", http.StatusUnauthorized},
		{"http://" + maddr + "/metrics", "wrong", http.StatusUnauthorized},
		{"http://" + maddr + "/metrics", "scrape-me-please", http.StatusOK},
	} {
		if got := get(tc.url, tc.bearer); got != tc.want {
			t.Errorf("GET %s (bearer %q) = %d, want %d", tc.url, tc.bearer, got, tc.want)
		}
	}
}
