package handlers_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/handlers"
)

// TestTricklingBodyIsCutOff: a client that sends its body one byte at a
// time, slower than handlers.MinBodyRate, is answered and disconnected once
// its body deadline passes (here with a short grace), not after the
// server's whole read timeout; a client sending at a normal speed is not.
func TestTricklingBodyIsCutOff(t *testing.T) {
	e := newEnv(t, envOptions{config: handlers.Config{BodyGrace: 300 * time.Millisecond}})
	ts := httptest.NewUnstartedServer(e.srv)
	ts.Config.ReadTimeout = time.Minute // what serve uses as the overall bound
	ts.Start()
	t.Cleanup(ts.Close)

	body := e.validReport(nil)
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	start := time.Now()
	cut := make(chan time.Duration, 1)
	go func() {
		// Whatever the server answers, the connection must end.
		br := bufio.NewReader(c)
		for {
			if _, err := br.ReadByte(); err != nil {
				cut <- time.Since(start)
				return
			}
		}
	}()
	sent := 0
	for i := 0; i < min(len(body), 25); i++ { // 5 s of trickling at most
		select {
		case d := <-cut:
			limit := handlers.BodyGrace // the configured grace is far below it
			if d > limit {
				t.Fatalf("trickling client cut after %s, want well under %s", d, limit)
			}
			if sent == len(body) {
				t.Fatal("the whole body arrived")
			}
			// And the server goes on serving others.
			e.mustSubmit(map[string]any{"title": "after the cut"})
			return
		case <-time.After(200 * time.Millisecond):
		}
		if _, err := c.Write([]byte{body[i]}); err != nil {
			break // the server closed: the reader sees it next
		}
		sent++
	}
	select {
	case d := <-cut:
		if d > 5*time.Second {
			t.Fatalf("cut after %s", d)
		}
	case <-time.After(time.Second):
		t.Fatalf("a client trickling a %d-byte body at 5 bytes/s was not cut off in 6 s", len(body))
	}

	// A normal client with the same small grace gets its 201.
	res, err := http.Post(ts.URL+"/api/v1/reports", "application/json", strings.NewReader(e.validReport(map[string]any{"title": "fast one"})))
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("normal submission: %v, %v", res, err)
	}
	res.Body.Close()
}
