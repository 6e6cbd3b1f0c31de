package redisstore

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ParseURL turns a FLOORFEED_REDIS_URL into options for
// redis.NewUniversalClient. Accepted forms:
//
//	redis://[user:password@]host[:6379][/db][?option=value…]        one server
//	rediss://…                                                       the same over TLS
//	unix://[user:password@]/path/to/redis.sock[?db=N&option=value…]  one server on a unix socket
//
// Redis Cluster (database 0 only), with several seed nodes or one:
//
//	redis://[user:password@]host1:6379,host2:6379,host3:6379[?option=value…]
//	redis://host1:6379?addr=host2:6379&addr=host3:6379               (go-redis form)
//	redis://config-endpoint:6379?cluster=true                        (one seed, e.g. a cloud endpoint)
//
// Redis Sentinel, where the hosts are the Sentinels (default port 26379):
//
//	redis+sentinel://[user:password@]s1[:26379],s2[:26379]/mymaster[/db][?option=value…]
//	rediss+sentinel://…  (TLS to the Sentinels and the master)
//	redis://[sentinel-user:sentinel-password@]s1:26379[/db]?master_name=mymaster[&addr=s2:26379]   (go-redis form)
//
// In the redis+sentinel form the user and password authenticate to the
// master, and sentinel_username / sentinel_password query parameters to the
// Sentinels (as in redis-py). In the go-redis master_name form the user info
// authenticates to the Sentinels and username= / password= to the master
// (go-redis's redis.ParseFailoverURL).
//
// Options are go-redis's URL query parameters (dial_timeout=3s,
// read_timeout=2s, pool_size=20, max_retries=3, client_name=…,
// skip_verify=true for TLS…); an unknown one is an error. Without pool_size
// the pool has DefaultPoolSize connections (at least). Options that route
// reads to replicas (read_only, route_by_latency, route_randomly,
// replica_only, use_disconnected_replicas) are refused: the store needs to
// read its own writes. Errors name FLOORFEED_REDIS_URL and never echo the
// password.
func ParseURL(rawURL string) (*redis.UniversalOptions, error) {
	o, err := parseURL(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, fmt.Errorf("FLOORFEED_REDIS_URL %q: %w", RedactURL(rawURL), err)
	}
	if o.PoolSize == 0 {
		// go-redis defaults to 10 connections per CPU. Each submission holds
		// a connection for one round trip, and with many phones at once a
		// 2-CPU server then queues requests for a connection rather than for
		// Redis: measured with `make bench`, 64 gave about 30% more
		// submissions/s than the default of 20 at 64 concurrent clients.
		o.PoolSize = max(DefaultPoolSize, 10*runtime.GOMAXPROCS(0))
	}
	return o, nil
}

// DefaultPoolSize is the smallest connection pool used when the URL sets no
// pool_size.
const DefaultPoolSize = 64

// replicaReads are the options that would send reads to replicas.
var replicaReads = []string{"read_only", "route_by_latency", "route_randomly", "replica_only", "use_disconnected_replicas"}

func parseURL(raw string) (*redis.UniversalOptions, error) {
	if raw == "" {
		return nil, errors.New("empty; want e.g. redis://host:6379/0")
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, errors.New("not a URL; want e.g. redis://host:6379/0 or unix:///path/to/redis.sock")
	}
	switch strings.ToLower(scheme) {
	case "unix":
		if err := refuseReplicaReads(rest); err != nil {
			return nil, err
		}
		o, err := redis.ParseURL("unix://" + rest)
		if err != nil {
			return nil, cleanURLError(err)
		}
		return fromSimple(o), nil
	case "redis":
		return parseNetwork("redis", rest, false)
	case "rediss":
		return parseNetwork("rediss", rest, false)
	case "redis+sentinel":
		return parseNetwork("redis", rest, true)
	case "rediss+sentinel":
		return parseNetwork("rediss", rest, true)
	}
	return nil, fmt.Errorf("unsupported scheme %q; want redis, rediss, unix, redis+sentinel or rediss+sentinel", scheme)
}

