package cron

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"", "want 5 fields"},
		{"0 8 * *", "want 5 fields"},
		{"0 8 * * 1 2", "want 5 fields"},
		{"60 8 * * *", "minute field"},
		{"0 24 * * *", "hour field"},
		{"0 8 0 * *", "day of month field"},
		{"0 8 32 * *", "day of month field"},
		{"0 8 * 13 *", "month field"},
		{"0 8 * * 8", "day of week field"},
		{"0 8 * * funday", "day of week field"},
		{"5-1 * * * *", "runs backwards"},
		{"*/0 * * * *", "step"},
		{"*/x * * * *", "step"},
		{"1,,2 * * * *", "empty list item"},
		{"0 0 30 2 *", "never fire"},
		{"0 0 31 apr,jun *", "never fire"},
	} {
		_, err := Parse(tc.expr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.expr, err, tc.want)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, expr := range []string{
		"0 8 * * 1", "*/15 * * * *", "0 8-18/2 * * mon-fri", "0 0 1 JAN,jul *", "30 6 * * 0,7",
		"5/10 * * * *", "@daily", "@Weekly", "@hourly", "@monthly", "@yearly", "0 0 29 2 *", "0 0 30 2 1",
	} {
		if _, err := Parse(expr); err != nil {
			t.Errorf("Parse(%q) = %v, want no error", expr, err)
		}
	}
}

func TestNext(t *testing.T) {
	sh := mustLoc(t, "Asia/Shanghai")
	ny := mustLoc(t, "America/New_York")
	at := func(loc *time.Location, s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name, expr string
		loc        *time.Location
		after      string
		want       []string // successive firings
	}{
		{"monday 08:00", "0 8 * * 1", sh, "2026-11-30 07:59", []string{"2026-11-30 08:00", "2026-12-07 08:00", "2026-12-14 08:00"}},
		{"strictly after", "0 8 * * 1", sh, "2026-11-30 08:00", []string{"2026-12-07 08:00"}},
		{"every 15 minutes", "*/15 * * * *", sh, "2026-11-30 23:50", []string{"2026-12-01 00:00", "2026-12-01 00:15"}},
		{"range with step, weekdays by name", "0 8-12/2 * * mon-fri", sh, "2026-12-04 11:00", []string{"2026-12-04 12:00", "2026-12-07 08:00", "2026-12-07 10:00"}},
		{"month names, year wrap", "0 0 1 jan,jul *", sh, "2026-07-02 00:00", []string{"2027-01-01 00:00", "2027-07-01 00:00"}},
		{"sunday as 7", "30 6 * * 7", sh, "2026-12-01 00:00", []string{"2026-12-06 06:30", "2026-12-13 06:30"}},
		{"dom or dow when both restricted", "0 9 1 * 5", sh, "2026-11-27 10:00", []string{"2026-12-01 09:00", "2026-12-04 09:00", "2026-12-11 09:00"}},
		{"leap day", "0 0 29 2 *", sh, "2026-03-01 00:00", []string{"2028-02-29 00:00", "2032-02-29 00:00"}},
		{"month end", "0 12 31 * *", sh, "2026-11-01 00:00", []string{"2026-12-31 12:00", "2027-01-31 12:00", "2027-03-31 12:00"}},
		{"start step 5/20", "5/20 10 * * *", sh, "2026-12-01 10:06", []string{"2026-12-01 10:25", "2026-12-01 10:45", "2026-12-02 10:05"}},
		// New York springs forward 2026-03-08 02:00 → 03:00.
		{"spring gap: daily 02:30 fires once, after the gap", "30 2 * * *", ny, "2026-03-07 03:00", []string{"2026-03-08 03:00", "2026-03-09 02:30"}},
		{"spring gap: hourly never twice", "0 * * * *", ny, "2026-03-08 00:30", []string{"2026-03-08 01:00", "2026-03-08 03:00", "2026-03-08 04:00"}},
		// New York falls back 2026-11-01 02:00 → 01:00: 01:30 happens twice.
		{"fall back: 01:30 fires once", "30 1 * * *", ny, "2026-10-31 12:00", []string{"2026-11-01 01:30", "2026-11-02 01:30"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := MustParse(tc.expr)
			cur := at(tc.loc, tc.after)
			for i, w := range tc.want {
				got := s.Next(cur, tc.loc)
				want := at(tc.loc, w)
				if !got.Equal(want) {
					t.Fatalf("%q.Next #%d after %s = %s, want %s", tc.expr, i+1, cur, got, want)
				}
				cur = got
			}
		})
	}
}

