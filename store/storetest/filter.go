package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// The filter tests check FindReports against expectations the tests work
// out on their own (plain predicates over the reports they stored), not
// through store.Filter.Match, so a wrong Match fails them too.

var (
	filterLines = []string{"sx-1", "sx-2", "calc-1", "elec-1"}
	filterCats  = []string{"quality", "equipment", "safety", ""}
	filterTeams = []string{"separation", "metallurgy", "magnets", ""}
)

// seedFilterReports stores n reports spread over lines, categories,
// severities, teams and (after an update) statuses, from a few goroutines,
// and returns them as stored, oldest first.
func seedFilterReports(t *testing.T, s store.Store, n int) []store.Report {
	t.Helper()
	ctx := ctxT(t)
	all := make([]store.Report, n)
	var wg sync.WaitGroup
	errc := make(chan error, n)
	const workers = 8
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				sub := MakeSubmission(fmt.Sprint("flt", i), base.Add(time.Duration(i)*37*time.Minute), func(r *store.Report) {
					r.Line = filterLines[i%len(filterLines)]
					r.Category = filterCats[(i/2)%len(filterCats)]
					r.Severity = store.Severities[(i/3)%len(store.Severities)]
					r.Team = filterTeams[(i/5)%len(filterTeams)]
				})
				r, created, err := s.Submit(ctx, sub)
				if err != nil || !created {
					errc <- fmt.Errorf("Submit(%s) = created %v, %v", sub.IdempotencyKey, created, err)
					return
				}
				// Every seventh report moves status; every eleventh moves team.
				if i%7 == 0 || i%11 == 0 {
					r, err = s.UpdateReport(ctx, r.ID, func(r *store.Report) error {
						if i%7 == 0 {
							r.SetStatus(store.StatusTriaged, "alice", base.Add(5000*time.Hour))
						}
						if i%11 == 0 {
							r.Team = filterTeams[(i/5+1)%len(filterTeams)]
						}
						return nil
					})
					if err != nil {
						errc <- fmt.Errorf("UpdateReport(%s) = %v", r.ID, err)
						return
					}
				}
				all[i] = r
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	return all
}

// expectIDs returns the ids of the reports keep accepts, newest first.
func expectIDs(all []store.Report, keep func(*store.Report) bool) []string {
	var ids []string
	for i := len(all) - 1; i >= 0; i-- {
		if keep(&all[i]) {
			ids = append(ids, all[i].ID)
		}
	}
	return ids
}

// pageThrough calls FindReports page by page with limit and returns every
// id it got, failing on an oversized page, an id out of order or repeated,
// a report that does not satisfy keep, or more pages than ids could need.
func pageThrough(t *testing.T, s store.Store, f store.Filter, limit int, keep func(*store.Report) bool) []string {
	t.Helper()
	ctx := ctxT(t)
	f.Limit = limit
	var got []string
	for pages := 0; ; pages++ {
		if pages > len(got)/limit+2 {
			t.Fatalf("FindReports(%+v) paged %d times for %d ids", f, pages, len(got))
		}
		page, err := s.FindReports(ctx, f)
		if err != nil {
			t.Fatalf("FindReports(%+v) = %v", f, err)
		}
		if len(page.Reports) > limit {
			t.Fatalf("FindReports(limit %d) returned %d reports", limit, len(page.Reports))
		}
		for _, r := range page.Reports {
			if n := len(got); n > 0 && r.ID >= got[n-1] {
				t.Fatalf("FindReports(%+v): %s after %s, want strictly descending ids across pages", f, r.ID, got[n-1])
			}
			if !keep(&r) {
				t.Fatalf("FindReports(%+v) returned %s (line %s category %q severity %s status %s team %q), which does not match",
					f, r.ID, r.Line, r.Category, r.Severity, r.Status, r.Team)
			}
			got = append(got, r.ID)
		}
		if page.NextCursor == "" {
			return got
		}
		if len(page.Reports) > 0 && page.NextCursor != page.Reports[len(page.Reports)-1].ID {
			t.Fatalf("FindReports(%+v): NextCursor %s is not the page's last id", f, page.NextCursor)
		}
		f.Cursor = page.NextCursor
	}
}

// urgency is the position of a severity, least urgent first; -1 if unknown.
func urgency(s store.Severity) int {
	return slices.Index([]store.Severity{store.SeverityLow, store.SeverityMedium, store.SeverityHigh, store.SeverityCritical}, s)
}

func in(v string, vs ...string) bool { return slices.Contains(vs, v) }

