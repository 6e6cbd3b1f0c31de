package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil"
)

// secretURLs are every documented FLOORFEED_REDIS_URL form, with a secret
// (a word starting SECRET) everywhere one can go.
// Hosts are local ports where nothing listens, so that trying them fails fast.
var secretURLs = []string{
	"redis://:SECRETpw@127.0.0.1:1",
	"redis://ff:SECRETpw@127.0.0.1:1/0",
	"rediss://ff:SECRETpw@127.0.0.1:1/0?skip_verify=true",
	"unix://:SECRETpw@/nonexistent/redis.sock?db=3",
	"unix:///nonexistent/redis.sock?password=SECRETq",
	"redis://127.0.0.1:1?password=SECRETq&dial_timeout=3s",
	"redis://:SECRETpw@127.0.0.1:1,127.0.0.1:2,localhost:3",
	"redis://u:SECRETpw@127.0.0.1:1?addr=127.0.0.1:2&addr=127.0.0.1:3",
	"rediss://:SECRETpw@127.0.0.1:1/0?cluster=true",
	"redis+sentinel://:SECRETpw@127.0.0.1:1,127.0.0.1:2/mymaster/1?sentinel_password=SECRETs",
	"rediss+sentinel://m:SECRETpw@127.0.0.1:1/mymaster?sentinel_username=su&sentinel_password=SECRETs",
	"redis://:SECRETs@127.0.0.1:1/0?master_name=mymaster&addr=127.0.0.1:2&password=SECRETq",
}

func TestStoreDescriptionHidesSecrets(t *testing.T) {
	for _, u := range secretURLs {
		got := describeStore(&Config{RedisURL: u})
		if strings.Contains(got, "SECRET") || !strings.HasPrefix(got, "redis ") {
			t.Errorf("describeStore(%q) = %q: shows a secret", u, got)
		}
	}
}

// What the program prints when it cannot use a Redis URL — a command's
// error, serve's error, the logs up to then — shows no secret.
func TestRedisErrorsHideSecrets(t *testing.T) {
	for _, u := range append(secretURLs,
		"redis://:SECRETpw@h1?nonsense_option=1",
		"redis+sentinel://:SECRETpw@s1/mymaster?sentinel_password=SECRETs&read_only=true",
		"redis://:SECRETpw@h1:notaport",
	) {
		t.Run("", func(t *testing.T) {
			t.Parallel() // each waits for Redis servers that are not there
			env := map[string]string{"FLOORFEED_REDIS_URL": u, "FLOORFEED_DATA_DIR": t.TempDir()}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second) // sentinels never answer here: bound the wait
			defer cancel()
			var out, errOut strings.Builder
			err := run(ctx, []string{"lines", "--log-level", "debug"}, sys{getenv: func(k string) string { return env[k] }, stdout: &out, stderr: &errOut})
			code, msg := exitOf(err)
			if code == 0 {
				t.Errorf("lines with unreachable %q succeeded", u)
			}
			if all := out.String() + errOut.String() + msg; strings.Contains(all, "SECRET") {
				t.Errorf("lines with FLOORFEED_REDIS_URL=%q shows a secret:\n%s", u, all)
			}
		})
	}
}

// The start-up log names the store without its password (a real Redis
// whose default user takes any password).
func TestStartupLogHidesThePassword(t *testing.T) {
	rs := testutil.StartRedis(t)
	u := "unix://default:SECRETpw@" + rs.Socket
	env := map[string]string{"FLOORFEED_REDIS_URL": u}
	cfg, _, err := parseConfig("serve", []string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := newServer(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("newServer(%s) = %v", describeStore(cfg), err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "floorfeed serving") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// An admin command against the same Redis, logging everything.
	var out, errOut strings.Builder
	cerr := run(context.Background(), []string{"token", "create", "x", "--log-level", "debug"}, sys{getenv: func(k string) string { return env[k] }, stdout: &out, stderr: &errOut})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve = %v", err)
	}
	if cerr != nil {
		t.Fatalf("token create against %s = %v", describeStore(cfg), cerr)
	}
	got := logs.String()
	if !strings.Contains(got, `store="redis unix://default:xxxxx@`) {
		t.Fatalf("start-up log does not name the store redacted:\n%s", got)
	}
	if all := got + errOut.String(); strings.Contains(all, "SECRET") {
		t.Fatalf("logs show the Redis password:\n%s", all)
	}
}
