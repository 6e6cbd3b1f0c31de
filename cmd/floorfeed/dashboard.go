package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/brief"
	"github.com/floorfeed/floorfeed/dashboard"
	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/search"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/themes"
	"github.com/floorfeed/floorfeed/triage"
)

// plantSettings returns the plant settings kept in the store, with the
// plant file p standing in until the plant is first saved from the
// dashboard, and the plant in force now (the saved one wins over the file;
// the file if the store cannot say). It writes nothing.
func plantSettings(be *backend, p *plant.Plant, log *slog.Logger) (*plant.Settings, *plant.Plant, error) {
	settings, err := plant.NewSettings(be, p, time.Now)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cur, _, err := settings.Current(ctx)
	if err != nil {
		log.Warn("plant settings unreadable: using the plant file", "err", err)
		return settings, p, nil
	}
	return settings, cur, nil
}

// newDashboard builds the R&D dashboard over be (pages and export; handlers
// mounts it): triage that knows the teams of the plant in force, similar
// reports through package themes with the plant's glossary, the audit log.
// Text search goes through the text index (package search), which the
// index queue's jobs keep up to date.
func newDashboard(cfg *Config, be *backend, settings *plant.Settings, p *plant.Plant, auditLog *audit.Log, briefs *brief.Maker, ix *search.Index, g *themes.Glossary, log *slog.Logger) (*dashboard.Dashboard, error) {
	tr, err := triage.New(triage.Deps{Reports: be, Teams: plant.LiveTeams{Source: settings}, Now: time.Now})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	d, err := dashboard.New(dashboard.Deps{
		Reports: be, Triage: tr, Plant: settings, PlantEditor: settings, Queue: be,
		Similarity: dashboard.ThemesSimilarity{Reports: be, Glossary: g},
		Search:     dashboard.TextIndex{Index: ix},
		Briefs:     dashBriefs{briefs},
		Deliveries: dashDeliveries{delivery.NewLog(be, time.Now)},
		Audit:      auditLog, TimeZone: cfg.TimeZone, Log: log, Now: time.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return d, nil
}

// dashBriefs adapts the brief maker to the dashboard's briefs page.
type dashBriefs struct{ m *brief.Maker }

func (b dashBriefs) List(ctx context.Context, limit int) ([]dashboard.Brief, error) {
	kept, _, err := b.m.List(ctx, "", limit)
	if err != nil {
		return nil, err
	}
	out := make([]dashboard.Brief, 0, len(kept))
	for _, k := range kept {
		out = append(out, dashboard.Brief{
			ID: k.ID, Team: k.Request.Team, From: k.Request.From, To: k.Request.To, Lang: k.Request.Lang.String(),
			CreatedAt: k.CreatedAt, URL: "/api/v1/briefs/" + k.ID + ".pdf",
		})
	}
	return out, nil
}

func (b dashBriefs) Make(ctx context.Context, team string, from, to time.Time, lang string) (string, error) {
	l, ok := i18n.Parse(lang)
	if !ok {
		return "", fmt.Errorf("brief language %q: zh or en", lang)
	}
	br, err := b.m.Make(ctx, brief.Request{Team: team, From: from, To: to, Lang: l})
	if err != nil {
		return "", err
	}
	return br.ID, nil
}

// dashDeliveries finds a brief's e-mails in the delivery log (the newest
// 500 brief deliveries are searched).
type dashDeliveries struct{ log *delivery.Log }

func (d dashDeliveries) Deliveries(ctx context.Context, briefID string) ([]dashboard.Delivery, error) {
	page, err := d.log.List(ctx, delivery.ListQuery{Kind: delivery.KindBrief, Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	var out []dashboard.Delivery
	for _, dl := range page.Deliveries {
		if dl.BriefID != briefID {
			continue
		}
		at := dl.UpdatedAt
		if dl.SentAt != nil {
			at = *dl.SentAt
		}
		out = append(out, dashboard.Delivery{To: strings.Join(dl.Recipients, ", "), At: at, OK: dl.SentAt != nil, Error: dl.Error})
	}
	return out, nil
}
