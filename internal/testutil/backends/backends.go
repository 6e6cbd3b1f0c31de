// Package backends opens a fresh, private store of each kind for the tests
// of packages that run on both (the store packages' own tests use their
// harnesses; this package imports them, so they cannot import it).
package backends

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
	"github.com/floorfeed/floorfeed/store/redisstore"
)

// Backend is one kind of store.
type Backend struct {
	Name string
	// Open returns a new, empty store private to t, closed at cleanup. The
	// Redis one runs on its own redis-server (testutil.StartRedis: skipped
	// without one, fatal under CI=true).
	Open func(t testing.TB) store.Store
}

// All returns the embedded (bbolt) and the Redis backend.
func All() []Backend {
	return []Backend{{"bolt", Bolt}, {"redis", Redis}}
}

// Bolt opens a store in a file in t's temp dir.
func Bolt(t testing.TB) store.Store {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "floorfeed.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("boltstore.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// Redis opens a store on a private redis-server.
func Redis(t testing.TB) store.Store {
	t.Helper()
	rs := testutil.StartRedis(t)
	st, err := redisstore.Open(context.Background(), rs.URL, redisstore.Options{})
	if err != nil {
		t.Fatalf("redisstore.Open(%s): %v", rs.URL, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
