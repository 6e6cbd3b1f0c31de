package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole run-time configuration. Every setting is a flag with a
// FLOORFEED_* environment twin; a flag given on the command line wins over
// the environment. Secrets come only from the environment or from files.
type Config struct {
	Addr            string
	DataDir         string
	PlantFile       string
	RedisURL        string // secret: may carry a password
	RedisPrefix     string
	BaseURL         string
	Workers         int
	TrustedProxies  []string
	SubmitRate      float64
	SubmitBurst     int
	ShutdownTimeout time.Duration
	TimeZone        *time.Location
	LogLevel        slog.Level
	LogFormat       string
	Secret          []byte // FLOORFEED_SECRET / FLOORFEED_SECRET_FILE; empty → generated and kept
}

// setting describes one configuration item, for flags, env and the README.
type setting struct {
	flag, env, def, help string
}

var settings = []setting{
	{"addr", "FLOORFEED_ADDR", ":8080", "HTTP listen address"},
	{"data-dir", "FLOORFEED_DATA_DIR", "./data", "directory for the embedded database and the generated secret"},
	{"config", "FLOORFEED_CONFIG", "", "plant file (floorfeed.yaml); empty: the built-in sample plant"},
	{"redis-prefix", "FLOORFEED_REDIS_PREFIX", "ff", "prefix (and Cluster hash tag) of every Redis key"},
	{"base-url", "FLOORFEED_BASE_URL", "", "public URL printed in QR codes, e.g. https://floorfeed.plant.example (default http://localhost<addr>)"},
	{"workers", "FLOORFEED_WORKERS", "4", "jobs processed concurrently by this instance (0: no worker)"},
	{"trusted-proxies", "FLOORFEED_TRUSTED_PROXIES", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed"},
	{"submit-rate", "FLOORFEED_SUBMIT_RATE", "30", "report submissions per minute per client address (0: unlimited)"},
	{"submit-burst", "FLOORFEED_SUBMIT_BURST", "10", "submissions a client may make at once before the rate applies"},
	{"shutdown-timeout", "FLOORFEED_SHUTDOWN_TIMEOUT", "20s", "how long shutdown waits for requests and jobs to finish"},
	{"time-zone", "FLOORFEED_TIME_ZONE", "Local", "IANA time zone for dates on pages and in date filters, e.g. Asia/Shanghai"},
	{"log-level", "FLOORFEED_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"log-format", "FLOORFEED_LOG_FORMAT", "text", "text or json"},
}

// secretSettings are read only from the environment (VAR) or a file (VAR_FILE).
var secretSettings = []setting{
	{"", "FLOORFEED_REDIS_URL", "", "redis://, rediss://, unix:// (also Sentinel, Cluster); empty: embedded store in data-dir"},
	{"", "FLOORFEED_SECRET", "", "HMAC key for QR tokens and receipts (≥16 bytes); empty: generated once and kept"},
}

// parseConfig reads flags from args (after the subcommand) and the
// environment. extra lets a subcommand add its own flags to the same set.
func parseConfig(name string, args []string, getenv func(string) string, extra func(*flag.FlagSet)) (*Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	vals := map[string]*string{}
	for _, s := range settings {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		vals[s.flag] = fs.String(s.flag, def, fmt.Sprintf("%s (env %s)", s.help, s.env))
	}
	redisFlag := fs.String("redis-url", "", "Redis URL; prefer env FLOORFEED_REDIS_URL or FLOORFEED_REDIS_URL_FILE (a password on the command line is visible to every user)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	c := &Config{
		Addr:        *vals["addr"],
		DataDir:     *vals["data-dir"],
		PlantFile:   *vals["config"],
		RedisPrefix: *vals["redis-prefix"],
		BaseURL:     strings.TrimRight(*vals["base-url"], "/"),
		LogFormat:   *vals["log-format"],
	}
	var errs []error
	bad := func(flagName, env, v, why string) {
		errs = append(errs, fmt.Errorf("invalid --%s / %s %q: %s", flagName, env, v, why))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr", "FLOORFEED_ADDR", c.Addr, "want host:port, e.g. :8080")
	}
	if c.DataDir == "" {
		bad("data-dir", "FLOORFEED_DATA_DIR", c.DataDir, "must not be empty")
	}
	if c.RedisPrefix == "" || strings.ContainsAny(c.RedisPrefix, "{} \t\n") {
		bad("redis-prefix", "FLOORFEED_REDIS_PREFIX", c.RedisPrefix, "non-empty, without braces or spaces")
	}
	if c.BaseURL == "" {
		host, port, _ := net.SplitHostPort(c.Addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, port)
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base-url", "FLOORFEED_BASE_URL", c.BaseURL, "want an absolute http(s) URL")
	}
	var err error
	if c.Workers, err = strconv.Atoi(*vals["workers"]); err != nil || c.Workers < 0 || c.Workers > 256 {
		bad("workers", "FLOORFEED_WORKERS", *vals["workers"], "want a whole number from 0 to 256")
	}
	if v := *vals["trusted-proxies"]; v != "" {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if _, err := netip.ParsePrefix(p); err != nil {
				bad("trusted-proxies", "FLOORFEED_TRUSTED_PROXIES", p, "want CIDRs like 10.0.0.0/8")
				continue
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	if c.SubmitRate, err = strconv.ParseFloat(*vals["submit-rate"], 64); err != nil || c.SubmitRate < 0 {
		bad("submit-rate", "FLOORFEED_SUBMIT_RATE", *vals["submit-rate"], "want a number ≥ 0")
	}
	if c.SubmitBurst, err = strconv.Atoi(*vals["submit-burst"]); err != nil || c.SubmitBurst < 1 {
		bad("submit-burst", "FLOORFEED_SUBMIT_BURST", *vals["submit-burst"], "want a whole number ≥ 1")
	}
	if c.ShutdownTimeout, err = time.ParseDuration(*vals["shutdown-timeout"]); err != nil || c.ShutdownTimeout <= 0 {
		bad("shutdown-timeout", "FLOORFEED_SHUTDOWN_TIMEOUT", *vals["shutdown-timeout"], "want a duration like 20s")
	}
	if c.TimeZone, err = time.LoadLocation(*vals["time-zone"]); err != nil {
		bad("time-zone", "FLOORFEED_TIME_ZONE", *vals["time-zone"], "want an IANA zone like Asia/Shanghai, UTC or Local")
	}
	if err := c.LogLevel.UnmarshalText([]byte(*vals["log-level"])); err != nil {
		bad("log-level", "FLOORFEED_LOG_LEVEL", *vals["log-level"], "want debug, info, warn or error")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format", "FLOORFEED_LOG_FORMAT", c.LogFormat, "want text or json")
	}

	c.RedisURL = *redisFlag
	if c.RedisURL == "" {
		if c.RedisURL, err = secretValue(getenv, "FLOORFEED_REDIS_URL"); err != nil {
			errs = append(errs, err)
		}
	}
	secret, err := secretValue(getenv, "FLOORFEED_SECRET")
	if err != nil {
		errs = append(errs, err)
	} else if secret != "" && len(secret) < 16 {
		errs = append(errs, errors.New("invalid FLOORFEED_SECRET: must be at least 16 bytes (e.g. `openssl rand -hex 32`)"))
	}
	c.Secret = []byte(secret)
	if len(errs) > 0 {
		return nil, fs, errors.Join(errs...)
	}
	return c, fs, nil
}

// secretValue reads NAME from the environment or the file named by NAME_FILE
// (trailing newline trimmed). Setting both is an error.
func secretValue(getenv func(string) string, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("invalid %s: set either %s or %s_FILE, not both", name, name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("invalid %s_FILE: %w", name, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return v, nil
}

// newLogger builds the process logger from the configuration.
func (c *Config) newLogger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
