package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/floorfeed/floorfeed/store"
	bolt "go.etcd.io/bbolt"
)

// index is one secondary index on a report field of store.FilterFields.
// Its bucket idx_<field> holds indexKey(value) ‖ report id for every report
// (the empty value included), so the entries of one value are contiguous
// and sorted by id (= creation time).
type index struct {
	field  store.Field
	bucket []byte
}

// indexes are the secondary indexes, one per store.FilterFields entry, in
// that order (which breaks ties in FindReports).
//
// idx_team is new with schema version 2: intake has always set Team from the
// line's default team, so a schema-1 file's reports have teams but no
// entries; the migration in Open (initSchema) adds them (reindexTx).
var indexes = newIndexes()

func newIndexes() []index {
	out := make([]index, len(store.FilterFields))
	for i, fd := range store.FilterFields {
		out[i] = index{field: fd, bucket: []byte("idx_" + fd.Name)}
	}
	return out
}

// indexBuckets are the buckets of indexes.
func indexBuckets() [][]byte {
	out := make([][]byte, len(indexes))
	for i, ix := range indexes {
		out[i] = ix.bucket
	}
	return out
}

func (ix index) name() string                 { return ix.field.Name }
func (ix index) value(r *store.Report) string { return ix.field.Value(r) }

// indexKey is the prefix of value's entries: value with NUL bytes replaced by
// 0x01 (so the terminator below is unambiguous), then NUL. Distinct values
// may share a prefix after the replacement; FindReports re-checks every
// candidate with Filter.Match, so that only costs a wasted read.
func indexKey(value string) []byte {
	k := make([]byte, 0, len(value)+1+36)
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == 0 {
			c = 1
		}
		k = append(k, c)
	}
	return append(k, 0)
}

// countKey is ix's key for value in the idx_counts bucket.
func countKey(ix index, value string) []byte {
	return append([]byte(ix.name()+"\x00"), indexKey(value)...)
}

func addIndex(tx *bolt.Tx, ix index, value, id string) error {
	if err := tx.Bucket(ix.bucket).Put(append(indexKey(value), id...), nil); err != nil {
		return fmt.Errorf("index %s: %w", ix.name(), err)
	}
	return addCounter(tx.Bucket(bIdxCounts), countKey(ix, value), 1)
}

func removeIndex(tx *bolt.Tx, ix index, value, id string) error {
	if err := tx.Bucket(ix.bucket).Delete(append(indexKey(value), id...)); err != nil {
		return fmt.Errorf("index %s: %w", ix.name(), err)
	}
	return addCounter(tx.Bucket(bIdxCounts), countKey(ix, value), -1)
}

// FindReports returns one page of reports matching f, newest first.
//
// It walks one ordered range, newest first: with no field condition, the
// reports bucket itself between the ids of f's time range (and below the
// cursor); otherwise the index entries of the condition whose accepted
// values have the fewest reports (counts kept in idx_counts; ties: fewer
// values, then store.FilterFields order), over the same id range — one
// cursor per accepted value, merged by descending id. Every candidate is
// checked with f.Match, so the other conditions hold. The walk stops when
// the page is full; NextCursor is the last id returned when the range holds
// another entry after it, empty otherwise.
func (s *Store) FindReports(ctx context.Context, f store.Filter) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, fmt.Errorf("find reports: %w", err)
	}
	limit := f.PageSize()
	lo, hi := f.IDRange()
	page := store.Page{Reports: []store.Report{}}
	if lo >= hi {
		return page, nil
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		reports := tx.Bucket(bReports)
		bucket, prefixes, ix := chooseIndex(tx, f)
		primary := ix == nil
		if len(prefixes) == 0 {
			return nil
		}
		match := f.Matcher()
		walk := newMerge(bucket, prefixes, lo, hi)
		for k, v, prefix := walk.next(); k != nil; k, v, prefix = walk.next() {
			id := k[len(prefix):]
			data := v
			if !primary {
				if data = reports.Get(id); data == nil {
					s.log.Warn("index entry points at a missing report", "index", string(prefix), "id", string(id))
					continue
				}
			}
			var r store.Report
			if err := json.Unmarshal(data, &r); err != nil {
				return fmt.Errorf("decode report %s: %w", id, err)
			}
			if !match(&r) {
				continue
			}
			page.Reports = append(page.Reports, r)
			if len(page.Reports) == limit {
				if walk.more() {
					page.NextCursor = r.ID
				}
				break
			}
		}
		return nil
	})
	if err != nil {
		return store.Page{}, fmt.Errorf("find reports: %w", classify(err))
	}
	return page, nil
}

