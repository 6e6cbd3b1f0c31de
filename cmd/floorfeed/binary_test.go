package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinary runs the real program as a process: exit statuses as a shell
// sees them, and a clean stop on SIGINT (Ctrl-C) and SIGTERM (docker stop).
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "floorfeed")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exitStatus := func(t *testing.T, args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, string(out)
		case errors.As(err, &ee):
			return ee.ExitCode(), string(out)
		}
		t.Fatalf("run %v: %v", args, err)
		return -1, ""
	}
	t.Run("exit statuses", func(t *testing.T) {
		empty := t.TempDir()
		for _, tc := range []struct {
			args []string
			want int
		}{
			{nil, 0},
			{[]string{"help"}, 0},
			{[]string{"lines", "-h"}, 0},
			{[]string{"version"}, 0},
			{[]string{"tokn"}, 2},
			{[]string{"lines", "extra"}, 2},
			{[]string{"--data-dir", empty}, 2},
			{[]string{"lines", "--data-dir", empty}, 1},
		} {
			if got, out := exitStatus(t, tc.args...); got != tc.want {
				t.Errorf("floorfeed %v: exit %d, want %d\n%s", tc.args, got, tc.want, out)
			}
		}
	})
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run("stops cleanly on "+sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--workers", "1")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var log strings.Builder
			wait := func(what string) {
				t.Helper()
				timeout := time.After(30 * time.Second)
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							t.Fatalf("serve ended before logging %q:\n%s", what, log.String())
						}
						log.WriteString(l + "\n")
						if strings.Contains(l, what) {
							return
						}
					case <-timeout:
						t.Fatalf("serve did not log %q within 30 s:\n%s", what, log.String())
					}
				}
			}
			wait("floorfeed serving")
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			wait("msg=stopped")
			for range lines { // to the end of its output, before Wait
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("serve after %v: %v, want exit status 0\n%s", sig, err, log.String())
			}
			if _, err := os.Stat(filepath.Join(dir, adminSockName)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("admin socket left after %v: %v", sig, err)
			}
		})
	}
}
