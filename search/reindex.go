package search

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/floorfeed/floorfeed/store"
)

// ReindexBatch is how many reports Reindex gathers before writing their
// postings, merged per token and bucket.
const ReindexBatch = 5000

// reindexWriters is how many writes Reindex keeps in flight: bbolt commits
// the writes waiting together (up to 256 in one fsync), Redis spreads them
// over its connection pool.
const reindexWriters = 128

// Reports walks reports: it calls yield for each one and stops at yield's
// first error, returning it.
type Reports func(ctx context.Context, yield func(store.Report) error) error

// StoreReports walks every report of a store, newest first, by pages of
// FindReports.
func StoreReports(st interface {
	FindReports(ctx context.Context, f store.Filter) (store.Page, error)
}) Reports {
	return func(ctx context.Context, yield func(store.Report) error) error {
		f := store.Filter{Limit: store.MaxLimit}
		for {
			p, err := st.FindReports(ctx, f)
			if err != nil {
				return fmt.Errorf("list reports: %w", err)
			}
			for _, r := range p.Reports {
				if err := yield(r); err != nil {
					return err
				}
			}
			if p.NextCursor == "" {
				return nil
			}
			f.Cursor = p.NextCursor
		}
	}
}

// Reindex indexes every report that all yields, for reports stored before
// the index existed or after the glossary changed, and returns how many
// it indexed. A report indexed already is re-added (its postings
// replaced); the others are written in batches, one update per token and
// bucket, far fewer writes than one Add each.
func (ix *Index) Reindex(ctx context.Context, all Reports) (int, error) {
	type pending struct {
		postings map[[2]string][]string // {token, bucket} → ids
		docs     map[string][]string    // id → tokens
	}
	p := pending{postings: map[[2]string][]string{}, docs: map[string][]string{}}
	n := 0
	flush := func() error {
		if err := ix.flush(ctx, p.postings, p.docs); err != nil {
			return err
		}
		p = pending{postings: map[[2]string][]string{}, docs: map[string][]string{}}
		return nil
	}
	err := all(ctx, func(r store.Report) error {
		old, err := ix.docTokens(ctx, r.ID)
		if err != nil {
			return err
		}
		n++
		if old != nil {
			return ix.Add(ctx, r)
		}
		ts := ix.Tokens(r)
		p.docs[r.ID] = ts
		b := bucketOf(r.ID)
		for _, t := range ts {
			k := [2]string{t, b}
			p.postings[k] = append(p.postings[k], r.ID)
		}
		if len(p.docs) >= ReindexBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("search reindex: %w", err)
	}
	if err := flush(); err != nil {
		return n, fmt.Errorf("search reindex: %w", err)
	}
	return n, nil
}

// flush writes postings first and token sets last, so that a crash in
// between leaves reports that a next Reindex indexes again (postings are
// sets: adding twice is harmless).
func (ix *Index) flush(ctx context.Context, postings map[[2]string][]string, docs map[string][]string) error {
	keys := make([][2]string, 0, len(postings))
	for k := range postings {
		keys = append(keys, k)
	}
	// Bucket first, token second: writes in flight at once go to different
	// tokens' collections, which Redis's optimistic UpdateRecord (a WATCH
	// on the collection) needs to not retry.
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := strings.Compare(a[1], b[1]); c != 0 {
			return c
		}
		return strings.Compare(a[0], b[0])
	})
	if err := parallel(ctx, len(keys), func(i int) error {
		ids := postings[keys[i]]
		slices.Sort(ids)
		ids = slices.Compact(ids)
		// A fresh index has no record for most buckets: one insert, no
		// read-modify-write.
		created, err := ix.rec.CreateRecord(ctx, postingColl(keys[i][0]), keys[i][1], encodeIDs(ids))
		if err != nil || created {
			return err
		}
		return ix.mergePosting(ctx, keys[i][0], keys[i][1], ids, true)
	}); err != nil {
		return err
	}
	ids := make([]string, 0, len(docs))
	for id := range docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return parallel(ctx, len(ids), func(i int) error {
		b, err := json.Marshal(docValue{V: docSchema, Tokens: docs[ids[i]]})
		if err != nil {
			return err
		}
		return ix.rec.PutRecord(ctx, docsColl, ids[i], b)
	})
}

// parallel runs fn(0..n-1) on reindexWriters goroutines and returns the
// first error.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan int)
	for range reindexWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
