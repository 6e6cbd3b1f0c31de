// Package soak is Floorfeed's chaos soak: phone-like clients submit reports
// while the servers (and, on the Redis backend, redis-server) are killed
// with SIGKILL and restarted; at the end every acknowledged report is
// checked through the API: it exists exactly once, was processed exactly
// once, and its replay answers 200 with the same id.
//
// It drives real processes over loopback: the floorfeed binary under test,
// and redis-server with appendfsync always. cmd/floorfeed-soak runs it from
// the command line (make soak); its test runs a short version in CI.
package soak

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/floorfeed/floorfeed/signing"
)

// Config says what to soak and for how long.
type Config struct {
	// Bin is the floorfeed binary under test.
	Bin string
	// Backend is "bolt" (one instance on the embedded store) or "redis"
	// (two instances sharing one redis-server, which is killed too).
	Backend string
	// RedisServer is the redis-server binary (Redis backend).
	RedisServer string
	// Duration is how long clients submit while servers are killed.
	Duration time.Duration
	// Clients is the number of concurrent phone-like clients.
	Clients int
	// KillEvery is the mean time between kills.
	KillEvery time.Duration
	// Dir holds the data directories and logs (a temp dir by default).
	Dir string
	// Log receives progress lines (nil: discarded).
	Log io.Writer
}

// Result is what the soak found.
type Result struct {
	Backend      string
	Duration     time.Duration
	Kills        int // floorfeed SIGKILLs
	RedisKills   int // redis-server SIGKILLs
	Attempts     int // HTTP requests sent
	Acknowledged int // reports answered 201/200
	Lost         int // acknowledged, missing from the store
	Duplicated   int // acknowledged, stored more than once
	Unprocessed  int // stored, not processed exactly once
	BadReplays   int // a replay not answered 200 with the same id
	P99          time.Duration
}

// OK reports whether nothing was lost, duplicated or left unprocessed.
func (r Result) OK() bool {
	return r.Acknowledged > 0 && r.Lost == 0 && r.Duplicated == 0 && r.Unprocessed == 0 && r.BadReplays == 0
}

// Table writes results as a table.
func Table(w io.Writer, rs ...Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "backend\tseconds\tkills\tredis kills\trequests\tacknowledged\tlost\tduplicated\tunprocessed\tbad replays\tp99 ms\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%.0f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t\n", r.Backend, r.Duration.Seconds(), r.Kills, r.RedisKills,
			r.Attempts, r.Acknowledged, r.Lost, r.Duplicated, r.Unprocessed, r.BadReplays, float64(r.P99.Microseconds())/1000)
	}
	_ = tw.Flush()
}

const secret = "soak-secret-0123456789abcdef"

// Run runs one soak.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 16
	}
	if cfg.KillEvery <= 0 {
		cfg.KillEvery = 3 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Dir == "" {
		d, err := os.MkdirTemp("", "floorfeed-soak-")
		if err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(d)
		cfg.Dir = d
	}
	s := &soak{cfg: cfg, res: Result{Backend: cfg.Backend}, acked: map[string]ack{}}
	signer, err := signing.New([]byte(secret))
	if err != nil {
		return Result{}, err
	}
	s.token = signer.LineToken("sx-1")
	defer s.stopAll()
	if err := s.start(); err != nil {
		return s.res, err
	}
	start := time.Now()
	if err := s.load(ctx); err != nil {
		return s.res, err
	}
	s.res.Duration = time.Since(start)
	if err := s.verify(ctx); err != nil {
		return s.res, err
	}
	return s.res, nil
}

type ack struct {
	id      string
	payload []byte
}

type soak struct {
	cfg   Config
	token string

	mu        sync.Mutex
	res       Result
	acked     map[string]ack // idempotency key → first answer
	latencies []time.Duration

	instances []*proc // floorfeed servers
	redis     *proc   // redis-server (Redis backend)
	redisURL  string
}

