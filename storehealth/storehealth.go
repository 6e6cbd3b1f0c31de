// Package storehealth tells whether the store can take writes, so that
// /readyz says the truth: a store that answers reads (Ping) but refuses
// writes (a full disk, a Redis out of memory or read-only replica) is not
// ready, and a load balancer should send phones elsewhere.
//
// Watch wraps a store.Store: every write it passes through is observed. A
// write that fails because the backend is unavailable (store.ErrUnavailable:
// ENOSPC, EIO, a dead connection …) marks the store failing, with the
// error as the reason; the next write that succeeds clears it. While it is
// failing, Ready tries a small probe write of its own (at most once per
// ProbeInterval), so the store comes back even when no traffic reaches it.
package storehealth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// ProbeInterval bounds how often Ready retries a write while failing.
const ProbeInterval = time.Second

// probeCollection holds the probe record Ready writes while failing.
const probeCollection = "ops.health"

// Store is a store.Store whose writes are watched.
type Store struct {
	store.Store
	instance string
	now      func() time.Time
	onFail   func(op string)

	mu        sync.Mutex
	failing   bool
	reason    string
	since     time.Time
	lastProbe time.Time
}

// Options configure Watch.
type Options struct {
	// Instance names the probe record (one per instance; default "probe").
	Instance string
	// OnWriteFailure, if set, is called for every write that failed because
	// the store was unavailable (a metric counts them).
	OnWriteFailure func(op string)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Watch returns s with its writes watched.
func Watch(s store.Store, o Options) *Store {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Instance == "" {
		o.Instance = "probe"
	}
	return &Store{Store: s, instance: o.Instance, now: o.Now, onFail: o.OnWriteFailure}
}

// Unwrap returns the watched store.
func (s *Store) Unwrap() store.Store { return s.Store }

// Status is the write health.
type Status struct {
	Failing bool
	Reason  string    // the last failed write's error
	Since   time.Time // when writes started failing
}

// Status returns the current write health.
func (s *Store) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Status{Failing: s.failing, Reason: s.reason, Since: s.since}
}

// Ready returns nil when the store answers and takes writes. It pings the
// store, and while writes are failing it retries a probe write (at most
// once per ProbeInterval), returning the last write error until one works.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.Store.Ping(ctx); err != nil {
		return fmt.Errorf("store does not answer: %w", err)
	}
	s.mu.Lock()
	failing, reason := s.failing, s.reason
	probe := failing && s.now().Sub(s.lastProbe) >= ProbeInterval
	if probe {
		s.lastProbe = s.now()
	}
	s.mu.Unlock()
	if !failing {
		return nil
	}
	if probe {
		err := s.Store.PutRecord(ctx, probeCollection, s.instance, []byte(strconv.FormatInt(s.now().UnixMilli(), 10)))
		s.observe("probe", err)
		if err == nil {
			return nil
		}
		reason = err.Error()
	}
	return fmt.Errorf("store refuses writes: %s", reason)
}

// observe records the outcome of one write.
func (s *Store) observe(op string, err error) {
	switch {
	case err == nil:
		s.mu.Lock()
		s.failing = false
		s.mu.Unlock()
	case errors.Is(err, store.ErrUnavailable):
		s.mu.Lock()
		if !s.failing {
			s.failing, s.since = true, s.now()
		}
		s.reason = op + ": " + err.Error()
		s.mu.Unlock()
		if s.onFail != nil {
			s.onFail(op)
		}
	}
	// Other errors (not found, validation, a stale delivery) say nothing
	// about the store's health.
}

// The writes, observed.

func (s *Store) Submit(ctx context.Context, sub store.Submission) (store.Report, bool, error) {
	r, created, err := s.Store.Submit(ctx, sub)
	s.observe("submit", err)
	return r, created, err
}

func (s *Store) UpdateReport(ctx context.Context, id string, fn func(*store.Report) error) (store.Report, error) {
	r, err := s.Store.UpdateReport(ctx, id, fn)
	s.observe("update report", err)
	return r, err
}

func (s *Store) Enqueue(ctx context.Context, j store.Job) error {
	err := s.Store.Enqueue(ctx, j)
	s.observe("enqueue", err)
	return err
}

func (s *Store) Claim(ctx context.Context, queue, consumer string, max int, lease time.Duration) ([]store.Job, error) {
	jobs, err := s.Store.Claim(ctx, queue, consumer, max, lease)
	s.observe("claim", err)
	return jobs, err
}

func (s *Store) Ack(ctx context.Context, j store.Job) error {
	err := s.Store.Ack(ctx, j)
	s.observe("ack", err)
	return err
}

func (s *Store) Fail(ctx context.Context, j store.Job, reason string, retryAfter time.Duration) error {
	err := s.Store.Fail(ctx, j, reason, retryAfter)
	s.observe("fail", err)
	return err
}

func (s *Store) Release(ctx context.Context, j store.Job, after time.Duration) error {
	err := s.Store.Release(ctx, j, after)
	s.observe("release", err)
	return err
}

func (s *Store) PutRecord(ctx context.Context, coll, key string, val []byte) error {
	err := s.Store.PutRecord(ctx, coll, key, val)
	s.observe("put record", err)
	return err
}

func (s *Store) CreateRecord(ctx context.Context, coll, key string, val []byte) (bool, error) {
	created, err := s.Store.CreateRecord(ctx, coll, key, val)
	s.observe("create record", err)
	return created, err
}

func (s *Store) UpdateRecord(ctx context.Context, coll, key string, fn func([]byte, bool) ([]byte, error)) ([]byte, error) {
	v, err := s.Store.UpdateRecord(ctx, coll, key, fn)
	s.observe("update record", err)
	return v, err
}

func (s *Store) DeleteRecord(ctx context.Context, coll, key string) error {
	err := s.Store.DeleteRecord(ctx, coll, key)
	s.observe("delete record", err)
	return err
}

func (s *Store) Extend(ctx context.Context, j store.Job, lease time.Duration) (bool, error) {
	ok, err := s.Store.Extend(ctx, j, lease)
	s.observe("extend", err)
	return ok, err
}
