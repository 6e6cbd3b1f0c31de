package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
)

// command is a subcommand, or a group of them (token).
type command struct {
	name    string
	args    []string // names of its positional arguments, e.g. NAME; it takes exactly these, less trailing optional ones written [NAME]
	summary string   // one line, for the command list
	about   string   // a paragraph for its help; summary when empty
	// config is the configuration flags it takes (none for 0).
	config scope
	// setup adds the command's own flags to fs and returns what runs it.
	setup func(fs *flag.FlagSet) action
	subs  []*command
}

// requiredArgs is how many of c.args must be given: all but the trailing
// optional ones ([NAME]).
func (c *command) requiredArgs() int {
	n := len(c.args)
	for n > 0 && strings.HasPrefix(c.args[n-1], "[") {
		n--
	}
	return n
}

// action runs a command with its parsed configuration and arguments.
type action func(ctx context.Context, x *invocation) error

// invocation is one run of a command.
type invocation struct {
	sys
	cfg  *Config // nil for commands without configuration
	args []string
	set  map[string]bool // flags given on the command line
}

// sys is what a run of the program gets from its process.
type sys struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	// setLibLogger routes the logs of libraries with a process-global logger
	// (go-redis) to the program's logger; nil leaves them alone (tests).
	setLibLogger func(*slog.Logger)
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct {
	msg  string
	path string // the command it concerns, for the hint; "" for none
}

func (e *usageError) Error() string { return e.msg }

// exitCode prints err (when it says something) and returns the exit status:
// 0 success, 2 a command-line mistake, 1 anything else.
func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "floorfeed:", ue.msg)
		if ue.path != "" {
			fmt.Fprintf(stderr, "Run 'floorfeed help %s' for usage.\n", ue.path)
		} else {
			fmt.Fprintln(stderr, "Run 'floorfeed help' for the commands.")
		}
		return 2
	}
	fmt.Fprintln(stderr, "floorfeed:", err)
	return 1
}

// fullName is a command's path without the program name ("token create").
func fullName(path []*command) string {
	var names []string
	for _, c := range path[1:] {
		names = append(names, c.name)
	}
	return strings.Join(names, " ")
}

func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// flagSet is the command's flag set, with its action.
func (c *command) flagSet(getenv func(string) string) (*flag.FlagSet, func() (*Config, error), action) {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var build func() (*Config, error)
	if c.config != 0 {
		build = configFlags(fs, c.config, getenv)
	}
	var act action
	if c.setup != nil {
		act = c.setup(fs)
	}
	return fs, build, act
}

// dispatch finds the command args name, wherever flags come among the
// names and arguments, parses its flags and runs it.
func dispatch(ctx context.Context, root *command, args []string, s sys) error {
	if len(args) == 0 {
		printCommands(s.stdout, root)
		return nil
	}
	path := []*command{root}
	cur := root
	var rest []string // flags and positional arguments, in their order
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if isFlag(a) {
			name := flagName(a)
			if len(cur.subs) > 0 && (name == "h" || name == "help") {
				return printHelp(s.stdout, path)
			}
			rest = append(rest, a)
			if !strings.Contains(a, "=") && takesValue(root, name, s.getenv) && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
			continue
		}
		if len(cur.subs) == 0 {
			rest = append(rest, a)
			continue
		}
		if cur == root && a == "help" {
			return runHelp(root, args[i+1:], s)
		}
		next := cur.sub(a)
		if next == nil {
			return unknownCommand(path, a)
		}
		path = append(path, next)
		cur = next
	}
	if len(cur.subs) > 0 {
		if cur == root {
			return &usageError{msg: "no command given (flags alone do not start the server: use 'floorfeed serve')"}
		}
		return &usageError{msg: fmt.Sprintf("%s: which one? %s", fullName(path), subNames(cur)), path: fullName(path)}
	}

	name := fullName(path)
	fs, build, act := cur.flagSet(s.getenv)
	pos, err := parseInterleaved(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		return printHelp(s.stdout, path)
	}
	if err != nil {
		return &usageError{msg: name + ": " + err.Error(), path: name}
	}
	if len(pos) > len(cur.args) {
		return &usageError{msg: fmt.Sprintf("%s: unexpected argument %q", name, pos[len(cur.args)]), path: name}
	}
	if len(pos) < cur.requiredArgs() {
		return &usageError{msg: fmt.Sprintf("%s: missing %s", name, strings.Join(cur.args[len(pos):cur.requiredArgs()], " ")), path: name}
	}
	x := &invocation{sys: s, args: pos, set: map[string]bool{}}
	fs.Visit(func(f *flag.Flag) { x.set[f.Name] = true })
	if build != nil {
		if x.cfg, err = build(); err != nil {
			return &usageError{msg: err.Error(), path: name}
		}
	}
	return act(ctx, x)
}

// parseInterleaved parses flags wherever they come among the positional
// arguments (which it returns in order); "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' }

func flagName(a string) string {
	name := strings.TrimLeft(a, "-")
	name, _, _ = strings.Cut(name, "=")
	return name
}