// proc is a process we start, kill and restart on a fixed address.
type proc struct {
	name string
	args []string
	env  []string
	addr string // host:port it listens on
	log  *os.File
	cmd  *exec.Cmd
	done chan struct{}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (s *soak) start() error {
	env := append(os.Environ(), "FLOORFEED_SECRET="+secret, "FLOORFEED_LOG_LEVEL=warn")
	n := 1
	if s.cfg.Backend == "redis" {
		n = 2
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		_, port, _ := net.SplitHostPort(addr)
		dir := filepath.Join(s.cfg.Dir, "redis")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		s.redis = &proc{name: "redis-server", addr: addr, args: []string{s.cfg.RedisServer,
			"--port", port, "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always",
			"--save", "", "--protected-mode", "no"}}
		if err := s.launch(s.redis); err != nil {
			return err
		}
		s.redisURL = "redis://" + addr + "/0"
		env = append(env, "FLOORFEED_REDIS_URL="+s.redisURL)
	} else if s.cfg.Backend != "bolt" {
		return fmt.Errorf("soak: unknown backend %q (bolt or redis)", s.cfg.Backend)
	}
	dataDir := filepath.Join(s.cfg.Dir, "data")
	for i := range n {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		p := &proc{name: fmt.Sprintf("floorfeed-%d", i+1), addr: addr, env: env,
			args: []string{s.cfg.Bin, "serve", "--addr", addr, "--data-dir", dataDir, "--submit-rate", "0", "--shutdown-timeout", "5s"}}
		if err := s.launch(p); err != nil {
			return err
		}
		s.instances = append(s.instances, p)
	}
	return nil
}

// launch starts p and waits until it accepts connections (servers: until
// /healthz answers).
func (s *soak) launch(p *proc) error {
	if p.log == nil {
		f, err := os.Create(filepath.Join(s.cfg.Dir, p.name+".log"))
		if err != nil {
			return err
		}
		p.log = f
	}
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited at start (see %s)", p.name, p.log.Name())
		default:
		}
		if p == s.redis {
			if c, err := net.DialTimeout("tcp", p.addr, time.Second); err == nil {
				c.Close()
				return nil
			}
		} else if res, err := http.Get("http://" + p.addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not come up in 30 s (see %s)", p.name, p.log.Name())
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *soak) kill(p *proc) {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (s *soak) stopAll() {
	for _, p := range s.instances {
		if p.cmd != nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				s.kill(p)
			}
		}
	}
	if s.redis != nil {
		s.kill(s.redis)
	}
	for _, p := range append(slices.Clone(s.instances), s.redis) {
		if p != nil && p.log != nil {
			p.log.Close()
		}
	}
}

func (s *soak) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "soak %s: "+format+"\n", append([]any{s.cfg.Backend}, args...)...)
}

// load runs the clients and the killer for cfg.Duration, then lets every
// client finish the report it holds (a phone keeps it until answered).
func (s *soak) load(ctx context.Context) error {
	stop := make(chan struct{})
	var clients sync.WaitGroup
	errc := make(chan error, s.cfg.Clients+1)
	for i := range s.cfg.Clients {
		clients.Go(func() {
			if err := s.client(ctx, i, stop); err != nil {
				errc <- err
			}
		})
	}
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		if err := s.killer(ctx, stop); err != nil {
			errc <- err
		}
	}()
	select {
	case <-time.After(s.cfg.Duration):
	case <-ctx.Done():
	}
	close(stop)
	<-killerDone
	clients.Wait()
	close(errc)
	return errors.Join(slicesOf(errc)...)
}

func slicesOf(c chan error) []error {
	var out []error
	for err := range c {
		out = append(out, err)
	}
	return out
}

// killer SIGKILLs a server (or, on Redis, every third time redis-server)
// every KillEvery on average, and restarts it at once.
func (s *soak) killer(ctx context.Context, stop <-chan struct{}) error {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for n := 1; ; n++ {
		wait := time.Duration(float64(s.cfg.KillEvery) * (0.5 + rng.Float64()))
		select {
		case <-stop:
			return nil
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		if s.redis != nil && n%3 == 0 {
			s.kill(s.redis)
			s.mu.Lock()
			s.res.RedisKills++
			s.mu.Unlock()
			s.logf("killed redis-server")
			if err := s.launch(s.redis); err != nil {
				return err
			}
			continue
		}
		p := s.instances[rng.IntN(len(s.instances))]
		s.kill(p)
		s.mu.Lock()
		s.res.Kills++
		s.mu.Unlock()
		s.logf("killed %s", p.name)
		if err := s.launch(p); err != nil {
			return err
		}
	}
}

var httpClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// client behaves like a phone's outbox: each report has its own
// idempotency key and is resent, same key and payload, on any network
// error, 5xx or 429, until it is answered 201 or 200.
func (s *soak) client(ctx context.Context, n int, stop <-chan struct{}) error {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano())))
	finalDeadline := time.Now().Add(s.cfg.Duration + 90*time.Second)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		key := fmt.Sprintf("soak-%s-%d-%d-%d", s.cfg.Backend, n, i, rng.Int64())
		payload, _ := json.Marshal(map[string]string{
			"line": "sx-1", "token": s.token, "category": "equipment", "severity": "medium",
			"title": "soak " + key, "body": "萃取槽 B 泵漏油 / pump leaking oil, report " + strconv.Itoa(i),
			"role": "operator", "lang": "zh",
		})
		backoff := 20 * time.Millisecond
		for attempt := 0; ; attempt++ {
			if time.Now().After(finalDeadline) {
				return fmt.Errorf("client %d: report %s not acknowledged within %s", n, key, s.cfg.Duration+90*time.Second)
			}
			inst := s.instances[(n+attempt)%len(s.instances)]
			start := time.Now()
			id, code, err := submit(ctx, inst.addr, key, payload)
			s.mu.Lock()
			s.res.Attempts++
			s.mu.Unlock()
			if err == nil && (code == http.StatusCreated || code == http.StatusOK) {
				s.mu.Lock()
				s.latencies = append(s.latencies, time.Since(start))
				if prev, ok := s.acked[key]; ok && prev.id != id {
					s.res.Duplicated++ // two different ids for one key
				} else {
					s.acked[key] = ack{id: id, payload: payload}
				}
				s.mu.Unlock()
				break
			}
			if err == nil && code != http.StatusTooManyRequests && code < 500 {
				return fmt.Errorf("client %d: report %s answered %d: a phone would give up on it", n, key, code)
			}
			time.Sleep(backoff + time.Duration(rng.Int64N(int64(backoff))))
			backoff = min(backoff*2, time.Second)
		}
	}
}

