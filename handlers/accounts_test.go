package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/handlers"
)

const userPassword = "a long enough password"

// browser is a signed-in dashboard session: its cookie and CSRF token.
type browser struct {
	cookie string // "ff_session=…"
	csrf   string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// addUser creates a dashboard user in the env's store.
func (e *env) addUser(name string, role auth.Role) {
	e.t.Helper()
	a, err := auth.NewAccounts(auth.AccountsDeps{Records: e.store, Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := a.AddUser(context.Background(), name, role, userPassword); err != nil {
		e.t.Fatalf("AddUser(%s): %v", name, err)
	}
}

// postLogin fetches the sign-in form and posts it.
func (e *env) postLogin(name, password, next string) *httptest.ResponseRecorder {
	e.t.Helper()
	page := e.get("/login")
	m := csrfField.FindStringSubmatch(page.Body.String())
	if page.Code != http.StatusOK || m == nil {
		e.t.Fatalf("GET /login = %d without a csrf field", page.Code)
	}
	var loginCookie string
	for _, c := range page.Result().Cookies() {
		if c.Name == "ff_login" {
			loginCookie = c.Name + "=" + c.Value
		}
	}
	form := url.Values{"name": {name}, "password": {password}, "csrf": {m[1]}}
	if next != "" {
		form.Set("next", next)
	}
	return e.form(browser{cookie: loginCookie}, http.MethodPost, "/login", form)
}

// login signs in and returns the session.
func (e *env) login(name string) browser {
	e.t.Helper()
	rec := e.postLogin(name, userPassword, "/account")
	if rec.Code != http.StatusSeeOther {
		e.t.Fatalf("POST /login (%s) = %d %s, want 303", name, rec.Code, rec.Body.String())
	}
	var b browser
	for _, c := range rec.Result().Cookies() {
		if c.Name == "ff_session" && c.Value != "" {
			b.cookie = c.Name + "=" + c.Value
		}
	}
	if b.cookie == "" {
		e.t.Fatalf("POST /login (%s): no session cookie", name)
	}
	acc := e.get("/account", "Cookie", b.cookie)
	m := csrfField.FindStringSubmatch(acc.Body.String())
	if acc.Code != http.StatusOK || m == nil {
		e.t.Fatalf("GET /account = %d without a csrf field", acc.Code)
	}
	b.csrf = m[1]
	return b
}

// form sends a form-encoded request as b.
func (e *env) form(b browser, method, path string, vals url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if b.cookie != "" {
		req.Header.Set("Cookie", b.cookie)
	}
	return e.do(req)
}

func TestFrontDoorAndFreshInstallation(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		rec := e.do(httptest.NewRequest(m, "/", nil))
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
			t.Errorf("%s / = %d → %q, want 303 → /login", m, rec.Code, rec.Header().Get("Location"))
		}
	}
	const firstStep = "floorfeed user add NAME --role admin"
	for _, lang := range []string{"zh", "en"} {
		body := e.get("/login?lang=" + lang).Body.String()
		if !strings.Contains(body, firstStep) {
			t.Errorf("GET /login?lang=%s on a fresh installation does not say %q", lang, firstStep)
		}
	}
	if body := e.get("/login", "Accept-Language", "en").Body.String(); !strings.Contains(body, "fresh installation") || !strings.Contains(body, `lang="en"`) {
		t.Errorf("GET /login with Accept-Language en: not in English")
	}
	if body := e.get("/login", "Accept-Language", "zh-CN").Body.String(); !strings.Contains(body, "新安装") || !strings.Contains(body, `lang="zh-CN"`) {
		t.Errorf("GET /login with Accept-Language zh-CN: not in Chinese")
	}
	e.addUser("admin", auth.RoleAdmin)
	if body := e.get("/login").Body.String(); strings.Contains(body, firstStep) {
		t.Errorf("GET /login with a user still shows the first step")
	}
	b := e.login("admin")
	if rec := e.get("/", "Cookie", b.cookie); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/inbox" {
		t.Errorf("GET / signed in = %d → %q, want 303 → /inbox", rec.Code, rec.Header().Get("Location"))
	}
}

