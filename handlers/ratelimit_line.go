package handlers

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/intake"
)

// SubmitLimiter is a token bucket per key for new submissions. The
// embedded store uses the in-memory one (this instance is the only one);
// with Redis, every instance must count against the same buckets
// (redisstore.RateLimiter). Errors mean the limiter could not be asked.
type SubmitLimiter interface {
	// Allow takes a token for key at now, or says how long until one is free.
	Allow(ctx context.Context, key string, now time.Time) (ok bool, wait time.Duration, err error)
	// Refund gives back a token Allow took (the submission was a replay).
	Refund(ctx context.Context, key string, now time.Time) error
}

// memLimiter is the in-memory SubmitLimiter over ipLimiter's buckets.
type memLimiter struct{ l *ipLimiter }

func (m memLimiter) Allow(_ context.Context, key string, now time.Time) (bool, time.Duration, error) {
	ok, wait := m.l.allow(key, now)
	return ok, wait, nil
}

func (m memLimiter) Refund(_ context.Context, key string, now time.Time) error {
	m.l.refund(key, now)
	return nil
}

// submitLimitKey is the bucket a submission counts against: its line and
// its client address (a /64 for IPv6). Per line, because one plant NAT
// address may carry every phone of the site: a flood at one line must not
// stop reports from the others. A line the plant does not know shares one
// bucket per address ("?"), so made-up line names cannot mint buckets.
func (s *Server) submitLimitKey(c echo.Context, in intake.Input) string {
	line := intake.Normalize(intake.Input{Line: in.Line}).Line
	if _, ok := s.plant.Line(line); !ok {
		line = "?"
	}
	return line + "|" + rateLimitKey(c.RealIP())
}

// allowSubmission asks the limiter; a limiter that cannot answer (Redis
// down) admits the submission: the store it would go to is then likely
// down too and answers 503 itself, and refusing reports for the limiter's
// sake would lose them.
func (s *Server) allowSubmission(ctx context.Context, c echo.Context, key string) (bool, time.Duration) {
	ok, wait, err := s.limiter.Allow(ctx, key, s.now())
	if err != nil {
		s.log.Warn("submission rate limiter unavailable; admitting", "request_id", requestIDOf(c), "err", err)
		return true, 0
	}
	return ok, wait
}

// refundSubmission gives back the token of a submission that was a replay.
func (s *Server) refundSubmission(ctx context.Context, c echo.Context, key string) {
	if err := s.limiter.Refund(ctx, key, s.now()); err != nil {
		s.log.Warn("submission rate limiter refund failed", "request_id", requestIDOf(c), "err", err)
	}
}
