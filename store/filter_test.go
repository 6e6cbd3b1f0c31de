package store

import (
	"slices"
	"testing"
)

func field(t *testing.T, name string) Field {
	t.Helper()
	for _, fd := range FilterFields {
		if fd.Name == name {
			return fd
		}
	}
	t.Fatalf("no filter field %q", name)
	return Field{}
}

func TestFilterFieldsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, fd := range FilterFields {
		if fd.Name == "" || seen[fd.Name] || fd.value == nil || fd.conds == nil || fd.set == nil {
			t.Errorf("filter field %+v: needs a unique name, value, conds and set", fd)
		}
		seen[fd.Name] = true
	}
	// Stored data and the Redis submit script's KEYS[5..8] depend on these
	// names and this order.
	var first []string
	for _, fd := range FilterFields[:4] {
		first = append(first, fd.Name)
	}
	if want := []string{"line", "category", "severity", "status"}; !slices.Equal(first, want) {
		t.Errorf("first four filter fields = %v, want %v", first, want)
	}
	r := Report{Line: "sx-1", Category: "quality", Severity: SeverityHigh, Status: StatusTriaged, Team: "magnets"}
	for name, want := range map[string]string{"line": "sx-1", "category": "quality", "severity": "high", "status": "triaged", "team": "magnets"} {
		if got := field(t, name).Value(&r); got != want {
			t.Errorf("%s.Value = %q, want %q", name, got, want)
		}
	}
}

func TestFilterValues(t *testing.T) {
	cases := []struct {
		name  string
		f     Filter
		field string
		want  []string
		cond  bool
	}{
		{"no condition", Filter{}, "line", nil, false},
		{"line", Filter{Line: "a"}, "line", []string{"a"}, true},
		{"lines sorted, deduplicated, empties dropped", Filter{Lines: []string{"c", "a", "", "c"}}, "line", []string{"a", "c"}, true},
		{"only empty lines", Filter{Lines: []string{""}}, "line", nil, false},
		{"line and lines intersect", Filter{Line: "a", Lines: []string{"a", "b"}}, "line", []string{"a"}, true},
		{"line and lines disjoint", Filter{Line: "c", Lines: []string{"a", "b"}}, "line", []string{}, true},
		{"categories", Filter{Categories: []string{"x", "y"}}, "category", []string{"x", "y"}, true},
		{"min severity", Filter{MinSeverity: SeverityHigh}, "severity", []string{"critical", "high"}, true},
		{"min severity low", Filter{MinSeverity: SeverityLow}, "severity", []string{"critical", "high", "low", "medium"}, true},
		{"min severity unknown", Filter{MinSeverity: "urgent"}, "severity", []string{}, true},
		{"severity and min severity", Filter{Severity: SeverityMedium, MinSeverity: SeverityLow}, "severity", []string{"medium"}, true},
		{"severity below min severity", Filter{Severity: SeverityLow, MinSeverity: SeverityMedium}, "severity", []string{}, true},
		{"team", Filter{Team: "magnets"}, "team", []string{"magnets"}, true},
		{"status", Filter{Status: StatusNew}, "status", []string{"new"}, true},
	}
	for _, tc := range cases {
		got, cond := tc.f.Values(field(t, tc.field))
		if cond != tc.cond || len(got) != len(tc.want) || !slices.Equal(got, tc.want) {
			t.Errorf("%s: Values(%s) = %q, %v; want %q, %v", tc.name, tc.field, got, cond, tc.want, tc.cond)
		}
	}
}

func TestFilterMatchAndSet(t *testing.T) {
	r := Report{Line: "sx-1", Category: "quality", Severity: SeverityHigh, Status: StatusNew, Team: "separation"}
	var f Filter
	field(t, "line").Set(&f, []string{"calc-1", "sx-1"})
	field(t, "category").Set(&f, []string{"quality"})
	field(t, "team").Set(&f, []string{"separation"})
	field(t, "status").Set(&f, []string{"new"})
	field(t, "severity").Set(&f, []string{"high"})
	if !slices.Equal(f.Lines, []string{"calc-1", "sx-1"}) || f.Team != "separation" || f.Severity != SeverityHigh || f.Status != StatusNew {
		t.Fatalf("Set gave %+v", f)
	}
	if !f.Match(&r) {
		t.Fatalf("Filter %+v does not match %+v", f, r)
	}
	for name, mod := range map[string]func(*Filter){
		"other team":          func(f *Filter) { f.Team = "magnets" },
		"other lines":         func(f *Filter) { f.Lines = []string{"calc-1"} },
		"line outside lines":  func(f *Filter) { f.Line = "calc-1" },
		"other categories":    func(f *Filter) { f.Categories = []string{"safety", "idea"} },
		"min severity above":  func(f *Filter) { f.MinSeverity = SeverityCritical },
		"unknown min":         func(f *Filter) { f.MinSeverity = "urgent" },
		"other status":        func(f *Filter) { f.Status = StatusTriaged },
		"created before From": func(f *Filter) { f.From = r.CreatedAt.Add(1) },
	} {
		g := f
		mod(&g)
		if g.Match(&r) {
			t.Errorf("%s: Filter %+v matches %+v", name, g, r)
		}
	}
	g := f
	g.MinSeverity = SeverityMedium
	if !g.Match(&r) {
		t.Errorf("min severity medium does not match a high report")
	}
}
