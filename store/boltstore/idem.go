package boltstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/floorfeed/floorfeed/store"
	bolt "go.etcd.io/bbolt"
)

// ReportByIdempotencyKey returns the report a Submit stored under key with
// payloadHash, reading only (one read transaction, no write lock, no fsync).
// Errors: store.ErrNotFound when the key holds nothing, and
// store.ErrIdempotencyMismatch when it holds another payload's report —
// what Submit with the same key and hash would have answered, minus the
// write it would have made for a new key.
func (s *Store) ReportByIdempotencyKey(ctx context.Context, key, payloadHash string) (store.Report, error) {
	if err := ctx.Err(); err != nil {
		return store.Report{}, fmt.Errorf("report by idempotency key %q: %w", key, err)
	}
	var r store.Report
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bIdem).Get([]byte(key))
		if v == nil {
			return store.ErrNotFound
		}
		var rec idemRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("decode idempotency record: %w", err)
		}
		if rec.Hash != payloadHash {
			return store.ErrIdempotencyMismatch
		}
		return getReport(tx, rec.ReportID, &r)
	})
	if err != nil {
		return store.Report{}, fmt.Errorf("report by idempotency key %q: %w", key, classify(err))
	}
	return r, nil
}
