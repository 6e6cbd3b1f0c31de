package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/store"
)

func TestReportListIsStrict(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustSubmit(nil)
	for _, c := range []struct{ query, field string }{
		{"?colour=red", "colour"},
		{"?Line=sx-1", "Line"},
		{"?cursor=garbage", "cursor"},
		{"?cursor=0192d6a4-0000-7000-8000-00000000000G", "cursor"},
		{"?from=2026-13-01", "from"},
		{"?to=yesterday", "to"},
		{"?from=2026-11-01&from=2026-11-02", "from"},
		{"?code=hello-world", "code"},
		{"?code=UUUU-UUUU", "code"},
		{"?code=Z54B-HE6", "code"},
		{"?limit=ten", "limit"},
	} {
		rec := e.apiGet("/api/v1/reports" + c.query)
		er := wantError(t, "GET "+c.query, rec, http.StatusBadRequest, "validation")
		if er.Error.Fields[c.field] == "" {
			t.Errorf("GET %s: fields %v do not name %s", c.query, er.Error.Fields, c.field)
		}
	}
	// A cursor this API handed out still works.
	e.mustSubmit(map[string]any{"title": "second"})
	rec := e.apiGet("/api/v1/reports?limit=1")
	var page struct {
		Reports    []map[string]any `json:"reports"`
		NextCursor string           `json:"next_cursor"`
	}
	if err := decodeJSON(rec.Body.String(), &page); err != nil || page.NextCursor == "" {
		t.Fatalf("GET ?limit=1 = %s, want a next cursor", rec.Body.String())
	}
	if rec := e.apiGet("/api/v1/reports?limit=1&cursor=" + page.NextCursor); rec.Code != http.StatusOK {
		t.Errorf("GET with its own next_cursor = %d %s", rec.Code, rec.Body.String())
	}
}

// processAll runs the report processor (with the code index) over every
// queued report job, as the worker does.
func (e *env) processAll() {
	e.t.Helper()
	ctx := context.Background()
	p := intake.NewProcessor(e.store, e.clock.Now).IndexCodes(intake.NewCodes(e.store))
	jobs, err := e.store.Claim(ctx, store.QueueReport, "test", 100, time.Minute)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, j := range jobs {
		if err := p.Handle(ctx, j); err != nil {
			e.t.Fatalf("Handle(%s): %v", j.ID, err)
		}
		if err := e.store.Ack(ctx, j); err != nil {
			e.t.Fatal(err)
		}
	}
}

