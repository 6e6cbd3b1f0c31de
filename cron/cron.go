// Package cron parses standard five-field cron expressions ("0 8 * * 1":
// minute, hour, day of month, month, day of week) and computes the next time
// one fires in a time zone, correctly across daylight-saving changes.
//
// Syntax: each field is a comma-separated list of items; an item is "*", a
// number, a range "a-b", optionally followed by a step "/s" ("*/15",
// "8-18/2", "5/10" meaning 5 to the field's maximum every 10). Months and
// days of the week may be named by their first three English letters
// (jan…dec, sun…sat, any case); day of week 0 and 7 are both Sunday. As in
// Vixie cron, when both day of month and day of week are restricted (neither
// starts with "*"), a day matches if either does. The shorthands @yearly
// (@annually), @monthly, @weekly, @daily (@midnight) and @hourly are accepted.
//
// Daylight saving: a wall-clock time that does not exist on a day (inside a
// spring-forward gap) fires once, when the gap ends (02:30 in a 02:00→03:00
// gap fires at 03:00, as Vixie cron runs the skipped hour's jobs right
// after it); a wall-clock time that occurs twice (fall-back) fires once, at
// its first occurrence. No firing is doubled and none is skipped.
package cron

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed cron expression. The zero value never fires.
type Schedule struct {
	expr    string
	minute  uint64 // bit i: minute i
	hour    uint64
	dom     uint64 // bits 1..31
	month   uint64 // bits 1..12
	dow     uint64 // bits 0..6
	domStar bool   // day-of-month field started with "*"
	dowStar bool
}

type field struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i (nil: numbers only)
}

var (
	fieldMinute = field{name: "minute", min: 0, max: 59}
	fieldHour   = field{name: "hour", min: 0, max: 23}
	fieldDom    = field{name: "day of month", min: 1, max: 31}
	fieldMonth  = field{name: "month", min: 1, max: 12,
		names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}}
	fieldDow = field{name: "day of week", min: 0, max: 7,
		names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}}
)

var shorthands = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// Parse parses a five-field cron expression (or a shorthand). It fails,
// naming the field, for a malformed field, a value out of range, and a
// schedule that can never fire ("0 0 30 2 *").
func Parse(expr string) (Schedule, error) {
	src := strings.TrimSpace(expr)
	if s, ok := shorthands[strings.ToLower(src)]; ok {
		src = s
	}
	parts := strings.Fields(src)
	if len(parts) != 5 {
		return Schedule{}, fmt.Errorf("cron %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", expr, len(parts))
	}
	s := Schedule{expr: strings.Join(parts, " ")}
	var err error
	for i, p := range []struct {
		f   field
		dst *uint64
	}{{fieldMinute, &s.minute}, {fieldHour, &s.hour}, {fieldDom, &s.dom}, {fieldMonth, &s.month}, {fieldDow, &s.dow}} {
		if *p.dst, err = parseField(parts[i], p.f); err != nil {
			return Schedule{}, fmt.Errorf("cron %q: %w", expr, err)
		}
	}
	if s.dow&(1<<7) != 0 { // 7 is Sunday too
		s.dow = s.dow&^(1<<7) | 1
	}
	s.domStar = strings.HasPrefix(parts[2], "*")
	s.dowStar = strings.HasPrefix(parts[4], "*")
	if !s.canFire() {
		return Schedule{}, fmt.Errorf("cron %q: no month has the days of month it names: it would never fire", expr)
	}
	return s, nil
}

// MustParse is Parse for expressions known to be valid (tests, constants).
func MustParse(expr string) Schedule {
	s, err := Parse(expr)
	if err != nil {
		panic(err)
	}
	return s
}

// String returns the expression as parsed (fields separated by one space).
func (s Schedule) String() string { return s.expr }

// IsZero reports whether s is the zero Schedule, which never fires.
func (s Schedule) IsZero() bool { return s.minute == 0 }

func parseField(v string, f field) (uint64, error) {
	var bits uint64
	for _, item := range strings.Split(v, ",") {
		if item == "" {
			return 0, fmt.Errorf("%s field %q: empty list item", f.name, v)
		}
		rng, stepStr, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n < 1 || n > f.max {
				return 0, fmt.Errorf("%s field %q: step %q must be a whole number from 1 to %d", f.name, v, stepStr, f.max)
			}
			step = n
		}
		lo, hi := f.min, f.max
		if f.name == fieldDow.name && rng == "*" {
			hi = 6 // "*" is every day once, not Sunday twice
		}
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return 0, fmt.Errorf("%s field %q: %w", f.name, v, err)
			}
			switch {
			case isRange:
				if hi, err = f.value(b); err != nil {
					return 0, fmt.Errorf("%s field %q: %w", f.name, v, err)
				}
				if hi < lo {
					return 0, fmt.Errorf("%s field %q: range %s runs backwards", f.name, v, rng)
				}
			case !hasStep:
				hi = lo
			}
		}
		for i := lo; i <= hi; i += step {
			bits |= 1 << uint(i)
		}
	}
	return bits, nil
}

