package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/floorfeed/floorfeed/handlers"
)

// commands is the command tree.
func commands() *command {
	return &command{name: "floorfeed", subs: []*command{
		{name: "serve", summary: "run the web server and the workers", config: scopeAll, setup: setupServe,
			about: "Run the web server and the workers until SIGINT or SIGTERM, then drain and stop (exit 0).\n" +
				"With the embedded store it also serves the API to admin commands on the admin socket in the data dir."},
		{name: "lines", summary: "list the lines with their QR form URLs", config: scopeAdmin, setup: setupLines,
			about: "List the lines with their QR form URLs. While a server runs, the URLs are the server's (its base URL and secret).\n" +
				"Reads only: where there is no store, it says so and creates nothing."},
		{name: "qr", summary: "write the A4 sheet of QR stickers, one per line and station (PDF)", config: scopeAdmin, setup: setupQR, about: "Write the printable A4 sheet of QR stickers, one per line and per station: -o FILE (- for standard output), --lang zh|en for the language printed first.\nWhile a server runs, the codes are the server's (its base URL and secret). Reads only: where there is no store, it says so and creates nothing."},
		{name: "token", summary: "create, list and revoke API tokens", subs: []*command{
			{name: "create", args: []string{"NAME"}, summary: "create an API token (printed once)", config: scopeAdmin, setup: setupTokenCreate},
			{name: "list", summary: "list the API tokens with their last use", config: scopeAdmin, setup: setupTokenList},
			{name: "revoke", args: []string{"ID"}, summary: "revoke an API token: it stops working at once", config: scopeAdmin, setup: setupTokenRevoke},
		}},
		userCommand(),
		{name: "jobs", summary: "list and retry dead-lettered jobs", subs: []*command{
			{name: "dead", summary: "list the jobs that failed their last attempt, newest first", config: scopeAdmin, setup: setupJobsDead},
			{name: "retry", args: []string{"[ID]"}, summary: "put a dead job (or --all) back into its queue", config: scopeAdmin, setup: setupJobsRetry},
		}},
		{name: "reindex", summary: "put every report into the indexes of its fields (after a rolling upgrade)", config: scopeAdmin, setup: setupReindex,
			about: "Put every report into the index of each of its fields (line, category, severity, status, team). Safe to run at any time;\n" +
				"needed once after a rolling upgrade from a version without the team index, when the last old instance has stopped."},
		{name: "demo", summary: "load realistic sample reports", config: scopeAdmin, setup: setupDemo},
		{name: "backup", summary: "write a consistent copy of the embedded store (works while the server runs)", config: scopeAdmin, setup: setupBackup},
		{name: "restore", args: []string{"FILE"}, summary: "put a backup back (server stopped; the current file is kept aside)", config: scopeAdmin, setup: setupRestore},
		{name: "export", summary: "write everything (reports, jobs, tokens, records, secret) as JSON lines, for either backend", config: scopeAdmin, setup: setupExport},
		{name: "import", args: []string{"FILE"}, summary: "read an export into an empty store (embedded or Redis)", config: scopeAdmin, setup: setupImport},
		{name: "healthcheck", summary: "check the local server's /healthz (for Docker)", config: scopeAddr, setup: setupHealthcheck},
		{name: "version", summary: "print the version and VCS revision", setup: setupVersion},
		{name: "help", args: []string{"[COMMAND]"}, summary: "show the commands, or a command's flags"},
	}}
}

func setupServe(*flag.FlagSet) action {
	return func(ctx context.Context, x *invocation) error {
		log := x.cfg.newLogger(x.stderr, slog.LevelDebug)
		if x.setLibLogger != nil {
			x.setLibLogger(log)
		}
		srv, err := newServer(ctx, x.cfg, log)
		if err != nil {
			return err
		}
		return srv.run(ctx)
	}
}

// withAdminAPI runs fn with the installation's admin API (see adminAPI);
// access says what the command may do to the installation.
func withAdminAPI(ctx context.Context, x *invocation, access storeAccess, fn func(*adminAPI) error) error {
	log := x.cfg.newLogger(x.stderr, slog.LevelWarn)
	if x.setLibLogger != nil {
		x.setLibLogger(log)
	}
	api, err := openAdminAPI(ctx, x.cfg, log, access)
	if err != nil {
		return err
	}
	defer api.Close()
	return fn(api)
}

