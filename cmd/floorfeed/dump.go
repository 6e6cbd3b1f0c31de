package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/floorfeed/floorfeed/export"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
	"github.com/floorfeed/floorfeed/store/redisstore"
)

// Whole-installation copies: backup/restore of the embedded store's file,
// and export/import of everything across backends (package export).

// storeDumper serves the admin API's /backup and /export over the open
// backend (the raw store, before any wrapper) and its secret.
type storeDumper struct {
	raw    store.Store
	secret []byte
	source string
}

func (d storeDumper) Backup(ctx context.Context, w io.Writer) error {
	bs, ok := d.raw.(*boltstore.Store)
	if !ok {
		return errors.New("backup copies the embedded store's file; with Redis, use its own persistence (AOF, RDB snapshots) or floorfeed export")
	}
	_, err := bs.Backup(ctx, w)
	return err
}

func (d storeDumper) Export(ctx context.Context, w io.Writer) error {
	src, ok := d.raw.(export.Source)
	if !ok {
		return fmt.Errorf("export: %T cannot be exported", d.raw)
	}
	_, err := export.Write(ctx, w, src, d.secret, d.source)
	return err
}

func setupBackup(fs *flag.FlagSet) action {
	out := fs.String("o", "", "write the copy to this file (required)")
	return func(ctx context.Context, x *invocation) error {
		if *out == "" {
			return &usageError{msg: "backup: -o FILE is required", path: "backup"}
		}
		if x.cfg.RedisURL != "" {
			return errors.New("backup copies the embedded store's file; with Redis (FLOORFEED_REDIS_URL), back up Redis itself (its AOF/RDB files), or use floorfeed export for a copy that imports into either backend")
		}
		n, err := streamToFile(ctx, x, *out, "/api/v1/admin/backup", func(ctx context.Context, w io.Writer) error {
			bs, err := boltstore.Open(filepath.Join(x.cfg.DataDir, dbFileName), boltstore.Options{ReadOnly: true, Timeout: 300 * time.Millisecond})
			if err != nil {
				return err
			}
			defer bs.Close()
			_, err = bs.Backup(ctx, w)
			return err
		})
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		fmt.Fprintf(x.stderr, "backup of %s written to %s (%d bytes); restore it with: floorfeed restore %s (server stopped)\n", x.cfg.DataDir, *out, n, *out)
		return nil
	}
}

func setupExport(fs *flag.FlagSet) action {
	out := fs.String("o", "", "write the export to this file (required; it holds the installation secret: keep it private)")
	return func(ctx context.Context, x *invocation) error {
		if *out == "" {
			return &usageError{msg: "export: -o FILE is required", path: "export"}
		}
		n, err := streamToFile(ctx, x, *out, "/api/v1/admin/export", func(ctx context.Context, w io.Writer) error {
			log := x.cfg.newLogger(x.stderr, 0)
			be, err := openBackend(ctx, x.cfg, log, openOptions{lockWait: 300 * time.Millisecond, mustExist: true, readOnly: true})
			if err != nil {
				return err
			}
			defer be.Close()
			return storeDumper{raw: be.Store, secret: be.Secret, source: backendName(be)}.Export(ctx, w)
		})
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		fmt.Fprintf(x.stderr, "export written to %s (%d bytes; it holds the installation secret: keep it private)\n", *out, n)
		return nil
	}
}

// streamToFile writes a copy to path (via a temp file, fsynced, renamed):
// from the running server's admin socket when it answers there (embedded
// store), else by calling direct.
func streamToFile(ctx context.Context, x *invocation, path, apiPath string, direct func(context.Context, io.Writer) error) (int64, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".floorfeed-copy-*")
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return 0, err
	}
	cw := &countingWriter{w: f}
	var werr error
	sock := filepath.Join(x.cfg.DataDir, adminSockName)
	up := false
	if x.cfg.RedisURL == "" {
		if up, err = serverAnswers(ctx, sock); err != nil {
			f.Close()
			return 0, err
		}
	}
	if up {
		werr = streamFromServer(ctx, sock, apiPath, cw)
	} else {
		werr = direct(ctx, cw)
	}
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	return cw.n, nil
}

