package photo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// FileStore keeps photos as files under a directory (the embedded store's
// data directory): <dir>/<report id>/<photo id>.<variant>. Every Put is
// written to a temporary file, fsynced, renamed into place, and the
// directory fsynced, so a returned Put survives a crash and a crash never
// leaves a half-written photo under its name.
type FileStore struct {
	dir string
}

var _ Store = (*FileStore)(nil)

// NewFileStore returns a store under dir, which the first Put creates
// (0700): opening writes nothing, so read-only commands may open it too.
func NewFileStore(dir string) *FileStore { return &FileStore{dir: dir} }

func (s *FileStore) path(reportID, photoID string, v Variant) string {
	return filepath.Join(s.dir, reportID, photoID+"."+string(v))
}

// Put writes the photo durably (see FileStore).
func (s *FileStore) Put(ctx context.Context, reportID, photoID string, v Variant, b []byte) error {
	if err := checkKey(reportID, photoID, v); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rdir := filepath.Join(s.dir, reportID)
	created := false
	if _, err := os.Stat(rdir); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(s.dir); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(s.dir, 0o700); err != nil {
				return fmt.Errorf("photo store: %w", err)
			}
			if err := syncDir(filepath.Dir(s.dir)); err != nil {
				return err
			}
		}
		if err := os.Mkdir(rdir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("photo store: %w", err)
		}
		created = true
	}
	f, err := os.CreateTemp(rdir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("photo store: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp) // best effort: a leftover .tmp- file is swept with its report
		}
	}()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("photo store: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("photo store: fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("photo store: close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, s.path(reportID, photoID, v)); err != nil {
		return fmt.Errorf("photo store: %w", err)
	}
	ok = true
	if err := syncDir(rdir); err != nil {
		return err
	}
	if created {
		return syncDir(s.dir)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("photo store: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("photo store: fsync %s: %w", dir, err)
	}
	return nil
}

// Get reads a photo; store.ErrNotFound if it is not there.
func (s *FileStore) Get(ctx context.Context, reportID, photoID string, v Variant) ([]byte, error) {
	if err := checkKey(reportID, photoID, v); err != nil {
		return nil, fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	b, err := os.ReadFile(s.path(reportID, photoID, v))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("photo %s/%s %s: %w", reportID, photoID, v, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("photo store: %w", err)
	}
	return b, nil
}

// Delete removes a photo's variant, and the report's directory once empty.
func (s *FileStore) Delete(ctx context.Context, reportID, photoID string, v Variant) error {
	if err := checkKey(reportID, photoID, v); err != nil {
		return err
	}
	if err := os.Remove(s.path(reportID, photoID, v)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("photo store: %w", err)
	}
	return nil
}

// Candidates lists the report directories whose UUID v7 names fall in
// [from, to). Confirmed ones are listed too (FileStore keeps no mark:
// checking a report that exists is cheap, and the window moves on).
func (s *FileStore) Candidates(ctx context.Context, from, to time.Time) ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // no photo yet
	}
	if err != nil {
		return nil, fmt.Errorf("photo store: %w", err)
	}
	lo, hi := store.IDFloor(from), store.IDFloor(to)
	var out []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() && !strings.HasPrefix(n, ".") && n >= lo && n < hi && checkName("report id", n) == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// Confirm is a no-op for files (see Candidates).
func (s *FileStore) Confirm(context.Context, string) error { return nil }

// DeleteReport removes the report's directory.
func (s *FileStore) DeleteReport(ctx context.Context, reportID string) error {
	if err := checkName("report id", reportID); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(s.dir, reportID)); err != nil {
		return fmt.Errorf("photo store: %w", err)
	}
	return nil
}
