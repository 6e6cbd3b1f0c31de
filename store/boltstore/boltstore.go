// Package boltstore is the embedded, single-node store.Store backend: one
// bbolt file, fsynced on every commit, with group commit for the hot write
// paths.
//
// # Bucket layout
//
//	reports    report id → report JSON (ids are UUID v7: the bucket is the time index)
//	receipts   receipt → report id
//	idem       idempotency key → {report id, payload hash, created (unix ns)}
//	idem_time  created (8 bytes big-endian unix ns) ‖ key → empty; drives the purge
//	idx_line, idx_category, idx_severity, idx_status, idx_team
//	           one per store.FilterFields entry (idx_<field>):
//	           indexKey(value) ‖ report id → empty, where indexKey(v) is v with NUL
//	           bytes replaced by 0x01, followed by one NUL; every report is in each
//	           index once, under its value ("" included)
//	idx_counts field ‖ NUL ‖ indexKey(value) → count (8 bytes big-endian); picks the
//	           most selective index in FindReports
//	q_jobs     job id → jobRecord JSON (the job with its queue, state and ready-at
//	           time): every live job of every queue
//	q_ready:<queue>  one per queue in store.Queues: ready-at (8 bytes big-endian
//	           unix ns) ‖ job id → 'w' (waiting) or 'l' (leased)
//	q_dead     job id → dead job JSON (Queue, LastError, DeadAt, Attempt set)
//	q_dead_time  dead-at (8 bytes big-endian unix ns) ‖ job id → empty; newest last
//	q_acked    job id → acked-at (8 bytes big-endian unix ns), kept store.AckedRetention
//	q_acked_time acked-at ‖ job id → empty; drives the purge of q_acked
//	tokens     token hash → API token JSON
//	records    one nested bucket per store.Records collection: key → value
//	           (schema 3; a schema-2 file gains the empty bucket on open)
//	meta       "schema" → version (store.SchemaVersion); "jobs:<queue>" and
//	           "dead:<queue>" → counters (8 bytes big-endian)
//
// Schema version 1 (up to commit 0025e45) had one queue in the buckets jobs,
// ready and dead and the counters "jobs" and "dead"; Open migrates it (see
// migrate.go).
//
// # Writes and durability
//
// bbolt fsyncs on every commit (NoSync stays false): a call that returned
// without error is on disk. Submit and the other small writes go through
// one committer goroutine (groupcommit.go), which runs the functions of
// every caller waiting at that moment one after the other in a single
// transaction and commits them with one fsync (group commit). A batched
// function may run more than once, so each one keeps its outcome in
// variables it resets at the start and writes nothing to the database
// before it has decided to; expected outcomes (a replay, a missing report,
// an error from an UpdateReport callback) are reported through those
// variables rather than as errors, so they do not make the committer re-run
// the whole batch.
//
// # Queue
//
// See queue.go: every live job has exactly one entry in its queue's ready index, at
// the time it may next be claimed — its enqueue time, its retry time after
// Fail, or its lease deadline while it is leased — so an expired lease makes
// a job due again without any sweeper.
//
// # Idempotency keys
//
// Keys are kept at least store.IdempotencyRetention. Each Submit deletes up
// to two keys older than that (oldest first), which keeps pace with the rate
// keys are added at the cost of one cursor seek; PurgeIdempotencyKeys removes
// all keys older than a given time in bulk.
package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/floorfeed/floorfeed/store"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options configures Open.
type Options struct {
	// Timeout is how long Open waits for the file lock; default 1s.
	Timeout time.Duration
	// Now is the clock for lease deadlines, retry times, dead-letter times and
	// idempotency-key ages; default time.Now.
	Now func() time.Time
	// Log receives warnings (dead letters, stale deliveries, index
	// inconsistencies); may be nil.
	Log *slog.Logger
	// ReadOnly opens the file read-only with a shared lock, so several
	// read-only processes may open it at once but no writer can.
	ReadOnly bool
}

