package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/alert"
	"github.com/floorfeed/floorfeed/mail/mailtest"
	"github.com/floorfeed/floorfeed/signing"
)

// TestCriticalReportAlertsThroughServe runs the real serve wiring with SMTP
// configured and a team webhook: a critical report submitted over HTTP is
// alerted once by e-mail and once by webhook, a high one not at all, and
// GET /api/v1/deliveries lists both deliveries.
func TestCriticalReportAlertsThroughServe(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Options{})
	var mu sync.Mutex
	var posts [][]byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, b)
		mu.Unlock()
		if got, want := r.Header.Get(alert.HeaderSignature), alert.SignGeneric("e2e-webhook-secret-0123", r.Header.Get(alert.HeaderTimestamp), b); got != want {
			http.Error(w, "bad signature", http.StatusUnauthorized)
		}
	}))
	t.Cleanup(hook.Close)
	dir := t.TempDir()
	plantFile := filepath.Join(dir, "floorfeed.yaml")
	if err := os.WriteFile(plantFile, []byte(`
lines: [{id: sx-1, name: {zh: 萃取分离一线, en: Solvent Extraction Line 1}, team: separation}]
teams:
  - id: separation
    name: {zh: 分离工艺研发组, en: Separation R&D}
    emails: [lead@plant.example]
    lang: zh
    webhook: {kind: generic, url: "`+hook.URL+`/floorfeed", secret: e2e-webhook-secret-0123}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := smtp.Config("floorfeed@plant.example")
	env := map[string]string{"FLOORFEED_SECRET": testSecret, "FLOORFEED_DATA_DIR": dir, "FLOORFEED_CONFIG": plantFile,
		"FLOORFEED_SMTP_HOST": cfg.Host, "FLOORFEED_SMTP_PORT": strconv.Itoa(cfg.Port), "FLOORFEED_SMTP_TLS": "none",
		"FLOORFEED_SMTP_FROM": "Floorfeed <floorfeed@plant.example>", "FLOORFEED_BASE_URL": "https://floorfeed.plant.example"}
	token := mustToken(t, env, "e2e")
	srv := startServe(t, env, "--addr", "127.0.0.1:0", "--log-level", "error")
	signer, _ := signing.New([]byte(testSecret))
	for i, sev := range []string{"critical", "high"} {
		fields := reportFields(signer.LineToken("sx-1"))
		fields["severity"], fields["category"] = sev, "quality"
		fields["title"] = "萃取槽着火 " + sev
		if code, body := submitJSON(t, srv.URL, "e2e-alert-"+strconv.Itoa(i), fields); code != http.StatusCreated {
			t.Fatalf("submit = %d %s", code, body)
		}
	}
	msgs := smtp.WaitFor(1, 20*time.Second)
	var page struct {
		Deliveries []struct {
			Kind, Channel, Team, Result, Subject string
			Recipients                           []string
		} `json:"deliveries"`
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if st := getJSON(t, srv.URL+"/api/v1/deliveries", token, &page); st != http.StatusOK {
			t.Fatalf("GET /api/v1/deliveries = %d", st)
		}
		sent := 0
		for _, d := range page.Deliveries {
			if d.Result == "sent" {
				sent++
			}
		}
		if sent == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries = %+v, want e-mail and webhook sent", page.Deliveries)
		}
	}
	if st := getJSON(t, srv.URL+"/api/v1/deliveries", "", nil); st != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/deliveries without a token = %d, want 401", st)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(msgs) != 1 || len(smtp.Messages()) != 1 || len(posts) != 1 {
		t.Fatalf("%d e-mails and %d webhook posts, want 1 and 1 (for the critical report only)", len(smtp.Messages()), len(posts))
	}
	m, err := mailtest.Parse(msgs[0].Data)
	if err != nil || !strings.HasSuffix(m.Subject, "萃取槽着火 critical") {
		t.Fatalf("alert e-mail subject %q, %v", m.Subject, err)
	}
	var body struct {
		Event string `json:"event"`
	}
	if err := json.Unmarshal(posts[0], &body); err != nil || body.Event != alert.EventCritical || !strings.Contains(string(posts[0]), "萃取槽着火 critical") {
		t.Fatalf("webhook body %s, %v", posts[0], err)
	}
}
