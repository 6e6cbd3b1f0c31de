// Package search is the text index over reports, in Chinese and English,
// kept in store.Records so that it works on both backends and across
// instances. It uses the tokens of textproc (the same as the theme
// grouping): Han character bigrams, stemmed English words, and the
// glossary's bilingual concepts, so "漏油" finds "泵漏油" and also "pump
// leaking oil", and "leak" finds "leaking".
//
// Layout (collections of store.Records):
//
//	search:<token>   key: a time bucket of the report id (bucketOf: UUID v7
//	                 ids start with Unix milliseconds in hex, and a bucket
//	                 is 2^26 ms, about 18.6 hours); value: the ids in that
//	                 bucket having the token, sorted, one per line
//	search.docs      key: report id; value: JSON {"v":1,"tokens":[…]}, the
//	                 tokens the report was indexed under, so that an edit or
//	                 Remove takes exactly those postings away
//
// Postings grouped by time bucket keep the number of records (and Redis
// memory) far below one record per token per report, still list newest
// first, and let a query intersect bucket by bucket.
package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/textproc"
	"github.com/floorfeed/floorfeed/themes"
)

// Collections.
const (
	postingPrefix = "search:"
	docsColl      = "search.docs"
)

// BucketChars is how many leading characters of a report id make its
// posting bucket, the last one rounded down to a multiple of 4 when it is
// a hex digit: UUID v7 ids start with 48 bits of Unix milliseconds in hex,
// so a bucket is 2^26 ms ≈ 18.6 hours. Buckets sort as the ids in them do.
const BucketChars = 6

// Query limits.
const (
	DefaultLimit   = 50
	MaxLimit       = 500
	MaxQueryTokens = 16
)

// docSchema is the version of a search.docs value.
const docSchema = 1

// Options page a Query.
type Options struct {
	// After is the cursor: the last id of the previous page (results are
	// older than it).
	After string
	// Limit is the page size: 0 means DefaultLimit, capped at MaxLimit.
	Limit int
}

// Index is the text index. It is safe for concurrent use; adds of one
// report should not race each other (the report job runs one at a time per
// report), since the last one to write the token set wins.
type Index struct {
	rec store.Records
	an  *textproc.Analyzer
}

// New returns the index kept in rec, tokenizing with g (nil:
// themes.DefaultGlossary). Changing the glossary changes the tokens: run
// Reindex after editing the plant file's glossary.
func New(rec store.Records, g *themes.Glossary) *Index {
	if g == nil {
		g = themes.DefaultGlossary()
	}
	return &Index{rec: rec, an: textproc.NewAnalyzer(g)}
}

type docValue struct {
	V      int      `json:"v"`
	Tokens []string `json:"tokens"`
}

// Tokens returns the distinct index tokens of a report: its title and
// body, every kind of token.
func (ix *Index) Tokens(r store.Report) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range ix.an.Document(r.Title + "\n" + r.Body) {
		if !seen[t.Key] {
			seen[t.Key] = true
			out = append(out, t.Key)
		}
	}
	slices.Sort(out)
	return out
}

// Add indexes r (title and body). It is idempotent, and re-adding a report
// after an edit replaces its old postings. Its signature is that of a
// report-job hook: func(ctx, store.Report) error.
func (ix *Index) Add(ctx context.Context, r store.Report) error {
	if r.ID == "" {
		return errors.New("search add: report without id")
	}
	old, err := ix.docTokens(ctx, r.ID)
	if err != nil {
		return err
	}
	now := ix.Tokens(r)
	for _, t := range now {
		if _, had := slices.BinarySearch(old, t); had {
			continue
		}
		if err := ix.updatePosting(ctx, t, r.ID, true); err != nil {
			return fmt.Errorf("search add %s: %w", r.ID, err)
		}
	}
	for _, t := range old {
		if _, keep := slices.BinarySearch(now, t); keep {
			continue
		}
		if err := ix.updatePosting(ctx, t, r.ID, false); err != nil {
			return fmt.Errorf("search add %s: %w", r.ID, err)
		}
	}
	b, err := json.Marshal(docValue{V: docSchema, Tokens: now})
	if err != nil {
		return fmt.Errorf("search add %s: %w", r.ID, err)
	}
	if err := ix.rec.PutRecord(ctx, docsColl, r.ID, b); err != nil {
		return fmt.Errorf("search add %s: %w", r.ID, err)
	}
	return nil
}