func streamFromServer(ctx context.Context, sock, apiPath string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://floorfeed"+apiPath, nil)
	if err != nil {
		return err
	}
	res, err := socketClient(sock).Do(req)
	if err != nil {
		return fmt.Errorf("through the running server's admin socket %s: %w", sock, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return fmt.Errorf("the running server answered %d: %s", res.StatusCode, bytes.TrimSpace(b))
	}
	_, err = io.Copy(w, res.Body)
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

func backendName(be *backend) string {
	if be.Embedded {
		return "bolt"
	}
	return "redis"
}

func setupRestore(*flag.FlagSet) action {
	return func(ctx context.Context, x *invocation) error {
		if x.cfg.RedisURL != "" {
			return errors.New("restore puts back a copy of the embedded store's file; for Redis use floorfeed import")
		}
		from := x.args[0]
		dbPath := filepath.Join(x.cfg.DataDir, dbFileName)
		if up, _ := serverAnswers(ctx, filepath.Join(x.cfg.DataDir, adminSockName)); up {
			return errors.New("restore: a server is running on this data dir: stop it first")
		}
		if err := os.MkdirAll(x.cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		// Copy the backup next to the database, then open it read-write:
		// that checks it is a Floorfeed store and migrates an older one.
		tmp := filepath.Join(x.cfg.DataDir, ".restore-"+dbFileName)
		if err := copyFile(from, tmp); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		defer os.Remove(tmp)
		bs, err := boltstore.Open(tmp, boltstore.Options{Timeout: time.Second})
		if err != nil {
			return fmt.Errorf("restore: %s is not a usable Floorfeed backup: %w", from, err)
		}
		page, err := bs.FindReports(ctx, store.Filter{Limit: 1})
		cerr := bs.Close()
		if err := errors.Join(err, cerr); err != nil {
			return fmt.Errorf("restore: read %s: %w", from, err)
		}
		// The current database must not be in use (its lock is free).
		if _, err := os.Stat(dbPath); err == nil {
			cur, err := boltstore.Open(dbPath, boltstore.Options{ReadOnly: true, Timeout: 300 * time.Millisecond})
			if errors.Is(err, boltstore.ErrLocked) {
				return errors.New("restore: the database is in use by a running floorfeed: stop it first")
			}
			if err == nil {
				cur.Close()
			}
			keep := dbPath + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
			if err := os.Rename(dbPath, keep); err != nil {
				return fmt.Errorf("restore: keep the current database: %w", err)
			}
			fmt.Fprintf(x.stderr, "the current database is kept as %s\n", keep)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore: %w", err)
		}
		if err := os.Rename(tmp, dbPath); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if err := syncDir(x.cfg.DataDir); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		newest := "no reports"
		if len(page.Reports) > 0 {
			newest = "newest report " + page.Reports[0].CreatedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(x.stderr, "restored %s into %s (%s); the secret file in the data dir is unchanged\n", from, dbPath, newest)
		return nil
	}
}

func setupImport(*flag.FlagSet) action {
	return func(ctx context.Context, x *invocation) error {
		f, err := os.Open(x.args[0])
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		log := x.cfg.newLogger(x.stderr, 0)
		var (
			dst        export.Target
			closeStore func() error
			saveSecret func([]byte) error
		)
		if x.cfg.RedisURL != "" {
			rs, err := redisstore.Open(ctx, x.cfg.RedisURL, redisstore.Options{Prefix: x.cfg.RedisPrefix, Log: log})
			if err != nil {
				return fmt.Errorf("import: open Redis: %w", err)
			}
			dst, closeStore = rs, rs.Close
			saveSecret = func(secret []byte) error {
				got, err := rs.EnsureSecret(ctx, secret)
				if err != nil {
					return err
				}
				if !bytes.Equal(got, secret) {
					return errors.New("this Redis prefix already has another installation secret: import into an unused --redis-prefix")
				}
				return nil
			}
		} else {
			if up, _ := serverAnswers(ctx, filepath.Join(x.cfg.DataDir, adminSockName)); up {
				return errors.New("import: a server is running on this data dir: import into a new, stopped data dir")
			}
			secretPath := filepath.Join(x.cfg.DataDir, secretFileName)
			if _, err := os.Stat(secretPath); err == nil {
				return fmt.Errorf("import: %s already has a secret file: import into a new data dir", x.cfg.DataDir)
			}
			if err := os.MkdirAll(x.cfg.DataDir, 0o700); err != nil {
				return fmt.Errorf("import: %w", err)
			}
			bs, err := boltstore.Open(filepath.Join(x.cfg.DataDir, dbFileName), boltstore.Options{Timeout: time.Second, Log: log})
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			dst, closeStore = bs, bs.Close
			saveSecret = func(secret []byte) error { return writeSecretFile(x.cfg.DataDir, secretPath, secret) }
		}
		defer closeStore()
		secret, counts, err := export.Read(ctx, f, dst)
		if err != nil {
			return err
		}
		if len(secret) > 0 {
			if err := saveSecret(secret); err != nil {
				return fmt.Errorf("import: store the installation secret: %w", err)
			}
		}
		fmt.Fprintf(x.stderr, "imported %d reports, %d jobs, %d dead letters, %d tokens, %d records, %d idempotency keys; the secret came along, so printed QR codes keep working\n",
			counts[export.KindReport], counts[export.KindJob], counts[export.KindDeadJob], counts[export.KindToken], counts[export.KindRecord], counts[export.KindIdempotency])
		return nil
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, werr := io.Copy(out, in)
	serr := out.Sync()
	cerr := out.Close()
	return errors.Join(werr, serr, cerr)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
