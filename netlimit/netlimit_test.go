package netlimit_test

import (
	"bufio"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/netlimit"
)

func dialFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", local, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLimitPerAddress(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	exempt := netip.MustParseAddr("127.0.0.3")
	ln := netlimit.Limit(raw, 2, netlimit.Options{Exempt: func(a netip.Addr) bool { return a == exempt }})
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	addr := raw.Addr().String()
	one := netip.MustParseAddr("127.0.0.1")

	a1, a2 := dialFrom(t, "127.0.0.1", addr), dialFrom(t, "127.0.0.1", addr)
	s1, s2 := <-accepted, <-accepted
	_, _ = a1, a2
	// The third from the same address is answered 503 and closed.
	a3 := dialFrom(t, "127.0.0.1", addr)
	_ = a3.SetReadDeadline(time.Now().Add(3 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(a3), nil)
	if err != nil || res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("third connection: %v, %v; want a 503 with Retry-After", res, err)
	}
	// Another address is not affected, nor is an exempt one, however many.
	dialFrom(t, "127.0.0.2", addr)
	<-accepted
	for range 4 {
		dialFrom(t, "127.0.0.3", addr)
		<-accepted
	}
	if n := ln.Open(one); n != 2 {
		t.Fatalf("open from 127.0.0.1 = %d, want 2", n)
	}
	// Closing one (twice: harmless) frees a slot.
	s1.Close()
	s1.Close()
	if n := ln.Open(one); n != 1 {
		t.Fatalf("after close: open = %d, want 1", n)
	}
	dialFrom(t, "127.0.0.1", addr)
	select {
	case <-accepted:
	case <-time.After(3 * time.Second):
		t.Fatal("a freed slot was not given to the next connection")
	}
	s2.Close()
}
