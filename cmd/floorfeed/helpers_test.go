package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/plant"
)

// openTestBackend opens a fresh embedded store in a temp dir with the test
// secret, configured as serve would be, and the built-in sample plant.
func openTestBackend(t *testing.T) (*Config, *backend, *plant.Plant) {
	t.Helper()
	env := map[string]string{"FLOORFEED_SECRET": testSecret}
	cfg, _, err := parseConfig("serve", []string{"--data-dir", t.TempDir()}, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	be, err := openBackend(context.Background(), cfg, slog.New(slog.DiscardHandler), openOptions{lockWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close() })
	p, err := plant.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return cfg, be, p
}
