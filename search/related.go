package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/textproc"
)

// relatedTokens is how many of a report's tokens Related follows.
const relatedTokens = 8

// Related returns candidates for "similar reports" of r: the newest
// (up to perToken each) of the reports sharing one of r's most specific
// tokens — its glossary concepts and the words and bigrams outside them,
// the rarest first — newest first, r itself excluded. Rank them with
// themes.Similar: Related only keeps that from reading every report.
func (ix *Index) Related(ctx context.Context, r store.Report, perToken int) ([]string, error) {
	if perToken <= 0 {
		perToken = DefaultLimit
	}
	seen := map[string]bool{}
	type tok struct {
		key string
		n   int64
	}
	var toks []tok
	for _, t := range ix.an.Document(r.Title + "\n" + r.Body) {
		if seen[t.Key] || t.Covered || t.Nested || t.Kind == textproc.HanUnigram {
			continue
		}
		seen[t.Key] = true
		n, err := ix.rec.CountRecords(ctx, postingColl(t.Key))
		if err != nil {
			return nil, fmt.Errorf("search related %s: %w", r.ID, err)
		}
		if n > 0 {
			toks = append(toks, tok{t.Key, n})
		}
	}
	// The rarest tokens say most about what the report is about.
	slices.SortFunc(toks, func(a, b tok) int {
		if c := cmp.Compare(a.n, b.n); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	if len(toks) > relatedTokens {
		toks = toks[:relatedTokens]
	}
	found := map[string]bool{}
	for _, t := range toks {
		got := 0
		after := ""
		for got < perToken {
			page, err := ix.rec.ListRecords(ctx, postingColl(t.key), store.ListOptions{After: after, Reverse: true, Limit: 16})
			if err != nil {
				return nil, fmt.Errorf("search related %s: %w", r.ID, err)
			}
			for _, rec := range page {
				ids := decodeIDs(rec.Value)
				for k := len(ids) - 1; k >= 0 && got < perToken; k-- {
					if ids[k] != r.ID {
						found[ids[k]] = true
						got++
					}
				}
			}
			if len(page) < 16 {
				break
			}
			after = page[len(page)-1].Key
		}
	}
	out := make([]string, 0, len(found))
	for id := range found {
		out = append(out, id)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out, nil
}
