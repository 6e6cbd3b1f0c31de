package dashboard_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/dashboard"
	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/metrics"
	"github.com/floorfeed/floorfeed/store"
)

// TestMountedOnTheServer mounts the dashboard on the real server
// (handlers.Deps.Dashboard) behind the real sessions, CSRF check, roles and
// audit log: no stand-in.
func TestMountedOnTheServer(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st := b.Open(t)
			e := newEnv(t, st, envOptions{})
			r := e.submit(report{title: "萃取槽液位波动"})
			accounts, err := auth.NewAccounts(auth.AccountsDeps{Records: st, Now: e.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			auditLog, err := audit.New(st, e.clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			dash, err := dashboard.New(dashboard.Deps{Reports: st, Triage: e.triage, Plant: e.settings, PlantEditor: e.settings, Queue: st, Audit: auditLog, Now: e.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			p, _, _ := e.settings.Current(ctx)
			tokens, err := auth.New(auth.Deps{Tokens: st, Now: e.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			srv, err := handlers.New(handlers.Deps{
				Accounts: accounts, Audit: auditLog, Dashboard: dash,
				Intake: e.intake, Reports: st, Tokens: tokens, Ready: st.Ping, Plant: p, Signer: testSigner(t),
				Metrics: metrics.New(st.QueueStats), Log: slog.New(slog.DiscardHandler), Now: e.clock.Now,
			})
			if err != nil {
				t.Fatalf("handlers.New: %v", err)
			}
			session := func(name string, role auth.Role) string {
				u, err := accounts.AddUser(ctx, name, role, "correct horse battery staple")
				if err != nil {
					t.Fatalf("AddUser(%s): %v", name, err)
				}
				secret, _, err := accounts.StartSession(ctx, u, "192.0.2.1")
				if err != nil {
					t.Fatal(err)
				}
				return "ff_session=" + secret
			}
			rnd, viewer := session("alice", auth.RoleRnD), session("victor", auth.RoleViewer)
			do := func(method, path, cookie string, form url.Values) *httptest.ResponseRecorder {
				var req *http.Request
				if form != nil {
					req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				} else {
					req = httptest.NewRequest(method, path, nil)
				}
				if cookie != "" {
					req.Header.Set("Cookie", cookie)
				}
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				return rec
			}
			csrfOf := func(cookie string) string {
				// Every page has the sign-out form, viewers' too.
				m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(do("GET", "/reports/"+r.ID, cookie, nil).Body.String())
				if m == nil {
					t.Fatalf("the report page carries no CSRF token")
				}
				return m[1]
			}

			if rec := do("GET", "/inbox", "", nil); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
				t.Errorf("GET /inbox without a session = %d → %q, want a redirect to /login", rec.Code, rec.Header().Get("Location"))
			}
			if rec := do("GET", "/inbox?lang=en", rnd, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), `Signed in as <a href="/account">alice</a>`) {
				t.Fatalf("GET /inbox signed in = %d", rec.Code)
			}
			if rec := do("GET", "/api/v1/reports.csv", "", nil); rec.Code != http.StatusUnauthorized {
				t.Errorf("GET reports.csv without a session = %d, want 401", rec.Code)
			}
			if rec := do("GET", "/api/v1/reports.csv", viewer, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), r.Code) {
				t.Errorf("GET reports.csv as a viewer = %d, want 200 with the report", rec.Code)
			}
			form := url.Values{"status": {"triaged"}, "reply": {"收到，谢谢。"}}
			if rec := do("POST", "/reports/"+r.ID+"/triage", rnd, form); rec.Code != http.StatusForbidden {
				t.Errorf("POST triage without the CSRF token = %d, want 403", rec.Code)
			}
			vf := url.Values{"status": {"triaged"}, "csrf": {csrfOf(viewer)}}
			if rec := do("POST", "/reports/"+r.ID+"/triage", viewer, vf); rec.Code != http.StatusForbidden {
				t.Errorf("POST triage as a viewer = %d, want 403", rec.Code)
			}
			form.Set("csrf", csrfOf(rnd))
			if rec := do("POST", "/reports/"+r.ID+"/triage", rnd, form); rec.Code != http.StatusSeeOther {
				t.Fatalf("POST triage = %d: %s", rec.Code, rec.Body.String())
			}
			got, _ := st.Report(ctx, r.ID)
			if got.Status != store.StatusTriaged || got.Reply != "收到，谢谢。" || got.History[len(got.History)-1].By != "alice" {
				t.Errorf("after triage: %s, %q, by %s", got.Status, got.Reply, got.History[len(got.History)-1].By)
			}
			// Signing out through the dashboard's header form ends the session.
			if rec := do("POST", "/logout", rnd, url.Values{"csrf": {csrfOf(rnd)}}); rec.Code != http.StatusSeeOther {
				t.Errorf("POST /logout from the dashboard = %d, want 303", rec.Code)
			}
			if rec := do("GET", "/inbox", rnd, nil); rec.Code != http.StatusSeeOther {
				t.Errorf("GET /inbox after signing out = %d, want a redirect", rec.Code)
			}
			entries, _, err := auditLog.List(ctx, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, en := range entries {
				actions = append(actions, en.Actor+" "+en.Action)
			}
			if !strings.Contains(strings.Join(actions, ","), "alice report.status") || !strings.Contains(strings.Join(actions, ","), "alice report.reply") {
				t.Errorf("audit log = %q, want alice's status and reply", actions)
			}
		})
	}
}
