package plant

import (
	"strings"
	"testing"
)

func TestParseGlossary(t *testing.T) {
	const lines = "lines: [{id: a, name: {en: A}}]\n"
	for _, c := range []struct {
		name, yaml, wantErr string
	}{
		{"none", "", ""},
		{"one entry", "glossary: [{concept: raffinate, zh: [萃余液], en: [raffinate]}]", ""},
		{"zh only", "glossary: [{concept: p507, zh: [萃取剂]}]", ""},
		{"bad concept", "glossary: [{concept: 'Raffinate Liquor', en: [raffinate]}]", `concept "Raffinate Liquor"`},
		{"no terms", "glossary: [{concept: raffinate}]", "at least one zh or en term"},
		{"empty term", "glossary: [{concept: raffinate, en: ['  ']}]", `term "  "`},
		{"duplicate concept", "glossary: [{concept: x, en: [a]}, {concept: x, en: [b]}]", `duplicate concept "x"`},
		{"unknown key", "glossary: [{concept: x, english: [a]}]", "english"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(lines + c.yaml))
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("Parse = %v, want an error containing %q", err, c.wantErr)
			case c.name == "one entry" && (len(p.Glossary) != 1 || p.Glossary[0].ZH[0] != "萃余液" || p.Glossary[0].EN[0] != "raffinate"):
				t.Fatalf("Parse glossary = %+v", p.Glossary)
			}
		})
	}
}

func TestSampleGlossary(t *testing.T) {
	if g := Sample().Glossary; len(g) == 0 || g[0].Concept == "" {
		t.Errorf("sample plant glossary = %+v, want a sample entry", g)
	}
}