func TestLoginRedirectsCookiesAndLogout(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.addUser("王工", auth.RoleRnD)

	for _, c := range []struct{ next, want string }{
		{"/account", "/account"},
		{"/reports/abc?tab=history", "/reports/abc?tab=history"},
		{"", "/inbox"},
		{"//evil.example/x", "/inbox"},
		{"https://evil.example/", "/inbox"},
		{"/\\evil.example", "/inbox"},
		{"/login", "/inbox"},
	} {
		rec := e.postLogin("王工", userPassword, c.next)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != c.want {
			t.Errorf("login with next=%q = %d → %q, want 303 → %q", c.next, rec.Code, rec.Header().Get("Location"), c.want)
		}
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == "ff_session" && (!ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/") {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path /, not Secure over plain http", ck)
			}
		}
	}
	// A page without a session leads to the sign-in and back.
	rec := e.get("/account?x=1")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login?next="+url.QueryEscape("/account?x=1") {
		t.Errorf("GET /account without a session = %d → %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := e.postLogin("王工", "wrong password!!", ""); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `role="alert"`) {
		t.Errorf("wrong password = %d, want 401 with the message", rec.Code)
	}
	// The sign-in form's own token: a post without it is refused.
	if rec := e.form(browser{}, http.MethodPost, "/login", url.Values{"name": {"王工"}, "password": {userPassword}}); rec.Code != http.StatusForbidden {
		t.Errorf("POST /login without its token = %d, want 403", rec.Code)
	}

	b1, b2 := e.login("王工"), e.login("王工")
	if rec := e.form(b1, http.MethodPost, "/logout", url.Values{"csrf": {b1.csrf}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("POST /logout = %d", rec.Code)
	}
	if rec := e.get("/account", "Cookie", b1.cookie); rec.Code != http.StatusSeeOther {
		t.Errorf("GET /account after logout = %d, want a redirect to /login", rec.Code)
	}
	if rec := e.get("/account", "Cookie", b2.cookie); rec.Code != http.StatusOK {
		t.Errorf("the other session after one logout = %d, want 200", rec.Code)
	}
	b3 := e.login("王工")
	if rec := e.form(b3, http.MethodPost, "/logout-all", url.Values{"csrf": {b3.csrf}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("POST /logout-all = %d", rec.Code)
	}
	for _, b := range []browser{b2, b3} {
		if rec := e.get("/account", "Cookie", b.cookie); rec.Code != http.StatusSeeOther {
			t.Errorf("a session after logout everywhere = %d, want a redirect to /login", rec.Code)
		}
	}
}

func TestSecureCookieBehindHTTPS(t *testing.T) {
	e := newEnv(t, envOptions{config: baseURLConfig()})
	e.addUser("li", auth.RoleRnD)
	rec := e.postLogin("li", userPassword, "")
	found := false
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == "ff_session" {
			found = true
			if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
				t.Errorf("session cookie %+v with an https base URL: want Secure, HttpOnly, SameSite=Lax", ck)
			}
		}
	}
	if !found {
		t.Fatalf("POST /login = %d: no session cookie", rec.Code)
	}
}

