package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// serveEnv serves e over real HTTP for the test.
func serveEnv(t *testing.T, e *env) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close)
	return ts
}

// addToken stores an API token named name and returns its secret.
func addToken(t *testing.T, e *env, name string) string {
	t.Helper()
	secret := "ff_test_" + strings.ReplaceAll(name, ".", "_") + "_0123456789"
	sum := sha256.Sum256([]byte(secret))
	if err := e.store.CreateToken(context.Background(), store.APIToken{
		ID: "tok-" + name, Name: name, Hash: hex.EncodeToString(sum[:]), CreatedAt: testStart,
	}); err != nil {
		t.Fatalf("CreateToken(%s): %v", name, err)
	}
	return secret
}

// call makes one request to ts and returns the status and body.
func call(t *testing.T, ts *httptest.Server, method, path, body string, headers ...string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatalf("NewRequest(%s %s): %v", method, path, err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

// patchReport sends PATCH /api/v1/reports/{id} as the holder of secret.
func patchReport(t *testing.T, ts *httptest.Server, secret, id, body string) (int, string) {
	t.Helper()
	return call(t, ts, http.MethodPatch, "/api/v1/reports/"+id, body,
		"Authorization", "Bearer "+secret, "Content-Type", "application/json", "Accept-Language", "en")
}

// apiReportBody is the part of the authenticated report a test reads.
type apiReportBody struct {
	ID        string        `json:"id"`
	Status    string        `json:"status"`
	Team      string        `json:"team"`
	Reply     string        `json:"reply"`
	Contact   string        `json:"contact"`
	UpdatedAt time.Time     `json:"updated_at"`
	History   []store.Event `json:"history"`
}

// Reports on sx-1 start with its owning team, separation.
func TestReportPatch(t *testing.T) {
	e := newEnv(t, envOptions{})
	ts := serveEnv(t, e)
	secret := addToken(t, e, "alice.zhang")

	tests := []struct {
		name, body string
		status     int
		// code is the error code for a failure.
		code string
		// fields are the fields an error must name (with a message each).
		fields []string
		// wantAdded are the actions the change adds to the history.
		wantAdded                       []string
		wantStatus, wantTeam, wantReply string
	}{
		{name: "status", body: `{"status": "triaged"}`, status: 200,
			wantAdded: []string{"status"}, wantStatus: "triaged", wantTeam: "separation"},
		{name: "everything", body: `{"status": "in_progress", "team": "metallurgy", "reply": "已安排更换萃取剂批次。", "note": "supplier batch 7"}`,
			status: 200, wantAdded: []string{"status", "team", "reply", "note"}, wantStatus: "in_progress", wantTeam: "metallurgy", wantReply: "已安排更换萃取剂批次。"},
		{name: "null members are left alone", body: `{"status": null, "team": "magnets"}`, status: 200,
			wantAdded: []string{"team"}, wantStatus: "new", wantTeam: "magnets"},
		{name: "the team it has already", body: `{"team": "separation"}`, status: 200, wantStatus: "new", wantTeam: "separation"},
		{name: "unassigned", body: `{"team": ""}`, status: 200, wantAdded: []string{"team"}, wantStatus: "new"},
		{name: "empty object changes nothing", body: `{}`, status: 200, wantStatus: "new", wantTeam: "separation"},
		{name: "unknown status", body: `{"status": "done"}`, status: 400, code: "validation", fields: []string{"status"}},
		{name: "back to new", body: `{"status": "new"}`, status: 400, code: "validation", fields: []string{"status"}},
		{name: "unknown team", body: `{"team": "marketing"}`, status: 400, code: "validation", fields: []string{"team"}},
		{name: "reply too long", body: `{"reply": "` + strings.Repeat("x", 2001) + `"}`, status: 400, code: "validation", fields: []string{"reply"}},
		{name: "empty note", body: `{"note": " "}`, status: 400, code: "validation", fields: []string{"note"}},
		{name: "every field invalid", body: `{"status": "x", "team": "x", "note": ""}`, status: 400, code: "validation",
			fields: []string{"note", "status", "team"}},
		{name: "misspelt member", body: `{"staus": "triaged"}`, status: 400, code: "bad_request", fields: []string{"staus"}},
		{name: "read-only member", body: `{"status": "triaged", "contact": "x"}`, status: 400, code: "bad_request", fields: []string{"contact"}},
		{name: "wrong type", body: `{"status": 3}`, status: 400, code: "bad_request", fields: []string{"status"}},
		{name: "not an object", body: `["triaged"]`, status: 400, code: "bad_request"},
		{name: "null body", body: `null`, status: 400, code: "bad_request"},
		{name: "malformed", body: `{"status": "triaged"`, status: 400, code: "bad_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.mustSubmit(nil)
			status, body := patchReport(t, ts, secret, r.ID, tc.body)
			if status != tc.status {
				t.Fatalf("PATCH /api/v1/reports/{id} %s = %d %s, want %d", tc.body, status, body, tc.status)
			}
			_, after := call(t, ts, http.MethodGet, "/api/v1/reports/"+r.ID, "", "Authorization", "Bearer "+secret)
			var stored apiReportBody
			if err := json.Unmarshal([]byte(after), &stored); err != nil {
				t.Fatalf("GET /api/v1/reports/{id}: %v in %s", err, after)
			}
			if tc.status != 200 {
				var er errorResponse
				if err := json.Unmarshal([]byte(body), &er); err != nil || er.Error.Code != tc.code {
					t.Errorf("PATCH %s: error %s, want code %q", tc.body, body, tc.code)
				}
				var named []string
				for f, msg := range er.Error.Fields {
					named = append(named, f)
					if msg == "" || strings.Contains(msg, "fieldcode.") {
						t.Errorf("PATCH %s: field %s has message %q, want a sentence", tc.body, f, msg)
					}
				}
				slices.Sort(named)
				if !slices.Equal(named, tc.fields) {
					t.Errorf("PATCH %s: error names fields %v, want %v", tc.body, named, tc.fields)
				}
				if len(stored.History) != 1 || stored.Status != "new" || stored.Team != "separation" || stored.Reply != "" {
					t.Errorf("after the refused PATCH %s the report is %+v, want it as submitted", tc.body, stored)
				}
				return
			}
			var got apiReportBody
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("PATCH body: %v in %s", err, body)
			}
			if got.ID != r.ID || got.Contact != "13800001234" {
				t.Errorf("PATCH answered %s, want the full authenticated report %s", body, r.ID)
			}
			for which, rep := range map[string]apiReportBody{"PATCH answer": got, "GET after": stored} {
				if rep.Status != tc.wantStatus || rep.Team != tc.wantTeam || rep.Reply != tc.wantReply {
					t.Errorf("%s: status %q team %q reply %q, want %q %q %q", which, rep.Status, rep.Team, rep.Reply,
						tc.wantStatus, tc.wantTeam, tc.wantReply)
				}
				var added []string
				for _, ev := range rep.History[1:] {
					added = append(added, ev.Action)
					if ev.By != "alice.zhang" || !ev.At.Equal(e.clock.Now()) {
						t.Errorf("%s: entry %+v, want by the token's name alice.zhang at %v", which, ev, e.clock.Now())
					}
				}
				if !slices.Equal(added, tc.wantAdded) {
					t.Errorf("%s: history gained %v, want %v", which, added, tc.wantAdded)
				}
			}
		})
	}

	t.Run("unchanged status adds nothing", func(t *testing.T) {
		r := e.mustSubmit(nil)
		for range 2 {
			if status, body := patchReport(t, ts, secret, r.ID, `{"status": "resolved"}`); status != 200 {
				t.Fatalf("PATCH status resolved = %d %s, want 200", status, body)
			}
		}
		_, body := call(t, ts, http.MethodGet, "/api/v1/reports/"+r.ID, "", "Authorization", "Bearer "+secret)
		if n := strings.Count(body, `"action":"status"`); n != 1 {
			t.Errorf("after setting the same status twice, history has %d status entries, want 1: %s", n, body)
		}
	})

	errCases := []struct {
		name, path, body string
		headers          []string
		status           int
		code             string
	}{
		{"unknown id", "/api/v1/reports/" + store.NewID(testStart), `{"status": "triaged"}`,
			[]string{"Authorization", "Bearer " + secret, "Content-Type", "application/json"}, 404, "not_found"},
		{"id too long", "/api/v1/reports/" + strings.Repeat("a", 100), `{"status": "triaged"}`,
			[]string{"Authorization", "Bearer " + secret, "Content-Type", "application/json"}, 404, "not_found"},
		{"no token", "/api/v1/reports/x", `{"status": "triaged"}`, []string{"Content-Type", "application/json"}, 401, "unauthorized"},
		{"wrong token", "/api/v1/reports/x", `{"status": "triaged"}`,
			[]string{"Authorization", "Bearer nope", "Content-Type", "application/json"}, 401, "unauthorized"},
		{"form-encoded", "/api/v1/reports/x", `status=triaged`,
			[]string{"Authorization", "Bearer " + secret, "Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
	}
	for _, tc := range errCases {
		status, body := call(t, ts, http.MethodPatch, tc.path, tc.body, tc.headers...)
		var er errorResponse
		if err := json.Unmarshal([]byte(body), &er); status != tc.status || err != nil || er.Error.Code != tc.code {
			t.Errorf("PATCH (%s) = %d %s, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
	}

	t.Run("reserved token name", func(t *testing.T) {
		r := e.mustSubmit(nil)
		system := addToken(t, e, "system")
		status, body := patchReport(t, ts, system, r.ID, `{"status": "triaged"}`)
		if status != http.StatusForbidden {
			t.Errorf("PATCH by a token named system = %d %s, want 403", status, body)
		}
	})
}

// TestTriageSeenByReporter walks one report through triage over HTTP and
// checks what its reporter sees at each step: every public change, the
// reply, and never the internal note or who at R&D did it.
func TestTriageSeenByReporter(t *testing.T) {
	e := newEnv(t, envOptions{})
	ts := serveEnv(t, e)
	secret := addToken(t, e, "alice.zhang")
	r := e.mustSubmit(map[string]any{"reporter": "王工", "contact": "13800001234"})

	const note = "内部：怀疑第7批萃取剂 / supplier batch 7 suspected"
	const reply = "已安排更换萃取剂批次。"
	steps := []struct {
		body string
		// wantActions is the reporter's history after the step.
		wantActions []string
		// wantPage must be on the zh status page after the step.
		wantPage []string
	}{
		{`{"team": "metallurgy"}`, []string{"created", "team"}, []string{"转交团队", "冶金研发组"}},
		{`{"note": "` + note + `"}`, []string{"created", "team"}, nil},
		{`{"status": "in_progress"}`, []string{"created", "team", "status"}, []string{"状态变更", "处理中"}},
		{`{"reply": "` + reply + `"}`, []string{"created", "team", "status", "reply"}, []string{"研发回复", reply}},
		{`{"note": "` + note + ` (2)", "status": "resolved"}`, []string{"created", "team", "status", "reply", "status"}, []string{"已解决"}},
		{`{"note": "late note"}`, []string{"created", "team", "status", "reply", "status"}, nil},
	}
	var lastPublic time.Time
	for i, st := range steps {
		e.clock.Advance(time.Hour)
		if status, body := patchReport(t, ts, secret, r.ID, st.body); status != 200 {
			t.Fatalf("step %d: PATCH %s = %d %s, want 200", i, st.body, status, body)
		}
		if !strings.Contains(st.body, `"note"`) || strings.Contains(st.body, `"status"`) {
			lastPublic = e.clock.Now()
		}

		status, body := call(t, ts, http.MethodGet, "/api/v1/receipts/"+r.Receipt, "")
		if status != 200 {
			t.Fatalf("step %d: GET receipt = %d %s", i, status, body)
		}
		for _, secret := range []string{"supplier", "内部", "late note", "alice", `"note"`, "王工", "13800001234", `"internal"`} {
			if strings.Contains(body, secret) {
				t.Errorf("step %d (%s): receipt JSON shows %q: %s", i, st.body, secret, body)
			}
		}
		var v struct {
			Reply     string    `json:"reply"`
			UpdatedAt time.Time `json:"updated_at"`
			History   []struct {
				By, Action, Text string
			} `json:"history"`
		}
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("step %d: receipt JSON: %v", i, err)
		}
		var actions []string
		for _, ev := range v.History {
			actions = append(actions, ev.Action)
			if ev.Action != "created" && ev.By != "R&D" {
				t.Errorf("step %d: receipt entry %+v, want by R&D", i, ev)
			}
		}
		if !slices.Equal(actions, st.wantActions) {
			t.Errorf("step %d (%s): receipt history %v, want %v", i, st.body, actions, st.wantActions)
		}
		if !v.UpdatedAt.Equal(lastPublic) {
			t.Errorf("step %d (%s): receipt updated_at %v, want %v (the last change the reporter can see)", i, st.body, v.UpdatedAt, lastPublic)
		}
		if i >= 3 && v.Reply != reply {
			t.Errorf("step %d: receipt reply %q, want %q", i, v.Reply, reply)
		}

		status, page := call(t, ts, http.MethodGet, "/s/"+r.Receipt, "", "Accept-Language", "zh-CN")
		if status != 200 {
			t.Fatalf("step %d: GET /s/<receipt> = %d", i, status)
		}
		for _, w := range st.wantPage {
			if !strings.Contains(page, w) {
				t.Errorf("step %d (%s): status page lacks %q", i, st.body, w)
			}
		}
		for _, secret := range []string{"supplier", "内部", "late note", "alice", "备注", "13800001234"} {
			if strings.Contains(page, secret) {
				t.Errorf("step %d (%s): status page shows %q", i, st.body, secret)
			}
		}
	}

	// R&D sees everything, notes included, each under the token's name.
	_, body := call(t, ts, http.MethodGet, "/api/v1/reports/"+r.ID, "", "Authorization", "Bearer "+secret)
	var full apiReportBody
	if err := json.Unmarshal([]byte(body), &full); err != nil {
		t.Fatalf("GET /api/v1/reports/{id}: %v", err)
	}
	var actions []string
	notes := 0
	for _, ev := range full.History {
		actions = append(actions, ev.Action)
		if ev.Action == "note" {
			notes++
			if !ev.Internal || !strings.HasPrefix(ev.Text, "内部") && ev.Text != "late note" {
				t.Errorf("note entry %+v, want internal with the note's text", ev)
			}
		}
	}
	want := []string{"created", "team", "note", "status", "reply", "status", "note", "note"}
	if !slices.Equal(actions, want) || notes != 3 {
		t.Errorf("authenticated history %v, want %v", actions, want)
	}
}

// TestUnavailableReadMessage: only a submission has a report to keep, so
// only a failed POST /api/v1/reports says it was not saved; listing,
// reading and changing reports say the service is down.
func TestUnavailableReadMessage(t *testing.T) {
	e := newEnv(t, envOptions{})
	ts := serveEnv(t, e)
	r := e.mustSubmit(nil)
	if err := e.store.Close(); err != nil {
		t.Fatalf("Close store: %v", err)
	}
	auth := []string{"Authorization", "Bearer " + testAPIToken, "Accept-Language", "en", "Content-Type", "application/json"}
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/reports", ""},
		{http.MethodGet, "/api/v1/reports/" + r.ID, ""},
		{http.MethodPatch, "/api/v1/reports/" + r.ID, `{"status": "triaged"}`},
	} {
		status, body := call(t, ts, c.method, c.path, c.body, auth...)
		var er errorResponse
		_ = json.Unmarshal([]byte(body), &er)
		if status != http.StatusServiceUnavailable || er.Error.Code != "unavailable" ||
			strings.Contains(er.Error.Message, "not been saved") || !strings.Contains(er.Error.Message, "temporarily unavailable") {
			t.Errorf("%s %s with the store closed = %d %s, want 503 saying the service is unavailable (nothing about saving)",
				c.method, c.path, status, body)
		}
	}
}
