package boltstore

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
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

// TestReindexTx checks the one-transaction form a schema migration uses.
func TestReindexTx(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "floorfeed.db"), Options{})
	for i := range 5 {
		storetest.MustSubmit(t, s, storetest.MakeSubmission(fmt.Sprint("tx", i), time.Now(), func(r *store.Report) { r.Team = "magnets" }))
	}
	team := indexes[slices.IndexFunc(indexes, func(ix index) bool { return ix.name() == "team" })]
	var added int
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("idx_team")); err != nil {
			return err
		}
		if _, err := tx.CreateBucket([]byte("idx_team")); err != nil {
			return err
		}
		if err := tx.Bucket(bIdxCounts).Delete(countKey(team, "magnets")); err != nil {
			return err
		}
		var err error
		added, err = reindexTx(tx)
		return err
	})
	if err != nil || added != 5 {
		t.Fatalf("reindexTx = %d, %v; want 5 team entries", added, err)
	}
	page, err := s.FindReports(ctxT(t), store.Filter{Team: "magnets"})
	if err != nil || len(page.Reports) != 5 {
		t.Fatalf("FindReports(team magnets) after reindexTx = %d, %v; want 5", len(page.Reports), err)
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		if n := getCounter(tx.Bucket(bIdxCounts), countKey(team, "magnets")); n != 5 {
			t.Errorf("idx_counts team magnets = %d after reindexTx, want 5", n)
		}
		return nil
	})
}
