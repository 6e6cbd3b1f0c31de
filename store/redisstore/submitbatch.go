package redisstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Submissions that arrive together go to Redis together. A caller that
// finds fewer than maxSubmitPipelines pipelines in flight sends at once:
// its own submission and whatever others are waiting, in one pipeline (one
// write, one read, for Go and for Redis). Otherwise it waits, and the next
// sender takes it along. A lone submission is thus sent by its own goroutine
// with no hand-off and no added wait; under load, each pipeline carries what
// arrived during the previous round trip. Every submission is still its own
// script, atomic on its own: batching saves system calls and changes no
// semantics.
//
// Measured with `make bench` (64 clients, 2 CPUs): about 10 submissions a
// pipeline, and throughput from ~58% to ~65% of the bare handler's.
const (
	maxSubmitPipelines = 2
	maxSubmitBatch     = 64
	// submitBatchTimeout bounds one pipeline. A caller whose context ends
	// sooner stops waiting; its script may still run, which a retry with the
	// same idempotency key turns into a harmless replay.
	submitBatchTimeout = 10 * time.Second
)

var errStoreClosed = errors.New("redis store closed")

// submitCall is one submission waiting for its pipeline.
type submitCall struct {
	keys []string
	args []any
	done chan submitResult // buffered: a sender never blocks on a caller that left
}

type submitResult struct {
	vals []any
	err  error
}

// submitBatcher groups the submissions of one Store into pipelines.
type submitBatcher struct {
	c        redis.UniversalClient
	mu       sync.Mutex
	waiting  []*submitCall
	inFlight int
	closed   bool
	senders  sync.WaitGroup
}

func newSubmitBatcher(c redis.UniversalClient) *submitBatcher {
	return &submitBatcher{c: c}
}

// do runs submitScript with keys and args, in a pipeline with whatever
// other submissions are waiting.
func (b *submitBatcher) do(ctx context.Context, keys []string, args []any) ([]any, error) {
	call := &submitCall{keys: keys, args: args, done: make(chan submitResult, 1)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errStoreClosed
	}
	b.waiting = append(b.waiting, call)
	var batch []*submitCall
	if b.inFlight < maxSubmitPipelines {
		b.inFlight++
		b.senders.Add(1)
		batch = b.takeLocked()
	}
	b.mu.Unlock()
	if batch != nil {
		b.sendAndPass(batch)
	}
	select {
	case r := <-call.done:
		return r.vals, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// takeLocked removes up to maxSubmitBatch waiting calls, oldest first.
func (b *submitBatcher) takeLocked() []*submitCall {
	n := min(len(b.waiting), maxSubmitBatch)
	batch := b.waiting[:n:n]
	b.waiting = b.waiting[n:]
	if len(b.waiting) == 0 {
		b.waiting = nil // let the backing array go
	}
	return batch
}

// sendAndPass sends batch; if more calls arrived meanwhile, a new goroutine
// sends them (so this caller gets its answer now), else the pipeline slot is
// given back.
func (b *submitBatcher) sendAndPass(batch []*submitCall) {
	b.send(batch)
	b.mu.Lock()
	if len(b.waiting) == 0 {
		b.inFlight--
		b.mu.Unlock()
		b.senders.Done()
		return
	}
	next := b.takeLocked()
	b.mu.Unlock()
	go b.sendAndPass(next) // keeps the slot and the senders count
}

// close refuses new submissions and waits for the pipelines in flight.
func (b *submitBatcher) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.senders.Wait()
}

// send runs one batch and hands each caller its result.
func (b *submitBatcher) send(batch []*submitCall) {
	ctx, cancel := context.WithTimeout(context.Background(), submitBatchTimeout)
	defer cancel()
	if len(batch) == 1 {
		c := batch[0]
		vals, err := submitScript.Run(ctx, b.c, c.keys, c.args...).Slice()
		c.done <- submitResult{vals, err}
		return
	}
	cmds := make([]*redis.Cmd, len(batch))
	// Errors are per command; Pipelined's own error is the first of them.
	_, _ = b.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range batch {
			cmds[i] = submitScript.EvalSha(ctx, p, c.keys, c.args...)
		}
		return nil
	})
	for i, c := range batch {
		vals, err := cmds[i].Slice()
		if redis.HasErrorPrefix(err, "NOSCRIPT") {
			// Redis lost its script cache (restart, failover): Run sends
			// the script itself.
			vals, err = submitScript.Run(ctx, b.c, c.keys, c.args...).Slice()
		}
		c.done <- submitResult{vals, err}
	}
}