// merge walks the entries prefix ‖ id, lo <= id < hi, of several prefixes
// of one bucket, newest id first.
type merge struct {
	heads []head
}

// head is one prefix's cursor and its current entry (k == nil: done).
type head struct {
	c            *bolt.Cursor
	prefix       []byte
	lower, upper []byte
	k, v         []byte
}

func newMerge(b *bolt.Bucket, prefixes [][]byte, lo, hi string) *merge {
	m := &merge{heads: make([]head, len(prefixes))}
	for i, p := range prefixes {
		h := &m.heads[i]
		h.c, h.prefix = b.Cursor(), p
		h.lower = append(bytes.Clone(p), lo...)
		h.upper = append(bytes.Clone(p), hi...)
		k, v := h.c.Seek(h.upper)
		if k == nil {
			k, v = h.c.Last()
		} else {
			k, v = h.c.Prev()
		}
		h.set(k, v)
	}
	return m
}

// set makes (k, v) the head's entry if it is in the head's range.
func (h *head) set(k, v []byte) {
	if k == nil || !bytes.HasPrefix(k, h.prefix) || bytes.Compare(k, h.lower) < 0 || bytes.Compare(k, h.upper) >= 0 {
		h.k, h.v = nil, nil
		return
	}
	h.k, h.v = k, v
}

// top is the index of the head with the highest id, or -1 when all are done.
func (m *merge) top() int {
	best := -1
	for i := range m.heads {
		h := &m.heads[i]
		if h.k == nil {
			continue
		}
		if best < 0 || bytes.Compare(h.k[len(h.prefix):], m.heads[best].k[len(m.heads[best].prefix):]) > 0 {
			best = i
		}
	}
	return best
}

// next returns the entry with the highest id left and its prefix, and moves
// past it; k is nil when the walk is done. The key and value are valid for
// the life of the transaction.
func (m *merge) next() (k, v, prefix []byte) {
	i := m.top()
	if i < 0 {
		return nil, nil, nil
	}
	h := &m.heads[i]
	k, v, prefix = h.k, h.v, h.prefix
	h.set(h.c.Prev())
	return k, v, prefix
}

// more reports whether any entry is left.
func (m *merge) more() bool { return m.top() >= 0 }

// chooseIndex returns the bucket FindReports walks for f and the key
// prefixes to merge in it: the reports bucket itself (ix nil: its values
// are the reports) with one empty prefix when f has no field condition,
// else the index ix of the most selective condition with one prefix per
// accepted value that has reports. No prefixes means nothing can match.
func chooseIndex(tx *bolt.Tx, f store.Filter) (b *bolt.Bucket, prefixes [][]byte, ix *index) {
	counts := tx.Bucket(bIdxCounts)
	var (
		best     *index
		bestVals []string
		bestN    int64
	)
	for i := range indexes {
		ix := &indexes[i]
		vals, cond := f.Values(ix.field)
		if !cond {
			continue
		}
		var n int64
		var nonEmpty []string
		for _, v := range vals {
			if c := getCounter(counts, countKey(*ix, v)); c > 0 {
				n += c
				nonEmpty = append(nonEmpty, v)
			}
		}
		if n == 0 {
			return nil, nil, nil
		}
		if best == nil || n < bestN || n == bestN && len(nonEmpty) < len(bestVals) {
			best, bestVals, bestN = ix, nonEmpty, n
		}
	}
	if best == nil {
		return tx.Bucket(bReports), [][]byte{nil}, nil
	}
	for _, v := range bestVals {
		prefixes = append(prefixes, indexKey(v))
	}
	return tx.Bucket(best.bucket), prefixes, best
}