func setupLines(fs *flag.FlagSet) action {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, x *invocation) error {
		return withAdminAPI(ctx, x, accessReadOnly, func(api *adminAPI) error {
			var lines []handlers.AdminLine
			if err := api.call(ctx, http.MethodGet, "/api/v1/admin/lines", nil, &lines); err != nil {
				return fmt.Errorf("lines: %w", err)
			}
			if api.server && x.set["base-url"] && len(lines) > 0 && !strings.HasPrefix(lines[0].FormURL, x.cfg.BaseURL+"/") {
				fmt.Fprintf(x.stderr, "note: --base-url %s ignored: the running server's base URL is in the links\n", x.cfg.BaseURL)
			}
			if *asJSON {
				enc := json.NewEncoder(x.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(lines)
			}
			tw := tabwriter.NewWriter(x.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\t中文\tENGLISH\tFORM URL")
			for _, l := range lines {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.ID, l.NameZH, l.NameEN, l.FormURL)
			}
			return tw.Flush()
		})
	}
}

func setupTokenCreate(*flag.FlagSet) action {
	return func(ctx context.Context, x *invocation) error {
		return withAdminAPI(ctx, x, accessCreate, func(api *adminAPI) error {
			var tok handlers.AdminToken
			if err := api.call(ctx, http.MethodPost, "/api/v1/admin/tokens", map[string]string{"name": x.args[0]}, &tok); err != nil {
				return fmt.Errorf("token create: %w", err)
			}
			fmt.Fprintln(x.stdout, tok.Token)
			fmt.Fprintf(x.stderr, "token %s (%s) created; it is shown this once\n", tok.ID, tok.Name)
			return nil
		})
	}
}

func setupTokenList(fs *flag.FlagSet) action {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, x *invocation) error {
		return withAdminAPI(ctx, x, accessReadOnly, func(api *adminAPI) error {
			var list []handlers.AdminToken
			if err := api.call(ctx, http.MethodGet, "/api/v1/admin/tokens", nil, &list); err != nil {
				return fmt.Errorf("token list: %w", err)
			}
			if *asJSON {
				enc := json.NewEncoder(x.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			// In the server's time zone, like everything else it shows.
			var st handlers.AdminSettings
			if err := api.call(ctx, http.MethodGet, "/api/v1/admin/settings", nil, &st); err != nil {
				return fmt.Errorf("token list: %w", err)
			}
			tz, err := time.LoadLocation(st.TimeZone)
			if err != nil {
				tz = time.UTC
			}
			tw := tabwriter.NewWriter(x.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tCREATED\tLAST USED")
			for _, t := range list {
				used := "never"
				if !t.LastUsedAt.IsZero() {
					used = t.LastUsedAt.In(tz).Format("2006-01-02 15:04 MST")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Name, t.CreatedAt.In(tz).Format("2006-01-02 15:04 MST"), used)
			}
			return tw.Flush()
		})
	}
}

func setupTokenRevoke(*flag.FlagSet) action {
	return func(ctx context.Context, x *invocation) error {
		id := x.args[0]
		return withAdminAPI(ctx, x, accessExisting, func(api *adminAPI) error {
			err := api.call(ctx, http.MethodDelete, "/api/v1/admin/tokens/"+url.PathEscape(id), nil, nil)
			var ae *apiError
			if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
				return fmt.Errorf("token revoke: no token with id %q (see floorfeed token list)", id)
			}
			if err != nil {
				return fmt.Errorf("token revoke: %w", err)
			}
			fmt.Fprintf(x.stdout, "revoked %s\n", id)
			return nil
		})
	}
}

func setupJobsDead(fs *flag.FlagSet) action {
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 50, "at most this many jobs (1-500)")
	return func(ctx context.Context, x *invocation) error {
		return withAdminAPI(ctx, x, accessReadOnly, func(api *adminAPI) error {
			var jobs []handlers.AdminDeadJob
			if err := api.call(ctx, http.MethodGet, "/api/v1/admin/jobs/dead?limit="+strconv.Itoa(*limit), nil, &jobs); err != nil {
				return fmt.Errorf("jobs dead: %w", err)
			}
			if *asJSON {
				enc := json.NewEncoder(x.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(jobs)
			}
			if len(jobs) == 0 {
				fmt.Fprintln(x.stdout, "no dead jobs")
				return nil
			}
			tw := tabwriter.NewWriter(x.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tQUEUE\tTYPE\tREPORT\tATTEMPTS\tDIED\tLAST ERROR")
			for _, j := range jobs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", j.ID, j.Queue, j.Type, j.ReportID, j.Attempt,
					j.DeadAt.UTC().Format("2006-01-02 15:04Z"), oneLine(j.LastError, 80))
			}
			return tw.Flush()
		})
	}
}

