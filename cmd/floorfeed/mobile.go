package main

import (
	"log/slog"
	"math"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/photo"
)

// photosDirName is the embedded store's photo directory under the data dir.
const photosDirName = "photos"

// photoStore is where be keeps photos: files in the data dir for the
// embedded store, records in Redis for Redis (every instance serves every
// photo).
func photoStore(cfg *Config, be *backend) photo.Store {
	if be.Redis != nil {
		return photo.NewRecordStore(be.Redis)
	}
	return photo.NewFileStore(filepath.Join(cfg.DataDir, photosDirName))
}

// submitLimiter is the shared submission limiter with Redis (nil: the
// handlers' in-memory one, right for the single embedded instance).
func submitLimiter(cfg *Config, be *backend) handlers.SubmitLimiter {
	if be.Redis == nil || cfg.SubmitRate <= 0 {
		return nil
	}
	return be.Redis.NewRateLimiter("submit", cfg.SubmitRate, cfg.SubmitBurst)
}

// photoSweeper deletes photos whose submission never got stored.
func photoSweeper(cfg *Config, be *backend, log *slog.Logger) *photo.Sweeper {
	return &photo.Sweeper{Photos: photoStore(cfg, be), Reports: be, Now: time.Now, Log: log.With("component", "photo-sweeper")}
}

// defaultMemoryLimit is the Go heap's soft limit when GOMEMLIMIT is not
// set: with the upload budget (handlers.DefaultUploadMemory) and the photo
// job's decode budget (photo.DecodeBudget) bounding what is live, it keeps
// the garbage collector from letting the heap grow to twice that while
// decompression bombs and 10 MB uploads arrive (peak RSS under 400 MB,
// BenchmarkPeakMemory).
const defaultMemoryLimit = 360 << 20

// setMemoryLimit applies defaultMemoryLimit unless GOMEMLIMIT set one.
func setMemoryLimit() {
	if debug.SetMemoryLimit(-1) == math.MaxInt64 {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
