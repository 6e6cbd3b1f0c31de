package plant

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSampleIsARareEarthPlant(t *testing.T) {
	p := Sample()
	for _, id := range []string{"sx-1", "calc-1", "elec-1", "ndfeb-1", "polish-1"} {
		l, ok := p.Line(id)
		if !ok || l.Name.ZH == "" || l.Name.EN == "" || len(l.Stations) == 0 {
			t.Errorf("sample line %s = %+v, %v; want zh and en names and stations", id, l, ok)
		}
		if _, ok := p.Team(l.Team); !ok {
			t.Errorf("sample line %s owned by unknown team %q", id, l.Team)
		}
	}
	for _, c := range DefaultCategories {
		got, ok := p.Category(c.ID)
		if !ok || got.Name.ZH == "" || got.Name.EN == "" {
			t.Errorf("sample category %s = %+v, %v", c.ID, got, ok)
		}
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name, yaml, wantErr string
	}{
		{"minimal gets default categories", "lines: [{id: a, name: {en: A}}]", ""},
		{"no lines", "sites: []", "no lines"},
		{"bad id", "lines: [{id: 'Line 1', name: {en: A}}]", `id "Line 1"`},
		{"duplicate line", "lines: [{id: a, name: {en: A}}, {id: a, name: {en: B}}]", `duplicate id "a"`},
		{"nameless line", "lines: [{id: a}]", "needs a name"},
		{"unknown team", "lines: [{id: a, name: {en: A}, team: x}]", `unknown team "x"`},
		{"unknown site", "sites: [{id: s}]\nlines: [{id: a, name: {en: A}, site: t}]", `unknown site "t"`},
		{"duplicate category", "lines: [{id: a, name: {en: A}}]\ncategories: [{id: q}, {id: q}]", `duplicate id "q"`},
		{"not yaml", "lines: [", "parse yaml"},
		{"empty file", "", "no lines"},
		{"misspelt key names line and key", "lines:\n  - id: a\n    name: {en: A}\n    station: [s1]\n", "line 4: field station not found"},
		{"unknown top-level key", "lines: [{id: a, name: {en: A}}]\nteam: []\n", "line 2: field team not found"},
		{"unknown key in a name", "lines: [{id: a, name: {en: A, de: B}}]", "field de not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.yaml))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse = %v", err)
				}
				if len(p.Categories) != len(DefaultCategories) {
					t.Fatalf("categories = %d, want the %d defaults", len(p.Categories), len(DefaultCategories))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Parse(%q) = %v, want error containing %q", tc.yaml, err, tc.wantErr)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "floorfeed.yaml")
	if err := os.WriteFile(path, []byte("lines: []"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load(invalid) = %v, want an error naming %s", err, path)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("Load(missing) succeeded")
	}
	p, err := Load("")
	if err != nil || len(p.Lines) != 5 {
		t.Fatalf("Load(\"\") = %v lines, %v; want the 5-line sample", len(p.Lines), err)
	}
}

func TestNameIn(t *testing.T) {
	for _, tc := range []struct {
		n          Name
		lang, want string
	}{
		{Name{ZH: "质量", EN: "Quality"}, "zh", "质量"},
		{Name{ZH: "质量", EN: "Quality"}, "en", "Quality"},
		{Name{ZH: "质量"}, "en", "质量"},
		{Name{EN: "Quality"}, "zh", "Quality"},
	} {
		if got := tc.n.In(tc.lang); got != tc.want {
			t.Errorf("%+v.In(%s) = %q, want %q", tc.n, tc.lang, got, tc.want)
		}
	}
}
