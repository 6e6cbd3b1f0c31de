package handlers

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestIPLimiterBucket(t *testing.T) {
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	l := newIPLimiter(6, 2) // one token every 10 s, bursts of 2
	steps := []struct {
		after    time.Duration
		key      string
		wantOK   bool
		wantWait time.Duration
	}{
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", false, 10 * time.Second},
		{0, "b", true, 0}, // another client has its own bucket
		{4 * time.Second, "a", false, 6 * time.Second},
		{6 * time.Second, "a", true, 0},
		{0, "a", false, 10 * time.Second}, // refusals did not consume tokens
	}
	for i, s := range steps {
		now = now.Add(s.after)
		ok, wait := l.allow(s.key, now)
		wait = wait.Round(time.Millisecond) // the limiter works in float seconds
		if ok != s.wantOK || wait != s.wantWait {
			t.Errorf("step %d: allow(%q) = %v, %v; want %v, %v", i, s.key, ok, wait, s.wantOK, s.wantWait)
		}
	}
}

func TestIPLimiterDefaultBurst(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		want int
	}{{0.5, 1}, {1, 1}, {2.5, 3}, {10, 10}} {
		if got := newIPLimiter(tc.rate, 0).burst; got != float64(tc.want) {
			t.Errorf("newIPLimiter(%v, 0).burst = %v, want %d", tc.rate, got, tc.want)
		}
	}
}

func TestIPLimiterBoundedAndEvictsIdle(t *testing.T) {
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	l := newIPLimiter(60, 1)
	l.max = 100
	for i := range 250 {
		l.allow("10.0.0."+strconv.Itoa(i), now.Add(time.Duration(i)*time.Millisecond))
	}
	if got := l.size(); got != 100 {
		t.Errorf("after 250 distinct clients with max 100: %d tracked, want 100", got)
	}
	// The most recent client survived eviction: its bucket is still empty.
	if ok, _ := l.allow("10.0.0.249", now.Add(250*time.Millisecond)); ok {
		t.Errorf("allow(most recent client) = true, want its bucket kept (empty)")
	}
	// After the idle time everything is swept on the next call.
	later := now.Add(l.idle + time.Second)
	l.allow("fresh", later)
	if got := l.size(); got != 1 {
		t.Errorf("after %v idle: %d tracked, want 1 (only the new client)", l.idle, got)
	}
}

func TestRateLimitKey(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"", ""},
		{"not-an-ip", "not-an-ip"},
	}
	for _, tc := range tests {
		if got := rateLimitKey(tc.ip); got != tc.want {
			t.Errorf("rateLimitKey(%q) = %q, want %q", tc.ip, got, tc.want)
		}
	}
}

func TestKeyLocksSerialiseOneKey(t *testing.T) {
	l := newKeyLocks()
	ctx := context.Background()
	unlockA, err := l.lock(ctx, "k")
	if err != nil {
		t.Fatalf("lock(k) = %v", err)
	}
	// Another key is independent.
	unlockB, err := l.lock(ctx, "other")
	if err != nil {
		t.Fatalf("lock(other) while k is held = %v", err)
	}
	unlockB()

	// A second holder of k waits until the first lets go.
	got := make(chan func(), 1)
	go func() {
		u, err := l.lock(ctx, "k")
		if err != nil {
			t.Errorf("second lock(k) = %v", err)
		}
		got <- u
	}()
	select {
	case <-got:
		t.Fatal("second lock(k) returned while the first was held")
	case <-time.After(50 * time.Millisecond):
	}
	unlockA()
	select {
	case u := <-got:
		u()
	case <-time.After(5 * time.Second):
		t.Fatal("second lock(k) did not return after the first unlock")
	}

	// A waiter whose request ends gives up and leaves nothing behind.
	unlockA, _ = l.lock(ctx, "k")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.lock(cctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("lock(k, cancelled ctx) while held = %v, want context.Canceled", err)
	}
	unlockA()
	if n := l.size(); n != 0 {
		t.Errorf("after every holder and waiter left: %d keys tracked, want 0", n)
	}
}

func TestIPLimiterRefund(t *testing.T) {
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	l := newIPLimiter(1, 2) // one token a minute, bursts of 2
	l.allow("a", now)
	l.allow("a", now)
	if ok, _ := l.allow("a", now); ok {
		t.Fatal("allow #3 within the minute = true, want the bucket empty")
	}
	l.refund("a", now.Add(time.Second))
	if ok, _ := l.allow("a", now.Add(time.Second)); !ok {
		t.Fatal("allow after a refund = false, want the refunded token")
	}
	// A refund never fills a bucket past its burst.
	l.refund("b", now)
	l.allow("b", now)
	l.refund("b", now)
	l.refund("b", now)
	l.allow("b", now)
	l.allow("b", now)
	if ok, _ := l.allow("b", now); ok {
		t.Error("allow #3 after extra refunds = true, want at most the burst of 2")
	}
}
