// Package testutil holds helpers shared by tests: a private redis-server per
// test (or package) on a unix socket in a temp dir, so tests never touch
// anyone's data and can run in parallel.
package testutil

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RedisServer is a private redis-server listening on a unix socket.
type RedisServer struct {
	// Socket is the unix socket path.
	Socket string
	// URL is a floorfeed/go-redis URL for it: unix:///path/redis.sock.
	URL string
	cmd *exec.Cmd
	dir string
}

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// RedisBinary returns the redis-server path, or skips the test (fails in CI).
func RedisBinary(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if InCI() {
			tb.Fatalf("redis-server not found on PATH and CI=true: install it (apt-get install redis-server)")
		}
		tb.Skipf("redis-server not found on PATH: skipping Redis test (install redis-server to run it)")
	}
	return bin
}

// StartRedis starts a private redis-server for tb and stops it at cleanup.
// With appendonly it keeps an AOF (fsync everysec) in its temp dir, so a
// restart test can stop and start it again with Restart.
func StartRedis(tb testing.TB) *RedisServer {
	tb.Helper()
	bin := RedisBinary(tb)
	// Unix socket paths are limited to ~104 bytes; t.TempDir() can be long.
	dir, err := os.MkdirTemp("", "ffredis")
	if err != nil {
		tb.Fatalf("make redis temp dir: %v", err)
	}
	s := &RedisServer{dir: dir, Socket: filepath.Join(dir, "redis.sock")}
	s.URL = "unix://" + s.Socket
	if err := s.start(bin); err != nil {
		os.RemoveAll(dir)
		tb.Fatalf("start redis-server: %v", err)
	}
	tb.Cleanup(func() {
		s.stop()
		os.RemoveAll(dir)
	})
	return s
}

func (s *RedisServer) start(bin string) error {
	s.cmd = exec.Command(bin,
		"--port", "0",
		"--unixsocket", s.Socket,
		"--unixsocketperm", "700",
		"--dir", s.dir,
		"--save", "",
		"--appendonly", "yes",
		"--appendfsync", "everysec",
		"--daemonize", "no",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	)
	if err := s.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if pingSocket(s.Socket) == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.stop()
	log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return fmt.Errorf("redis-server did not answer on %s within 10s; log:\n%s", s.Socket, log)
}

func (s *RedisServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt) // SIGINT: redis writes its AOF and exits
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// Stop stops the server cleanly (an outage); Start brings it back.
func (s *RedisServer) Stop() { s.stop() }

// Start starts a stopped server again on the same socket and data.
func (s *RedisServer) Start(tb testing.TB) {
	tb.Helper()
	if err := s.start(RedisBinary(tb)); err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
}

// Restart stops the server cleanly and starts it again on the same socket
// and data, as an operator's restart would.
func (s *RedisServer) Restart(tb testing.TB) {
	tb.Helper()
	s.stop()
	if err := s.start(RedisBinary(tb)); err != nil {
		tb.Fatalf("restart redis-server: %v", err)
	}
}

func pingSocket(path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}
