// Package store holds Floorfeed's domain: reports, jobs, API tokens, the
// errors the rest of the program maps to responses, and the interfaces that
// the storage backends (store/redisstore, store/boltstore) implement.
//
// The package does no I/O of its own. Both backends must give the semantics
// proven by store/storetest: atomic, idempotent Submit; an at-least-once
// queue with leases and a dead-letter list; indexed, cursor-paged reads;
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
	// Job is enqueued in the same atomic step as the report is written.
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

// Queue is an at-least-once job queue with leases.
type Queue interface {
	// Enqueue appends a job (Submit enqueues its own; this is for other jobs).
	Enqueue(ctx context.Context, j Job) error
	// Claim leases up to max ready jobs to consumer for lease. A job whose
	// lease ran out without Ack or Fail is ready again (its Attempt counts up);
	// one that has already been delivered MaxAttempts times is dead-lettered
	// instead ("lease expired" as its last error). Claim returns at once,
	// possibly with no jobs.
	Claim(ctx context.Context, consumer string, max int, lease time.Duration) ([]Job, error)
	// Ack removes a claimed job for good. Acking a job that is gone is not an error.
	Ack(ctx context.Context, j Job) error
	// Fail records a failed delivery. A job that has had MaxAttempts
	// deliveries moves to the dead-letter list with reason as its last error;
	// otherwise it is released to be delivered again after retryAfter.
	Fail(ctx context.Context, j Job, reason string, retryAfter time.Duration) error
	// Release hands a claimed job back without counting a failure (shutdown).
	Release(ctx context.Context, j Job) error
	// DeadLetters returns up to limit dead-lettered jobs, newest first.
	DeadLetters(ctx context.Context, limit int) ([]Job, error)
	// QueueStats counts jobs by state.
	QueueStats(ctx context.Context) (QueueStats, error)
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
	// Ping reports whether the backend answers (readiness).
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}

// QueueStats counts jobs by state.
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
