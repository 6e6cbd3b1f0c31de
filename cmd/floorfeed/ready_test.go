package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
	cfg, be, p := openTestBackend(t)
	log := slog.New(slog.DiscardHandler)
	fd := &fullDisk{Store: be.Store}
	be.Store = fd
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

// TestSlowClientsCannotStarveOthers: 60 clients from one address each open a
// connection and trickle a request body; with the per-address cap they hold
// at most --max-conns-per-client connections, the rest are refused with a
// 503 at once, and a phone on another address submits as usual meanwhile.
func TestSlowClientsCannotStarveOthers(t *testing.T) {
	env := map[string]string{"FLOORFEED_SECRET": testSecret}
	srv := startServe(t, env, "--data-dir", t.TempDir(), "--log-level", "error", "--max-conns-per-client", "8", "--submit-rate", "0")
	addr := strings.TrimPrefix(srv.URL, "http://")
	var refused atomic.Int64
	for range 60 {
		go func() {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1")}}
			c, err := d.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{")
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err == nil && res.StatusCode == http.StatusServiceUnavailable {
				refused.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for refused.Load() < 52 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := refused.Load(); n != 52 {
		t.Fatalf("%d of 60 trickling connections from one address refused, want 52 (cap 8)", n)
	}
	// Another address (another phone, another NAT) is served while the
	// eight trickle on.
	signer, _ := signing.New([]byte(testSecret))
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext,
	}}
	for i := range 10 {
		b, _ := json.Marshal(reportFields(signer.LineToken("sx-1")))
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/reports", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprint("other-phone-", i))
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("submission %d from another address: %v", i, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("submission %d from another address = %d", i, res.StatusCode)
		}
	}
}
