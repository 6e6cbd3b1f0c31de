package handlers

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limits of the per-IP limiter's memory.
const (
	// maxLimiterEntries bounds how many client IPs are tracked at once. When
	// full, the client seen least recently is forgotten: it gets a fresh
	// bucket, which is at worst generous, never a wrong refusal.
	maxLimiterEntries = 10000
	// minLimiterIdle is the shortest time an idle client is remembered.
	minLimiterIdle = 10 * time.Minute
)

// ipLimiter is a token bucket per client IP, in a bounded map. Idle entries
// are swept lazily (no goroutine to stop): a bucket idle long enough to have
// refilled is the same as a new one, so dropping it changes nothing.
//
// The bucket is written out here rather than taken from x/time/rate because
// a token must be given back after the fact (refund): a submission that
// turns out to be a replay did not make a new report and must not count.
type ipLimiter struct {
	every float64 // nanoseconds to earn one token
	burst float64
	idle  time.Duration // sweep entries not seen for this long
	max   int

	mu        sync.Mutex
	entries   map[string]*limiterEntry
	lastSweep time.Time
}

type limiterEntry struct {
	tokens float64
	last   time.Time // tokens are counted up to here
	seen   time.Time
}

// tokenEpsilon absorbs float rounding in a bucket that has just refilled to
// a whole token (0.4 + 0.6 may come out a hair under 1).
const tokenEpsilon = 1e-9

// newIPLimiter allows perMinute events per minute per key, in bursts of
// burst (0 means ceil(perMinute), at least 1).
func newIPLimiter(perMinute float64, burst int) *ipLimiter {
	if burst <= 0 {
		burst = max(1, int(math.Ceil(perMinute)))
	}
	every := float64(time.Minute) / perMinute
	// Time for an empty bucket to fill again, plus slack.
	refill := time.Duration(float64(burst) * every)
	return &ipLimiter{
		every:   every,
		burst:   float64(burst),
		idle:    max(minLimiterIdle, 2*refill),
		max:     maxLimiterEntries,
		entries: map[string]*limiterEntry{},
	}
}

// advance adds the tokens e earned until now.
func (l *ipLimiter) advance(e *limiterEntry, now time.Time) {
	if now.After(e.last) {
		e.tokens = min(l.burst, e.tokens+float64(now.Sub(e.last))/l.every)
		e.last = now
	}
}

// allow takes one token for key at now. When none is left it returns false
// and how long until one will be; a refusal takes nothing.
func (l *ipLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= l.idle/2 {
		l.sweep(now)
	}
	e, ok := l.entries[key]
	if !ok {
		if len(l.entries) >= l.max {
			l.evictOldest()
		}
		e = &limiterEntry{tokens: l.burst, last: now}
		l.entries[key] = e
	}
	e.seen = now
	l.advance(e, now)
	if e.tokens >= 1-tokenEpsilon {
		e.tokens = max(0, e.tokens-1)
		return true, 0
	}
	return false, time.Duration((1 - e.tokens) * l.every)
}

// refund gives back a token that allow took for key, up to the burst. A key
// that has been forgotten meanwhile has a full bucket anyway.
func (l *ipLimiter) refund(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[key]
	if !ok {
		return
	}
	l.advance(e, now)
	e.tokens = min(l.burst, e.tokens+1)
}

// sweep drops entries idle for l.idle or longer.
func (l *ipLimiter) sweep(now time.Time) {
	for k, e := range l.entries {
		if now.Sub(e.seen) >= l.idle {
			delete(l.entries, k)
		}
	}
	l.lastSweep = now
}

// evictOldest drops the entry seen least recently.
func (l *ipLimiter) evictOldest() {
	var (
		oldestKey string
		oldest    time.Time
		found     bool
	)
	for k, e := range l.entries {
		if !found || e.seen.Before(oldest) {
			oldestKey, oldest, found = k, e.seen, true
		}
	}
	delete(l.entries, oldestKey)
}

// size returns the number of tracked keys (for tests).
func (l *ipLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// keyLocks is a lock per idempotency key, held while one submission of that
// key is decided (rate limit, then store). Submissions of one key that
// arrive together — a phone's outbox retrying, a double tap — then run one
// after another: the first is counted against the rate limit and stored,
// and those after it find it stored (see handleReportCreate). An entry lives
// only while someone holds or waits for its key, so the map's size is
// bounded by the requests in flight.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sem  chan struct{} // capacity 1: full while held
	refs int           // holders and waiters; the entry goes at 0
}

func newKeyLocks() *keyLocks { return &keyLocks{m: map[string]*keyLock{}} }

// lock waits until key is free and takes it, or returns ctx's error. The
// returned func releases it and must be called exactly once.
func (l *keyLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	l.mu.Lock()
	e, ok := l.m[key]
	if !ok {
		e = &keyLock{sem: make(chan struct{}, 1)}
		l.m[key] = e
	}
	e.refs++
	l.mu.Unlock()

	select {
	case e.sem <- struct{}{}:
		return func() {
			<-e.sem
			l.release(key, e)
		}, nil
	case <-ctx.Done():
		l.release(key, e)
		return nil, ctx.Err()
	}
}

// release drops one reference to e, and the entry with the last one.
func (l *keyLocks) release(key string, e *keyLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(l.m, key)
	}
}

// size returns the number of keys held or waited for (for tests).
func (l *keyLocks) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
