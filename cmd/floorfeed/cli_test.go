package main

import (
	"bytes"
	"errors"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

// exitOf is the exit status main would give err, with what it prints.
func exitOf(err error) (int, string) {
	var b bytes.Buffer
	return exitCode(err, &b), b.String()
}

// leafCommands are every runnable command, as typed.
var leafCommands = []string{"serve", "lines", "token create NAME", "token list", "token revoke ID", "user add NAME", "user list", "user disable NAME", "user enable NAME", "jobs dead", "jobs retry [ID]", "reindex", "demo", "healthcheck", "version", "help [COMMAND]"}

func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"--help"}} {
		out, _, err := runCLI(t, nil, args...)
		if code, msg := exitOf(err); code != 0 {
			t.Fatalf("floorfeed %v: exit %d %s, want 0", args, code, msg)
		}
		for _, c := range leafCommands {
			if !strings.Contains(out, "\n  "+c+" ") {
				t.Errorf("floorfeed %v does not list %q on a line of its own:\n%s", args, c, out)
			}
		}
	}
}

func TestCommandHelpShowsItsOwnFlags(t *testing.T) {
	cases := []struct {
		args          []string
		want, notWant []string
	}{
		{[]string{"help", "lines"}, []string{"usage: floorfeed lines [flags]", "--json", "--data-dir", "--base-url"}, []string{"--workers", "--submit-rate", "--addr", "--reports"}},
		{[]string{"lines", "-h"}, []string{"usage: floorfeed lines [flags]", "--json"}, []string{"--workers", "--shutdown-timeout"}},
		{[]string{"lines", "--help", "--data-dir", "x"}, []string{"usage: floorfeed lines [flags]"}, []string{"--workers"}},
		{[]string{"serve", "-h"}, []string{"usage: floorfeed serve [flags]", "--workers", "--addr", "--submit-rate", "--data-dir"}, []string{"--json", "--reports"}},
		{[]string{"help", "token", "create"}, []string{"usage: floorfeed token create [flags] NAME", "--data-dir"}, []string{"--workers", "--json"}},
		{[]string{"token", "create", "-h"}, []string{"usage: floorfeed token create [flags] NAME"}, nil},
		{[]string{"token", "-h"}, []string{"token create NAME", "token list", "token revoke ID"}, []string{"serve"}},
		{[]string{"help", "token"}, []string{"token create NAME", "token revoke ID"}, nil},
		{[]string{"demo", "-h"}, []string{"--reports int", "(default 300)", "--seed"}, []string{"--workers"}},
		{[]string{"healthcheck", "-h"}, []string{"--addr"}, []string{"--data-dir"}},
	}
	for _, tc := range cases {
		out, _, err := runCLI(t, nil, tc.args...)
		if code, msg := exitOf(err); code != 0 {
			t.Errorf("floorfeed %v: exit %d %s, want 0", tc.args, code, msg)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("floorfeed %v does not show %q:\n%s", tc.args, w, out)
			}
		}
		for _, w := range tc.notWant {
			if strings.Contains(out, w) {
				t.Errorf("floorfeed %v shows %q, which is not its flag:\n%s", tc.args, w, out)
			}
		}
	}
}

func TestUnknownCommandNamesTheClosest(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"tokn", "create", "x"}, `unknown command "tokn"; did you mean "token"?`},
		{[]string{"serv"}, `did you mean "serve"?`},
		{[]string{"lins", "--json"}, `did you mean "lines"?`},
		{[]string{"token", "crate", "x"}, `token: unknown command "crate"; did you mean "token create"?`},
		{[]string{"token", "rm", "x"}, `did you mean "token`},
		{[]string{"--data-dir", "/nonexistent", "versoin"}, `did you mean "version"?`},
		{[]string{"help", "lnes"}, `did you mean "lines"?`},
	}
	for _, tc := range cases {
		_, _, err := runCLI(t, nil, tc.args...)
		code, msg := exitOf(err)
		if code != 2 || !strings.Contains(msg, tc.want) {
			t.Errorf("floorfeed %v: exit %d, %q; want exit 2 saying %q", tc.args, code, msg, tc.want)
		}
	}
}

