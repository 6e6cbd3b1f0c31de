package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/handlers"
)

// admin sends a request through the local administrator's handler (what
// the admin socket and the CLI in-process serve).
func (e *env) admin(method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	e.srv.LocalAdmin().ServeHTTP(rec, req)
	return rec
}

func TestAdminAPIOnlyForTheLocalAdministrator(t *testing.T) {
	e := newEnv(t, envOptions{config: handlers.Config{BaseURL: "https://ff.example"}})
	for _, path := range []string{"/api/v1/admin/tokens", "/api/v1/admin/lines", "/api/v1/admin/settings"} {
		if rec := e.get(path); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without credentials = %d, want 401", path, rec.Code)
		}
		if rec := e.apiGet(path); rec.Code != http.StatusForbidden {
			t.Errorf("GET %s with an API token = %d, want 403 (tokens are not administrators)", path, rec.Code)
		}
		if rec := e.admin(http.MethodGet, path, ""); rec.Code != http.StatusOK {
			t.Errorf("GET %s as the local administrator = %d %s, want 200", path, rec.Code, rec.Body)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/admin/tokens", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testAPIToken)
	if rec := e.do(req); rec.Code != http.StatusForbidden {
		t.Fatalf("POST /api/v1/admin/tokens with an API token = %d, want 403", rec.Code)
	}
}

func TestAdminTokensCreateListRevoke(t *testing.T) {
	e := newEnv(t, envOptions{})
	rec := e.admin(http.MethodPost, "/api/v1/admin/tokens", `{"name":"mes"}`)
	var created handlers.AdminToken
	if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &created) != nil || !strings.HasPrefix(created.Token, "fft_") {
		t.Fatalf("POST /api/v1/admin/tokens = %d %s, want 201 with an fft_ token", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "hash") {
		t.Fatalf("create answer shows the hash: %s", rec.Body)
	}
	list := func() []handlers.AdminToken {
		t.Helper()
		rec := e.admin(http.MethodGet, "/api/v1/admin/tokens", "")
		var out []handlers.AdminToken
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			t.Fatalf("GET /api/v1/admin/tokens = %d %s", rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "fft_") || strings.Contains(rec.Body.String(), "hash") {
			t.Fatalf("token list shows a secret or a hash: %s", rec.Body)
		}
		return out
	}
	find := func() handlers.AdminToken {
		t.Helper()
		got := list()
		for _, tok := range got {
			if tok.ID == created.ID {
				return tok
			}
		}
		t.Fatalf("token list = %+v; no %s", got, created.ID)
		return handlers.AdminToken{}
	}
	if got := list(); len(got) != 2 || !find().LastUsedAt.IsZero() || find().Name != "mes" {
		t.Fatalf("token list = %+v; want the env's token and the new one, never used", got)
	}
	// The new token works, and its use is recorded.
	req := httptest.NewRequest(http.MethodGet, "/api/v1/reports", nil)
	req.Header.Set("Authorization", "Bearer "+created.Token)
	if rec := e.do(req); rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/reports with the new token = %d", rec.Code)
	}
	if got := find().LastUsedAt; !got.Equal(e.clock.Now()) {
		t.Fatalf("last used after a request = %v, want %v", got, e.clock.Now())
	}
	if rec := e.admin(http.MethodDelete, "/api/v1/admin/tokens/"+created.ID, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("DELETE token = %d %s, want 204", rec.Code, rec.Body)
	}
	req = httptest.NewRequest(http.MethodGet, "/api/v1/reports", nil)
	req.Header.Set("Authorization", "Bearer "+created.Token)
	if rec := e.do(req); rec.Code != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/reports with a revoked token = %d, want 401", rec.Code)
	}
	if rec := e.admin(http.MethodDelete, "/api/v1/admin/tokens/"+created.ID, ""); rec.Code != http.StatusNotFound {
		t.Fatalf("DELETE a revoked token = %d, want 404", rec.Code)
	}
	if rec := e.admin(http.MethodPost, "/api/v1/admin/tokens", `{"name":"  "}`); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "1 to 100 characters") {
		t.Fatalf("POST token with a blank name = %d %s, want 400 saying why", rec.Code, rec.Body)
	}
	if rec := e.admin(http.MethodPost, "/api/v1/admin/tokens", `{"name":`); rec.Code != http.StatusBadRequest {
		t.Fatalf("POST token with broken JSON = %d, want 400", rec.Code)
	}
}

func TestAdminLinesUseTheServersBaseURL(t *testing.T) {
	e := newEnv(t, envOptions{config: handlers.Config{BaseURL: "https://ff.plant.example/"}})
	rec := e.admin(http.MethodGet, "/api/v1/admin/lines", "")
	var lines []handlers.AdminLine
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &lines) != nil || len(lines) != len(e.plant.Lines) {
		t.Fatalf("GET /api/v1/admin/lines = %d %s", rec.Code, rec.Body)
	}
	want := "https://ff.plant.example/r/sx-1?t=" + e.token("sx-1")
	if lines[0].ID != "sx-1" || lines[0].FormURL != want {
		t.Fatalf("first line = %+v, want sx-1 with form URL %s", lines[0], want)
	}
	// The URL it prints opens the form.
	if rec := e.get(strings.TrimPrefix(lines[0].FormURL, "https://ff.plant.example")); rec.Code != http.StatusOK {
		t.Fatalf("GET the printed form URL = %d, want 200", rec.Code)
	}
	var st handlers.AdminSettings
	rec = e.admin(http.MethodGet, "/api/v1/admin/settings", "")
	if json.Unmarshal(rec.Body.Bytes(), &st) != nil || st.BaseURL != "https://ff.plant.example" || st.Lines != len(e.plant.Lines) {
		t.Fatalf("GET /api/v1/admin/settings = %d %s", rec.Code, rec.Body)
	}
	if rec := e.admin(http.MethodPost, "/api/v1/admin/demo", `{"reports":1}`); rec.Code != http.StatusNotFound {
		t.Fatalf("POST /api/v1/admin/demo without a demo loader = %d, want 404", rec.Code)
	}
}
