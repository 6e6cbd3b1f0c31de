package redisstore

import (
	"context"
	"testing"

	"github.com/floorfeed/floorfeed/internal/testutil"
)

// TestDurability reads the real server's settings as they are changed.
func TestDurability(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	srv := testutil.StartRedis(t)
	c := newClient(t, srv)
	s := mustOpen(t, srv.URL, Options{})
	for _, tc := range []struct{ appendonly, fsync, want string }{
		{"no", "everysec", DurabilityNoAOF},
		{"yes", "everysec", DurabilityEverysec},
		{"yes", "always", DurabilityAlways},
		{"yes", "no", DurabilityOSFlush},
	} {
		must(t, c.ConfigSet(ctx, "appendfsync", tc.fsync).Err())
		must(t, c.ConfigSet(ctx, "appendonly", tc.appendonly).Err())
		got, err := s.Durability(context.Background())
		if err != nil || got != tc.want {
			t.Errorf("appendonly=%s appendfsync=%s: Durability = %q, %v; want %q", tc.appendonly, tc.fsync, got, err, tc.want)
		}
		if w := DurabilityWarning(got); (w == "") != (tc.want == DurabilityAlways) {
			t.Errorf("%s: warning %q", got, w)
		}
	}
	// A server that refuses CONFIG (renamed away, as managed services do).
	if durabilityOf("", "") != DurabilityUnknown || DurabilityWarning(DurabilityUnknown) == "" {
		t.Error("an unreadable configuration must be unknown, with a warning")
	}
}
