package boltstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/floorfeed/floorfeed/store"
	bolt "go.etcd.io/bbolt"
)

// The queue keeps each live job in the jobs bucket (id → jobRecord) and once
// in the ready index, keyed by the time it may next be claimed:
//
//	waiting   ready-at = enqueue time, or now after Release      value 'w'
//	retrying  ready-at = time of Fail + retryAfter                value 'w'
//	leased    ready-at = lease deadline                            value 'l'
//
// Claim walks the index from its start up to now, so it only ever touches due
// jobs, and a lease that ran out without Ack or Fail is simply due again.
// Job.Attempt counts deliveries: Claim raises it, Release takes the delivery
// back. A due job whose Attempt has reached store.MaxAttempts (its last lease
// expired) is moved to the dead bucket by Claim instead of being delivered;
// Fail on the MaxAttempts-th delivery dead-letters at once.
//
// Every delivery gets a fresh Handle. Fail and Release act only on the
// current delivery (matching Handle, still leased); one from a delivery whose
// lease already ran out is ignored, since that delivery was counted when the
// job was claimed again and the job now belongs to another worker. Ack acts
// on any delivery: the work was done (handlers are idempotent), and deleting
// the job early can only save a redundant run, never lose one.

// Values in the ready index.
const (
	stateWaiting = 'w'
	stateLeased  = 'l'
)

// jobRecord is the stored state of a live job.
type jobRecord struct {
	Job      store.Job `json:"job"`
	ReadyAt  int64     `json:"ready_at"` // unix ns; the job's key in the ready index
	Leased   bool      `json:"leased,omitempty"`
	Consumer string    `json:"consumer,omitempty"`
}

func (rec *jobRecord) readyKey() []byte {
	k := make([]byte, 8, 8+len(rec.Job.ID))
	binary.BigEndian.PutUint64(k, uint64(max(rec.ReadyAt, 0)))
	return append(k, rec.Job.ID...)
}

// putJob stores rec and its ready-index entry (the caller removed the old one).
func putJob(tx *bolt.Tx, rec *jobRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode job %s: %w", rec.Job.ID, err)
	}
	if err := tx.Bucket(bJobs).Put([]byte(rec.Job.ID), v); err != nil {
		return err
	}
	state := []byte{stateWaiting}
	if rec.Leased {
		state[0] = stateLeased
	}
	return tx.Bucket(bReady).Put(rec.readyKey(), state)
}

// getJob loads job id, or returns ok=false when it is not live.
func getJob(tx *bolt.Tx, id string) (rec jobRecord, ok bool, err error) {
	if id == "" {
		return rec, false, nil
	}
	v := tx.Bucket(bJobs).Get([]byte(id))
	if v == nil {
		return rec, false, nil
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return rec, false, fmt.Errorf("decode job %s: %w", id, err)
	}
	return rec, true, nil
}

// putNewJob adds j as a new job, due now; a live job with j's id is an error.
func (s *Store) putNewJob(tx *bolt.Tx, j store.Job, now time.Time) error {
	if tx.Bucket(bJobs).Get([]byte(j.ID)) != nil {
		return fmt.Errorf("job %s is already queued", j.ID)
	}
	j.Attempt, j.LastError, j.DeadAt, j.Handle = 0, "", time.Time{}, ""
	if j.EnqueuedAt.IsZero() {
		j.EnqueuedAt = now
	}
	// Due now, not at EnqueuedAt: the caller's clock is not the queue's.
	if err := putJob(tx, &jobRecord{Job: j, ReadyAt: now.UnixNano()}); err != nil {
		return err
	}
	return addCounter(tx.Bucket(bMeta), metaJobs, 1)
}

// deadLetter moves rec to the dead bucket with reason as its last error.
// The caller removed rec's ready-index entry.
func deadLetter(tx *bolt.Tx, rec *jobRecord, reason string, now time.Time) (store.Job, error) {
	j := rec.Job
	j.LastError, j.DeadAt, j.Handle = reason, now, ""
	v, err := json.Marshal(j)
	if err != nil {
		return j, fmt.Errorf("encode dead job %s: %w", j.ID, err)
	}
	if err := tx.Bucket(bDead).Put(timeKey(now, []byte(j.ID)), v); err != nil {
		return j, err
	}
	if err := tx.Bucket(bJobs).Delete([]byte(j.ID)); err != nil {
		return j, err
	}
	meta := tx.Bucket(bMeta)
	if err := addCounter(meta, metaJobs, -1); err != nil {
		return j, err
	}
	return j, addCounter(meta, metaDeadJobs, 1)
}

