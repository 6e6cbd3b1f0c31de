package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// listenPrivateUnix listens on a unix socket at path that only this user can
// connect to (mode 0600) from the moment it appears there: the socket is
// made in a fresh 0700 directory, narrowed to 0600, then renamed into
// place, so that no umask opens a window in which others could connect.
func listenPrivateUnix(path string) (net.Listener, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".sock-")
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	// The file moves away from where it was bound; closeAll removes it.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	return ln, nil
}

// serverAnswers reports whether a server listens on the admin socket at
// path. No socket file, or one left by a server that died (connection
// refused), means no server.
func serverAnswers(ctx context.Context, path string) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return false, fmt.Errorf("admin socket %s: %w (run as the user that runs floorfeed serve)", path, err)
		}
		return false, nil
	}
	c.Close()
	return true, nil
}
