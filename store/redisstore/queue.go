package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/store"
)

// Each queue q of store.Queues is the stream P:{P}:queue:<q> read through
// the consumer group "workers", with its bookkeeping keys (see queueLib in
// scripts.go and keys.go):
//
//   - Enqueue (enqueueScript) adds a job unless its id is known: live in any
//     queue (P:{P}:jobs), dead (P:{P}:dead) or acked within
//     store.AckedRetention (P:{P}:acked). Submit applies the same rule to
//     its job inside submitScript.
//   - Claim (claimScript) first takes pending entries whose retry time or
//     lease deadline has passed, by XCLAIM, which counts the delivery; an
//     entry already delivered store.MaxAttempts times is dead-lettered
//     instead ("lease expired"). Then it reads new entries (XREADGROUP >).
//     Each delivered entry gets its own lease deadline (now + the claimer's
//     lease), so a claimer using a short lease never takes a job that another
//     claimer leased for longer. Job.Attempt is the entry's delivery count
//     (plus deliveries before a schema-1 migration), Job.Handle its stream
//     entry id, Job.Queue the queue, Job.LastError the reason of the
//     previous failed delivery, if any.
//   - Fail (failScript) records the reason; on delivery MaxAttempts it
//     dead-letters the job, else it moves the entry from the lease set to the
//     retry set, due after retryAfter.
//   - Release (releaseScript) puts the entry in the retry set, due after the
//     given delay, and lowers its delivery count so the release does not count.
//   - Ack (ackScript) XACKs and XDELs the entry, drops its bookkeeping and
//     marks the job id acked.
//   - RetryDead (retryDeadScript) adds a dead job's JSON to its queue again
//     as a new entry.
//
// Each step is one script, so a crash between commands cannot lose a job or
// leave it both dead and pending. Fail and Release from a worker whose lease
// ran out and whose job was delivered again since are ignored (logged). All
// times are the Redis server's clock.

// maxReason bounds the stored error text of a failed delivery (bytes).
const maxReason = 4000

// buryBudget is how many due entries beyond its limit one Claim may dead-letter.
const buryBudget = 100

// legacyBatch is how many schema-1 entries one report-queue Claim moves.
const legacyBatch = 100

// ackedRetentionMS is store.AckedRetention in the scripts' unit.
const ackedRetentionMS = int64(store.AckedRetention / time.Millisecond)

// Enqueue adds j to its queue (store.JobQueue) in one script; a no-op when
// its id is live, dead or acked within store.AckedRetention. A resent script
// (go-redis retries after a dropped connection) finds the id and does nothing.
func (s *Store) Enqueue(ctx context.Context, j store.Job) error {
	if j.ID == "" {
		return fmt.Errorf("enqueue %s job: empty job id", j.Type)
	}
	q, err := store.JobQueue(j)
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	b, err := marshalJob(j, q)
	if err != nil {
		return fmt.Errorf("enqueue job %s: %w", j.ID, err)
	}
	keys := []string{s.k.stream(q), s.k.jobs(), s.k.deadJobs(), s.k.acked()}
	if err := enqueueScript.Run(ctx, s.c, keys, j.ID, q, b, ackedRetentionMS).Err(); err != nil {
		return fmt.Errorf("enqueue job %s to %s: %w", j.ID, q, wrapErr(err))
	}
	return nil
}