func TestReportByCode(t *testing.T) {
	e := newEnv(t, envOptions{})
	want := e.mustSubmit(nil)
	other := e.mustSubmit(map[string]any{"title": "另一个", "line": "calc-1", "token": e.token("calc-1")})
	e.processAll()
	ids := func(query string) []string {
		t.Helper()
		rec := e.apiGet("/api/v1/reports?" + query)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET ?%s = %d %s", query, rec.Code, rec.Body.String())
		}
		var page struct {
			Reports []struct {
				ID, Code string
			} `json:"reports"`
		}
		if err := decodeJSON(rec.Body.String(), &page); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range page.Reports {
			out = append(out, r.ID)
		}
		return out
	}
	lower := strings.ToLower(want.Code)
	for _, q := range []string{"code=" + want.Code, "code=" + lower, "code=" + strings.ReplaceAll(want.Code, "-", ""), "code=" + want.Code + "&line=sx-1"} {
		if got := ids(q); len(got) != 1 || got[0] != want.ID {
			t.Errorf("GET ?%s = %v, want exactly [%s]", q, got, want.ID)
		}
	}
	if got := ids("code=" + want.Code + "&line=calc-1"); len(got) != 0 {
		t.Errorf("code with a line filter it does not meet = %v, want none", got)
	}
	if got := ids("code=" + other.Code); len(got) != 1 || got[0] != other.ID {
		t.Errorf("the other code = %v, want [%s]", got, other.ID)
	}
	if got := ids("code=0000-0000"); len(got) != 0 {
		t.Errorf("an unknown code = %v, want none", got)
	}

	// Reports from before the index: floorfeed reindex fills it in.
	if err := e.store.DeleteRecord(context.Background(), intake.CodesCollection, want.Code); err != nil {
		t.Fatal(err)
	}
	if got := ids("code=" + want.Code); len(got) != 0 {
		t.Fatalf("code without an index entry = %v", got)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/admin/reindex", nil)
	rec := httptest.NewRecorder()
	e.srv.LocalAdmin().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"codes":1`) {
		t.Fatalf("POST /api/v1/admin/reindex = %d %s, want one code added", rec.Code, rec.Body.String())
	}
	if got := ids("code=" + want.Code); len(got) != 1 {
		t.Errorf("code after reindex = %v, want it found", got)
	}
}

func TestHEADWhereverGET(t *testing.T) {
	e := newEnv(t, envOptions{})
	routes := map[string]bool{}
	for _, rt := range handlers.RoutesOf(e.srv) {
		routes[rt.Method+" "+rt.Path] = true
	}
	for name := range routes {
		if path, ok := strings.CutPrefix(name, "GET "); ok && !routes["HEAD "+path] {
			t.Errorf("GET %s has no HEAD", path)
		}
	}
	r := e.mustSubmit(nil)
	for _, path := range []string{"/api/v1/reports", "/api/v1/reports/" + r.ID} {
		if rec := e.do(httptest.NewRequest(http.MethodHead, path, nil)); rec.Code != http.StatusUnauthorized || rec.Body.Len() != 0 {
			t.Errorf("HEAD %s without a token = %d with %d bytes, want 401 without a body", path, rec.Code, rec.Body.Len())
		}
		req := httptest.NewRequest(http.MethodHead, path, nil)
		req.Header.Set("Authorization", "Bearer "+testAPIToken)
		if rec := e.do(req); rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Errorf("HEAD %s = %d, Content-Type %q; want 200 with GET's headers", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
}

// TestOpenAPIMatchesRouter: the description is public, valid OpenAPI 3 in
// the parts a client relies on, and describes exactly the /api/v1 routes the
// router serves.
func TestOpenAPIMatchesRouter(t *testing.T) {
	e := newEnv(t, envOptions{})
	rec := e.get("/api/v1/openapi.json")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json without auth = %d %q, want 200 JSON", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title, Version string
		} `json:"info"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct {
				Type, Scheme, In, Name string
			} `json:"securitySchemes"`
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Info.Title == "" || doc.Info.Version == "" {
		t.Errorf("openapi %q, info %+v: want 3.x with a title and version", doc.OpenAPI, doc.Info)
	}
	if b := doc.Components.SecuritySchemes["bearer"]; b.Type != "http" || b.Scheme != "bearer" {
		t.Errorf("securitySchemes.bearer = %+v, want http bearer", b)
	}
	if c := doc.Components.SecuritySchemes["session"]; c.Type != "apiKey" || c.In != "cookie" || c.Name != "ff_session" {
		t.Errorf("securitySchemes.session = %+v, want apiKey in cookie ff_session", c)
	}
	// Every $ref resolves.
	for _, m := range regexp.MustCompile(`"\$ref":\s*"#/components/schemas/([^"]+)"`).FindAllStringSubmatch(rec.Body.String(), -1) {
		if doc.Components.Schemas[m[1]] == nil {
			t.Errorf("$ref to undefined schema %s", m[1])
		}
	}
	ops := map[string]bool{"get": true, "head": true, "post": true, "patch": true, "delete": true, "put": true}
	described := map[string]bool{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if !ops[method] {
				t.Errorf("%s: %q is not an operation", path, method)
				continue
			}
			var op struct {
				OperationID string                     `json:"operationId"`
				Responses   map[string]json.RawMessage `json:"responses"`
				Parameters  []struct {
					Name, In string
					Required bool
				} `json:"parameters"`
			}
			if err := json.Unmarshal(raw, &op); err != nil || op.OperationID == "" || len(op.Responses) == 0 {
				t.Errorf("%s %s: want an operationId and responses (%v)", method, path, err)
			}
			for _, seg := range strings.Split(path, "/") {
				if name, ok := strings.CutPrefix(seg, "{"); ok {
					found := false
					for _, p := range op.Parameters {
						found = found || (p.Name == strings.TrimSuffix(name, "}") && p.In == "path" && p.Required)
					}
					if !found {
						t.Errorf("%s %s: path parameter %s is not declared", method, path, seg)
					}
				}
			}
			described[strings.ToUpper(method)+" "+path] = true
		}
	}
	param := regexp.MustCompile(`:([^/]+)`)
	served := map[string]bool{}
	for _, rt := range handlers.RoutesOf(e.srv) {
		if rt.Method == handlers.RouteNotFoundMethod || !strings.HasPrefix(rt.Path, "/api/v1/") {
			continue
		}
		served[rt.Method+" "+param.ReplaceAllString(rt.Path, "{$1}")] = true
	}
	var missing, extra []string
	for r := range served {
		if !described[r] {
			missing = append(missing, r)
		}
	}
	for r := range described {
		if !served[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes the router serves but openapi.json does not describe: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("operations openapi.json describes but the router does not serve: %v", extra)
	}
	if len(served) < 10 {
		t.Errorf("only %d /api/v1 routes seen", len(served))
	}
}