func TestFallBackFiresOnceAtFirstOccurrence(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	s := MustParse("30 1 * * *")
	first := s.Next(time.Date(2026, 10, 31, 12, 0, 0, 0, ny), ny)
	if _, off := first.Zone(); off != -4*3600 {
		t.Errorf("01:30 on the fall-back day fired at %s, want its first occurrence (EDT, -04:00)", first)
	}
	second := s.Next(first, ny)
	if second.Sub(first) < 24*time.Hour {
		t.Errorf("01:30 fired again %s after %s, want the next day", second, first)
	}
}

// TestEveryMinuteAcrossDST walks every firing of "* * * * *" through a
// spring-forward and a fall-back day: instants strictly increase, one minute
// apart in absolute time (none skipped, none doubled, except the hour the
// fall-back repeats, which fires once).
func TestEveryMinuteAcrossDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	s := MustParse("* * * * *")
	for _, day := range []time.Time{time.Date(2026, 3, 8, 0, 0, 0, 0, ny), time.Date(2026, 11, 1, 0, 0, 0, 0, ny)} {
		cur := day
		end := day.Add(5 * time.Hour)
		n := 0
		for cur.Before(end) {
			next := s.Next(cur, ny)
			if d := next.Sub(cur); d != time.Minute && !(d == 61*time.Minute && day.Month() == 11) {
				t.Fatalf("Next(%s) = %s: %s later, want 1m", cur, next, d)
			}
			cur = next
			n++
		}
		if n < 4*60 {
			t.Fatalf("only %d firings in 5 hours of %s", n, day.Format(time.DateOnly))
		}
	}
}

func TestPrev(t *testing.T) {
	sh := mustLoc(t, "Asia/Shanghai")
	for _, tc := range []struct {
		expr     string
		at, want time.Time
	}{
		{"0 8 * * 1", time.Date(2026, 12, 2, 9, 0, 0, 0, sh), time.Date(2026, 11, 30, 8, 0, 0, 0, sh)},
		{"0 8 * * 1", time.Date(2026, 11, 30, 8, 0, 0, 0, sh), time.Date(2026, 11, 30, 8, 0, 0, 0, sh)},
		{"*/5 * * * *", time.Date(2026, 11, 30, 8, 4, 59, 0, sh), time.Date(2026, 11, 30, 8, 0, 0, 0, sh)},
		{"0 0 1 1 *", time.Date(2026, 6, 1, 0, 0, 0, 0, sh), time.Date(2026, 1, 1, 0, 0, 0, 0, sh)},
	} {
		if got := MustParse(tc.expr).Prev(tc.at, sh); !got.Equal(tc.want) {
			t.Errorf("%q.Prev(%s) = %s, want %s", tc.expr, tc.at, got, tc.want)
		}
	}
}

func FuzzParseNext(f *testing.F) {
	for _, s := range []string{"0 8 * * 1", "*/7 1-5 * jan-mar sun", "@daily", "1,2,3 4 5 6 7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := Parse(expr)
		if err != nil {
			return
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if n := s.Next(from, time.UTC); !n.After(from) {
			t.Fatalf("Parse(%q) ok, Next = %s, not after %s", expr, n, from)
		}
	})
}

func BenchmarkNextWeekly(b *testing.B) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	s := MustParse("0 8 * * 1")
	t := time.Date(2026, 11, 30, 9, 0, 0, 0, sh)
	for b.Loop() {
		t = s.Next(t, sh)
	}
}
