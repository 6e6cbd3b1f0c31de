package brief

import (
	"fmt"

	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/themes"
)

// Glossary maps the plant's terms across languages for theme grouping.
type Glossary = *themes.Glossary

// plantGlossary is the built-in glossary extended by the plant file's.
func plantGlossary(p *plant.Plant) (Glossary, error) {
	g, err := themes.PlantGlossary(p)
	if err != nil {
		return nil, fmt.Errorf("brief: plant glossary: %w", err)
	}
	return g, nil
}

// themes groups the period's reports into recurring themes (package
// themes: TF-IDF over Han bigrams and English words, the bilingual
// glossary, a fixed cosine threshold) and keeps the top maxThemes.
func (m *Maker) themes(reps []store.Report) []Theme {
	docs := make([]themes.Doc, len(reps))
	byID := make(map[string]*store.Report, len(reps))
	for i := range reps {
		r := &reps[i]
		text := r.Title
		if r.Body != "" {
			text += "\n" + r.Body
		}
		docs[i] = themes.Doc{ID: r.ID, Text: text, Line: r.Line, Severity: string(r.Severity), Votes: r.Votes, CreatedAt: r.CreatedAt}
		byID[r.ID] = r
	}
	groups := themes.Group(docs, m.gloss)
	out := make([]Theme, 0, min(len(groups), maxThemes))
	for _, g := range groups {
		if len(out) == maxThemes {
			break
		}
		ex, ok := byID[g.Representative]
		if !ok && len(g.DocIDs) > 0 {
			ex, ok = byID[g.DocIDs[0]]
		}
		if !ok {
			continue // cannot happen: every id comes from reps
		}
		out = append(out, Theme{Terms: g.Terms, Count: g.Count, Votes: g.Votes, Score: g.Score,
			Lines: g.Lines, ReportIDs: g.DocIDs, Example: *ex})
	}
	return out
}
