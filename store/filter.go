package store

import (
	"context"
	"slices"
	"time"
)

// Filter selects reports: a report matches when it satisfies every condition
// that is set. Zero fields set no condition. Within a field, a list means any
// of its values; when both the single and the list form of a field are set
// (Line and Lines), a report must satisfy both, so only values in both count.
// Empty strings in the lists are ignored, as an empty Line is.
type Filter struct {
	From, To time.Time // CreatedAt in [From, To)

	// Line and Lines: the report's line is Line / one of Lines.
	Line  string
	Lines []string
	// Category and Categories: the report's category is Category / one of Categories.
	Category   string
	Categories []string
	// Severity is the report's exact severity; MinSeverity this severity or
	// a more urgent one (the filter of a team's brief and of the dashboard).
	// An unknown MinSeverity matches nothing, as an unknown Severity does.
	Severity    Severity
	MinSeverity Severity
	Status      Status
	// Team is the team the report is assigned to.
	Team string

	// Cursor is Page.NextCursor of the previous page.
	Cursor string
	// Limit is the page size; 0 means DefaultLimit, capped at MaxLimit.
	Limit int
}

// Field is one filterable, indexed report field. FilterFields lists them
// all; the backends' indexes, Filter.Match, the conformance suite and the
// API's query parameters are all built by walking that list, so a field
// added there is indexed, matched, tested and accepted everywhere.
type Field struct {
	// Name names the field everywhere: the report's JSON field, the API's
	// query parameter, the Redis index keys (idx:<Name>:<value>), the bolt
	// bucket (idx_<Name>) and its idx_counts entries.
	Name string
	// Enum lists the valid values (least urgent first for severity); nil when
	// the plant file defines them (line, category, team).
	Enum []string
	// Multi says the API takes several values at once (any of them), as a
	// repeated or comma-separated query parameter.
	Multi bool

	value func(*Report) string
	// conds returns the conditions f puts on the field, each a set of
	// accepted values (nil: no condition; empty: nothing is accepted).
	conds func(Filter) [][]string
	set   func(*Filter, []string)
}

// FilterFields are the filterable report fields, each with an index on both
// backends. Every report is in exactly one index of each field: the one of
// its value, the empty value included (a report with no team is in the
// team index of ""), so an index entry moves whenever the value changes.
//
// The order is the order of the Redis submit script's index keys (the first
// four come before the queue key, as they did before team was added) and
// breaks ties when a backend picks the most selective index. The table is
// read-only.
var FilterFields = []Field{
	{
		Name: "line", Multi: true,
		value: func(r *Report) string { return r.Line },
		conds: func(f Filter) [][]string { return [][]string{one(f.Line), list(f.Lines)} },
		set:   func(f *Filter, v []string) { f.Lines = v },
	},
	{
		Name: "category", Multi: true,
		value: func(r *Report) string { return r.Category },
		conds: func(f Filter) [][]string { return [][]string{one(f.Category), list(f.Categories)} },
		set:   func(f *Filter, v []string) { f.Categories = v },
	},
	{
		Name: "severity", Enum: enumOf(Severities),
		value: func(r *Report) string { return string(r.Severity) },
		conds: func(f Filter) [][]string {
			return [][]string{one(string(f.Severity)), atLeast(f.MinSeverity)}
		},
		set: func(f *Filter, v []string) { f.Severity = Severity(first(v)) },
	},
	{
		Name: "status", Enum: enumOf(Statuses),
		value: func(r *Report) string { return string(r.Status) },
		conds: func(f Filter) [][]string { return [][]string{one(string(f.Status))} },
		set:   func(f *Filter, v []string) { f.Status = Status(first(v)) },
	},
	{
		Name:  "team",
		value: func(r *Report) string { return r.Team },
		conds: func(f Filter) [][]string { return [][]string{one(f.Team)} },
		set:   func(f *Filter, v []string) { f.Team = first(v) },
	},
}

// Value returns r's value of the field.
func (fd Field) Value(r *Report) string { return fd.value(r) }

// Set makes f ask for vals (any of them) on the field, replacing what the
// list form of the field asked before (Lines, Categories). A field that is
// not Multi takes the first value only.
func (fd Field) Set(f *Filter, vals []string) { fd.set(f, vals) }

// Values returns the values of fd that f accepts, sorted and without
// duplicates, and whether f has a condition on fd at all. cond with no
// values means no report can match.
func (f Filter) Values(fd Field) (vals []string, cond bool) {
	for _, c := range fd.conds(f) {
		switch {
		case c == nil:
			continue
		case !cond:
			vals, cond = slices.Clone(c), true
		default:
			vals = slices.DeleteFunc(vals, func(v string) bool { return !slices.Contains(c, v) })
		}
	}
	slices.Sort(vals)
	return slices.Compact(vals), cond
}

// Match reports whether r satisfies every condition of f except the cursor
// and limit. Backends use it to check candidates taken from one index; to
// check many, Matcher works out f's conditions once.
func (f Filter) Match(r *Report) bool { return f.Matcher()(r) }

// Matcher returns Match for f with f's conditions worked out once.
func (f Filter) Matcher() func(*Report) bool {
	type cond struct {
		fd   Field
		vals []string
	}
	var conds []cond
	for _, fd := range FilterFields {
		if vals, ok := f.Values(fd); ok {
			conds = append(conds, cond{fd, vals})
		}
	}
	from, to := f.From, f.To
	return func(r *Report) bool {
		if !from.IsZero() && r.CreatedAt.Before(from) || !to.IsZero() && !r.CreatedAt.Before(to) {
			return false
		}
		for _, c := range conds {
			if !slices.Contains(c.vals, c.fd.value(r)) {
				return false
			}
		}
		return true
	}
}

// one is the condition of a single-valued filter field.
func one(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

// list is the condition of a list filter field: its non-empty values.
func list(vs []string) []string {
	out := slices.DeleteFunc(slices.Clone(vs), func(v string) bool { return v == "" })
	if len(out) == 0 {
		return nil
	}
	return out
}

// atLeast is the set of severities at least as urgent as min: none for an
// unknown min (a condition nothing meets), no condition for "".
func atLeast(min Severity) []string {
	if min == "" {
		return nil
	}
	i := slices.Index(Severities, min)
	if i < 0 {
		return []string{}
	}
	return enumOf(Severities[i:])
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func enumOf[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// Reindexer is part of every backend (Store): it rebuilds the value
// indexes from the stored reports.
type Reindexer interface {
	// Reindex puts every stored report into the index of each of its
	// FilterFields values where it is missing, and returns how many index
	// entries it added. It is idempotent and safe while the store is in
	// use. The schema-2 migration runs it for the team index; the admin
	// command `floorfeed reindex` runs it on demand.
	Reindex(ctx context.Context) (added int, err error)
}
