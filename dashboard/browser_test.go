package dashboard_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/metrics"
)

// screenshotDirEnv names a directory to save the dashboard's screenshots in.
const screenshotDirEnv = "FF_SCREENSHOT_DIR"

// site is the real HTTP stack of the reporter's side (handlers.Server:
// the status page, the static files) and the dashboard behind the test's
// session stand-in, on one test server.
type site struct {
	*env
	ts *httptest.Server
}

func newSite(t *testing.T) *site {
	t.Helper()
	st := backends.Bolt(t)
	e := newEnv(t, st, envOptions{})
	p, _, _ := e.settings.Current(context.Background())
	tokens, err := auth.New(auth.Deps{Tokens: st, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := handlers.New(handlers.Deps{
		Intake: e.intake, Reports: st, Tokens: tokens, Ready: st.Ping, Plant: p, Signer: testSigner(t),
		Metrics: metrics.New(st.QueueStats), Log: slog.New(slog.DiscardHandler), Now: e.clock.Now,
	})
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/s/", srv)
	mux.Handle("/static/", srv)
	mux.Handle("/", e.e)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return &site{env: e, ts: ts}
}

// click clicks the element and waits for the page it loads.
func click(t *testing.T, tab context.Context, sel string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
	return resp.Status
}

func open(t *testing.T, tab context.Context, u string) {
	t.Helper()
	resp, err := chromedp.Run(tab, chromedp.NavigateResponse(u))
	if err != nil || resp.Status != 200 {
		t.Fatalf("open %s: %v, %v", u, resp, err)
	}
}

func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func eval[T any](t *testing.T, tab context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// TestTriageInBrowser: filter the inbox, open a report, change its status
// and reply, then see the reply on the reporter's status page; a report
// titled with markup shows as text and runs nothing; axe finds no serious
// or critical problem on the inbox and the report page.
func TestTriageInBrowser(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	sub := func(in intake.Input, key string) string {
		r, _, err := s.intake.Submit(ctx, in, intake.Meta{IdempotencyKey: key, SkipToken: true})
		if err != nil {
			t.Fatal(err)
		}
		return r.Receipt
	}
	sub(intake.Input{Line: "sx-1", Category: "quality", Severity: "medium", Title: "萃取槽液位波动", Lang: "zh"}, "a")
	receipt := sub(intake.Input{Line: "calc-1", Category: "equipment", Severity: "high", Title: "Kiln zone 3 overheats", Body: "Since the night shift.", Lang: "en"}, "b")
	xss := `<img src=x onerror=alert(1)>`
	sub(intake.Input{Line: "sx-1", Category: "other", Severity: "low", Title: xss, Lang: "en"}, "c")

	tab := testutil.NewBrowser(t)
	var dialogs atomic.Int32
	if err := chromedp.Listen(tab, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}); err != nil {
		t.Fatal(err)
	}

	open(t, tab, s.ts.URL+"/inbox?lang=en")
	// The script loads the counts box after the list.
	if err := chromedp.Do(tab, chromedp.WaitReady(chromedp.CSS("#counts ul.facet"))); err != nil {
		t.Fatalf("the counts box did not load: %v", err)
	}
	if got := eval[string](t, tab, `document.querySelector("#counts summary").textContent`); !strings.Contains(got, "3 reports") {
		t.Errorf("counts box summary = %q, want 3 reports", got)
	}
	testutil.CheckAxe(t, tab, "inbox")
	if n := eval[int](t, tab, `document.querySelectorAll("#rows li.row").length`); n != 3 {
		t.Fatalf("inbox shows %d rows, want 3", n)
	}
	// The markup title is text, and no image was made of it.
	titles := eval[[]string](t, tab, `[...document.querySelectorAll("#rows .title")].map(e => e.textContent)`)
	found := false
	for _, ti := range titles {
		found = found || ti == xss
	}
	if !found || eval[int](t, tab, `document.querySelectorAll("main img").length`) != 0 {
		t.Errorf("the title %q is not shown as text (titles %q), or became an image", xss, titles)
	}

	// Filter by line: on a phone the filters start folded; unfold them.
	if open := eval[bool](t, tab, `document.querySelector("details.fbox").open`); open {
		t.Errorf("the filters are unfolded on a phone; want them folded under the list's summary")
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS("details.fbox summary")),
		chromedp.SetValue(chromedp.CSS("#f-line"), "calc-1")); err != nil {
		t.Fatal(err)
	}
	click(t, tab, `.filter-form button[type="submit"]`)
	if got := eval[[]string](t, tab, `[...document.querySelectorAll("#rows .title")].map(e => e.textContent)`); len(got) != 1 || got[0] != "Kiln zone 3 overheats" {
		t.Fatalf("inbox filtered by calc-1 = %q, want the kiln report only", got)
	}
	// Keyboard: j selects the first row, Enter opens it.
	if err := chromedp.Do(tab, chromedp.KeyEvent("j")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(tab, chromedp.KeyEvent("\r")); err != nil {
		t.Fatalf("Enter on the selected row: %v", err)
	}
	if got := text(t, tab, "#report-title"); got != "Kiln zone 3 overheats" {
		t.Fatalf("after j, Enter the page shows %q, want the kiln report", got)
	}
	testutil.CheckAxe(t, tab, "report page")

	// Change the status and reply.
	reply := "We replaced the zone 3 thermocouple; thank you."
	if err := chromedp.Do(tab, chromedp.SetValue(chromedp.CSS("#t-status"), "in_progress"),
		chromedp.SendKeys(chromedp.CSS("#t-reply"), reply),
		chromedp.SendKeys(chromedp.CSS("#t-note"), "internal: check the spare stock")); err != nil {
		t.Fatal(err)
	}
	if st := click(t, tab, `#triage button[type="submit"]`); st != 200 {
		t.Fatalf("saving the triage form led to a %d page", st)
	}
	if got := text(t, tab, "#report-status"); got != "In progress" {
		t.Errorf("status after saving = %q, want In progress", got)
	}

	// The reporter's status page shows the reply, not the note.
	open(t, tab, s.ts.URL+"/s/"+receipt+"?lang=en")
	body := eval[string](t, tab, `document.body.innerText`)
	if !strings.Contains(body, reply) {
		t.Errorf("the reporter's status page lacks the reply:\n%s", body)
	}
	if strings.Contains(body, "spare stock") {
		t.Errorf("the reporter's status page shows the internal note")
	}

	// The markup report's own page runs nothing either.
	open(t, tab, s.ts.URL+"/inbox?lang=en&line=sx-1&category=other")
	click(t, tab, "#rows a.open")
	if got := text(t, tab, "#report-title"); got != xss {
		t.Errorf("report title = %q, want the markup as text", got)
	}
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened: a title ran as script", n)
	}
}

// TestPagesInBrowser opens every dashboard page in both languages on a
// phone and a laptop screen: the stylesheet applies, nothing is wider than
// the screen. With FF_SCREENSHOT_DIR set it saves screenshots there.
func TestPagesInBrowser(t *testing.T) {
	s := newSite(t)
	for i := range 40 {
		s.submit(report{line: []string{"sx-1", "calc-1", "elec-1", "ndfeb-1", "polish-1"}[i%5], severity: []string{"low", "medium", "high", "critical"}[i%4],
			category: []string{"quality", "equipment", "process", "safety"}[i%3], title: []string{"萃取槽液位波动，需要调整皂化流量", "Kiln zone 3 overheats on night shift", "电解槽 5 阳极效应频繁"}[i%3],
			at: testStart.Add(-time.Duration(i) * 3 * time.Hour)})
	}
	r := s.submit(report{title: "烧结炉 3 号真空度下降", body: "夜班 2 点开始，真空度从 5×10⁻³ Pa 降到 2×10⁻² Pa。", reporter: "王工"})
	if _, err := s.triage.Reply(context.Background(), r.ID, "alice", "已安排检修。"); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv(screenshotDirEnv)
	browser := testutil.NewBrowser(t)
	screens := []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"390x844", testutil.PhoneWidth, testutil.PhoneHeight, true}, {"1280x800", 1280, 800, false}}
	pages := []string{"inbox", "reports/" + r.ID, "overview", "briefs", "plant", "ops"}
	for _, sc := range screens {
		tab := testutil.NewTab(t, browser)
		opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
		if sc.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
		}
		if err := chromedp.Do(tab, chromedp.EmulateViewport(sc.width, sc.height, opts...)); err != nil {
			t.Fatal(err)
		}
		for _, lang := range []string{"en", "zh"} {
			for _, p := range pages {
				open(t, tab, s.ts.URL+"/"+p+"?lang="+lang)
				if p == "inbox" {
					if err := chromedp.Do(tab, chromedp.WaitReady(chromedp.CSS("#counts ul.facet"))); err != nil {
						t.Fatalf("inbox (%s, %s): the counts box did not load: %v", lang, sc.name, err)
					}
				}
				if bg := eval[string](t, tab, `getComputedStyle(document.querySelector("header.top")).backgroundColor`); bg != "rgb(30, 58, 138)" {
					t.Errorf("%s (%s, %s): header background %q, the stylesheet did not apply", p, lang, sc.name, bg)
				}
				if w := eval[[]int](t, tab, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
					t.Errorf("%s (%s, %s): page is %dpx wide on a %dpx screen", p, lang, sc.name, w[0], w[1])
				}
				if dir == "" {
					continue
				}
				name := strings.ReplaceAll(strings.Split(p, "/")[0], "reports", "report")
				for kind, shot := range map[string]chromedp.Action[[]byte]{"": chromedp.FullScreenshot(100), "-screen": chromedp.CaptureScreenshot()} {
					png, err := chromedp.Run(tab, shot)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dir, name+"-"+lang+"-"+sc.name+kind+".png"), png, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}
