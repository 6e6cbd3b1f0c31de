package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/mail"
	"github.com/floorfeed/floorfeed/store"
)

// Config is the whole run-time configuration. Every setting is a flag with a
// FLOORFEED_* environment twin; a flag given on the command line wins over
// the environment. Secrets come only from the environment or from files.
type Config struct {
	Addr              string
	DataDir           string
	PlantFile         string
	RedisURL          string // secret: may carry a password
	RedisPrefix       string
	BaseURL           string
	Workers           int
	QueueWorkers      map[string]int // per-queue pool sizes over the defaults (worker.DefaultPools)
	TrustedProxies    []string
	SubmitRate        float64
	SubmitBurst       int
	ShutdownTimeout   time.Duration
	TimeZone          *time.Location
	LogLevel          slog.Level
	LogFormat         string
	Secret            []byte // FLOORFEED_SECRET / FLOORFEED_SECRET_FILE; empty → generated and kept
	MetricsAddr       string // a separate listener for /metrics; empty: the main one
	MaxConnsPerClient int    // open connections per client address (0: no cap)
	MetricsToken      string // FLOORFEED_METRICS_TOKEN(_FILE): bearer token /metrics requires; empty: none
	// SMTP is from FLOORFEED_SMTP_* (mailconfig.go); an empty Host: no e-mail.
	SMTP        mail.Config
	PDFFont     string // TrueType file replacing the embedded fallback face of PDFs (pdffonts.go)
	PDFFontBold string

	baseURLSet bool // BaseURL was configured, not derived from Addr
}

// setting describes one configuration item, for flags, env and the README.
type setting struct {
	flag, env, def, help string
	scope                scope
}

// scope groups the settings by the commands that take them as flags, so
// that `floorfeed lines -h` shows the flags of lines, not the server's. A
// setting a command does not take as a flag still comes from its
// environment variable (or its default).
type scope uint8

const (
	scopeAddr  scope = 1 << iota // the HTTP listen address (serve, healthcheck)
	scopeStore                   // where the installation lives: every command that reaches it
	scopeServe                   // how the server runs
	scopeLog                     // logging

	scopeAll   = scopeAddr | scopeStore | scopeServe | scopeLog
	scopeAdmin = scopeStore | scopeLog // the admin commands
)

var settings = []setting{
	{"addr", "FLOORFEED_ADDR", ":8080", "HTTP listen address", scopeAddr},
	{"data-dir", "FLOORFEED_DATA_DIR", "./data", "directory for the embedded database, the generated secret and the admin socket", scopeStore},
	{"config", "FLOORFEED_CONFIG", "", "plant file (floorfeed.yaml); empty: the built-in sample plant", scopeStore},
	{"redis-prefix", "FLOORFEED_REDIS_PREFIX", "ff", "prefix (and Cluster hash tag) of every Redis key", scopeStore},
	{"base-url", "FLOORFEED_BASE_URL", "", "public URL printed in QR codes, e.g. https://floorfeed.plant.example (default http://localhost<addr>; a running server's wins)", scopeStore},
	{"workers", "FLOORFEED_WORKERS", "32", "report jobs processed concurrently by this instance (0: web only, no jobs of any queue); their store writes are group-committed together", scopeServe},
	{"max-conns-per-client", "FLOORFEED_MAX_CONNS_PER_CLIENT", "256", "open connections one client address may hold (a shift's phones behind one NAT share an address, one or two each; trusted proxies are exempt; 0: no cap)", scopeServe},
	{"metrics-addr", "FLOORFEED_METRICS_ADDR", "", "serve /metrics on this separate address only (e.g. 127.0.0.1:9090); empty: on the main address", scopeServe},
	{"queue-workers", "FLOORFEED_QUEUE_WORKERS", "", "pool sizes per queue, e.g. photo=4,brief=0 (0: this instance takes none of that queue's jobs); defaults report=--workers,photo=2,alert=2,brief=1,mail=2,index=1", scopeServe},
	{"trusted-proxies", "FLOORFEED_TRUSTED_PROXIES", "", "comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For is believed", scopeServe},
	{"submit-rate", "FLOORFEED_SUBMIT_RATE", "30", "new report submissions (and \"me too\" votes) per minute per line and client address (0: unlimited)", scopeServe},
	{"submit-burst", "FLOORFEED_SUBMIT_BURST", "60", "submissions a line's client address may make at once before the rate applies (a shift's outboxes flushing after a Wi-Fi outage, behind one NAT)", scopeServe},
	{"shutdown-timeout", "FLOORFEED_SHUTDOWN_TIMEOUT", "20s", "how long shutdown waits for requests and jobs to finish", scopeServe},
	{"time-zone", "FLOORFEED_TIME_ZONE", "Local", "IANA time zone for dates on pages and in date filters, e.g. Asia/Shanghai", scopeServe},
	{"smtp-host", "FLOORFEED_SMTP_HOST", "", "SMTP server for briefs and alerts (empty: no e-mail; scheduled briefs are off)", scopeServe},
	{"smtp-port", "FLOORFEED_SMTP_PORT", "", "SMTP port (default 587 for starttls, 465 for tls, 25 for none)", scopeServe},
	{"smtp-username", "FLOORFEED_SMTP_USERNAME", "", "SMTP AUTH PLAIN user (the password: env FLOORFEED_SMTP_PASSWORD or FLOORFEED_SMTP_PASSWORD_FILE)", scopeServe},
	{"smtp-from", "FLOORFEED_SMTP_FROM", "", "sender of briefs and alerts, e.g. \"Floorfeed <floorfeed@plant.example>\"", scopeServe},
	{"smtp-tls", "FLOORFEED_SMTP_TLS", "starttls", "starttls (required), tls (implicit, port 465) or none (a local relay; no password)", scopeServe},
	{"smtp-timeout", "FLOORFEED_SMTP_TIMEOUT", "30s", "bound on connecting and each SMTP command", scopeServe},
	{"pdf-font", "FLOORFEED_PDF_FONT", "", "TrueType font file (.ttf with glyf outlines) for CJK and other non-Latin text in PDFs, instead of the embedded Droid Sans Fallback; .ttc and CFF .otf files are refused at start", scopeStore},
	{"pdf-font-bold", "FLOORFEED_PDF_FONT_BOLD", "", "bold TrueType file to go with --pdf-font (default: bold simulated)", scopeStore},
	{"log-level", "FLOORFEED_LOG_LEVEL", "info", "debug, info, warn or error", scopeLog},
	{"log-format", "FLOORFEED_LOG_FORMAT", "text", "text or json", scopeLog},
}

