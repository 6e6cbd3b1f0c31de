// Package schedule runs the teams' brief schedules: for each team with a
// cron schedule it finds the slot that is due, claims it in the store so
// that exactly one instance acts on it (across instances and restarts), and
// enqueues the brief job under a deterministic id.
//
// Periods are contiguous: a brief covers [the end of the team's previous
// brief, its slot). A slot missed while no instance ran is sent when one
// comes back, once: when several were missed, only the latest is sent, and
// it covers the whole gap, up to the moment it is made (Late). A team seen
// for the first time starts from now: no brief is sent for the slots before.
package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

// Collections owned by this package.
const (
	CollSlots = "schedule.slots" // key: team "/" slot (UTC): the claim of one slot
	CollTeams = "schedule.teams" // key: team: the last slot handled and where its period ended
)

// Store is what the scheduler needs: records for claims and state, the queue
// for the brief jobs.
type Store interface {
	CreateRecord(ctx context.Context, coll, key string, val []byte) (bool, error)
	GetRecord(ctx context.Context, coll, key string) ([]byte, error)
	UpdateRecord(ctx context.Context, coll, key string, fn func(cur []byte, exists bool) ([]byte, error)) ([]byte, error)
	Enqueue(ctx context.Context, j store.Job) error
}

// Deps are the scheduler's collaborators.
type Deps struct {
	Store Store
	Plant *plant.Plant
	Now   func() time.Time // nil: time.Now
	Log   *slog.Logger     // nil: discard
	// Instance names this instance in slot claims (default: the host name
	// and process id), for the record only.
	Instance string
}

// Config tunes the scheduler.
type Config struct {
	// Interval is how often Run looks for due slots (default 30s): a brief
	// goes out at most this long after its slot.
	Interval time.Duration
	// LateAfter is how long after its slot a brief counts as late, covering
	// up to when it is made rather than up to its slot (default 15 minutes).
	LateAfter time.Duration
}

// Scheduler enqueues the scheduled briefs.
type Scheduler struct {
	d   Deps
	cfg Config
}

