// Package store holds Floorfeed's domain: reports, jobs, API tokens, the
// errors the rest of the program maps to responses, and the interfaces that
// the storage backends (store/redisstore, store/boltstore) implement.
//
// The package does no I/O of its own. Both backends must give the semantics
// proven by store/storetest: atomic, idempotent Submit; an at-least-once
// queue per job class with leases and a dead-letter list; indexed, cursor-paged reads;
// a history entry for every change.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors every backend returns (wrapped) for the cases callers handle.
var (
	// ErrNotFound: the report, job or token does not exist.
	ErrNotFound = errors.New("not found")
	// ErrIdempotencyMismatch: an Idempotency-Key was reused with a different payload.
	ErrIdempotencyMismatch = errors.New("idempotency key reused with a different payload")
	// ErrUnavailable: the backend cannot be reached; the client should retry later.
	ErrUnavailable = errors.New("store unavailable")
	// ErrSchemaTooNew: the data was written by a newer floorfeed, whose
	// layout this binary does not know; upgrade floorfeed to open it.
	ErrSchemaTooNew = errors.New("data schema is newer than this floorfeed")
)

// MaxAttempts is how many deliveries a job gets before it is dead-lettered.
const MaxAttempts = 5

// IdempotencyRetention is how long an Idempotency-Key is remembered at least.
// A phone may be offline for days before its outbox is flushed.
const IdempotencyRetention = 30 * 24 * time.Hour

// Submission is one report to store, ready-made by the caller (ids, code,
// receipt, timestamps and the first history entry are already set), with the
// idempotency key that guards it and the job to enqueue with it.
type Submission struct {
	Report Report
	// IdempotencyKey identifies the client's attempt; never empty (the caller
	// makes one up when the client sent none).
	IdempotencyKey string
	// PayloadHash is a digest of the client's payload; a replay with the same
	// key but another hash fails with ErrIdempotencyMismatch.
	PayloadHash string
	// Job is enqueued in the same atomic step as the report is written, into
	// JobQueue(Job), and its id registered so that a later Enqueue of that id
	// is a no-op. Job.ID must be new (a fresh UUID v7, like Report.ID): the
	// submission path does not spend time checking it.
	Job Job
}

// Reports stores and reads reports.
type Reports interface {
	// Submit stores sub.Report and enqueues sub.Job in one atomic step, once
	// per idempotency key. It returns the stored report and created=true the
	// first time; for a replay with the same key and payload hash it returns
	// the report stored the first time and created=false, writing nothing.
	// A replay with another payload hash returns ErrIdempotencyMismatch.
	Submit(ctx context.Context, sub Submission) (r Report, created bool, err error)
	// Report returns one report by id, or ErrNotFound.
	Report(ctx context.Context, id string) (Report, error)
	// ReportByIdempotencyKey returns, reading only, the report a Submit
	// stored under an idempotency key with the same payload hash (a
	// rate-limited replay is answered with it). Errors: ErrNotFound when the
	// key holds nothing, ErrIdempotencyMismatch when it holds another
	// payload's report.
	ReportByIdempotencyKey(ctx context.Context, key, payloadHash string) (Report, error)
	// ReportByReceipt returns the report a receipt belongs to, or ErrNotFound.
	ReportByReceipt(ctx context.Context, receipt string) (Report, error)
	// FindReports returns one page of reports matching f, newest first
	// (descending ID, which sorts by creation time), using indexes.
	FindReports(ctx context.Context, f Filter) (Page, error)
	// UpdateReport loads report id, calls fn on it and stores the result,
	// keeping every index in step. fn may be called more than once (optimistic
	// retries) and must not have side effects; returning an error from fn
	// aborts with that error. ErrNotFound if there is no such report.
	UpdateReport(ctx context.Context, id string, fn func(*Report) error) (Report, error)
}

// AckedRetention is how long a queue remembers the id of an acked job, so
// that Enqueue with that id is a no-op: a scheduler that enqueues "the brief
// for team T, week W" under a deterministic id runs it once even if it
// enqueues again days later.
const AckedRetention = 7 * 24 * time.Hour

