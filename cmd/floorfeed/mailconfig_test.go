package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSMTPConfig(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pwFile, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"FLOORFEED_SMTP_HOST": "smtp.plant.example", "FLOORFEED_SMTP_FROM": "Floorfeed <ff@plant.example>"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c *Config)
	}{
		{"off by default", nil, nil, "", func(t *testing.T, c *Config) {
			if c.SMTP.Enabled() {
				t.Error("SMTP enabled with no host")
			}
		}},
		{"defaults", nil, base, "", func(t *testing.T, c *Config) {
			if c.SMTP.TLS != "starttls" || c.SMTP.Port != 587 || c.SMTP.Timeout != 30*time.Second {
				t.Errorf("SMTP = %+v", c.SMTP)
			}
		}},
		{"password from a file", []string{"--smtp-username", "ff", "--smtp-tls", "tls"}, with("FLOORFEED_SMTP_PASSWORD_FILE", pwFile), "", func(t *testing.T, c *Config) {
			if c.SMTP.Password != "from-a-file" || c.SMTP.Username != "ff" || c.SMTP.Port != 465 {
				t.Errorf("SMTP = %+v", c.SMTP)
			}
		}},
		{"password twice", nil, with("FLOORFEED_SMTP_USERNAME", "u", "FLOORFEED_SMTP_PASSWORD", "p", "FLOORFEED_SMTP_PASSWORD_FILE", pwFile), "not both", nil},
		{"bad tls", []string{"--smtp-tls", "ssl"}, base, "TLS mode", nil},
		{"bad port", []string{"--smtp-port", "smtp"}, base, "--smtp-port / FLOORFEED_SMTP_PORT", nil},
		{"bad timeout", nil, with("FLOORFEED_SMTP_TIMEOUT", "long"), "--smtp-timeout", nil},
		{"no from", nil, map[string]string{"FLOORFEED_SMTP_HOST": "smtp.plant.example"}, "from", nil},
		{"password in clear", []string{"--smtp-tls", "none"}, with("FLOORFEED_SMTP_USERNAME", "u", "FLOORFEED_SMTP_PASSWORD", "p"), "without TLS", nil},
		{"password without host", nil, map[string]string{"FLOORFEED_SMTP_PASSWORD": "p"}, "without FLOORFEED_SMTP_HOST", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := parseConfig("serve", tc.args, func(k string) string { return tc.env[k] }, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseConfig = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseConfig = %v", err)
			}
			tc.check(t, c)
		})
	}
}
