package boltstore

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func openRawDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "g.db"), 0o600, nil)
	if err != nil {
		t.Fatalf("bolt.Open = %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatalf("create bucket = %v", err)
	}
	return db
}

// Concurrent writers share commits; a failing or panicking function gets its
// own error and the others are committed all the same.
func TestGroupCommit(t *testing.T) {
	db := openRawDB(t)
	g := newGroupCommit(db)
	defer g.close()

	const writers = 200
	errBoom := errors.New("boom")
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs[i] = g.do(func(tx *bolt.Tx) error {
				switch i {
				case 7:
					return errBoom
				case 11:
					panic("bad write")
				}
				return tx.Bucket([]byte("b")).Put(fmt.Appendf(nil, "k%03d", i), []byte("v"))
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		switch i {
		case 7:
			if !errors.Is(err, errBoom) {
				t.Errorf("do(failing fn) = %v, want its own error", err)
			}
		case 11:
			if err == nil {
				t.Errorf("do(panicking fn) = nil, want an error")
			}
		default:
			if err != nil {
				t.Errorf("do(write %d) = %v, want nil", i, err)
			}
		}
	}
	var n int
	if err := db.View(func(tx *bolt.Tx) error { n = tx.Bucket([]byte("b")).Stats().KeyN; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != writers-2 {
		t.Fatalf("keys written = %d, want %d (every write but the failing two)", n, writers-2)
	}
	g.close()
	if err := g.do(func(*bolt.Tx) error { return nil }); !errors.Is(err, errClosed) {
		t.Fatalf("do after close = %v, want errClosed", err)
	}
}
