package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/store"
)

type listResp struct {
	Reports []struct {
		ID       string `json:"id"`
		Line     string `json:"line"`
		Severity string `json:"severity"`
		Category string `json:"category"`
		Contact  string `json:"contact"`
	} `json:"reports"`
	NextCursor string `json:"next_cursor"`
}

func TestAPIAuth(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.mustSubmit(nil)
	for _, path := range []string{"/api/v1/reports", "/api/v1/reports/" + r.ID} {
		tests := []struct {
			name, auth string
			status     int
		}{
			{"no Authorization", "", 401},
			{"wrong token", "Bearer not-the-token", 401},
			{"wrong scheme", "Basic " + testAPIToken, 401},
			{"empty bearer", "Bearer ", 401},
			{"right token", "Bearer " + testAPIToken, 200},
			{"right token, lower-case scheme", "bearer " + testAPIToken, 200},
		}
		for _, tc := range tests {
			call := "GET " + path + " (" + tc.name + ")"
			rec := e.get(path, "Authorization", tc.auth)
			if tc.status == 401 {
				wantError(t, call, rec, 401, "unauthorized")
				if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s: WWW-Authenticate = %q, want Bearer", call, rec.Header().Get("WWW-Authenticate"))
				}
			} else if rec.Code != tc.status {
				t.Errorf("%s = %d %s, want %d", call, rec.Code, rec.Body, tc.status)
			}
		}
	}
}

func TestAPIReportGet(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.mustSubmit(nil)
	rec := e.apiGet("/api/v1/reports/" + r.ID)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/reports/%s = %d %s, want 200", r.ID, rec.Code, rec.Body)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &keys); err != nil {
		t.Fatalf("body: %v", err)
	}
	for _, k := range []string{"id", "code", "line", "category", "severity", "title", "body", "station", "role",
		"reporter", "contact", "lang", "status", "team", "votes", "reply", "created_at", "updated_at",
		"processed_at", "photos", "history"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("GET /api/v1/reports/{id} lacks %q", k)
		}
	}
	if _, ok := keys["receipt"]; ok || strings.Contains(rec.Body.String(), r.Receipt) {
		t.Errorf("GET /api/v1/reports/{id} shows the receipt; only the reporter has it")
	}
	if string(keys["contact"]) != `"13800001234"` || string(keys["team"]) != `"separation"` || string(keys["photos"]) != "[]" {
		t.Errorf("GET /api/v1/reports/{id} contact %s team %s photos %s, want the contact, team separation, []",
			keys["contact"], keys["team"], keys["photos"])
	}
	wantError(t, "GET /api/v1/reports/<unknown>", e.apiGet("/api/v1/reports/0190c0de-0000-7000-8000-000000000000"), 404, "not_found")
}

