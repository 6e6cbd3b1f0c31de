package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

func TestTriageFromReportPage(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t), envOptions{})
			r := e.submit(report{title: "烧结炉温度偏高"})
			rec := e.post("/reports/"+r.ID+"/triage", "", url.Values{
				"status": {"in_progress"}, "team": {"magnets"}, "reply": {"已安排检修，谢谢！"}, "note": {"炉 3 热电偶待换"},
			})
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("POST triage = %d, want 303:\n%s", rec.Code, rec.Body.String())
			}
			got, err := e.st.Report(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != store.StatusInProgress || got.Team != "magnets" || got.Reply != "已安排检修，谢谢！" {
				t.Errorf("after triage: status %s, team %s, reply %q", got.Status, got.Team, got.Reply)
			}
			last := got.History[len(got.History)-1]
			if last.Action != store.ActionNote || !last.Internal || last.By != "test-rnd" {
				t.Errorf("last history entry = %+v, want an internal note by test-rnd", last)
			}
			page := e.get("/reports/" + r.ID + "?saved=1&lang=zh")
			for _, want := range []string{"已保存", "处理中", "磁材研发组", "炉 3 热电偶待换", "内部"} {
				if !strings.Contains(page, want) {
					t.Errorf("report page lacks %q", want)
				}
			}
			// The reporter's view has the reply and not the note.
			pub := triage.PublicView(got)
			if pub.Reply != "已安排检修，谢谢！" {
				t.Errorf("public reply = %q", pub.Reply)
			}
			for _, ev := range pub.History {
				if strings.Contains(ev.Text, "热电偶") {
					t.Errorf("the internal note reached the reporter's view: %+v", ev)
				}
			}
			if n := len(e.audit.entries); n != 4 {
				t.Errorf("audit entries = %q, want status, team, reply and note", e.audit.entries)
			}
			// A bad status is a 400 page naming the field, nothing written.
			rec = e.post("/reports/"+r.ID+"/triage", "", url.Values{"status": {"new"}})
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Status: not valid") {
				t.Errorf("POST status=new = %d, want 400 naming the status", rec.Code)
			}
		})
	}
}

func TestRolesAndCSRF(t *testing.T) {
	e := newEnv(t, backends.Bolt(t), envOptions{})
	r := e.submit(report{})
	triageForm := url.Values{"status": {"resolved"}}
	cases := []struct {
		name, method, path, role string
		form                     url.Values
		csrf                     string
		want                     int
	}{
		{"viewer reads the inbox", "GET", "/inbox", "viewer", nil, "", 200},
		{"viewer reads a report", "GET", "/reports/" + r.ID, "viewer", nil, "", 200},
		{"viewer cannot triage", "POST", "/reports/" + r.ID + "/triage", "viewer", triageForm, testCSRF, 403},
		{"viewer cannot quick-change", "POST", "/inbox/status", "viewer", url.Values{"id": {r.ID}, "status": {"resolved"}}, testCSRF, 403},
		{"viewer cannot merge", "POST", "/reports/" + r.ID + "/merge", "viewer", url.Values{"into": {r.ID}}, testCSRF, 403},
		{"viewer cannot retry jobs", "POST", "/ops/dead/x/retry", "viewer", url.Values{}, testCSRF, 403},
		{"viewer cannot make briefs", "POST", "/briefs", "viewer", url.Values{}, testCSRF, 403},
		{"rnd cannot edit the plant", "POST", "/plant", "rnd", url.Values{"yaml": {"x"}, "version": {"1"}}, testCSRF, 403},
		{"no CSRF token", "POST", "/reports/" + r.ID + "/triage", "rnd", triageForm, "", 403},
		{"a wrong CSRF token", "POST", "/reports/" + r.ID + "/triage", "rnd", triageForm, "forged", 403},
		{"no session", "GET", "/inbox", "none", nil, "", 401},
		{"no session, export", "GET", "/api/v1/reports.csv", "none", nil, "", 401},
	}
	for _, tc := range cases {
		var rec interface{ Result() *http.Response }
		if tc.method == "GET" {
			rec = e.do("GET", tc.path, tc.role, nil)
		} else {
			f := url.Values{}
			for k, v := range tc.form {
				f[k] = v
			}
			if tc.csrf != "" {
				f.Set(auth.CSRFField, tc.csrf)
			}
			rec = e.do("POST", tc.path, tc.role, f)
		}
		if got := rec.Result().StatusCode; got != tc.want {
			t.Errorf("%s: %s %s = %d, want %d", tc.name, tc.method, tc.path, got, tc.want)
		}
	}
	got, _ := e.st.Report(context.Background(), r.ID)
	if got.Status != r.Status || len(got.History) != len(r.History) {
		t.Errorf("refused requests changed the report: status %s, %d history entries", got.Status, len(got.History))
	}
	if page := e.get("/reports/" + r.ID); !strings.Contains(e.do("GET", "/reports/"+r.ID, "viewer", nil).Body.String(), "read-only") || !strings.Contains(page, `name="csrf" value="`+testCSRF+`"`) {
		t.Errorf("the viewer's report page should say read-only and the rnd page carry the CSRF token")
	}
}

