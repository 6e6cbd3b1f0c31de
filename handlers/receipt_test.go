package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// seedReportWithHistory submits a report and has R&D work on it: an internal
// note, a status change and a public reply, each by a named person.
func seedReportWithHistory(t *testing.T, e *env) submitResp {
	t.Helper()
	r := e.mustSubmit(map[string]any{"contact": "13800001234", "reporter": "王工"})
	at := e.clock.Now().Add(time.Hour)
	_, err := e.store.UpdateReport(context.Background(), r.ID, func(rep *store.Report) error {
		rep.History = append(rep.History, store.Event{At: at, By: "alice.zhang", Action: store.ActionNote,
			Text: "internal: supplier batch 7 suspected", Internal: true})
		rep.SetStatus(store.StatusTriaged, "bob.li", at)
		rep.Reply = "已安排更换萃取剂批次。"
		rep.History = append(rep.History, store.Event{At: at, By: "bob.li", Action: store.ActionReply, Text: rep.Reply})
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateReport(%s): %v", r.ID, err)
	}
	return r
}

func TestReceiptJSON(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := seedReportWithHistory(t, e)

	rec := e.get("/api/v1/receipts/" + r.Receipt)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/receipts/<receipt> = %d %s, want 200", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, secret := range []string{"13800001234", "王工", "internal: supplier", "alice", "bob", r.ID, `"internal"`, `"contact"`} {
		if strings.Contains(body, secret) {
			t.Errorf("GET /api/v1/receipts/<receipt> shows %q; the reporter's view must not: %s", secret, body)
		}
	}
	var v struct {
		Code    string `json:"code"`
		Line    string `json:"line"`
		Title   string `json:"title"`
		Status  string `json:"status"`
		Reply   string `json:"reply"`
		History []struct {
			By     string `json:"by"`
			Action string `json:"action"`
		} `json:"history"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("receipt body: %v", err)
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(rec.Body.Bytes(), &keys)
	var got []string
	for k := range keys {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{"code", "created_at", "history", "line", "reply", "status", "title", "updated_at"}
	if !slices.Equal(got, want) {
		t.Errorf("receipt keys = %v, want %v", got, want)
	}
	if v.Code != r.Code || v.Line != "sx-1" || v.Status != "triaged" || v.Reply != "已安排更换萃取剂批次。" {
		t.Errorf("receipt = %+v, want code %s, line sx-1, status triaged and the reply", v, r.Code)
	}
	var bys, actions []string
	for _, ev := range v.History {
		bys, actions = append(bys, ev.By), append(actions, ev.Action)
	}
	if !slices.Equal(actions, []string{"created", "status", "reply"}) || !slices.Equal(bys, []string{"reporter", "R&D", "R&D"}) {
		t.Errorf("receipt history = actions %v by %v, want [created status reply] by [reporter R&D R&D]", actions, bys)
	}

	wantError(t, "GET /api/v1/receipts/unknown", e.get("/api/v1/receipts/AAAAAAAAAAAAAAAAAAAAAA"), 404, "not_found")
	wantError(t, "GET /api/v1/receipts/<too long>", e.get("/api/v1/receipts/"+strings.Repeat("A", 200)), 404, "not_found")
}

func TestStatusPage(t *testing.T) {
	e := newEnv(t, envOptions{config: baseURLConfig()})
	r := seedReportWithHistory(t, e)

	tests := []struct {
		name, acceptLanguage, query string
		want                        []string
	}{
		{"zh", "zh-CN", "", []string{`lang="zh-CN"`, "报告进度", "已分派", "萃取分离一线", r.Code, "萃取槽分相慢", "已安排更换萃取剂批次。", "研发", "Report status"}},
		{"en", "en-US", "", []string{`lang="en"`, "Report status", "Triaged", "Solvent Extraction Line 1", r.Code, "R&amp;D", "报告进度"}},
		{"?lang= overrides", "en-US", "?lang=zh", []string{`lang="zh-CN"`, "已分派"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.get("/s/"+r.Receipt+tc.query, "Accept-Language", tc.acceptLanguage)
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("GET /s/<receipt> = %d %s, want 200 HTML", rec.Code, rec.Header().Get("Content-Type"))
			}
			body := rec.Body.String()
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET /s/<receipt> (%s) lacks %q", tc.name, w)
				}
			}
			for _, secret := range []string{"13800001234", "internal: supplier", "alice", "bob.li"} {
				if strings.Contains(body, secret) {
					t.Errorf("GET /s/<receipt> shows %q", secret)
				}
			}
			if !strings.Contains(body, "https://floorfeed.plant.example/s/"+r.Receipt) {
				t.Errorf("GET /s/<receipt> lacks the absolute bookmark link")
			}
			if strings.Contains(body, "<script") || strings.Contains(body, "http://") {
				t.Errorf("GET /s/<receipt> has a script or external http asset")
			}
		})
	}

	rec := e.get("/s/AAAAAAAAAAAAAAAAAAAAAA", "Accept-Language", "en")
	if rec.Code != http.StatusNotFound || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("GET /s/<unknown> = %d %s, want a 404 HTML page", rec.Code, rec.Header().Get("Content-Type"))
	}
}
