package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/floorfeed/floorfeed/store"
)

var _ store.Dumper = (*Store)(nil)

// IdempotencyKeys walks the idem bucket.
func (s *Store) IdempotencyKeys(ctx context.Context, fn func(store.IdempotencyEntry) error) error {
	return s.walk(ctx, bIdem, func(k, v []byte) error {
		var rec idemRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("idempotency key %q: %w", k, err)
		}
		return fn(store.IdempotencyEntry{Key: string(k), ReportID: rec.ReportID, PayloadHash: rec.Hash, CreatedAt: time.Unix(0, rec.Created).UTC()})
	})
}

// LiveJobs walks q_jobs.
func (s *Store) LiveJobs(ctx context.Context, fn func(store.Job) error) error {
	return s.walk(ctx, bJobs, func(k, v []byte) error {
		var rec jobRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("job %s: %w", k, err)
		}
		j := rec.Job
		j.Handle = ""
		return fn(j)
	})
}

// AllDeadLetters walks q_dead.
func (s *Store) AllDeadLetters(ctx context.Context, fn func(store.Job) error) error {
	return s.walk(ctx, bDead, func(k, v []byte) error {
		var j store.Job
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("dead job %s: %w", k, err)
		}
		j.Handle = ""
		return fn(j)
	})
}

// Collections lists the nested buckets of records that hold keys.
func (s *Store) Collections(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bRecords).ForEachBucket(func(name []byte) error {
			if k, _ := tx.Bucket(bRecords).Bucket(name).Cursor().First(); k != nil {
				out = append(out, string(name))
			}
			return ctx.Err()
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list record collections: %w", classify(err))
	}
	return out, nil
}

// PutDeadLetter stores j as a dead letter (q_dead, q_dead_time, counter).
func (s *Store) PutDeadLetter(ctx context.Context, j store.Job) error {
	if j.ID == "" || !store.KnownQueue(j.Queue) {
		return fmt.Errorf("put dead letter %q: needs an id and a known queue (got %q)", j.ID, j.Queue)
	}
	j.Handle = ""
	err := s.writeRecord(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bDead).Get([]byte(j.ID)) != nil || tx.Bucket(bJobs).Get([]byte(j.ID)) != nil {
			return nil // there already: importing twice changes nothing
		}
		return putDead(tx, j)
	})
	if err != nil {
		return fmt.Errorf("put dead letter %s: %w", j.ID, err)
	}
	return nil
}

// walk calls fn for every key of a bucket in one read transaction (a
// consistent view, while writers go on).
func (s *Store) walk(ctx context.Context, bucket []byte, fn func(k, v []byte) error) error {
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fn(k, v)
		})
	})
	if err != nil {
		return fmt.Errorf("walk %s: %w", bucket, classify(err))
	}
	return nil
}

// Backup writes a consistent copy of the whole database file to w (one read
// transaction's WriteTo: writers go on meanwhile) and returns its size. The
// copy opens like the original (floorfeed restore puts it back).
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", s.path, classify(err))
	}
	return n, nil
}
