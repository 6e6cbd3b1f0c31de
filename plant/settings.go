package plant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/floorfeed/floorfeed/store"
)

// Source gives the plant as it is now. The plant file only seeds an
// installation: once the plant has been saved from the dashboard
// (Settings), the stored one is what every part of the program reads, so an
// edit made in the dashboard reaches every instance.
type Source interface {
	// Current returns the plant in force and its version (0 for the plant
	// file, counting up with every save). Callers must not modify it.
	Current(ctx context.Context) (*Plant, int64, error)
}

// Records is what Settings needs of the store (implemented by store.Records).
type Records interface {
	CreateRecord(ctx context.Context, coll, key string, val []byte) (bool, error)
	GetRecord(ctx context.Context, coll, key string) ([]byte, error)
	UpdateRecord(ctx context.Context, coll, key string, fn func(cur []byte, exists bool) ([]byte, error)) ([]byte, error)
}

// Where Settings keeps the plant: one record, a versioned JSON document.
const (
	SettingsCollection = "plant.settings"
	SettingsKey        = "current"
	settingsSchema     = 1
)

// ErrVersionConflict is returned (wrapped) by Save when the plant was saved
// by someone else since the version the caller edited.
var ErrVersionConflict = errors.New("the plant settings were changed by someone else meanwhile")

// storedPlant is the record's value.
type storedPlant struct {
	Schema    int       `json:"schema"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
	Plant     Plant     `json:"plant"`
}

// Settings is the plant kept in the store, seeded from the plant file:
// until the plant is first saved (from the dashboard), the plant file is
// the plant (version 0); from the first save on, the stored plant is, and
// the file is not read for it any more.
type Settings struct {
	rec  Records
	seed *Plant
	now  func() time.Time
}

var _ Source = (*Settings)(nil)

// NewSettings returns the plant settings kept in rec, with seed (the plant
// file) standing in until the first save. It writes nothing, so it works on
// a store opened read-only. now stamps saves (nil: time.Now).
func NewSettings(rec Records, seed *Plant, now func() time.Time) (*Settings, error) {
	if rec == nil || seed == nil {
		return nil, errors.New("plant.NewSettings: Records and seed are required")
	}
	if now == nil {
		now = time.Now
	}
	return &Settings{rec: rec, seed: seed, now: now}, nil
}

// stored returns the stored settings, or the seed's (version 0, by "plant
// file") when nothing is stored yet.
func (s *Settings) stored(ctx context.Context) (storedPlant, error) {
	b, err := s.rec.GetRecord(ctx, SettingsCollection, SettingsKey)
	if errors.Is(err, store.ErrNotFound) {
		return storedPlant{Schema: settingsSchema, Version: 0, UpdatedBy: "plant file", Plant: *s.seed}, nil
	}
	if err != nil {
		return storedPlant{}, fmt.Errorf("read plant settings: %w", err)
	}
	return decodeStored(b)
}

// Current returns the plant in force and its version (0: the plant file's).
func (s *Settings) Current(ctx context.Context) (*Plant, int64, error) {
	sp, err := s.stored(ctx)
	if err != nil {
		return nil, 0, err
	}
	return &sp.Plant, sp.Version, nil
}

// Info says who saved the plant last and when (zero time for the file's).
func (s *Settings) Info(ctx context.Context) (version int64, at time.Time, by string, err error) {
	sp, err := s.stored(ctx)
	if err != nil {
		return 0, time.Time{}, "", err
	}
	return sp.Version, sp.UpdatedAt, sp.UpdatedBy, nil
}

// Save validates p and stores it as the next version, if the stored
// version is still base (the one the editor started from); otherwise it
// fails with ErrVersionConflict and stores nothing. It returns the new
// version. Validation errors are returned as they are (wrapped).
func (s *Settings) Save(ctx context.Context, p *Plant, base int64, by string) (int64, error) {
	if len(p.Categories) == 0 {
		p.Categories = append([]Category(nil), DefaultCategories...)
	}
	if err := p.validate(); err != nil {
		return 0, fmt.Errorf("save plant settings: %w", err)
	}
	var version int64
	_, err := s.rec.UpdateRecord(ctx, SettingsCollection, SettingsKey, func(cur []byte, exists bool) ([]byte, error) {
		var curVersion int64 // 0: nothing stored, the plant file's version
		if exists {
			sp, err := decodeStored(cur)
			if err != nil {
				return nil, err
			}
			curVersion = sp.Version
		}
		if curVersion != base {
			return nil, ErrVersionConflict
		}
		version = curVersion + 1
		return json.Marshal(storedPlant{Schema: settingsSchema, Version: version, UpdatedAt: s.now().UTC(), UpdatedBy: by, Plant: *p})
	})
	if err != nil {
		return 0, fmt.Errorf("save plant settings: %w", err)
	}
	return version, nil
}

func decodeStored(b []byte) (storedPlant, error) {
	var sp storedPlant
	if err := json.Unmarshal(b, &sp); err != nil {
		return sp, fmt.Errorf("decode plant settings: %w", err)
	}
	if sp.Schema > settingsSchema {
		return sp, fmt.Errorf("plant settings schema %d is newer than this floorfeed knows (%d)", sp.Schema, settingsSchema)
	}
	return sp, nil
}

// YAML returns p in the plant file's format, for editing and download.
func (p *Plant) YAML() ([]byte, error) {
	b, err := yaml.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode plant: %w", err)
	}
	return b, nil
}

// Fixed is a Source over one plant that never changes (the plant file
// alone, for tests and read-only tools).
type Fixed struct{ P *Plant }

// Current returns f.P, version 0.
func (f Fixed) Current(context.Context) (*Plant, int64, error) { return f.P, 0, nil }

// LiveTeams answers Team from the plant in force at each call (for
// triage.Deps.Teams), so that a team added on the plant page can be
// assigned at once. A store that cannot be read knows no team.
type LiveTeams struct{ Source Source }

// Team returns the team with id in the current plant.
func (l LiveTeams) Team(id string) (Team, bool) {
	p, _, err := l.Source.Current(context.Background())
	if err != nil {
		return Team{}, false
	}
	return p.Team(id)
}
