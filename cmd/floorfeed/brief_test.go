package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/photo"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
)

func mustPDFText(t *testing.T, path string) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if testutil.InCI() {
			t.Fatal("pdftotext not found and CI=true: install poppler-utils")
		}
		t.Skip("pdftotext not found: install poppler-utils")
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out)
}

// TestBriefCommand makes briefs of demo data with `floorfeed brief`, on
// the embedded store directly and through a running server's admin socket,
// in both languages, and checks the PDF and the kept briefs.
func TestBriefCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"FLOORFEED_DATA_DIR": dir, "FLOORFEED_TIME_ZONE": "Asia/Shanghai"}
	if _, _, err := runCLI(t, env, "demo", "--reports", "120", "--seed", "3"); err != nil {
		t.Fatalf("demo = %v", err)
	}
	from := time.Now().AddDate(0, 0, -7).Format(time.DateOnly)
	to := time.Now().Format(time.DateOnly)

	if _, _, err := runCLI(t, env, "brief", "--to", to); err == nil || !strings.Contains(err.Error(), "--from and --to are required") {
		t.Errorf("brief without --from = %v, want a usage error", err)
	}
	if _, _, err := runCLI(t, env, "brief", "--from", from, "--to", to, "--team", "no-such-team", "-o", filepath.Join(dir, "x.pdf")); err == nil {
		t.Errorf("brief --team no-such-team = nil error, want the team named unknown")
	}

	zh := filepath.Join(dir, "zh.pdf")
	_, errOut, err := runCLI(t, env, "brief", "--from", from, "--to", to, "--team", "separation", "-o", zh)
	if err != nil || !strings.Contains(errOut, "written to "+zh) {
		t.Fatalf("brief (embedded) = %v, stderr %q", err, errOut)
	}
	b, err := os.ReadFile(zh)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("%s: %v, starts %.8q; want a PDF", zh, err, b)
	}
	if text := mustPDFText(t, zh); !strings.Contains(text, "研发简报") || !strings.Contains(text, "分离工艺研发组") {
		t.Errorf("zh brief text lacks its title and team: %.300q", text)
	}

	startServe(t, env, "--log-level", "error") // holds the embedded store: the CLI goes through its admin socket
	en := filepath.Join(dir, "en.pdf")
	if _, errOut, err := runCLI(t, env, "brief", "--from", from, "--to", to, "--lang", "en", "-o", en); err != nil {
		t.Fatalf("brief (through the server) = %v, stderr %q", err, errOut)
	}
	text := mustPDFText(t, en)
	for _, want := range []string{"R&D brief", "All teams", "Appendix"} {
		if !strings.Contains(text, want) {
			t.Errorf("en brief text lacks %q", want)
		}
	}
	stdout, _, err := runCLI(t, env, "brief", "--from", from, "--to", to, "-o", "-")
	if err != nil || !strings.HasPrefix(stdout, "%PDF-") {
		t.Errorf("brief -o - = %v, stdout starts %.8q; want the PDF on stdout", err, stdout)
	}
}

// TestBriefRenderer drives the scheduled briefs' renderer (the delivery
// adapter) over a real store with a photo in the photo store: the brief is
// kept, its headline is the brief's numbers, and the photo's re-encoded
// thumbnail is in the PDF.
func TestBriefRenderer(t *testing.T) {
	cfg, be, p := openTestBackend(t)
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	at := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	src := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			src.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 90, A: 255})
		}
	}
	var orig bytes.Buffer
	if err := png.Encode(&orig, src); err != nil {
		t.Fatal(err)
	}
	proc, err := photo.Process(orig.Bytes())
	if err != nil {
		t.Fatalf("photo.Process: %v", err)
	}
	sub := storetest.MakeSubmission("renderer-1", at, func(r *store.Report) {
		r.Team, r.Severity, r.Title = "separation", store.SeverityCritical, "紧急：萃取槽泄漏"
		r.Photos = []store.Photo{{ID: "ph1", Width: proc.Width, Height: proc.Height, State: store.PhotoReady}}
	})
	r, _, err := be.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if err := photoStore(cfg, be).Put(ctx, r.ID, "ph1", photo.Thumb, proc.Thumb); err != nil {
		t.Fatal(err)
	}
	rend := briefRenderer(cfg, be, p, log)
	if rend == nil {
		t.Fatal("briefRenderer = nil, want the adapter over package brief")
	}
	got, err := rend.RenderBrief(ctx, delivery.BriefSpec{Team: "separation", From: at.Add(-24 * time.Hour), To: at.Add(6 * 24 * time.Hour),
		Lang: i18n.Zh, Lines: []string{"sx-1", "calc-1"}})
	if err != nil {
		t.Fatalf("RenderBrief = %v", err)
	}
	if got.ID == "" || got.Headline.Reports != 1 || got.Headline.Critical != 1 || !bytes.HasPrefix(got.PDF, []byte("%PDF-")) {
		t.Errorf("RenderBrief = id %q, headline %+v, %d bytes; want a kept brief of 1 critical report", got.ID, got.Headline, len(got.PDF))
	}
	if n := bytes.Count(got.PDF, []byte("/Subtype /Image")); n != 1 {
		t.Errorf("PDF has %d images, want the report's thumbnail", n)
	}
}
