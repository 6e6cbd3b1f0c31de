package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil"
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
