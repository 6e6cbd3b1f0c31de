package testutil

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeScript returns axe-core's browser bundle, installed by npm in
// internal/testutil/axe (`npm ci` there; .ci/run does it). Without it the
// test is skipped, or fails in CI.
func axeScript(tb testing.TB) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "axe", "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(path)
	if err != nil {
		if InCI() {
			tb.Fatalf("axe-core missing (%v) and CI=true: run npm ci in internal/testutil/axe", err)
		}
		tb.Skipf("axe-core missing (%v): run npm ci in internal/testutil/axe to check accessibility", err)
	}
	return string(b)
}

// AxeViolation is one rule axe-core found broken on a page.
type AxeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for i, n := range v.Nodes {
		if i == 3 {
			fmt.Fprintf(&b, "\n    … %d more", len(v.Nodes)-3)
			break
		}
		fmt.Fprintf(&b, "\n    %v %s", n.Target, n.HTML)
	}
	return b.String()
}

// CheckAxe injects axe-core into the page ctx is showing, runs it, and
// fails tb for every serious or critical violation (what the issue's
// budget allows: none). It returns every violation found, minor ones
// included, for the caller to log.
func CheckAxe(tb testing.TB, ctx context.Context, what string) []AxeViolation {
	tb.Helper()
	src := axeScript(tb)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](src+";0")); err != nil {
		tb.Fatalf("axe on %s: inject: %v", what, err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("axe on %s: %v", what, err)
	}
	var vs []AxeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		tb.Fatalf("axe on %s: decode result: %v", what, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			tb.Errorf("axe on %s: %s", what, v)
		} else {
			tb.Logf("axe on %s (minor, allowed): %s", what, v)
		}
	}
	return vs
}
