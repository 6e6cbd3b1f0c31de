package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/floorfeed/floorfeed/store"
	bolt "go.etcd.io/bbolt"
)

// reindexChunk is how many reports one Reindex transaction covers.
const reindexChunk = 1000

// Reindex puts every report into the index of each of its store.FilterFields
// values where it is missing (reports stored before idx_team existed are in
// no team index), with its idx_counts entry, and returns how many entries
// it added. It walks the reports in transactions of reindexChunk reports, so
// writers wait at most one chunk. Running it again adds nothing. A schema
// migration inside Open's transaction calls reindexTx instead.
func (s *Store) Reindex(ctx context.Context) (int, error) {
	added := 0
	var after []byte // the last report id done
	for {
		if err := ctx.Err(); err != nil {
			return added, fmt.Errorf("reindex: %w", err)
		}
		var (
			n    int
			last []byte
		)
		err := s.db.Update(func(tx *bolt.Tx) error {
			var err error
			n, last, err = reindexFrom(tx, after, reindexChunk)
			return err
		})
		if err != nil {
			return added, fmt.Errorf("reindex: %w", classify(err))
		}
		added += n
		if last == nil {
			return added, nil
		}
		after = last
	}
}

// reindexTx is Reindex within one transaction, for a schema migration.
func reindexTx(tx *bolt.Tx) (int, error) {
	n, _, err := reindexFrom(tx, nil, 0)
	return n, err
}

// reindexFrom indexes up to max reports (max <= 0: all) with ids after
// after (nil: from the first) and returns how many index entries it added
// and the last report id it looked at (nil if there was none).
func reindexFrom(tx *bolt.Tx, after []byte, max int) (added int, last []byte, err error) {
	c := tx.Bucket(bReports).Cursor()
	k, v := c.First()
	if after != nil {
		if k, v = c.Seek(after); bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	for i := 0; k != nil && (max <= 0 || i < max); i++ {
		var r store.Report
		if err := json.Unmarshal(v, &r); err != nil {
			return added, last, fmt.Errorf("decode report %s: %w", k, err)
		}
		for _, ix := range indexes {
			val := ix.value(&r)
			if tx.Bucket(ix.bucket).Get(append(indexKey(val), r.ID...)) != nil {
				continue
			}
			if err := addIndex(tx, ix, val, r.ID); err != nil {
				return added, last, err
			}
			added++
		}
		last = bytes.Clone(k)
		k, v = c.Next()
	}
	return added, last, nil
}
