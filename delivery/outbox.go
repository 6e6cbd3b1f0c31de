package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/floorfeed/floorfeed/mail"
	"github.com/floorfeed/floorfeed/store"
)

// outboxEntry is an e-mail waiting for its mail job. Schema 1.
type outboxEntry struct {
	Schema      int               `json:"schema"`
	DeliveryKey string            `json:"delivery_key"`
	To          []string          `json:"to"`
	Subject     string            `json:"subject"`
	Text        string            `json:"text"`
	HTML        string            `json:"html,omitempty"`
	Attachments []mail.Attachment `json:"attachments,omitempty"`
	MessageID   string            `json:"message_id"` // local part, deterministic per delivery
}

// mailPayload is the mail job's payload.
type mailPayload struct {
	Outbox string `json:"outbox"`
}

// Outbox queues e-mails: each is written once under its mail job's id, its
// delivery recorded as pending, and its mail job enqueued.
type Outbox struct {
	rec   Records
	queue Enqueuer
	log   *Log
	now   func() time.Time
}

// NewOutbox returns the outbox.
func NewOutbox(rec Records, q Enqueuer, log *Log, now func() time.Time) *Outbox {
	if now == nil {
		now = time.Now
	}
	return &Outbox{rec: rec, queue: q, log: log, now: now}
}

// Has reports whether the e-mail of mailJobID was queued already (it may
// have been sent and removed since: then its delivery, which Queue gave a
// subject, says so).
func (o *Outbox) Has(ctx context.Context, mailJobID, deliveryKey string) (bool, error) {
	if _, err := o.rec.GetRecord(ctx, CollOutbox, mailJobID); err == nil {
		return true, nil
	} else if !errNotFound(err) {
		return false, fmt.Errorf("outbox %s: %w", mailJobID, err)
	}
	d, err := o.log.Get(ctx, deliveryKey)
	if errNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return d.Subject != "", nil
}

// Queue records the delivery (fill sets its fields; it becomes pending),
// stores m under mailJobID unless it is there already and enqueues the mail
// job. Calling it again for the same mailJobID changes nothing but enqueues
// again, which the queue ignores: safe in a redelivered job.
func (o *Outbox) Queue(ctx context.Context, mailJobID, deliveryKey string, m mail.Message, fill func(*Delivery)) error {
	if _, err := o.log.Update(ctx, deliveryKey, func(d *Delivery) {
		fill(d)
		d.Channel = ChannelEmail
		d.Recipients = m.To
		d.Subject = m.Subject
	}); err != nil {
		return err
	}
	b, err := json.Marshal(outboxEntry{Schema: 1, DeliveryKey: deliveryKey, To: m.To, Subject: m.Subject, Text: m.Text,
		HTML: m.HTML, Attachments: m.Attachments, MessageID: m.ID})
	if err != nil {
		return fmt.Errorf("outbox %s: encode: %w", mailJobID, err)
	}
	if _, err := o.rec.CreateRecord(ctx, CollOutbox, mailJobID, b); err != nil {
		return fmt.Errorf("outbox %s: %w", mailJobID, err)
	}
	return o.enqueue(ctx, mailJobID)
}

func (o *Outbox) enqueue(ctx context.Context, mailJobID string) error {
	p, _ := json.Marshal(mailPayload{Outbox: mailJobID}) // a struct of strings: cannot fail
	if err := o.queue.Enqueue(ctx, store.Job{ID: mailJobID, Type: store.JobMail, Payload: p, EnqueuedAt: o.now().UTC()}); err != nil {
		return fmt.Errorf("enqueue mail %s: %w", mailJobID, err)
	}
	return nil
}

// Mailer sends one e-mail (implemented by *mail.Sender).
type Mailer interface {
	Send(ctx context.Context, m mail.Message) (messageID string, err error)
}

// MailHandler is the handler of store.JobMail: it sends what the outbox holds
// for the job and records the result. A nil Mailer (no SMTP configured)
// fails every attempt, saying so, so that the mail is dead-lettered and can
// be retried once e-mail is set up.
type MailHandler struct {
	rec    Records
	log    *Log
	mailer Mailer
	slog   *slog.Logger
}

// NewMailHandler returns the mail job handler; m may be nil (see
// MailHandler), lg nil discards its logs.
func NewMailHandler(rec Records, log *Log, m Mailer, lg *slog.Logger) *MailHandler {
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &MailHandler{rec: rec, log: log, mailer: m, slog: lg}
}

// Handle sends one queued e-mail. A delivery already sent is not sent again
// (a redelivered job); a failed attempt is recorded (retrying, or failed on
// the last attempt, store.MaxAttempts) and returned, for the worker's retry
// with backoff and dead letter.
func (h *MailHandler) Handle(ctx context.Context, j store.Job) error {
	var p mailPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.Outbox == "" {
		return fmt.Errorf("mail job %s: bad payload: %v", j.ID, err)
	}
	b, err := h.rec.GetRecord(ctx, CollOutbox, p.Outbox)
	if errNotFound(err) {
		return nil // sent and removed by an earlier delivery of this job
	}
	if err != nil {
		return fmt.Errorf("mail job %s: outbox: %w", j.ID, err)
	}
	var e outboxEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return fmt.Errorf("mail job %s: decode outbox: %w", j.ID, err)
	}
	if d, err := h.log.Get(ctx, e.DeliveryKey); err == nil && d.Result == ResultSent {
		return h.done(ctx, p.Outbox)
	}
	var id string
	if h.mailer == nil {
		err = fmt.Errorf("e-mail is not configured (set FLOORFEED_SMTP_HOST and FLOORFEED_SMTP_FROM)")
	} else {
		id, err = h.mailer.Send(ctx, mail.Message{To: e.To, Subject: e.Subject, Text: e.Text, HTML: e.HTML,
			Attachments: e.Attachments, ID: e.MessageID})
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: released, not an attempt
		}
		last := j.Attempt >= store.MaxAttempts
		if _, rerr := h.log.Update(ctx, e.DeliveryKey, func(d *Delivery) {
			d.Attempts++
			d.Error = err.Error()
			d.Result = ResultRetrying
			if last {
				d.Result = ResultFailed
			}
		}); rerr != nil {
			return fmt.Errorf("mail job %s: %w (and recording it: %v)", j.ID, err, rerr)
		}
		return fmt.Errorf("mail job %s: %w", j.ID, err)
	}
	if _, err := h.log.Update(ctx, e.DeliveryKey, func(d *Delivery) {
		at := h.log.now().UTC()
		d.Attempts++
		d.Result, d.MessageID, d.Error, d.SentAt = ResultSent, id, "", &at
	}); err != nil {
		h.slog.Error("e-mail sent but its delivery not recorded", "job", j.ID, "delivery", e.DeliveryKey, "message_id", id, "err", err)
		// Sent but not recorded: returning the error would send it again on
		// the retry; the Message-ID is deterministic, so a mail client
		// would collapse the duplicate, but a missing record is the lesser
		// harm.
		return nil
	}
	return h.done(ctx, p.Outbox)
}

// done removes a sent e-mail from the outbox (its PDF need not be kept
// twice: the brief keeps its own).
func (h *MailHandler) done(ctx context.Context, key string) error {
	if err := h.rec.DeleteRecord(ctx, CollOutbox, key); err != nil {
		return nil // harmless: a leftover entry is never sent again (its delivery says sent)
	}
	return nil
}
