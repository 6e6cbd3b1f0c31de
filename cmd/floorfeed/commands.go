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
	"text/tabwriter"
	"time"

	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
)

// lineInfo is one line as `floorfeed lines --json` prints it.
type lineInfo struct {
	ID      string   `json:"id"`
	Site    string   `json:"site,omitempty"`
	NameZH  string   `json:"name_zh"`
	NameEN  string   `json:"name_en"`
	Team    string   `json:"team,omitempty"`
	FormURL string   `json:"form_url"`
	Station []string `json:"stations,omitempty"`
}

func runLines(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var asJSON bool
	cfg, _, err := parseConfig("lines", args, getenv, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	})
	if err != nil {
		return err
	}
	p, err := plant.Load(cfg.PlantFile)
	if err != nil {
		return fmt.Errorf("--config / FLOORFEED_CONFIG: %w", err)
	}
	signer, err := signerFor(ctx, cfg)
	if err != nil {
		return err
	}
	var lines []lineInfo
	for _, l := range p.Lines {
		lines = append(lines, lineInfo{
			ID: l.ID, Site: l.Site, NameZH: l.Name.ZH, NameEN: l.Name.EN, Team: l.Team, Station: l.Stations,
			FormURL: FormURL(cfg.BaseURL, l.ID, signer),
		})
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(lines)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\t中文\tENGLISH\tFORM URL")
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.ID, l.NameZH, l.NameEN, l.FormURL)
	}
	return tw.Flush()
}

// FormURL is the URL a line's QR code encodes.
func FormURL(baseURL, line string, s *signing.Signer) string {
	return baseURL + "/r/" + url.PathEscape(line) + "?t=" + url.QueryEscape(s.LineToken(line))
}

// signerFor gets the installation's signer without opening the embedded
// database (so it works while the server runs).
func signerFor(ctx context.Context, cfg *Config) (*signing.Signer, error) {
	if cfg.RedisURL == "" {
		return embeddedSigner(cfg)
	}
	be, err := openBackend(ctx, cfg, slog.New(slog.DiscardHandler), 0)
	if err != nil {
		return nil, err
	}
	defer be.Close()
	return be.Signer, nil
}

func runToken(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: floorfeed token create NAME")
	}
	cfg, fs, err := parseConfig("token create", args[1:], getenv, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: floorfeed token create [flags] NAME")
	}
	return withAdmin(ctx, cfg, func(a admin) error {
		tok, err := a.CreateToken(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		return nil
	})
}

func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var n int
	var seed int64
	cfg, _, err := parseConfig("demo", args, getenv, func(fs *flag.FlagSet) {
		fs.IntVar(&n, "reports", 300, "how many sample reports to load")
		fs.Int64Var(&seed, "seed", 0, "random seed (0: from the clock, so each run adds new reports)")
	})
	if err != nil {
		return err
	}
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	return withAdmin(ctx, cfg, func(a admin) error {
		created, err := a.LoadDemo(ctx, n, seed)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "loaded %d demo reports (seed %d)\n", created, seed)
		return nil
	})
}

// runHealthcheck is the Docker HEALTHCHECK: distroless images have no curl.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, _, err := parseConfig("healthcheck", args, getenv, nil)
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(cfg.Addr)
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
	fmt.Fprintln(stdout, "ok")
	return nil
}
