package redisstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Submissions that arrive together go to Redis together: a few batchers
// each take whatever submissions are waiting and send their scripts in one
// pipeline (one write, one read, for Go and for Redis), then take the next
// batch. A lone submission is sent at once, so there is no added wait;
// under load, each batch is what arrived during the previous round trip.
// Every submission is still its own script, atomic on its own: batching
// saves system calls, it changes no semantics. Measured with `make bench`
// (64 clients, 2 CPUs): 2 batchers average ~10 submissions a pipeline and
// raise throughput from ~58% to ~65% of the bare handler's; 1 batcher is as
// fast, 4 batch less (~5.6 a pipeline) and gain less.
const (
	submitBatchers = 2
	maxSubmitBatch = 64
	// submitBatchTimeout bounds one pipeline; a caller whose context ends
	// sooner stops waiting (its script may still run, which a retry with the
	// same idempotency key turns into a harmless replay).
	submitBatchTimeout = 10 * time.Second
)

var errStoreClosed = errors.New("redis store closed")

// submitCall is one submission waiting for its batch.
type submitCall struct {
	keys []string
	args []any
	done chan submitResult // buffered: the batcher never blocks on a caller that left
}

type submitResult struct {
	vals []any
	err  error
}

// submitBatcher runs the batchers of one Store.
type submitBatcher struct {
	c     redis.UniversalClient
	calls chan *submitCall
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newSubmitBatcher(c redis.UniversalClient) *submitBatcher {
	b := &submitBatcher{c: c, calls: make(chan *submitCall), stop: make(chan struct{})}
	for range submitBatchers {
		b.wg.Go(b.run)
	}
	return b
}

// do runs submitScript with keys and args in the next batch.
func (b *submitBatcher) do(ctx context.Context, keys []string, args []any) ([]any, error) {
	call := &submitCall{keys: keys, args: args, done: make(chan submitResult, 1)}
	select {
	case b.calls <- call:
	case <-b.stop:
		return nil, errStoreClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-call.done:
		return r.vals, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close stops the batchers after the batches in flight.
func (b *submitBatcher) close() {
	close(b.stop)
	b.wg.Wait()
}

func (b *submitBatcher) run() {
	batch := make([]*submitCall, 0, maxSubmitBatch)
	for {
		select {
		case call := <-b.calls:
			batch = append(batch[:0], call)
		case <-b.stop:
			return
		}
	fill:
		for len(batch) < maxSubmitBatch {
			select {
			case call := <-b.calls:
				batch = append(batch, call)
			default:
				break fill
			}
		}
		b.send(batch)
	}
}

// send runs one batch as a pipeline and hands each caller its result.
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