func TestMergeFromReportPage(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t), envOptions{})
			into := e.submit(report{title: "电解槽 5 阳极效应频繁"})
			dup := e.submit(report{title: "5 号槽又出现阳极效应", reporter: "张师傅"})
			rec := e.post("/reports/"+dup.ID+"/merge", "", url.Values{"into": {"http://floorfeed.local/reports/" + into.ID}})
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/reports/"+into.ID+"?merged=1" {
				t.Fatalf("POST merge = %d → %q, want 303 to the target", rec.Code, rec.Header().Get("Location"))
			}
			got, _ := e.st.Report(context.Background(), into.ID)
			if got.Votes != 1 {
				t.Errorf("target votes = %d, want 1 (the duplicate's reporter)", got.Votes)
			}
			page := e.get("/reports/" + into.ID + "?merged=1&lang=en")
			if !strings.Contains(page, "Duplicate merged in") || !strings.Contains(page, dup.Code+" · 张师傅") {
				t.Errorf("target page lacks the merge entry with the duplicate's code and reporter")
			}
			d, _ := e.st.Report(context.Background(), dup.ID)
			if d.Status != store.StatusDuplicate {
				t.Errorf("duplicate status = %s", d.Status)
			}
			if rec := e.post("/reports/"+into.ID+"/merge", "", url.Values{"into": {into.ID}}); rec.Code != http.StatusBadRequest {
				t.Errorf("merge into itself = %d, want 400", rec.Code)
			}
		})
	}
}

func TestPlantPage(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t), envOptions{})
			page := e.get("/plant?lang=en")
			if !strings.Contains(page, "/api/v1/qr-sheet.pdf") || !strings.Contains(page, "Only administrators") {
				t.Errorf("plant page for rnd: want the QR sheet link and the admin-only note")
			}
			admin := e.do("GET", "/plant?lang=en", "admin", nil).Body.String()
			m := regexp.MustCompile(`(?s)<textarea id="p-yaml" name="yaml"[^>]*>(.*?)</textarea>`).FindStringSubmatch(admin)
			if m == nil {
				t.Fatalf("admin's plant page has no editor")
			}
			yaml := htmlUnescape(m[1])
			edited := strings.Replace(yaml, "萃取分离一线", "萃取分离一线（改）", 1)
			rec := e.post("/plant", "admin", url.Values{"yaml": {edited}, "version": {"0"}})
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("POST /plant = %d:\n%s", rec.Code, rec.Body.String())
			}
			p, v, _ := e.settings.Current(context.Background())
			if l, _ := p.Line("sx-1"); v != 1 || l.Name.ZH != "萃取分离一线（改）" {
				t.Errorf("stored plant v%d, sx-1 %q; want v1 with the new name", v, l.Name.ZH)
			}
			// The inbox names lines from the stored plant.
			e.submit(report{})
			if !strings.Contains(e.get("/inbox?lang=zh"), "萃取分离一线（改）") {
				t.Errorf("the inbox does not use the edited line name")
			}
			// A stale version is refused, the edit kept on the page.
			rec = e.post("/plant", "admin", url.Values{"yaml": {edited}, "version": {"0"}})
			if rec.Code != http.StatusConflict {
				t.Errorf("POST /plant on a stale version = %d, want 409", rec.Code)
			}
			rec = e.post("/plant", "admin", url.Values{"yaml": {"lines: []"}, "version": {"1"}})
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "no lines") {
				t.Errorf("POST an invalid plant = %d, want 400 naming the problem", rec.Code)
			}
			if rec := e.do("GET", "/plant.yaml", "", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "萃取分离一线（改）") {
				t.Errorf("GET /plant.yaml = %d, want the stored plant", rec.Code)
			}
		})
	}
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, "&#39;", "'", "&quot;", `"`)
	return r.Replace(s)
}

