package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/signing"
)

// Where the browser test leaves its screenshots: outside the repository, for
// a person to look at.
const (
	formScreenshot   = "/tmp/ff-form.png"
	statusScreenshot = "/tmp/ff-status.png"
)

// TestBrowserReportForm drives the mobile report form in a real headless
// Chromium on a phone-sized screen, with JavaScript switched off: the form
// must work as plain HTML (the phone's JS may be off, old or still loading).
func TestBrowserReportForm(t *testing.T) {
	browser := testutil.NewBrowser(t) // first: skips (or fails in CI) without Chromium
	env := map[string]string{"FLOORFEED_SECRET": testSecret, "FLOORFEED_DATA_DIR": t.TempDir()}
	srv := startServe(t, env, "--log-level", "error", "--submit-rate", "0")
	out, err := runCmd(t, env, "token", "create", "browser-test")
	if err != nil || !strings.HasPrefix(out, "fft_") {
		t.Fatalf("token create = %q, %v", out, err)
	}
	apiToken := strings.TrimSpace(out)
	signer, err := signing.New([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	formURL := srv.URL + "/r/sx-1?t=" + url.QueryEscape(signer.LineToken("sx-1"))

	t.Run("submit, then Back and submit again", func(t *testing.T) {
		tab := noScriptTab(t, browser)
		if st := navigate(t, tab, formURL); st != http.StatusOK {
			t.Fatalf("GET the form = %d, want 200", st)
		}
		page := bodyText(t, tab)
		for _, want := range []string{"萃取分离一线", "Solvent Extraction Line 1"} {
			if !strings.Contains(page, want) {
				t.Fatalf("form page does not show the line name %q:\n%s", want, page)
			}
		}
		fitsPhone(t, tab, "the form")
		screenshot(t, tab, formScreenshot)

		typed := formInput{
			Title:    "反萃段有机相夹带 / organic entrainment in stripping",
			Body:     "A5 槽出口可见乳化层约 2 cm。Emulsion layer ~2 cm at the A5 outlet.",
			Category: "process",
			Severity: "high",
			Station:  "反萃",
		}
		fillForm(t, tab, typed)
		key := value(t, tab, `input[name="idempotency_key"]`)
		if key == "" {
			t.Fatalf("the form has no hidden idempotency key")
		}
		st, loc := submit(t, tab)
		receipt, ok := strings.CutPrefix(loc.Path, "/s/")
		if st != http.StatusOK || !ok || receipt == "" {
			t.Fatalf("submit the form = %d at %s, want 200 on /s/<receipt>", st, loc)
		}
		code := text(t, tab, "dd.code")
		status := text(t, tab, ".badge")
		if code == "" || (status != "Submitted" && status != "Received") {
			t.Fatalf("status page shows code %q, status %q; want the code and Submitted or Received", code, status)
		}
		fitsPhone(t, tab, "the status page")
		screenshot(t, tab, statusScreenshot)

		var rv struct {
			Code   string `json:"code"`
			Line   string `json:"line"`
			Title  string `json:"title"`
			Status string `json:"status"`
		}
		if st := getJSON(t, srv.URL+"/api/v1/receipts/"+receipt, "", &rv); st != http.StatusOK {
			t.Fatalf("GET /api/v1/receipts/<receipt from the URL> = %d, want 200", st)
		}
		if rv.Code != code || rv.Line != "sx-1" || rv.Title != typed.Title {
			t.Fatalf("receipt = %+v, want code %s (from the page), line sx-1, title %q", rv, code, typed.Title)
		}
		got := reportsTitled(t, srv.URL, apiToken, typed.Title)
		if len(got) != 1 || got[0].Code != code || got[0].Body != typed.Body || got[0].Category != typed.Category ||
			got[0].Severity != typed.Severity || got[0].Station != typed.Station || got[0].Line != "sx-1" {
			t.Fatalf("reports titled %q = %+v, want one: code %s, %+v", typed.Title, got, code, typed)
		}

		// The reporter presses Back and submits the same form again: a double
		// submit, or a retry after a flaky network where the phone never
		// showed the answer. It is the same report, so there must be exactly
		// one, whatever the browser does on Back.
		//
		// What Chromium does: the form page is sent with Cache-Control:
		// no-store, so Back fetches it from the server again, with a new
		// hidden idempotency key, and restores what was typed into the
		// visible fields (not the key: browsers restore only what the user
		// changed). Submit then carries the same report under a new key. Two
		// reports from one is wrong, so this checks for one; if it fails,
		// the product needs fixing, not this test (see the failure message).
		t.Run("Back and submit again", func(t *testing.T) {
			back(t, tab, formURL)
			if v := value(t, tab, "#f-title"); v != typed.Title {
				// Not restored: type it again, as the reporter would.
				t.Logf("after Back the title field holds %q, not what was typed: filling the form again", v)
				fillForm(t, tab, typed)
			}
			key2 := value(t, tab, `input[name="idempotency_key"]`)
			st, loc2 := submit(t, tab)
			if st != http.StatusOK || !strings.HasPrefix(loc2.Path, "/s/") {
				t.Fatalf("submit again after Back = %d at %s, want 200 on a status page", st, loc2)
			}
			if got := reportsTitled(t, srv.URL, apiToken, typed.Title); len(got) != 1 {
				var codes []string
				for _, r := range got {
					codes = append(codes, r.Code)
				}
				t.Fatalf("after Back and submit again: %d reports titled %q (codes %v), want exactly 1.\n"+
					"The form came back with idempotency key %s (was %s): Back fetched the form page afresh "+
					"(Cache-Control: no-store) and the server made a new key, so the resubmitted report was stored twice.",
					len(got), typed.Title, codes, key2, key)
			}
			if loc2.Path != loc.Path {
				t.Fatalf("submit again after Back landed on %s, want the first report's status page %s", loc2.Path, loc.Path)
			}
		})
	})

	t.Run("wrong QR token", func(t *testing.T) {
		tab := noScriptTab(t, browser)
		bad := srv.URL + "/r/sx-1?t=" + url.QueryEscape("not-the-token")
		if st := navigate(t, tab, bad); st != http.StatusForbidden {
			t.Fatalf("GET the form with a wrong token = %d, want 403", st)
		}
		page := bodyText(t, tab)
		for _, want := range []string{"This QR link is not valid", "HTTP 403"} {
			if !strings.Contains(page, want) {
				t.Fatalf("403 page does not say %q:\n%s", want, page)
			}
		}
		if n := count(t, tab, "form"); n != 0 {
			t.Fatalf("403 page shows %d forms, want none", n)
		}
		fitsPhone(t, tab, "the 403 page")
	})

	t.Run("validation keeps what was typed", func(t *testing.T) {
		tab := noScriptTab(t, browser)
		if st := navigate(t, tab, formURL); st != http.StatusOK {
			t.Fatalf("GET the form = %d, want 200", st)
		}
		typed := formInput{
			Body:     "皂化段 pH 波动 / saponification pH swings 8.9–9.6",
			Category: "quality",
			Severity: "critical",
			Station:  "皂化",
			Role:     "technician",
			Reporter: "王工",
			Contact:  "分机 6021",
		}
		fillForm(t, tab, typed)
		key := value(t, tab, `input[name="idempotency_key"]`)

		// No title: the browser itself refuses to send the form.
		if v, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector("form.card").checkValidity()`)); err != nil || v {
			t.Fatalf("form with an empty title: checkValidity() = %v, %v; want false (title is required)", v, err)
		}

		// The server must say so too, for browsers that do not check:
		// without the attribute the form goes out and comes back marked.
		if err := chromedp.Do(tab, chromedp.RemoveAttribute(chromedp.CSS("#f-title"), "required")); err != nil {
			t.Fatalf("remove required: %v", err)
		}
		st, loc := submit(t, tab)
		if st != http.StatusBadRequest || loc.Path != "/api/v1/reports" {
			t.Fatalf("submit without a title = %d at %s, want 400 with the form again", st, loc)
		}
		wantFormBack(t, tab, "Title is required", typed, "", key)

		// Too long: maxlength stops typing at 120 characters, but a value
		// set otherwise (paste on old browsers, autofill) can go over it.
		long := strings.Repeat("萃", 60) + strings.Repeat("x", 61)
		if utf8.RuneCountInString(long) != 121 {
			t.Fatalf("long title has %d characters", utf8.RuneCountInString(long))
		}
		if err := chromedp.Do(tab, chromedp.SetValue(chromedp.CSS("#f-title"), long)); err != nil {
			t.Fatalf("set the title: %v", err)
		}
		st, loc = submit(t, tab)
		if st != http.StatusBadRequest || loc.Path != "/api/v1/reports" {
			t.Fatalf("submit a 121-character title = %d at %s, want 400 with the form again", st, loc)
		}
		wantFormBack(t, tab, "Title is too long (at most 120 characters)", typed, long, key)
		fitsPhone(t, tab, "the form with problems marked")

		// Fixed: the same form, the same key, one report.
		typed.Title = "皂化段 pH 波动 / saponification pH swings"
		if err := chromedp.Do(tab, clearField("#f-title"), chromedp.SendKeys(chromedp.CSS("#f-title"), typed.Title)); err != nil {
			t.Fatalf("type the title: %v", err)
		}
		st, loc = submit(t, tab)
		if st != http.StatusOK || !strings.HasPrefix(loc.Path, "/s/") {
			t.Fatalf("submit the corrected form = %d at %s, want 200 on a status page", st, loc)
		}
		got := reportsTitled(t, srv.URL, apiToken, typed.Title)
		if len(got) != 1 || got[0].Body != typed.Body || got[0].Severity != typed.Severity || got[0].Station != typed.Station ||
			got[0].Role != typed.Role || got[0].Reporter != typed.Reporter || got[0].Contact != typed.Contact {
			t.Fatalf("reports titled %q = %+v, want one with %+v", typed.Title, got, typed)
		}
	})
}

// formInput is what the reporter puts into the form; empty fields are left
// as they are.
type formInput struct {
	Title, Body, Category, Severity, Station, Role, Reporter, Contact string
}

// fillForm types the text fields and picks the choices, as a reporter would.
func fillForm(t *testing.T, tab context.Context, in formInput) {
	t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	typeInto := func(sel, v string) {
		if v != "" {
			steps = append(steps, clearField(sel), chromedp.SendKeys(chromedp.CSS(sel), v))
		}
	}
	pick := func(sel, v string) {
		if v != "" {
			steps = append(steps, chromedp.SetValue(chromedp.CSS(sel), v))
		}
	}
	typeInto("#f-title", in.Title)
	if in.Category != "" { // big buttons: radio inputs styled as buttons
		steps = append(steps, chromedp.Click(chromedp.CSS(`input[name="category"][value="`+in.Category+`"]`)))
	}
	if in.Severity != "" {
		steps = append(steps, chromedp.Click(chromedp.CSS(`input[name="severity"][value="`+in.Severity+`"]`)))
	}
	pick("#f-station", in.Station)
	typeInto("#f-body", in.Body)
	pick("#f-role", in.Role)
	typeInto("#f-reporter", in.Reporter)
	typeInto("#f-contact", in.Contact)
	if err := chromedp.Do(tab, steps...); err != nil {
		t.Fatalf("fill the form with %+v: %v", in, err)
	}
	// What the browser will send is what was meant (a select silently
	// ignores a value it has no option for).
	for sel, want := range map[string]string{`input[name="category"]:checked`: in.Category, "#f-station": in.Station, "#f-role": in.Role} {
		if got := value(t, tab, sel); want != "" && got != want {
			t.Fatalf("%s = %q after choosing %q", sel, got, want)
		}
	}
}

// clearField empties a text field. (chromedp's SetValue cannot: it sends ""
// as undefined, and the field then holds "undefined".)
func clearField(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.querySelector(` + jsString(sel) + `).value = ""`)
}

// wantFormBack checks the form came back with the message and with
// everything the reporter had put in, under the same idempotency key.
func wantFormBack(t *testing.T, tab context.Context, message string, in formInput, title, key string) {
	t.Helper()
	if alert := text(t, tab, "#problems"); !strings.Contains(alert, message) {
		t.Fatalf("form came back with %q, want the message %q", alert, message)
	}
	if got := value(t, tab, `input[name="idempotency_key"]`); got != key {
		t.Fatalf("form came back with idempotency key %q, want the same key %q (a retry must not duplicate)", got, key)
	}
	want := map[string]string{
		"#f-title": title, "#f-body": in.Body, `input[name="category"]:checked`: in.Category, "#f-station": in.Station,
		"#f-role": in.Role, "#f-reporter": in.Reporter, "#f-contact": in.Contact,
		`input[name="severity"]:checked`: in.Severity,
	}
	for sel, w := range want {
		if got := value(t, tab, sel); got != w {
			t.Errorf("form came back with %s = %q, want %q as typed", sel, got, w)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// apiReportFields is the part of an API report the browser test checks.
type apiReportFields struct {
	ID       string `json:"id"`
	Code     string `json:"code"`
	Line     string `json:"line"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Category string `json:"category"`
	Severity string `json:"severity"`
	Station  string `json:"station"`
	Role     string `json:"role"`
	Reporter string `json:"reporter"`
	Contact  string `json:"contact"`
}

// reportsTitled lists, through the authenticated API, the reports with title.
func reportsTitled(t *testing.T, base, token, title string) []apiReportFields {
	t.Helper()
	var list struct {
		Reports    []apiReportFields `json:"reports"`
		NextCursor string            `json:"next_cursor"`
	}
	if st := getJSON(t, base+"/api/v1/reports?line=sx-1&limit=100", token, &list); st != http.StatusOK {
		t.Fatalf("GET /api/v1/reports = %d, want 200", st)
	}
	if list.NextCursor != "" {
		t.Fatalf("GET /api/v1/reports: more than one page; the test expects a handful of reports")
	}
	var out []apiReportFields
	for _, r := range list.Reports {
		if r.Title == title {
			out = append(out, r)
		}
	}
	return out
}

// noScriptTab opens a tab with JavaScript switched off.
func noScriptTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	tab := testutil.NewTab(t, browser)
	if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("disable JavaScript: %v", err)
	}
	// Prove it: a page whose script would retitle it keeps its title.
	probe := "data:text/html,<title>off</title><script>document.title='on'</script>"
	if err := chromedp.Do(tab, chromedp.Navigate(probe)); err != nil {
		t.Fatalf("open the script probe: %v", err)
	}
	if title, err := chromedp.Run(tab, chromedp.Title()); err != nil || title != "off" {
		t.Fatalf("script probe title = %q, %v; want \"off\" (JavaScript still runs)", title, err)
	}
	return tab
}

// navigate opens u and returns the HTTP status of the page.
func navigate(t *testing.T, tab context.Context, u string) int64 {
	t.Helper()
	resp, err := chromedp.Run(tab, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	return resp.Status
}

// submit clicks the form's submit button and waits for the page it leads to:
// its HTTP status and URL.
func submit(t *testing.T, tab context.Context) (int64, *url.URL) {
	t.Helper()
	resp, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`form.card button[type="submit"]`)))
	if err != nil {
		t.Fatalf("click submit: %v", err)
	}
	return resp.Status, location(t, tab)
}

// back presses the browser's Back button and waits until the page at want
// has loaded. (NewBrowser turns the back/forward cache off, so the page is
// loaded again, from the HTTP cache or the server.)
func back(t *testing.T, tab context.Context, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.NavigateBack()); err != nil {
		t.Fatalf("go back: %v", err)
	}
	if u := location(t, tab); u.String() != want {
		t.Fatalf("after Back the page is %s, want %s", u, want)
	}
}

// location returns the URL of the page the tab shows.
func location(t *testing.T, tab context.Context) *url.URL {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatalf("read the location: %v", err)
	}
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("location %q: %v", s, err)
	}
	return u
}

// text returns the visible text of the first element matching the CSS
// selector, trimmed.
func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// bodyText returns the whole visible text of the page.
func bodyText(t *testing.T, tab context.Context) string {
	t.Helper()
	return text(t, tab, "body")
}

// value returns the value of the first form control matching the CSS
// selector.
func value(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("value of %s: %v", sel, err)
	}
	return s
}

// count returns how many elements match the CSS selector, now.
func count(t *testing.T, tab context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	if err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// fitsPhone checks the page needs no sideways scrolling on the phone.
func fitsPhone(t *testing.T, tab context.Context, what string) {
	t.Helper()
	w, err := chromedp.Run(tab, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil || len(w) != 2 {
		t.Fatalf("measure %s: %v, %v", what, w, err)
	}
	if w[0] > w[1] {
		t.Errorf("%s is %dpx wide on a %dpx wide phone: it scrolls sideways", what, w[0], w[1])
	}
}

// screenshot saves the whole page as a PNG for a person to look at.
func screenshot(t *testing.T, tab context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
}
