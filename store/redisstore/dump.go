package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/store"
)

var _ store.Dumper = (*Store)(nil)

// scanBatch is the COUNT hint of the SCANs below.
const scanBatch = 1000

// scan calls fn for every key matching pattern (SCAN: no blocking, each key
// at least once; keys added meanwhile may be missed, so export a stopped
// installation or accept that).
func (s *Store) scan(ctx context.Context, pattern string, fn func(key string) error) error {
	var cursor uint64
	seen := map[string]bool{} // SCAN may return a key twice
	for {
		keys, next, err := s.c.Scan(ctx, cursor, pattern, scanBatch).Result()
		if err != nil {
			return fmt.Errorf("scan %s: %w", pattern, wrapErr(err))
		}
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			if err := fn(k); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// globEscape escapes the glob characters of a literal key part.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// IdempotencyKeys scans P:{P}:idem:*.
func (s *Store) IdempotencyKeys(ctx context.Context, fn func(store.IdempotencyEntry) error) error {
	prefix := s.k.idem("")
	return s.scan(ctx, globEscape(prefix)+"*", func(k string) error {
		v, err := s.c.Get(ctx, k).Result()
		if errors.Is(err, redis.Nil) {
			return nil // expired meanwhile
		}
		if err != nil {
			return fmt.Errorf("idempotency key %s: %w", k, wrapErr(err))
		}
		id, hash, ok := strings.Cut(v, " ")
		if !ok {
			return fmt.Errorf("idempotency key %s: malformed value %q", k, v)
		}
		e := store.IdempotencyEntry{Key: strings.TrimPrefix(k, prefix), ReportID: id, PayloadHash: hash}
		if ttl, err := s.c.TTL(ctx, k).Result(); err == nil && ttl > 0 {
			e.CreatedAt = time.Now().Add(ttl - idemTTL).UTC().Truncate(time.Second)
		}
		return fn(e)
	})
}

// LiveJobs reads P:{P}:jobs and each job's stream entry.
func (s *Store) LiveJobs(ctx context.Context, fn func(store.Job) error) error {
	all, err := s.c.HGetAll(ctx, s.k.jobs()).Result()
	if err != nil {
		return fmt.Errorf("live jobs: %w", wrapErr(err))
	}
	for id, loc := range all {
		q, entry, ok := strings.Cut(loc, " ")
		if !ok {
			return fmt.Errorf("live job %s: malformed location %q", id, loc)
		}
		msgs, err := s.c.XRange(ctx, s.k.stream(q), entry, entry).Result()
		if err != nil {
			return fmt.Errorf("live job %s: %w", id, wrapErr(err))
		}
		if len(msgs) == 0 {
			continue // settled meanwhile
		}
		raw, _ := msgs[0].Values["job"].(string)
		var j store.Job
		if err := json.Unmarshal([]byte(raw), &j); err != nil {
			return fmt.Errorf("live job %s: %w", id, err)
		}
		j.Queue, j.Handle = q, ""
		if err := fn(j); err != nil {
			return err
		}
	}
	return nil
}

// AllDeadLetters reads P:{P}:dead.
func (s *Store) AllDeadLetters(ctx context.Context, fn func(store.Job) error) error {
	all, err := s.c.HGetAll(ctx, s.k.deadJobs()).Result()
	if err != nil {
		return fmt.Errorf("dead letters: %w", wrapErr(err))
	}
	for id, raw := range all {
		var d deadLetter
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			return fmt.Errorf("dead letter %s: %w", id, err)
		}
		if err := fn(d.decode(id)); err != nil {
			return err
		}
	}
	return nil
}

// Collections scans the key indexes of the Records collections.
func (s *Store) Collections(ctx context.Context) ([]string, error) {
	prefix := s.k.recordKeys("")
	var out []string
	err := s.scan(ctx, globEscape(prefix)+"*", func(k string) error {
		out = append(out, strings.TrimPrefix(k, prefix))
		return nil
	})
	return out, err
}

// PutDeadLetter stores j in P:{P}:dead and its queue's dead index, unless a
// job with its id is live or dead already.
func (s *Store) PutDeadLetter(ctx context.Context, j store.Job) error {
	if j.ID == "" || !store.KnownQueue(j.Queue) {
		return fmt.Errorf("put dead letter %q: needs an id and a known queue (got %q)", j.ID, j.Queue)
	}
	job := j
	job.Queue, job.Attempt, job.LastError, job.DeadAt, job.Handle = "", 0, "", time.Time{}, ""
	raw, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("put dead letter %s: %w", j.ID, err)
	}
	env, err := json.Marshal(deadLetter{Job: string(raw), Queue: j.Queue, LastError: j.LastError, Attempt: j.Attempt,
		DeadAtMS: strconv.FormatInt(j.DeadAt.UnixMilli(), 10)})
	if err != nil {
		return fmt.Errorf("put dead letter %s: %w", j.ID, err)
	}
	err = putDeadScript.Run(ctx, s.c, []string{s.k.deadJobs(), s.k.queueDead(j.Queue), s.k.jobs()}, j.ID, env, j.DeadAt.UnixMilli()).Err()
	if err != nil {
		return fmt.Errorf("put dead letter %s: %w", j.ID, wrapErr(err))
	}
	return nil
}

// putDeadScript: KEYS[1] P:{P}:dead, KEYS[2] P:{P}:queue:<q>:dead, KEYS[3]
// P:{P}:jobs; ARGV[1] job id, ARGV[2] envelope, ARGV[3] dead-at ms.
var putDeadScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`)
