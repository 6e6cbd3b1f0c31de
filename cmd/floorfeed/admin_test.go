package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/internal/testutil"
)

// tokenRow is one line of `token list --json`.
type tokenRow struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	LastUsedAt time.Time `json:"last_used_at"`
}

func mustTokenList(t *testing.T, env map[string]string, args ...string) []tokenRow {
	t.Helper()
	out, _, err := runCLI(t, env, append([]string{"token", "list", "--json"}, args...)...)
	var rows []tokenRow
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil {
		t.Fatalf("token list --json = %q, %v", out, err)
	}
	return rows
}

func rowNamed(t *testing.T, rows []tokenRow, name string) tokenRow {
	t.Helper()
	for _, r := range rows {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("token list has no token %q: %+v", name, rows)
	return tokenRow{}
}

func mustToken(t *testing.T, env map[string]string, name string, args ...string) string {
	t.Helper()
	out, _, err := runCLI(t, env, append([]string{"token", "create", name}, args...)...)
	if err != nil || !strings.HasPrefix(out, "fft_") {
		t.Fatalf("token create %s = %q, %v", name, out, err)
	}
	return strings.TrimSpace(out)
}

// While a server holds the embedded store, admin commands go through its
// admin socket and get its settings; a revoked token is refused at once.
func TestAdminCommandsThroughTheSocket(t *testing.T) {
	dir := t.TempDir()
	srv := startServe(t, map[string]string{"FLOORFEED_DATA_DIR": dir, "FLOORFEED_BASE_URL": "https://ff.plant.example"}, "--log-level", "error")
	sock := filepath.Join(dir, adminSockName)
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket %s = %v, %v; want a 0600 socket", sock, fi, err)
	}
	// The CLI's own base URL differs; the server's wins, as does its secret
	// (the CLI has none of its own to use: it must not make one).
	cli := map[string]string{"FLOORFEED_DATA_DIR": dir, "FLOORFEED_BASE_URL": "http://cli.example"}
	out, _, err := runCLI(t, cli, "lines")
	if err != nil || !strings.Contains(out, "https://ff.plant.example/r/sx-1?t=") || strings.Contains(out, "cli.example") {
		t.Fatalf("lines while serving = %q, %v; want the server's base URL https://ff.plant.example", out, err)
	}
	_, errOut, err := runCLI(t, cli, "lines", "--base-url", "http://flag.example")
	if err != nil || !strings.Contains(errOut, "--base-url http://flag.example ignored") {
		t.Fatalf("lines --base-url while serving = %q, %v; want a note that the server's base URL wins", errOut, err)
	}
	formURL := strings.Fields(out[strings.Index(out, "https://ff.plant.example/r/sx-1"):])[0]
	res, err := http.Get(srv.URL + strings.TrimPrefix(formURL, "https://ff.plant.example"))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the form URL `lines` printed does not open the form: %v %v", res, err)
	}
	res.Body.Close()

	keep := mustToken(t, cli, "keep")
	gone := mustToken(t, cli, "gone")
	for _, tok := range []string{keep, gone} {
		if st := getJSON(t, srv.URL+"/api/v1/reports", tok, nil); st != http.StatusOK {
			t.Fatalf("GET /api/v1/reports with a new token = %d, want 200", st)
		}
	}
	rows := mustTokenList(t, cli)
	g := rowNamed(t, rows, "gone")
	if g.LastUsedAt.IsZero() || time.Since(g.LastUsedAt) > time.Minute {
		t.Fatalf("token list: last use of a token just used = %v", g.LastUsedAt)
	}
	out, _, err = runCLI(t, cli, "token", "list")
	if err != nil || !strings.Contains(out, "LAST USED") || !strings.Contains(out, g.ID) {
		t.Fatalf("token list = %q, %v", out, err)
	}
	if out, _, err := runCLI(t, cli, "token", "revoke", g.ID); err != nil || !strings.Contains(out, "revoked "+g.ID) {
		t.Fatalf("token revoke = %q, %v", out, err)
	}
	if st := getJSON(t, srv.URL+"/api/v1/reports", gone, nil); st != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/reports with the revoked token = %d, want 401", st)
	}
	if st := getJSON(t, srv.URL+"/api/v1/reports", keep, nil); st != http.StatusOK {
		t.Fatalf("GET /api/v1/reports with the other token after a revoke = %d, want 200", st)
	}
	_, _, err = runCLI(t, cli, "token", "revoke", g.ID)
	if code, msg := exitOf(err); code != 1 || !strings.Contains(msg, "no token with id") {
		t.Fatalf("token revoke (again) = exit %d %q, want 1 saying there is no such token", code, msg)
	}
	if rows := mustTokenList(t, cli); len(rows) != 1 || rows[0].Name != "keep" {
		t.Fatalf("token list after revoke = %+v, want only keep", rows)
	}
	// The admin API is not on the network listener, not even for a token.
	for _, bearer := range []string{"", keep} {
		if st := getJSON(t, srv.URL+"/api/v1/admin/tokens", bearer, nil); st != http.StatusUnauthorized && st != http.StatusForbidden {
			t.Fatalf("GET /api/v1/admin/tokens over TCP (bearer %v) = %d, want 401/403", bearer != "", st)
		}
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop = %v", err)
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("admin socket left after stop: %v", err)
	}
}