// parseNetwork handles redis[s]://… and redis[s]+sentinel://… (rest is what
// follows "://"). It splits the host list itself, since net/url cannot parse
// several hosts, and hands a single-host URL with addr= parameters to
// go-redis's parser for the chosen mode.
func parseNetwork(scheme, rest string, sentinel bool) (*redis.UniversalOptions, error) {
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	tail, _, _ = strings.Cut(tail, "#")
	path, rawQuery, _ := strings.Cut(tail, "?")
	userinfo, hostlist := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hostlist = authority[:i], authority[i+1:]
	}
	user, err := parseUserinfo(userinfo)
	if err != nil {
		return nil, err
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("bad query: %w", err)
	}
	for _, name := range replicaReads {
		if q.Has(name) {
			return nil, fmt.Errorf("option %s is not supported: floorfeed must read from the master", name)
		}
	}
	defaultPort := "6379"
	if sentinel {
		defaultPort = "26379"
	}
	hosts, err := splitHosts(strings.Split(hostlist, ","), defaultPort)
	if err != nil {
		return nil, err
	}
	more, err := splitHosts(q["addr"], defaultPort)
	if err != nil {
		return nil, err
	}
	hosts = append(hosts, more...)
	if len(hosts) == 0 {
		return nil, errors.New("no host")
	}
	q.Del("addr")
	cluster := false
	if q.Has("cluster") {
		if cluster, err = strconv.ParseBool(q.Get("cluster")); err != nil {
			return nil, fmt.Errorf("cluster=%q: want true or false", q.Get("cluster"))
		}
		q.Del("cluster")
	}

	if sentinel {
		segs := strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
		switch {
		case len(segs) == 0 && !q.Has("master_name"):
			return nil, errors.New("no master name; want redis+sentinel://host:26379/mymaster")
		case len(segs) > 2:
			return nil, fmt.Errorf("bad path %q; want /mymaster or /mymaster/db", path)
		case len(segs) > 0 && q.Has("master_name") && q.Get("master_name") != segs[0]:
			return nil, errors.New("master name given both in the path and as master_name")
		}
		path = ""
		if len(segs) > 0 {
			q.Set("master_name", segs[0])
		}
		if len(segs) == 2 {
			path = "/" + segs[1]
		}
		// User info is the master's; sentinel_* parameters are the Sentinels'.
		if user != nil {
			if !q.Has("username") && user.Username() != "" {
				q.Set("username", user.Username())
			}
			if p, ok := user.Password(); ok && !q.Has("password") {
				q.Set("password", p)
			}
		}
		user = nil
		if q.Has("sentinel_username") || q.Has("sentinel_password") {
			if q.Has("sentinel_password") {
				user = url.UserPassword(q.Get("sentinel_username"), q.Get("sentinel_password"))
			} else {
				user = url.User(q.Get("sentinel_username"))
			}
			q.Del("sentinel_username")
			q.Del("sentinel_password")
		}
	}

	u := url.URL{Scheme: scheme, User: user, Host: hosts[0], Path: path}
	switch {
	case q.Has("master_name"):
		if cluster {
			return nil, errors.New("cluster=true cannot be combined with Sentinel")
		}
		q["addr"] = hosts[1:]
		u.RawQuery = q.Encode()
		fo, err := redis.ParseFailoverURL(u.String())
		if err != nil {
			return nil, cleanURLError(err)
		}
		return fromFailover(fo), nil
	case cluster || len(hosts) > 1:
		if path != "" && path != "/" && path != "/0" {
			return nil, fmt.Errorf("path %q: Redis Cluster has only database 0", path)
		}
		u.Path = ""
		q["addr"] = hosts[1:]
		u.RawQuery = q.Encode()
		co, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, cleanURLError(err)
		}
		if co.TLSConfig != nil {
			// Verify each node against its own name, not the first seed's.
			co.TLSConfig.ServerName = ""
		}
		return fromCluster(co), nil
	default:
		u.RawQuery = q.Encode()
		o, err := redis.ParseURL(u.String())
		if err != nil {
			return nil, cleanURLError(err)
		}
		return fromSimple(o), nil
	}
}

// parseUserinfo parses "user:password" (percent-encoded) without putting it
// in an error message.
func parseUserinfo(s string) (*url.Userinfo, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse("redis://" + s + "@host")
	if err != nil || u.User == nil {
		return nil, errors.New("bad user or password (percent-encode special characters)")
	}
	return u.User, nil
}

// splitHosts normalizes host[:port] items to host:port.
func splitHosts(items []string, defaultPort string) ([]string, error) {
	var out []string
	for _, h := range items {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil { // no port, or a bracketed IPv6 address without one
			host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), defaultPort
		}
		if host == "" || strings.ContainsAny(host, "[]/ ") {
			return nil, fmt.Errorf("bad host %q", h)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("bad port in %q", h)
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	return out, nil
}

func refuseReplicaReads(rest string) error {
	_, rawQuery, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return fmt.Errorf("bad query: %w", err)
	}
	for _, name := range replicaReads {
		if q.Has(name) {
			return fmt.Errorf("option %s is not supported: floorfeed must read from the master", name)
		}
	}
	return nil
}

// cleanURLError drops the URL (with its password) that a *url.Error carries.
func cleanURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// RedactURL returns a Redis URL fit for logs and messages: the password in
// the user info and every query parameter whose name contains "password"
// (password=, sentinel_password=) are replaced by xxxxx. Anything it cannot
// parse as a URL but that holds an "@" is not shown at all. Every place that
// shows a FLOORFEED_REDIS_URL goes through it.
func RedactURL(raw string) string {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(raw), "://")
	if !ok {
		if strings.Contains(raw, "@") {
			return "(unparsable, not shown)"
		}
		return raw
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		user, _, hasPass := strings.Cut(authority[:i], ":")
		if hasPass {
			user += ":xxxxx"
		}
		authority = user + "@" + authority[i+1:]
	}
	path, rawQuery, hasQuery := strings.Cut(tail, "?")
	if hasQuery {
		parts := strings.Split(rawQuery, "&")
		for i, p := range parts {
			name, _, _ := strings.Cut(p, "=")
			if strings.Contains(strings.ToLower(name), "password") {
				parts[i] = name + "=xxxxx"
			}
		}
		path += "?" + strings.Join(parts, "&")
	}
	return scheme + "://" + authority + path
}
