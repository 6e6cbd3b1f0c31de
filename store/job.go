package store

import "time"

// Job types.
const (
	// JobProcessReport processes a newly submitted report (ReportID set).
	JobProcessReport = "process_report"
)

// Job is one unit of work in the queue.
type Job struct {
	// ID is unique per job, chosen by the enqueuer (a UUID). The backend may
	// keep its own delivery handle in Handle.
	ID       string `json:"id"`
	Type     string `json:"type"`
	ReportID string `json:"report_id,omitempty"`
	// Payload carries type-specific data (JSON) for jobs that need more than ReportID.
	Payload    []byte    `json:"payload,omitempty"`
	EnqueuedAt time.Time `json:"enqueued_at"`

	// Set by the queue on delivery.

	// Attempt is the 1-based number of this delivery.
	Attempt int `json:"attempt,omitempty"`
	// LastError is the reason of the last failed delivery (dead letters).
	LastError string `json:"last_error,omitempty"`
	// DeadAt is when the job was dead-lettered.
	DeadAt time.Time `json:"dead_at,omitzero"`
	// Handle is the backend's delivery handle (e.g. a Redis stream entry id).
	Handle string `json:"handle,omitempty"`
}
