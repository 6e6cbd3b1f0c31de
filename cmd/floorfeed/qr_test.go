package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/pdfdoc/pdfdoctest"
)

// stickerURLs are the URLs a sheet must carry given `lines --json`: each
// line's, then one per station (&s=, spaces as %20).
func stickerURLs(lines []handlers.AdminLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.FormURL)
		for _, st := range l.Stations {
			out = append(out, l.FormURL+"&s="+strings.ReplaceAll(url.QueryEscape(st), "+", "%20"))
		}
	}
	return slices.Sorted(slices.Values(out))
}

func decodeSheet(t *testing.T, path string) []string {
	t.Helper()
	pdf, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the sheet: %v", err)
	}
	var got []string
	for _, page := range pdfdoctest.Pages(t, pdf, 150) {
		got = append(got, pdfdoctest.QRCodes(t, page)...)
	}
	slices.Sort(got)
	return got
}

func mustLines(t *testing.T, env map[string]string, args ...string) []handlers.AdminLine {
	t.Helper()
	out, _, err := runCLI(t, env, append([]string{"lines", "--json"}, args...)...)
	var lines []handlers.AdminLine
	if err != nil || json.Unmarshal([]byte(out), &lines) != nil || len(lines) == 0 {
		t.Fatalf("lines --json = %q, %v", out, err)
	}
	return lines
}

// `floorfeed qr` in-process and through a running server's socket: every
// code decodes to the URL `lines` prints (the server's base URL and secret
// while it runs), and each opens the running server's form.
func TestQRCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"FLOORFEED_DATA_DIR": dir}
	mustToken(t, env, "setup") // makes the store

	inproc := filepath.Join(t.TempDir(), "inproc.pdf")
	out, _, err := runCLI(t, env, "qr", "-o", inproc, "--lang", "en", "--base-url", "https://in.process.example")
	if err != nil || !strings.Contains(out, "wrote "+inproc) {
		t.Fatalf("qr in-process = %q, %v", out, err)
	}
	want := stickerURLs(mustLines(t, env, "--base-url", "https://in.process.example"))
	if got := decodeSheet(t, inproc); !slices.Equal(got, want) {
		t.Fatalf("in-process sheet decodes to\n %q\nwant\n %q", got, want)
	}

	srv := startServe(t, env, "--log-level", "error", "--base-url", "https://served.example")
	served := filepath.Join(t.TempDir(), "served.pdf")
	out, stderr, err := runCLI(t, env, "qr", "-o", served, "--base-url", "https://ignored.example")
	if err != nil || !strings.Contains(out, "wrote "+served) || !strings.Contains(stderr, "ignored") {
		t.Fatalf("qr through the socket = %q %q, %v; want a note that --base-url is ignored", out, stderr, err)
	}
	want = stickerURLs(mustLines(t, env))
	got := decodeSheet(t, served)
	if !slices.Equal(got, want) || !strings.HasPrefix(got[0], "https://served.example/r/") {
		t.Fatalf("served sheet decodes to\n %q\nwant\n %q (the server's base URL)", got, want)
	}
	for _, u := range got {
		res, err := http.Get(srv.URL + strings.TrimPrefix(u, "https://served.example"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s on the server = %d, want the form", u, res.StatusCode)
		}
	}
}

// On a data dir without a store, qr says so, exits 1 and creates nothing:
// neither the store nor the output file. A bad --lang is a usage error.
func TestQRCommandNeedsAStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	outDir := t.TempDir()
	_, _, err := runCLI(t, nil, "qr", "-o", filepath.Join(outDir, "x.pdf"), "--data-dir", dir)
	if code, msg := exitOf(err); code != 1 || !strings.Contains(msg, "no Floorfeed store in "+dir) {
		t.Fatalf("qr on a data dir with no store = exit %d %q, want 1 saying so", code, msg)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("qr created the data dir: %v", err)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
		t.Errorf("qr left %v in the output directory", entries)
	}
	_, _, err = runCLI(t, nil, "qr", "--lang", "fr", "--data-dir", dir)
	if code, msg := exitOf(err); code != 2 || !strings.Contains(msg, "zh or en") {
		t.Fatalf("qr --lang fr = exit %d %q, want 2 naming zh and en", code, msg)
	}
}

// A font override gofpdf cannot embed stops a command (and the server,
// through the same newApp) at start, naming the setting; a TrueType one is
// accepted.
func TestPDFFontValidatedAtStart(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustToken(t, map[string]string{"FLOORFEED_DATA_DIR": data}, "x")
	ttc, ttf := filepath.Join(dir, "fonts.ttc"), filepath.Join(dir, "go.ttf")
	if err := os.WriteFile(ttc, []byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ttf, goregular.TTF, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FLOORFEED_DATA_DIR": data, "FLOORFEED_PDF_FONT": ttc}
	_, _, err := runCLI(t, env, "qr", "-o", filepath.Join(dir, "x.pdf"))
	if code, msg := exitOf(err); code != 1 || !strings.Contains(msg, "FLOORFEED_PDF_FONT") || !strings.Contains(msg, "collection") {
		t.Fatalf("qr with a .ttc font = exit %d %q, want 1 naming FLOORFEED_PDF_FONT and the collection", code, msg)
	}
	env["FLOORFEED_PDF_FONT"] = ttf
	if out, _, err := runCLI(t, env, "qr", "-o", filepath.Join(dir, "x.pdf")); err != nil {
		t.Fatalf("qr with a TrueType font = %q, %v", out, err)
	}
}