// Without a server, the commands build the same API in-process; what they
// do is what the next server sees.
func TestAdminCommandsInProcess(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"FLOORFEED_DATA_DIR": dir}
	keep := mustToken(t, env, "keep")
	gone := mustToken(t, env, "gone")
	if _, err := os.Stat(filepath.Join(dir, adminSockName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("in-process commands left a socket: %v", err)
	}
	out, _, err := runCLI(t, env, "lines", "--json", "--base-url", "https://in.process.example")
	var lines []handlers.AdminLine
	if err != nil || json.Unmarshal([]byte(out), &lines) != nil || len(lines) != 5 || !strings.HasPrefix(lines[0].FormURL, "https://in.process.example/r/") {
		t.Fatalf("lines in-process = %q, %v; want 5 lines with --base-url", out, err)
	}
	if out, _, err := runCLI(t, env, "token", "revoke", rowNamed(t, mustTokenList(t, env), "gone").ID); err != nil {
		t.Fatalf("token revoke in-process = %q, %v", out, err)
	}
	srv := startServe(t, env, "--log-level", "error")
	if st := getJSON(t, srv.URL+"/api/v1/reports", gone, nil); st != http.StatusUnauthorized {
		t.Fatalf("token revoked in-process, then GET /api/v1/reports = %d, want 401", st)
	}
	if st := getJSON(t, srv.URL+"/api/v1/reports", keep, nil); st != http.StatusOK {
		t.Fatalf("token created in-process, then GET /api/v1/reports = %d, want 200", st)
	}
	// The QR tokens the in-process lines printed are the server's.
	res, err := http.Get(srv.URL + strings.TrimPrefix(lines[0].FormURL, "https://in.process.example"))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("form URL printed in-process refused by the server: %v %v", res, err)
	}
	res.Body.Close()
}

// A command that only reads, pointed at a data dir with no store, says so
// and creates nothing there.
func TestReadOnlyCommandsOnAnEmptyDataDir(t *testing.T) {
	for _, sub := range []string{"missing", "empty"} {
		dir := filepath.Join(t.TempDir(), sub)
		if sub == "empty" {
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		for _, args := range [][]string{{"lines"}, {"token", "list"}, {"token", "revoke", "01a0"}} {
			out, _, err := runCLI(t, nil, append(args, "--data-dir", dir)...)
			code, msg := exitOf(err)
			if code != 1 || !strings.Contains(msg, "no Floorfeed store in "+dir) || out != "" {
				t.Errorf("%v on a %s data dir = exit %d, %q, stdout %q; want exit 1 saying there is no store", args, sub, code, msg, out)
			}
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 0 {
			t.Errorf("read-only commands created %v in the %s data dir", entries, sub)
		}
		if sub == "missing" {
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("read-only commands created the data dir %s", dir)
			}
		}
	}
	// A database without its secret: refuse rather than sign with a new one.
	dir := t.TempDir()
	mustToken(t, map[string]string{"FLOORFEED_DATA_DIR": dir}, "x")
	if err := os.Remove(filepath.Join(dir, secretFileName)); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCLI(t, map[string]string{"FLOORFEED_DATA_DIR": dir}, "lines")
	if code, msg := exitOf(err); code != 1 || !strings.Contains(msg, "no secret file") {
		t.Fatalf("lines without the secret file = exit %d %q; want 1 saying the secret is missing", code, msg)
	}
	if _, err := os.Stat(filepath.Join(dir, secretFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lines made a new secret: %v", err)
	}
}

// Against Redis, a read-only command finds no installation under an unused
// prefix, and creates none.
func TestReadOnlyCommandOnEmptyRedis(t *testing.T) {
	rs := testutil.StartRedis(t)
	env := map[string]string{"FLOORFEED_REDIS_URL": rs.URL, "FLOORFEED_DATA_DIR": t.TempDir()}
	_, _, err := runCLI(t, env, "lines")
	if code, msg := exitOf(err); code != 1 || !strings.Contains(msg, "no Floorfeed store in Redis") {
		t.Fatalf("lines on an empty Redis = exit %d %q, want 1 saying there is no store", code, msg)
	}
	mustToken(t, env, "first") // a command that writes may set one up
	if out, _, err := runCLI(t, env, "lines"); err != nil || !strings.Contains(out, "/r/sx-1?t=") {
		t.Fatalf("lines after token create = %q, %v", out, err)
	}
	if rows := mustTokenList(t, env); len(rows) != 1 {
		t.Fatalf("token list on Redis = %+v", rows)
	}
}

// A command that only reads opens the embedded file read-only: pointed at a
// file an older floorfeed wrote, it says so and leaves it as it was, rather
// than migrating it (after which the older floorfeed could not open it).
func TestReadOnlyCommandsNeverMigrate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"FLOORFEED_DATA_DIR": dir}
	mustToken(t, env, "makes-the-store")
	path := filepath.Join(dir, dbFileName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatalf("bolt.Open = %v", err)
	}
	// Stamp it as written by schema 1.
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 1))
	}); err != nil {
		t.Fatalf("stamp schema 1 = %v", err)
	}
	db.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"lines"}, {"token", "list"}, {"jobs", "dead"}} {
		_, _, err := runCLI(t, env, args...)
		if code, msg := exitOf(err); code != 1 || !strings.Contains(msg, "older than this program's") || !strings.Contains(msg, "read-write once") {
			t.Fatalf("%v on a schema-1 file = exit %d %q, want 1 saying to open it read-write once", args, code, msg)
		}
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(before, after) {
		t.Fatalf("read-only commands changed the database file (err %v)", err)
	}
	// A command that writes migrates it, and then the readers work.
	mustToken(t, env, "migrates")
	if out, _, err := runCLI(t, env, "lines"); err != nil || !strings.Contains(out, "/r/sx-1?t=") {
		t.Fatalf("lines after the migration = %q, %v", out, err)
	}
}
