package store

import (
	"fmt"
	"slices"
	"time"
)

// Queue names. Each job class has its own queue, with its own worker pool
// and lease, so a burst of one kind of work (photos) never starves another
// (critical alerts).
const (
	QueueReport = "report" // processing of newly submitted reports
	QueuePhoto  = "photo"  // photo sanitising and thumbnails
	QueueAlert  = "alert"  // alerts for critical reports
	QueueBrief  = "brief"  // scheduled and requested PDF briefs
	QueueMail   = "mail"   // outgoing e-mail
	QueueIndex  = "index"  // the text index of processed reports
)

// Queues lists every queue, in a fixed order.
var Queues = []string{QueueReport, QueuePhoto, QueueAlert, QueueBrief, QueueMail, QueueIndex}

// KnownQueue reports whether name is one of Queues.
func KnownQueue(name string) bool { return slices.Contains(Queues, name) }

// Job types.
const (
	// JobProcessReport processes a newly submitted report (ReportID set).
	JobProcessReport = "process_report"
	// JobProcessPhotos sanitises a report's photos and makes thumbnails.
	JobProcessPhotos = "process_photos"
	// JobAlert raises the alert for a critical report.
	JobAlert = "alert_critical"
	// JobBrief makes one PDF brief (Payload says which).
	JobBrief = "make_brief"
	// JobMail sends one e-mail.
	JobMail = "send_mail"
	// JobIndexReport adds a processed report to the text index (ReportID
	// set). A queue of its own with few workers: the index's posting lists
	// are shared by many reports, and many concurrent writers to them would
	// slow each other down.
	JobIndexReport = "index_report"
)

// QueueFor returns the queue a job type belongs to, and false for a type
// this binary does not know.
func QueueFor(jobType string) (string, bool) {
	switch jobType {
	case JobProcessReport:
		return QueueReport, true
	case JobProcessPhotos:
		return QueuePhoto, true
	case JobAlert:
		return QueueAlert, true
	case JobBrief:
		return QueueBrief, true
	case JobMail:
		return QueueMail, true
	case JobIndexReport:
		return QueueIndex, true
	}
	return "", false
}

// JobQueue returns the queue j goes to: j.Queue if set, else QueueFor(j.Type).
// It fails for an unknown queue name, and for an empty j.Queue with a job
// type this binary does not know.
func JobQueue(j Job) (string, error) {
	if j.Queue != "" {
		if !KnownQueue(j.Queue) {
			return "", fmt.Errorf("job %s: unknown queue %q (known: %v)", j.ID, j.Queue, Queues)
		}
		return j.Queue, nil
	}
	q, ok := QueueFor(j.Type)
	if !ok {
		return "", fmt.Errorf("job %s: no queue given and job type %q has none", j.ID, j.Type)
	}
	return q, nil
}

// CheckQueue returns an error unless name is one of Queues.
func CheckQueue(name string) error {
	if !KnownQueue(name) {
		return fmt.Errorf("unknown queue %q (known: %v)", name, Queues)
	}
	return nil
}

// Job is one unit of work in the queue.
type Job struct {
	// ID is unique per job across all queues, chosen by the enqueuer (a
	// UUID, or a deterministic id for "once per slot" jobs). The backend
	// keeps its own delivery handle in Handle.
	ID   string `json:"id"`
	Type string `json:"type"`
	// Queue is the queue the job is in. Empty on Enqueue means
	// QueueFor(Type); set by the queue on delivery and in dead letters.
	Queue    string `json:"queue,omitempty"`
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
