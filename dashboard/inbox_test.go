package dashboard_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/store"
)

// rowIDs returns the report ids of an inbox page's rows, in order.
func rowIDs(page string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<li class="row[^"]*" data-id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// facetCount returns the count an inbox page shows for a facet value's label.
func facetCount(t *testing.T, page, label string) string {
	t.Helper()
	re := regexp.MustCompile(`<span>` + regexp.QuoteMeta(html.EscapeString(label)) + `</span> <span class="n">([0-9,]+)</span>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no facet %q on the page", label)
	}
	return m[1]
}

func TestInboxFilterCountsAndPaging(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t), envOptions{})
			lines := []string{"sx-1", "calc-1", "elec-1"}
			sevs := []string{"low", "medium", "high", "critical"}
			var all []store.Report
			for i := range 130 {
				all = append(all, e.submit(report{line: lines[i%3], severity: sevs[i%4], category: []string{"quality", "equipment"}[i%2]}))
			}
			// Expected from the data: reports of sx-1 and high, newest first.
			var want []string
			wantCat := map[string]int{}
			for i := len(all) - 1; i >= 0; i-- {
				if r := all[i]; r.Line == "sx-1" && r.Severity == store.SeverityHigh {
					want = append(want, r.ID)
					wantCat[r.Category]++
				}
			}
			page := e.get("/inbox?line=sx-1&severity=high&lang=en&counts=1")
			if got := rowIDs(page); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("inbox line=sx-1 severity=high rows = %v, want %v", got, want)
			}
			if got := facetCount(t, page, "Quality"); got != fmt.Sprint(wantCat["quality"]) {
				t.Errorf("Quality count = %s, want %d", got, wantCat["quality"])
			}
			if got := facetCount(t, page, "Equipment"); got != fmt.Sprint(wantCat["equipment"]) {
				t.Errorf("Equipment count = %s, want %d", got, wantCat["equipment"])
			}

			// The counts box alone, as the page's script loads it, says the same.
			box := e.get("/inbox/counts?line=sx-1&severity=high&lang=en")
			if got := facetCount(t, box, "Quality"); got != fmt.Sprint(wantCat["quality"]) {
				t.Errorf("/inbox/counts: Quality count = %s, want %d", got, wantCat["quality"])
			}
			if plain := e.get("/inbox?line=sx-1&severity=high&lang=en"); !strings.Contains(plain, `data-src="/inbox/counts?line=sx-1&amp;severity=high"`) || !strings.Contains(plain, "Show the counts") {
				i := strings.Index(plain, `id="counts"`)
				t.Errorf("the inbox page does not point at its counts: %s", plain[i:i+300])
			}
			// Unfiltered: 130 reports over three pages of 50, no repeats, newest first.
			var seen []string
			next := "/inbox?lang=en"
			for next != "" {
				p := e.get(next)
				seen = append(seen, rowIDs(p)...)
				m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(p)
				next = ""
				if m != nil {
					next = html.UnescapeString(m[1])
				}
			}
			if len(seen) != len(all) {
				t.Fatalf("paged through %d reports, want %d", len(seen), len(all))
			}
			for i, id := range seen {
				if id != all[len(all)-1-i].ID {
					t.Fatalf("row %d = %s, want %s (newest first, no repeats)", i, id, all[len(all)-1-i].ID)
				}
			}
		})
	}
}

func TestInboxFacetBudget(t *testing.T) {
	e := newEnv(t, backends.Bolt(t), envOptions{facetBudget: 20})
	for range 30 {
		e.submit(report{})
	}
	page := e.get("/inbox/counts?lang=en")
	if !strings.Contains(page, "counts of the newest 20") {
		t.Errorf("inbox over a budget of 20 with 30 reports does not say its counts are of the newest 20")
	}
	if got := facetCount(t, page, "Solvent Extraction Line 1"); got != "20" {
		t.Errorf("sx-1 count = %s, want 20 (the budget)", got)
	}
}

func TestInboxSearchChineseAndEnglish(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t), envOptions{})
			zh := e.submit(report{title: "萃取槽液位异常", body: "混合澄清槽 A 液位波动"})
			en := e.submit(report{title: "Kiln temperature drifts", body: "zone 3 runs hot"})
			e.submit(report{title: "其他问题"})
			for _, tc := range []struct{ q, want string }{{"液位", zh.ID}, {"KILN", en.ID}, {"zone 3", en.ID}} {
				got := rowIDs(e.get("/inbox?lang=en&q=" + url.QueryEscape(tc.q)))
				if len(got) != 1 || got[0] != tc.want {
					t.Errorf("search %q = %v, want [%s]", tc.q, got, tc.want)
				}
			}
		})
	}
}

func TestInboxBadFilter(t *testing.T) {
	e := newEnv(t, backends.Bolt(t), envOptions{})
	for _, q := range []string{"from=yesterday", "severity=urgent", "status=gone", "code=AB12"} {
		rec := e.do(http.MethodGet, "/inbox?"+q, "", nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "The filter is not valid") {
			t.Errorf("GET /inbox?%s = %d, want 400 with the filter error", q, rec.Code)
		}
	}
}

func TestInboxEscapesTitles(t *testing.T) {
	e := newEnv(t, backends.Bolt(t), envOptions{})
	r := e.submit(report{title: `<img src=x onerror=alert(1)>`})
	for _, path := range []string{"/inbox", "/reports/" + r.ID} {
		page := e.get(path)
		if strings.Contains(page, "<img src=x") {
			t.Errorf("%s contains the title as markup", path)
		}
		if !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s does not show the title as text", path)
		}
	}
}

func TestQuickStatusFromInbox(t *testing.T) {
	e := newEnv(t, backends.Bolt(t), envOptions{})
	r := e.submit(report{})
	form := url.Values{"id": {r.ID}, "status": {"triaged"}, "return": {"/inbox?line=sx-1"}}
	rec := e.post("/inbox/status", "", form)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/inbox?line=sx-1" {
		t.Fatalf("POST /inbox/status = %d → %q, want 303 back to the inbox page", rec.Code, rec.Header().Get("Location"))
	}
	got, _ := e.st.Report(t.Context(), r.ID)
	if got.Status != store.StatusTriaged {
		t.Errorf("status after the quick change = %s, want triaged", got.Status)
	}
	// An open redirect is not possible.
	form.Set("status", "in_progress")
	form.Set("return", "https://evil.example/")
	if rec := e.post("/inbox/status", "", form); rec.Header().Get("Location") != "/inbox" {
		t.Errorf("return to another site → Location %q, want /inbox", rec.Header().Get("Location"))
	}
	if len(e.audit.entries) != 2 || !strings.Contains(e.audit.entries[0], "report.status "+r.ID) {
		t.Errorf("audit entries = %q, want two status changes", e.audit.entries)
	}
}