func testFilterFields(t *testing.T, h Harness) {
	s := open(t, h)
	all := seedFilterReports(t, s, 240)
	from, to := base.Add(40*time.Hour), base.Add(110*time.Hour)
	inRange := func(r *store.Report) bool { return !r.CreatedAt.Before(from) && r.CreatedAt.Before(to) }
	cases := []struct {
		name string
		f    store.Filter
		keep func(*store.Report) bool
	}{
		// Cases whose name starts with "none:" match nothing; every other
		// one must match some but not all of the seed, or it proves little.
		{"team", store.Filter{Team: "metallurgy"},
			func(r *store.Report) bool { return r.Team == "metallurgy" }},
		{"none: team nobody has", store.Filter{Team: "no-such-team"},
			func(r *store.Report) bool { return false }},
		{"lines", store.Filter{Lines: []string{"sx-2", "elec-1"}},
			func(r *store.Report) bool { return in(r.Line, "sx-2", "elec-1") }},
		{"lines, one unknown, duplicates and empty", store.Filter{Lines: []string{"calc-1", "nope", "calc-1", ""}},
			func(r *store.Report) bool { return r.Line == "calc-1" }},
		{"only empty lines: no condition", store.Filter{Lines: []string{""}},
			func(r *store.Report) bool { return true }},
		{"line and lines: both must hold", store.Filter{Line: "sx-1", Lines: []string{"sx-1", "sx-2"}},
			func(r *store.Report) bool { return r.Line == "sx-1" }},
		{"none: line and lines disjoint", store.Filter{Line: "sx-1", Lines: []string{"sx-2"}},
			func(r *store.Report) bool { return false }},
		{"categories", store.Filter{Categories: []string{"quality", "safety"}},
			func(r *store.Report) bool { return in(r.Category, "quality", "safety") }},
		{"min severity low", store.Filter{MinSeverity: store.SeverityLow},
			func(r *store.Report) bool { return true }},
		{"min severity medium", store.Filter{MinSeverity: store.SeverityMedium},
			func(r *store.Report) bool { return urgency(r.Severity) >= 1 }},
		{"min severity high", store.Filter{MinSeverity: store.SeverityHigh},
			func(r *store.Report) bool { return urgency(r.Severity) >= 2 }},
		{"min severity critical", store.Filter{MinSeverity: store.SeverityCritical},
			func(r *store.Report) bool { return r.Severity == store.SeverityCritical }},
		{"none: min severity unknown", store.Filter{MinSeverity: "urgent"},
			func(r *store.Report) bool { return false }},
		{"severity within min severity", store.Filter{Severity: store.SeverityHigh, MinSeverity: store.SeverityMedium},
			func(r *store.Report) bool { return r.Severity == store.SeverityHigh }},
		{"none: severity below min severity", store.Filter{Severity: store.SeverityLow, MinSeverity: store.SeverityHigh},
			func(r *store.Report) bool { return false }},
		{"team and min severity", store.Filter{Team: "separation", MinSeverity: store.SeverityHigh},
			func(r *store.Report) bool { return r.Team == "separation" && urgency(r.Severity) >= 2 }},
		{"brief: lines, categories, min severity", store.Filter{
			Lines: []string{"sx-1", "sx-2", "calc-1"}, Categories: []string{"quality", "equipment"}, MinSeverity: store.SeverityMedium},
			func(r *store.Report) bool {
				return in(r.Line, "sx-1", "sx-2", "calc-1") && in(r.Category, "quality", "equipment") && urgency(r.Severity) >= 1
			}},
		{"team, status, lines", store.Filter{Team: "magnets", Status: store.StatusNew, Lines: []string{"sx-1", "elec-1"}},
			func(r *store.Report) bool {
				return r.Team == "magnets" && r.Status == store.StatusNew && in(r.Line, "sx-1", "elec-1")
			}},
		{"status triaged and min severity", store.Filter{Status: store.StatusTriaged, MinSeverity: store.SeverityMedium},
			func(r *store.Report) bool { return r.Status == store.StatusTriaged && urgency(r.Severity) >= 1 }},
		{"categories, time range", store.Filter{Categories: []string{"equipment", "safety"}, From: from, To: to},
			func(r *store.Report) bool { return in(r.Category, "equipment", "safety") && inRange(r) }},
		{"everything at once", store.Filter{
			Line: "sx-1", Lines: []string{"sx-1", "calc-1"}, Category: "quality", Categories: []string{"quality"},
			MinSeverity: store.SeverityLow, Status: store.StatusNew, Team: "separation", From: base, To: base.Add(1000 * time.Hour)},
			func(r *store.Report) bool {
				return r.Line == "sx-1" && r.Category == "quality" && r.Status == store.StatusNew && r.Team == "separation"
			}},
	}
	for _, tc := range cases {
		want := expectIDs(all, tc.keep)
		switch none := strings.HasPrefix(tc.name, "none:"); {
		case none && len(want) > 0:
			t.Fatalf("case %q expects %d reports", tc.name, len(want))
		case !none && len(want) == 0:
			t.Fatalf("case %q matches none of the seed: it proves little", tc.name)
		}
		for _, limit := range []int{1, 4, 9, 500} {
			if limit == 1 && len(want) > 60 {
				continue // the small pages of the others cover it; keep the suite quick
			}
			t.Run(fmt.Sprintf("%s/limit=%d", tc.name, limit), func(t *testing.T) {
				if got := pageThrough(t, s, tc.f, limit, tc.keep); !slices.Equal(got, want) {
					t.Fatalf("FindReports(%+v) paged by %d = %d ids\n%v\nwant %d ids\n%v", tc.f, limit, len(got), got, len(want), want)
				}
			})
		}
	}
}