func TestLoginThrottlingAndIdleExpiryOverHTTP(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.addUser("zhou", auth.RoleRnD)
	for i := range auth.DefaultUserFailures {
		if rec := e.postLogin("zhou", "wrong password!!", ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i, rec.Code)
		}
	}
	rec := e.postLogin("zhou", userPassword, "")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "900" {
		t.Fatalf("right password after %d failures = %d, Retry-After %q; want 429, 900", auth.DefaultUserFailures, rec.Code, rec.Header().Get("Retry-After"))
	}
	e.clock.Advance(auth.ThrottleWindow)
	b := e.login("zhou")

	e.clock.Advance(auth.DefaultIdleTimeout - time.Minute)
	if rec := e.get("/account", "Cookie", b.cookie); rec.Code != http.StatusOK {
		t.Fatalf("GET /account within the idle timeout = %d", rec.Code)
	}
	e.clock.Advance(auth.DefaultIdleTimeout)
	if rec := e.get("/account", "Cookie", b.cookie); rec.Code != http.StatusSeeOther {
		t.Errorf("GET /account after 12 idle hours = %d, want a redirect to /login", rec.Code)
	}
	if rec := e.get("/api/v1/reports", "Cookie", b.cookie); rec.Code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/reports with an expired session = %d, want 401", rec.Code)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.addUser("admin", auth.RoleAdmin)
	b := e.login("admin")
	add := func(csrf string) url.Values {
		v := url.Values{"name": {"new-user"}, "role": {"rnd"}, "password": {userPassword}}
		if csrf != "" {
			v.Set("csrf", csrf)
		}
		return v
	}
	if rec := e.form(b, http.MethodPost, "/users", add("")); rec.Code != http.StatusForbidden || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("POST /users without a CSRF token = %d %q, want a 403 page", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec := e.form(b, http.MethodPost, "/users", add(b.csrf+"x")); rec.Code != http.StatusForbidden {
		t.Errorf("POST /users with a wrong CSRF token = %d, want 403", rec.Code)
	}
	other := e.login("admin") // another session's token is wrong here too
	if rec := e.form(b, http.MethodPost, "/users", add(other.csrf)); rec.Code != http.StatusForbidden {
		t.Errorf("POST /users with another session's token = %d, want 403", rec.Code)
	}
	if rec := e.form(b, http.MethodPost, "/logout", nil); rec.Code != http.StatusForbidden {
		t.Errorf("POST /logout without a CSRF token = %d, want 403", rec.Code)
	}
	if rec := e.form(b, http.MethodPost, "/users", add(b.csrf)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "new-user") {
		t.Fatalf("POST /users with the token = %d, want 200 listing the new user", rec.Code)
	}

	// The API: a session cookie needs the header; a Bearer token does not.
	r := e.mustSubmit(nil)
	patch := func(headers ...string) int {
		req := httptest.NewRequest(http.MethodPatch, "/api/v1/reports/"+r.ID, strings.NewReader(`{"note":"看过了"}`))
		req.Header.Set("Content-Type", "application/json")
		setHeaders(req, headers...)
		return e.do(req).Code
	}
	if code := patch("Cookie", b.cookie); code != http.StatusForbidden {
		t.Errorf("PATCH with a session and no CSRF header = %d, want 403", code)
	}
	if code := patch("Cookie", b.cookie, auth.CSRFHeader, "wrong"); code != http.StatusForbidden {
		t.Errorf("PATCH with a session and a wrong CSRF header = %d, want 403", code)
	}
	if code := patch("Cookie", b.cookie, auth.CSRFHeader, b.csrf); code != http.StatusOK {
		t.Errorf("PATCH with a session and its CSRF header = %d, want 200", code)
	}
	if code := patch("Authorization", "Bearer "+testAPIToken); code != http.StatusOK {
		t.Errorf("PATCH with a Bearer token = %d, want 200 (no CSRF token needed)", code)
	}
}

// selfService are the state-changing pages a viewer may use: their own
// account and signing out.
var selfService = map[string]bool{"POST /logout": true, "POST /logout-all": true, "POST /account/password": true}

