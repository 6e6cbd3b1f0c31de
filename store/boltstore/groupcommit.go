package boltstore

import (
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/floorfeed/floorfeed/store"
)

// maxGroup bounds how many writes one group commit carries, so that one
// transaction's dirty pages (and a re-run after a failing function) stay
// small.
const maxGroup = 256

// errClosed is returned for writes after Close. It is an ErrUnavailable, so
// a request that races a shutdown is answered 503 (the phone retries).
var errClosed = fmt.Errorf("%w: store closed", store.ErrUnavailable)

// groupCommit runs the small writes of many goroutines in shared
// read-write transactions, one fsynced commit for all of them.
//
// Unlike bbolt's DB.Batch, which closes a batch when a timer fires (a fixed
// wait added to every write, and batches that queue behind each other when
// the timer is shorter than a commit), one committer goroutine takes
// whatever writes are waiting the moment it is free: a lone write is
// committed at once, and under load each commit carries every write that
// arrived during the previous one, so the batch size follows the load and
// the disk never idles while writes wait.
//
// The functions keep DB.Batch's contract: each may run more than once, so
// it must reset its outcome at the start and have no other side effects.
// When one returns an error the transaction is rolled back, the others run
// again without it, and it runs once more alone, so only its own error is
// reported to it (as DB.Batch does).
type groupCommit struct {
	db    *bolt.DB
	calls chan *commitCall
	stop  chan struct{}
	done  chan struct{}

	closeMu sync.RWMutex
	closed  bool
}

type commitCall struct {
	fn  func(*bolt.Tx) error
	err chan error
}

func newGroupCommit(db *bolt.DB) *groupCommit {
	g := &groupCommit{
		db:    db,
		calls: make(chan *commitCall, maxGroup),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go g.loop()
	return g
}

// do runs fn in a shared transaction and returns its error, or the
// commit's. A store opened read-only has no committer (g is nil): every
// write fails with bbolt's ErrDatabaseReadOnly.
func (g *groupCommit) do(fn func(*bolt.Tx) error) error {
	if g == nil {
		return berrors.ErrDatabaseReadOnly
	}
	g.closeMu.RLock()
	if g.closed {
		g.closeMu.RUnlock()
		return errClosed
	}
	c := &commitCall{fn: fn, err: make(chan error, 1)}
	g.calls <- c
	g.closeMu.RUnlock()
	return <-c.err
}

// close stops the committer after the writes already handed to it.
func (g *groupCommit) close() {
	g.closeMu.Lock()
	if g.closed {
		g.closeMu.Unlock()
		return
	}
	g.closed = true
	g.closeMu.Unlock()
	close(g.stop)
	<-g.done
}

func (g *groupCommit) loop() {
	defer close(g.done)
	batch := make([]*commitCall, 0, maxGroup)
	for {
		select {
		case c := <-g.calls:
			batch = append(batch[:0], c)
		case <-g.stop:
			// Writers hold closeMu while they send, so after close has set
			// closed no new call arrives; finish the ones that did.
			for {
				select {
				case c := <-g.calls:
					g.run([]*commitCall{c})
				default:
					return
				}
			}
		}
	more:
		for len(batch) < maxGroup {
			select {
			case c := <-g.calls:
				batch = append(batch, c)
			default:
				break more
			}
		}
		g.run(batch)
	}
}

// run commits batch, answering every call.
func (g *groupCommit) run(batch []*commitCall) {
	for len(batch) > 0 {
		failed := -1
		err := g.db.Update(func(tx *bolt.Tx) error {
			for i, c := range batch {
				if err := safeCall(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range batch {
				c.err <- err // nil, or the commit's error for all of them
			}
			return
		}
		// Run the failing function alone so that it, and only it, gets its
		// error (or succeeds this time); the others go again together.
		c := batch[failed]
		batch = append(batch[:failed:failed], batch[failed+1:]...)
		c.err <- g.db.Update(func(tx *bolt.Tx) error { return safeCall(c.fn, tx) })
	}
}

// safeCall runs fn, turning a panic into an error so that one bad write
// cannot take down the committer and every writer waiting on it.
func safeCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store write panicked: %v", p)
		}
	}()
	return fn(tx)
}