// Claim leases up to limit jobs of queue to consumer for lease (at least 1ms).
func (s *Store) Claim(ctx context.Context, queue, consumer string, limit int, lease time.Duration) ([]store.Job, error) {
	if err := store.CheckQueue(queue); err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	if limit <= 0 {
		return []store.Job{}, nil
	}
	if consumer == "" {
		return nil, errors.New("claim jobs: empty consumer name")
	}
	if lease <= 0 {
		return nil, fmt.Errorf("claim %s jobs: lease %s must be positive", queue, lease)
	}
	leaseMS := max(lease.Milliseconds(), 1)
	res, err := s.runQueueScript(ctx, claimScript, queue, s.k.claimKeys(queue),
		consumer, limit, leaseMS, store.MaxAttempts, buryBudget, legacyBatch, ackedRetentionMS).Slice()
	if err != nil {
		return nil, fmt.Errorf("claim %s jobs for %s: %w", queue, consumer, wrapErr(err))
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("claim %s jobs for %s: unexpected script reply %v", queue, consumer, res)
	}
	if buried, _ := res[0].(int64); buried > 0 {
		s.log.Warn("redis store: dead-lettered jobs whose last lease expired", "queue", queue, "count", buried)
	}
	flat, _ := res[1].([]any)
	jobs := make([]store.Job, 0, len(flat)/4)
	for i := 0; i+3 < len(flat); i += 4 {
		handle, _ := flat[i].(string)
		raw, _ := flat[i+1].(string)
		attempt, _ := flat[i+2].(int64)
		lastErr, _ := flat[i+3].(string)
		var j store.Job
		if err := json.Unmarshal([]byte(raw), &j); err != nil {
			// Leave it leased: it comes back when the lease runs out and is
			// dead-lettered after MaxAttempts, where people can see it.
			s.log.Error("redis store: undecodable job in queue", "queue", queue, "handle", handle, "err", err)
			continue
		}
		j.Queue = queue
		j.Attempt = int(attempt)
		j.LastError = lastErr
		j.Handle = handle
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// deliveryQueue returns the queue of a claimed job, checking that it came
// from Claim.
func deliveryQueue(what string, j store.Job) (string, error) {
	if j.Handle == "" {
		return "", fmt.Errorf("%s job %s: no queue handle (not from Claim)", what, j.ID)
	}
	q, err := store.JobQueue(j)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return q, nil
}

// Ack removes a claimed job for good and remembers its id for
// store.AckedRetention; acking a job that is gone is not an error.
func (s *Store) Ack(ctx context.Context, j store.Job) error {
	q, err := deliveryQueue("ack", j)
	if err != nil {
		return err
	}
	if err := s.runQueueScript(ctx, ackScript, q, s.k.queueKeys(q), j.Handle, j.ID, ackedRetentionMS).Err(); err != nil {
		return fmt.Errorf("ack job %s: %w", j.ID, wrapErr(err))
	}
	return nil
}

// Fail records a failed delivery of j: after store.MaxAttempts deliveries
// the job is dead-lettered with reason, otherwise it is delivered again
// after retryAfter. A Fail of a delivery that is no longer current is
// ignored (logged).
func (s *Store) Fail(ctx context.Context, j store.Job, reason string, retryAfter time.Duration) error {
	q, err := deliveryQueue("fail", j)
	if err != nil {
		return err
	}
	res, err := s.runQueueScript(ctx, failScript, q, s.k.queueKeys(q), j.Handle, j.Attempt,
		truncate(reason, maxReason), max(retryAfter.Milliseconds(), 0), store.MaxAttempts).Int64()
	if err != nil {
		return fmt.Errorf("fail job %s: %w", j.ID, wrapErr(err))
	}
	switch res {
	case 2:
		s.log.Warn("redis store: job dead-lettered", "job", j.ID, "queue", q, "type", j.Type, "attempt", j.Attempt, "reason", reason)
	case -1, -2:
		s.log.Warn("redis store: ignored Fail of a delivery that is no longer current", "job", j.ID, "attempt", j.Attempt)
	}
	return nil
}

// Release hands a claimed job back, due after after, without counting the
// delivery. A Release of a delivery that is no longer current is ignored.
func (s *Store) Release(ctx context.Context, j store.Job, after time.Duration) error {
	q, err := deliveryQueue("release", j)
	if err != nil {
		return err
	}
	res, err := s.runQueueScript(ctx, releaseScript, q, s.k.queueKeys(q), j.Handle, j.Attempt,
		max(after.Milliseconds(), 0)).Int64()
	if err != nil {
		return fmt.Errorf("release job %s: %w", j.ID, wrapErr(err))
	}
	if res < 0 {
		s.log.Warn("redis store: ignored Release of a delivery that is no longer current", "job", j.ID, "attempt", j.Attempt)
	}
	return nil
}

// deadLetter is how the scripts store a dead job in P:{P}:dead (the job
// JSON as the stream held it, unchanged).
type deadLetter struct {
	Job       string `json:"job"`
	Queue     string `json:"queue"`
	LastError string `json:"last_error"`
	Attempt   int    `json:"attempt"`
	DeadAtMS  string `json:"dead_at_ms"`
}

// decode returns the dead job with its dead-letter fields set. A job whose
// JSON does not decode (it was dead-lettered for that) is still listed, by
// id, with a note in its last error, so one bad entry cannot hide the others.
func (d *deadLetter) decode(id string) store.Job {
	var j store.Job
	if d.Job != "" {
		if err := json.Unmarshal([]byte(d.Job), &j); err != nil {
			j = store.Job{}
			d.LastError += fmt.Sprintf(" (stored job is not valid JSON: %v)", err)
		}
	}
	j.ID, j.Queue = id, d.Queue
	j.LastError, j.Attempt, j.Handle = d.LastError, d.Attempt, ""
	if ms, err := strconv.ParseInt(d.DeadAtMS, 10, 64); err == nil {
		j.DeadAt = time.UnixMilli(ms).UTC()
	}
	return j
}

// DeadLetters returns up to limit dead-lettered jobs of all queues, newest
// first (store.DefaultLimit if limit <= 0): the newest limit of each queue's
// time index, merged, then their envelopes.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]store.Job, error) {
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	cmds := make([]*redis.ZSliceCmd, len(store.Queues))
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, q := range store.Queues {
			cmds[i] = p.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: s.k.queueDead(q), Start: 0, Stop: limit - 1, Rev: true})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", wrapErr(err))
	}
	var all []redis.Z
	for _, c := range cmds {
		all = append(all, c.Val()...)
	}
	slices.SortFunc(all, func(a, b redis.Z) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return strings.Compare(b.Member.(string), a.Member.(string))
	})
	all = all[:min(len(all), limit)]
	jobs := make([]store.Job, 0, len(all))
	if len(all) == 0 {
		return jobs, nil
	}
	ids := make([]string, len(all))
	for i, z := range all {
		ids[i], _ = z.Member.(string)
	}
	raws, err := s.c.HMGet(ctx, s.k.deadJobs(), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", wrapErr(err))
	}
	for i, raw := range raws {
		str, ok := raw.(string)
		if !ok {
			continue // retried between the two reads
		}
		var d deadLetter
		if err := json.Unmarshal([]byte(str), &d); err != nil {
			return nil, fmt.Errorf("dead letter %s: %w", ids[i], err)
		}
		jobs = append(jobs, d.decode(ids[i]))
	}
	return jobs, nil
}

