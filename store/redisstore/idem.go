package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/store"
)

// ReportByIdempotencyKey returns the report a Submit stored under key with
// payloadHash, reading only: GET of the key's record, then of the report.
// Errors: store.ErrNotFound when the key holds nothing (or has expired), and
// store.ErrIdempotencyMismatch when it holds another payload's report — what
// submitScript would have answered, minus the write it makes for a new key.
func (s *Store) ReportByIdempotencyKey(ctx context.Context, key, payloadHash string) (store.Report, error) {
	rec, err := s.c.Get(ctx, s.k.idem(key)).Result()
	if errors.Is(err, redis.Nil) {
		return store.Report{}, fmt.Errorf("report by idempotency key %q: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return store.Report{}, fmt.Errorf("report by idempotency key %q: %w", key, wrapErr(err))
	}
	// The record is "<report id> <payload hash>" (see keys.go).
	id, hash, ok := strings.Cut(rec, " ")
	if !ok {
		return store.Report{}, fmt.Errorf("report by idempotency key %q: malformed record %q", key, rec)
	}
	if hash != payloadHash {
		return store.Report{}, fmt.Errorf("report by idempotency key %q: %w", key, store.ErrIdempotencyMismatch)
	}
	r, err := s.Report(ctx, id)
	if err != nil {
		return store.Report{}, fmt.Errorf("report by idempotency key %q: %w", key, err)
	}
	return r, nil
}
