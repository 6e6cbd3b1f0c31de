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

// The queues keep each live job (any queue) in q_jobs (id → jobRecord) and
// once in its queue's ready index q_ready:<queue>, keyed by the time it may
// next be claimed:
//
//	waiting   ready-at = enqueue time, or now+after after Release   value 'w'
//	retrying  ready-at = time of Fail + retryAfter                   value 'w'
//	leased    ready-at = lease deadline                               value 'l'
//
// Claim walks its queue's index from the start up to now, so it only ever
// touches due jobs, and a lease that ran out without Ack or Fail is simply
// due again. Job.Attempt counts deliveries: Claim raises it, Release takes
// the delivery back. A due job whose Attempt has reached store.MaxAttempts
// (its last lease expired) is dead-lettered by Claim instead of being
// delivered; Fail on the MaxAttempts-th delivery dead-letters at once.
//
// Dead jobs are in q_dead (id → job JSON, so RetryDead finds them by id) and
// q_dead_time (dead-at ‖ id, newest last). Acked ids are in q_acked (id →
// acked-at) and q_acked_time (acked-at ‖ id), so Enqueue can tell that an id
// was acked within store.AckedRetention; Ack and Enqueue each forget up to
// purgePerSubmit older ones.
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
	Job      store.Job `json:"job"` // Job.Queue is always set
	ReadyAt  int64     `json:"ready_at"`
	Leased   bool      `json:"leased,omitempty"`
	Consumer string    `json:"consumer,omitempty"`
}

func (rec *jobRecord) readyKey() []byte {
	k := make([]byte, 8, 8+len(rec.Job.ID))
	binary.BigEndian.PutUint64(k, uint64(max(rec.ReadyAt, 0)))
	return append(k, rec.Job.ID...)
}

// readyBucket returns the ready index of queue q (created by initSchema for
// every known queue).
func readyBucket(tx *bolt.Tx, q string) (*bolt.Bucket, error) {
	b := tx.Bucket(readyBucketName(q))
	if b == nil {
		return nil, fmt.Errorf("no ready index for queue %q", q)
	}
	return b, nil
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
	ready, err := readyBucket(tx, rec.Job.Queue)
	if err != nil {
		return err
	}
	return ready.Put(rec.readyKey(), state)
}

