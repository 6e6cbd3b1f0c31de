package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/floorfeed/floorfeed/store"
	bolt "go.etcd.io/bbolt"
)

// index is one secondary index on a report field. Its bucket holds
// indexKey(value) ‖ report id for every report, so the entries of one value
// are contiguous and sorted by id (= creation time).
type index struct {
	name   string
	bucket []byte
	value  func(*store.Report) string
}

// indexes are the secondary indexes, in the order FindReports prefers them
// when their counts tie.
var indexes = []index{
	{"status", bIdxStatus, func(r *store.Report) string { return string(r.Status) }},
	{"severity", bIdxSev, func(r *store.Report) string { return string(r.Severity) }},
	{"category", bIdxCat, func(r *store.Report) string { return r.Category }},
	{"line", bIdxLine, func(r *store.Report) string { return r.Line }},
}

// filterValue is the value f asks of ix's field ("" = no condition).
func (ix index) filterValue(f store.Filter) string {
	switch ix.name {
	case "status":
		return string(f.Status)
	case "severity":
		return string(f.Severity)
	case "category":
		return f.Category
	case "line":
		return f.Line
	}
	return ""
}

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
	return append([]byte(ix.name+"\x00"), indexKey(value)...)
}

func addIndex(tx *bolt.Tx, ix index, value, id string) error {
	if err := tx.Bucket(ix.bucket).Put(append(indexKey(value), id...), nil); err != nil {
		return fmt.Errorf("index %s: %w", ix.name, err)
	}
	return addCounter(tx.Bucket(bIdxCounts), countKey(ix, value), 1)
}

func removeIndex(tx *bolt.Tx, ix index, value, id string) error {
	if err := tx.Bucket(ix.bucket).Delete(append(indexKey(value), id...)); err != nil {
		return fmt.Errorf("index %s: %w", ix.name, err)
	}
	return addCounter(tx.Bucket(bIdxCounts), countKey(ix, value), -1)
}

// FindReports returns one page of reports matching f, newest first.
//
// It walks one ordered range, newest first: with no field condition, the
// reports bucket itself between the ids of f's time range (and below the
// cursor); otherwise the index of the condition whose value has the fewest
// reports (counts kept in idx_counts, ties broken status, severity,
// category, line), over the same id range. Every candidate is checked with
// f.Match, so the other conditions hold. The walk stops when the page is
// full; NextCursor is the last id returned when the range holds another
// entry after it, empty otherwise.
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
		bucket, prefix, primary, empty := chooseIndex(tx, f)
		if empty {
			return nil
		}
		lower := append(bytes.Clone(prefix), lo...)
		upper := append(bytes.Clone(prefix), hi...)
		inRange := func(k []byte) bool {
			return k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, lower) >= 0 && bytes.Compare(k, upper) < 0
		}
		c := bucket.Cursor()
		k, v := c.Seek(upper)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; inRange(k); k, v = c.Prev() {
			data := v
			if !primary {
				id := k[len(prefix):]
				if data = reports.Get(id); data == nil {
					s.log.Warn("index entry points at a missing report", "index", string(prefix), "id", string(id))
					continue
				}
			}
			var r store.Report
			if err := json.Unmarshal(data, &r); err != nil {
				return fmt.Errorf("decode report %s: %w", k[len(prefix):], err)
			}
			if !f.Match(&r) {
				continue
			}
			page.Reports = append(page.Reports, r)
			if len(page.Reports) == limit {
				if next, _ := c.Prev(); inRange(next) {
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

// chooseIndex returns the bucket and key prefix FindReports walks for f
// (primary: the reports bucket itself, whose values are the reports), or
// empty=true when a condition's value has no reports at all.
func chooseIndex(tx *bolt.Tx, f store.Filter) (b *bolt.Bucket, prefix []byte, primary, empty bool) {
	counts := tx.Bucket(bIdxCounts)
	var (
		best  *index
		bestN int64
	)
	for i := range indexes {
		ix := &indexes[i]
		v := ix.filterValue(f)
		if v == "" {
			continue
		}
		n := getCounter(counts, countKey(*ix, v))
		if n == 0 {
			return nil, nil, false, true
		}
		if best == nil || n < bestN {
			best, bestN = ix, n
		}
	}
	if best == nil {
		return tx.Bucket(bReports), nil, true, false
	}
	return tx.Bucket(best.bucket), indexKey(best.filterValue(f)), false, false
}
