package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/store"
)

// The queue is the stream P:{P}:queue read through the consumer group
// "workers"; see queueLib in scripts.go for the bookkeeping keys.
//
//   - Claim (claimScript) first takes pending entries whose retry time or
//     lease deadline has passed, by XCLAIM, which counts the delivery; an
//     entry already delivered store.MaxAttempts times is dead-lettered
//     instead ("lease expired"). Then it reads new entries (XREADGROUP >).
//     Each delivered entry gets its own lease deadline (now + the claimer's
//     lease), so a claimer using a short lease never takes a job that another
//     claimer leased for longer. Job.Attempt is the entry's delivery count,
//     Job.Handle its stream entry id.
//   - Fail (failScript) records the reason; on delivery MaxAttempts it
//     dead-letters the job, else it moves the entry from the lease set to the
//     retry set, due after retryAfter.
//   - Release (releaseScript) puts the entry in the retry set, due at once,
//     and lowers its delivery count so the release does not count.
//   - Ack (ackScript) XACKs and XDELs the entry and drops its bookkeeping.
//
// Each step is one script, so a crash between commands cannot lose a job or
// leave it both dead and pending. Fail and Release from a worker whose lease
// ran out and whose job was delivered again since are ignored (logged). All
// times are the Redis server's clock.

// maxReason bounds the stored error text of a failed delivery (bytes).
const maxReason = 4000

// buryBudget is how many due entries beyond its limit one Claim may dead-letter.
const buryBudget = 100

// Enqueue appends a job to the stream. go-redis may resend XADD after a
// dropped connection, so in rare cases a job is enqueued twice; job handlers
// are idempotent (the queue is at-least-once anyway).
func (s *Store) Enqueue(ctx context.Context, j store.Job) error {
	if j.ID == "" {
		return errors.New("enqueue: empty job id")
	}
	b, err := marshalJob(j)
	if err != nil {
		return fmt.Errorf("enqueue job %s: %w", j.ID, err)
	}
	err = s.c.XAdd(ctx, &redis.XAddArgs{Stream: s.k.queue(), Values: []any{"job", b}}).Err()
	if err != nil {
		return fmt.Errorf("enqueue job %s: %w", j.ID, wrapErr(err))
	}
	return nil
}

