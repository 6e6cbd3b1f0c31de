package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// redisLogger puts go-redis's own log lines (pool and reconnection
// trouble, which it prints with the standard log package by default)
// through the program's slog logger, and keeps an outage from flooding the
// log: each kind of line (its format string) is let through at most once
// per interval, with the count of those held back since. It implements
// go-redis's internal logging interface, which redis.SetLogger takes.
type redisLogger struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu    sync.Mutex
	kinds map[string]*logKind
}

type logKind struct {
	last       time.Time
	suppressed int
}

// maxLogKinds bounds the memory of distinct formats (go-redis has a few dozen).
const maxLogKinds = 1000

func newRedisLogger(log *slog.Logger, every time.Duration, now func() time.Time) *redisLogger {
	return &redisLogger{log: log, every: every, now: now, kinds: map[string]*logKind{}}
}

// Printf implements go-redis's internal.Logging.
func (l *redisLogger) Printf(ctx context.Context, format string, v ...any) {
	now := l.now()
	l.mu.Lock()
	k, ok := l.kinds[format]
	if !ok {
		if len(l.kinds) >= maxLogKinds {
			clear(l.kinds)
		}
		k = &logKind{}
		l.kinds[format] = k
	}
	if ok && now.Sub(k.last) < l.every {
		k.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := k.suppressed
	k.last, k.suppressed = now, 0
	l.mu.Unlock()

	attrs := []any{"component", "go-redis"}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	l.log.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)), attrs...)
}
