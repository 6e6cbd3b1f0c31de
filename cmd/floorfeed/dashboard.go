package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/dashboard"
	"github.com/floorfeed/floorfeed/plant"
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
// Text search reads the reports one by one until the text index (package
// search) is fed by the report job; then set Deps.Search to
// dashboard.TextIndex over it.
func newDashboard(cfg *Config, be *backend, settings *plant.Settings, p *plant.Plant, auditLog *audit.Log, log *slog.Logger) (*dashboard.Dashboard, error) {
	g, err := themes.PlantGlossary(p)
	if err != nil {
		return nil, fmt.Errorf("dashboard: plant glossary: %w", err)
	}
	tr, err := triage.New(triage.Deps{Reports: be, Teams: plant.LiveTeams{Source: settings}, Now: time.Now})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	d, err := dashboard.New(dashboard.Deps{
		Reports: be, Triage: tr, Plant: settings, PlantEditor: settings, Queue: be,
		Similarity: dashboard.ThemesSimilarity{Reports: be, Glossary: g},
		Audit:      auditLog, TimeZone: cfg.TimeZone, Log: log, Now: time.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return d, nil
}