// takesValue reports whether some command's flag name takes a value (so
// that "--data-dir D" before the command name is one flag, not a flag and
// the command "D").
func takesValue(root *command, name string, getenv func(string) string) bool {
	var walk func(c *command) bool
	walk = func(c *command) bool {
		if len(c.subs) == 0 {
			fs, _, _ := c.flagSet(getenv)
			if f := fs.Lookup(name); f != nil {
				b, ok := f.Value.(interface{ IsBoolFlag() bool })
				return !ok || !b.IsBoolFlag()
			}
			return false
		}
		return slices.ContainsFunc(c.subs, walk)
	}
	return walk(root)
}

func subNames(c *command) string {
	var names []string
	for _, s := range c.subs {
		names = append(names, s.name)
	}
	return strings.Join(names, ", ")
}

// unknownCommand is the error for a name that is no command here, naming
// the closest one.
func unknownCommand(path []*command, name string) error {
	cur := path[len(path)-1]
	candidates := []string{}
	for _, s := range cur.subs {
		candidates = append(candidates, s.name)
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if len(path) > 1 {
		msg = fullName(path) + ": " + msg
	}
	if best := closest(name, candidates); best != "" {
		msg += fmt.Sprintf("; did you mean %q?", strings.TrimSpace(fullName(path)+" "+best))
	}
	return &usageError{msg: msg, path: fullName(path)}
}

// closest returns the candidate nearest to s: one that s is a prefix of,
// else the one with the smallest edit distance.
func closest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), c)
		if strings.HasPrefix(c, strings.ToLower(s)) {
			d = 0
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (in runes).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// runHelp is `floorfeed help [COMMAND...]`.
func runHelp(root *command, names []string, s sys) error {
	path := []*command{root}
	for _, n := range names {
		cur := path[len(path)-1]
		if isFlag(n) {
			continue
		}
		next := cur.sub(n)
		if next == nil {
			return unknownCommand(path, n)
		}
		path = append(path, next)
	}
	return printHelp(s.stdout, path)
}

// printHelp shows a command's help: a group's subcommands, a command's
// usage and flags.
func printHelp(w io.Writer, path []*command) error {
	c := path[len(path)-1]
	if len(path) == 1 {
		printCommands(w, c)
		return nil
	}
	name := fullName(path)
	about := c.about
	if about == "" {
		about = strings.ToUpper(c.summary[:1]) + c.summary[1:] + "."
	}
	if len(c.subs) > 0 {
		fmt.Fprintf(w, "usage: floorfeed %s <command> [arguments] [flags]\n\n%s\n\ncommands:\n", name, about)
		listCommands(w, c, name+" ")
		fmt.Fprintf(w, "\nRun 'floorfeed help %s <command>' for its flags.\n", name)
		return nil
	}
	fmt.Fprintf(w, "usage: floorfeed %s [flags]", name)
	for _, a := range c.args {
		fmt.Fprintf(w, " %s", a)
	}
	fmt.Fprintf(w, "\n\n%s\n", about)
	fs, _, _ := c.flagSet(func(string) string { return "" })
	config := map[string]bool{"redis-url": true}
	for _, st := range settings {
		config[st.flag] = true
	}
	var own, conf []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if config[f.Name] {
			conf = append(conf, f)
		} else {
			own = append(own, f)
		}
	})
	if len(own) > 0 {
		fmt.Fprintln(w, "\nflags (before or after the arguments):")
		printFlags(w, own)
	}
	if len(conf) > 0 {
		fmt.Fprintln(w, "\nconfiguration (flag, or its environment variable):")
		printFlags(w, conf)
	}
	return nil
}

// printFlags lists flags, GNU style.
func printFlags(w io.Writer, flags []*flag.Flag) {
	for _, f := range flags {
		typ, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if typ != "" {
			line += " " + typ
		}
		fmt.Fprintln(w, line)
		switch {
		case f.DefValue == "" || f.DefValue == "false" || f.DefValue == "0":
		case typ == "string":
			usage += fmt.Sprintf(" (default %q)", f.DefValue)
		default:
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "        %s\n", usage)
	}
}

// printCommands is the program's help: every command, one line each.
func printCommands(w io.Writer, root *command) {
	fmt.Fprint(w, "Floorfeed takes production-floor reports from phones and turns them into briefs for R&D.\n\n")
	fmt.Fprint(w, "usage: floorfeed <command> [arguments] [flags]\n\ncommands:\n")
	listCommands(w, root, "")
	fmt.Fprint(w, "\nRun 'floorfeed help <command>' or 'floorfeed <command> -h' for its flags.\n")
	fmt.Fprint(w, "Each configuration flag has a FLOORFEED_* environment twin.\n")
}

// listCommands writes one line per leaf command under c.
func listCommands(w io.Writer, c *command, prefix string) {
	type line struct{ usage, summary string }
	var lines []line
	var walk func(c *command, prefix string)
	walk = func(c *command, prefix string) {
		for _, s := range c.subs {
			if len(s.subs) > 0 {
				walk(s, prefix+s.name+" ")
				continue
			}
			u := prefix + s.name
			for _, a := range s.args {
				u += " " + a
			}
			lines = append(lines, line{u, s.summary})
		}
	}
	walk(c, prefix)
	width := 0
	for _, l := range lines {
		width = max(width, len(l.usage))
	}
	for _, l := range lines {
		fmt.Fprintf(w, "  %-*s  %s\n", width, l.usage, l.summary)
	}
}
