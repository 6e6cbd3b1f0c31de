package handlers_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/internal/testutil"
)

// TestSignInInBrowser drives the sign-in pages in headless Chromium: the
// fresh installation's first step, a page without a session leading to
// /login and back after signing in, the session cookie out of reach of
// scripts, signing out, and axe-core on every account page (no serious or
// critical violation). With FF_SCREENSHOT_DIR set it saves screenshots at
// 390×844 and 1280×800.
func TestSignInInBrowser(t *testing.T) {
	e := newEnv(t, envOptions{})
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close)
	browser := testutil.NewBrowser(t)
	tab := testutil.NewTab(t, browser)
	dir := os.Getenv(screenshotDirEnv)
	shoot := func(name string) {
		t.Helper()
		if dir == "" {
			return
		}
		for _, sc := range []struct {
			name          string
			width, height int64
			mobile        bool
		}{{"390x844", testutil.PhoneWidth, testutil.PhoneHeight, true}, {"1280x800", 1280, 800, false}} {
			opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
			if sc.mobile {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
			}
			if err := chromedp.Do(tab, chromedp.EmulateViewport(sc.width, sc.height, opts...), chromedp.Reload()); err != nil {
				t.Fatalf("emulate %s: %v", sc.name, err)
			}
			png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+"-"+sc.name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := chromedp.Do(tab, chromedp.EmulateViewport(testutil.PhoneWidth, testutil.PhoneHeight, chromedp.EmulateMobile)); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(s, ts.URL)
	}

	// A fresh installation says what to do first.
	if err := chromedp.Do(tab, chromedp.Navigate(ts.URL+"/?lang=en")); err != nil {
		t.Fatal(err)
	}
	if loc := location(); loc != "/login" {
		t.Errorf("/ led to %s, want /login", loc)
	}
	if got := text("section.fresh"); !strings.Contains(got, "floorfeed user add NAME --role admin") {
		t.Errorf("fresh installation's sign-in page says %q, want the first step", got)
	}
	testutil.CheckAxe(t, tab, "/login (fresh, en)")
	shoot("login-fresh-en")

	e.addUser("王工", auth.RoleAdmin)
	// A page without a session leads to the sign-in, which leads back.
	if err := chromedp.Do(tab, chromedp.Navigate(ts.URL+"/audit?lang=zh")); err != nil {
		t.Fatal(err)
	}
	if loc := location(); !strings.HasPrefix(loc, "/login?next=") {
		t.Fatalf("/audit without a session led to %s, want /login?next=…", loc)
	}
	testutil.CheckAxe(t, tab, "/login (zh)")
	shoot("login-zh")
	// A wrong password first: the page says so, and keeps the name.
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS("#name"), "王工"),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`form.card button[type="submit"]`))); err != nil {
		t.Fatal(err)
	}
	if got := text(`[role="alert"]`); !strings.Contains(got, "用户名或密码错误") {
		t.Errorf("after a wrong password the page says %q", got)
	}
	testutil.CheckAxe(t, tab, "/login (wrong password)")
	shoot("login-failed-zh")
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS("#password"), userPassword)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`form.card button[type="submit"]`))); err != nil {
		t.Fatal(err)
	}
	if loc := location(); loc != "/audit?lang=zh" {
		t.Fatalf("after signing in the browser is at %s, want back at /audit?lang=zh", loc)
	}
	if cookies, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.cookie`)); err != nil || strings.Contains(cookies, "ff_session") {
		t.Errorf("document.cookie = %q, %v: the session cookie must be HttpOnly", cookies, err)
	}
	testutil.CheckAxe(t, tab, "/audit")
	shoot("audit-zh")
	for _, p := range []string{"/users?lang=en", "/tokens?lang=en", "/account?lang=en"} {
		if err := chromedp.Do(tab, chromedp.Navigate(ts.URL+p)); err != nil {
			t.Fatal(err)
		}
		if loc := location(); loc != p {
			t.Fatalf("GET %s ended at %s", p, loc)
		}
		testutil.CheckAxe(t, tab, p)
		shoot(strings.TrimPrefix(strings.Split(p, "?")[0], "/") + "-en")
	}
	// Sign out from the top bar: the session is gone.
	if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`.topbar form button`))); err != nil {
		t.Fatal(err)
	}
	if loc := location(); loc != "/login?out=1" {
		t.Errorf("after signing out the browser is at %s, want /login?out=1", loc)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(ts.URL+"/account")); err != nil {
		t.Fatal(err)
	}
	if loc := location(); !strings.HasPrefix(loc, "/login?next=") {
		t.Errorf("/account after signing out led to %s, want the sign-in", loc)
	}
}