// Remove takes report id out of the index; removing an id not indexed is
// not an error.
func (ix *Index) Remove(ctx context.Context, id string) error {
	old, err := ix.docTokens(ctx, id)
	if err != nil {
		return err
	}
	for _, t := range old {
		if err := ix.updatePosting(ctx, t, id, false); err != nil {
			return fmt.Errorf("search remove %s: %w", id, err)
		}
	}
	if err := ix.rec.DeleteRecord(ctx, docsColl, id); err != nil {
		return fmt.Errorf("search remove %s: %w", id, err)
	}
	return nil
}

func (ix *Index) docTokens(ctx context.Context, id string) ([]string, error) {
	b, err := ix.rec.GetRecord(ctx, docsColl, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("search: tokens of %s: %w", id, err)
	}
	var v docValue
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("search: tokens of %s: %w", id, err)
	}
	if v.V > docSchema {
		return nil, fmt.Errorf("search: tokens of %s: schema %d: %w", id, v.V, store.ErrSchemaTooNew)
	}
	slices.Sort(v.Tokens)
	return v.Tokens, nil
}

func bucketOf(id string) string {
	if len(id) < BucketChars {
		return id
	}
	b := []byte(id[:BucketChars])
	if d := hexVal(b[BucketChars-1]); d >= 0 {
		b[BucketChars-1] = "0123456789abcdef"[d&^3]
		if b[BucketChars-1] >= 'a' && id[BucketChars-1] >= 'A' && id[BucketChars-1] <= 'F' {
			b[BucketChars-1] -= 'a' - 'A'
		}
	}
	return string(b)
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func postingColl(token string) string { return postingPrefix + token }

// updatePosting adds id to (or removes it from) token's bucket.
func (ix *Index) updatePosting(ctx context.Context, token, id string, add bool) error {
	return ix.mergePosting(ctx, token, bucketOf(id), []string{id}, add)
}

// mergePosting adds ids (sorted, all of one bucket) to token's bucket, or
// removes them, in one atomic update.
func (ix *Index) mergePosting(ctx context.Context, token, bucket string, ids []string, add bool) error {
	_, err := ix.rec.UpdateRecord(ctx, postingColl(token), bucket, func(cur []byte, exists bool) ([]byte, error) {
		list := decodeIDs(cur)
		var next []string
		if add {
			next = unionSorted(list, ids)
		} else {
			next = minusSorted(list, ids)
		}
		if len(next) == 0 {
			return nil, store.ErrDeleteRecord
		}
		return encodeIDs(next), nil
	})
	return err
}

// binaryIDs marks a posting value of 16-byte UUIDs (the ids store.NewID
// makes); any other value is ids as text, one per line, for ids that are
// not canonical UUIDs.
const binaryIDs = 0x01

func decodeIDs(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	if b[0] == binaryIDs && (len(b)-1)%16 == 0 {
		out := make([]string, 0, (len(b)-1)/16)
		for i := 1; i < len(b); i += 16 {
			out = append(out, uuid.UUID(b[i:i+16]).String())
		}
		return out
	}
	return strings.Split(string(b), "\n")
}

func encodeIDs(ids []string) []byte {
	out := make([]byte, 1, 1+16*len(ids))
	out[0] = binaryIDs
	for _, id := range ids {
		u, err := uuid.Parse(id)
		if err != nil || u.String() != id {
			return []byte(strings.Join(ids, "\n"))
		}
		out = append(out, u[:]...)
	}
	return out
}

func unionSorted(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

func minusSorted(a, b []string) []string {
	out := make([]string, 0, len(a))
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j < len(b) && b[j] == x {
			continue
		}
		out = append(out, x)
	}
	return out
}

func intersectSorted(a, b []string) []string {
	var out []string
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}
