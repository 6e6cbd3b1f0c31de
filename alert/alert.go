// Package alert raises the alert for a critical report: an immediate e-mail
// to the team owning the report's line and, if the team has one, a post to
// its webhook (generic signed JSON, or a WeCom, DingTalk or Feishu group
// robot). The alert is a job (store.JobAlert, queue "alert") with an id
// deterministic per report, enqueued as a follow-up of the report's
// processing, so it is raised once however often the report job runs;
// each channel's delivery is recorded (package delivery) and a channel
// that succeeded is not repeated when a retry is for the other.
package alert

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/mail"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

// FollowUp is the report processor's follow-up (intake.FollowUp) that
// enqueues the alert of a critical report.
func FollowUp(r store.Report) (store.Job, bool) {
	if r.Severity != store.SeverityCritical {
		return store.Job{}, false
	}
	return store.Job{ID: intake.FollowUpID(store.JobAlert, r.ID), Type: store.JobAlert, ReportID: r.ID}, true
}

var _ intake.FollowUp = FollowUp

// Reports reads a report (implemented by both stores).
type Reports interface {
	// Report returns the report, or store.ErrNotFound.
	Report(ctx context.Context, id string) (store.Report, error)
}

// Deps are the alert handler's collaborators.
type Deps struct {
	Reports Reports
	Plant   *plant.Plant
	Outbox  *delivery.Outbox
	Log     *delivery.Log
	// Email says whether e-mail is configured; without it only webhooks go.
	Email bool
	// HTTP posts webhooks (default: a client with a 15s timeout).
	HTTP *http.Client
	// ReportURL links to a report for R&D (default BaseURL + "/reports/" + id).
	ReportURL func(id string) string
	BaseURL   string
	Now       func() time.Time
	Slog      *slog.Logger
}

// Handler is the handler of store.JobAlert.
type Handler struct{ d Deps }

