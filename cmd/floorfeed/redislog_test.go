package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/internal/testutil"
)

type logLine struct {
	Level      string `json:"level"`
	Msg        string `json:"msg"`
	Component  string `json:"component"`
	Suppressed int    `json:"suppressed"`
}

func logLines(t *testing.T, b *testutil.SyncBuffer) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var ll logLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, ll)
	}
	return out
}

func TestRedisLoggerRateLimitsEachKind(t *testing.T) {
	buf := &testutil.SyncBuffer{}
	clk := testutil.NewClock(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
	l := newRedisLogger(slog.New(slog.NewJSONHandler(buf, nil)), 10*time.Second, clk.Now)
	ctx := context.Background()
	const dial = "redis: connection pool: failed to dial after %d attempts: %s"
	for i := range 50 { // an outage: 50 lines in 5 s
		l.Printf(ctx, dial, 5, "connection refused")
		if i == 10 {
			l.Printf(ctx, "redis: discarding bad PubSub connection: %s", "EOF") // another kind passes
		}
		clk.Advance(100 * time.Millisecond)
	}
	lines := logLines(t, buf)
	if len(lines) != 2 || lines[0].Msg != "redis: connection pool: failed to dial after 5 attempts: connection refused" ||
		lines[0].Level != "WARN" || lines[0].Component != "go-redis" || lines[1].Msg != "redis: discarding bad PubSub connection: EOF" {
		t.Fatalf("50 dial failures and one other line in 5 s logged %+v; want the first of each kind, as warnings", lines)
	}
	clk.Advance(5 * time.Second) // 10 s after the first
	l.Printf(ctx, dial, 5, "connection refused")
	lines = logLines(t, buf)
	if len(lines) != 3 || lines[2].Suppressed != 49 {
		t.Fatalf("after 10 s the next line = %+v; want it through with suppressed=49", lines[len(lines)-1])
	}
}

// go-redis's own lines reach the logger it is given (redis.SetLogger is
// process-global: main sets it once; this test sets it back).
func TestRedisLoggerThroughGoRedis(t *testing.T) {
	buf := &testutil.SyncBuffer{}
	redis.SetLogger(newRedisLogger(slog.New(slog.NewJSONHandler(buf, nil)), 10*time.Second, time.Now))
	t.Cleanup(func() { redis.SetLogger(newRedisLogger(slog.New(slog.DiscardHandler), time.Hour, time.Now)) })
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	for range 3 {
		_ = c.Ping(context.Background()).Err() // fails: nothing listens there
	}
	lines := logLines(t, buf)
	if len(lines) == 0 {
		t.Skip("this go-redis version logs nothing for a refused dial") // the adapter is still tested above
	}
	kinds := map[string]int{}
	for _, l := range lines {
		if l.Component != "go-redis" {
			t.Fatalf("go-redis line without its component: %+v", l)
		}
		kinds[l.Msg]++
	}
	for msg, n := range kinds {
		if n > 1 {
			t.Fatalf("go-redis line %q logged %d times within 10 s, want once", msg, n)
		}
	}
}