func TestAPIReportListFiltersAndPaging(t *testing.T) {
	e := newEnv(t, envOptions{config: handlers.Config{TimeZone: time.FixedZone("CST", 8*3600)}})
	ctx := context.Background()
	type seed struct {
		line, category, severity string
		at                       time.Time
	}
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	seeds := []seed{
		{"sx-1", "quality", "low", day(1, 2)},
		{"sx-1", "equipment", "critical", day(1, 20)}, // 2 Nov 04:00 in CST
		{"calc-1", "quality", "high", day(2, 3)},
		{"calc-1", "process", "medium", day(2, 9)},
		{"elec-1", "safety", "critical", day(3, 1)},
		{"ndfeb-1", "quality", "medium", day(4, 5)},
		{"sx-1", "idea", "low", day(5, 6)},
	}
	var newestFirst []string
	for i, s := range seeds {
		r, _, err := e.intake.Submit(ctx, intake.Input{
			Line: s.line, Category: s.category, Severity: s.severity, Title: "seed", Contact: "c",
		}, intake.Meta{SkipToken: true, At: s.at, IdempotencyKey: "seed-" + string(rune('a'+i))})
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		newestFirst = append([]string{r.ID}, newestFirst...)
	}

	list := func(q url.Values) listResp {
		t.Helper()
		rec := e.apiGet("/api/v1/reports?" + q.Encode())
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /api/v1/reports?%s = %d %s, want 200", q.Encode(), rec.Code, rec.Body)
		}
		var l listResp
		if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
			t.Fatalf("list body: %v", err)
		}
		return l
	}

	// Paging: 3 + 3 + 1, newest first, no overlap.
	var paged []string
	cursor, pages := "", 0
	for {
		q := url.Values{"limit": {"3"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		l := list(q)
		pages++
		for _, r := range l.Reports {
			paged = append(paged, r.ID)
		}
		if l.NextCursor == "" || pages > 5 {
			break
		}
		cursor = l.NextCursor
	}
	if !slices.Equal(paged, newestFirst) || pages != 3 {
		t.Errorf("paging with limit 3 took %d pages and gave %v, want 3 pages giving %v", pages, paged, newestFirst)
	}

	tests := []struct {
		name string
		q    url.Values
		want int
	}{
		{"line", url.Values{"line": {"sx-1"}}, 3},
		{"category", url.Values{"category": {"quality"}}, 3},
		{"severity", url.Values{"severity": {"critical"}}, 2},
		{"status", url.Values{"status": {"new"}}, 7},
		{"status none", url.Values{"status": {"resolved"}}, 0},
		{"line and severity", url.Values{"line": {"sx-1"}, "severity": {"critical"}}, 1},
		{"RFC 3339 range", url.Values{"from": {"2026-11-02T00:00:00Z"}, "to": {"2026-11-03T00:00:00Z"}}, 2},
		{"RFC 3339 with offset", url.Values{"from": {"2026-11-02T08:00:00+08:00"}, "to": {"2026-11-03T08:00:00+08:00"}}, 2},
		{"dates in the plant's time zone, to inclusive", url.Values{"from": {"2026-11-02"}, "to": {"2026-11-02"}}, 3},
		{"from only", url.Values{"from": {"2026-11-04"}}, 2},
	}
	for _, tc := range tests {
		l := list(tc.q)
		if len(l.Reports) != tc.want {
			t.Errorf("GET /api/v1/reports?%s (%s) = %d reports, want %d", tc.q.Encode(), tc.name, len(l.Reports), tc.want)
		}
		for _, r := range l.Reports {
			if v := tc.q.Get("line"); v != "" && r.Line != v {
				t.Errorf("GET /api/v1/reports?%s returned a report of line %s", tc.q.Encode(), r.Line)
			}
			if r.Contact != "c" {
				t.Errorf("GET /api/v1/reports: contact = %q, want it shown to R&D", r.Contact)
			}
		}
	}

	// An unescaped "+" in an offset arrives as a space.
	rec := e.apiGet("/api/v1/reports?from=2026-11-02T08:00:00+08:00&to=2026-11-03T08:00:00+08:00")
	var l listResp
	_ = json.Unmarshal(rec.Body.Bytes(), &l)
	if rec.Code != http.StatusOK || len(l.Reports) != 2 {
		t.Errorf("GET /api/v1/reports with an unescaped +08:00 = %d, %d reports; want 200, 2", rec.Code, len(l.Reports))
	}

	bad := []struct {
		name  string
		q     string
		field string
	}{
		{"from not a time", "from=yesterday", "from"},
		{"to before from", "from=2026-11-03&to=2026-11-01", "to"},
		{"limit zero", "limit=0", "limit"},
		{"limit not a number", "limit=ten", "limit"},
		{"unknown severity", "severity=urgent", "severity"},
		{"unknown status", "status=open", "status"},
		{"unknown line", "line=nope-9", "line"},
		{"unknown category", "category=gossip", "category"},
		{"cursor too long", "cursor=" + strings.Repeat("f", 101), "cursor"},
		{"full-text search not supported", "q=pH", "q"},
	}
	for _, tc := range bad {
		call := "GET /api/v1/reports?" + tc.q + " (" + tc.name + ")"
		er := wantError(t, call, e.apiGet("/api/v1/reports?"+tc.q), 400, "validation")
		if er.Error.Fields[tc.field] == "" {
			t.Errorf("%s fields = %v, want a message for %q", call, er.Error.Fields, tc.field)
		}
	}
}

func TestAPIReportListTeamListsAndMinSeverity(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	type seed struct{ line, category, severity string }
	// Teams come from the lines' defaults in the sample plant: sx-1 and
	// calc-1 separation, elec-1 metallurgy, ndfeb-1 magnets.
	seeds := []seed{
		{"sx-1", "quality", "low"},
		{"sx-1", "equipment", "critical"},
		{"calc-1", "quality", "high"},
		{"calc-1", "process", "medium"},
		{"elec-1", "safety", "critical"},
		{"ndfeb-1", "quality", "medium"},
		{"sx-1", "idea", "low"},
		{"elec-1", "quality", "high"},
	}
	ids := make([]string, len(seeds))
	for i, s := range seeds {
		r, _, err := e.intake.Submit(ctx, intake.Input{Line: s.line, Category: s.category, Severity: s.severity, Title: "seed"},
			intake.Meta{SkipToken: true, At: testStart.Add(time.Duration(i) * time.Minute), IdempotencyKey: "lists-" + string(rune('a'+i))})
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		ids[i] = r.ID
	}
	// newest lists the ids of the given seeds, newest first.
	newest := func(seedIdx ...int) []string {
		var out []string
		for i := len(ids) - 1; i >= 0; i-- {
			if slices.Contains(seedIdx, i) {
				out = append(out, ids[i])
			}
		}
		return out
	}
	// listAll pages through GET /api/v1/reports?q with limit 2.
	listAll := func(q string) []string {
		t.Helper()
		var got []string
		cursor := ""
		for pages := 0; pages < 10; pages++ {
			path := "/api/v1/reports?limit=2&" + q
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			rec := e.apiGet(path)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d %s, want 200", path, rec.Code, rec.Body)
			}
			var l listResp
			if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
				t.Fatalf("GET %s body: %v", path, err)
			}
			for _, r := range l.Reports {
				got = append(got, r.ID)
			}
			if l.NextCursor == "" {
				return got
			}
			cursor = l.NextCursor
		}
		t.Fatalf("GET /api/v1/reports?%s: more than 10 pages", q)
		return nil
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"team=separation", newest(0, 1, 2, 3, 6)},
		{"team=magnets", newest(5)},
		{"team=materials", nil},
		{"line=elec-1,ndfeb-1", newest(4, 5, 7)},
		{"line=elec-1&line=ndfeb-1", newest(4, 5, 7)},
		{"line=elec-1,%20ndfeb-1,", newest(4, 5, 7)},
		{"category=process&category=safety,idea", newest(3, 4, 6)},
		{"min_severity=high", newest(1, 2, 4, 7)},
		{"min_severity=critical", newest(1, 4)},
		{"min_severity=low", newest(0, 1, 2, 3, 4, 5, 6, 7)},
		{"min_severity=medium&severity=high", newest(2, 7)},
		{"team=separation&min_severity=medium&category=quality,equipment", newest(1, 2)},
		{"line=sx-1,elec-1&category=quality&min_severity=high", newest(7)},
		{"team=metallurgy&status=new", newest(4, 7)},
		{"line=", newest(0, 1, 2, 3, 4, 5, 6, 7)},
	}
	for _, tc := range tests {
		if got := listAll(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("GET /api/v1/reports?%s = %v, want %v", tc.q, got, tc.want)
		}
	}

	bad := []struct{ q, field, code string }{
		{"team=nobody", "team", "unknown"},
		{"line=sx-1,nope-9", "line", "unknown"},
		{"line=sx-1&line=nope-9", "line", "unknown"},
		{"category=quality,gossip", "category", "unknown"},
		{"min_severity=urgent", "min_severity", "invalid"},
		{"min_severity=low&min_severity=high", "min_severity", "invalid"},
		{"severity=low&severity=high", "severity", "invalid"},
		{"status=new,triaged", "status", "invalid"},
		{"team=separation&team=magnets", "team", "invalid"},
		{"line=" + strings.Repeat("sx-1,", 51), "line", "invalid"},
	}
	for _, tc := range bad {
		call := "GET /api/v1/reports?" + tc.q
		er := wantError(t, call, e.apiGet("/api/v1/reports?"+tc.q), 400, "validation")
		if er.Error.Fields[tc.field] == "" {
			t.Errorf("%s fields = %v, want a message for %q", call, er.Error.Fields, tc.field)
		}
	}
	// Every problem at once, each field named.
	er := wantError(t, "GET with three bad filters", e.apiGet("/api/v1/reports?team=nobody&line=nope&min_severity=x"), 400, "validation")
	for _, f := range []string{"team", "line", "min_severity"} {
		if er.Error.Fields[f] == "" {
			t.Errorf("GET with three bad filters: fields = %v, want %q among them", er.Error.Fields, f)
		}
	}
}

