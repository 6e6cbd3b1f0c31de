package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg" // thumbnails
	_ "image/png"
	"log/slog"
	"net/http"
	"strings"

	"github.com/floorfeed/floorfeed/brief"
	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/pdfdoc"
	"github.com/floorfeed/floorfeed/photo"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

var _ handlers.BriefMaker = (*brief.Maker)(nil)

// newBriefMaker builds the brief maker over be for the HTTP API (and so
// for the CLI, which goes through it), drawing with fonts (pdfFonts).
func newBriefMaker(cfg *Config, be *backend, p *plant.Plant, fonts *pdfdoc.FontSet, log *slog.Logger) (*brief.Maker, error) {
	m, err := brief.New(brief.Deps{Reports: be, Records: be, Plant: p, BaseURL: cfg.BaseURL, TimeZone: cfg.TimeZone, Fonts: fonts,
		Thumbnails: photoThumbs{photoStore(cfg, be)}, Log: log})
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

// briefRendererFor is the scheduled briefs' renderer (delivery.BriefRenderer)
// over package brief, or nil (logged) when the PDF fonts do not load.
func briefRendererFor(cfg *Config, be *backend, p *plant.Plant, log *slog.Logger) delivery.BriefRenderer {
	fonts, err := cfg.pdfFonts()
	if err != nil {
		log.Error("scheduled briefs are off", "err", err)
		return nil
	}
	m, err := newBriefMaker(cfg, be, p, fonts, log)
	if err != nil {
		log.Error("scheduled briefs are off", "err", err)
		return nil
	}
	return briefAdapter{m}
}

// briefAdapter makes a delivery.BriefSpec's brief with a brief.Maker.
type briefAdapter struct{ m *brief.Maker }

var _ delivery.BriefRenderer = briefAdapter{}

// RenderBrief implements delivery.BriefRenderer.
func (a briefAdapter) RenderBrief(ctx context.Context, s delivery.BriefSpec) (delivery.RenderedBrief, error) {
	b, err := a.m.Make(ctx, brief.Request{Team: s.Team, From: s.From, To: s.To, Lang: s.Lang,
		Lines: s.Lines, Categories: s.Categories, MinSeverity: store.Severity(s.MinSeverity)})
	if err != nil {
		return delivery.RenderedBrief{}, err
	}
	n := b.Summary.Numbers
	out := delivery.RenderedBrief{ID: b.ID, PDF: b.PDF, Headline: delivery.Headline{
		Reports: n.Reports, Critical: n.Critical, PreviousReports: n.Previous, Open: n.Open,
		Resolved: n.Resolved, Votes: n.Votes, MedianResponse: n.MedianResponse}}
	for _, t := range b.Summary.Themes {
		out.Themes = append(out.Themes, delivery.Theme{Title: t.Title, Terms: t.Terms, Reports: t.Count, Votes: t.Votes, Lines: t.Lines})
	}
	return out, nil
}

// photoThumbs gives a brief the thumbnails of the photo store: the
// re-encoded thumbnail variant, decoded after its header's pixel count is
// checked.
type photoThumbs struct{ st photo.Store }

var _ brief.Thumbnails = photoThumbs{}

// maxThumbPixels bounds a thumbnail decoded for a brief (they are at most
// photo.ThumbSide on their long side).
const maxThumbPixels = 4 * photo.ThumbSide * photo.ThumbSide

// Thumbnail implements brief.Thumbnails.
func (t photoThumbs) Thumbnail(ctx context.Context, reportID, photoID string) (image.Image, error) {
	b, err := t.st.Get(ctx, reportID, photoID, photo.Thumb)
	if err != nil {
		return nil, err
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("thumbnail %s/%s: %w", reportID, photoID, err)
	}
	if cfg.Width*cfg.Height > maxThumbPixels {
		return nil, fmt.Errorf("thumbnail %s/%s: %d×%d pixels is not a thumbnail", reportID, photoID, cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("thumbnail %s/%s: %w", reportID, photoID, err)
	}
	return img, nil
}
