package testutil

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser tests run on a phone-sized screen: the report form is opened from
// a QR code on a phone.
const (
	PhoneWidth  = 390
	PhoneHeight = 844
)

// BrowserTimeout bounds everything one browser does, start to finish: a test
// that drives it can fail, never hang.
const BrowserTimeout = 60 * time.Second

// chromeCandidates returns the browsers NewBrowser looks for, in order: the
// Debian package's launcher first, then names on PATH.
func chromeCandidates() []string {
	return []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
}

// ChromeBinary returns the path of a Chromium or Chrome, or skips the test
// (fails in CI).
func ChromeBinary(tb testing.TB) string {
	tb.Helper()
	candidates := chromeCandidates()
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if InCI() {
		tb.Fatalf("no Chromium found (looked for %v) and CI=true: install it (apt-get install chromium)", candidates)
	}
	tb.Skipf("no Chromium found (looked for %v): skipping browser test (apt-get install chromium to run it)", candidates)
	return ""
}

// NewBrowser starts a private headless Chromium for tb (its own profile in a
// temp dir, nothing shared with another test) and returns the chromedp
// context of its first tab, already showing a phone-sized mobile viewport.
// Everything ends at tb's cleanup, or after BrowserTimeout, whichever comes
// first. Use NewTab for more tabs in the same browser.
func NewBrowser(tb testing.TB) context.Context {
	tb.Helper()
	bin := ChromeBinary(tb)
	profile := tb.TempDir()

	var out SyncBuffer // the browser's stdout and stderr, shown if the test fails
	ctx, cancelTimeout := context.WithTimeout(context.Background(), BrowserTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests may run as root, where the sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(PhoneWidth, PhoneHeight),
		// English pages, whatever the machine's locale: tests match text.
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("accept-lang", "en-US,en"),
		// Quiet and self-contained: no requests to anyone but the test's server.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		// Back and Forward load pages again, from the HTTP cache or the
		// server: chromedp's view of the page does not follow a restore
		// from the back/forward cache, and a page must not depend on that
		// cache anyway (a phone's browser may not keep the page).
		chromedp.Flag("disable-features", "BackForwardCache"),
		// Containers often have a small /dev/shm.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.CombinedOutput(&out),
	)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	// Cleanups run last-in first-out: the tab, then the browser (waiting for
	// its process to exit), before TempDir removes the profile.
	tb.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
		if tb.Failed() && out.Len() > 0 {
			tb.Logf("browser output (the end):\n%s", out.Tail(4<<10))
		}
	})
	// The first Run starts the browser: fail here, with its output, if it cannot.
	if err := chromedp.Do(tabCtx, phoneViewport()); err != nil {
		tb.Fatalf("start %s: %v\n%s", bin, err, out.String())
	}
	return tabCtx
}

// NewTab opens another tab, with the same phone viewport, in the browser of
// ctx (from NewBrowser) and closes it at tb's cleanup. Tabs share the
// browser's cookies and cache but not their history.
func NewTab(tb testing.TB, ctx context.Context) context.Context {
	tb.Helper()
	tabCtx, cancel := chromedp.NewContext(ctx)
	tb.Cleanup(cancel)
	if err := chromedp.Do(tabCtx, phoneViewport()); err != nil {
		tb.Fatalf("open a tab: %v", err)
	}
	return tabCtx
}

// phoneViewport makes the tab lay pages out as a phone does (mobile: the
// viewport meta tag applies).
func phoneViewport() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(PhoneWidth, PhoneHeight, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateScale(2))
}