// TestAPIReportListEveryFilterField checks that every store.FilterFields
// entry is a query parameter that takes a valid value and refuses a bogus
// one: a field added to the store's list without the API handling it fails.
func TestAPIReportListEveryFilterField(t *testing.T) {
	e := newEnv(t, envOptions{})
	valid := map[string]string{ // the plant-defined fields: an id of the sample plant
		"line": "sx-1", "category": "quality", "team": "separation",
	}
	for _, fd := range store.FilterFields {
		v := valid[fd.Name]
		if len(fd.Enum) > 0 {
			v = fd.Enum[len(fd.Enum)-1]
		}
		if v == "" {
			t.Errorf("filter field %q: the test knows no valid value for it", fd.Name)
			continue
		}
		if rec := e.apiGet("/api/v1/reports?" + fd.Name + "=" + url.QueryEscape(v)); rec.Code != http.StatusOK {
			t.Errorf("GET /api/v1/reports?%s=%s = %d %s, want 200", fd.Name, v, rec.Code, rec.Body)
		}
		call := "GET /api/v1/reports?" + fd.Name + "=bogus-value"
		er := wantError(t, call, e.apiGet("/api/v1/reports?"+fd.Name+"=bogus-value"), 400, "validation")
		if er.Error.Fields[fd.Name] == "" {
			t.Errorf("%s fields = %v, want a message for %q", call, er.Error.Fields, fd.Name)
		}
	}
}