// ErrLocked is returned (wrapped) by Open when another process holds the
// database file.
var ErrLocked = errors.New("database is in use by another process")

// lockedError is what Open returns when it cannot get the file lock.
type lockedError struct {
	path    string
	timeout time.Duration
	cause   error
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("database %s is in use by another process (is `floorfeed serve` running?); gave up waiting for its lock after %s", e.path, e.timeout)
}

func (e *lockedError) Unwrap() []error { return []error{ErrLocked, e.cause} }

// schemaVersion is the layout version written to meta; Open migrates older
// files and refuses newer ones.
const schemaVersion = store.SchemaVersion

// Bucket names.
var (
	bReports   = []byte("reports")
	bReceipts  = []byte("receipts")
	bIdem      = []byte("idem")
	bIdemTime  = []byte("idem_time")
	bIdxCounts = []byte("idx_counts")
	bJobs      = []byte("q_jobs")
	bDead      = []byte("q_dead")
	bDeadTime  = []byte("q_dead_time")
	bAcked     = []byte("q_acked")
	bAckedTime = []byte("q_acked_time")
	bTokens    = []byte("tokens")
	bRecords   = []byte("records")
	bMeta      = []byte("meta")

	fixedBuckets = append([][]byte{bReports, bReceipts, bIdem, bIdemTime, bIdxCounts, bJobs,
		bDead, bDeadTime, bAcked, bAckedTime, bTokens, bRecords, bMeta}, indexBuckets()...) // idx_<field>: see indexes
)

// readyBucketName is the ready index of queue q.
func readyBucketName(q string) []byte { return []byte("q_ready:" + q) }

// allBuckets lists every bucket of the current schema.
func allBuckets() [][]byte {
	out := append([][]byte{}, fixedBuckets...)
	for _, q := range store.Queues {
		out = append(out, readyBucketName(q))
	}
	return out
}

// Keys in the meta bucket.
var metaSchema = []byte("schema")

// metaJobsKey counts the live jobs of queue q: waiting, retrying or leased.
func metaJobsKey(q string) []byte { return []byte("jobs:" + q) }

// metaDeadKey counts the dead-lettered jobs of queue q.
func metaDeadKey(q string) []byte { return []byte("dead:" + q) }

// Store is the bbolt-backed store.Store. It is safe for concurrent use.
type Store struct {
	db     *bolt.DB
	writes *groupCommit // every small write: Submit, UpdateReport, the queue
	path   string
	now    func() time.Time
	log    *slog.Logger

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (or creates, mode 0600, with its parent directory) the database
// at path and makes sure every bucket exists. It fails with an error wrapping
// ErrLocked if another process holds the file for longer than opts.Timeout.
// A read-only open needs an existing, initialized file.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("open store %s: create directory: %w", path, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  opts.Timeout,
		ReadOnly: opts.ReadOnly,
		// Durability is the point of this backend: never skip fsync.
		NoSync: false,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &lockedError{path: path, timeout: opts.Timeout, cause: err}
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, path: path, now: opts.Now, log: opts.Log.With("store", "bolt", "path", path)}
	if opts.ReadOnly {
		err = db.View(checkSchema)
	} else {
		err = db.Update(func(tx *bolt.Tx) error { return initSchema(tx, s.now()) })
	}
	if err != nil {
		_ = db.Close() // the open error is the one worth reporting
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if !opts.ReadOnly {
		s.writes = newGroupCommit(db)
	}
	return s, nil
}

