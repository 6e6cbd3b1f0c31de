package handlers_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/floorfeed/floorfeed/internal/testutil"
)

// screenshotDirEnv names a directory to save the page screenshots of
// TestPagesStyledInBrowser in, for a person to compare before and after a
// change to the pages or their stylesheet.
const screenshotDirEnv = "FF_SCREENSHOT_DIR"

// TestPagesStyledInBrowser opens the form and the status page in a real
// headless Chromium, on a phone and on a desktop screen, and checks that the
// stylesheet applies: a page whose stylesheet the CSP blocked, or whose URL
// does not resolve, renders with the browser's defaults instead.
func TestPagesStyledInBrowser(t *testing.T) {
	e := newEnv(t, envOptions{config: baseURLConfig()})
	r := seedReportWithHistory(t, e)
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close)
	browser := testutil.NewBrowser(t)

	pages := []struct{ name, path string }{
		{"form-en", "/r/sx-1?t=" + e.token("sx-1") + "&lang=en"},
		{"form-zh", "/r/sx-1?t=" + e.token("sx-1") + "&lang=zh"},
		{"status-en", "/s/" + r.Receipt + "?lang=en"},
		{"error-en", "/r/sx-1?t=wrong&lang=en"},
	}
	screens := []struct {
		name          string
		width, height int64
		mobile        bool
	}{
		{"390x844", testutil.PhoneWidth, testutil.PhoneHeight, true},
		{"1280x800", 1280, 800, false},
	}
	dir := os.Getenv(screenshotDirEnv)
	for _, sc := range screens {
		tab := testutil.NewTab(t, browser)
		opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
		if sc.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
		}
		if err := chromedp.Do(tab, chromedp.EmulateViewport(sc.width, sc.height, opts...)); err != nil {
			t.Fatalf("emulate %s: %v", sc.name, err)
		}
		for _, p := range pages {
			if err := chromedp.Do(tab, chromedp.Navigate(ts.URL+p.path)); err != nil {
				t.Fatalf("navigate to %s: %v", p.path, err)
			}
			// Values straight from the stylesheet: body background #f3f4f6,
			// main max-width 36rem (576px at 16px).
			styled, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[
				getComputedStyle(document.body).backgroundColor,
				getComputedStyle(document.querySelector("main")).maxWidth]`))
			if err != nil || len(styled) != 2 {
				t.Fatalf("%s at %s: read computed style: %v, %v", p.name, sc.name, styled, err)
			}
			if styled[0] != "rgb(243, 244, 246)" || styled[1] != "576px" {
				t.Errorf("%s at %s: body background %q, main max-width %q; want rgb(243, 244, 246) and 576px (the stylesheet did not apply)",
					p.name, sc.name, styled[0], styled[1])
			}
			if dir == "" {
				continue
			}
			png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot %s: %v", p.name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, p.name+"-"+sc.name+".png"), png, 0o644); err != nil {
				t.Fatalf("save screenshot: %v", err)
			}
		}
	}
}
