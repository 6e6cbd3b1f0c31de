package dashboard

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/store"
)

// query is the inbox's (and the export's) filter as the URL carries it.
type query struct {
	From, To   string // YYYY-MM-DD, as typed
	Lines      []string
	Categories []string
	Severity   string
	Status     string
	Team       string
	Q          string
	Cursor     string

	filter store.Filter
}

// maxQ bounds a text search.
const maxQ = 200

// filterParams are the query parameters parseQuery knows.
var filterParams = []string{"from", "to", "line", "category", "severity", "status", "team", "q", "cursor", "lang", "counts"}

// parseQuery reads the filter parameters. Dates are days in tz; "to"
// includes its day. An unknown parameter, a malformed date, cursor or
// enumerated value is an error naming it.
func parseQuery(v url.Values, tz *time.Location) (query, error) {
	var q query
	for k := range v {
		if !slices.Contains(filterParams, k) {
			return q, fmt.Errorf("unknown parameter %q", k)
		}
	}
	multi := func(name string) []string {
		var out []string
		for _, s := range v[name] {
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
					out = append(out, p)
				}
			}
		}
		return out
	}
	q.From, q.To = strings.TrimSpace(v.Get("from")), strings.TrimSpace(v.Get("to"))
	q.Lines, q.Categories = multi("line"), multi("category")
	q.Severity, q.Status, q.Team = v.Get("severity"), v.Get("status"), v.Get("team")
	q.Q = strings.TrimSpace(v.Get("q"))
	q.Cursor = v.Get("cursor")
	f := store.Filter{Lines: q.Lines, Categories: q.Categories, Team: q.Team}
	if q.From != "" {
		t, err := time.ParseInLocation(time.DateOnly, q.From, tz)
		if err != nil {
			return q, fmt.Errorf("from %q: want YYYY-MM-DD", q.From)
		}
		f.From = t
	}
	if q.To != "" {
		t, err := time.ParseInLocation(time.DateOnly, q.To, tz)
		if err != nil {
			return q, fmt.Errorf("to %q: want YYYY-MM-DD", q.To)
		}
		f.To = t.AddDate(0, 0, 1)
	}
	if q.Severity != "" {
		if !slices.Contains(store.Severities, store.Severity(q.Severity)) {
			return q, fmt.Errorf("severity %q: unknown", q.Severity)
		}
		f.Severity = store.Severity(q.Severity)
	}
	if q.Status != "" {
		switch {
		case q.Status == statusOpen:
			// A view, not a status: the matcher keeps the open ones.
		case !slices.Contains(store.Statuses, store.Status(q.Status)):
			return q, fmt.Errorf("status %q: unknown", q.Status)
		default:
			f.Status = store.Status(q.Status)
		}
	}
	if len(q.Q) > 0 && (utf8.RuneCountInString(q.Q) > maxQ || !utf8.ValidString(q.Q)) {
		return q, fmt.Errorf("q: at most %d characters", maxQ)
	}
	if q.Cursor != "" && (len(q.Cursor) > 64 || strings.ContainsAny(q.Cursor, " \t\r\n")) {
		return q, fmt.Errorf("cursor %q: malformed", q.Cursor)
	}
	f.Cursor = q.Cursor
	q.filter = f
	return q, nil
}

// statusOpen is the status filter "anything not done yet".
const statusOpen = "open"

// openStatus reports whether s still needs R&D.
func openStatus(s store.Status) bool {
	switch s {
	case store.StatusResolved, store.StatusClosed, store.StatusWontFix, store.StatusDuplicate:
		return false
	}
	return true
}

// matcher is the filter's Match plus what the store cannot filter (open).
func (q query) matcher() func(*store.Report) bool {
	m := q.filter.Matcher()
	if q.Status != statusOpen {
		return m
	}
	return func(r *store.Report) bool { return m(r) && openStatus(r.Status) }
}

// with returns the URL of q with changes applied (name → value; ""
// removes), without the cursor.
func (q query) with(path string, set ...string) string {
	v := q.urlValues()
	v.Del("cursor")
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			v.Del(set[i])
		} else {
			v.Set(set[i], set[i+1])
		}
	}
	if s := v.Encode(); s != "" {
		return path + "?" + s
	}
	return path
}

func (q query) urlValues() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("from", q.From)
	set("to", q.To)
	set("line", strings.Join(q.Lines, ","))
	set("category", strings.Join(q.Categories, ","))
	set("severity", q.Severity)
	set("status", q.Status)
	set("team", q.Team)
	set("q", q.Q)
	set("cursor", q.Cursor)
	return v
}
