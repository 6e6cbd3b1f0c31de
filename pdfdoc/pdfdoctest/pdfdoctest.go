// Package pdfdoctest reads rendered PDFs back in tests with poppler-utils
// (pdftotext, pdftoppm) and zbar-tools (zbarimg): what a document's text
// extracts to, its pages as PNG files, the QR codes on them. Each helper
// skips the test when its tool is missing, and fails it when testutil.InCI.
package pdfdoctest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/internal/testutil"
)

// Tool returns the path of an external program, or skips tb (fails it in
// CI); pkg is the Debian package that provides it.
func Tool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if testutil.InCI() {
			tb.Fatalf("%s not found on PATH and CI=true: install %s", name, pkg)
		}
		tb.Skipf("%s not found on PATH: skipping (install %s to run this test)", name, pkg)
	}
	return p
}

// Text returns what pdftotext extracts from pdf (in reading order, pages
// separated by form feeds).
func Text(tb testing.TB, pdf []byte) string {
	tb.Helper()
	bin := Tool(tb, "pdftotext", "poppler-utils")
	cmd := exec.Command(bin, "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("pdftotext: %v: %s", err, stderr.String())
	}
	return string(out)
}

// Pages renders pdf with pdftoppm at dpi and returns the PNG files, one per
// page in order, in a temporary directory.
func Pages(tb testing.TB, pdf []byte, dpi int) []string {
	tb.Helper()
	bin := Tool(tb, "pdftoppm", "poppler-utils")
	dir := tb.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(bin, "-r", strconv.Itoa(dpi), "-png", in, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		tb.Fatalf("pdftoppm: %v: %s", err, out)
	}
	files, err := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if err != nil {
		tb.Fatal(err)
	}
	// page-1.png … page-10.png: sort by number, not by name.
	slices.SortFunc(files, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	return files
}

// QRCodes returns the QR codes zbarimg finds in an image file, one decoded
// payload each (none is no error).
func QRCodes(tb testing.TB, file string) []string {
	tb.Helper()
	bin := Tool(tb, "zbarimg", "zbar-tools")
	cmd := exec.Command(bin, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", file)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 4 {
		return nil // zbarimg: no symbol found
	} else if err != nil {
		tb.Fatalf("zbarimg %s: %v: %s", file, err, stderr.String())
	}
	var codes []string
	for _, l := range strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n") {
		if l != "" {
			codes = append(codes, l)
		}
	}
	return codes
}
