package dashboard_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/dashboard"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
)

func TestExportCSV(t *testing.T) {
	for _, b := range backends.All() {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b.Open(t), envOptions{})
			zh := e.submit(report{line: "elec-1", title: "电解槽 5 阳极效应频繁", body: "夜班\n两次，\"停槽\"", reporter: "张师傅"})
			formula := e.submit(report{line: "elec-1", title: "=HYPERLINK(\"http://x\",\"y\")", body: "@SUM(A1)", reporter: "-2+3"})
			plus := e.submit(report{line: "elec-1", title: "+cmd", body: "-5 kg"})
			e.submit(report{line: "sx-1", title: "not this line"})

			rec := e.do(http.MethodGet, "/api/v1/reports.csv?line=elec-1&lang=zh", "viewer", nil)
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv; charset=utf-8") {
				t.Fatalf("GET reports.csv = %d %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			body := rec.Body.Bytes()
			if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
				t.Fatalf("CSV does not start with the UTF-8 byte-order mark: % x", body[:min(8, len(body))])
			}
			rows, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
			if err != nil {
				t.Fatalf("parse CSV: %v", err)
			}
			if !slices.Equal(rows[0], dashboard.ExportColumns) {
				t.Fatalf("header = %v, want %v", rows[0], dashboard.ExportColumns)
			}
			col := func(name string) int { return slices.Index(dashboard.ExportColumns, name) }
			if len(rows) != 4 {
				t.Fatalf("%d data rows, want 3 (line elec-1 only)", len(rows)-1)
			}
			byID := map[string][]string{}
			for _, r := range rows[1:] {
				if len(r) != len(dashboard.ExportColumns) {
					t.Fatalf("row of %d cells, want %d", len(r), len(dashboard.ExportColumns))
				}
				byID[r[col("id")]] = r
			}
			if rows[1][col("id")] != plus.ID {
				t.Errorf("first row = %s, want the newest report %s", rows[1][col("id")], plus.ID)
			}
			z := byID[zh.ID]
			if z[col("title")] != "电解槽 5 阳极效应频繁" || z[col("body")] != "夜班\n两次，\"停槽\"" || z[col("reporter")] != "张师傅" {
				t.Errorf("Chinese row = %q", z)
			}
			if z[col("line_name")] != "熔盐电解车间" || z[col("code")] != zh.Code || z[col("severity")] != "medium" {
				t.Errorf("line_name %q code %q severity %q", z[col("line_name")], z[col("code")], z[col("severity")])
			}
			f := byID[formula.ID]
			if f[col("title")] != "'=HYPERLINK(\"http://x\",\"y\")" || f[col("body")] != "'@SUM(A1)" || f[col("reporter")] != "'-2+3" {
				t.Errorf("formula cells not neutralised: title %q body %q reporter %q", f[col("title")], f[col("body")], f[col("reporter")])
			}
			p := byID[plus.ID]
			if p[col("title")] != "'+cmd" || p[col("body")] != "'-5 kg" {
				t.Errorf("+ and - cells not neutralised: %q %q", p[col("title")], p[col("body")])
			}
		})
	}
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "plain": "plain", "=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@A1": "'@A1",
		"\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b", "中文": "中文",
	} {
		if got := dashboard.SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExportNDJSONAndJSON(t *testing.T) {
	e := newEnv(t, backends.Bolt(t), envOptions{})
	var ids []string
	for i := range 1203 { // more than two store pages
		sev := "low"
		if i%3 == 0 {
			sev = "high"
		}
		r := e.submit(report{severity: sev})
		if sev == "high" {
			ids = append([]string{r.ID}, ids...)
		}
	}
	rec := e.do(http.MethodGet, "/api/v1/reports.ndjson?severity=high", "", nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("GET reports.ndjson = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var got []string
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		var r struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
			Receipt  string `json:"receipt"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d is not JSON: %v", len(got)+1, err)
		}
		if r.Receipt != "" {
			t.Fatalf("the export carries the reporter's receipt")
		}
		got = append(got, r.ID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("NDJSON has %d reports, want the %d high ones newest first", len(got), len(ids))
	}
	rec = e.do(http.MethodGet, "/api/v1/reports.json?severity=high", "", nil)
	var arr []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &arr); err != nil || len(arr) != len(ids) {
		t.Fatalf("reports.json = %d reports, %v; want %d", len(arr), err, len(ids))
	}
	if rec := e.do(http.MethodGet, "/api/v1/reports.json?cursor=a%20b", "", nil); rec.Code != http.StatusBadRequest {
		t.Errorf("a malformed cursor = %d, want 400", rec.Code)
	}
}