// RetryDead puts dead job id back in its queue as a new entry (its next
// delivery is attempt 1); store.ErrNotFound if no dead job has that id.
func (s *Store) RetryDead(ctx context.Context, id string) error {
	for range 3 { // the dead letter's queue is read first; retried if it changed meanwhile
		raw, err := s.c.HGet(ctx, s.k.deadJobs(), id).Result()
		if errors.Is(err, redis.Nil) {
			return fmt.Errorf("retry dead job %s: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("retry dead job %s: %w", id, wrapErr(err))
		}
		var d deadLetter
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			return fmt.Errorf("retry dead job %s: %w", id, err)
		}
		if err := store.CheckQueue(d.Queue); err != nil {
			return fmt.Errorf("retry dead job %s: %w", id, err)
		}
		res, err := s.runQueueScript(ctx, retryDeadScript, d.Queue, s.k.queueKeys(d.Queue), id).Int64()
		switch {
		case err != nil:
			return fmt.Errorf("retry dead job %s: %w", id, wrapErr(err))
		case res == 0:
			return fmt.Errorf("retry dead job %s: %w", id, store.ErrNotFound)
		case res == 1:
			return nil
		}
	}
	return fmt.Errorf("retry dead job %s: its dead letter kept changing", id)
}

// QueueStats counts the jobs of queue by state in one snapshot. Ready counts
// jobs never delivered, jobs waiting for a retry and jobs whose lease ran
// out; of the last, one already delivered store.MaxAttempts times will be
// dead-lettered by the next Claim rather than delivered.
func (s *Store) QueueStats(ctx context.Context, queue string) (store.QueueStats, error) {
	if err := store.CheckQueue(queue); err != nil {
		return store.QueueStats{}, fmt.Errorf("queue stats: %w", err)
	}
	res, err := s.runQueueScript(ctx, statsScript, queue, s.k.queueKeys(queue)).Int64Slice()
	if err != nil {
		return store.QueueStats{}, fmt.Errorf("queue stats %s: %w", queue, wrapErr(err))
	}
	if len(res) != 3 {
		return store.QueueStats{}, fmt.Errorf("queue stats %s: unexpected script reply %v", queue, res)
	}
	return store.QueueStats{Ready: res[0], InFlight: res[1], Dead: res[2]}, nil
}