func TestCommandLineMistakesExit2(t *testing.T) {
	dir := t.TempDir() + "/never-created"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"lines", "extra", "--data-dir", dir}, `lines: unexpected argument "extra"`},
		{[]string{"token", "create", "--data-dir", dir}, "token create: missing NAME"},
		{[]string{"token", "create", "a", "b", "--data-dir", dir}, `token create: unexpected argument "b"`},
		{[]string{"token", "revoke", "--data-dir", dir}, "token revoke: missing ID"},
		{[]string{"version", "now"}, `version: unexpected argument "now"`},
		{[]string{"lines", "--nope", "--data-dir", dir}, "flag provided but not defined: -nope"},
		{[]string{"lines", "--workers", "2", "--data-dir", dir}, "flag provided but not defined: -workers"},
		{[]string{"token"}, "token: which one? create, list, revoke"},
		// Flags alone never start a server.
		{[]string{"--data-dir", dir}, "no command given"},
		{[]string{"demo", "--reports", "many", "--data-dir", dir}, "invalid value"},
		{[]string{"lines", "--log-level", "loud", "--data-dir", dir}, "--log-level / FLOORFEED_LOG_LEVEL"},
	}
	for _, tc := range cases {
		out, _, err := runCLI(t, nil, tc.args...)
		code, msg := exitOf(err)
		if code != 2 || !strings.Contains(msg, tc.want) {
			t.Errorf("floorfeed %v: exit %d, %q; want exit 2 saying %q", tc.args, code, msg, tc.want)
		}
		if out != "" {
			t.Errorf("floorfeed %v printed %q on stdout; a mistake prints nothing there", tc.args, out)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a command-line mistake created the data dir %s: %v", dir, err)
	}
}

// Flags may come before the command, between its words, or after its
// arguments, and mean the same everywhere.
func TestFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"token", "create", "mes", "--data-dir", dir},
		{"--data-dir", dir, "token", "create", "erp"},
		{"token", "--data-dir=" + dir, "create", "qms"},
		{"token", "create", "--data-dir", dir, "--", "-dash-name"},
	} {
		out, _, err := runCLI(t, nil, args...)
		if err != nil || !strings.HasPrefix(out, "fft_") {
			t.Fatalf("floorfeed %v = %q, %v; want a token", args, out, err)
		}
	}
	out, _, err := runCLI(t, nil, "token", "list", "--json", "--data-dir", dir)
	if err != nil {
		t.Fatalf("token list = %v", err)
	}
	for _, name := range []string{`"mes"`, `"erp"`, `"qms"`, `"-dash-name"`} {
		if !strings.Contains(out, name) {
			t.Errorf("token list --json does not show token %s:\n%s", name, out)
		}
	}
}

func TestVersion(t *testing.T) {
	out, _, err := runCLI(t, nil, "version")
	if err != nil || !strings.HasPrefix(out, "floorfeed ") || !strings.Contains(out, "\ngo        go1.") {
		t.Fatalf("version = %q, %v", out, err)
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path != "" && !strings.Contains(out, "module    "+bi.Main.Path) {
		t.Fatalf("version = %q, want the module path %s", out, bi.Main.Path)
	}
	// What a release build records (go build in a git checkout).
	var b bytes.Buffer
	writeVersion(&b, &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/floorfeed/floorfeed", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0025e45c0ffee"},
			{Key: "vcs.time", Value: "2026-11-30T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		},
	}, true)
	for _, want := range []string{"floorfeed v1.4.0\n", "module    github.com/floorfeed/floorfeed\n", "revision  0025e45c0ffee (modified)\n", "committed 2026-11-30T10:00:00Z\n", "go        go1.26.8 "} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("writeVersion = %q, want it to contain %q", b.String(), want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"serve", "lines", "token", "demo", "healthcheck", "version", "help"}
	for in, want := range map[string]string{"tok": "token", "health": "healthcheck", "servr": "serve", "dmeo": "demo", "LINES": "lines"} {
		if got := closest(in, names); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}
