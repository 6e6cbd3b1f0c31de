package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// What the demo gives a brief of the last week to show: a critical report
// on every line that has a critical theme (they are rare, so a week of a
// small demo could have none, and each team's brief needs its own) and
// "me too" votes, most on the problem that recurs on a line that week.
const recentWindow = 7 * 24 * time.Hour

// ensureRecentCriticals turns one report of the last week on each line
// without a critical one that week into a critical report of its line (the
// line's critical theme, at the same time).
func (g *generator) ensureRecentCriticals(items []Item) {
	since := g.now.Add(-recentWindow)
	has := map[string]bool{}
	candidates := map[string][]int{}
	for i, it := range items {
		switch {
		case it.At.Before(since):
		case it.Severity == sevCritical:
			has[it.Line] = true
		default:
			candidates[it.Line] = append(candidates[it.Line], i)
		}
	}
	for li, st := range g.lines {
		id := st.line.ID
		ti := criticalTheme(st.themes)
		if has[id] || ti < 0 || len(candidates[id]) == 0 {
			continue
		}
		c := candidates[id]
		i := c[g.r.IntN(len(c))]
		items[i] = g.itemOf(li, ti, items[i].At)
	}
}

func (g *generator) lineIndex(id string) int {
	for i, l := range g.lines {
		if l.line.ID == id {
			return i
		}
	}
	return 0
}

// criticalTheme is the index of the first critical theme of ts, or -1.
func criticalTheme(ts []theme) int {
	for i, t := range ts {
		if t.sev == sevCritical {
			return i
		}
	}
	return -1
}

// votes draws the "me too" votes of a report: the line's recurring problem
// collects several, a critical one a few, others now and then one or two.
func (g *generator) votes(hot bool, sev string) int {
	switch {
	case hot:
		return g.r.IntN(6)
	case sev == sevCritical:
		return 1 + g.r.IntN(4)
	case g.r.Float64() < 0.12:
		return 1 + g.r.IntN(2)
	}
	return 0
}

// addVotes stores a new demo report's votes (store.Report.Votes).
func (l *Loader) addVotes(ctx context.Context, r store.Report, it Item) error {
	if it.Votes <= 0 {
		return nil
	}
	_, err := l.Reports.UpdateReport(ctx, r.ID, func(rep *store.Report) error {
		rep.Votes = it.Votes
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo report %s votes: %w", r.ID, err)
	}
	return nil
}
