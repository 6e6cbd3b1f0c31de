package boltstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/floorfeed/floorfeed/store"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Schema version 1 (the layout up to commit 0025e45) had a single job queue:
//
//	jobs   job id → {"job": Job, "ready_at": unix ns, "leased": bool, "consumer": string}
//	ready  ready-at (8 bytes big-endian unix ns) ‖ job id → 'w' or 'l'
//	dead   dead-at (8 bytes big-endian unix ns) ‖ job id → Job JSON
//	meta   "jobs", "dead" → counters
//
// Reports, receipts, indexes, idempotency keys and tokens are the same in
// version 2, so only the queue moves. migrateV1 runs inside Open's single
// write transaction: it either completes, schema version included, or
// leaves the file as it was.
var (
	bLegacyJobs    = []byte("jobs")
	bLegacyReady   = []byte("ready")
	bLegacyDead    = []byte("dead")
	legacyMetaJobs = []byte("jobs")
	legacyMetaDead = []byte("dead")
)

// legacyQueue is the queue every version-1 job goes to: the report queue.
// Version 1 only ever enqueued JobProcessReport, whose QueueFor is the
// report queue; a job of another type found there was claimable from the
// one v1 queue, so it stays claimable from the report queue (the Redis
// migration does the same).
const legacyQueue = store.QueueReport

// migrateV1 moves every version-1 job into the version-2 queues, keeping
// its attempt count and last error: a waiting or retry-waiting job keeps its
// ready-at time, a leased (in flight) one's lease ends now, a dead one
// becomes a dead letter addressable by id. It then drops the v1 buckets and
// counters.
func migrateV1(tx *bolt.Tx, now time.Time) error {
	meta := tx.Bucket(bMeta)
	if jobs := tx.Bucket(bLegacyJobs); jobs != nil {
		err := jobs.ForEach(func(k, v []byte) error {
			var rec jobRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode v1 job %s: %w", k, err)
			}
			rec.Job.ID = string(k)
			rec.Job.Queue = legacyQueue
			if rec.Leased {
				// The lease ends now: the job is due at once and the next
				// Claim treats it as any expired lease (delivered again,
				// or dead-lettered after its last allowed delivery).
				rec.Consumer, rec.ReadyAt = "", now.UnixNano()
			}
			rec.Job.Handle = ""
			if err := putJob(tx, &rec); err != nil {
				return err
			}
			return addCounter(meta, metaJobsKey(rec.Job.Queue), 1)
		})
		if err != nil {
			return err
		}
	}
	if dead := tx.Bucket(bLegacyDead); dead != nil {
		err := dead.ForEach(func(k, v []byte) error {
			var j store.Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("decode v1 dead job %x: %w", k, err)
			}
			if len(k) > 8 && j.ID == "" {
				j.ID = string(k[8:])
			}
			if j.DeadAt.IsZero() {
				j.DeadAt = time.Unix(0, keyTime(k)).UTC()
			}
			j.Queue, j.Handle = legacyQueue, ""
			return putDead(tx, j)
		})
		if err != nil {
			return err
		}
	}
	for _, name := range [][]byte{bLegacyJobs, bLegacyReady, bLegacyDead} {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
			return fmt.Errorf("drop v1 bucket %s: %w", name, err)
		}
	}
	if err := meta.Delete(legacyMetaJobs); err != nil {
		return err
	}
	return meta.Delete(legacyMetaDead)
}