// runQueueScript runs a queue script on queue q's keys with the consumer
// group as ARGV[1] and the queue name as ARGV[2]. If the stream or its group
// is gone (NOGROUP: a FLUSHDB, or a failover that lost recent writes), it
// creates the group again, reading from the start of the stream so that no
// job is skipped, and runs the script once more.
func (s *Store) runQueueScript(ctx context.Context, sc *redis.Script, q string, keys []string, args ...any) *redis.Cmd {
	args = append([]any{consumerGroup, q}, args...)
	cmd := sc.Run(ctx, s.c, keys, args...)
	if !redis.HasErrorPrefix(cmd.Err(), "NOGROUP") {
		return cmd
	}
	s.log.Warn("redis store: job stream or consumer group missing; creating it again", "stream", s.k.stream(q))
	if err := s.ensureGroup(ctx, q); err != nil {
		return cmd
	}
	return sc.Run(ctx, s.c, keys, args...)
}

// ensureGroup creates queue q's stream and its consumer group if missing.
func (s *Store) ensureGroup(ctx context.Context, q string) error {
	err := s.c.XGroupCreateMkStream(ctx, s.k.stream(q), consumerGroup, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create consumer group %s on %s: %w", consumerGroup, s.k.stream(q), wrapErr(err))
	}
	return nil
}

// marshalJob encodes j as the stream stores it: in queue q, without
// delivery fields.
func marshalJob(j store.Job, q string) ([]byte, error) {
	j.Queue = q
	j.Attempt, j.LastError, j.DeadAt, j.Handle = 0, "", time.Time{}, ""
	// About the length of the JSON without escapes, so that it allocates once.
	size := 100 + len(j.ID) + len(j.Type) + len(q) + len(j.ReportID) + len(j.Payload)*4/3
	if b, ok := appendJob(make([]byte, 0, size), &j); ok {
		return b, nil
	}
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

// Extend renews the lease of j's current delivery (extendScript).
func (s *Store) Extend(ctx context.Context, j store.Job, lease time.Duration) (bool, error) {
	if lease <= 0 {
		return false, fmt.Errorf("extend lease of job %s: lease must be positive", j.ID)
	}
	q, err := deliveryQueue("extend", j)
	if err != nil {
		return false, err
	}
	res, err := s.runQueueScript(ctx, extendScript, q, s.k.queueKeys(q), j.Handle, j.Attempt, lease.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("extend lease of job %s: %w", j.ID, wrapErr(err))
	}
	return res == 1, nil
}