// Queue is a set of named at-least-once job queues (Queues) with leases.
// Job ids are unique across all queues. Every method wraps ErrUnavailable
// when the backend cannot be reached.
type Queue interface {
	// Enqueue adds j, due at once, to j.Queue, or to QueueFor(j.Type) when
	// j.Queue is empty (Submit enqueues its own job; this is for others).
	// It is idempotent by j.ID: a no-op (nil error) if a job with that id
	// is ready, in flight, waiting for a retry, dead-lettered, or was acked
	// within AckedRetention. It returns an error for an empty id, an unknown
	// queue name, or an empty queue with a job type that has no queue.
	Enqueue(ctx context.Context, j Job) error
	// Claim leases up to max due jobs of queue to consumer for lease. A job
	// whose lease ran out without Ack, Fail or Release is due again (its
	// Attempt counts up); one already delivered MaxAttempts times is
	// dead-lettered instead ("lease expired" in its last error). Claim
	// returns at once, possibly with no jobs; it fails for an unknown queue
	// or a lease that is not positive. Each delivered Job has Queue,
	// Attempt and Handle set.
	Claim(ctx context.Context, queue, consumer string, max int, lease time.Duration) ([]Job, error)
	// Ack removes a claimed job for good and remembers its id for
	// AckedRetention. A late Ack from a delivery whose lease ran out still
	// acks (the work was done; handlers are idempotent). Acking a job that
	// is gone is not an error.
	Ack(ctx context.Context, j Job) error
	// Fail records a failed delivery. On delivery MaxAttempts the job moves
	// to the dead-letter list with reason as its last error; otherwise it is
	// due again after retryAfter. A Fail from a delivery that is no longer
	// current (its lease ran out and the job was delivered again, or it was
	// settled already) changes nothing and returns nil.
	Fail(ctx context.Context, j Job, reason string, retryAfter time.Duration) error
	// Release hands a claimed job back without counting the delivery: its
	// next delivery has the same Attempt. It is due again after after: 0 at
	// shutdown (another worker takes it now), more for a job type this
	// binary does not know (a rolling upgrade: a newer instance will). Like
	// Fail, it ignores a delivery that is no longer current.
	Release(ctx context.Context, j Job, after time.Duration) error
	// Extend renews the lease of a claimed job still running: it stays the
	// worker's for lease from now. It returns false (and changes nothing)
	// when the delivery is no longer current (settled, or delivered again
	// after its lease ran out): the worker must then stop, since another
	// may have the job. Workers of long jobs call it while they run, so a
	// short lease can stand for a long job and a crashed worker's job comes
	// back quickly.
	Extend(ctx context.Context, j Job, lease time.Duration) (bool, error)
	// DeadLetters returns up to limit dead-lettered jobs of all queues,
	// newest first (limit <= 0: DefaultLimit), each with Queue, LastError,
	// DeadAt and Attempt (the deliveries it had) set.
	DeadLetters(ctx context.Context, limit int) ([]Job, error)
	// RetryDead makes the dead job id ready again in its queue, with a fresh
	// attempt count (its next delivery is attempt 1). ErrNotFound if no
	// dead job has that id.
	RetryDead(ctx context.Context, id string) error
	// QueueStats counts the jobs of one queue by state; an error for an
	// unknown queue.
	QueueStats(ctx context.Context, queue string) (QueueStats, error)
}

// Tokens stores API tokens, hashed; the token itself is never stored.
type Tokens interface {
	// CreateToken stores t; t.Hash must be unique.
	CreateToken(ctx context.Context, t APIToken) error
	// TokenByHash finds a token by the hash of its secret, or ErrNotFound.
	TokenByHash(ctx context.Context, hash string) (APIToken, error)
	// Tokens returns every token, oldest first (ascending ID), each with
	// its LastUsedAt.
	Tokens(ctx context.Context) ([]APIToken, error)
	// RevokeToken deletes the token with this id for good: its secret stops
	// working at once. ErrNotFound if there is no such token.
	RevokeToken(ctx context.Context, id string) error
	// TouchToken records that the token with this hash was used at at; a
	// time earlier than the one recorded is ignored. ErrNotFound if there is
	// no such token (a touch never brings a revoked token back). Callers
	// throttle it: it is a write.
	TouchToken(ctx context.Context, hash string, at time.Time) error
}

// Store is everything a backend provides.
type Store interface {
	Reports
	Queue
	Tokens
	Records
	Reindexer
	// Ping reports whether the backend answers (readiness).
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}

// SchemaVersion is the storage layout version this binary writes. Both
// backends record it; opening data of an older version migrates it, a newer
// one is refused with ErrSchemaTooNew.
//
//	1  one job queue (up to commit 0025e45)
//	2  one queue per job class (Queues), dead letters by id, acked-id memory
//	3  Records (collections of documents: users, sessions, briefs, votes …)
const SchemaVersion = 3

// QueueStats counts the jobs of one queue by state.
type QueueStats struct {
	Ready    int64 `json:"ready"`     // waiting to be claimed (including ones waiting to be retried)
	InFlight int64 `json:"in_flight"` // claimed, lease running
	Dead     int64 `json:"dead"`      // dead-lettered
}

// APIToken is a bearer token for the authenticated API.
type APIToken struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Hash      string    `json:"hash"` // hex SHA-256 of the secret token
	CreatedAt time.Time `json:"created_at"`
	// LastUsedAt is when the token last authenticated a request, to within
	// the callers' touch interval; zero if never.
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}
