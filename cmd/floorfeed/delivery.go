package main

import (
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/floorfeed/floorfeed/alert"
	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/mail"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/schedule"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/worker"
)

// briefRenderer is what makes the scheduled briefs' PDFs: an adapter over
// package brief (delivery.BriefRenderer). Until one is wired in, nil: no
// brief jobs are handled and the scheduler stays off.
func briefRenderer(_ *Config, _ *backend, _ *plant.Plant, _ *slog.Logger) delivery.BriefRenderer {
	return nil
}

// deliveryHandlers returns the job handlers of the delivery path: the alert
// of a critical report (always: webhooks need no SMTP), the e-mail (which
// fails, recorded, when SMTP is not configured) and, with a renderer, the
// scheduled brief.
func deliveryHandlers(cfg *Config, be *backend, p *plant.Plant, log *slog.Logger) map[string]worker.Handler {
	dlog := delivery.NewLog(be, time.Now)
	outbox := delivery.NewOutbox(be, be, dlog, time.Now)
	var mailer delivery.Mailer
	if cfg.SMTP.Enabled() {
		s, err := mail.New(cfg.SMTP) // validated with the configuration
		if err != nil {
			log.Error("e-mail disabled", "err", err)
		} else {
			mailer = s
			log.Info("e-mail on", "smtp", net.JoinHostPort(cfg.SMTP.Host, strconv.Itoa(cfg.SMTP.Port)), "tls", cfg.SMTP.TLS,
				"from", cfg.SMTP.From, "auth", cfg.SMTP.Username != "")
		}
	}
	hs := map[string]worker.Handler{store.JobMail: delivery.NewMailHandler(be, dlog, mailer, log.With("component", "mail")).Handle}
	ah, err := alert.NewHandler(alert.Deps{Reports: be, Plant: p, Outbox: outbox, Log: dlog, Email: mailer != nil,
		BaseURL: cfg.BaseURL, Slog: log.With("component", "alert")})
	if err == nil { // every dependency is set above: cannot fail
		hs[store.JobAlert] = ah.Handle
	}
	if r := briefRenderer(cfg, be, p, log); r != nil {
		bh, err := delivery.NewBriefHandler(delivery.BriefHandlerDeps{Renderer: r, Outbox: outbox, Plant: p,
			BaseURL: cfg.BaseURL, Log: log.With("component", "brief")})
		if err == nil { // ditto
			hs[store.JobBrief] = bh.Handle
		}
	}
	return hs
}

// newScheduler returns the brief scheduler, or nil (saying why) when briefs
// cannot go out: no SMTP, no renderer, or no team with a schedule.
func newScheduler(cfg *Config, be *backend, p *plant.Plant, log *slog.Logger) *schedule.Scheduler {
	scheduled := 0
	for _, t := range p.Teams {
		if _, ok := t.Cron(); ok {
			scheduled++
		}
	}
	switch {
	case scheduled == 0:
		return nil
	case !cfg.SMTP.Enabled():
		log.Info("scheduled briefs are off: no SMTP server (set FLOORFEED_SMTP_HOST and FLOORFEED_SMTP_FROM)", "teams_with_schedule", scheduled)
		return nil
	case briefRenderer(cfg, be, p, log) == nil:
		log.Info("scheduled briefs are off: this build has no brief renderer", "teams_with_schedule", scheduled)
		return nil
	}
	s, err := schedule.New(schedule.Deps{Store: be, Plant: p, Log: log.With("component", "schedule")}, schedule.Config{})
	if err != nil { // Store and Plant are set: cannot fail
		log.Error("scheduled briefs are off", "err", err)
		return nil
	}
	return s
}
