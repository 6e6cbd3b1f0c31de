package dashboard_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/dashboard"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/search"
)

// TestInboxSearchThroughIndex searches through the real text index (package
// search) on both backends, in Chinese and English, with the other filters.
func TestInboxSearchThroughIndex(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			ix := search.New(st, nil)
			e := newEnv(t, st, envOptions{search: dashboard.TextIndex{Index: ix}})
			add := func(r report) string {
				rep := e.submit(r)
				if err := ix.Add(context.Background(), rep); err != nil {
					t.Fatalf("index %s: %v", rep.ID, err)
				}
				return rep.ID
			}
			a := add(report{line: "sx-1", title: "萃取槽液位异常", body: "混合澄清槽 A 液位波动"})
			bID := add(report{line: "calc-1", title: "萃取剂损耗偏高", severity: "high"})
			c := add(report{line: "calc-1", title: "Kiln temperature drifts", body: "zone 3 runs hot"})
			add(report{line: "elec-1", title: "其他问题"})
			for _, tc := range []struct {
				query string
				want  []string
			}{
				{"q=" + url.QueryEscape("液位"), []string{a}},
				{"q=" + url.QueryEscape("萃取"), []string{bID, a}},
				{"q=" + url.QueryEscape("萃取") + "&line=calc-1", []string{bID}},
				{"q=kiln", []string{c}},
				{"q=" + url.QueryEscape("zone 3"), []string{c}},
			} {
				page := e.get("/inbox?lang=en&" + tc.query)
				if got := rowIDs(page); strings.Join(got, ",") != strings.Join(tc.want, ",") {
					t.Errorf("inbox ?%s = %v, want %v", tc.query, got, tc.want)
				}
				if strings.Contains(page, "No search index yet") {
					t.Errorf("inbox with an index says it has none")
				}
			}
		})
	}
}

// TestReportPageSimilar lists similar reports through themes.Similar.
func TestReportPageSimilar(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			e := newEnv(t, st, envOptions{similarity: dashboard.ThemesSimilarity{Reports: st}})
			target := e.submit(report{title: "5 号电解槽阳极效应频繁", body: "夜班出现三次阳极效应，槽电压升高"})
			like := e.submit(report{title: "电解槽阳极效应又发生了", body: "5 号槽阳极效应，电压高"})
			e.submit(report{title: "包装袋破损", body: "抛光粉包装袋有裂口"})
			page := e.get("/reports/" + target.ID + "?lang=en")
			i := strings.Index(page, `id="h-similar"`)
			if i < 0 {
				t.Fatal("no similar section")
			}
			sec := page[i:]
			sec = sec[:strings.Index(sec, "</section>")]
			if !strings.Contains(sec, "/reports/"+like.ID) {
				t.Errorf("similar reports of %q do not list %q:\n%s", target.Title, like.Title, sec)
			}
			if strings.Contains(sec, "包装袋") {
				t.Errorf("an unrelated report is listed as similar:\n%s", sec)
			}
		})
	}
}
