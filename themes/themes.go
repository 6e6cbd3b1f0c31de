// Package themes finds the recurring themes among reports: reports about
// one problem, written on different lines, by different people, in Chinese
// or English, grouped together and ranked by how much the floor is asking
// for it (reports, "me too" votes, severity). The method is deterministic
// and explainable, with no model and no network:
//
//  1. text → tokens (textproc: Han bigrams, stemmed English words, and the
//     glossary's bilingual concepts, so "泵漏油" and "pump leaking oil"
//     share the concepts pump and oil-leak);
//  2. tokens → TF-IDF vectors, concepts weighted above surface tokens;
//  3. cosine similarity, and a fixed threshold (Threshold) above which two
//     reports are "about the same thing";
//  4. clustering: reports taken in id order, each joining the group whose
//     centroid is most similar above the threshold (candidates found through
//     an inverted index), then groups whose centroids are that similar
//     merged; same input, any order, same output.
//
// A theme's Terms are the heaviest tokens of its centroid, shown in a
// readable form (a concept in both languages: "泵 pump").
package themes

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/textproc"
)

// Doc is one report as the grouping sees it.
type Doc struct {
	ID string
	// Text is the title and body, joined by "\n".
	Text     string
	Line     string
	Severity string // store.Severity values: low, medium, high, critical
	// Votes are the report's "me too" votes.
	Votes     int
	CreatedAt time.Time
}

// Theme is a group of similar reports.
type Theme struct {
	// Terms are the theme's top terms, readable: a concept in both
	// languages ("泵 pump"), a Chinese bigram or an English word as written.
	Terms []string
	// DocIDs are the reports of the theme, oldest first.
	DocIDs []string
	// Lines are the distinct lines the reports came from, sorted.
	Lines []string
	// Count is len(DocIDs); Votes the sum of their "me too" votes.
	Count, Votes int
	// Score ranks themes: each report counts 1 + its votes + its severity's
	// weight (SeverityWeight).
	Score float64
	// Representative is the ID of the report closest to the theme's centre,
	// the one to quote.
	Representative string
}

// Match is a report similar to another, with its cosine similarity (0..1).
type Match struct {
	ID    string
	Score float64
}

// Glossary maps plant terms in Chinese and English onto shared concepts.
type Glossary = textproc.Glossary

// GlossaryEntry is one concept and its terms in both languages.
type GlossaryEntry = textproc.Entry

// DefaultGlossary returns a new copy of the built-in rare-earth plant
// glossary; extend it with the plant file's entries (PlantGlossary).
func DefaultGlossary() *Glossary {
	g := textproc.NewGlossary()
	if err := g.Extend(builtinGlossary); err != nil {
		panic("themes: built-in glossary is inconsistent: " + err.Error()) // caught by tests
	}
	return g
}

// PlantGlossary returns the built-in glossary extended with the plant
// file's glossary entries.
func PlantGlossary(p *plant.Plant) (*Glossary, error) {
	g := DefaultGlossary()
	if p == nil || len(p.Glossary) == 0 {
		return g, nil
	}
	es := make([]GlossaryEntry, len(p.Glossary))
	for i, e := range p.Glossary {
		es[i] = GlossaryEntry{Concept: e.Concept, ZH: e.ZH, EN: e.EN}
	}
	if err := g.Extend(es); err != nil {
		return nil, err
	}
	return g, nil
}

// Threshold is the cosine similarity above which two reports (or a report
// and a theme's centre) are about the same thing. It was chosen on the
// labelled pairs of testdata/pairs.tsv (see themes_test.go).
const Threshold = 0.30

// SimilarMin is the lowest similarity Similar reports: looser than
// Threshold, since a reader judges the list.
const SimilarMin = 0.15

// MaxTerms is how many terms a theme shows.
const MaxTerms = 5

// SeverityWeight is what a report of severity s adds to its theme's score
// on top of 1 per report and 1 per vote.
func SeverityWeight(s string) float64 {
	switch s {
	case "critical":
		return 3
	case "high":
		return 1.5
	case "medium":
		return 0.5
	}
	return 0
}

// Group clusters docs into themes and returns those of at least two
// reports, highest Score first (then more reports, then Representative).
// g nil means DefaultGlossary. The result depends only on the set of docs,
// not their order.
func Group(docs []Doc, g *Glossary) []Theme {
	if len(docs) < 2 {
		return nil
	}
	ds := sortedDocs(docs)
	m := buildModel(ds, g)
	clusters := m.cluster(Threshold)
	var out []Theme
	for _, c := range clusters {
		if len(c.members) < 2 {
			continue
		}
		out = append(out, m.theme(ds, c))
	}
	slices.SortFunc(out, func(a, b Theme) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Representative, b.Representative)
	})
	return out
}

// Similar returns up to n docs most similar to target (target itself, by
// ID, excluded), most similar first, each at least SimilarMin. IDF comes
// from docs and target together.
func Similar(target Doc, docs []Doc, g *Glossary, n int) []Match {
	if n <= 0 || len(docs) == 0 {
		return nil
	}
	ds := make([]Doc, 0, len(docs)+1)
	for _, d := range docs {
		if d.ID != target.ID {
			ds = append(ds, d)
		}
	}
	ds = sortedDocs(ds)
	all := append(append([]Doc(nil), ds...), target)
	m := buildModel(all, g)
	tv := m.vecs[len(all)-1]
	var out []Match
	for i := range ds {
		if s := dot(tv, m.vecs[i]); s >= SimilarMin {
			out = append(out, Match{ID: ds[i].ID, Score: s})
		}
	}
	slices.SortFunc(out, func(a, b Match) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// sortedDocs copies docs in a canonical order (ID, then the other fields),
// so that the result never depends on the caller's order.
func sortedDocs(docs []Doc) []Doc {
	ds := append([]Doc(nil), docs...)
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if a.Text != b.Text {
			return a.Text < b.Text
		}
		return a.CreatedAt.Before(b.CreatedAt)
	})
	return ds
}

func round(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// DocOf returns the Doc of a stored report: title and body, line,
// severity, votes and creation time.
func DocOf(r store.Report) Doc {
	return Doc{ID: r.ID, Text: r.Title + "\n" + r.Body, Line: r.Line, Severity: string(r.Severity), Votes: r.Votes, CreatedAt: r.CreatedAt}
}
