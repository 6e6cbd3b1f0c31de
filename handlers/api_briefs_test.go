package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/brief"
	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
	"github.com/floorfeed/floorfeed/store/storetest"
)

// briefServer is a server over a fresh bolt store with the briefs API, a
// few reports of the week of testStart, and the test API token.
func briefServer(t *testing.T) http.Handler {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "floorfeed.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("boltstore.Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ctx := context.Background()
	for i, title := range []string{"萃取槽乳化，分相慢", "pump leaking oil at stage 12", "泵漏油，机械密封坏了"} {
		sub := storetest.MakeSubmission("k"+title, testStart.Add(time.Duration(i)*time.Hour), func(r *store.Report) {
			r.Title, r.Team = title, "separation"
			if i == 0 {
				r.Severity = store.SeverityCritical
			}
		})
		if _, _, err := st.Submit(ctx, sub); err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	// Assigned to separation but on a line outside its plant filter
	// (sx-1, calc-1): a team's brief leaves it out.
	outside := storetest.MakeSubmission("k-outside", testStart.Add(5*time.Hour), func(r *store.Report) {
		r.Title, r.Team, r.Line = "outside the team's filter", "separation", "elec-1"
	})
	if _, _, err := st.Submit(ctx, outside); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	sum := sha256.Sum256([]byte(testAPIToken))
	if err := st.CreateToken(ctx, store.APIToken{ID: "tok-1", Name: "ci", Hash: hex.EncodeToString(sum[:]), CreatedAt: testStart}); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	sg, err := signing.New([]byte("handlers-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	clk := testutil.NewClock(testStart.Add(7 * 24 * time.Hour))
	p := plant.Sample()
	tokens, err := auth.New(auth.Deps{Tokens: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	maker, err := brief.New(brief.Deps{Reports: st, Records: st, Plant: p, BaseURL: "https://ff.example", TimeZone: time.UTC, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := handlers.New(handlers.Deps{
		Intake: intake.New(intake.Deps{Store: st, Plant: p, Signer: sg, Now: clk.Now}), Reports: st, Tokens: tokens,
		Ready: st.Ping, Plant: p, Signer: sg, Now: clk.Now, Briefs: maker,
		Config: handlers.Config{TimeZone: time.UTC},
	})
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	return srv
}

func doBrief(h http.Handler, method, path, body string, token bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token {
		req.Header.Set("Authorization", "Bearer "+testAPIToken)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestBriefsAPI walks the briefs API: 401 without a token, 400 naming bad
// fields, 201 with the id and PDF URL, the PDF (pdftotext reads the
// reports' titles), the brief's JSON and the list.
func TestBriefsAPI(t *testing.T) {
	h := briefServer(t)
	const good = `{"team":"separation","from":"2026-11-02","to":"2026-11-08","lang":"en"}`
	for _, path := range []string{"/api/v1/briefs", "/api/v1/briefs/01a23407-1d42-770a-b5b3-6e2fb78781da.pdf"} {
		method := http.MethodGet
		if rec := doBrief(h, method, path, "", false); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without a token = %d, want 401", path, rec.Code)
		}
	}
	if rec := doBrief(h, http.MethodPost, "/api/v1/briefs", good, false); rec.Code != http.StatusUnauthorized {
		t.Errorf("POST /api/v1/briefs without a token = %d, want 401", rec.Code)
	}

	rec := doBrief(h, http.MethodPost, "/api/v1/briefs", `{"team":"nope","from":"2026-13-01","lang":"fr","min_severity":"huge"}`, true)
	var eb struct {
		Error struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || rec.Code != http.StatusBadRequest || eb.Error.Code != "validation" {
		t.Fatalf("POST bad brief = %d %s, want 400 validation", rec.Code, rec.Body)
	}
	for _, f := range []string{"team", "from", "to", "lang", "min_severity"} {
		if eb.Error.Fields[f] == "" {
			t.Errorf("POST bad brief: no message for field %s in %v", f, eb.Error.Fields)
		}
	}
	if rec := doBrief(h, http.MethodPost, "/api/v1/briefs", `{"from":"2026-11-02","to":"2026-11-08","colour":"red"}`, true); rec.Code != http.StatusBadRequest {
		t.Errorf("POST brief with an unknown member = %d, want 400", rec.Code)
	}

	rec = doBrief(h, http.MethodPost, "/api/v1/briefs", good, true)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/v1/briefs = %d %s, want 201", rec.Code, rec.Body)
	}
	var made handlers.BriefCreated
	if err := json.Unmarshal(rec.Body.Bytes(), &made); err != nil || made.ID == "" || made.URL != "/api/v1/briefs/"+made.ID+".pdf" {
		t.Fatalf("201 body %s: want id and url /api/v1/briefs/{id}.pdf", rec.Body)
	}
	if n := made.Summary.Numbers; n.Reports != 3 || n.Critical != 1 {
		t.Errorf("summary numbers = %+v, want 3 reports (the team's filter leaves one out), 1 critical", n)
	}

	rec = doBrief(h, http.MethodGet, made.URL, "", true)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(rec.Body.Bytes(), []byte("%PDF-")) {
		t.Fatalf("GET %s = %d %s, %.10q; want 200 application/pdf starting %%PDF-", made.URL, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	text := pdftotext(t, rec.Body.Bytes())
	for _, want := range []string{"R&D brief", "萃取槽乳化，分相慢", "pump leaking oil at stage 12", "泵漏油，机械密封坏了"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext of the brief lacks %q", want)
		}
	}

	rec = doBrief(h, http.MethodGet, "/api/v1/briefs/"+made.ID, "", true)
	var kept brief.Kept
	if err := json.Unmarshal(rec.Body.Bytes(), &kept); rec.Code != http.StatusOK || err != nil || kept.ID != made.ID || kept.Request.Team != "separation" {
		t.Errorf("GET /api/v1/briefs/%s = %d %s, want the kept brief", made.ID, rec.Code, rec.Body)
	}
	rec = doBrief(h, http.MethodGet, "/api/v1/briefs", "", true)
	var list handlers.BriefList
	if err := json.Unmarshal(rec.Body.Bytes(), &list); rec.Code != http.StatusOK || err != nil || len(list.Briefs) != 1 || list.Briefs[0].ID != made.ID {
		t.Errorf("GET /api/v1/briefs = %d %s, want the one brief", rec.Code, rec.Body)
	}
	for _, path := range []string{"/api/v1/briefs/01a23407-1d42-770a-b5b3-6e2fb78781da.pdf", "/api/v1/briefs/../x.pdf", "/api/v1/briefs/nope"} {
		if rec := doBrief(h, http.MethodGet, path, "", true); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
	}
}

func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if testutil.InCI() {
			t.Fatal("pdftotext not found and CI=true: install poppler-utils")
		}
		t.Skip("pdftotext not found: install poppler-utils")
	}
	path := filepath.Join(t.TempDir(), "brief.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
