package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
	"github.com/floorfeed/floorfeed/store/redisstore"
)

// backend is the chosen store with the installation's signer.
type backend struct {
	store.Store
	Signer   *signing.Signer
	Embedded bool
	// Describe says which backend runs, for the start-up log.
	Describe string
}

const (
	dbFileName     = "floorfeed.db"
	secretFileName = "secret"
	adminSockName  = "floorfeed.sock"
)

// openBackend opens Redis when a URL is configured, else the embedded bbolt
// file under the data dir. lockWait is how long to wait for the bbolt file
// lock (admin commands use a short wait and fall back to the admin socket).
func openBackend(ctx context.Context, cfg *Config, log *slog.Logger, lockWait time.Duration) (*backend, error) {
	if cfg.RedisURL != "" {
		rs, err := redisstore.Open(ctx, cfg.RedisURL, redisstore.Options{Prefix: cfg.RedisPrefix, Log: log})
		if err != nil {
			return nil, fmt.Errorf("open Redis store (FLOORFEED_REDIS_URL): %w", err)
		}
		secret := cfg.Secret
		if len(secret) == 0 {
			// Every instance proposes a fresh secret; the first one wins and
			// all of them use it.
			if secret, err = rs.EnsureSecret(ctx, newSecret()); err != nil {
				rs.Close()
				return nil, fmt.Errorf("installation secret in Redis: %w", err)
			}
		}
		signer, err := signing.New(secret)
		if err != nil {
			rs.Close()
			return nil, fmt.Errorf("installation secret: %w", err)
		}
		return &backend{Store: rs, Signer: signer, Describe: "redis " + redactURL(cfg.RedisURL)}, nil
	}

	signer, err := embeddedSigner(cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.DataDir, dbFileName)
	bs, err := boltstore.Open(path, boltstore.Options{Timeout: lockWait, Log: log})
	if err != nil {
		return nil, fmt.Errorf("open embedded store: %w", err)
	}
	return &backend{Store: bs, Signer: signer, Embedded: true, Describe: "embedded " + path}, nil
}

// embeddedSigner uses FLOORFEED_SECRET, or the secret kept in the data dir,
// creating it (0600) on first use.
func embeddedSigner(cfg *Config) (*signing.Signer, error) {
	secret := cfg.Secret
	if len(secret) == 0 {
		var err error
		if secret, err = loadOrCreateSecretFile(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	s, err := signing.New(secret)
	if err != nil {
		return nil, fmt.Errorf("installation secret: %w", err)
	}
	return s, nil
}

func loadOrCreateSecretFile(dataDir string) ([]byte, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir (--data-dir %s): %w", dataDir, err)
	}
	path := filepath.Join(dataDir, secretFileName)
	for range 2 {
		b, err := os.ReadFile(path)
		if err == nil {
			s := strings.TrimSpace(string(b))
			if len(s) < signing.MinSecretLen {
				return nil, fmt.Errorf("secret file %s is shorter than %d bytes: remove it to make a new one (old QR codes stop working) or fix it", path, signing.MinSecretLen)
			}
			return []byte(s), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read secret file: %w", err)
		}
		// O_EXCL: two processes starting at once agree on one secret.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create secret file: %w", err)
		}
		secret := newSecret()
		_, werr := f.Write(append(secret, '\n'))
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			os.Remove(path)
			return nil, fmt.Errorf("write secret file: %w", err)
		}
		return secret, nil
	}
	return nil, fmt.Errorf("secret file %s: created and removed concurrently", path)
}

// newSecret returns 32 random bytes, hex-encoded (printable, for env files).
func newSecret() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return []byte(hex.EncodeToString(b))
}

// redactURL hides the password of a Redis URL for logs.
func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	return u[:scheme+3] + "***" + u[at:]
}
