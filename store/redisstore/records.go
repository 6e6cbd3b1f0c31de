package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/store"
)

// Records: each collection is a hash (key → value) and a zset of its keys
// (all scores 0, so ZRANGE BYLEX walks them in byte order). The writes that
// touch both run as one script; UpdateRecord is an optimistic WATCH/MULTI.

// putRecordScript: KEYS[1] hash, KEYS[2] key zset; ARGV[1] key, ARGV[2]
// value, ARGV[3] "1" to insert only if absent. Returns 1 if it wrote.
var putRecordScript = redis.NewScript(`
if ARGV[3] == '1' then
  if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1
`)

// deleteRecordScript: KEYS as putRecordScript; ARGV[1] key.
var deleteRecordScript = redis.NewScript(`
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`)

// PutRecord stores val under key, replacing any value.
func (s *Store) PutRecord(ctx context.Context, coll, key string, val []byte) error {
	if err := store.CheckRecord(coll, key, val); err != nil {
		return fmt.Errorf("put record: %w", err)
	}
	err := putRecordScript.Run(ctx, s.c, []string{s.k.records(coll), s.k.recordKeys(coll)}, key, val, "0").Err()
	if err != nil {
		return fmt.Errorf("put record %s/%s: %w", coll, key, wrapErr(err))
	}
	return nil
}

// CreateRecord stores val under key if key is absent (HSETNX).
func (s *Store) CreateRecord(ctx context.Context, coll, key string, val []byte) (bool, error) {
	if err := store.CheckRecord(coll, key, val); err != nil {
		return false, fmt.Errorf("create record: %w", err)
	}
	n, err := putRecordScript.Run(ctx, s.c, []string{s.k.records(coll), s.k.recordKeys(coll)}, key, val, "1").Int()
	if err != nil {
		return false, fmt.Errorf("create record %s/%s: %w", coll, key, wrapErr(err))
	}
	return n == 1, nil
}

// GetRecord returns the value under key, or store.ErrNotFound.
func (s *Store) GetRecord(ctx context.Context, coll, key string) ([]byte, error) {
	if err := store.CheckRecordKey(coll, key); err != nil {
		return nil, fmt.Errorf("get record: %w", err)
	}
	b, err := s.c.HGet(ctx, s.k.records(coll), key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("get record %s/%s: %w", coll, key, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get record %s/%s: %w", coll, key, wrapErr(err))
	}
	return b, nil
}

// updateRecordAttempts bounds the optimistic retries of UpdateRecord.
const updateRecordAttempts = 100

// UpdateRecord is an atomic read-modify-write of one key: WATCH the
// collection's hash, read, call fn, MULTI/EXEC; a concurrent write to the
// collection makes EXEC fail and the whole step runs again.
func (s *Store) UpdateRecord(ctx context.Context, coll, key string, fn func(cur []byte, exists bool) ([]byte, error)) ([]byte, error) {
	if err := store.CheckRecordKey(coll, key); err != nil {
		return nil, fmt.Errorf("update record: %w", err)
	}
	hash, keys := s.k.records(coll), s.k.recordKeys(coll)
	var stored []byte
	var abort error
	txf := func(tx *redis.Tx) error {
		stored, abort = nil, nil
		cur, err := tx.HGet(ctx, hash, key).Bytes()
		exists := true
		if errors.Is(err, redis.Nil) {
			cur, exists, err = nil, false, nil
		}
		if err != nil {
			return err
		}
		next, err := fn(cur, exists)
		del := errors.Is(err, store.ErrDeleteRecord)
		switch {
		case del:
		case err != nil:
			abort = err
			return nil
		case len(next) > store.MaxRecordSize:
			abort = fmt.Errorf("value of %d bytes is larger than %d", len(next), store.MaxRecordSize)
			return nil
		}
		if next == nil {
			next = []byte{}
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if del {
				p.HDel(ctx, hash, key)
				p.ZRem(ctx, keys, key)
				return nil
			}
			p.HSet(ctx, hash, key, next)
			p.ZAdd(ctx, keys, redis.Z{Score: 0, Member: key})
			return nil
		})
		if err == nil && !del {
			stored = next
		}
		return err
	}
	for attempt := 0; attempt < updateRecordAttempts; attempt++ {
		err := s.c.Watch(ctx, txf, hash)
		if errors.Is(err, redis.TxFailedErr) {
			// Another write to the collection landed in between: back off
			// a little (growing, bounded) and read again.
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("update record %s/%s: %w", coll, key, ctx.Err())
			case <-time.After(time.Duration(min(attempt, 20)) * 500 * time.Microsecond):
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("update record %s/%s: %w", coll, key, wrapErr(err))
		}
		if abort != nil {
			return nil, abort
		}
		return stored, nil
	}
	return nil, fmt.Errorf("update record %s/%s: %w: too much contention (%d attempts)", coll, key, store.ErrUnavailable, updateRecordAttempts)
}

// DeleteRecord removes key.
func (s *Store) DeleteRecord(ctx context.Context, coll, key string) error {
	if err := store.CheckRecordKey(coll, key); err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	if err := deleteRecordScript.Run(ctx, s.c, []string{s.k.records(coll), s.k.recordKeys(coll)}, key).Err(); err != nil {
		return fmt.Errorf("delete record %s/%s: %w", coll, key, wrapErr(err))
	}
	return nil
}

// ListRecords pages through coll in key order (ZRANGE BYLEX, then HMGET).
func (s *Store) ListRecords(ctx context.Context, coll string, opts store.ListOptions) ([]store.Record, error) {
	if err := store.ValidCollection(coll); err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	lo, hi := "-", "+"
	if opts.Prefix != "" {
		lo = "[" + opts.Prefix
		if end := prefixEnd(opts.Prefix); end != "" {
			hi = "(" + end
		}
	}
	if opts.After != "" {
		if !opts.Reverse && opts.After >= opts.Prefix {
			lo = "(" + opts.After
		}
		if opts.Reverse && (hi == "+" || opts.After < hi[1:]) {
			hi = "(" + opts.After
		}
	}
	args := redis.ZRangeArgs{Key: s.k.recordKeys(coll), Start: lo, Stop: hi, ByLex: true, Count: int64(opts.PageSize())}
	if opts.Reverse {
		args.Start, args.Stop, args.Rev = hi, lo, true
	}
	keys, err := s.c.ZRangeArgs(ctx, args).Result()
	if err != nil {
		return nil, fmt.Errorf("list records %s: %w", coll, wrapErr(err))
	}
	if len(keys) == 0 {
		return nil, nil
	}
	vals, err := s.c.HMGet(ctx, s.k.records(coll), keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("list records %s: %w", coll, wrapErr(err))
	}
	out := make([]store.Record, 0, len(keys))
	for i, k := range keys {
		v, ok := vals[i].(string)
		if !ok {
			continue // deleted between the two reads
		}
		out = append(out, store.Record{Key: k, Value: []byte(v)})
	}
	return out, nil
}

// CountRecords returns the number of keys in coll (HLEN).
func (s *Store) CountRecords(ctx context.Context, coll string) (int64, error) {
	if err := store.ValidCollection(coll); err != nil {
		return 0, fmt.Errorf("count records: %w", err)
	}
	n, err := s.c.HLen(ctx, s.k.records(coll)).Result()
	if err != nil {
		return 0, fmt.Errorf("count records %s: %w", coll, wrapErr(err))
	}
	return n, nil
}

// prefixEnd is the smallest string greater than every string with prefix,
// or "" when there is none.
func prefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