func setupJobsRetry(fs *flag.FlagSet) action {
	all := fs.Bool("all", false, "retry every dead job")
	return func(ctx context.Context, x *invocation) error {
		if *all == (len(x.args) == 1) {
			return &usageError{msg: "jobs retry: give a job ID or --all (not both)", path: "jobs retry"}
		}
		return withAdminAPI(ctx, x, accessExisting, func(api *adminAPI) error {
			if *all {
				var res struct {
					Retried int `json:"retried"`
				}
				if err := api.call(ctx, http.MethodPost, "/api/v1/admin/jobs/dead/retry", nil, &res); err != nil {
					return fmt.Errorf("jobs retry: %w", err)
				}
				fmt.Fprintf(x.stdout, "retried %d dead jobs\n", res.Retried)
				return nil
			}
			id := x.args[0]
			err := api.call(ctx, http.MethodPost, "/api/v1/admin/jobs/dead/"+url.PathEscape(id)+"/retry", nil, nil)
			var ae *apiError
			if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
				return fmt.Errorf("jobs retry: no dead job with id %q (see floorfeed jobs dead)", id)
			}
			if err != nil {
				return fmt.Errorf("jobs retry: %w", err)
			}
			fmt.Fprintf(x.stdout, "retried %s\n", id)
			return nil
		})
	}
}

// oneLine shortens s to one line of at most n characters, for a table.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func setupReindex(*flag.FlagSet) action {
	return func(ctx context.Context, x *invocation) error {
		return withAdminAPI(ctx, x, accessExisting, func(api *adminAPI) error {
			var res struct {
				Added int `json:"added"`
			}
			if err := api.call(ctx, http.MethodPost, "/api/v1/admin/reindex", nil, &res); err != nil {
				return fmt.Errorf("reindex: %w", err)
			}
			fmt.Fprintf(x.stdout, "added %d missing index entries\n", res.Added)
			return nil
		})
	}
}

func setupDemo(fs *flag.FlagSet) action {
	n := fs.Int("reports", 300, "how many sample reports to load")
	seed := fs.Int64("seed", 0, "random seed (0: from the clock, so each run adds new reports)")
	return func(ctx context.Context, x *invocation) error {
		if *seed == 0 {
			*seed = time.Now().UnixNano()
		}
		return withAdminAPI(ctx, x, accessCreate, func(api *adminAPI) error {
			var res struct {
				Created int `json:"created"`
			}
			if err := api.call(ctx, http.MethodPost, "/api/v1/admin/demo", map[string]any{"reports": *n, "seed": *seed}, &res); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			fmt.Fprintf(x.stdout, "loaded %d demo reports (seed %d)\n", res.Created, *seed)
			return nil
		})
	}
}

// setupHealthcheck is the Docker HEALTHCHECK: distroless images have no curl.
func setupHealthcheck(*flag.FlagSet) action {
	return func(ctx context.Context, x *invocation) error {
		_, port, _ := net.SplitHostPort(x.cfg.Addr)
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", port)+"/healthz", nil)
		if err != nil {
			return err
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("healthcheck: /healthz answered %s", res.Status)
		}
		fmt.Fprintln(x.stdout, "ok")
		return nil
	}
}

func setupVersion(*flag.FlagSet) action {
	return func(_ context.Context, x *invocation) error {
		bi, ok := debug.ReadBuildInfo()
		writeVersion(x.stdout, bi, ok)
		return nil
	}
}

// writeVersion prints the module version and VCS revision the binary was
// built from (runtime/debug.ReadBuildInfo).
func writeVersion(w io.Writer, bi *debug.BuildInfo, ok bool) {
	if !ok {
		fmt.Fprintf(w, "floorfeed (no build information)\ngo        %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	fmt.Fprintf(w, "floorfeed %s\n", version)
	if bi.Main.Path != "" {
		fmt.Fprintf(w, "module    %s\n", bi.Main.Path)
	}
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	if rev := vcs["vcs.revision"]; rev != "" {
		if vcs["vcs.modified"] == "true" {
			rev += " (modified)"
		}
		fmt.Fprintf(w, "revision  %s\n", rev)
		if t := vcs["vcs.time"]; t != "" {
			fmt.Fprintf(w, "committed %s\n", t)
		}
	} else {
		fmt.Fprintln(w, "revision  unknown (built without VCS information, e.g. -buildvcs=false or outside a git checkout)")
	}
	fmt.Fprintf(w, "go        %s %s/%s\n", bi.GoVersion, runtime.GOOS, runtime.GOARCH)
}