// dropReady removes rec's ready-index entry.
func dropReady(tx *bolt.Tx, rec *jobRecord) error {
	ready, err := readyBucket(tx, rec.Job.Queue)
	if err != nil {
		return err
	}
	return ready.Delete(rec.readyKey())
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

// jobKnown reports whether Enqueue of id must be a no-op: the id is live,
// dead, or was acked within store.AckedRetention of now.
func jobKnown(tx *bolt.Tx, id []byte, now time.Time) bool {
	if tx.Bucket(bJobs).Get(id) != nil || tx.Bucket(bDead).Get(id) != nil {
		return true
	}
	v := tx.Bucket(bAcked).Get(id)
	return len(v) == 8 && int64(binary.BigEndian.Uint64(v)) > now.Add(-store.AckedRetention).UnixNano()
}

// putNewJob adds j to queue q, due at once, unless its id is known (see
// jobKnown); added says which.
func putNewJob(tx *bolt.Tx, j store.Job, q string, now time.Time) (added bool, err error) {
	id := []byte(j.ID)
	if jobKnown(tx, id, now) {
		return false, nil
	}
	if err := forgetAcked(tx, id); err != nil {
		return false, err
	}
	j.Queue = q
	j.Attempt, j.LastError, j.DeadAt, j.Handle = 0, "", time.Time{}, ""
	if j.EnqueuedAt.IsZero() {
		j.EnqueuedAt = now
	}
	// Due now, not at EnqueuedAt: the caller's clock is not the queue's.
	if err := putJob(tx, &jobRecord{Job: j, ReadyAt: now.UnixNano()}); err != nil {
		return false, err
	}
	return true, addCounter(tx.Bucket(bMeta), metaJobsKey(q), 1)
}

// forgetAcked drops the acked marker of id, if any.
func forgetAcked(tx *bolt.Tx, id []byte) error {
	acked := tx.Bucket(bAcked)
	v := acked.Get(id)
	if len(v) != 8 {
		return nil
	}
	if err := tx.Bucket(bAckedTime).Delete(append(bytes.Clone(v), id...)); err != nil {
		return err
	}
	return acked.Delete(id)
}

// markAcked remembers that id was acked at now, and forgets up to
// purgePerSubmit markers older than store.AckedRetention.
func markAcked(tx *bolt.Tx, id []byte, now time.Time) error {
	if err := forgetAcked(tx, id); err != nil {
		return err
	}
	at := timeKey(now, nil)
	if err := tx.Bucket(bAcked).Put(id, at); err != nil {
		return err
	}
	if err := tx.Bucket(bAckedTime).Put(append(at, id...), nil); err != nil {
		return err
	}
	return purgeAcked(tx, now.Add(-store.AckedRetention), purgePerSubmit)
}

// purgeAcked forgets up to limit acked markers from before cutoff, oldest first.
func purgeAcked(tx *bolt.Tx, cutoff time.Time, limit int) error {
	byTime := tx.Bucket(bAckedTime)
	var due [][]byte
	c := byTime.Cursor()
	for k, _ := c.First(); k != nil && keyTime(k) <= cutoff.UnixNano() && len(due) < limit; k, _ = c.Next() {
		due = append(due, bytes.Clone(k))
	}
	for _, k := range due {
		if err := byTime.Delete(k); err != nil {
			return err
		}
		if err := tx.Bucket(bAcked).Delete(k[8:]); err != nil {
			return err
		}
	}
	return nil
}

// putDead stores j (Queue, DeadAt set) as a dead letter.
func putDead(tx *bolt.Tx, j store.Job) error {
	v, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode dead job %s: %w", j.ID, err)
	}
	if err := tx.Bucket(bDead).Put([]byte(j.ID), v); err != nil {
		return err
	}
	if err := tx.Bucket(bDeadTime).Put(timeKey(j.DeadAt, []byte(j.ID)), nil); err != nil {
		return err
	}
	return addCounter(tx.Bucket(bMeta), metaDeadKey(j.Queue), 1)
}

// deadLetter moves rec to the dead letters with reason as its last error.
// The caller removed rec's ready-index entry.
func deadLetter(tx *bolt.Tx, rec *jobRecord, reason string, now time.Time) (store.Job, error) {
	j := rec.Job
	j.LastError, j.DeadAt, j.Handle = reason, now, ""
	if err := putDead(tx, j); err != nil {
		return j, err
	}
	if err := tx.Bucket(bJobs).Delete([]byte(j.ID)); err != nil {
		return j, err
	}
	return j, addCounter(tx.Bucket(bMeta), metaJobsKey(j.Queue), -1)
}

// Enqueue adds j to its queue (store.JobQueue), due at once; a no-op when
// its id is live, dead or acked within store.AckedRetention.
func (s *Store) Enqueue(ctx context.Context, j store.Job) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("enqueue job %s: %w", j.ID, err)
	}
	if j.ID == "" {
		return fmt.Errorf("enqueue %s job: empty job id", j.Type)
	}
	q, err := store.JobQueue(j)
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	err = s.writes.do(func(tx *bolt.Tx) error {
		_, err := putNewJob(tx, j, q, s.now())
		return err
	})
	if err != nil {
		return fmt.Errorf("enqueue job %s: %w", j.ID, classify(err))
	}
	return nil
}

