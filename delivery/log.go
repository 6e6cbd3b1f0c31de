// Package delivery sends what Floorfeed tells R&D: the scheduled PDF briefs
// by e-mail and the alerts' e-mails, and keeps the record of every delivery
// (team, slot, recipients, result, message id, attempts, error).
//
// Two job types carry a brief to its readers. The brief job (store.JobBrief,
// queue "brief": slow, one at a time, a long lease) renders the brief through
// a BriefRenderer, composes the e-mail and leaves it in the outbox (Records
// "mail.outbox"); the mail job (store.JobMail, queue "mail") sends what the
// outbox holds. They are two jobs so that an SMTP outage retries only the
// sending, with backoff, never the rendering, and so that every retry sends
// the very brief made for the slot (the reports may change meanwhile). The
// alert job (package alert) uses the same outbox and mail job for its
// e-mail.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// Records is what this package needs of store.Records.
type Records interface {
	CreateRecord(ctx context.Context, coll, key string, val []byte) (bool, error)
	GetRecord(ctx context.Context, coll, key string) ([]byte, error)
	PutRecord(ctx context.Context, coll, key string, val []byte) error
	UpdateRecord(ctx context.Context, coll, key string, fn func(cur []byte, exists bool) ([]byte, error)) ([]byte, error)
	DeleteRecord(ctx context.Context, coll, key string) error
	ListRecords(ctx context.Context, coll string, opts store.ListOptions) ([]store.Record, error)
}

// Enqueuer is what this package needs of store.Queue.
type Enqueuer interface {
	// Enqueue is idempotent by job id (store.Queue).
	Enqueue(ctx context.Context, j store.Job) error
}

// Collections owned by this package.
const (
	CollLog    = "delivery.log" // key: DeliveryKey(...): time-ordered
	CollOutbox = "mail.outbox"  // key: the mail job's id
)

// Kinds of delivery.
const (
	KindBrief = "brief"
	KindAlert = "alert"
)

// Channels a delivery goes through.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// Results of a delivery.
const (
	ResultPending  = "pending"  // queued, not tried yet
	ResultRetrying = "retrying" // an attempt failed; it will be tried again
	ResultSent     = "sent"     // accepted by the SMTP server / the webhook
	ResultFailed   = "failed"   // every attempt failed: dead-lettered (retry it from the dead letters)
)

// Delivery is the record of one brief or alert sent (or being sent) through
// one channel. Schema 1.
type Delivery struct {
	Schema     int        `json:"schema"`
	Key        string     `json:"id"`
	Kind       string     `json:"kind"`    // KindBrief or KindAlert
	Channel    string     `json:"channel"` // ChannelEmail or ChannelWebhook
	Team       string     `json:"team"`
	Slot       *time.Time `json:"slot,omitempty"`        // the scheduled slot (briefs)
	From       *time.Time `json:"period_from,omitempty"` // the period a brief covers
	To         *time.Time `json:"period_to,omitempty"`
	BriefID    string     `json:"brief_id,omitempty"`
	ReportID   string     `json:"report_id,omitempty"` // the critical report (alerts)
	Recipients []string   `json:"recipients,omitempty"`
	Target     string     `json:"target,omitempty"` // webhook kind and host (never its token or secret)
	Subject    string     `json:"subject,omitempty"`
	Result     string     `json:"result"`
	MessageID  string     `json:"message_id,omitempty"`
	Attempts   int        `json:"attempts"`
	Error      string     `json:"error,omitempty"` // the last attempt's error
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
}

const deliverySchema = 1

// keyTime formats the time part of a delivery key: fixed width, so keys
// sort by time.
const keyTime = "20060102T150405.000000000Z"

// DeliveryKey is the record key of a delivery: the time it is about (a
// brief's slot, a critical report's creation) then what it is, so that the
// log lists by that time and a retried job finds its own record.
func DeliveryKey(at time.Time, kind, subject, channel string) string {
	return at.UTC().Format(keyTime) + "~" + kind + "~" + subject + "~" + channel
}

// Log is the delivery log.
type Log struct {
	rec Records
	now func() time.Time
}

// NewLog returns the delivery log over rec.
func NewLog(rec Records, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{rec: rec, now: now}
}

// Get returns one delivery, or store.ErrNotFound.
func (l *Log) Get(ctx context.Context, key string) (Delivery, error) {
	b, err := l.rec.GetRecord(ctx, CollLog, key)
	if err != nil {
		return Delivery{}, fmt.Errorf("delivery %s: %w", key, err)
	}
	var d Delivery
	if err := json.Unmarshal(b, &d); err != nil {
		return Delivery{}, fmt.Errorf("delivery %s: decode: %w", key, err)
	}
	return d, nil
}

// Update applies fn to the delivery under key (a new one, Key and CreatedAt
// set, if there is none) atomically and returns what it stored.
func (l *Log) Update(ctx context.Context, key string, fn func(d *Delivery)) (Delivery, error) {
	var out Delivery
	_, err := l.rec.UpdateRecord(ctx, CollLog, key, func(cur []byte, exists bool) ([]byte, error) {
		now := l.now().UTC()
		d := Delivery{Key: key, CreatedAt: now, Result: ResultPending}
		if exists {
			if err := json.Unmarshal(cur, &d); err != nil {
				return nil, fmt.Errorf("decode: %w", err)
			}
		}
		fn(&d)
		d.Schema, d.Key, d.UpdatedAt = deliverySchema, key, now
		out = d
		return json.Marshal(d)
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("record delivery %s: %w", key, err)
	}
	return out, nil
}

// ListQuery selects a page of the log.
type ListQuery struct {
	Team   string // "" : every team
	Kind   string // "" : briefs and alerts
	Limit  int    // 0: store.DefaultLimit
	Cursor string // the NextCursor of the previous page
}

// Page is one page of the log, newest first.
type Page struct {
	Deliveries []Delivery `json:"deliveries"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// maxScan bounds how many records one List reads when filtering.
const maxScan = 5000

// List returns deliveries newest first (by the time each is about).
func (l *Log) List(ctx context.Context, q ListQuery) (Page, error) {
	limit := store.ListOptions{Limit: q.Limit}.PageSize()
	page := Page{Deliveries: []Delivery{}}
	after, scanned := q.Cursor, 0
	for scanned < maxScan {
		recs, err := l.rec.ListRecords(ctx, CollLog, store.ListOptions{After: after, Reverse: true, Limit: store.MaxLimit})
		if err != nil {
			return Page{}, fmt.Errorf("list deliveries: %w", err)
		}
		for _, r := range recs {
			scanned++
			after = r.Key
			var d Delivery
			if err := json.Unmarshal(r.Value, &d); err != nil {
				return Page{}, fmt.Errorf("list deliveries: decode %s: %w", r.Key, err)
			}
			if (q.Team != "" && d.Team != q.Team) || (q.Kind != "" && d.Kind != q.Kind) {
				continue
			}
			page.Deliveries = append(page.Deliveries, d)
			if len(page.Deliveries) == limit {
				page.NextCursor = r.Key
				return page, nil
			}
		}
		if len(recs) < store.MaxLimit {
			return page, nil
		}
	}
	page.NextCursor = after // a filter matching little: the caller goes on from here
	return page, nil
}

// errNotFound reports whether err is the store's not-found.
func errNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