// Claim leases up to limit jobs to consumer for lease (at least 1ms).
func (s *Store) Claim(ctx context.Context, consumer string, limit int, lease time.Duration) ([]store.Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	if consumer == "" {
		return nil, errors.New("claim: empty consumer name")
	}
	leaseMS := max(lease.Milliseconds(), 1)
	res, err := s.runQueueScript(ctx, claimScript, consumer, limit, leaseMS, store.MaxAttempts, buryBudget).Slice()
	if err != nil {
		return nil, fmt.Errorf("claim jobs for %s: %w", consumer, wrapErr(err))
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("claim jobs for %s: unexpected script reply %v", consumer, res)
	}
	if buried, _ := res[0].(int64); buried > 0 {
		s.log.Warn("redis store: dead-lettered jobs whose last lease expired", "count", buried)
	}
	flat, _ := res[1].([]any)
	jobs := make([]store.Job, 0, len(flat)/3)
	for i := 0; i+2 < len(flat); i += 3 {
		handle, _ := flat[i].(string)
		raw, _ := flat[i+1].(string)
		attempt, _ := flat[i+2].(int64)
		var j store.Job
		if err := json.Unmarshal([]byte(raw), &j); err != nil {
			// Leave it leased: it comes back when the lease runs out and is
			// dead-lettered after MaxAttempts, where people can see it.
			s.log.Error("redis store: undecodable job in queue", "handle", handle, "err", err)
			continue
		}
		j.Attempt = int(attempt)
		j.Handle = handle
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// Ack removes a claimed job for good; acking a job that is gone is not an error.
func (s *Store) Ack(ctx context.Context, j store.Job) error {
	if j.Handle == "" {
		return fmt.Errorf("ack job %s: no queue handle (not from Claim)", j.ID)
	}
	if err := s.runQueueScript(ctx, ackScript, j.Handle).Err(); err != nil {
		return fmt.Errorf("ack job %s: %w", j.ID, wrapErr(err))
	}
	return nil
}

// Fail records a failed delivery of j: after store.MaxAttempts deliveries
// the job is dead-lettered with reason, otherwise it is delivered again
// after retryAfter.
func (s *Store) Fail(ctx context.Context, j store.Job, reason string, retryAfter time.Duration) error {
	if j.Handle == "" {
		return fmt.Errorf("fail job %s: no queue handle (not from Claim)", j.ID)
	}
	res, err := s.runQueueScript(ctx, failScript, j.Handle, j.Attempt,
		truncate(reason, maxReason), max(retryAfter.Milliseconds(), 0), store.MaxAttempts).Int64()
	if err != nil {
		return fmt.Errorf("fail job %s: %w", j.ID, wrapErr(err))
	}
	switch res {
	case 2:
		s.log.Warn("redis store: job dead-lettered", "job", j.ID, "type", j.Type, "attempt", j.Attempt, "reason", reason)
	case -1:
		s.log.Warn("redis store: ignored Fail of a job delivered again since", "job", j.ID, "attempt", j.Attempt)
	}
	return nil
}

// Release hands a claimed job back at once, without counting the delivery.
func (s *Store) Release(ctx context.Context, j store.Job) error {
	if j.Handle == "" {
		return fmt.Errorf("release job %s: no queue handle (not from Claim)", j.ID)
	}
	res, err := s.runQueueScript(ctx, releaseScript, j.Handle, j.Attempt).Int64()
	if err != nil {
		return fmt.Errorf("release job %s: %w", j.ID, wrapErr(err))
	}
	if res == -1 {
		s.log.Warn("redis store: ignored Release of a job delivered again since", "job", j.ID, "attempt", j.Attempt)
	}
	return nil
}

// deadLetter is how bury (queueLib) stores a dead job (the job JSON as the
// stream held it, unchanged).
type deadLetter struct {
	Job       string `json:"job"`
	LastError string `json:"last_error"`
	Attempt   int    `json:"attempt"`
	Handle    string `json:"handle"`
	DeadAtMS  string `json:"dead_at_ms"`
}

// DeadLetters returns up to limit dead-lettered jobs, newest first
// (store.DefaultLimit if limit <= 0).
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]store.Job, error) {
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	raws, err := s.c.LRange(ctx, s.k.dead(), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", wrapErr(err))
	}
	jobs := make([]store.Job, 0, len(raws))
	for _, raw := range raws {
		var d deadLetter
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			return nil, fmt.Errorf("dead letters: %w", err)
		}
		var j store.Job
		if d.Job != "" {
			if err := json.Unmarshal([]byte(d.Job), &j); err != nil {
				return nil, fmt.Errorf("dead letter %s: %w", d.Handle, err)
			}
		}
		j.LastError, j.Attempt, j.Handle = d.LastError, d.Attempt, d.Handle
		if ms, err := strconv.ParseInt(d.DeadAtMS, 10, 64); err == nil {
			j.DeadAt = time.UnixMilli(ms).UTC()
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// QueueStats counts jobs by state in one snapshot. Ready counts jobs never
// delivered, jobs waiting for a retry and jobs whose lease ran out; of the
// last, one already delivered store.MaxAttempts times will be dead-lettered
// by the next Claim rather than delivered.
func (s *Store) QueueStats(ctx context.Context) (store.QueueStats, error) {
	res, err := s.runQueueScript(ctx, statsScript).Int64Slice()
	if err != nil {
		return store.QueueStats{}, fmt.Errorf("queue stats: %w", wrapErr(err))
	}
	if len(res) != 3 {
		return store.QueueStats{}, fmt.Errorf("queue stats: unexpected script reply %v", res)
	}
	return store.QueueStats{Ready: res[0], InFlight: res[1], Dead: res[2]}, nil
}

// runQueueScript runs a queue script with the queue keys and the consumer
// group as ARGV[1]. If the stream or its group is gone (NOGROUP: a FLUSHDB,
// or a failover that lost recent writes), it creates the group again,
// reading from the start of the stream so that no job is skipped, and runs
// the script once more.
func (s *Store) runQueueScript(ctx context.Context, sc *redis.Script, args ...any) *redis.Cmd {
	args = append([]any{consumerGroup}, args...)
	cmd := sc.Run(ctx, s.c, s.k.queueKeys(), args...)
	if !redis.HasErrorPrefix(cmd.Err(), "NOGROUP") {
		return cmd
	}
	s.log.Warn("redis store: job stream or consumer group missing; creating it again", "stream", s.k.queue())
	if err := s.ensureGroup(ctx); err != nil {
		return cmd
	}
	return sc.Run(ctx, s.c, s.k.queueKeys(), args...)
}

// ensureGroup creates the job stream and its consumer group if missing.
func (s *Store) ensureGroup(ctx context.Context) error {
	err := s.c.XGroupCreateMkStream(ctx, s.k.queue(), consumerGroup, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s on %s: %w", consumerGroup, s.k.queue(), wrapErr(err))
	}
	return nil
}

// marshalJob encodes j as the stream stores it, without delivery fields.
func marshalJob(j store.Job) ([]byte, error) {
	j.Attempt, j.LastError, j.DeadAt, j.Handle = 0, "", time.Time{}, ""
	return json.Marshal(&j)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
