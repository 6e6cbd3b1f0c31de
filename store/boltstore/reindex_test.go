package boltstore

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/floorfeed/floorfeed/store/storetest"
	bolt "go.etcd.io/bbolt"
)

func TestReindex(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "floorfeed.db"), Options{})
	storetest.CheckReindex(t, s, func(t *testing.T) {
		// As a file written before idx_team existed: the bucket is there
		// (Open creates it) but empty, and idx_counts has no team entries.
		err := s.db.Update(func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket([]byte("idx_team")); err != nil {
				return err
			}
			if _, err := tx.CreateBucket([]byte("idx_team")); err != nil {
				return err
			}
			counts := tx.Bucket(bIdxCounts)
			var drop [][]byte
			c := counts.Cursor()
			for k, _ := c.Seek([]byte("team\x00")); k != nil && bytes.HasPrefix(k, []byte("team\x00")); k, _ = c.Next() {
				drop = append(drop, bytes.Clone(k))
			}
			for _, k := range drop {
				if err := counts.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("drop the team index: %v", err)
		}
	})
}
