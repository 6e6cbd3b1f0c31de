package dashboard_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/dashboard"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

// testCSRF is the CSRF token the stand-in session carries.
const testCSRF = "csrf-test-token-0123456789"

// roleHeader lets a test request act as another role than the default
// (rnd); only the stand-in middleware reads it.
const roleHeader = "X-Test-Role"

var testStart = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// standIn is the test's stand-in for the session middleware (which the
// auth branch builds and the integrator mounts): it puts a principal and
// the session's CSRF token on the request context.
func standIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		role := auth.Role(c.Request().Header.Get(roleHeader))
		if role == "" {
			role = auth.RoleRnD
		}
		if role == "none" {
			return next(c)
		}
		p := auth.Principal{Kind: auth.KindSession, ID: "u-" + string(role), Name: "test-" + string(role), Role: role}
		ctx := auth.WithCSRFToken(auth.WithPrincipal(c.Request().Context(), p), testCSRF)
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// env is a dashboard over a real store, mounted on a bare Echo behind the
// stand-in.
type env struct {
	t        *testing.T
	st       store.Store
	intake   *intake.Service
	triage   *triage.Service
	settings *plant.Settings
	dash     *dashboard.Dashboard
	e        *echo.Echo
	clock    *testutil.Clock
	audit    *auditLog
	seq      int
}

// auditLog records Audit calls (the auth branch's audit log implements the
// same interface over the store).
type auditLog struct{ entries []string }

func (a *auditLog) Audit(_ context.Context, actor, action, target, detail string) error {
	a.entries = append(a.entries, actor+" "+action+" "+target+" "+detail)
	return nil
}

type envOptions struct {
	facetBudget int
	search      dashboard.Searcher
	similarity  dashboard.Similarity
}

func newEnv(t testing.TB, st store.Store, opts envOptions) *env {
	t.Helper()
	ctx := context.Background()
	clk := testutil.NewClock(testStart)
	settings, err := plant.NewSettings(st, plant.Sample(), clk.Now)
	if err != nil {
		t.Fatalf("plant.NewSettings: %v", err)
	}
	p, _, err := settings.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sg := testSigner(t)
	in := intake.New(intake.Deps{Store: st, Plant: p, Signer: sg, Now: clk.Now})
	tr, err := triage.New(triage.Deps{Reports: st, Teams: p, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	al := &auditLog{}
	d, err := dashboard.New(dashboard.Deps{
		Reports: st, Triage: tr, Plant: settings, PlantEditor: settings, Queue: st, Audit: al,
		FacetBudget: opts.facetBudget, Search: opts.search, Similarity: opts.similarity, Now: clk.Now,
	})
	if err != nil {
		t.Fatalf("dashboard.New: %v", err)
	}
	e := echo.New()
	d.Register(dashboard.EchoRouter{E: e, MW: []echo.MiddlewareFunc{standIn}})
	d.RegisterAPI(dashboard.EchoRouter{E: e, MW: []echo.MiddlewareFunc{standIn}})
	tt, _ := t.(*testing.T)
	return &env{t: tt, st: st, intake: in, triage: tr, settings: settings, dash: d, e: e, clock: clk, audit: al}
}

// report is what a test submits; zero fields get defaults.
type report struct {
	line, category, severity, title, body, reporter string
	at                                              time.Time
}

// submit stores a report through intake, as a phone would.
func (e *env) submit(r report) store.Report {
	e.t.Helper()
	e.seq++
	in := intake.Input{Line: r.line, Category: r.category, Severity: r.severity, Title: r.title, Body: r.body, Reporter: r.reporter, Lang: "zh"}
	if in.Line == "" {
		in.Line = "sx-1"
	}
	if in.Category == "" {
		in.Category = "quality"
	}
	if in.Severity == "" {
		in.Severity = "medium"
	}
	if in.Title == "" {
		in.Title = fmt.Sprintf("报告 %d", e.seq)
	}
	at := r.at
	if at.IsZero() {
		at = testStart.Add(-time.Duration(1000-e.seq) * time.Minute)
	}
	got, _, err := e.intake.Submit(context.Background(), in, intake.Meta{IdempotencyKey: fmt.Sprintf("k-%d", e.seq), At: at, SkipToken: true})
	if err != nil {
		e.t.Fatalf("Submit(%+v): %v", in, err)
	}
	return got
}

// do sends a request as role ("" = rnd) and returns the response.
func (e *env) do(method, target, role string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", "en")
	if role != "" {
		req.Header.Set(roleHeader, role)
	}
	rec := httptest.NewRecorder()
	e.e.ServeHTTP(rec, req)
	return rec
}

// get fetches a page as rnd and fails unless it answers 200.
func (e *env) get(target string) string {
	e.t.Helper()
	rec := e.do(http.MethodGet, target, "", nil)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("GET %s = %d, want 200:\n%s", target, rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

// post sends a form with the session's CSRF token.
func (e *env) post(target, role string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has(auth.CSRFField) {
		form.Set(auth.CSRFField, testCSRF)
	}
	return e.do(http.MethodPost, target, role, form)
}

func testSigner(t testing.TB) *signing.Signer {
	t.Helper()
	sg, err := signing.New([]byte("dashboard-test-secret-0123456789"))
	if err != nil {
		t.Fatalf("signing.New: %v", err)
	}
	return sg
}