// secretSettings are read only from the environment (VAR) or a file (VAR_FILE).
var secretSettings = []setting{
	{"", "FLOORFEED_REDIS_URL", "", "redis://, rediss://, unix:// (also Sentinel, Cluster); empty: embedded store in data-dir", scopeStore},
	{"", "FLOORFEED_SECRET", "", "HMAC key for QR tokens and receipts (≥16 bytes); empty: generated once and kept", scopeStore},
	{"", "FLOORFEED_METRICS_TOKEN", "", "bearer token /metrics requires (Authorization: Bearer …); empty: none", scopeServe},
	{"", "FLOORFEED_SMTP_PASSWORD", "", "SMTP password (with --smtp-username)", scopeServe},
}

// parseConfig reads every configuration flag from args (flags only, as the
// flag package parses them) and the environment; extra adds more flags to
// the same set. The CLI itself goes through configFlags.
func parseConfig(name string, args []string, getenv func(string) string, extra func(*flag.FlagSet)) (*Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	build := configFlags(fs, scopeAll, getenv)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	c, err := build()
	return c, fs, err
}

// configFlags adds the settings of the scopes in mask to fs as flags and
// returns the function that, once fs is parsed, builds the Config: a flag
// given wins over the environment, the environment over the default.
func configFlags(fs *flag.FlagSet, mask scope, getenv func(string) string) func() (*Config, error) {
	flags := map[string]*string{}
	for _, s := range settings {
		if s.scope&mask == 0 {
			continue
		}
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		flags[s.flag] = fs.String(s.flag, def, fmt.Sprintf("%s (env %s)", s.help, s.env))
	}
	var redisFlag *string
	if mask&scopeStore != 0 {
		redisFlag = fs.String("redis-url", "", "Redis URL; prefer env FLOORFEED_REDIS_URL or FLOORFEED_REDIS_URL_FILE (a password on the command line is visible to every user)")
	}
	return func() (*Config, error) {
		vals := map[string]string{}
		for _, s := range settings {
			if p, ok := flags[s.flag]; ok {
				vals[s.flag] = *p
			} else if v := getenv(s.env); v != "" {
				vals[s.flag] = v
			} else {
				vals[s.flag] = s.def
			}
		}
		redisURL := ""
		if redisFlag != nil {
			redisURL = *redisFlag
		}
		return buildConfig(vals, redisURL, getenv)
	}
}

