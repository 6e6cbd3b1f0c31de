// Command floorfeed-soak is the chaos soak (make soak): phone-like clients
// submit reports while floorfeed (and redis-server) are SIGKILLed and
// restarted, then every acknowledged report is checked through the API. It
// prints a table and exits 1 on any loss, duplicate, unprocessed report or
// bad replay.
//
//	floorfeed-soak --bin bin/floorfeed [--backend bolt,redis] [--duration 60s] [--clients 16] [--kill-every 3s]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/internal/soak"
)

func main() {
	bin := flag.String("bin", "bin/floorfeed", "the floorfeed binary to soak")
	backends := flag.String("backend", "bolt,redis", "comma-separated: bolt, redis")
	duration := flag.Duration("duration", time.Minute, "how long clients submit per backend while servers are killed")
	clients := flag.Int("clients", 16, "concurrent phone-like clients")
	killEvery := flag.Duration("kill-every", 3*time.Second, "mean time between SIGKILLs")
	verbose := flag.Bool("v", false, "log every kill")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var results []soak.Result
	failed := false
	for _, be := range strings.Split(*backends, ",") {
		cfg := soak.Config{Bin: *bin, Backend: strings.TrimSpace(be), Duration: *duration, Clients: *clients, KillEvery: *killEvery}
		if *verbose {
			cfg.Log = os.Stderr
		}
		if cfg.Backend == "redis" {
			p, err := exec.LookPath("redis-server")
			if err != nil {
				fmt.Fprintln(os.Stderr, "floorfeed-soak: the redis backend needs redis-server on PATH")
				os.Exit(2)
			}
			cfg.RedisServer = p
		}
		fmt.Fprintf(os.Stderr, "soaking %s for %s with %d clients, a kill every ~%s …\n", cfg.Backend, cfg.Duration, cfg.Clients, cfg.KillEvery)
		r, err := soak.Run(ctx, cfg)
		results = append(results, r)
		if err != nil {
			fmt.Fprintf(os.Stderr, "floorfeed-soak: %s: %v\n", cfg.Backend, err)
			failed = true
		}
		if !r.OK() {
			failed = true
		}
	}
	soak.Table(os.Stdout, results...)
	if failed {
		os.Exit(1)
	}
}