// Enqueue adds a job, due at once. A job whose id is still queued is not
// added twice (nil error), so schedulers may use deterministic ids.
func (s *Store) Enqueue(ctx context.Context, j store.Job) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("enqueue job %s: %w", j.ID, err)
	}
	if j.ID == "" {
		return fmt.Errorf("enqueue %s job: empty job id", j.Type)
	}
	err := s.db.Batch(func(tx *bolt.Tx) error {
		if tx.Bucket(bJobs).Get([]byte(j.ID)) != nil {
			return nil
		}
		return s.putNewJob(tx, j, s.now())
	})
	if err != nil {
		return fmt.Errorf("enqueue job %s: %w", j.ID, classify(err))
	}
	return nil
}

// Claim leases up to max due jobs to consumer for lease, oldest ready-at
// first, and dead-letters due jobs whose last allowed delivery expired.
// When nothing is due it returns without a write transaction, so idle
// polling is cheap.
func (s *Store) Claim(ctx context.Context, consumer string, max int, lease time.Duration) ([]store.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	if max <= 0 {
		return []store.Job{}, nil
	}
	if lease <= 0 {
		return nil, fmt.Errorf("claim jobs: lease %s must be positive", lease)
	}
	var due bool
	err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bReady).Cursor().First()
		due = k != nil && keyTime(k) <= s.now().UnixNano()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", classify(err))
	}
	if !due {
		return []store.Job{}, nil
	}

	var claimed, dead []store.Job
	err = s.db.Batch(func(tx *bolt.Tx) error {
		claimed, dead = []store.Job{}, nil
		now := s.now()
		ready := tx.Bucket(bReady)

		// Collect first, change after: deleting under a cursor skips entries.
		type entry struct {
			key  []byte
			rec  jobRecord
			live bool
		}
		var picked []entry
		deliver := 0
		c := ready.Cursor()
		for k, _ := c.First(); k != nil && keyTime(k) <= now.UnixNano() && deliver < max; k, _ = c.Next() {
			e := entry{key: bytes.Clone(k)}
			rec, ok, err := getJob(tx, string(k[8:]))
			if err != nil {
				return err
			}
			// An entry that is not the job's current key is stale: just drop it.
			if ok && bytes.Equal(rec.readyKey(), k) {
				e.rec, e.live = rec, true
				if rec.Job.Attempt < store.MaxAttempts {
					deliver++
				}
			}
			picked = append(picked, e)
		}

		for _, e := range picked {
			if err := ready.Delete(e.key); err != nil {
				return err
			}
			if !e.live {
				continue
			}
			rec := e.rec
			if rec.Job.Attempt >= store.MaxAttempts {
				reason := rec.Job.LastError
				if rec.Leased {
					reason = "lease expired"
					if rec.Job.LastError != "" {
						reason += "; earlier failure: " + rec.Job.LastError
					}
				}
				j, err := deadLetter(tx, &rec, reason, now)
				if err != nil {
					return err
				}
				dead = append(dead, j)
				continue
			}
			rec.Job.Attempt++
			rec.Job.Handle = newHandle(rec.Job.Attempt)
			rec.Leased, rec.Consumer = true, consumer
			rec.ReadyAt = now.Add(lease).UnixNano()
			if err := putJob(tx, &rec); err != nil {
				return err
			}
			claimed = append(claimed, rec.Job)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs for %s: %w", consumer, classify(err))
	}
	for _, j := range dead {
		s.log.Warn("job dead-lettered", "job", j.ID, "type", j.Type, "report", j.ReportID, "attempts", j.Attempt, "last_error", j.LastError)
	}
	return claimed, nil
}

// newHandle returns a delivery handle: the attempt and 64 random bits.
func newHandle(attempt int) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return fmt.Sprintf("%d-%s", attempt, hex.EncodeToString(b[:]))
}

// Ack removes a job for good, whichever delivery acks it. Acking a job that
// is gone is not an error.
func (s *Store) Ack(ctx context.Context, j store.Job) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ack job %s: %w", j.ID, err)
	}
	var stale bool
	err := s.db.Batch(func(tx *bolt.Tx) error {
		stale = false
		rec, ok, err := getJob(tx, j.ID)
		if err != nil || !ok {
			return err
		}
		stale = rec.Job.Handle != j.Handle
		if err := tx.Bucket(bReady).Delete(rec.readyKey()); err != nil {
			return err
		}
		if err := tx.Bucket(bJobs).Delete([]byte(j.ID)); err != nil {
			return err
		}
		return addCounter(tx.Bucket(bMeta), metaJobs, -1)
	})
	if err != nil {
		return fmt.Errorf("ack job %s: %w", j.ID, classify(err))
	}
	if stale {
		s.log.Info("job acked by an earlier delivery", "job", j.ID, "handle", j.Handle)
	}
	return nil
}

