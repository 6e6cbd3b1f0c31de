package dashboard

import (
	"context"
	"fmt"
	"time"

	"github.com/floorfeed/floorfeed/search"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/themes"
)

// TextIndex adapts the text index of package search to Searcher.
type TextIndex struct{ Index *search.Index }

// Search returns one page of the ids matching q, newest first.
func (t TextIndex) Search(ctx context.Context, q, after string, limit int) ([]string, error) {
	return t.Index.Query(ctx, q, search.Options{After: after, Limit: limit})
}

// ThemesSimilarity adapts themes.Similar to Similarity: the candidates are
// the reports created within Window before or after the report (newest
// first, at most Pool of them), duplicates left out, compared with the
// plant's glossary.
type ThemesSimilarity struct {
	Reports  Reports
	Glossary *themes.Glossary
	// Window is how far around the report candidates are taken from; 0
	// means 60 days.
	Window time.Duration
	// Pool bounds the candidates compared; 0 means 2,000.
	Pool int
}

// SimilarTo returns up to n reports most like r.
func (s ThemesSimilarity) SimilarTo(ctx context.Context, r store.Report, n int) ([]Similar, error) {
	window, pool := s.Window, s.Pool
	if window <= 0 {
		window = 60 * 24 * time.Hour
	}
	if pool <= 0 {
		pool = 2000
	}
	f := store.Filter{From: r.CreatedAt.Add(-window), To: r.CreatedAt.Add(window), Limit: store.MaxLimit}
	var docs []themes.Doc
	for len(docs) < pool {
		page, err := s.Reports.FindReports(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("similar to %s: %w", r.ID, err)
		}
		for _, c := range page.Reports {
			if c.ID != r.ID && c.Status != store.StatusDuplicate && len(docs) < pool {
				docs = append(docs, themes.DocOf(c))
			}
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	g := s.Glossary
	if g == nil {
		g = themes.DefaultGlossary()
	}
	var out []Similar
	for _, m := range themes.Similar(themes.DocOf(r), docs, g, n) {
		out = append(out, Similar{ID: m.ID, Score: m.Score})
	}
	return out, nil
}
