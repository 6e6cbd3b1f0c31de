package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/schedule"
	"github.com/floorfeed/floorfeed/store"
)

// TestDaylightSavingSlots: a team in a zone with daylight saving, scheduled
// daily at 01:30 and 02:30, gets one brief for 02:30 on the night it does
// not exist (when the gap ends, 03:00) and one for 01:30 on the night it
// happens twice; ticking every 3 minutes through two nights enqueues
// exactly the expected briefs, none doubled, none skipped.
func TestDaylightSavingSlots(t *testing.T) {
	p, err := plant.Parse([]byte(`
lines: [{id: a, name: {en: A}, team: t}]
teams: [{id: t, emails: [t@plant.example], schedule: "30 1,2 * * *", timezone: America/New_York}]
`))
	if err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		name  string
		start time.Time
		want  int // briefs in the 28 hours after start
	}{
		// 2026-03-08: 01:30 EST, then 02:30 is skipped (fires at 03:00 EDT); 03-09: 01:30, 02:30.
		{"spring forward", time.Date(2026, 3, 8, 0, 0, 0, 0, ny), 4},
		// 2026-11-01: 01:30 EDT (once, not again at 01:30 EST), 02:30 EST; 11-02: 01:30, 02:30.
		{"fall back", time.Date(2026, 11, 1, 0, 0, 0, 0, ny), 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := backends.Bolt(t)
			clock := testutil.NewClock(tc.start)
			s, err := schedule.New(schedule.Deps{Store: st, Plant: p, Now: clock.Now}, schedule.Config{})
			if err != nil {
				t.Fatal(err)
			}
			for end := tc.start.Add(28 * time.Hour); clock.Now().Before(end); clock.Advance(3 * time.Minute) {
				tick(t, s)
			}
			stats, err := st.QueueStats(context.Background(), store.QueueBrief)
			if err != nil || stats.Ready != int64(tc.want) {
				t.Fatalf("%d brief jobs enqueued (%v), want %d", stats.Ready, err, tc.want)
			}
			jobs, err := st.Claim(context.Background(), store.QueueBrief, "t", 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range jobs {
				t.Logf("brief job %s", j.ID)
			}
		})
	}
}
