package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil"
)

// runCLIStdin is runCLI with stdin.
func runCLIStdin(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, args, sys{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut})
	return out.String(), errOut.String(), err
}

type userRow struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Disabled bool   `json:"disabled"`
}

// signIn signs in on the server's /login page with a cookie jar, as a
// browser does, and returns the client and the page it landed on.
func signIn(t *testing.T, base, name, password string) (*http.Client, *http.Response) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("GET /login: no csrf field in %s", body)
	}
	res, err = c.PostForm(base+"/login", url.Values{"name": {name}, "password": {password}, "csrf": {string(m[1])}, "next": {"/account"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return c, res
}

// While a server runs, `user add` goes through its admin socket: the user
// can sign in on that server at once; `user disable` ends the session.
func TestUserCommandsWhileServing(t *testing.T) {
	dir := t.TempDir()
	srv := startServe(t, map[string]string{"FLOORFEED_DATA_DIR": dir}, "--log-level", "error")
	cli := map[string]string{"FLOORFEED_DATA_DIR": dir}

	if res, err := http.Get(srv.URL + "/login"); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /login = %v, %v", res, err)
	} else {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(b), "floorfeed user add NAME --role admin") {
			t.Errorf("a fresh installation's sign-in page does not say how to add the first admin")
		}
	}
	out, errOut, err := runCLIStdin(t, cli, "first admin password\n", "user", "add", "王工", "--role", "admin")
	if err != nil || !strings.Contains(out, "added 王工 (admin)") {
		t.Fatalf("user add while serving = %q %q, %v", out, errOut, err)
	}
	if _, _, err := runCLIStdin(t, cli, "short\n", "user", "add", "li", "--role", "rnd"); err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Errorf("user add with a short password = %v, want the length rule", err)
	}
	if _, _, err := runCLIStdin(t, cli, "", "user", "add", "li", "--role", "rnd"); err == nil {
		t.Errorf("user add with nothing on stdin succeeded")
	}
	if _, _, err := runCLIStdin(t, cli, "a good password\n", "user", "add", "li", "--role", "boss"); err == nil {
		t.Errorf("user add --role boss succeeded")
	}
	if _, _, err := runCLIStdin(t, cli, "a good password\n", "user", "add", "王工", "--role", "rnd"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("user add of a taken name = %v, want it refused", err)
	}
	if _, _, err := runCLIStdin(t, cli, "a good password\n", "user", "add", "li", "--role", "rnd"); err != nil {
		t.Fatalf("user add li: %v", err)
	}

	c, res := signIn(t, srv.URL, "王工", "first admin password")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account" {
		t.Fatalf("sign in on the server = %d → %q, want 303 → /account", res.StatusCode, res.Header.Get("Location"))
	}
	lc, _ := signIn(t, srv.URL, "li", "a good password")
	if res, err := lc.Get(srv.URL + "/account"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /account as li = %v, %v", res, err)
	}

	out, _, err = runCLI(t, cli, "user", "list", "--json")
	var rows []userRow
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 2 {
		t.Fatalf("user list --json = %q, %v; want 2 users", out, err)
	}
	if out, _, err = runCLI(t, cli, "user", "disable", "li"); err != nil || !strings.Contains(out, "disabled li") {
		t.Fatalf("user disable li = %q, %v", out, err)
	}
	if res, err := lc.Get(srv.URL + "/account"); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /account after user disable = %v, %v; want a redirect to /login", res.StatusCode, err)
	}
	if res, err := c.Get(srv.URL + "/account"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("the admin's session after disabling another user = %v, %v", res.StatusCode, err)
	}
	if _, _, err := runCLI(t, cli, "user", "disable", "nobody"); err == nil || !strings.Contains(err.Error(), "no user") {
		t.Errorf("user disable nobody = %v", err)
	}
	// The audit log saw it all (read as the admin, on the page).
	res, err = c.Get(srv.URL + "/audit")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"user.add", "user.disable", "login", "local administrator"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/audit does not show %q", want)
		}
	}
}

// Without a server, `user add` works on the store itself.
func TestUserAddInProcess(t *testing.T) {
	dir := t.TempDir()
	cli := map[string]string{"FLOORFEED_DATA_DIR": dir}
	if out, _, err := runCLIStdin(t, cli, "in process password\n", "user", "add", "zhao", "--role", "viewer"); err != nil || !strings.Contains(out, "added zhao (viewer)") {
		t.Fatalf("user add without a server = %q, %v", out, err)
	}
	out, _, err := runCLI(t, cli, "user", "list")
	if err != nil || !strings.Contains(out, "zhao") || !strings.Contains(out, "viewer") {
		t.Fatalf("user list = %q, %v", out, err)
	}
	srv := startServe(t, cli, "--log-level", "error")
	if _, res := signIn(t, srv.URL, "zhao", "in process password"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("sign in with the user added in-process = %d, want 303", res.StatusCode)
	}
}

// With Redis, two instances share users and sessions: a user added by the
// CLI signs in on one instance, and that session works on the other.
func TestUsersAndSessionsSharedOverRedis(t *testing.T) {
	rs := testutil.StartRedis(t)
	env := func() map[string]string {
		return map[string]string{"FLOORFEED_REDIS_URL": rs.URL, "FLOORFEED_DATA_DIR": t.TempDir(), "FLOORFEED_SECRET": "redis-shared-secret-0123456789abcdef"}
	}
	a := startServe(t, env(), "--log-level", "error")
	b := startServe(t, env(), "--log-level", "error", "--workers", "0")
	if out, _, err := runCLIStdin(t, env(), "shared password!\n", "user", "add", "sun", "--role", "rnd"); err != nil || !strings.Contains(out, "added sun") {
		t.Fatalf("user add on Redis = %q, %v", out, err)
	}
	c, res := signIn(t, a.URL, "sun", "shared password!")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in on instance A = %d", res.StatusCode)
	}
	// The cookie jar holds A's cookie for A's host:port; send it to B.
	u, _ := url.Parse(a.URL)
	req, _ := http.NewRequest(http.MethodGet, b.URL+"/account", nil)
	for _, ck := range c.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("instance B with A's session = %d, want 200", res.StatusCode)
	}
}
