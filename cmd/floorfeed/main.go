// Command floorfeed runs the Floorfeed service and its admin commands.
//
//	floorfeed serve                  web + workers (default subcommand)
//	floorfeed lines [--json]         each line's id, names and QR form URL
//	floorfeed token create NAME      prints a new API token once
//	floorfeed demo --reports N       loads N realistic sample reports
//	floorfeed healthcheck            exits 0 when the local server is healthy (Docker)
//
// Every subcommand takes the same configuration flags (see -h), each with a
// FLOORFEED_* environment twin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the distroless image has no zoneinfo; --time-zone must work there
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "floorfeed:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: floorfeed <command> [flags]

commands:
  serve                 run the web server and workers (default)
  lines [--json]        list the lines with their QR form URLs
  token create NAME     create an API token (printed once)
  demo --reports N      load N realistic sample reports
  healthcheck           check the local server's /healthz (for Docker)

Run 'floorfeed <command> -h' for the flags; each has a FLOORFEED_* env twin.
`

// run is main without the process: tests call it with their own args,
// environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, _, err := parseConfig("serve", args, getenv, nil)
		if err != nil {
			return err
		}
		srv, err := newServer(ctx, cfg)
		if err != nil {
			return err
		}
		return srv.run(ctx)
	case "lines":
		return runLines(ctx, args, getenv, stdout)
	case "token":
		return runToken(ctx, args, getenv, stdout)
	case "demo":
		return runDemo(ctx, args, getenv, stdout)
	case "healthcheck":
		return runHealthcheck(ctx, args, getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