// Claim leases up to max due jobs of queue to consumer for lease, oldest
// ready-at first, and dead-letters due jobs whose last allowed delivery
// expired. When nothing is due it returns without a write transaction, so
// idle polling is cheap.
func (s *Store) Claim(ctx context.Context, queue, consumer string, max int, lease time.Duration) ([]store.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("claim %s jobs: %w", queue, err)
	}
	if err := store.CheckQueue(queue); err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	if max <= 0 {
		return []store.Job{}, nil
	}
	if lease <= 0 {
		return nil, fmt.Errorf("claim %s jobs: lease %s must be positive", queue, lease)
	}
	var due bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ready, err := readyBucket(tx, queue)
		if err != nil {
			return err
		}
		k, _ := ready.Cursor().First()
		due = k != nil && keyTime(k) <= s.now().UnixNano()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim %s jobs: %w", queue, classify(err))
	}
	if !due {
		return []store.Job{}, nil
	}

	var claimed, dead []store.Job
	err = s.writes.do(func(tx *bolt.Tx) error {
		claimed, dead = []store.Job{}, nil
		now := s.now()
		ready, err := readyBucket(tx, queue)
		if err != nil {
			return err
		}

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
			if ok && rec.Job.Queue == queue && bytes.Equal(rec.readyKey(), k) {
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
						reason += "; earlier error: " + rec.Job.LastError
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
		return nil, fmt.Errorf("claim %s jobs for %s: %w", queue, consumer, classify(err))
	}
	for _, j := range dead {
		s.log.Warn("job dead-lettered", "job", j.ID, "queue", j.Queue, "type", j.Type, "report", j.ReportID, "attempts", j.Attempt, "last_error", j.LastError)
	}
	return claimed, nil
}

// newHandle returns a delivery handle: the attempt and 64 random bits.
func newHandle(attempt int) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return fmt.Sprintf("%d-%s", attempt, hex.EncodeToString(b[:]))
}

