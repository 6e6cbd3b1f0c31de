package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/floorfeed/floorfeed/store"
	bolt "go.etcd.io/bbolt"
)

// idemRecord is the value of an idempotency key.
type idemRecord struct {
	ReportID string `json:"report_id"`
	Hash     string `json:"hash"`
	Created  int64  `json:"created"` // unix ns; also the idem_time key
}

// purgePerSubmit is how many expired idempotency keys each Submit deletes.
// Each Submit adds one key, so two keep the bucket from growing past the
// retention window while costing one cursor seek when nothing is due.
const purgePerSubmit = 2

// Submit stores sub.Report and enqueues sub.Job in one transaction, once per
// idempotency key; see store.Reports. Concurrent calls are group-committed.
func (s *Store) Submit(ctx context.Context, sub store.Submission) (store.Report, bool, error) {
	id := sub.Report.ID
	if err := ctx.Err(); err != nil {
		return store.Report{}, false, fmt.Errorf("submit report %s: %w", id, err)
	}
	switch {
	case sub.IdempotencyKey == "":
		return store.Report{}, false, fmt.Errorf("submit report %s: empty idempotency key", id)
	case id == "", sub.Report.Receipt == "", sub.Job.ID == "":
		return store.Report{}, false, fmt.Errorf("submit report %q: report id, receipt and job id are required", id)
	}
	// Encode outside the transaction: the write lock is the bottleneck.
	data, err := json.Marshal(&sub.Report)
	if err != nil {
		return store.Report{}, false, fmt.Errorf("submit report %s: encode: %w", id, err)
	}
	job := sub.Job
	queue, err := store.JobQueue(job)
	if err != nil {
		return store.Report{}, false, fmt.Errorf("submit report %s: %w", id, err)
	}
	if job.EnqueuedAt.IsZero() {
		job.EnqueuedAt = sub.Report.CreatedAt
	}
	key := []byte(sub.IdempotencyKey)

	// Outcome of the last run of the batched function (it may run more than once).
	var (
		replay   []byte // stored report JSON on a replay
		mismatch bool
		created  bool
	)
	err = s.writes.do(func(tx *bolt.Tx) error {
		replay, mismatch, created = nil, false, false
		now := s.now()
		if v := tx.Bucket(bIdem).Get(key); v != nil {
			var rec idemRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode idempotency record %q: %w", sub.IdempotencyKey, err)
			}
			if rec.Hash != sub.PayloadHash {
				mismatch = true
				return nil
			}
			stored := tx.Bucket(bReports).Get([]byte(rec.ReportID))
			if stored == nil {
				return fmt.Errorf("idempotency key %q points at missing report %s", sub.IdempotencyKey, rec.ReportID)
			}
			replay = bytes.Clone(stored)
			return nil
		}
		if err := s.putNewReport(tx, &sub.Report, data); err != nil {
			return err
		}
		if err := putIdem(tx, key, idemRecord{ReportID: id, Hash: sub.PayloadHash, Created: now.UnixNano()}); err != nil {
			return err
		}
		// The job id must be new (store.Submission): a known one would leave
		// the report without its job, never processed. Roll back instead.
		added, err := putNewJob(tx, job, queue, now)
		if err != nil {
			return err
		}
		if !added {
			return fmt.Errorf("job id %s is already known", job.ID)
		}
		if _, err := purgeIdem(tx, now.Add(-store.IdempotencyRetention), purgePerSubmit); err != nil {
			return err
		}
		created = true
		return nil
	})
	switch {
	case err != nil:
		return store.Report{}, false, fmt.Errorf("submit report %s: %w", id, classify(err))
	case mismatch:
		return store.Report{}, false, fmt.Errorf("submit report %s with key %q: %w", id, sub.IdempotencyKey, store.ErrIdempotencyMismatch)
	case created:
		return sub.Report, true, nil
	}
	var r store.Report
	if err := json.Unmarshal(replay, &r); err != nil {
		return store.Report{}, false, fmt.Errorf("submit report %s: decode replayed report: %w", id, err)
	}
	return r, false, nil
}

// putNewReport writes a report that does not exist yet, with its receipt
// and index entries.
func (s *Store) putNewReport(tx *bolt.Tx, r *store.Report, data []byte) error {
	reports, receipts := tx.Bucket(bReports), tx.Bucket(bReceipts)
	id := []byte(r.ID)
	if reports.Get(id) != nil {
		return fmt.Errorf("report id %s already exists", r.ID)
	}
	if other := receipts.Get([]byte(r.Receipt)); other != nil {
		return fmt.Errorf("receipt already belongs to report %s", other)
	}
	if err := reports.Put(id, data); err != nil {
		return err
	}
	if err := receipts.Put([]byte(r.Receipt), id); err != nil {
		return err
	}
	for _, ix := range indexes {
		if err := addIndex(tx, ix, ix.value(r), r.ID); err != nil {
			return err
		}
	}
	return nil
}

// putIdem records an idempotency key and its place in the purge order.
func putIdem(tx *bolt.Tx, key []byte, rec idemRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bIdem).Put(key, v); err != nil {
		return fmt.Errorf("store idempotency key: %w", err)
	}
	return tx.Bucket(bIdemTime).Put(timeKey(time.Unix(0, rec.Created), key), nil)
}

