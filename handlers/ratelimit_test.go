package handlers

import (
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
		if got := newIPLimiter(tc.rate, 0).burst; got != tc.want {
			t.Errorf("newIPLimiter(%v, 0).burst = %d, want %d", tc.rate, got, tc.want)
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
