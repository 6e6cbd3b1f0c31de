package redisstore

import (
	"strings"
	"testing"
)

// redactCases are every documented FLOORFEED_REDIS_URL form with secrets in
// each place a secret can go. Secrets are the words starting "SECRET".
var redactCases = []struct {
	url  string
	want string // the redacted form
}{
	{"redis://localhost:6379/2", "redis://localhost:6379/2"},
	{"redis://:SECRETpw@cache.plant.local", "redis://:xxxxx@cache.plant.local"},
	{"redis://ff:SECRETpw@cache.plant.local:6379/0", "redis://ff:xxxxx@cache.plant.local:6379/0"},
	{"rediss://ff:SECRETpw@r.example.com:6380/0?skip_verify=true", "rediss://ff:xxxxx@r.example.com:6380/0?skip_verify=true"},
	{"unix://:SECRETpw@/var/run/redis/redis.sock?db=3", "unix://:xxxxx@/var/run/redis/redis.sock?db=3"},
	{"unix:///var/run/redis/redis.sock?db=3&password=SECRETq", "unix:///var/run/redis/redis.sock?db=3&password=xxxxx"},
	{"redis://h1:7000?password=SECRETq&dial_timeout=3s", "redis://h1:7000?password=xxxxx&dial_timeout=3s"},
	{"redis://:SECRETpw@h1:7000,h2:7001,h3", "redis://:xxxxx@h1:7000,h2:7001,h3"},
	{"redis://u:SECRETpw@h1:7000?addr=h2:7001&addr=h3:7002", "redis://u:xxxxx@h1:7000?addr=h2:7001&addr=h3:7002"},
	{"rediss://:SECRETpw@cfg.example.com:6379/0?cluster=true", "rediss://:xxxxx@cfg.example.com:6379/0?cluster=true"},
	{"redis+sentinel://:SECRETpw@s1,s2:26380/mymaster/1?sentinel_password=SECRETs",
		"redis+sentinel://:xxxxx@s1,s2:26380/mymaster/1?sentinel_password=xxxxx"},
	{"rediss+sentinel://m:SECRETpw@s1/mymaster?sentinel_username=su&sentinel_password=SECRETs",
		"rediss+sentinel://m:xxxxx@s1/mymaster?sentinel_username=su&sentinel_password=xxxxx"},
	{"redis://:SECRETs@s1:26379/0?master_name=mymaster&addr=s2:26379&password=SECRETq",
		"redis://:xxxxx@s1:26379/0?master_name=mymaster&addr=s2:26379&password=xxxxx"},
	{"REDIS://:SECRETpw@H1?Password=SECRETq", "REDIS://:xxxxx@H1?Password=xxxxx"},
	{"redis://:SECRETp%40ss@h1", "redis://:xxxxx@h1"},
	{"not a url but :SECRETpw@host", "(unparsable, not shown)"},
}

func TestRedactURL(t *testing.T) {
	for _, tc := range redactCases {
		got := RedactURL(tc.url)
		if strings.Contains(got, "SECRET") {
			t.Errorf("RedactURL(%q) = %q: shows a secret", tc.url, got)
		}
		if got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

// An invalid URL's error names it, redacted.
func TestParseURLErrorsAreRedacted(t *testing.T) {
	for _, u := range []string{
		"redis://:SECRETpw@h1?nonsense_option=1",
		"redis+sentinel://:SECRETpw@s1/mymaster?sentinel_password=SECRETs&read_only=true",
		"redis://:SECRETpw@h1:notaport",
		"ftp://:SECRETpw@h1",
		"unix://:SECRETpw@/x.sock?password=SECRETq&route_randomly=true",
	} {
		_, err := ParseURL(u)
		if err == nil {
			t.Errorf("ParseURL(%q) succeeded, want an error", u)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("ParseURL(%q) error %q shows a secret", u, err)
		}
	}
}
