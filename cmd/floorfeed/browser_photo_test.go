package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/signing"
)

// With JavaScript off, a camera photo goes through the plain
// form's file input, is re-encoded by the photo job and listed; the "me
// too" button under "Already reported here" counts once per browser.
func TestBrowserNoJSPhotoAndMeToo(t *testing.T) {
	browser := testutil.NewBrowser(t)
	env := map[string]string{"FLOORFEED_SECRET": testSecret, "FLOORFEED_DATA_DIR": t.TempDir()}
	srv := startServe(t, env, "--log-level", "error", "--submit-rate", "0")
	apiToken := mustToken(t, env, "browser-photo")
	signer, _ := signing.New([]byte(testSecret))
	formURL := srv.URL + "/r/sx-1?lang=en&t=" + url.QueryEscape(signer.LineToken("sx-1"))
	jpg := filepath.Join(t.TempDir(), "IMG_0001.jpg")
	if err := os.WriteFile(jpg, benchJPEG(t, 3000, 2000, 8), 0o600); err != nil {
		t.Fatal(err)
	}

	tab := noScriptTab(t, browser)
	if st := navigate(t, tab, formURL); st != http.StatusOK {
		t.Fatalf("GET the form = %d", st)
	}
	title := "Camera original through the plain form"
	fillForm(t, tab, formInput{Title: title, Category: "equipment"})
	if err := chromedp.Do(tab, chromedp.SetUploadFiles(chromedp.CSS("#f-photo"), []string{jpg})); err != nil {
		t.Fatalf("choose the photo: %v", err)
	}
	if st, loc := submit(t, tab); st != http.StatusOK || !strings.HasPrefix(loc.Path, "/s/") {
		t.Fatalf("submit with a photo = %d at %s, want the status page", st, loc)
	}
	got := reportsTitled(t, srv.URL, apiToken, title)
	if len(got) != 1 {
		t.Fatalf("%d reports titled %q, want 1", len(got), title)
	}
	var rep struct {
		Photos []struct {
			Width  int `json:"width"`
			Height int `json:"height"`
		} `json:"photos"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(rep.Photos) == 0 && time.Now().Before(deadline) {
		getJSON(t, srv.URL+"/api/v1/reports/"+got[0].ID, apiToken, &rep)
		time.Sleep(100 * time.Millisecond)
	}
	if len(rep.Photos) != 1 || rep.Photos[0].Width != 1500 || rep.Photos[0].Height != 1000 {
		t.Fatalf("photos of the report = %+v, want one 1500×1000", rep.Photos)
	}

	// Back on the form (a new tab of the same browser: its cookie, a fresh
	// deadline after the wait for the job), the report is listed; "Me too"
	// twice counts once.
	tab = noScriptTab(t, browser)
	for range 2 {
		if st := navigate(t, tab, formURL); st != http.StatusOK {
			t.Fatalf("GET the form = %d", st)
		}
		if !strings.Contains(bodyText(t, tab), title) {
			t.Fatalf("the form does not list the open report %q", title)
		}
		if count(t, tab, ".metoo") == 0 {
			break // voted: the button is gone
		}
		if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(".metoo"))); err != nil {
			t.Fatalf("click me too: %v", err)
		}
		if !strings.Contains(bodyText(t, tab), "Confirmed") {
			t.Fatalf("after me too, the form does not say Confirmed:\n%s", bodyText(t, tab))
		}
	}
	var votes struct {
		Votes int `json:"votes"`
	}
	getJSON(t, srv.URL+"/api/v1/reports/"+got[0].ID, apiToken, &votes)
	if votes.Votes != 1 {
		t.Errorf("votes = %d, want 1", votes.Votes)
	}
	fitsPhone(t, tab, "the form with its open reports")
}
