// Command floorfeed runs the Floorfeed service and its admin commands.
//
//	floorfeed serve                  web + workers
//	floorfeed lines [--json]         each line's id, names and QR form URL
//	floorfeed token create NAME      prints a new API token once
//	floorfeed token list [--json]    tokens with their last use
//	floorfeed token revoke ID        the token stops working at once
//	floorfeed jobs dead [--json]     dead-lettered jobs of every queue
//	floorfeed jobs retry ID|--all    puts dead jobs back into their queues
//	floorfeed reindex                every report into its fields' indexes
//	floorfeed demo --reports N       loads N realistic sample reports
//	floorfeed healthcheck            exits 0 when the local server is healthy (Docker)
//	floorfeed version                module version and VCS revision
//	floorfeed help [COMMAND]         the commands, or one command's flags
//
// Flags may come before or after the arguments; configuration flags each
// have a FLOORFEED_* environment twin. Admin commands call the
// installation's own HTTP API as its local administrator: through a running
// server's admin socket, or in-process over the store (see adminAPI).
//
// Exit status: 0 success, 1 failure, 2 a mistake on the command line.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // the distroless image has no zoneinfo; --time-zone must work there

	"github.com/redis/go-redis/v9"
)

// redisLogEvery is how often each kind of go-redis log line is let through.
const redisLogEvery = 10 * time.Second

func main() {
	// Signals stay caught until run returns: under `go run` (make run) the
	// child gets Ctrl-C twice, from the terminal and relayed by go run, and
	// the second must not kill it mid-shutdown. Shutdown is bounded by
	// --shutdown-timeout instead.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], sys{
		getenv: os.Getenv,
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		setLibLogger: func(log *slog.Logger) {
			// Process-global, so set here, once, and nowhere in library code.
			redis.SetLogger(newRedisLogger(log, redisLogEvery, time.Now))
		},
	})
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// run is main without the process: tests call it with their own args,
// environment and streams.
func run(ctx context.Context, args []string, s sys) error {
	return dispatch(ctx, commands(), args, s)
}
