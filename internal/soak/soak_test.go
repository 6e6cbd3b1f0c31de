package soak_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/soak"
	"github.com/floorfeed/floorfeed/internal/testutil"
)

// TestSoakShort is the short soak CI runs: about 25 s per backend of
// submissions while the servers (and redis-server) are SIGKILLed every
// ~2 s; nothing acknowledged may be lost, duplicated or left unprocessed.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak takes a minute; -short skips it")
	}
	bin := filepath.Join(t.TempDir(), "floorfeed")
	build := exec.Command("go", "build", "-o", bin, "github.com/floorfeed/floorfeed/cmd/floorfeed")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build floorfeed: %v\n%s", err, out)
	}
	redis, err := exec.LookPath("redis-server")
	for _, backend := range []string{"bolt", "redis"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "redis" && err != nil {
				if testutil.InCI() {
					t.Fatal("redis-server missing and CI=true")
				}
				t.Skip("redis-server missing")
			}
			var log strings.Builder
			r, rerr := soak.Run(context.Background(), soak.Config{
				Bin: bin, Backend: backend, RedisServer: redis, Dir: t.TempDir(),
				Duration: 25 * time.Second, Clients: 8, KillEvery: 2 * time.Second, Log: &log,
			})
			var table strings.Builder
			soak.Table(&table, r)
			t.Logf("\n%s", table.String())
			if rerr != nil || !r.OK() || r.Kills == 0 || (backend == "redis" && r.RedisKills == 0) {
				t.Fatalf("soak failed: %v\n%s", rerr, log.String())
			}
		})
	}
}