// purgeIdem deletes up to max idempotency keys created before cutoff, oldest
// first (max <= 0: no limit), and returns how many it deleted.
func purgeIdem(tx *bolt.Tx, cutoff time.Time, max int) (int, error) {
	idem, byTime := tx.Bucket(bIdem), tx.Bucket(bIdemTime)
	limit := cutoff.UnixNano()
	// Collect first: deleting while a cursor walks makes it skip entries.
	var due [][]byte
	c := byTime.Cursor()
	for k, _ := c.First(); k != nil && keyTime(k) < limit && (max <= 0 || len(due) < max); k, _ = c.Next() {
		due = append(due, bytes.Clone(k))
	}
	for _, k := range due {
		if err := byTime.Delete(k); err != nil {
			return 0, err
		}
		key := k[8:]
		// Only delete the key itself if it still belongs to this time entry.
		if v := idem.Get(key); v != nil {
			var rec idemRecord
			if json.Unmarshal(v, &rec) == nil && rec.Created != keyTime(k) {
				continue
			}
			if err := idem.Delete(key); err != nil {
				return 0, err
			}
		}
	}
	return len(due), nil
}

// purgeChunk bounds the size of one PurgeIdempotencyKeys transaction.
const purgeChunk = 5000

// PurgeIdempotencyKeys deletes every idempotency key stored before before and
// returns how many it deleted. Submit already purges keys older than
// store.IdempotencyRetention a few at a time; this is for a bulk clean-up
// (maintenance command, tests). Passing a time later than
// Now()-store.IdempotencyRetention shortens the replay window below what the
// design promises.
func (s *Store) PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("purge idempotency keys: %w", err)
		}
		var n int
		err := s.db.Update(func(tx *bolt.Tx) error {
			var err error
			n, err = purgeIdem(tx, before, purgeChunk)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("purge idempotency keys: %w", classify(err))
		}
		total += n
		if n < purgeChunk {
			return total, nil
		}
	}
}

// Report returns one report by id, or store.ErrNotFound.
func (s *Store) Report(ctx context.Context, id string) (store.Report, error) {
	if err := ctx.Err(); err != nil {
		return store.Report{}, fmt.Errorf("get report %s: %w", id, err)
	}
	var r store.Report
	err := s.db.View(func(tx *bolt.Tx) error {
		return getReport(tx, id, &r)
	})
	if err != nil {
		return store.Report{}, fmt.Errorf("get report %s: %w", id, classify(err))
	}
	return r, nil
}

// ReportByReceipt returns the report a receipt belongs to, or store.ErrNotFound.
func (s *Store) ReportByReceipt(ctx context.Context, receipt string) (store.Report, error) {
	if err := ctx.Err(); err != nil {
		return store.Report{}, fmt.Errorf("get report by receipt: %w", err)
	}
	var r store.Report
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bReceipts).Get([]byte(receipt))
		if id == nil {
			return store.ErrNotFound
		}
		return getReport(tx, string(id), &r)
	})
	if err != nil {
		// The receipt is the reporter's secret: keep it out of error messages.
		return store.Report{}, fmt.Errorf("get report by receipt: %w", classify(err))
	}
	return r, nil
}

// getReport decodes report id into r, or returns store.ErrNotFound.
func getReport(tx *bolt.Tx, id string, r *store.Report) error {
	if id == "" {
		return store.ErrNotFound
	}
	v := tx.Bucket(bReports).Get([]byte(id))
	if v == nil {
		return store.ErrNotFound
	}
	if err := json.Unmarshal(v, r); err != nil {
		return fmt.Errorf("decode report %s: %w", id, err)
	}
	return nil
}

// UpdateReport loads report id, calls fn on a fresh copy and stores the
// result with its receipt and index entries moved as needed, in one
// group-committed transaction. fn may run more than once. An error from fn
// aborts without writing and is returned (wrapped); store.ErrNotFound if
// there is no such report.
func (s *Store) UpdateReport(ctx context.Context, id string, fn func(*store.Report) error) (store.Report, error) {
	if err := ctx.Err(); err != nil {
		return store.Report{}, fmt.Errorf("update report %s: %w", id, err)
	}
	var (
		result store.Report
		fnErr  error // fn's error or ErrNotFound: nothing written, no batch retry
	)
	err := s.writes.do(func(tx *bolt.Tx) error {
		result, fnErr = store.Report{}, nil
		var old, r store.Report
		if err := getReport(tx, id, &old); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				fnErr = err
				return nil
			}
			return err
		}
		if err := getReport(tx, id, &r); err != nil { // a deep copy for fn
			return err
		}
		if err := fn(&r); err != nil {
			fnErr = err
			return nil
		}
		if r.ID != id {
			fnErr = fmt.Errorf("the update changed the report id to %q", r.ID)
			return nil
		}
		if err := s.rewriteReport(tx, &old, &r); err != nil {
			return err
		}
		result = r
		return nil
	})
	switch {
	case err != nil:
		return store.Report{}, fmt.Errorf("update report %s: %w", id, classify(err))
	case fnErr != nil:
		return store.Report{}, fmt.Errorf("update report %s: %w", id, fnErr)
	}
	return result, nil
}

// rewriteReport stores r in place of old, moving the receipt and every index
// entry whose field changed.
func (s *Store) rewriteReport(tx *bolt.Tx, old, r *store.Report) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := tx.Bucket(bReports).Put([]byte(r.ID), data); err != nil {
		return err
	}
	if old.Receipt != r.Receipt {
		receipts := tx.Bucket(bReceipts)
		if other := receipts.Get([]byte(r.Receipt)); other != nil && string(other) != r.ID {
			return fmt.Errorf("new receipt already belongs to report %s", other)
		}
		if err := receipts.Delete([]byte(old.Receipt)); err != nil {
			return err
		}
		if err := receipts.Put([]byte(r.Receipt), []byte(r.ID)); err != nil {
			return err
		}
	}
	for _, ix := range indexes {
		was, is := ix.value(old), ix.value(r)
		if was == is {
			continue
		}
		if err := removeIndex(tx, ix, was, r.ID); err != nil {
			return err
		}
		if err := addIndex(tx, ix, is, r.ID); err != nil {
			return err
		}
	}
	return nil
}
