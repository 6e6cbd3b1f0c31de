package redisstore

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RateLimiter is a token bucket per key, kept in Redis so that every
// instance sharing the Redis counts against the same buckets. Each call is
// one script run: atomic, one round trip.
type RateLimiter struct {
	c     redis.UniversalClient
	k     keyspace
	name  string
	every float64 // ms per token
	burst float64
}

// NewRateLimiter returns a limiter named name (its keys' namespace) that
// allows perMinute events per key per minute in bursts of burst (0 means
// ceil(perMinute), at least 1).
func (s *Store) NewRateLimiter(name string, perMinute float64, burst int) *RateLimiter {
	if burst <= 0 {
		burst = max(1, int(math.Ceil(perMinute)))
	}
	return &RateLimiter{c: s.c, k: s.k, name: name, every: 60000 / perMinute, burst: float64(burst)}
}

// bucketScript takes (cost 1) or gives back (cost -1) a token of a bucket.
//
// KEYS[1] P:{P}:rl:<name>:<key>
// ARGV[1] now (ms)  ARGV[2] ms per token  ARGV[3] burst  ARGV[4] cost (1 or -1)
// Returns {1, 0} when taken (or given back), {0, wait ms} when the bucket
// has less than one token: nothing is taken then. A missing bucket is
// full. The bucket expires when it would be full again, so idle clients
// cost nothing. Times only move forward: a caller whose clock is behind
// the last one's refills nothing.
var bucketScript = redis.NewScript(`
local now, every, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ms')
local tokens, last = tonumber(v[1]), tonumber(v[2])
if tokens == nil then tokens, last = burst, now end
if now > last then
  tokens = math.min(burst, tokens + (now - last) / every)
  last = now
end
if cost > 0 and tokens < 1 - 1e-9 then
  return {0, math.ceil((1 - tokens) * every)}
end
tokens = math.max(0, math.min(burst, tokens - cost))
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ms', tostring(last))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * every) + 1000)
return {1, 0}
`)

// Allow takes a token of key's bucket at now; when there is none it takes
// nothing and says how long until there will be one.
func (l *RateLimiter) Allow(ctx context.Context, key string, now time.Time) (bool, time.Duration, error) {
	return l.run(ctx, key, now, 1)
}

// Refund gives a token back to key's bucket, up to the burst.
func (l *RateLimiter) Refund(ctx context.Context, key string, now time.Time) error {
	_, _, err := l.run(ctx, key, now, -1)
	return err
}

func (l *RateLimiter) run(ctx context.Context, key string, now time.Time, cost int) (bool, time.Duration, error) {
	res, err := bucketScript.Run(ctx, l.c, []string{l.k.rateBucket(l.name, key)},
		now.UnixMilli(), strconv.FormatFloat(l.every, 'f', -1, 64), strconv.FormatFloat(l.burst, 'f', -1, 64), cost).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("rate limit %s: %w", l.name, wrapErr(err))
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("rate limit %s: script returned %v", l.name, res)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Millisecond, nil
}
