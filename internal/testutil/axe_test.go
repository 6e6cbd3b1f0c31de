package testutil_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/floorfeed/floorfeed/internal/testutil"
)

// TestCheckAxeFindsViolations: the checker fails a page with an image
// without alt text and an unlabelled input, and passes a clean one.
func TestCheckAxeFindsViolations(t *testing.T) {
	pages := map[string]string{
		"/bad":  `<!doctype html><html><head><title>x</title></head><body><main><img src="x.png"><input type=text></main></body></html>`,
		"/good": `<!doctype html><html lang="en"><head><title>x</title></head><body><main><h1>Hi</h1><label>Name <input type=text></label></main></body></html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(pages[r.URL.Path]))
	}))
	defer srv.Close()
	ctx := testutil.NewBrowser(t)
	for path, wantFail := range map[string]bool{"/bad": true, "/good": false} {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatal(err)
		}
		ft := &recordingTB{TB: t}
		vs := testutil.CheckAxe(ft, ctx, path)
		if ft.failed != wantFail {
			t.Errorf("%s: failed=%v, want %v (violations %v)", path, ft.failed, wantFail, vs)
		}
	}
}

type recordingTB struct {
	testing.TB
	failed bool
}

func (f *recordingTB) Errorf(string, ...any) { f.failed = true }
func (f *recordingTB) Logf(string, ...any)   {}
