package store

import (
	"context"
	"time"
)

// Dumper is what a backend offers beyond the Store interface so that
// everything it holds can be exported (package export): the state that no
// other method enumerates. Both backends implement it.
type Dumper interface {
	// IdempotencyKeys calls fn for every remembered idempotency key.
	IdempotencyKeys(ctx context.Context, fn func(IdempotencyEntry) error) error
	// LiveJobs calls fn for every job that is ready, retrying or in flight,
	// of every queue (Queue set).
	LiveJobs(ctx context.Context, fn func(Job) error) error
	// AllDeadLetters calls fn for every dead-lettered job (Queue, LastError,
	// DeadAt, Attempt set).
	AllDeadLetters(ctx context.Context, fn func(Job) error) error
	// Collections lists the names of the Records collections that hold
	// anything.
	Collections(ctx context.Context) ([]string, error)
	// PutDeadLetter stores j (Queue, LastError, DeadAt, Attempt set) as a
	// dead letter, as it was in the store it was exported from.
	PutDeadLetter(ctx context.Context, j Job) error
}

// IdempotencyEntry is one remembered idempotency key.
type IdempotencyEntry struct {
	Key         string    `json:"key"`
	ReportID    string    `json:"report_id"`
	PayloadHash string    `json:"payload_hash"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
}