// buildConfig checks the settings' values (by flag name) and makes the
// Config; every problem is reported, each naming its flag and variable.
func buildConfig(vals map[string]string, redisURL string, getenv func(string) string) (*Config, error) {
	c := &Config{
		Addr:        vals["addr"],
		DataDir:     vals["data-dir"],
		PlantFile:   vals["config"],
		RedisPrefix: vals["redis-prefix"],
		BaseURL:     strings.TrimRight(vals["base-url"], "/"),
		MetricsAddr: vals["metrics-addr"],
		LogFormat:   vals["log-format"],
		PDFFont:     vals["pdf-font"],
		PDFFontBold: vals["pdf-font-bold"],
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
		c.BaseURL = defaultBaseURL(c.Addr)
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base-url", "FLOORFEED_BASE_URL", c.BaseURL, "want an absolute http(s) URL")
	} else {
		c.baseURLSet = true
	}
	var err error
	if c.Workers, err = strconv.Atoi(vals["workers"]); err != nil || c.Workers < 0 || c.Workers > 256 {
		bad("workers", "FLOORFEED_WORKERS", vals["workers"], "want a whole number from 0 to 256")
	}
	if c.QueueWorkers, err = parseQueueWorkers(vals["queue-workers"]); err != nil {
		bad("queue-workers", "FLOORFEED_QUEUE_WORKERS", vals["queue-workers"], err.Error())
	}
	if v := vals["trusted-proxies"]; v != "" {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if _, err := netip.ParsePrefix(p); err != nil {
				if _, aerr := netip.ParseAddr(p); aerr != nil {
					bad("trusted-proxies", "FLOORFEED_TRUSTED_PROXIES", p, "want CIDRs like 10.0.0.0/8 or single addresses like 127.0.0.1")
					continue
				}
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	if c.MaxConnsPerClient, err = strconv.Atoi(vals["max-conns-per-client"]); err != nil || c.MaxConnsPerClient < 0 {
		bad("max-conns-per-client", "FLOORFEED_MAX_CONNS_PER_CLIENT", vals["max-conns-per-client"], "want a whole number ≥ 0")
	}
	if c.SubmitRate, err = strconv.ParseFloat(vals["submit-rate"], 64); err != nil || c.SubmitRate < 0 {
		bad("submit-rate", "FLOORFEED_SUBMIT_RATE", vals["submit-rate"], "want a number ≥ 0")
	}
	if c.SubmitBurst, err = strconv.Atoi(vals["submit-burst"]); err != nil || c.SubmitBurst < 1 {
		bad("submit-burst", "FLOORFEED_SUBMIT_BURST", vals["submit-burst"], "want a whole number ≥ 1")
	}
	if c.ShutdownTimeout, err = time.ParseDuration(vals["shutdown-timeout"]); err != nil || c.ShutdownTimeout <= 0 {
		bad("shutdown-timeout", "FLOORFEED_SHUTDOWN_TIMEOUT", vals["shutdown-timeout"], "want a duration like 20s")
	}
	if c.TimeZone, err = time.LoadLocation(vals["time-zone"]); err != nil {
		bad("time-zone", "FLOORFEED_TIME_ZONE", vals["time-zone"], "want an IANA zone like Asia/Shanghai, UTC or Local")
	}
	if err := c.LogLevel.UnmarshalText([]byte(vals["log-level"])); err != nil {
		bad("log-level", "FLOORFEED_LOG_LEVEL", vals["log-level"], "want debug, info, warn or error")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format", "FLOORFEED_LOG_FORMAT", c.LogFormat, "want text or json")
	}

	c.RedisURL = redisURL
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
	if c.MetricsToken, err = secretValue(getenv, "FLOORFEED_METRICS_TOKEN"); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, smtpConfig(c, vals, getenv)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// defaultBaseURL is the base URL when none is set: the listen address on
// localhost.
func defaultBaseURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
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

// newLogger builds the process logger from the configuration, writing to w.
// minLevel raises the configured level (admin commands log warnings only).
func (c *Config) newLogger(w io.Writer, minLevel slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: max(c.LogLevel, minLevel)}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// parseQueueWorkers reads "queue=N,queue=N" (the --queue-workers setting).
func parseQueueWorkers(v string) (map[string]int, error) {
	out := map[string]int{}
	if strings.TrimSpace(v) == "" {
		return out, nil
	}
	for _, part := range strings.Split(v, ",") {
		name, num, ok := strings.Cut(strings.TrimSpace(part), "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("want queue=N pairs separated by commas, e.g. photo=4,brief=0 (got %q)", part)
		}
		if !store.KnownQueue(name) {
			return nil, fmt.Errorf("unknown queue %q: the queues are %s", name, strings.Join(store.Queues, ", "))
		}
		n, err := strconv.Atoi(strings.TrimSpace(num))
		if err != nil || n < 0 || n > 256 {
			return nil, fmt.Errorf("%s=%s: want a whole number from 0 to 256", name, num)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("queue %s given twice", name)
		}
		out[name] = n
	}
	return out, nil
}