// NewHandler returns the alert job handler.
func NewHandler(d Deps) (*Handler, error) {
	if d.Reports == nil || d.Plant == nil || d.Outbox == nil || d.Log == nil {
		return nil, errors.New("alert: Reports, Plant, Outbox and Log are required")
	}
	if d.HTTP == nil {
		d.HTTP = &http.Client{Timeout: 15 * time.Second}
	}
	if d.ReportURL == nil {
		base := strings.TrimRight(d.BaseURL, "/")
		d.ReportURL = func(id string) string {
			if base == "" {
				return ""
			}
			return base + "/reports/" + id
		}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Slog == nil {
		d.Slog = slog.New(slog.DiscardHandler)
	}
	return &Handler{d: d}, nil
}

// MailJobID is the mail job of a report's alert e-mail.
func MailJobID(reportID string) string { return "mail:alert:" + reportID }

// Handle raises one report's alert. The e-mail is queued (once) for the mail
// job; the webhook is posted here, and a failed post fails the job, for the
// worker's retry with backoff and dead letter; the last attempt's failure
// is recorded as failed.
func (h *Handler) Handle(ctx context.Context, j store.Job) error {
	if j.ReportID == "" {
		return errors.New("alert job: no report id")
	}
	r, err := h.d.Reports.Report(ctx, j.ReportID)
	if errors.Is(err, store.ErrNotFound) {
		h.d.Slog.Warn("alert for a report that is gone: dropped", "report", j.ReportID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("alert %s: %w", j.ReportID, err)
	}
	if r.Severity != store.SeverityCritical {
		return nil
	}
	line, _ := h.d.Plant.Line(r.Line)
	teamID := line.Team
	if teamID == "" {
		teamID = r.Team
	}
	team, ok := h.d.Plant.Team(teamID)
	if !ok {
		h.d.Slog.Warn("critical report on a line without a team: no alert", "report", r.ID, "line", r.Line)
		return nil
	}
	c := h.compose(team, line, r)
	if h.d.Email && len(team.Emails) > 0 {
		if err := h.queueEmail(ctx, team, r, c); err != nil {
			return fmt.Errorf("alert %s: %w", r.ID, err)
		}
	}
	if team.Webhook != nil {
		if err := h.webhook(ctx, j, team, r, c); err != nil {
			return fmt.Errorf("alert %s: %w", r.ID, err)
		}
	}
	return nil
}

func (h *Handler) queueEmail(ctx context.Context, team plant.Team, r store.Report, c content) error {
	mailID, key := MailJobID(r.ID), delivery.DeliveryKey(r.CreatedAt, delivery.KindAlert, r.ID, delivery.ChannelEmail)
	queued, err := h.d.Outbox.Has(ctx, mailID, key)
	if err != nil || queued {
		return err
	}
	m := mail.Message{To: team.Emails, Subject: c.subject, Text: c.text, HTML: c.html, ID: "alert." + r.ID}
	return h.d.Outbox.Queue(ctx, mailID, key, m, func(d *delivery.Delivery) {
		d.Kind, d.Team, d.ReportID = delivery.KindAlert, team.ID, r.ID
	})
}

func (h *Handler) webhook(ctx context.Context, j store.Job, team plant.Team, r store.Report, c content) error {
	w := *team.Webhook
	key := delivery.DeliveryKey(r.CreatedAt, delivery.KindAlert, r.ID, delivery.ChannelWebhook)
	if d, err := h.d.Log.Get(ctx, key); err == nil && d.Result == delivery.ResultSent {
		return nil // posted by an earlier attempt; this one is for the e-mail
	}
	target := w.Kind
	if i := strings.Index(w.URL, "://"); i >= 0 {
		host, _, _ := strings.Cut(w.URL[i+3:], "/")
		target += " " + host
	}
	now := h.d.Now()
	req, err := request(ctx, w, c.payload(now), c.robot, now)
	if err == nil {
		err = post(h.d.HTTP, req, w.Kind)
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	_, rerr := h.d.Log.Update(ctx, key, func(d *delivery.Delivery) {
		d.Kind, d.Channel, d.Team, d.ReportID, d.Target, d.Subject = delivery.KindAlert, delivery.ChannelWebhook, team.ID, r.ID, target, c.subject
		d.Attempts++
		if err != nil {
			d.Error, d.Result = err.Error(), delivery.ResultRetrying
			if j.Attempt >= store.MaxAttempts {
				d.Result = delivery.ResultFailed
			}
			return
		}
		at := now.UTC()
		d.Error, d.Result, d.SentAt = "", delivery.ResultSent, &at
	})
	if err != nil {
		return err
	}
	return rerr
}

// content is an alert in every form it goes out in.
type content struct {
	subject, text, html string
	robot               message
	payload             func(now time.Time) Payload
}

var alertHTML = template.Must(template.New("alert").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Heading}}</title></head>
<body style="font-family: -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif; color: #1a1a1a; max-width: 640px; overflow-wrap: anywhere">
<h1 style="font-size: 18px; color: #a40000">{{.Heading}}</h1>
<p><strong>{{.Title}}</strong></p>
{{if .Body}}<p style="white-space: pre-wrap">{{.Body}}</p>{{end}}
<ul>{{range .Facts}}<li>{{.}}</li>{{end}}</ul>
{{if .URL}}<p><a href="{{.URL}}">{{.Open}}</a></p>{{end}}
</body></html>
`))

func (h *Handler) compose(team plant.Team, line plant.Line, r store.Report) content {
	lang := team.Language()
	l := lang.String()
	lineName := line.Name.In(l)
	if lineName == "" {
		lineName = r.Line
	}
	cat := r.Category
	if c, ok := h.d.Plant.Category(r.Category); ok {
		cat = c.Name.In(l)
	}
	sev := i18n.Severity(lang, string(r.Severity))
	url := h.d.ReportURL(r.ID)
	at := r.CreatedAt.In(team.Location()).Format("2006-01-02 15:04")
	var heading, open string
	var facts []string
	if lang == i18n.Zh {
		heading = fmt.Sprintf("【%s】%s", sev, lineName)
		open = "查看报告"
		facts = []string{"产线：" + lineName, "类别：" + cat, "时间：" + at, "编号：" + r.Code}
		if r.Station != "" {
			facts = append(facts[:1], append([]string{"工位：" + r.Station}, facts[1:]...)...)
		}
	} else {
		heading = fmt.Sprintf("[%s] %s", sev, lineName)
		open = "Open the report"
		facts = []string{"Line: " + lineName, "Category: " + cat, "Time: " + at, "Code: " + r.Code}
		if r.Station != "" {
			facts = append(facts[:1], append([]string{"Station: " + r.Station}, facts[1:]...)...)
		}
	}
	body := clip(r.Body, 800)
	subject := "Floorfeed " + heading + "：" + r.Title
	if lang == i18n.En {
		subject = "Floorfeed " + heading + ": " + r.Title
	}
	var text strings.Builder
	text.WriteString(heading + "\n\n" + r.Title + "\n")
	if body != "" {
		text.WriteString("\n" + body + "\n")
	}
	text.WriteString("\n")
	for _, f := range facts {
		text.WriteString("• " + f + "\n")
	}
	if url != "" {
		colon := ": "
		if lang == i18n.Zh {
			colon = "："
		}
		text.WriteString("\n" + open + colon + url + "\n")
	}
	var html strings.Builder
	_ = alertHTML.Execute(&html, map[string]any{"Lang": lang.Tag(), "Heading": heading, "Title": r.Title, "Body": body,
		"Facts": facts, "URL": url, "Open": open}) // fixed template over plain strings: cannot fail

	var md strings.Builder
	fmt.Fprintf(&md, "### %s\n**%s**\n", mdEscape(heading), mdEscape(r.Title))
	if body != "" {
		fmt.Fprintf(&md, "> %s\n", strings.ReplaceAll(mdEscape(clip(body, 300)), "\n", "\n> "))
	}
	for _, f := range facts {
		fmt.Fprintf(&md, "- %s\n", mdEscape(f))
	}
	if url != "" {
		fmt.Fprintf(&md, "\n[%s](%s)\n", open, url)
	}
	robotText := text.String()
	return content{
		subject: subject, text: text.String(), html: html.String(),
		robot: message{Title: clip(heading+" "+r.Title, 60), Markdown: md.String(), Text: robotText},
		payload: func(now time.Time) Payload {
			return Payload{Event: EventCritical, SentAt: now.UTC(), Team: team.ID, Report: PayloadReport{
				ID: r.ID, Code: r.Code, Line: r.Line, LineName: lineName, Station: r.Station, Category: r.Category,
				Severity: string(r.Severity), Title: r.Title, Body: r.Body, CreatedAt: r.CreatedAt.UTC(), URL: url}}
		},
	}
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// mdEscape keeps a report's text from turning into robot markdown (links,
// headings) while leaving it readable.
func mdEscape(s string) string {
	return strings.NewReplacer("[", "［", "]", "］", "#", "＃", "`", "'", "<", "＜", ">", "＞").Replace(s)
}
