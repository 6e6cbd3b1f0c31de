package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseConfigErrorsNameTheSetting(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("from-a-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string // substring; "" means no error
	}{
		{"defaults", nil, nil, ""},
		{"bad addr", []string{"--addr", "8080"}, nil, "--addr / FLOORFEED_ADDR"},
		{"bad workers env", nil, map[string]string{"FLOORFEED_WORKERS": "many"}, "--workers / FLOORFEED_WORKERS"},
		{"negative rate", []string{"--submit-rate", "-1"}, nil, "--submit-rate"},
		{"bad proxy", []string{"--trusted-proxies", "10.0.0.0/8,nonsense"}, nil, "FLOORFEED_TRUSTED_PROXIES \"nonsense\""},
		{"proxy as a single address", []string{"--trusted-proxies", "127.0.0.1, ::1,10.0.0.0/8"}, nil, ""},
		{"bad base url", []string{"--base-url", "floorfeed.local"}, nil, "--base-url"},
		{"bad duration", []string{"--shutdown-timeout", "soon"}, nil, "--shutdown-timeout"},
		{"bad log level", nil, map[string]string{"FLOORFEED_LOG_LEVEL": "loud"}, "FLOORFEED_LOG_LEVEL"},
		{"short secret", nil, map[string]string{"FLOORFEED_SECRET": "short"}, "FLOORFEED_SECRET: must be at least 16 bytes"},
		{"secret twice", nil, map[string]string{"FLOORFEED_SECRET": "0123456789abcdef0", "FLOORFEED_SECRET_FILE": secretFile}, "not both"},
		{"missing secret file", nil, map[string]string{"FLOORFEED_SECRET_FILE": "/nonexistent/secret"}, "FLOORFEED_SECRET_FILE"},
		{"bad time zone", []string{"--time-zone", "Mars/Olympus"}, nil, "--time-zone / FLOORFEED_TIME_ZONE"},
		{"time zone", []string{"--time-zone", "Asia/Shanghai"}, nil, ""},
		{"prefix with brace", []string{"--redis-prefix", "a{b"}, nil, "--redis-prefix"},
		{"queue workers", []string{"--queue-workers", "photo=4, brief=0"}, nil, ""},
		{"unknown queue", []string{"--queue-workers", "pdf=2"}, nil, `unknown queue "pdf": the queues are report, photo, alert, brief, mail, index`},
		{"queue workers not a pair", nil, map[string]string{"FLOORFEED_QUEUE_WORKERS": "photo"}, "--queue-workers / FLOORFEED_QUEUE_WORKERS"},
		{"queue workers too many", []string{"--queue-workers", "mail=1000"}, nil, "mail=1000: want a whole number from 0 to 256"},
		{"queue given twice", []string{"--queue-workers", "mail=1,mail=2"}, nil, "queue mail given twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseConfig("serve", tc.args, func(k string) string { return tc.env[k] }, nil)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("parseConfig(%v, %v) = %v, want no error", tc.args, tc.env, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("parseConfig(%v, %v) = %v, want an error containing %q", tc.args, tc.env, err, tc.wantErr)
			}
		})
	}
}

func TestParseConfigPrecedence(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("from-a-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"FLOORFEED_ADDR": ":9090", "FLOORFEED_WORKERS": "2", "FLOORFEED_SECRET_FILE": secretFile,
		"FLOORFEED_REDIS_URL": "redis://:pw@redis:6379/0",
	}
	cfg, _, err := parseConfig("serve", []string{"--workers", "7"}, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":9090" || cfg.Workers != 7 || string(cfg.Secret) != "from-a-file-0123456789" || cfg.ShutdownTimeout != 20*time.Second {
		t.Fatalf("cfg = addr %s workers %d secret %q timeout %v; want env addr, flag workers, secret from file, default timeout",
			cfg.Addr, cfg.Workers, cfg.Secret, cfg.ShutdownTimeout)
	}
	if cfg.BaseURL != "http://localhost:9090" {
		t.Fatalf("default base URL = %s, want http://localhost:9090", cfg.BaseURL)
	}
	if got := describeStore(cfg); strings.Contains(got, "pw") {
		t.Fatalf("describeStore = %s, still shows the password", got)
	}
}

// --workers sizes the report pool, --queue-workers any pool; a pool of 0 is
// left out, and --workers 0 is a web-only instance.
func TestWorkerPoolsFromConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want map[string]int // queue → workers; nil: no worker
	}{
		{"defaults", nil, map[string]int{"report": 32, "photo": 2, "alert": 2, "brief": 1, "mail": 2, "index": 1}},
		{"overrides", []string{"--workers", "8", "--queue-workers", "photo=6,brief=0"}, map[string]int{"report": 8, "photo": 6, "alert": 2, "mail": 2, "index": 1}},
		{"only briefs", []string{"--queue-workers", "report=0,photo=0,alert=0,mail=0,index=0,brief=3"}, map[string]int{"brief": 3}},
		{"web only", []string{"--workers", "0", "--queue-workers", "brief=3"}, nil},
		{"none", []string{"--queue-workers", "report=0,photo=0,alert=0,brief=0,mail=0,index=0"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := parseConfig("serve", tc.args, func(string) string { return "" }, nil)
			if err != nil {
				t.Fatalf("parseConfig(%v) = %v", tc.args, err)
			}
			pools := workerPools(cfg)
			got := map[string]int{}
			for _, p := range pools {
				if p.Lease <= 0 {
					t.Errorf("pool %s has lease %v, want the default", p.Queue, p.Lease)
				}
				got[p.Queue] = p.Concurrency
			}
			if tc.want == nil && len(pools) != 0 || tc.want != nil && !maps.Equal(got, tc.want) {
				t.Fatalf("pools for %v = %v, want %v", tc.args, got, tc.want)
			}
		})
	}
}
