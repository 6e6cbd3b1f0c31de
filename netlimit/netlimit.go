// Package netlimit caps the connections one client address may hold open,
// so that a few slow or hostile clients cannot take every connection the
// server has while everyone else waits.
package netlimit

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// refusal is written to a connection over the cap before it is closed: a
// well-formed HTTP answer that phones' outboxes treat like any 503 (they
// keep the report and retry).
var refusal = func() string {
	body := "too many connections from this address\n"
	return fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
}()

// Listener wraps a net.Listener with a cap on concurrent connections per
// client address.
type Listener struct {
	net.Listener
	max    int
	exempt func(netip.Addr) bool
	refuse func(netip.Addr)

	mu     sync.Mutex
	counts map[netip.Addr]int
}

// Options configure Limit.
type Options struct {
	// Exempt addresses are not capped (trusted reverse proxies: every
	// client comes through them).
	Exempt func(netip.Addr) bool
	// OnRefuse, if set, is told of each refused connection.
	OnRefuse func(netip.Addr)
}

// Limit returns ln with at most max concurrent connections per client
// address (max <= 0: no cap, ln itself is still wrapped). A connection over
// the cap gets a 503 and is closed; Accept goes on with the next one.
func Limit(ln net.Listener, max int, o Options) *Listener {
	return &Listener{Listener: ln, max: max, exempt: o.Exempt, refuse: o.OnRefuse, counts: map[netip.Addr]int{}}
}

// Accept returns the next connection within its address's cap.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := peer(c)
		if l.max <= 0 || !addr.IsValid() || (l.exempt != nil && l.exempt(addr)) {
			return c, nil
		}
		l.mu.Lock()
		n := l.counts[addr]
		if n >= l.max {
			l.mu.Unlock()
			if l.refuse != nil {
				l.refuse(addr)
			}
			go refuse(c)
			continue
		}
		l.counts[addr] = n + 1
		l.mu.Unlock()
		return &conn{Conn: c, l: l, addr: addr}, nil
	}
}

// Open returns how many connections addr holds.
func (l *Listener) Open(addr netip.Addr) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[addr]
}

func (l *Listener) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts[addr] <= 1 {
		delete(l.counts, addr)
		return
	}
	l.counts[addr]--
}

func refuse(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	_, _ = c.Write([]byte(refusal))
	_ = c.Close()
}

func peer(c net.Conn) netip.Addr {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// conn gives its slot back once, when closed.
type conn struct {
	net.Conn
	l    *Listener
	addr netip.Addr
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.addr) })
	return err
}
