package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/floorfeed/floorfeed/store"
)

// Records: bucket records holds one nested bucket per collection, created
// by its first write; keys and values are stored as given.

// PutRecord stores val under key, replacing any value.
func (s *Store) PutRecord(ctx context.Context, coll, key string, val []byte) error {
	if err := store.CheckRecord(coll, key, val); err != nil {
		return fmt.Errorf("put record: %w", err)
	}
	if err := s.writeRecord(ctx, func(tx *bolt.Tx) error {
		b, err := recordBucket(tx, coll, true)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), val)
	}); err != nil {
		return fmt.Errorf("put record %s/%s: %w", coll, key, err)
	}
	return nil
}

// CreateRecord stores val under key if key is absent.
func (s *Store) CreateRecord(ctx context.Context, coll, key string, val []byte) (bool, error) {
	if err := store.CheckRecord(coll, key, val); err != nil {
		return false, fmt.Errorf("create record: %w", err)
	}
	var created bool
	if err := s.writeRecord(ctx, func(tx *bolt.Tx) error {
		created = false // the committer may run this more than once
		b, err := recordBucket(tx, coll, true)
		if err != nil {
			return err
		}
		if b.Get([]byte(key)) != nil {
			return nil
		}
		created = true
		return b.Put([]byte(key), val)
	}); err != nil {
		return false, fmt.Errorf("create record %s/%s: %w", coll, key, err)
	}
	return created, nil
}

// GetRecord returns the value under key, or store.ErrNotFound.
func (s *Store) GetRecord(ctx context.Context, coll, key string) ([]byte, error) {
	if err := store.CheckRecordKey(coll, key); err != nil {
		return nil, fmt.Errorf("get record: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get record %s/%s: %w", coll, key, err)
	}
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _ := recordBucket(tx, coll, false)
		if b == nil {
			return store.ErrNotFound
		}
		v := b.Get([]byte(key))
		if v == nil {
			return store.ErrNotFound
		}
		out = bytes.Clone(v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get record %s/%s: %w", coll, key, classify(err))
	}
	return out, nil
}

// UpdateRecord is an atomic read-modify-write of one key.
func (s *Store) UpdateRecord(ctx context.Context, coll, key string, fn func(cur []byte, exists bool) ([]byte, error)) ([]byte, error) {
	if err := store.CheckRecordKey(coll, key); err != nil {
		return nil, fmt.Errorf("update record: %w", err)
	}
	var (
		stored []byte
		abort  error
	)
	err := s.writeRecord(ctx, func(tx *bolt.Tx) error {
		// The callback's own error is kept in abort, not returned: an error
		// would make the committer fail or re-run the other calls batched
		// with this one.
		stored, abort = nil, nil
		b, err := recordBucket(tx, coll, true)
		if err != nil {
			return err
		}
		cur := b.Get([]byte(key))
		var in []byte
		if cur != nil {
			in = bytes.Clone(cur) // fn may keep it; bolt's memory is only valid in the tx
		}
		next, err := fn(in, cur != nil)
		switch {
		case errors.Is(err, store.ErrDeleteRecord):
			return b.Delete([]byte(key))
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
		stored = next
		return b.Put([]byte(key), next)
	})
	if err != nil {
		return nil, fmt.Errorf("update record %s/%s: %w", coll, key, err)
	}
	if abort != nil {
		return nil, abort
	}
	return stored, nil
}

// DeleteRecord removes key.
func (s *Store) DeleteRecord(ctx context.Context, coll, key string) error {
	if err := store.CheckRecordKey(coll, key); err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	if err := s.writeRecord(ctx, func(tx *bolt.Tx) error {
		b, _ := recordBucket(tx, coll, false)
		if b == nil {
			return nil
		}
		return b.Delete([]byte(key))
	}); err != nil {
		return fmt.Errorf("delete record %s/%s: %w", coll, key, err)
	}
	return nil
}

// ListRecords pages through coll in key order.
func (s *Store) ListRecords(ctx context.Context, coll string, opts store.ListOptions) ([]store.Record, error) {
	if err := store.ValidCollection(coll); err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list records %s: %w", coll, err)
	}
	limit := opts.PageSize()
	prefix := []byte(opts.Prefix)
	var out []store.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _ := recordBucket(tx, coll, false)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var k, v []byte
		if !opts.Reverse {
			start := prefix
			if opts.After != "" && opts.After >= opts.Prefix {
				start = []byte(opts.After)
			}
			k, v = c.Seek(start)
			if opts.After != "" && k != nil && string(k) == opts.After {
				k, v = c.Next()
			}
			for ; k != nil && len(out) < limit && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				out = append(out, store.Record{Key: string(k), Value: bytes.Clone(v)})
			}
			return nil
		}
		// Reverse: start at the last key below After (or the last key with
		// the prefix) and walk back.
		k, v = seekLastBelow(c, prefix, opts.After)
		for ; k != nil && len(out) < limit && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			out = append(out, store.Record{Key: string(k), Value: bytes.Clone(v)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list records %s: %w", coll, classify(err))
	}
	return out, nil
}

// seekLastBelow positions c on the greatest key that has prefix and is
// below after (any key with the prefix when after is empty or sorts after
// every key with the prefix).
func seekLastBelow(c *bolt.Cursor, prefix []byte, after string) ([]byte, []byte) {
	var bound []byte // exclusive upper bound
	if after != "" {
		bound = []byte(after)
	}
	if end := prefixEnd(prefix); end != nil && (bound == nil || bytes.Compare(end, bound) < 0) {
		bound = end
	}
	if bound == nil {
		return c.Last()
	}
	if k, _ := c.Seek(bound); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// prefixEnd is the smallest key greater than every key with prefix, or nil
// when there is none (empty prefix, or all 0xff).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// CountRecords returns the number of keys in coll.
func (s *Store) CountRecords(ctx context.Context, coll string) (int64, error) {
	if err := store.ValidCollection(coll); err != nil {
		return 0, fmt.Errorf("count records: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("count records %s: %w", coll, err)
	}
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _ := recordBucket(tx, coll, false)
		if b != nil {
			n = int64(b.Stats().KeyN)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count records %s: %w", coll, classify(err))
	}
	return n, nil
}

// recordBucket returns coll's nested bucket, creating it when create is
// set (nil, nil when it does not exist and create is not set).
func recordBucket(tx *bolt.Tx, coll string, create bool) (*bolt.Bucket, error) {
	root := tx.Bucket(bRecords)
	if root == nil {
		return nil, errors.New("records bucket missing")
	}
	if !create {
		return root.Bucket([]byte(coll)), nil
	}
	return root.CreateBucketIfNotExists([]byte(coll))
}

// writeRecord runs fn in a durable write transaction (group-committed).
func (s *Store) writeRecord(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.writes == nil {
		return errors.New("store opened read-only")
	}
	return classify(s.writes.do(fn))
}