// TestViewerCannotChangeAnything walks every state-changing route on the
// router with a viewer's session (and its valid CSRF token): each answers
// 403, wherever it was registered. R&D users may not manage users or tokens.
func TestViewerCannotChangeAnything(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.addUser("admin", auth.RoleAdmin)
	e.addUser("viewer", auth.RoleViewer)
	e.addUser("rnd", auth.RoleRnD)
	r := e.mustSubmit(nil)
	viewer, rnd := e.login("viewer"), e.login("rnd")
	param := regexp.MustCompile(`:[^/]+|\*`)
	checked := 0
	for _, rt := range handlers.RoutesOf(e.srv) {
		name := rt.Method + " " + rt.Path
		if rt.Method == http.MethodGet || rt.Method == http.MethodHead || rt.Method == handlers.RouteNotFoundMethod ||
			publicRoutes[name] || selfService[name] {
			continue
		}
		target := strings.Replace(param.ReplaceAllString(rt.Path, "x"), "/api/v1/reports/x", "/api/v1/reports/"+r.ID, 1)
		for _, body := range []struct{ ct, text string }{
			{"application/json", `{"status":"resolved","note":"x","name":"x","role":"admin","reports":1}`},
			{"application/x-www-form-urlencoded", "csrf=" + viewer.csrf + "&action=disable&name=x&role=admin"},
		} {
			req := httptest.NewRequest(rt.Method, target, strings.NewReader(body.text))
			req.Header.Set("Content-Type", body.ct)
			req.Header.Set("Cookie", viewer.cookie)
			req.Header.Set(auth.CSRFHeader, viewer.csrf)
			if rec := e.do(req); rec.Code != http.StatusForbidden {
				t.Errorf("%s %s (%s) as a viewer = %d %s, want 403", rt.Method, target, body.ct, rec.Code, rec.Body.String())
			}
		}
		checked++
	}
	if checked < 8 {
		t.Errorf("checked %d state-changing routes, want at least 8", checked)
	}
	if got, _ := e.store.Report(context.Background(), r.ID); got.Status != "new" || len(got.History) != 1 {
		t.Errorf("after the viewer's attempts the report is %s with %d history entries; want it untouched", got.Status, len(got.History))
	}
	// R&D: no users, tokens, audit log or admin API.
	for _, c := range []struct{ method, path string }{
		{"GET", "/users"}, {"GET", "/tokens"}, {"GET", "/audit"}, {"POST", "/users"}, {"POST", "/tokens"},
		{"GET", "/api/v1/admin/users"}, {"GET", "/api/v1/admin/tokens"}, {"POST", "/api/v1/admin/tokens"},
	} {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader("csrf="+rnd.csrf+"&name=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", rnd.cookie)
		req.Header.Set(auth.CSRFHeader, rnd.csrf)
		if rec := e.do(req); rec.Code != http.StatusForbidden {
			t.Errorf("%s %s as rnd = %d, want 403", c.method, c.path, rec.Code)
		}
	}
	// …but R&D triages, and a viewer reads.
	req := httptest.NewRequest(http.MethodPatch, "/api/v1/reports/"+r.ID, strings.NewReader(`{"status":"triaged"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", rnd.cookie)
	req.Header.Set(auth.CSRFHeader, rnd.csrf)
	if rec := e.do(req); rec.Code != http.StatusOK {
		t.Errorf("PATCH as rnd = %d %s, want 200", rec.Code, rec.Body.String())
	}
	if rec := e.get("/api/v1/reports/"+r.ID, "Cookie", viewer.cookie); rec.Code != http.StatusOK {
		t.Errorf("GET a report as a viewer = %d, want 200", rec.Code)
	}
}

func TestAuditLogRecordsAndPages(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.addUser("admin", auth.RoleAdmin)
	e.postLogin("admin", "wrong password!!", "")
	e.clock.Advance(time.Second) // entries in one millisecond have no order
	b := e.login("admin")
	e.clock.Advance(time.Second)
	if rec := e.form(b, http.MethodPost, "/users", url.Values{"csrf": {b.csrf}, "name": {"李工"}, "role": {"viewer"}, "password": {userPassword}}); rec.Code != http.StatusOK {
		t.Fatalf("add user = %d", rec.Code)
	}
	e.clock.Advance(time.Second)
	if rec := e.form(b, http.MethodPost, "/tokens", url.Values{"csrf": {b.csrf}, "name": {"mes-export"}}); rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), auth.TokenPrefix) {
		t.Fatalf("create token = %d, want 201 showing the token", rec.Code)
	}
	e.clock.Advance(time.Second)
	r := e.mustSubmit(nil)
	req := httptest.NewRequest(http.MethodPatch, "/api/v1/reports/"+r.ID, strings.NewReader(`{"status":"triaged","reply":"已安排检修"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testAPIToken)
	if rec := e.do(req); rec.Code != http.StatusOK {
		t.Fatalf("PATCH = %d", rec.Code)
	}
	l, err := audit.New(e.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := l.List(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range entries {
		got = append(got, en.Actor+" "+en.Action+" "+en.Target)
	}
	slices.Reverse(got)
	want := []string{
		"admin login.failed user:admin",
		"admin login user:admin",
		"admin user.add user:李工",
		"admin token.create token:",
		"token:ci report.triage report:" + r.Code + " " + r.ID,
		"token:ci report.triage report:" + r.Code + " " + r.ID,
	}
	if len(got) != len(want) {
		t.Fatalf("audit log (oldest first) = %q, want %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("audit entry %d = %q, want %q…", i, got[i], want[i])
		}
	}
	page := e.get("/audit", "Cookie", b.cookie)
	body := page.Body.String()
	if page.Code != http.StatusOK || strings.Index(body, "report.triage") > strings.Index(body, "login.failed") {
		t.Errorf("GET /audit = %d; want the newest (report.triage) before the oldest (login.failed)", page.Code)
	}
	if rec := e.get("/audit?before=garbage", "Cookie", b.cookie); rec.Code != http.StatusBadRequest {
		t.Errorf("GET /audit?before=garbage = %d, want 400", rec.Code)
	}
}

func TestAccountAndUserPages(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.addUser("admin", auth.RoleAdmin)
	e.addUser("qian", auth.RoleRnD)
	a, other := e.login("admin"), e.login("admin")

	// Own password: the current one is checked; a change ends the other
	// sessions and keeps this one (with a new cookie).
	change := func(b browser, current, next, again string) *httptest.ResponseRecorder {
		return e.form(b, http.MethodPost, "/account/password", url.Values{"csrf": {b.csrf}, "current": {current}, "password": {next}, "confirm": {again}})
	}
	if rec := change(a, "wrong current pw", "brand new password", "brand new password"); rec.Code != http.StatusBadRequest {
		t.Errorf("password change with a wrong current one = %d, want 400", rec.Code)
	}
	if rec := change(a, userPassword, "brand new password", "brand new passwort"); rec.Code != http.StatusBadRequest {
		t.Errorf("password change with two different new ones = %d, want 400", rec.Code)
	}
	rec := change(a, userPassword, "brand new password", "brand new password")
	if rec.Code != http.StatusOK {
		t.Fatalf("password change = %d %s", rec.Code, rec.Body.String())
	}
	var fresh string
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == "ff_session" {
			fresh = ck.Name + "=" + ck.Value
		}
	}
	if got := e.get("/account", "Cookie", fresh); got.Code != http.StatusOK {
		t.Errorf("the new session after a password change = %d, want 200", got.Code)
	}
	if got := e.get("/account", "Cookie", other.cookie); got.Code != http.StatusSeeOther {
		t.Errorf("another session after a password change = %d, want signed out", got.Code)
	}
	if got := e.postLogin("admin", "brand new password", ""); got.Code != http.StatusSeeOther {
		t.Errorf("sign in with the new password = %d", got.Code)
	}

	// Users: change a role, disable (ending the user's sessions), refuse to
	// disable the last admin.
	b := e.login("qian")
	admin := browser{}
	{
		rec := e.postLogin("admin", "brand new password", "/account")
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == "ff_session" {
				admin.cookie = ck.Name + "=" + ck.Value
			}
		}
		admin.csrf = csrfField.FindStringSubmatch(e.get("/account", "Cookie", admin.cookie).Body.String())[1]
	}
	post := func(path string, vals url.Values) *httptest.ResponseRecorder {
		vals.Set("csrf", admin.csrf)
		return e.form(admin, http.MethodPost, path, vals)
	}
	if rec := post("/users/qian", url.Values{"action": {"role"}, "role": {"viewer"}}); rec.Code != http.StatusOK {
		t.Fatalf("change role = %d %s", rec.Code, rec.Body.String())
	}
	req := httptest.NewRequest(http.MethodPatch, "/api/v1/reports/x", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", b.cookie)
	req.Header.Set(auth.CSRFHeader, b.csrf)
	if rec := e.do(req); rec.Code != http.StatusForbidden {
		t.Errorf("PATCH by a user just made viewer = %d, want 403 (roles apply at once)", rec.Code)
	}
	if rec := post("/users/qian", url.Values{"action": {"disable"}}); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "badge off") {
		t.Fatalf("disable = %d", rec.Code)
	}
	if rec := e.get("/account", "Cookie", b.cookie); rec.Code != http.StatusSeeOther {
		t.Errorf("a disabled user's session = %d, want signed out", rec.Code)
	}
	if rec := post("/users/admin", url.Values{"action": {"disable"}}); rec.Code != http.StatusBadRequest {
		t.Errorf("disable the last admin = %d, want 400", rec.Code)
	}
	if rec := post("/users", url.Values{"name": {"QIAN"}, "role": {"rnd"}, "password": {userPassword}}); rec.Code != http.StatusConflict {
		t.Errorf("add a taken name in other case = %d, want 409", rec.Code)
	}
	if rec := post("/users", url.Values{"name": {"x y"}, "role": {"rnd"}, "password": {userPassword}}); rec.Code != http.StatusBadRequest {
		t.Errorf("add a bad name = %d, want 400", rec.Code)
	}
	// Tokens: created on the page, revoked on the page, then refused.
	rec = post("/tokens", url.Values{"name": {"erp"}})
	secret := regexp.MustCompile(auth.TokenPrefix + `[A-Za-z0-9_-]+`).FindString(rec.Body.String())
	if rec.Code != http.StatusCreated || secret == "" {
		t.Fatalf("create token = %d", rec.Code)
	}
	if rec := e.get("/api/v1/reports", "Authorization", "Bearer "+secret); rec.Code != http.StatusOK {
		t.Fatalf("the new token = %d", rec.Code)
	}
	list, _ := e.tokens.ListTokens(context.Background())
	var id string
	for _, tk := range list {
		if tk.Name == "erp" {
			id = tk.ID
		}
	}
	if rec := post("/tokens/"+id+"/revoke", url.Values{}); rec.Code != http.StatusOK {
		t.Fatalf("revoke = %d", rec.Code)
	}
	if rec := e.get("/api/v1/reports", "Authorization", "Bearer "+secret); rec.Code != http.StatusUnauthorized {
		t.Errorf("a revoked token = %d, want 401", rec.Code)
	}
}
