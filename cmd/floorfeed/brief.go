package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/floorfeed/floorfeed/brief"
	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/pdfdoc"
	"github.com/floorfeed/floorfeed/plant"
)

var _ handlers.BriefMaker = (*brief.Maker)(nil)

// newBriefMaker builds the brief maker over be for the HTTP API (and so
// for the CLI, which goes through it), drawing with fonts (pdfFonts).
func newBriefMaker(cfg *Config, be *backend, p *plant.Plant, fonts *pdfdoc.FontSet, log *slog.Logger) (*brief.Maker, error) {
	m, err := brief.New(brief.Deps{Reports: be, Records: be, Plant: p, BaseURL: cfg.BaseURL, TimeZone: cfg.TimeZone, Fonts: fonts, Log: log})
	if err != nil {
		return nil, fmt.Errorf("set up briefs: %w", err)
	}
	return m, nil
}

// setupBrief is `floorfeed brief --from D --to D [--team T] [--lang zh|en]
// -o brief.pdf`: it asks the installation's API (the running server's, or
// one in this process) to make and keep a brief, then writes its PDF.
func setupBrief(fs *flag.FlagSet) action {
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (in the server's time zone) or an RFC 3339 time (required)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD, included, or an RFC 3339 time, excluded (required)")
	team := fs.String("team", "", "the team whose reports the brief covers (default: every team)")
	lang := fs.String("lang", "zh", "language of the brief: zh or en")
	lines := fs.String("lines", "", "only these lines (comma-separated ids)")
	cats := fs.String("categories", "", "only these categories (comma-separated ids)")
	minSev := fs.String("min-severity", "", "only reports at least this severe: low, medium, high or critical")
	out := fs.String("o", "brief.pdf", "write the PDF to this file (- for standard output)")
	return func(ctx context.Context, x *invocation) error {
		if *from == "" || *to == "" {
			return &usageError{msg: "brief: --from and --to are required", path: "brief"}
		}
		if *lang != "zh" && *lang != "en" {
			return &usageError{msg: "brief: --lang must be zh or en", path: "brief"}
		}
		body := map[string]any{"team": *team, "from": *from, "to": *to, "lang": *lang,
			"lines": splitList(*lines), "categories": splitList(*cats), "min_severity": *minSev}
		return withAdminAPI(ctx, x, accessExisting, func(api *adminAPI) error {
			var made handlers.BriefCreated
			if err := api.call(ctx, http.MethodPost, "/api/v1/briefs", body, &made); err != nil {
				return fmt.Errorf("brief: %w", err)
			}
			pdf, err := api.fetch(ctx, made.URL) // qr.go
			if err != nil {
				return fmt.Errorf("brief %s: %w", made.ID, err)
			}
			if err := writeOutput(x.stdout, *out, pdf); err != nil {
				return fmt.Errorf("brief %s: %w", made.ID, err)
			}
			n := made.Summary.Numbers
			fmt.Fprintf(x.stderr, "brief %s: %d reports (%d critical, %d open), %d bytes of PDF written to %s\n",
				made.ID, n.Reports, n.Critical, n.Open, len(pdf), *out)
			return nil
		})
	}
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