// New returns a Scheduler.
func New(d Deps, cfg Config) (*Scheduler, error) {
	if d.Store == nil || d.Plant == nil {
		return nil, errors.New("schedule: Store and Plant are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Instance == "" {
		host, _ := os.Hostname() // empty on error: the pid still tells instances apart on one host
		d.Instance = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 30 * time.Second
	}
	if cfg.LateAfter <= 0 {
		cfg.LateAfter = 15 * time.Minute
	}
	return &Scheduler{d: d, cfg: cfg}, nil
}

// Run checks the schedules at once and then every Interval until ctx ends.
// A failed check (the store unreachable) is logged and tried again at the
// next tick; Run returns nil when ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.d.Log.Warn("brief schedule check failed; trying again", "err", err, "in", s.cfg.Interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// teamState is a team's schedule state. Schema 1.
type teamState struct {
	Schema int `json:"schema"`
	// LastSlot is the last slot handled (or, for a team seen first, the
	// time it was first seen: no slot before it is due).
	LastSlot time.Time `json:"last_slot"`
	// LastTo is where the last brief's period ended; zero before the first.
	LastTo    time.Time `json:"last_to,omitzero"`
	UpdatedAt time.Time `json:"updated_at"`
}

// slotClaim is the record of a claimed slot. Schema 1.
type slotClaim struct {
	Schema    int       `json:"schema"`
	Team      string    `json:"team"`
	Slot      time.Time `json:"slot"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Late      bool      `json:"late,omitempty"`
	Missed    int       `json:"missed,omitempty"` // slots skipped because this one covers them
	ClaimedBy string    `json:"claimed_by"`
	ClaimedAt time.Time `json:"claimed_at"`
}

// Tick handles every team's due slot once. It returns the teams' errors
// joined; one team's failure does not hold up the others.
func (s *Scheduler) Tick(ctx context.Context) error {
	now := s.d.Now()
	var errs []error
	for _, team := range s.d.Plant.Teams {
		if _, ok := team.Cron(); !ok {
			continue
		}
		if err := s.tickTeam(ctx, team, now); err != nil {
			errs = append(errs, fmt.Errorf("team %s: %w", team.ID, err))
		}
	}
	return errors.Join(errs...)
}

// maxSteps bounds the walk from the last slot to now (a minutely schedule
// after a long outage): past it, the latest slot is found from now.
const maxSteps = 100_000

func (s *Scheduler) tickTeam(ctx context.Context, team plant.Team, now time.Time) error {
	sched, _ := team.Cron()
	loc := team.Location()
	st, err := s.state(ctx, team.ID, now)
	if err != nil {
		return err
	}
	// The latest slot in (LastSlot, now], and how many came before it.
	var due time.Time
	missed := 0
	for at, n := sched.Next(st.LastSlot, loc), 0; !at.IsZero() && !at.After(now); at, n = sched.Next(at, loc), n+1 {
		if n == maxSteps {
			due = sched.Prev(now, loc)
			break
		}
		if !due.IsZero() {
			missed++
		}
		due = at
	}
	if due.IsZero() {
		return nil
	}
	claim := slotClaim{Schema: 1, Team: team.ID, Slot: due.UTC(), From: st.LastTo, To: due.UTC(), Missed: missed,
		ClaimedBy: s.d.Instance, ClaimedAt: now.UTC()}
	if claim.From.IsZero() {
		claim.From = sched.Prev(due.Add(-time.Nanosecond), loc).UTC() // the first brief: one whole period
		if claim.From.IsZero() {
			claim.From = due.Add(-7 * 24 * time.Hour).UTC()
		}
	}
	if missed > 0 || now.Sub(due) > s.cfg.LateAfter {
		claim.Late, claim.To = true, now.UTC().Truncate(time.Second)
	}
	key := team.ID + "/" + due.UTC().Format(time.RFC3339)
	b, _ := json.Marshal(claim) // plain fields: cannot fail
	created, err := s.d.Store.CreateRecord(ctx, CollSlots, key, b)
	if err != nil {
		return fmt.Errorf("claim slot %s: %w", key, err)
	}
	if !created {
		// Another instance (or this one before a crash) claimed it: use its
		// period, and enqueue again, which the queue ignores if the job is
		// there (this heals a crash between the claim and the enqueue).
		cur, err := s.d.Store.GetRecord(ctx, CollSlots, key)
		if err != nil {
			return fmt.Errorf("read slot %s: %w", key, err)
		}
		if err := json.Unmarshal(cur, &claim); err != nil {
			return fmt.Errorf("read slot %s: %w", key, err)
		}
	} else {
		s.d.Log.Info("brief slot claimed", "team", team.ID, "slot", due, "from", claim.From, "to", claim.To,
			"late", claim.Late, "missed", missed)
	}
	p, _ := json.Marshal(delivery.BriefJob{Team: team.ID, Slot: claim.Slot, From: claim.From, To: claim.To, Late: claim.Late})
	if err := s.d.Store.Enqueue(ctx, store.Job{ID: delivery.BriefJobID(team.ID, claim.Slot), Type: store.JobBrief,
		Payload: p, EnqueuedAt: now.UTC()}); err != nil {
		return fmt.Errorf("enqueue brief for slot %s: %w", key, err)
	}
	return s.advance(ctx, team.ID, claim, now)
}

// state returns the team's state, creating it (starting now) the first time.
func (s *Scheduler) state(ctx context.Context, team string, now time.Time) (teamState, error) {
	b, err := s.d.Store.GetRecord(ctx, CollTeams, team)
	if errors.Is(err, store.ErrNotFound) {
		init, _ := json.Marshal(teamState{Schema: 1, LastSlot: now.UTC(), UpdatedAt: now.UTC()})
		if _, err := s.d.Store.CreateRecord(ctx, CollTeams, team, init); err != nil {
			return teamState{}, fmt.Errorf("schedule state: %w", err)
		}
		b, err = s.d.Store.GetRecord(ctx, CollTeams, team) // ours, or a racing instance's
	}
	if err != nil {
		return teamState{}, fmt.Errorf("schedule state: %w", err)
	}
	var st teamState
	if err := json.Unmarshal(b, &st); err != nil {
		return teamState{}, fmt.Errorf("schedule state: decode: %w", err)
	}
	return st, nil
}

// advance moves the team's state to the claimed slot (never backwards).
func (s *Scheduler) advance(ctx context.Context, team string, c slotClaim, now time.Time) error {
	_, err := s.d.Store.UpdateRecord(ctx, CollTeams, team, func(cur []byte, exists bool) ([]byte, error) {
		var st teamState
		if exists {
			if err := json.Unmarshal(cur, &st); err != nil {
				return nil, fmt.Errorf("decode: %w", err)
			}
		}
		if exists && !st.LastSlot.Before(c.Slot) {
			return cur, nil
		}
		st = teamState{Schema: 1, LastSlot: c.Slot, LastTo: c.To, UpdatedAt: now.UTC()}
		return json.Marshal(st)
	})
	if err != nil {
		return fmt.Errorf("schedule state: %w", err)
	}
	return nil
}
