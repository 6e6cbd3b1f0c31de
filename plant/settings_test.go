package plant_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/plant"
)

func TestSettingsSeedThenStoreWins(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st := b.Open(t)
			seed := plant.Sample()
			s, err := plant.NewSettings(st, seed, nil)
			if err != nil {
				t.Fatalf("NewSettings: %v", err)
			}
			p, v, err := s.Current(ctx)
			if err != nil || v != 0 || len(p.Lines) != len(seed.Lines) {
				t.Fatalf("Current before any save = %d lines, v%d, %v; want the plant file's %d lines, v0", len(p.Lines), v, err, len(seed.Lines))
			}
			if n, err := st.CountRecords(ctx, plant.SettingsCollection); err != nil || n != 0 {
				t.Errorf("NewSettings and Current wrote %d records, %v; want none (read-only stores)", n, err)
			}
			edited := *p
			edited.Lines = append(edited.Lines[:len(edited.Lines):len(edited.Lines)], plant.Line{ID: "new-1", Name: plant.Name{ZH: "新线", EN: "New line"}})
			if v1, err := s.Save(ctx, &edited, 0, "admin"); err != nil || v1 != 1 {
				t.Fatalf("Save = v%d, %v; want v1", v1, err)
			}
			if _, err := s.Save(ctx, &edited, 0, "admin"); !errors.Is(err, plant.ErrVersionConflict) {
				t.Errorf("Save on a stale version = %v, want ErrVersionConflict", err)
			}
			bad := edited
			bad.Lines = append(bad.Lines[:len(bad.Lines):len(bad.Lines)], plant.Line{ID: "Bad Id"})
			if _, err := s.Save(ctx, &bad, 1, "admin"); err == nil || !strings.Contains(err.Error(), "Bad Id") {
				t.Errorf("Save of an invalid plant = %v, want an error naming the bad id", err)
			}
			// A restart with the plant file: the saved plant wins.
			s2, err := plant.NewSettings(st, plant.Sample(), nil)
			if err != nil {
				t.Fatal(err)
			}
			p2, v, err := s2.Current(ctx)
			if err != nil || v != 1 {
				t.Fatalf("Current after restart = v%d, %v; want v1", v, err)
			}
			if _, ok := (plant.LiveTeams{Source: s2}).Team("magnets"); !ok {
				t.Errorf("LiveTeams does not know the team magnets")
			}
			if _, ok := p2.Line("new-1"); !ok {
				t.Errorf("line new-1 saved in the store is gone after a restart with the plant file")
			}
			if _, at, by, err := s2.Info(ctx); err != nil || by != "admin" || at.IsZero() {
				t.Errorf("Info = %v, %q, %v; want saved by admin", at, by, err)
			}
			y, err := p2.YAML()
			if err != nil {
				t.Fatal(err)
			}
			back, err := plant.Parse(y)
			if err != nil || len(back.Lines) != len(p2.Lines) {
				t.Errorf("Parse(YAML()) = %v; want the same plant back", err)
			}
		})
	}
}