// testFilterEachField walks store.FilterFields: for every field, each value
// the seed has (and, for a Multi field, pairs of them) must find exactly the
// reports with that value. A field added to the list without the seed
// varying it fails here, so it cannot go untested.
func testFilterEachField(t *testing.T, h Harness) {
	s := open(t, h)
	all := seedFilterReports(t, s, 120)
	for _, fd := range store.FilterFields {
		var values []string
		for i := range all {
			if v := fd.Value(&all[i]); v != "" && !slices.Contains(values, v) {
				values = append(values, v)
			}
		}
		if len(values) < 2 {
			t.Fatalf("field %s: the seed has values %q; vary it in seedFilterReports", fd.Name, values)
		}
		sets := make([][]string, 0, 2*len(values))
		for i, v := range values {
			sets = append(sets, []string{v})
			if fd.Multi {
				sets = append(sets, []string{v, values[(i+1)%len(values)]})
			}
		}
		for _, vals := range sets {
			var f store.Filter
			fd.Set(&f, vals)
			keep := func(r *store.Report) bool { return slices.Contains(vals, fd.Value(r)) }
			want := expectIDs(all, keep)
			if got := pageThrough(t, s, f, 7, keep); !slices.Equal(got, want) {
				t.Fatalf("field %s = %q: FindReports(%+v) = %d ids, want %d\n%v\nwant\n%v", fd.Name, vals, f, len(got), len(want), got, want)
			}
		}
	}
}

// testFilterRandom pages through random combinations of conditions with
// random small page sizes.
func testFilterRandom(t *testing.T, h Harness) {
	s := open(t, h)
	all := seedFilterReports(t, s, 300)
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(vs []string) []string {
		var out []string
		for _, v := range vs {
			if rng.IntN(2) == 0 {
				out = append(out, v)
			}
		}
		return out
	}
	sevs := []string{"low", "medium", "high", "critical"}
	for i := range 60 {
		var f store.Filter
		if rng.IntN(2) == 0 {
			f.Lines = pick(slices.Concat(filterLines, []string{"no-such-line"}))
		}
		if rng.IntN(2) == 0 {
			f.Categories = pick(filterCats[:3])
		}
		if rng.IntN(2) == 0 {
			f.MinSeverity = store.Severity(sevs[rng.IntN(len(sevs))])
		}
		if rng.IntN(3) == 0 {
			f.Team = filterTeams[rng.IntN(3)]
		}
		if rng.IntN(4) == 0 {
			f.Status = store.StatusTriaged
		}
		if rng.IntN(4) == 0 {
			f.From = base.Add(time.Duration(rng.IntN(100)) * time.Hour)
		}
		keep := func(r *store.Report) bool {
			switch {
			case len(f.Lines) > 0 && !in(r.Line, f.Lines...),
				len(f.Categories) > 0 && !in(r.Category, f.Categories...),
				f.MinSeverity != "" && urgency(r.Severity) < urgency(f.MinSeverity),
				f.Team != "" && r.Team != f.Team,
				f.Status != "" && r.Status != f.Status,
				r.CreatedAt.Before(f.From):
				return false
			}
			return true
		}
		limit := 1 + rng.IntN(8)
		want := expectIDs(all, keep)
		if got := pageThrough(t, s, f, limit, keep); !slices.Equal(got, want) {
			t.Fatalf("random filter %d: FindReports(%+v) paged by %d = %d ids\n%v\nwant %d ids\n%v", i, f, limit, len(got), got, len(want), want)
		}
	}
}

