package main

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Processes starting at once on a new data dir agree on one secret, and none
// reads a half-written file.
func TestSecretFileCreatedOnceConcurrently(t *testing.T) {
	dir := t.TempDir()
	const n = 32
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			b, err := loadOrCreateSecretFile(dir, true)
			got[i], errs[i] = string(b), err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] != got[0] || len(got[i]) != 64 {
			t.Fatalf("caller %d: secret %q, %v; want the same 64-character secret as caller 0 (%q)", i, got[i], errs[i], got[0])
		}
	}
	fi, err := os.Stat(filepath.Join(dir, secretFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file = %v, %v; want mode 0600", fi, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".secret-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
