package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"

	"github.com/floorfeed/floorfeed/handlers"
)

// The user commands manage dashboard accounts through the admin API (see
// adminAPI): while a server runs, through its admin socket; otherwise on
// the store itself.

// userCommand is the command table's entry for "floorfeed user".
func userCommand() *command {
	return &command{name: "user", summary: "add, list, disable and enable dashboard users", subs: []*command{
		{name: "add", args: []string{"NAME"}, summary: "add a dashboard user (password on stdin)", config: scopeAdmin, setup: setupUserAdd,
			about: "Add a dashboard user with a role: admin (everything), rnd (triage and reply), viewer (read only).\n" +
				"The password is read from standard input: asked twice without echo on a terminal, else the first line."},
		{name: "list", summary: "list the dashboard users", config: scopeAdmin, setup: setupUserList},
		{name: "disable", args: []string{"NAME"}, summary: "disable a user: their sessions end at once", config: scopeAdmin, setup: setupUserSet(true)},
		{name: "enable", args: []string{"NAME"}, summary: "enable a disabled user again", config: scopeAdmin, setup: setupUserSet(false)},
	}}
}

func setupUserAdd(fs *flag.FlagSet) action {
	role := fs.String("role", "", "the user's role: admin, rnd or viewer (required)")
	return func(ctx context.Context, x *invocation) error {
		switch *role {
		case "admin", "rnd", "viewer":
		default:
			return &usageError{msg: "user add: --role must be admin, rnd or viewer", path: "floorfeed user add"}
		}
		pw, err := readPassword(x.stdin, x.stderr)
		if err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		return withAdminAPI(ctx, x, accessCreate, func(api *adminAPI) error {
			var u handlers.AdminUser
			err := api.call(ctx, http.MethodPost, "/api/v1/admin/users", map[string]string{"name": x.args[0], "role": *role, "password": pw}, &u)
			if err != nil {
				return fmt.Errorf("user add: %w", err)
			}
			fmt.Fprintf(x.stdout, "added %s (%s)\n", u.Name, u.Role)
			return nil
		})
	}
}

func setupUserList(fs *flag.FlagSet) action {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, x *invocation) error {
		return withAdminAPI(ctx, x, accessReadOnly, func(api *adminAPI) error {
			var list []handlers.AdminUser
			if err := api.call(ctx, http.MethodGet, "/api/v1/admin/users", nil, &list); err != nil {
				return fmt.Errorf("user list: %w", err)
			}
			if *asJSON {
				enc := json.NewEncoder(x.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			tw := tabwriter.NewWriter(x.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tLAST SIGN-IN")
			for _, u := range list {
				status, last := "active", "never"
				if u.Disabled {
					status = "disabled"
				}
				if !u.LastLoginAt.IsZero() {
					last = u.LastLoginAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, status, last)
			}
			return tw.Flush()
		})
	}
}

func setupUserSet(disabled bool) func(*flag.FlagSet) action {
	verb := map[bool]string{true: "disable", false: "enable"}[disabled]
	return func(*flag.FlagSet) action {
		return func(ctx context.Context, x *invocation) error {
			name := x.args[0]
			return withAdminAPI(ctx, x, accessExisting, func(api *adminAPI) error {
				var u handlers.AdminUser
				err := api.call(ctx, http.MethodPatch, "/api/v1/admin/users/"+url.PathEscape(name), map[string]bool{"disabled": disabled}, &u)
				var ae *apiError
				if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
					return fmt.Errorf("user %s: no user %q (see floorfeed user list)", verb, name)
				}
				if err != nil {
					return fmt.Errorf("user %s: %w", verb, err)
				}
				fmt.Fprintf(x.stdout, "%sd %s\n", verb, u.Name)
				return nil
			})
		}
	}
}

// readPassword reads a new password: from a terminal, twice and without
// echo (prompts on w); from anything else, the first line.
func readPassword(in io.Reader, w io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok {
		if t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
			return readTerminalPassword(f, t, w)
		}
	}
	line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password on standard input (pipe it in, e.g. printf '%s\\n' \"$PW\" | floorfeed user add …)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func readTerminalPassword(f *os.File, saved *unix.Termios, w io.Writer) (string, error) {
	fd := int(f.Fd())
	noEcho := *saved
	noEcho.Lflag &^= unix.ECHO
	noEcho.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &noEcho); err != nil {
		return "", fmt.Errorf("turn off echo: %w", err)
	}
	defer func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, saved) }()
	r := bufio.NewReader(f)
	ask := func(prompt string) (string, error) {
		fmt.Fprint(w, prompt)
		line, err := r.ReadString('\n')
		fmt.Fprintln(w)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	pw, err := ask("Password (at least 10 characters): ")
	if err != nil {
		return "", err
	}
	again, err := ask("Password again: ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("the two passwords differ")
	}
	return pw, nil
}
