// Package redisstore is Floorfeed's Redis backend of store.Store: reports as
// JSON strings with lexicographic sorted-set indexes, each job queue as a
// Redis Stream read through one consumer group, API tokens and the
// installation secret. Any number of Floorfeed instances may share one Redis
// (single server, Sentinel-managed or Cluster).
//
// Every step that must be atomic is one Lua script (scripts.go) or one
// MULTI/EXEC; every key carries the installation's prefix and hash tag
// (keys.go), so the scripts also work on Redis Cluster. Redis 7.0 or later
// is required.
//
// Queue semantics: each queue (store.Queues) is its own stream; a delivered
// stream entry gets a lease deadline in a sorted set; Claim reclaims entries
// whose deadline passed (XCLAIM, counting the delivery) before it reads new
// ones, so a claimer with a short lease never
// steals a job leased for longer. Fail moves the entry to a retry set with
// its retry time; after store.MaxAttempts deliveries a failed or expired
// entry moves to the dead letters (by job id, across queues), in the same
// script that removes it from the stream. Job ids are remembered while
// live, dead and for store.AckedRetention after Ack, which makes Enqueue
// idempotent by id.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/store"
)

// DefaultPrefix is the key prefix when Options.Prefix is empty.
const DefaultPrefix = "ff"

// idemTTL is how long an idempotency key is kept: a bit longer than the
// retention the domain promises.
const idemTTL = 35 * 24 * time.Hour

// Compile-time check that idemTTL >= store.IdempotencyRetention (a negative
// constant does not convert to uint64).
const _ = uint64(idemTTL - store.IdempotencyRetention)

// Options configure a Store.
type Options struct {
	// Prefix is the key prefix, default "ff". All keys of one installation
	// share one Redis Cluster hash slot ("ff:{ff}:…"), so several
	// installations can share a server by using different prefixes.
	Prefix string
	// Log receives warnings (dead-lettered jobs, ignored stale Fail or
	// Release calls, a recreated consumer group); may be nil.
	Log *slog.Logger
}

// Store is a store.Store on Redis. It is safe for concurrent use.
type Store struct {
	c      redis.UniversalClient
	k      keyspace
	log    *slog.Logger
	owned  bool // Close closes c (Open made it)
	submit *submitBatcher

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open connects to the Redis at url (see ParseURL for the accepted forms)
// and returns a Store that owns the client: Close closes it.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	o, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	c := redis.NewUniversalClient(o)
	s, err := New(ctx, c, opts)
	if err != nil {
		_ = c.Close() // the connection error is the one worth reporting
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New returns a Store on an existing client: it pings the server, loads the
// Lua scripts, creates each queue's stream and consumer group if needed and
// brings the data to store.SchemaVersion (migrate.go), refusing data of a
// newer version with an error wrapping store.ErrSchemaTooNew. The
// caller keeps ownership of c: Close does not close it.
func New(ctx context.Context, c redis.UniversalClient, opts Options) (*Store, error) {
	k, err := newKeyspace(opts.Prefix)
	if err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{c: c, k: k, log: log}
	if err := c.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis store: ping: %w", wrapErr(err))
	}
	for _, sc := range allScripts {
		if err := sc.Load(ctx, c).Err(); err != nil {
			return nil, fmt.Errorf("redis store: load scripts: %w", wrapErr(err))
		}
	}
	// Refuse a newer installation before writing anything to it.
	if err := s.checkSchema(ctx); err != nil {
		return nil, fmt.Errorf("redis store %s: %w", s.k.base, err)
	}
	for _, q := range store.Queues {
		if err := s.ensureGroup(ctx, q); err != nil {
			return nil, fmt.Errorf("redis store: %w", err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		return nil, fmt.Errorf("redis store %s: %w", s.k.base, err)
	}
	if n, err := s.pruneConsumers(ctx, consumerIdle); err != nil {
		// Only housekeeping: the store works all the same.
		log.Warn("redis store: could not remove idle consumers", "err", err)
	} else if n > 0 {
		log.Info("redis store: removed idle consumers with nothing pending", "count", n, "idle_over", consumerIdle)
	}
	s.submit = newSubmitBatcher(c)
	return s, nil
}

// Client returns the underlying go-redis client (for health checks and
// tests; do not write floorfeed keys with it).
func (s *Store) Client() redis.UniversalClient { return s.c }

// Ping reports whether Redis answers; an error wraps store.ErrUnavailable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis store: ping: %w", wrapErr(err))
	}
	return nil
}

// Close closes the client if Open made it; calling it again is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.submit.close()
		if s.owned {
			s.closeErr = s.c.Close()
		}
	})
	return s.closeErr
}

// EnsureSecret stores candidate as the installation secret unless one is
// stored already, and returns the stored one, so every instance that shares
// this Redis signs with the same secret.
func (s *Store) EnsureSecret(ctx context.Context, candidate []byte) ([]byte, error) {
	if len(candidate) == 0 {
		return nil, errors.New("ensure secret: empty candidate")
	}
	key := s.k.secret()
	if err := s.c.SetNX(ctx, key, candidate, 0).Err(); err != nil {
		return nil, fmt.Errorf("ensure secret: %w", wrapErr(err))
	}
	b, err := s.c.Get(ctx, key).Bytes()
	if err != nil {
		return nil, fmt.Errorf("ensure secret: %w", wrapErr(err))
	}
	return b, nil
}

// Secret returns the stored installation secret without proposing one:
// store.ErrNotFound if no instance has stored one yet (nothing was ever set
// up under this prefix), for commands that must not create an installation.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	b, err := s.c.Get(ctx, s.k.secret()).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("secret: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("secret: %w", wrapErr(err))
	}
	return b, nil
}

// wrapErr marks connection-level failures with store.ErrUnavailable, so the
// HTTP layer answers 503 and the client retries later. Other errors pass
// through unchanged.
func wrapErr(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) || !unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

// unavailable reports whether err means the server could not be reached or
// cannot serve right now (as opposed to a bad command or missing data).
func unavailable(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, redis.ErrClosed),
		errors.Is(err, errStoreClosed),
		errors.Is(err, redis.ErrPoolTimeout),
		errors.Is(err, redis.ErrPoolExhausted),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded), // the server did not answer in time
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.As(err, &ne):
		return true
	case redis.IsLoadingError(err), redis.IsReadOnlyError(err), redis.IsClusterDownError(err),
		redis.IsTryAgainError(err), redis.IsMasterDownError(err), redis.IsMaxClientsError(err):
		return true
	}
	return strings.Contains(err.Error(), "all sentinels specified in configuration are unreachable")
}
