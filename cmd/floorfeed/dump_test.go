package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/signing"
)

// fullReport is what the API shows of a report, field by field.
type fullReport map[string]any

// allReports lists every report through the API, by id.
func allReports(t *testing.T, base, bearer string) map[string]fullReport {
	t.Helper()
	out := map[string]fullReport{}
	cursor := ""
	for {
		var page struct {
			Reports    []fullReport `json:"reports"`
			NextCursor string       `json:"next_cursor"`
		}
		u := base + "/api/v1/reports?limit=500"
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		if code := getJSON(t, u, bearer, &page); code != http.StatusOK {
			t.Fatalf("list reports: %d", code)
		}
		for _, r := range page.Reports {
			out[r["id"].(string)] = r
		}
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

// TestBackupRestoreExportImport: a backup taken while the server runs
// restores into a new data dir with every report; an export taken while it
// runs imports into Redis with every report (field by field), the token and
// the secret (its QR tokens still work), and back into a new embedded store.
func TestBackupRestoreExportImport(t *testing.T) {
	dirA := t.TempDir()
	envA := map[string]string{} // the secret is generated into dirA, as on a real installation
	srvA := startServe(t, envA, "--data-dir", dirA, "--log-level", "error", "--submit-rate", "0")
	secret, err := os.ReadFile(filepath.Join(dirA, secretFileName))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signing.New([]byte(strings.TrimSpace(string(secret))))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		f := reportFields(signer.LineToken("sx-1"))
		f["title"] = fmt.Sprintf("备份测试 %d / backup test %d", i, i)
		if code, body := submitJSON(t, srvA.URL, fmt.Sprint("dump-", i), f); code != http.StatusCreated {
			t.Fatalf("submit: %d %s", code, body)
		}
	}
	tok, err := runCmd(t, map[string]string{}, "token", "create", "mes", "--data-dir", dirA)
	if err != nil {
		t.Fatal(err)
	}
	tok = strings.TrimSpace(tok)
	want := allReports(t, srvA.URL, tok)
	if len(want) != 25 {
		t.Fatalf("%d reports before, want 25", len(want))
	}

	out := t.TempDir()
	backup, exp := filepath.Join(out, "ff.backup"), filepath.Join(out, "ff.export")
	if _, err := runCmd(t, map[string]string{}, "backup", "-o", backup, "--data-dir", dirA); err != nil {
		t.Fatalf("backup while serving: %v", err)
	}
	if _, err := runCmd(t, map[string]string{}, "export", "-o", exp, "--data-dir", dirA); err != nil {
		t.Fatalf("export while serving: %v", err)
	}
	if st, err := os.Stat(exp); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v, mode %v; want 0600 (it holds the secret)", err, st.Mode())
	}
	if err := srvA.Stop(); err != nil {
		t.Fatal(err)
	}

	check := func(name, base, bearer string) {
		t.Helper()
		got := allReports(t, base, bearer)
		if len(got) != len(want) {
			t.Fatalf("%s: %d reports, want %d", name, len(got), len(want))
		}
		for id, w := range want {
			g := got[id]
			// processed_at and history may have moved on if the worker ran
			// after the copy; everything the reporter sent must be equal.
			for _, k := range []string{"code", "line", "category", "severity", "title", "body", "station", "role", "reporter", "contact", "lang", "created_at"} {
				if !reflect.DeepEqual(g[k], w[k]) {
					t.Errorf("%s: report %s field %s = %v, want %v", name, id, k, g[k], w[k])
				}
			}
		}
		// The QR token made with the old secret still opens the form.
		f := reportFields(signer.LineToken("sx-1"))
		f["title"] = "after the move"
		if code, body := submitJSON(t, base, "after-"+name, f); code != http.StatusCreated {
			t.Fatalf("%s: submit with an old sticker's token = %d %s", name, code, body)
		}
	}

	// Restore the backup into a new data dir (with the secret file beside it,
	// which the README tells to keep with backups).
	dirB := t.TempDir()
	if err := os.WriteFile(filepath.Join(dirB, secretFileName), secret, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, map[string]string{}, "restore", backup, "--data-dir", dirB); err != nil {
		t.Fatalf("restore: %v", err)
	}
	srvB := startServe(t, map[string]string{}, "--data-dir", dirB, "--log-level", "error", "--submit-rate", "0")
	check("restored", srvB.URL, tok)
	if err := srvB.Stop(); err != nil {
		t.Fatal(err)
	}

	// Import the export into Redis (no secret configured: it comes along).
	rs := testutil.StartRedis(t)
	envR := map[string]string{"FLOORFEED_REDIS_URL": rs.URL}
	if _, stderr, err := runCLI(t, envR, "import", exp); err != nil {
		t.Fatalf("import into Redis: %v\n%s", err, stderr)
	}
	srvR := startServe(t, envR, "--log-level", "error", "--submit-rate", "0")
	check("redis", srvR.URL, tok)
	// And a second import into the same Redis is refused.
	if _, _, err := runCLI(t, envR, "import", exp); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("second import = %v, want a refusal", err)
	}
	// Redis back to a new embedded store.
	exp2 := filepath.Join(out, "ff2.export")
	if _, err := runCmd(t, envR, "export", "-o", exp2); err != nil {
		t.Fatalf("export from Redis: %v", err)
	}
	if err := srvR.Stop(); err != nil {
		t.Fatal(err)
	}
	dirC := t.TempDir()
	if _, stderr, err := runCLI(t, map[string]string{}, "import", exp2, "--data-dir", dirC); err != nil {
		t.Fatalf("import into the embedded store: %v\n%s", err, stderr)
	}
	srvC := startServe(t, map[string]string{}, "--data-dir", dirC, "--log-level", "error", "--submit-rate", "0")
	// The Redis instance got one more report ("after the move").
	got := allReports(t, srvC.URL, tok)
	if len(got) != len(want)+1 {
		t.Fatalf("back on the embedded store: %d reports, want %d", len(got), len(want)+1)
	}
	var b []byte
	b, _ = json.Marshal(got)
	if !strings.Contains(string(b), "after the move") {
		t.Fatal("the report filed on Redis did not come back")
	}
}
