// Package loadgen drives an HTTP endpoint with a fixed number of concurrent
// keep-alive connections and reports throughput and latency percentiles.
// It is for the project's benchmarks, against servers on this machine only.
package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Request builds the i-th request's body and headers.
type Request func(i int64) (body []byte, header http.Header)

// Options describe one run.
type Options struct {
	URL         string
	Conns       int           // concurrent connections (each its own goroutine)
	Requests    int64         // total requests to send (0: until Duration)
	Duration    time.Duration // upper bound on the run (0: until Requests)
	Warmup      int64         // requests sent first and not measured
	WantStatus  int           // a response with another status counts as an error
	ContentType string
}

// Result is what a run measured.
type Result struct {
	Requests   int64
	Errors     int64
	FirstError string
	Elapsed    time.Duration
	P50, P99   time.Duration
	Max        time.Duration
}

// Throughput is successful requests per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// Run sends requests as o describes and measures them. Each connection is a
// plain keep-alive TCP connection driven by one goroutine that writes a
// request and reads the response, like wrk does: the load generator shares
// the machine with the server, so it is kept light (no http.Client
// transport goroutines).
func Run(ctx context.Context, o Options, req Request) (Result, error) {
	if o.Conns <= 0 || (o.Requests <= 0 && o.Duration <= 0) {
		return Result{}, fmt.Errorf("loadgen: need Conns and Requests or Duration")
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return Result{}, fmt.Errorf("loadgen: want an http:// URL, got %q", o.URL)
	}
	var next atomic.Int64
	// Warm-up: open a connection and fill caches, unmeasured.
	if o.Warmup > 0 {
		c, err := dial(ctx, u)
		if err != nil {
			return Result{}, err
		}
		for i := range o.Warmup {
			if _, err := c.send(o, u, req, i); err != nil {
				c.close()
				return Result{}, fmt.Errorf("loadgen warm-up: %w", err)
			}
		}
		c.close()
	}
	next.Store(o.Warmup)
	limit := o.Warmup + o.Requests

	runCtx := ctx
	if o.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	var (
		mu       sync.Mutex
		lats     []time.Duration
		errs     atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errs.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	start := time.Now()
	for range o.Conns {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1024)
			defer func() {
				mu.Lock()
				lats = append(lats, local...)
				mu.Unlock()
			}()
			var c *conn
			defer func() {
				if c != nil {
					c.close()
				}
			}()
			for runCtx.Err() == nil {
				i := next.Add(1) - 1
				if o.Requests > 0 && i >= limit {
					return
				}
				if c == nil {
					var err error
					if c, err = dial(runCtx, u); err != nil {
						fail(err)
						continue
					}
				}
				d, err := c.send(o, u, req, i)
				if err != nil {
					if runCtx.Err() != nil {
						return // the run's time is up: this request does not count
					}
					fail(err)
					if errors.Is(err, errConn) {
						c.close()
						c = nil
					}
					continue
				}
				local = append(local, d)
			}
		})
	}
	wg.Wait()
	r := Result{Elapsed: time.Since(start), Errors: errs.Load()}
	r.Requests = int64(len(lats)) + r.Errors
	if s, ok := firstErr.Load().(string); ok {
		r.FirstError = s
	}
	if len(lats) > 0 {
		slices.Sort(lats)
		r.P50 = lats[len(lats)*50/100]
		r.P99 = lats[min(len(lats)-1, len(lats)*99/100)]
		r.Max = lats[len(lats)-1]
	}
	return r, nil
}

// errConn marks errors after which the connection cannot be reused.
var errConn = errors.New("connection")

type conn struct {
	nc  net.Conn
	br  *bufio.Reader
	buf bytes.Buffer
}

func dial(ctx context.Context, u *url.URL) (*conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("%w: dial %s: %w", errConn, u.Host, err)
	}
	return &conn{nc: nc, br: bufio.NewReaderSize(nc, 16<<10)}, nil
}

func (c *conn) close() { _ = c.nc.Close() }

// send writes request i and reads its whole response.
func (c *conn) send(o Options, u *url.URL, req Request, i int64) (time.Duration, error) {
	body, h := req(i)
	c.buf.Reset()
	fmt.Fprintf(&c.buf, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n",
		u.RequestURI(), u.Host, o.ContentType, len(body))
	for k, vs := range h {
		for _, v := range vs {
			fmt.Fprintf(&c.buf, "%s: %s\r\n", k, v)
		}
	}
	c.buf.WriteString("\r\n")
	c.buf.Write(body)
	_ = c.nc.SetDeadline(time.Now().Add(30 * time.Second))
	start := time.Now()
	if _, err := c.nc.Write(c.buf.Bytes()); err != nil {
		return 0, fmt.Errorf("%w: write: %w", errConn, err)
	}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, fmt.Errorf("%w: read response: %w", errConn, err)
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%w: read body: %w", errConn, err)
	}
	if res.Close {
		return d, fmt.Errorf("%w: server closed the connection (status %d)", errConn, res.StatusCode)
	}
	if o.WantStatus != 0 && res.StatusCode != o.WantStatus {
		return d, fmt.Errorf("status %d, want %d", res.StatusCode, o.WantStatus)
	}
	return d, nil
}