// testFilterUpdateMovesIndexes checks that UpdateReport moves a report
// between team, status and severity indexes: it is found under the new
// value and no longer under the old one.
func testFilterUpdateMovesIndexes(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	r := MustSubmit(t, s, MakeSubmission("move", base, func(r *store.Report) {
		r.Team = "separation"
		r.Severity = store.SeverityLow
	}))
	// Neighbours that keep the old values, so the indexes are not empty.
	for i := range 3 {
		MustSubmit(t, s, MakeSubmission(fmt.Sprint("stay", i), base.Add(time.Duration(i+1)*time.Minute), func(r *store.Report) {
			r.Team = "separation"
			r.Severity = store.SeverityLow
		}))
	}
	find := func(f store.Filter) bool {
		t.Helper()
		f.Limit = 2 // below the number of reports: paging through is part of it
		for {
			page, err := s.FindReports(ctx, f)
			if err != nil {
				t.Fatalf("FindReports(%+v) = %v", f, err)
			}
			for _, got := range page.Reports {
				if got.ID == r.ID {
					return true
				}
			}
			if page.NextCursor == "" {
				return false
			}
			f.Cursor = page.NextCursor
		}
	}
	update := func(what string, fn func(*store.Report)) {
		t.Helper()
		if _, err := s.UpdateReport(ctx, r.ID, func(r *store.Report) error { fn(r); return nil }); err != nil {
			t.Fatalf("UpdateReport(%s) = %v", what, err)
		}
	}
	check := func(step string, f store.Filter, want bool) {
		t.Helper()
		if got := find(f); got != want {
			t.Fatalf("after %s: FindReports(%+v) finds the report = %v, want %v", step, f, got, want)
		}
	}

	check("submit", store.Filter{Team: "separation"}, true)
	update("team and status", func(r *store.Report) {
		r.Team = "magnets"
		r.SetStatus(store.StatusTriaged, "alice", base.Add(time.Hour))
	})
	check("team and status", store.Filter{Team: "separation"}, false)
	check("team and status", store.Filter{Team: "magnets"}, true)
	check("team and status", store.Filter{Status: store.StatusNew}, false)
	check("team and status", store.Filter{Status: store.StatusTriaged}, true)
	check("team and status", store.Filter{Team: "magnets", Status: store.StatusTriaged}, true)
	check("team and status", store.Filter{Team: "separation", Status: store.StatusNew}, false)

	update("severity", func(r *store.Report) { r.Severity = store.SeverityHigh })
	check("severity", store.Filter{MinSeverity: store.SeverityHigh}, true)
	check("severity", store.Filter{Severity: store.SeverityLow}, false)
	check("severity", store.Filter{Team: "separation", MinSeverity: store.SeverityLow}, false)

	update("unassign", func(r *store.Report) { r.Team = "" })
	check("unassign", store.Filter{Team: "magnets"}, false)
	check("unassign", store.Filter{Team: "separation"}, false)
	check("unassign", store.Filter{MinSeverity: store.SeverityHigh}, true)

	update("reassign", func(r *store.Report) { r.Team = "separation" })
	check("reassign", store.Filter{Team: "separation", MinSeverity: store.SeverityMedium}, true)
	check("reassign", store.Filter{Team: "magnets"}, false)
	page, err := s.FindReports(ctx, store.Filter{Team: "separation"})
	if err != nil || len(page.Reports) != 4 {
		t.Fatalf("FindReports(team separation) after the moves = %d reports, %v; want 4", len(page.Reports), err)
	}
}

// CheckReindex checks a backend's Reindex on data as a version without the
// team index left it: it stores reports with teams, calls dropTeamIndex to
// remove every team index entry (as if they had been stored before the
// index existed), and checks that team filters find them again after
// Reindex, and that a second Reindex adds nothing.
func CheckReindex(t *testing.T, s store.Store, dropTeamIndex func(t *testing.T)) {
	t.Helper()
	ctx := ctxT(t)
	rx, ok := s.(store.Reindexer)
	if !ok {
		t.Fatalf("%T does not implement store.Reindexer", s)
	}
	const n = 1100 // more than one Reindex batch on either backend
	all := seedFilterReports(t, s, n)
	dropTeamIndex(t)
	if page, err := s.FindReports(ctx, store.Filter{Team: "separation"}); err != nil || len(page.Reports) != 0 {
		t.Fatalf("FindReports(team) after dropping the team index = %d reports, %v; want none (the test's premise)", len(page.Reports), err)
	}
	added, err := rx.Reindex(ctx)
	if err != nil || added != n {
		t.Fatalf("Reindex = %d, %v; want %d entries added (one team entry per report)", added, err, n)
	}
	for _, team := range filterTeams[:3] {
		keep := func(r *store.Report) bool { return r.Team == team }
		want := expectIDs(all, keep)
		if got := pageThrough(t, s, store.Filter{Team: team}, 97, keep); !slices.Equal(got, want) {
			t.Fatalf("after Reindex FindReports(team %s) = %d ids, want %d", team, len(got), len(want))
		}
	}
	if added, err := rx.Reindex(ctx); err != nil || added != 0 {
		t.Fatalf("second Reindex = %d, %v; want 0 added", added, err)
	}
}
