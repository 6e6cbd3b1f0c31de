package search

import (
	"context"
	"errors"
	"fmt"

	"github.com/floorfeed/floorfeed/store"
)

// QueryTokens returns the tokens a query must all find (see
// textproc.Analyzer.Query), at most MaxQueryTokens.
func (ix *Index) QueryTokens(q string) []string {
	ts := ix.an.Query(q)
	if len(ts) > MaxQueryTokens {
		ts = ts[:MaxQueryTokens]
	}
	return ts
}

// Query returns the ids of the reports that have every token of q, newest
// first, one page after opts.After. A query without any token (only
// punctuation, digits or stopwords) finds nothing.
//
// The posting lists are intersected smallest first: the token with the
// fewest buckets drives, walking its buckets newest first, and each other
// token's same bucket is fetched only while the driver's still has ids.
func (ix *Index) Query(ctx context.Context, q string, opts Options) ([]string, error) {
	tokens := ix.QueryTokens(q)
	if len(tokens) == 0 {
		return []string{}, nil
	}
	limit := opts.Limit
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	sizes := make([]int64, len(tokens))
	driver := 0
	for i, t := range tokens {
		n, err := ix.rec.CountRecords(ctx, postingColl(t))
		if err != nil {
			return nil, fmt.Errorf("search %q: %w", q, err)
		}
		if n == 0 {
			return []string{}, nil
		}
		sizes[i] = n
		if n < sizes[driver] {
			driver = i
		}
	}
	others := make([]string, 0, len(tokens)-1)
	for i, t := range tokens {
		if i != driver {
			others = append(others, t)
		}
	}
	out := []string{}
	after := ""
	if opts.After != "" {
		after = bucketOf(opts.After) + "~" // every key <= the cursor's bucket
	}
	for len(out) < limit {
		page, err := ix.rec.ListRecords(ctx, postingColl(tokens[driver]), store.ListOptions{After: after, Reverse: true, Limit: 64})
		if err != nil {
			return nil, fmt.Errorf("search %q: %w", q, err)
		}
		for _, rec := range page {
			ids := decodeIDs(rec.Value)
			if opts.After != "" {
				ids = below(ids, opts.After)
			}
			for _, t := range others {
				if len(ids) == 0 {
					break
				}
				b, err := ix.rec.GetRecord(ctx, postingColl(t), rec.Key)
				if errors.Is(err, store.ErrNotFound) {
					ids = nil
					break
				}
				if err != nil {
					return nil, fmt.Errorf("search %q: %w", q, err)
				}
				ids = intersectSorted(ids, decodeIDs(b))
			}
			for k := len(ids) - 1; k >= 0 && len(out) < limit; k-- {
				out = append(out, ids[k])
			}
			if len(out) >= limit {
				return out, nil
			}
		}
		if len(page) < 64 {
			break
		}
		after = page[len(page)-1].Key
	}
	return out, nil
}

// below returns the ids (sorted) less than cursor.
func below(ids []string, cursor string) []string {
	n := 0
	for n < len(ids) && ids[n] < cursor {
		n++
	}
	return ids[:n]
}