// Fail records a failed delivery: with reason as the last error, the job is
// due again after retryAfter, or dead-lettered if this was delivery
// store.MaxAttempts. A Fail for a job that is gone or for a delivery that is
// no longer current (see the queue notes above) changes nothing and returns nil.
func (s *Store) Fail(ctx context.Context, j store.Job, reason string, retryAfter time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fail job %s: %w", j.ID, err)
	}
	var (
		ignored bool
		dead    *store.Job
	)
	err := s.db.Batch(func(tx *bolt.Tx) error {
		ignored, dead = false, nil
		rec, ok, err := s.currentDelivery(tx, j)
		if err != nil || !ok {
			ignored = err == nil
			return err
		}
		now := s.now()
		if err := tx.Bucket(bReady).Delete(rec.readyKey()); err != nil {
			return err
		}
		if rec.Job.Attempt >= store.MaxAttempts {
			dj, err := deadLetter(tx, &rec, reason, now)
			dead = &dj
			return err
		}
		rec.Job.LastError, rec.Job.Handle = reason, ""
		rec.Leased, rec.Consumer = false, ""
		rec.ReadyAt = now.Add(max(retryAfter, 0)).UnixNano()
		return putJob(tx, &rec)
	})
	if err != nil {
		return fmt.Errorf("fail job %s: %w", j.ID, classify(err))
	}
	switch {
	case ignored:
		s.log.Info("ignored Fail of a delivery that is no longer current", "job", j.ID, "handle", j.Handle, "reason", reason)
	case dead != nil:
		s.log.Warn("job dead-lettered", "job", j.ID, "type", dead.Type, "report", dead.ReportID, "attempts", dead.Attempt, "last_error", reason)
	}
	return nil
}

// Release hands a claimed job back, due at once; the delivery is not counted
// (Attempt goes back down). Like Fail, it ignores a delivery that is no
// longer current.
func (s *Store) Release(ctx context.Context, j store.Job) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("release job %s: %w", j.ID, err)
	}
	err := s.db.Batch(func(tx *bolt.Tx) error {
		rec, ok, err := s.currentDelivery(tx, j)
		if err != nil || !ok {
			return err
		}
		if err := tx.Bucket(bReady).Delete(rec.readyKey()); err != nil {
			return err
		}
		rec.Job.Attempt = max(rec.Job.Attempt-1, 0)
		rec.Job.Handle = ""
		rec.Leased, rec.Consumer = false, ""
		rec.ReadyAt = s.now().UnixNano()
		return putJob(tx, &rec)
	})
	if err != nil {
		return fmt.Errorf("release job %s: %w", j.ID, classify(err))
	}
	return nil
}

// currentDelivery loads j's record if j is its current, leased delivery.
func (s *Store) currentDelivery(tx *bolt.Tx, j store.Job) (jobRecord, bool, error) {
	rec, ok, err := getJob(tx, j.ID)
	if err != nil || !ok {
		return rec, false, err
	}
	if !rec.Leased || j.Handle == "" || rec.Job.Handle != j.Handle {
		return rec, false, nil
	}
	return rec, true, nil
}

// DeadLetters returns up to limit dead-lettered jobs, newest first
// (limit <= 0: store.DefaultLimit).
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]store.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	jobs := []store.Job{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bDead).Cursor()
		for k, v := c.Last(); k != nil && len(jobs) < limit; k, v = c.Prev() {
			var j store.Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("decode dead job %s: %w", k[8:], err)
			}
			jobs = append(jobs, j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", classify(err))
	}
	return jobs, nil
}

// QueueStats counts jobs by state. InFlight counts leases still running
// (ready-index entries after now marked leased; there are only as many as
// jobs in flight or waiting for a retry). Ready is every other live job,
// including ones waiting for a retry and ones whose lease ran out — such a
// job counts as ready until the next Claim delivers it again or, after its
// last allowed delivery, dead-letters it. Dead comes from a counter.
func (s *Store) QueueStats(ctx context.Context) (store.QueueStats, error) {
	if err := ctx.Err(); err != nil {
		return store.QueueStats{}, fmt.Errorf("queue stats: %w", err)
	}
	var st store.QueueStats
	err := s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		live := getCounter(meta, metaJobs)
		st.Dead = getCounter(meta, metaDeadJobs)
		c := tx.Bucket(bReady).Cursor()
		after := timeKey(s.now().Add(time.Nanosecond), nil)
		for k, v := c.Seek(after); k != nil; k, v = c.Next() {
			if len(v) == 1 && v[0] == stateLeased {
				st.InFlight++
			}
		}
		st.Ready = max(live-st.InFlight, 0)
		return nil
	})
	if err != nil {
		return store.QueueStats{}, fmt.Errorf("queue stats: %w", classify(err))
	}
	return st, nil
}