func TestOpsDeadLetterRetry(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t), envOptions{})
			ctx := context.Background()
			job := store.Job{ID: "mail-0001", Type: store.JobMail, Payload: []byte(`{}`), EnqueuedAt: testStart}
			if err := e.st.Enqueue(ctx, job); err != nil {
				t.Fatal(err)
			}
			for i := range store.MaxAttempts {
				js, err := e.st.Claim(ctx, store.QueueMail, "w", 1, time.Minute)
				if err != nil || len(js) != 1 {
					t.Fatalf("Claim %d = %v, %v", i, js, err)
				}
				if err := e.st.Fail(ctx, js[0], "smtp: 554 relay denied", 0); err != nil {
					t.Fatal(err)
				}
			}
			page := e.get("/ops?lang=en")
			if !strings.Contains(page, "smtp: 554 relay denied") || !strings.Contains(page, "mail-0001") {
				t.Fatalf("ops page lacks the dead job and its last error")
			}
			if rec := e.post("/ops/dead/mail-0001/retry", "", nil); rec.Code != http.StatusSeeOther {
				t.Fatalf("POST retry = %d", rec.Code)
			}
			st, _ := e.st.QueueStats(ctx, store.QueueMail)
			if st.Ready != 1 || st.Dead != 0 {
				t.Errorf("mail queue after retry = %+v, want 1 ready, 0 dead", st)
			}
			if rec := e.post("/ops/dead/mail-0001/retry", "", nil); rec.Code != http.StatusNotFound {
				t.Errorf("retry of a job no longer dead = %d, want 404", rec.Code)
			}
		})
	}
}

func TestOverviewAndBriefsPages(t *testing.T) {
	e := newEnv(t, backends.Bolt(t), envOptions{})
	for i := range 12 {
		sev := "medium"
		if i%4 == 0 {
			sev = "critical"
		}
		e.submit(report{severity: sev, at: testStart.Add(-time.Duration(i) * 6 * time.Hour)})
	}
	page := e.get("/overview?lang=en")
	for _, want := range []string{`<svg class="chart"`, `<span class="v">12</span>`, `<span class="v crit">3</span>`, "Reports per day, by severity"} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if rects := strings.Count(page, "<rect x="); rects < 4 {
		t.Errorf("overview draws %d bars, want several", rects)
	}
	if page := e.get("/briefs?lang=en"); !strings.Contains(page, "Briefs are not available yet") {
		t.Errorf("briefs page without briefs wired does not say they are not available")
	}
	if rec := e.do("GET", "/overview?from=2026-13-01", "", nil); rec.Code != http.StatusBadRequest {
		t.Errorf("overview with a bad date = %d, want 400", rec.Code)
	}
}

// TestNoMissingMessages renders every page in both languages and looks for
// a message key shown instead of its text (tr returns the key when the
// catalog lacks it).
func TestNoMissingMessages(t *testing.T) {
	e := newEnv(t, backends.Bolt(t), envOptions{})
	r := e.submit(report{})
	key := regexp.MustCompile(`>[^<]*\b(app|nav|field|code|inbox|report|ov|dur|briefs|plant|ops|err|status|team)\.[a-z_]+\b[^<]*<`)
	for _, lang := range []string{"zh", "en"} {
		for _, p := range []string{"/inbox?counts=1", "/inbox/counts?line=sx-1", "/reports/" + r.ID, "/overview", "/briefs", "/plant", "/ops", "/reports/nope"} {
			for _, role := range []string{"viewer", "rnd", "admin"} {
				rec := e.do("GET", p+"&lang="+lang, role, nil)
				if strings.Contains(p, "?") == false {
					rec = e.do("GET", p+"?lang="+lang, role, nil)
				}
				if m := key.FindString(rec.Body.String()); m != "" {
					t.Errorf("%s (%s, %s) shows a message key: %s", p, lang, role, m)
				}
			}
		}
	}
}

func TestReportPagePhotosAndVotes(t *testing.T) {
	e := newEnv(t, backends.Bolt(t), envOptions{})
	r := e.submit(report{})
	_, err := e.st.UpdateReport(context.Background(), r.ID, func(rep *store.Report) error {
		rep.Votes = 4
		rep.Photos = []store.Photo{{ID: "p1", Width: 1600, Height: 1200}, {ID: "p2", URL: "/x/full.jpg", ThumbURL: "/x/thumb.jpg"}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page := e.get("/reports/" + r.ID + "?lang=en")
	for _, want := range []string{
		`<a href="/api/v1/reports/` + r.ID + `/photos/p1"><img src="/api/v1/reports/` + r.ID + `/photos/p1/thumb" alt="Photo 1"`,
		`<a href="/x/full.jpg"><img src="/x/thumb.jpg" alt="Photo 2"`,
		"Me too +4",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report page lacks %s", want)
		}
	}
}
