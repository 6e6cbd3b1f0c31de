package mail_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/mail"
	"github.com/floorfeed/floorfeed/mail/mailtest"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     mail.Config
		wantErr string
		port    int
	}{
		{"off", mail.Config{}, "", 0},
		{"starttls default port", mail.Config{Host: "smtp.example.com", From: "ff@example.com"}, "", 587},
		{"tls port", mail.Config{Host: "smtp.example.com", From: "Floorfeed <ff@example.com>", TLS: "tls"}, "", 465},
		{"none port", mail.Config{Host: "localhost", From: "ff@example.com", TLS: "none"}, "", 25},
		{"bad mode", mail.Config{Host: "h", From: "ff@example.com", TLS: "ssl"}, "TLS mode", 0},
		{"no from", mail.Config{Host: "h"}, "from", 0},
		{"bad from", mail.Config{Host: "h", From: "not an address"}, "from", 0},
		{"user without password", mail.Config{Host: "h", From: "a@b.c", Username: "u"}, "set both", 0},
		{"password in clear", mail.Config{Host: "h", From: "a@b.c", Username: "u", Password: "p", TLS: "none"}, "without TLS", 0},
		{"host with port", mail.Config{Host: "h:25", From: "a@b.c"}, "host", 0},
		{"bad port", mail.Config{Host: "h", From: "a@b.c", Port: 70000}, "port", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantErr == "" {
				if err != nil || tc.cfg.Port != tc.port {
					t.Fatalf("Validate = %v, port %d; want nil, port %d", err, tc.cfg.Port, tc.port)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestSendOverSTARTTLSWithAuth sends a brief-like message to a real SMTP
// server (STARTTLS on a self-signed certificate, AUTH PLAIN) and reads it
// back with the standard library: the Chinese subject intact, both bodies,
// the PDF attachment byte for byte, and a valid PDF by pdftotext.
func TestSendOverSTARTTLSWithAuth(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		name := "starttls"
		if implicit {
			name = "implicit-tls"
		}
		t.Run(name, func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.Options{Username: "floorfeed", Password: "s3cret-pw", Implicit: implicit})
			s, err := mail.New(srv.Config("稀土工厂 Floorfeed <floorfeed@plant.example>"))
			if err != nil {
				t.Fatal(err)
			}
			pdf := mailtest.MinimalPDF("Brief test")
			subject := "【Floorfeed】分离工艺研发组 周报 2026-11-23 至 2026-11-30：萃取槽乳化 3 起"
			id, err := s.Send(context.Background(), mail.Message{
				To: []string{"a@example.com", "b@example.com"}, Subject: subject,
				Text: "本期报告 12 条，其中严重 2 条。", HTML: "<p>本期报告 <b>12</b> 条</p>",
				Attachments: []mail.Attachment{{Name: "简报-2026-11-30.pdf", ContentType: "application/pdf", Data: pdf}},
				ID:          "brief.separation.20261130",
			})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if id != "<brief.separation.20261130@plant.example>" {
				t.Errorf("message id = %q", id)
			}
			got := srv.WaitFor(1, 5*time.Second)
			if len(got) != 1 || !got[0].TLS || got[0].User != "floorfeed" || len(got[0].To) != 2 || got[0].From != "floorfeed@plant.example" {
				t.Fatalf("received %+v, want one message over TLS, authenticated, to 2", got)
			}
			m, err := mailtest.Parse(got[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != subject {
				t.Errorf("subject = %q, want %q", m.Subject, subject)
			}
			if !strings.Contains(m.Text, "本期报告 12 条") || !strings.Contains(m.HTML, "<b>12</b>") {
				t.Errorf("bodies: text %q html %q", m.Text, m.HTML)
			}
			if m.Header.Get("Message-Id") != id {
				t.Errorf("Message-Id header = %q, want %q", m.Header.Get("Message-Id"), id)
			}
			if len(m.Attachments) == 0 {
				t.Fatal("no attachment received")
			}
			if len(m.Attachments) != 1 || m.Attachments[0].Name != "简报-2026-11-30.pdf" || m.Attachments[0].ContentType != "application/pdf" || !bytes.Equal(m.Attachments[0].Data, pdf) {
				t.Fatalf("%d attachments (first %q, %s), want the PDF %q intact", len(m.Attachments), m.Attachments[0].Name, m.Attachments[0].ContentType, "简报-2026-11-30.pdf")
			}
			checkPDF(t, m.Attachments[0].Data, "Brief test")
		})
	}
}

// checkPDF asserts that data is a PDF pdftotext reads, containing want.
func checkPDF(t *testing.T, data []byte, want string) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if testutil.InCI() {
			t.Fatal("pdftotext missing in CI")
		}
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	p := filepath.Join(t.TempDir(), "a.pdf")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", p, "-").CombinedOutput()
	if err != nil || !strings.Contains(string(out), want) {
		t.Fatalf("pdftotext = %q, %v; want a valid PDF showing %q", out, err, want)
	}
}

func TestSendFailures(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{Username: "floorfeed", Password: "right"})
	cfg := srv.Config("ff@plant.example")
	cfg.Password = "wrong"
	s, _ := mail.New(cfg)
	msg := mail.Message{To: []string{"a@example.com"}, Subject: "x", Text: "x"}
	if _, err := s.Send(context.Background(), msg); err == nil {
		t.Error("Send with a wrong password = nil, want an error")
	}
	srv.Stop()
	s, _ = mail.New(srv.Config("ff@plant.example"))
	if _, err := s.Send(context.Background(), msg); err == nil || !strings.Contains(err.Error(), "send mail via") {
		t.Errorf("Send to a stopped server = %v, want a connect error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d messages, want 0", n)
	}
}