// Ack removes a job for good, whichever delivery acks it, and remembers its
// id for store.AckedRetention. Acking a job that is gone is not an error.
func (s *Store) Ack(ctx context.Context, j store.Job) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ack job %s: %w", j.ID, err)
	}
	var stale bool
	err := s.writes.do(func(tx *bolt.Tx) error {
		stale = false
		rec, ok, err := getJob(tx, j.ID)
		if err != nil || !ok {
			return err
		}
		stale = rec.Job.Handle != j.Handle
		if err := dropReady(tx, &rec); err != nil {
			return err
		}
		if err := tx.Bucket(bJobs).Delete([]byte(j.ID)); err != nil {
			return err
		}
		if err := markAcked(tx, []byte(j.ID), s.now()); err != nil {
			return err
		}
		return addCounter(tx.Bucket(bMeta), metaJobsKey(rec.Job.Queue), -1)
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
	err := s.writes.do(func(tx *bolt.Tx) error {
		ignored, dead = false, nil
		rec, ok, err := currentDelivery(tx, j)
		if err != nil || !ok {
			ignored = err == nil
			return err
		}
		now := s.now()
		if err := dropReady(tx, &rec); err != nil {
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
		s.log.Warn("job dead-lettered", "job", j.ID, "queue", dead.Queue, "type", dead.Type, "report", dead.ReportID, "attempts", dead.Attempt, "last_error", reason)
	}
	return nil
}

// Release hands a claimed job back, due after after (0: at once); the
// delivery is not counted (Attempt goes back down). Like Fail, it ignores a
// delivery that is no longer current.
func (s *Store) Release(ctx context.Context, j store.Job, after time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("release job %s: %w", j.ID, err)
	}
	var ignored bool
	err := s.writes.do(func(tx *bolt.Tx) error {
		rec, ok, err := currentDelivery(tx, j)
		ignored = err == nil && !ok
		if err != nil || !ok {
			return err
		}
		if err := dropReady(tx, &rec); err != nil {
			return err
		}
		rec.Job.Attempt = max(rec.Job.Attempt-1, 0)
		rec.Job.Handle = ""
		rec.Leased, rec.Consumer = false, ""
		rec.ReadyAt = s.now().Add(max(after, 0)).UnixNano()
		return putJob(tx, &rec)
	})
	if err != nil {
		return fmt.Errorf("release job %s: %w", j.ID, classify(err))
	}
	if ignored {
		s.log.Info("ignored Release of a delivery that is no longer current", "job", j.ID, "handle", j.Handle)
	}
	return nil
}

// currentDelivery loads j's record if j is its current, leased delivery.
func currentDelivery(tx *bolt.Tx, j store.Job) (jobRecord, bool, error) {
	rec, ok, err := getJob(tx, j.ID)
	if err != nil || !ok {
		return rec, false, err
	}
	if !rec.Leased || j.Handle == "" || rec.Job.Handle != j.Handle {
		return rec, false, nil
	}
	return rec, true, nil
}

// DeadLetters returns up to limit dead-lettered jobs of every queue, newest
// first (limit <= 0: store.DefaultLimit).
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]store.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	jobs := []store.Job{}
	err := s.db.View(func(tx *bolt.Tx) error {
		dead := tx.Bucket(bDead)
		c := tx.Bucket(bDeadTime).Cursor()
		for k, _ := c.Last(); k != nil && len(jobs) < limit; k, _ = c.Prev() {
			v := dead.Get(k[8:])
			if v == nil {
				s.log.Warn("dead-letter time entry without its job", "job", string(k[8:]))
				continue
			}
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

// RetryDead moves dead job id back to its queue, due at once, with a fresh
// attempt count; store.ErrNotFound if no dead job has that id.
func (s *Store) RetryDead(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("retry dead job %s: %w", id, err)
	}
	var found bool
	err := s.writes.do(func(tx *bolt.Tx) error {
		found = false
		dead := tx.Bucket(bDead)
		v := dead.Get([]byte(id))
		if v == nil {
			return nil
		}
		var j store.Job
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("decode dead job %s: %w", id, err)
		}
		if err := tx.Bucket(bDeadTime).Delete(timeKey(j.DeadAt, []byte(id))); err != nil {
			return err
		}
		if err := dead.Delete([]byte(id)); err != nil {
			return err
		}
		if err := addCounter(tx.Bucket(bMeta), metaDeadKey(j.Queue), -1); err != nil {
			return err
		}
		added, err := putNewJob(tx, j, j.Queue, s.now())
		if err != nil {
			return err
		}
		if !added {
			// Its id is taken (a job of that id was acked lately): putting
			// it back would drop it. Roll back; it stays dead.
			return fmt.Errorf("job id %s is in use by another job", id)
		}
		found = true
		return nil
	})
	switch {
	case err != nil:
		return fmt.Errorf("retry dead job %s: %w", id, classify(err))
	case !found:
		return fmt.Errorf("retry dead job %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// QueueStats counts the jobs of queue by state. InFlight counts leases still
// running (ready-index entries after now marked leased; there are only as
// many as jobs in flight or waiting for a retry). Ready is every other live
// job of the queue, including ones waiting for a retry and ones whose lease
// ran out — such a job counts as ready until the next Claim delivers it
// again or, after its last allowed delivery, dead-letters it. Live and dead
// come from counters.
func (s *Store) QueueStats(ctx context.Context, queue string) (store.QueueStats, error) {
	if err := ctx.Err(); err != nil {
		return store.QueueStats{}, fmt.Errorf("queue stats %s: %w", queue, err)
	}
	if err := store.CheckQueue(queue); err != nil {
		return store.QueueStats{}, fmt.Errorf("queue stats: %w", err)
	}
	var st store.QueueStats
	err := s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		live := getCounter(meta, metaJobsKey(queue))
		st.Dead = getCounter(meta, metaDeadKey(queue))
		ready, err := readyBucket(tx, queue)
		if err != nil {
			return err
		}
		c := ready.Cursor()
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
		return store.QueueStats{}, fmt.Errorf("queue stats %s: %w", queue, classify(err))
	}
	return st, nil
}

// Extend renews the lease of j's current delivery: its ready-index entry
// moves to now+lease.
func (s *Store) Extend(ctx context.Context, j store.Job, lease time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("extend lease of job %s: %w", j.ID, err)
	}
	if lease <= 0 {
		return false, fmt.Errorf("extend lease of job %s: lease must be positive", j.ID)
	}
	var current bool
	err := s.writes.do(func(tx *bolt.Tx) error {
		rec, ok, err := currentDelivery(tx, j)
		current = err == nil && ok
		if err != nil || !ok {
			return err
		}
		if err := dropReady(tx, &rec); err != nil {
			return err
		}
		rec.ReadyAt = s.now().Add(lease).UnixNano()
		return putJob(tx, &rec)
	})
	if err != nil {
		return false, fmt.Errorf("extend lease of job %s: %w", j.ID, classify(err))
	}
	return current, nil
}
