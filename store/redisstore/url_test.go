package redisstore

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestParseURL(t *testing.T) {
	type kind int
	const (
		single kind = iota
		cluster
		sentinel
	)
	cases := []struct {
		url   string
		kind  kind
		check func(o *redis.UniversalOptions) string // "" when fine
	}{
		{"redis://localhost:6379/2", single, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"localhost:6379"}, o.DB == 2 && o.TLSConfig == nil)
		}},
		{"redis://:s3cret@cache.plant.local", single, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"cache.plant.local:6379"}, o.Password == "s3cret")
		}},
		{"rediss://ff:pw@r.example.com:6380/0", single, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"r.example.com:6380"},
				o.Username == "ff" && o.Password == "pw" && o.TLSConfig != nil && o.TLSConfig.ServerName == "r.example.com")
		}},
		{"redis://[::1]:6379?dial_timeout=3s&pool_size=7&max_retries=2", single, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"[::1]:6379"}, o.DialTimeout == 3*time.Second && o.PoolSize == 7 && o.MaxRetries == 2)
		}},
		{"unix:///var/run/redis/redis.sock?db=3", single, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"/var/run/redis/redis.sock"}, o.DB == 3)
		}},
		{"redis://h1:7000,h2:7001,h3", cluster, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"h1:7000", "h2:7001", "h3:6379"}, o.IsClusterMode)
		}},
		{"redis://:pw@h1:7000?addr=h2:7001&addr=h3:7002", cluster, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"h1:7000", "h2:7001", "h3:7002"}, o.IsClusterMode && o.Password == "pw")
		}},
		{"redis://cfg.example.com:6379/0?cluster=true", cluster, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"cfg.example.com:6379"}, o.IsClusterMode)
		}},
		{"rediss://h1:7000,h2:7000", cluster, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"h1:7000", "h2:7000"}, o.TLSConfig != nil && o.TLSConfig.ServerName == "")
		}},
		{"redis+sentinel://s1,s2:26380/mymaster/1", sentinel, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"s1:26379", "s2:26380"}, o.MasterName == "mymaster" && o.DB == 1 && o.Password == "")
		}},
		{"rediss+sentinel://:pw@s1/mymaster?sentinel_password=spw", sentinel, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"s1:26379"},
				o.Password == "pw" && o.SentinelPassword == "spw" && o.TLSConfig != nil)
		}},
		{"redis://:spw@s1:26379/0?master_name=mymaster&addr=s2:26379&password=pw", sentinel, func(o *redis.UniversalOptions) string {
			return want(o.Addrs, []string{"s1:26379", "s2:26379"},
				o.MasterName == "mymaster" && o.SentinelPassword == "spw" && o.Password == "pw")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			o, err := ParseURL(tc.url)
			if err != nil {
				t.Fatalf("ParseURL(%s) = %v", tc.url, err)
			}
			if msg := tc.check(o); msg != "" {
				t.Fatalf("ParseURL(%s) = %+v: %s", tc.url, o, msg)
			}
			c := redis.NewUniversalClient(o) // connects lazily
			defer c.Close()
			_, isCluster := c.(*redis.ClusterClient)
			isSentinel := o.MasterName != ""
			if isCluster != (tc.kind == cluster) || isSentinel != (tc.kind == sentinel) {
				t.Fatalf("ParseURL(%s) gives a %T (master %q), want kind %d", tc.url, c, o.MasterName, tc.kind)
			}
		})
	}
}

// want reports a mismatch of addresses or a failed field check.
func want(got, addrs []string, ok bool) string {
	if !slices.Equal(got, addrs) {
		return fmt.Sprintf("addrs %q, want %q", got, addrs)
	}
	if !ok {
		return "a field has the wrong value"
	}
	return ""
}

func TestParseURLErrors(t *testing.T) {
	for _, u := range []string{
		"",
		"localhost:6379",
		"http://localhost:6379",
		"redis://h:abc",
		"redis://h:6379?bogus=1",
		"redis://h/1/2",
		"redis://h1,h2/3",
		"redis://h?cluster=maybe",
		"redis://h?read_only=true",
		"unix:///tmp/r.sock?route_randomly=true",
		"unix://",
		"redis+sentinel://s1:26379",
		"redis+sentinel://s1/m/1/2",
		"redis://h1?cluster=true&master_name=m",
		"redis://:hunter2@h?bogus=1",
		"redis://u:hunter2@h/x",
		"redis://h?password=hunter2&bogus=1",
	} {
		t.Run(u, func(t *testing.T) {
			o, err := ParseURL(u)
			if err == nil {
				t.Fatalf("ParseURL(%q) = %+v, want an error", u, o)
			}
			if msg := err.Error(); !strings.Contains(msg, "FLOORFEED_REDIS_URL") || strings.Contains(msg, "hunter2") {
				t.Fatalf("ParseURL(%q) error %q: want it to name FLOORFEED_REDIS_URL and hide the password", u, msg)
			}
		})
	}
}

func TestParseURLPoolSize(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want int
	}{
		{"redis://h:6379/0", DefaultPoolSize},
		{"unix:///tmp/r.sock", DefaultPoolSize},
		{"redis://h:6379/0?pool_size=7", 7},
	} {
		o, err := ParseURL(tc.url)
		if err != nil {
			t.Fatalf("ParseURL(%s) = %v", tc.url, err)
		}
		if o.PoolSize < tc.want || (tc.want != DefaultPoolSize && o.PoolSize != tc.want) {
			t.Errorf("ParseURL(%s).PoolSize = %d, want %d", tc.url, o.PoolSize, tc.want)
		}
	}
}