// initSchema creates missing buckets and records the schema version of an
// empty file, migrates an older one (migrate.go) and refuses a newer one.
func initSchema(tx *bolt.Tx, now time.Time) error {
	meta, err := tx.CreateBucketIfNotExists(bMeta)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bMeta, err)
	}
	version := uint64(0) // a new file
	if v := meta.Get(metaSchema); v != nil {
		if version, err = decodeVersion(v); err != nil {
			return err
		}
	}
	if version > schemaVersion {
		return tooNew(version)
	}
	for _, name := range allBuckets() {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if version == 1 {
		if err := migrateV1(tx, now); err != nil {
			return fmt.Errorf("migrate schema 1 to %d: %w", schemaVersion, err)
		}
		// Version 1 had no team index, though its reports carry a team.
		if _, err := reindexTx(tx); err != nil {
			return fmt.Errorf("migrate schema 1 to %d: index reports by team: %w", schemaVersion, err)
		}
	}
	if version == schemaVersion {
		return nil
	}
	return meta.Put(metaSchema, u64(schemaVersion))
}

// checkSchema verifies, without writing, that the file was initialized by a
// compatible version.
func checkSchema(tx *bolt.Tx) error {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		return fmt.Errorf("not an initialized floorfeed database: bucket %s missing", bMeta)
	}
	v := meta.Get(metaSchema)
	if v == nil {
		return errors.New("not an initialized floorfeed database: no schema version")
	}
	version, err := decodeVersion(v)
	switch {
	case err != nil:
		return err
	case version > schemaVersion:
		return tooNew(version)
	case version < schemaVersion:
		return fmt.Errorf("database schema version %d is older than this program's (%d): open it read-write once (floorfeed serve) to migrate it", version, schemaVersion)
	}
	for _, name := range allBuckets() {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("not an initialized floorfeed database: bucket %s missing", name)
		}
	}
	return nil
}

func decodeVersion(v []byte) (uint64, error) {
	if len(v) != 8 {
		return 0, fmt.Errorf("corrupt schema version %x", v)
	}
	return binary.BigEndian.Uint64(v), nil
}

func tooNew(version uint64) error {
	return fmt.Errorf("%w: database schema version %d, this floorfeed knows up to %d; upgrade floorfeed to a release that knows version %d (do not open this file with an older one)",
		store.ErrSchemaTooNew, version, schemaVersion, version)
}

// Close closes the database file. Closing twice is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.writes != nil {
			s.writes.close()
		}
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// Ping reports whether the database is open and readable.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	if err := s.db.View(func(*bolt.Tx) error { return nil }); err != nil {
		return fmt.Errorf("ping store %s: %w", s.path, classify(err))
	}
	return nil
}

// classify marks errors that mean "the store cannot take this right now, try
// again later" with store.ErrUnavailable: a closed database, a full or failing
// disk. Everything else is returned as it is.
func classify(err error) error {
	switch {
	case err == nil, errors.Is(err, store.ErrUnavailable):
		return err
	case errors.Is(err, berrors.ErrDatabaseNotOpen),
		errors.Is(err, syscall.ENOSPC),
		errors.Is(err, syscall.EIO),
		errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// u64 encodes v as 8 bytes, big-endian, so keys sort numerically.
func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// timeKey encodes t as 8 big-endian bytes of unix nanoseconds (clamped at 0)
// followed by suffix.
func timeKey(t time.Time, suffix []byte) []byte {
	ns := t.UnixNano()
	if ns < 0 {
		ns = 0
	}
	k := make([]byte, 8, 8+len(suffix))
	binary.BigEndian.PutUint64(k, uint64(ns))
	return append(k, suffix...)
}

// keyTime decodes the time prefix of a timeKey.
func keyTime(k []byte) int64 {
	if len(k) < 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(k[:8]))
}

// addCounter adds delta to the 8-byte counter at key in b, deleting it at zero.
func addCounter(b *bolt.Bucket, key []byte, delta int64) error {
	n := getCounter(b, key) + delta
	if n <= 0 {
		return b.Delete(key)
	}
	return b.Put(key, u64(uint64(n)))
}

// getCounter reads the 8-byte counter at key in b (0 if absent).
func getCounter(b *bolt.Bucket, key []byte) int64 {
	v := b.Get(key)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}