func (f field) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < f.min || n > f.max {
		if f.names != nil {
			return 0, fmt.Errorf("%q is not a number from %d to %d or a name (%s…)", s, f.min, f.max, f.names[0])
		}
		return 0, fmt.Errorf("%q is not a number from %d to %d", s, f.min, f.max)
	}
	return n, nil
}

// daysIn is the longest a month can be (February: 29).
var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func (s Schedule) canFire() bool {
	if !s.dowStar && !s.domStar || s.domStar {
		return true // a day-of-week match, or every day of month, always comes
	}
	for m := 1; m <= 12; m++ {
		if s.month&(1<<uint(m)) == 0 {
			continue
		}
		for d := 1; d <= daysIn[m]; d++ {
			if s.dom&(1<<uint(d)) != 0 {
				return true
			}
		}
	}
	return false
}

// dayMatches reports whether the civil date y-m-d (weekday wd) is a day the
// schedule fires on.
func (s Schedule) dayMatches(m time.Month, d int, wd time.Weekday) bool {
	if s.month&(1<<uint(m)) == 0 {
		return false
	}
	domOK := s.dom&(1<<uint(d)) != 0
	dowOK := s.dow&(1<<uint(wd)) != 0
	if !s.domStar && !s.dowStar {
		return domOK || dowOK
	}
	return domOK && dowOK
}

// searchYears bounds Next: "0 0 29 2 1" (29 February or a Monday) fires
// often, but a restricted day and month with no weekday can wait up to 8
// years for a leap day.
const searchYears = 10

// Next returns the first time strictly after t at which s fires, in loc
// (wall-clock fields are read in loc; the result is in loc). It returns the
// zero time for a zero Schedule.
func (s Schedule) Next(t time.Time, loc *time.Location) time.Time {
	if s.IsZero() {
		return time.Time{}
	}
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, m, d := t.Date()
	// Step through civil dates (UTC noon avoids any DST arithmetic).
	// Start one day early: a wall time of yesterday inside a gap at
	// midnight normalises to today, possibly after t.
	day := time.Date(y, m, d-1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < searchYears*366; i++ {
		cy, cm, cd := day.Date()
		if s.dayMatches(cm, cd, day.Weekday()) {
			if at, ok := s.firstOnDay(cy, cm, cd, t, loc); ok {
				return at
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}
}

// firstOnDay returns the earliest firing on the civil date y-m-d (in loc)
// that is after t. Candidates come in increasing order: a wall time inside a
// gap maps to the gap's end, which no earlier wall time passes and no later
// one precedes.
func (s Schedule) firstOnDay(y int, m time.Month, d int, t time.Time, loc *time.Location) (time.Time, bool) {
	for h := 0; h < 24; h++ {
		if s.hour&(1<<uint(h)) == 0 {
			continue
		}
		for mi := 0; mi < 60; mi++ {
			if s.minute&(1<<uint(mi)) == 0 {
				continue
			}
			if at := wallTime(y, m, d, h, mi, loc); at.After(t) {
				return at, true
			}
		}
	}
	return time.Time{}, false
}

// wallTime is the instant the wall clock in loc shows y-m-d h:mi, or, for a
// wall time skipped by a daylight-saving gap, the instant the gap ends.
// (time.Date normalises a skipped time by an offset of its choosing, which
// may be before the gap.)
func wallTime(y int, m time.Month, d, h, mi int, loc *time.Location) time.Time {
	at := time.Date(y, m, d, h, mi, 0, 0, loc)
	ay, am, ad := at.Date()
	if ay == y && am == m && ad == d && at.Hour() == h && at.Minute() == mi {
		return at
	}
	want := time.Date(y, m, d, h, mi, 0, 0, time.UTC)
	got := time.Date(ay, am, ad, at.Hour(), at.Minute(), 0, 0, time.UTC)
	start, end := at.ZoneBounds()
	if got.Before(want) {
		return end // normalised back into the zone period before the gap
	}
	return start // normalised forward into the period after it
}

// Prev returns the last time at or before t at which s fires, searching
// back at most a year plus a leap day's wait; the zero time if none.
func (s Schedule) Prev(t time.Time, loc *time.Location) time.Time {
	if s.IsZero() {
		return time.Time{}
	}
	// Walk back in growing windows: Next from a point before t, then step
	// forward while the next firing is still at or before t.
	for back := time.Hour; back <= searchYears*366*24*time.Hour; back *= 4 {
		at := s.Next(t.Add(-back), loc)
		if at.IsZero() || at.After(t) {
			continue
		}
		for {
			n := s.Next(at, loc)
			if n.IsZero() || n.After(t) {
				return at
			}
			at = n
		}
	}
	return time.Time{}
}
