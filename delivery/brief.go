package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/mail"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

// BriefSpec says which brief to make: a team's filter over a period.
type BriefSpec struct {
	Team        string
	From, To    time.Time // [From, To)
	Lang        i18n.Lang
	Lines       []string // empty: all
	Categories  []string // empty: all
	MinSeverity string   // "" : all
}

// RenderedBrief is a brief made and kept by the renderer. The e-mail body is
// composed here from Headline and Themes (compose.go), in the brief's
// language, so the renderer only supplies numbers and themes.
type RenderedBrief struct {
	// ID is the kept brief's id: GET /api/v1/briefs/{ID}.pdf serves it again.
	ID       string
	PDF      []byte
	Headline Headline
	// Themes are the top recurring themes, best first (the e-mail shows
	// up to five).
	Themes []Theme
}

// Headline is a brief's headline numbers.
type Headline struct {
	Reports         int
	Critical        int
	PreviousReports int // in the previous period of equal length
	Open, Resolved  int
	Votes           int           // "me too" votes on the period's reports
	MedianResponse  time.Duration // median time to first response; 0: none answered
}

// Theme is one recurring theme.
type Theme struct {
	Title   string   // a representative report title, as written
	Terms   []string // its top terms
	Reports int
	Votes   int
	Lines   []string // line ids
}

// BriefRenderer makes and keeps a brief (implemented over package brief by
// cmd/floorfeed). It must be safe for concurrent use.
type BriefRenderer interface {
	RenderBrief(ctx context.Context, spec BriefSpec) (RenderedBrief, error)
}

// BriefJob is the payload of a scheduled brief's job (store.JobBrief).
type BriefJob struct {
	Team string    `json:"team"`
	Slot time.Time `json:"slot"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Late marks a brief sent after its slot was missed (the server was
	// down): it covers the whole gap, up to when it was made.
	Late bool `json:"late,omitempty"`
}

// BriefJobID is the deterministic job id of a team's brief for a slot.
func BriefJobID(team string, slot time.Time) string {
	return "brief:" + team + ":" + slot.UTC().Format(keyTime)
}

// briefMailJobID is the mail job of the same brief.
func briefMailJobID(team string, slot time.Time) string {
	return "mail:brief:" + team + ":" + slot.UTC().Format(keyTime)
}

// BriefDeliveryKey is the delivery record of a team's brief for a slot.
func BriefDeliveryKey(team string, slot time.Time) string {
	return DeliveryKey(slot, KindBrief, team, ChannelEmail)
}

// Teams finds a team of the plant (implemented by *plant.Plant).
type Teams interface {
	Team(id string) (plant.Team, bool)
}

// BriefHandlerDeps are the brief job handler's collaborators.
type BriefHandlerDeps struct {
	Renderer BriefRenderer
	Outbox   *Outbox
	Plant    *plant.Plant
	BaseURL  string // for the link to the brief's PDF
	Log      *slog.Logger
}

// BriefHandler is the handler of store.JobBrief.
type BriefHandler struct {
	d BriefHandlerDeps
}

// NewBriefHandler returns the brief job handler.
func NewBriefHandler(d BriefHandlerDeps) (*BriefHandler, error) {
	if d.Renderer == nil || d.Outbox == nil || d.Plant == nil {
		return nil, errors.New("delivery: brief handler needs Renderer, Outbox and Plant")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &BriefHandler{d: d}, nil
}

// Handle makes the brief of one team's slot and queues its e-mail. A
// redelivered job whose e-mail is queued already does not render again.
func (h *BriefHandler) Handle(ctx context.Context, j store.Job) error {
	var p BriefJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.Team == "" || p.Slot.IsZero() {
		return fmt.Errorf("brief job %s: bad payload: %v", j.ID, err)
	}
	team, ok := h.d.Plant.Team(p.Team)
	if !ok {
		h.d.Log.Warn("brief for a team no longer in the plant file: dropped", "team", p.Team, "slot", p.Slot)
		return nil
	}
	mailID, key := briefMailJobID(p.Team, p.Slot), BriefDeliveryKey(p.Team, p.Slot)
	queued, err := h.d.Outbox.Has(ctx, mailID, key)
	if err != nil {
		return fmt.Errorf("brief job %s: %w", j.ID, err)
	}
	if queued {
		return h.d.Outbox.enqueue(ctx, mailID)
	}
	spec := BriefSpec{Team: team.ID, From: p.From, To: p.To, Lang: team.Language(),
		Lines: team.Filter.Lines, Categories: team.Filter.Categories, MinSeverity: team.Filter.MinSeverity}
	slot, from, to := p.Slot.UTC(), p.From.UTC(), p.To.UTC()
	rb, err := h.d.Renderer.RenderBrief(ctx, spec)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err = fmt.Errorf("brief job %s: render: %w", j.ID, err)
		// Recorded, so that a brief that cannot be made shows in the log;
		// Attempts counts sending attempts only.
		if _, rerr := h.d.Outbox.log.Update(ctx, key, func(d *Delivery) {
			d.Kind, d.Channel, d.Team, d.Slot, d.From, d.To, d.Recipients = KindBrief, ChannelEmail, team.ID, &slot, &from, &to, team.Emails
			d.Error, d.Result = err.Error(), ResultRetrying
			if j.Attempt >= store.MaxAttempts {
				d.Result = ResultFailed
			}
		}); rerr != nil {
			return fmt.Errorf("%w (and recording it: %v)", err, rerr)
		}
		return err
	}
	c := composer{plant: h.d.Plant, baseURL: h.d.BaseURL}
	subject, text, html := c.brief(team, spec, rb, p.Late)
	m := mail.Message{
		To: team.Emails, Subject: subject, Text: text, HTML: html, ID: "brief." + team.ID + "." + p.Slot.UTC().Format("20060102T1504Z"),
		Attachments: []mail.Attachment{{Name: c.pdfName(team, spec), ContentType: "application/pdf", Data: rb.PDF}},
	}
	return h.d.Outbox.Queue(ctx, mailID, key, m, func(d *Delivery) {
		d.Kind, d.Team, d.Slot, d.From, d.To, d.BriefID = KindBrief, team.ID, &slot, &from, &to, rb.ID
		d.Result, d.Error = ResultPending, ""
	})
}
