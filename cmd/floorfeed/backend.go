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
	// Secret is the installation secret the signer was made from.
	Secret []byte
	// Durability says what an acknowledged report survives: bolt's
	// "fsync-every-commit", or what the Redis server's persistence settings
	// give (redisstore.Durability*). Read once at open.
	Durability string
}

// durabilityBolt is the embedded store's durability: every commit fsynced.
const durabilityBolt = "fsync-every-commit"

const (
	dbFileName     = "floorfeed.db"
	secretFileName = "secret"
	adminSockName  = "floorfeed.sock"
)

// openOptions say how a command opens the store.
type openOptions struct {
	// lockWait is how long to wait for the embedded file's lock (admin
	// commands wait briefly: a server holding it answers on its socket).
	lockWait time.Duration
	// mustExist: the command only reads (or revokes): it must find an
	// installation, and creates nothing — no database file, no secret.
	mustExist bool
	// readOnly opens the embedded file read-only: nothing is written, not
	// even a schema migration (an old file is refused with a message).
	readOnly bool
}

// storeAccess is what an admin command may do to the installation.
type storeAccess uint8

const (
	accessCreate   storeAccess = iota // may create the installation (token create, demo)
	accessExisting                    // changes an existing one, creates none (token revoke, jobs retry)
	accessReadOnly                    // only reads (lines, token list, jobs dead)
)

// errNoStore says that a read-only command found no installation.
var errNoStore = errors.New("no Floorfeed store")

// openBackend opens Redis when a URL is configured, else the embedded bbolt
// file under the data dir.
func openBackend(ctx context.Context, cfg *Config, log *slog.Logger, o openOptions) (*backend, error) {
	if cfg.RedisURL != "" {
		rs, err := redisstore.Open(ctx, cfg.RedisURL, redisstore.Options{Prefix: cfg.RedisPrefix, Log: log})
		if err != nil {
			return nil, fmt.Errorf("open Redis store (FLOORFEED_REDIS_URL): %w", err)
		}
		secret := cfg.Secret
		switch {
		case len(secret) > 0:
		case o.mustExist:
			if secret, err = rs.Secret(ctx); errors.Is(err, store.ErrNotFound) {
				rs.Close()
				return nil, fmt.Errorf("%w in Redis %s under prefix %q (no installation secret stored there); start `floorfeed serve` with this FLOORFEED_REDIS_URL first, or check --redis-prefix",
					errNoStore, redisstore.RedactURL(cfg.RedisURL), cfg.RedisPrefix)
			}
		default:
			// Every instance proposes a fresh secret; the first one wins and
			// all of them use it.
			secret, err = rs.EnsureSecret(ctx, newSecret())
		}
		if err != nil {
			rs.Close()
			return nil, fmt.Errorf("installation secret in Redis: %w", err)
		}
		signer, err := signing.New(secret)
		if err != nil {
			rs.Close()
			return nil, fmt.Errorf("installation secret: %w", err)
		}
		durability, derr := rs.Durability(ctx)
		if w := redisstore.DurabilityWarning(durability); w != "" {
			log.Warn("redis persistence: acknowledged reports can be lost", "durability", durability, "advice", w, "err", derr)
		}
		return &backend{Store: rs, Signer: signer, Secret: secret, Describe: describeStore(cfg), Durability: durability}, nil
	}

	path := filepath.Join(cfg.DataDir, dbFileName)
	if o.mustExist {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w in %s (no %s there); run `floorfeed serve` or `floorfeed demo` first, or point --data-dir / FLOORFEED_DATA_DIR at the installation's data dir",
				errNoStore, cfg.DataDir, dbFileName)
		}
	}
	signer, secret, err := embeddedSigner(cfg, !o.mustExist)
	if err != nil {
		return nil, err
	}
	bs, err := boltstore.Open(path, boltstore.Options{Timeout: o.lockWait, Log: log, ReadOnly: o.readOnly})
	if err != nil {
		return nil, fmt.Errorf("open embedded store: %w", err)
	}
	return &backend{Store: bs, Signer: signer, Secret: secret, Embedded: true, Describe: describeStore(cfg), Durability: durabilityBolt}, nil
}

// describeStore says which store cfg selects, for logs and messages: never
// with a password (redisstore.RedactURL).
func describeStore(cfg *Config) string {
	if cfg.RedisURL != "" {
		return "redis " + redisstore.RedactURL(cfg.RedisURL)
	}
	return "embedded " + filepath.Join(cfg.DataDir, dbFileName)
}

// embeddedSigner uses FLOORFEED_SECRET, or the secret kept in the data dir,
// creating it (0600) on first use when create is set.
func embeddedSigner(cfg *Config, create bool) (*signing.Signer, []byte, error) {
	secret := cfg.Secret
	if len(secret) == 0 {
		var err error
		if secret, err = loadOrCreateSecretFile(cfg.DataDir, create); err != nil {
			return nil, nil, err
		}
	}
	s, err := signing.New(secret)
	if err != nil {
		return nil, nil, fmt.Errorf("installation secret: %w", err)
	}
	return s, secret, nil
}

func loadOrCreateSecretFile(dataDir string, create bool) ([]byte, error) {
	if !create {
		b, err := os.ReadFile(filepath.Join(dataDir, secretFileName))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s has a database but no %s file, and FLOORFEED_SECRET is not set: set the secret the server runs with",
				dataDir, secretFileName)
		}
		if err != nil {
			return nil, fmt.Errorf("read secret file: %w", err)
		}
		if s := strings.TrimSpace(string(b)); len(s) >= signing.MinSecretLen {
			return []byte(s), nil
		}
		return nil, fmt.Errorf("secret file %s is shorter than %d bytes", filepath.Join(dataDir, secretFileName), signing.MinSecretLen)
	}
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
		// Written in full to a temporary file, then linked into place: the
		// link fails if another process got there first (both then use its
		// secret), and nobody ever reads a half-written file.
		secret := newSecret()
		switch err := writeSecretFile(dataDir, path, secret); {
		case errors.Is(err, fs.ErrExist):
			continue
		case err != nil:
			return nil, err
		}
		return secret, nil
	}
	return nil, fmt.Errorf("secret file %s: created and removed concurrently", path)
}

// writeSecretFile writes secret to a temporary file in dir, fsyncs it and
// hard-links it to path (fs.ErrExist if path exists), then fsyncs dir so the
// name survives a crash.
func writeSecretFile(dir, path string, secret []byte) error {
	f, err := os.CreateTemp(dir, ".secret-*")
	if err != nil {
		return fmt.Errorf("create secret file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, werr := f.Write(append(secret, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("write secret file: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("create secret file: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync data dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync data dir: %w", err)
	}
	return nil
}

// newSecret returns 32 random bytes, hex-encoded (printable, for env files).
func newSecret() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return []byte(hex.EncodeToString(b))
}