func submit(ctx context.Context, addr, key string, payload []byte) (id string, code int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/api/v1/reports", bytes.NewReader(payload))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	res, err := httpClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer res.Body.Close()
	var body struct {
		ID string `json:"id"`
	}
	if res.StatusCode == http.StatusCreated || res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.ID == "" {
			return "", res.StatusCode, fmt.Errorf("answer %d without an id: %v", res.StatusCode, err)
		}
	} else {
		_, _ = io.Copy(io.Discard, res.Body)
	}
	return body.ID, res.StatusCode, nil
}

type apiReport struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	ProcessedAt *time.Time `json:"processed_at"`
	History     []struct {
		Action string `json:"action"`
	} `json:"history"`
}

// verify checks every acknowledged report through the API.
func (s *soak) verify(ctx context.Context) error {
	for _, p := range s.instances {
		select {
		case <-p.done:
			if err := s.launch(p); err != nil {
				return err
			}
		default:
		}
	}
	bearer, err := s.apiToken()
	if err != nil {
		return err
	}
	s.res.Acknowledged = len(s.acked)
	s.res.P99 = percentile(s.latencies, 0.99)

	// Processing is asynchronous: wait (bounded) until every stored report
	// is processed, then count.
	var byTitle map[string][]apiReport
	deadline := time.Now().Add(60 * time.Second)
	for {
		byTitle, err = s.listAll(ctx, bearer)
		if err != nil {
			return err
		}
		pending := 0
		for _, rs := range byTitle {
			for _, r := range rs {
				if r.ProcessedAt == nil {
					pending++
				}
			}
		}
		if pending == 0 || time.Now().After(deadline) {
			break
		}
		s.logf("waiting for %d reports to be processed", pending)
		time.Sleep(time.Second)
	}
	for key, a := range s.acked {
		rs := byTitle["soak "+key]
		switch {
		case len(rs) == 0:
			s.res.Lost++
			s.logf("LOST: %s (id %s)", key, a.id)
			continue
		case len(rs) > 1:
			s.res.Duplicated++
			s.logf("DUPLICATED: %s stored %d times", key, len(rs))
		case rs[0].ID != a.id:
			s.res.Duplicated++
			s.logf("DIFFERENT ID: %s acknowledged as %s, stored as %s", key, a.id, rs[0].ID)
		}
		processed := 0
		for _, h := range rs[0].History {
			if h.Action == "processed" {
				processed++
			}
		}
		if rs[0].ProcessedAt == nil || processed != 1 {
			s.res.Unprocessed++
			s.logf("UNPROCESSED: %s processed_at=%v, %d processed entries", key, rs[0].ProcessedAt, processed)
		}
	}
	// Replays of acknowledged keys answer 200 with the same id.
	n := 0
	for key, a := range s.acked {
		if n == 200 {
			break
		}
		n++
		id, code, err := submit(ctx, s.instances[n%len(s.instances)].addr, key, a.payload)
		if err != nil || code != http.StatusOK || id != a.id {
			s.res.BadReplays++
			s.logf("BAD REPLAY: %s = %d %s %v, want 200 %s", key, code, id, err, a.id)
		}
	}
	return nil
}

// apiToken creates an API token with the binary's own command (through the
// running server's admin socket on the embedded store).
func (s *soak) apiToken() (string, error) {
	cmd := exec.Command(s.cfg.Bin, "token", "create", "soak-verify", "--data-dir", filepath.Join(s.cfg.Dir, "data"))
	cmd.Env = s.instances[0].env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("floorfeed token create: %w: %s", err, errb.String())
	}
	tok := strings.TrimSpace(out.String())
	if tok == "" {
		return "", errors.New("floorfeed token create printed no token")
	}
	return tok, nil
}

// listAll pages through every report.
func (s *soak) listAll(ctx context.Context, bearer string) (map[string][]apiReport, error) {
	out := map[string][]apiReport{}
	cursor := ""
	for {
		u := "http://" + s.instances[0].addr + "/api/v1/reports?limit=500"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		res, err := httpClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("list reports: %w", err)
		}
		var page struct {
			Reports    []apiReport `json:"reports"`
			NextCursor string      `json:"next_cursor"`
		}
		err = json.NewDecoder(bufio.NewReader(res.Body)).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("list reports: %d %v", res.StatusCode, err)
		}
		for _, r := range page.Reports {
			out[r.Title] = append(out[r.Title], r)
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}
