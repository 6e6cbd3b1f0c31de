package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
)

// The schema-1 layout (commit 0025e45). v1SubmitScript is that commit's
// submitScript, verbatim: it writes reports, indexes and idempotency keys
// exactly as an old instance does and XADDs the job to the one v1 stream
// P:{P}:queue. The queue states it cannot make (deliveries, leases, retries,
// dead letters) are written below with the v1 commands and formats.
var v1SubmitScript = redis.NewScript(`
local prev = redis.call('GET', KEYS[1])
if prev then
  local sp = string.find(prev, ' ', 1, true)
  if string.sub(prev, sp + 1) ~= ARGV[1] then
    return redis.error_reply('` + errMismatch + ` idempotency key reused with another payload')
  end
  return {0, string.sub(prev, 1, sp - 1)}
end
redis.call('SET', KEYS[2], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[4], ARGV[2])
end
for i = 4, 8 do
  redis.call('ZADD', KEYS[i], 0, ARGV[2])
end
local eid = redis.call('XADD', KEYS[9], '*', 'job', ARGV[6])
redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. ARGV[1], 'EX', ARGV[5])
return {1, ARGV[2], eid}
`)

// v1Job is store.Job at 0025e45 (no Queue field).
type v1Job struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	ReportID   string    `json:"report_id,omitempty"`
	Payload    []byte    `json:"payload,omitempty"`
	EnqueuedAt time.Time `json:"enqueued_at"`
}

// v1DeadLetter is 0025e45's dead-letter list entry.
type v1DeadLetter struct {
	Job       string `json:"job"`
	LastError string `json:"last_error"`
	Attempt   int    `json:"attempt"`
	Handle    string `json:"handle"`
	DeadAtMS  string `json:"dead_at_ms"`
}

// v1 is an old (schema 1) instance writing to one installation.
type v1 struct {
	c    redis.UniversalClient
	base string // "ff:{ff}:"
}

func (o v1) key(s string) string { return o.base + s }

// submit runs the v1 submit script for sub and returns the stream entry id.
func (o v1) submit(t *testing.T, sub store.Submission) string {
	t.Helper()
	r := sub.Report
	body, err := json.Marshal(&r)
	must(t, err)
	job, err := json.Marshal(v1Job{ID: sub.Job.ID, Type: sub.Job.Type, ReportID: sub.Job.ReportID, Payload: sub.Job.Payload, EnqueuedAt: sub.Job.EnqueuedAt})
	must(t, err)
	keys := []string{o.key("idem:" + sub.IdempotencyKey), o.key("report:" + r.ID), o.key("receipts"), o.key("idx:all"),
		o.key("idx:line:" + r.Line), o.key("idx:category:" + r.Category), o.key("idx:severity:" + string(r.Severity)),
		o.key("idx:status:" + string(r.Status)), o.key("queue")}
	res, err := v1SubmitScript.Run(context.Background(), o.c, keys, sub.PayloadHash, r.ID, body, r.Receipt, int64(idemTTL/time.Second), job).Slice()
	if err != nil || len(res) != 3 {
		t.Fatalf("v1 submit of %s = %v, %v", sub.IdempotencyKey, res, err)
	}
	return res[2].(string)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// redisV1Fixture is what writeRedisV1 stores.
type redisV1Fixture struct {
	subs                                   []store.Submission
	inFlight, retrying, lastLease, waiting store.Job // by v1 state
	dead                                   store.Job
	deadAt                                 time.Time
	tokenHash                              string
}

// writeRedisV1 writes a schema-1 installation "ff": four reports whose jobs
// are in flight (2 deliveries, lease running), retry-waiting (3 deliveries,
// last error), on their last lease (MaxAttempts deliveries) and never
// delivered, plus one dead letter and an API token.
func writeRedisV1(t *testing.T, c redis.UniversalClient) redisV1Fixture {
	t.Helper()
	ctx := ctxT(t)
	o := v1{c: c, base: "ff:{ff}:"}
	var fx redisV1Fixture
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	for i, mod := range []func(*store.Report){
		nil,
		func(r *store.Report) { r.Line, r.Severity = "calc-2", store.SeverityCritical },
		func(r *store.Report) { r.Category, r.Status = "safety", store.StatusTriaged },
		func(r *store.Report) { r.Line, r.Category, r.Severity = "sinter-1", "yield", store.SeverityLow },
	} {
		sub := storetest.MakeSubmission(fmt.Sprint("v1-key-", i), at.Add(time.Duration(i)*time.Minute), mod)
		sub.Job.Payload = []byte(`{"v":1}`)
		fx.subs = append(fx.subs, sub)
	}
	// v1 gave every report its line's team but had no team index.
	for i := range fx.subs {
		fx.subs[i].Report.Team = []string{"separation", "magnets"}[i%2]
	}
	// v1's New: the stream and its group.
	must(t, c.XGroupCreateMkStream(ctx, o.key("queue"), "workers", "0").Err())
	var eids []string
	for _, sub := range fx.subs[:3] {
		eids = append(eids, o.submit(t, sub))
	}
	// Deliver the first three (as v1's claim did, XREADGROUP), then set
	// their delivery counts and bookkeeping.
	must(t, c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "old-worker", Streams: []string{o.key("queue"), ">"}, Count: 3}).Err())
	nowMS := time.Now().UnixMilli()
	for i, count := range []int{2, 3, store.MaxAttempts} {
		must(t, c.Do(ctx, "XCLAIM", o.key("queue"), "workers", "old-worker", 0, eids[i], "RETRYCOUNT", count, "JUSTID").Err())
	}
	must(t, c.ZAdd(ctx, o.key("queue:leases"), redis.Z{Score: float64(nowMS + 3600_000), Member: eids[0]}).Err())
	must(t, c.ZAdd(ctx, o.key("queue:retries"), redis.Z{Score: float64(nowMS + 400), Member: eids[1]}).Err())
	must(t, c.HSet(ctx, o.key("queue:errors"), eids[1], "smtp down").Err())
	must(t, c.ZAdd(ctx, o.key("queue:leases"), redis.Z{Score: float64(nowMS + 3600_000), Member: eids[2]}).Err())
	o.submit(t, fx.subs[3]) // never delivered
	fx.inFlight, fx.retrying, fx.lastLease, fx.waiting = fx.subs[0].Job, fx.subs[1].Job, fx.subs[2].Job, fx.subs[3].Job

	fx.dead = store.Job{ID: store.NewID(at), Type: store.JobProcessReport, ReportID: fx.subs[0].Report.ID, Payload: []byte(`{"v":1}`), EnqueuedAt: at}
	fx.deadAt = at.Add(10 * time.Minute)
	deadJob, err := json.Marshal(v1Job{ID: fx.dead.ID, Type: fx.dead.Type, ReportID: fx.dead.ReportID, Payload: fx.dead.Payload, EnqueuedAt: at})
	must(t, err)
	env, err := json.Marshal(v1DeadLetter{Job: string(deadJob), LastError: "pdf render failed", Attempt: store.MaxAttempts,
		Handle: "1700000000000-0", DeadAtMS: fmt.Sprint(fx.deadAt.UnixMilli())})
	must(t, err)
	must(t, c.LPush(ctx, o.key("queue:dead"), env).Err())
	fx.tokenHash = "feedface"
	must(t, c.HSet(ctx, o.key("tokens"), fx.tokenHash, `{"id":"tok-1","name":"mes-bridge","hash":"feedface","created_at":"2026-11-01T08:00:00Z"}`).Err())
	must(t, c.Set(ctx, o.key("secret"), "s3cret", 0).Err())
	return fx
}

func newClient(t *testing.T, srv *testutil.RedisServer) redis.UniversalClient {
	t.Helper()
	o, err := ParseURL(srv.URL)
	must(t, err)
	c := redis.NewUniversalClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func wantReportStats(t *testing.T, s *Store, want store.QueueStats, when string) {
	t.Helper()
	for _, q := range store.Queues {
		w := store.QueueStats{}
		if q == store.QueueReport {
			w = want
		}
		if got, err := s.QueueStats(ctxT(t), q); err != nil || got != w {
			t.Fatalf("QueueStats(%s) %s = %+v, %v; want %+v", q, when, got, err, w)
		}
	}
}

// TestMigrateV1 opens a schema-1 installation with this code: every report
// is readable and findable by each index, every job is in the report queue
// with its deliveries so far, dead letters are addressable by id, the v1
// keys are gone, and opening again changes nothing.
func TestMigrateV1(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	srv := testutil.StartRedis(t)
	c := newClient(t, srv)
	fx := writeRedisV1(t, c)

	s := mustOpen(t, srv.URL, Options{})
	check := func(s *Store, when string) {
		t.Helper()
		if v, err := c.Get(ctx, "ff:{ff}:schema").Result(); err != nil || v != strconv.Itoa(store.SchemaVersion) {
			t.Fatalf("%s: GET schema = %q, %v; want %d", when, v, err, store.SchemaVersion)
		}
		// The v1 stream stays, empty, with its group, for old instances
		// still running in a rolling upgrade (see drain_legacy).
		if n := c.XLen(ctx, "ff:{ff}:queue").Val(); n != 0 {
			t.Fatalf("%s: v1 stream still holds %d entries", when, n)
		}
		for _, k := range []string{"queue:leases", "queue:retries", "queue:errors", "queue:dead"} {
			if n := c.Exists(ctx, "ff:{ff}:"+k).Val(); n != 0 {
				t.Fatalf("%s: v1 key ff:{ff}:%s still exists", when, k)
			}
		}
		for _, sub := range fx.subs {
			r := sub.Report
			if got, err := s.Report(ctx, r.ID); err != nil || got.Title != r.Title || got.Line != r.Line {
				t.Fatalf("%s: Report(%s) = %+v, %v; want the v1 report", when, r.ID, got, err)
			}
			if got, err := s.ReportByReceipt(ctx, r.Receipt); err != nil || got.ID != r.ID {
				t.Fatalf("%s: ReportByReceipt = %s, %v; want %s", when, got.ID, err, r.ID)
			}
			for _, f := range []store.Filter{{Line: r.Line}, {Category: r.Category}, {Severity: r.Severity}, {Status: r.Status}, {Team: r.Team}} {
				page, err := s.FindReports(ctx, f)
				found := false
				for _, got := range page.Reports {
					found = found || got.ID == r.ID
				}
				if err != nil || !found {
					t.Fatalf("%s: FindReports(%+v) = %d reports, %v; want it to include %s", when, f, len(page.Reports), err, r.ID)
				}
			}
			if got, created, err := s.Submit(ctx, sub); err != nil || created || got.ID != r.ID {
				t.Fatalf("%s: Submit(replay of %s) = %s created %v, %v; want a replay", when, sub.IdempotencyKey, got.ID, created, err)
			}
		}
		if tok, err := s.TokenByHash(ctx, fx.tokenHash); err != nil || tok.ID != "tok-1" {
			t.Fatalf("%s: TokenByHash = %+v, %v; want tok-1", when, tok, err)
		}
		if sec, err := s.EnsureSecret(ctx, []byte("other")); err != nil || string(sec) != "s3cret" {
			t.Fatalf("%s: EnsureSecret = %q, %v; want the v1 secret", when, sec, err)
		}
		wantReportStats(t, s, store.QueueStats{Ready: 4, Dead: 1}, when)
	}
	check(s, "after migration")
	check(mustOpen(t, srv.URL, Options{}), "after opening again")

	// Redis keeps a migrated job's deliveries but not its retry delay: the
	// retry-waiting job is due at once (see migrate.go). Its v1 retry time
	// has passed anyway by now or soon; wait it out so the case reads as on
	// bolt.
	time.Sleep(400 * time.Millisecond)
	jobs, err := s.Claim(ctx, store.QueueReport, "w", 10, time.Hour)
	want := []struct {
		id      string
		attempt int
	}{{fx.inFlight.ID, 3}, {fx.retrying.ID, 4}, {fx.waiting.ID, 1}}
	if err != nil || len(jobs) != len(want) {
		t.Fatalf("Claim(report) after migration = %+v, %v; want %v", jobs, err, want)
	}
	for i, w := range want {
		if j := jobs[i]; j.ID != w.id || j.Attempt != w.attempt || j.Queue != store.QueueReport || string(j.Payload) != `{"v":1}` || j.ReportID == "" {
			t.Fatalf("claimed job %d = %+v; want %s on attempt %d in queue report with its payload", i, j, w.id, w.attempt)
		}
	}
	if jobs[1].LastError != "smtp down" || jobs[0].LastError != "" {
		t.Fatalf("migrated deliveries' last errors = %q, %q; want \"\" and the v1 error %q", jobs[0].LastError, jobs[1].LastError, "smtp down")
	}
	dead, err := s.DeadLetters(ctx, 0)
	if err != nil || len(dead) != 2 {
		t.Fatalf("DeadLetters = %+v, %v; want 2", dead, err)
	}
	if d := dead[0]; d.ID != fx.lastLease.ID || d.Attempt != store.MaxAttempts || d.Queue != store.QueueReport || !strings.HasPrefix(d.LastError, "lease expired") {
		t.Fatalf("newest dead letter = %+v; want %s, attempt %d, lease expired", d, fx.lastLease.ID, store.MaxAttempts)
	}
	if d := dead[1]; d.ID != fx.dead.ID || d.Attempt != store.MaxAttempts || d.Queue != store.QueueReport ||
		d.LastError != "pdf render failed" || !d.DeadAt.Equal(fx.deadAt) || d.ReportID != fx.dead.ReportID {
		t.Fatalf("older dead letter = %+v; want the v1 dead job %s, dead at %s", d, fx.dead.ID, fx.deadAt)
	}
	must(t, s.RetryDead(ctx, fx.dead.ID))
	if again, err := s.Claim(ctx, store.QueueReport, "w", 10, time.Hour); err != nil || len(again) != 1 || again[0].ID != fx.dead.ID || again[0].Attempt != 1 {
		t.Fatalf("Claim after RetryDead = %+v, %v; want %s on attempt 1", again, err, fx.dead.ID)
	}
	wantReportStats(t, s, store.QueueStats{InFlight: 4, Dead: 1}, "after claiming every migrated job")
	// Enqueue of a migrated id is a no-op like any other.
	must(t, s.Enqueue(ctx, fx.waiting))
	wantReportStats(t, s, store.QueueStats{InFlight: 4, Dead: 1}, "after enqueueing a migrated id again")
}

// TestMigrateConcurrentOpen: instances starting at once on a schema-1
// installation move every job exactly once.
func TestMigrateConcurrentOpen(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	srv := testutil.StartRedis(t)
	c := newClient(t, srv)
	const jobs, deads = 1300, 200 // several migrateBatch runs
	must(t, c.XGroupCreateMkStream(ctx, "ff:{ff}:queue", "workers", "0").Err())
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range jobs {
			b, _ := json.Marshal(v1Job{ID: fmt.Sprintf("job-%04d", i), Type: store.JobProcessReport, EnqueuedAt: time.Now()})
			p.XAdd(ctx, &redis.XAddArgs{Stream: "ff:{ff}:queue", Values: []any{"job", b}})
		}
		for i := range deads {
			b, _ := json.Marshal(v1Job{ID: fmt.Sprintf("dead-%04d", i), Type: store.JobProcessReport})
			env, _ := json.Marshal(v1DeadLetter{Job: string(b), LastError: "no", Attempt: store.MaxAttempts, Handle: "0-1", DeadAtMS: fmt.Sprint(1700000000000 + i)})
			p.LPush(ctx, "ff:{ff}:queue:dead", env)
		}
		return nil
	})
	must(t, err)

	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() {
			stores[i], errs[i] = Open(ctx, srv.URL, Options{})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open %d = %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	s := stores[0]
	wantReportStats(t, s, store.QueueStats{Ready: jobs, Dead: deads}, "after concurrent migrations")
	seen := map[string]int{}
	for {
		got, err := s.Claim(ctx, store.QueueReport, "w", 500, time.Hour)
		must(t, err)
		if len(got) == 0 {
			break
		}
		for _, j := range got {
			seen[j.ID]++
		}
	}
	if len(seen) != jobs {
		t.Fatalf("claimed %d distinct jobs after concurrent migrations, want %d", len(seen), jobs)
	}
	for id, n := range seen {
		if n != 1 || !strings.HasPrefix(id, "job-") {
			t.Fatalf("job %s claimed %d times, want once", id, n)
		}
	}
	if dead, err := s.DeadLetters(ctx, 1000); err != nil || len(dead) != deads || dead[0].ID != fmt.Sprintf("dead-%04d", deads-1) {
		t.Fatalf("DeadLetters = %d, %v; want %d, newest dead-%04d first", len(dead), err, deads, deads-1)
	}
}

// TestRollingUpgrade: an old instance still running next to new ones
// submits to the v1 stream and dead-letters into the v1 list; the new
// report queue picks both up.
func TestRollingUpgrade(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	srv := testutil.StartRedis(t)
	c := newClient(t, srv)
	// An old instance runs: v1's New made the stream and its group.
	must(t, c.XGroupCreateMkStream(ctx, "ff:{ff}:queue", "workers", "0").Err())
	s := mustOpen(t, srv.URL, Options{}) // a new instance starts: schema 2
	old := v1{c: c, base: "ff:{ff}:"}
	sub := storetest.MakeSubmission("from-old", base, nil)
	old.submit(t, sub) // the old instance takes a report
	b, _ := json.Marshal(v1Job{ID: "old-dead", Type: store.JobProcessReport})
	env, _ := json.Marshal(v1DeadLetter{Job: string(b), LastError: "old failure", Attempt: store.MaxAttempts, Handle: "0-1", DeadAtMS: "1700000000000"})
	must(t, c.LPush(ctx, "ff:{ff}:queue:dead", env).Err())

	if r, err := s.Report(ctx, sub.Report.ID); err != nil || r.ID != sub.Report.ID {
		t.Fatalf("Report(submitted by the old instance) = %+v, %v", r, err)
	}
	jobs, err := s.Claim(ctx, store.QueueReport, "w", 10, time.Hour)
	if err != nil || len(jobs) != 1 || jobs[0].ID != sub.Job.ID || jobs[0].Attempt != 1 {
		t.Fatalf("Claim(report) after an old instance's submit = %+v, %v; want its job %s on attempt 1", jobs, err, sub.Job.ID)
	}
	if dead, err := s.DeadLetters(ctx, 10); err != nil || len(dead) != 1 || dead[0].ID != "old-dead" || dead[0].LastError != "old failure" {
		t.Fatalf("DeadLetters = %+v, %v; want the old instance's dead letter", dead, err)
	}
	if n := c.XLen(ctx, "ff:{ff}:queue").Val() + c.Exists(ctx, "ff:{ff}:queue:dead").Val(); n != 0 {
		t.Fatalf("%d v1 entries and dead-letter lists left after the drain, want 0", n)
	}
	// The old instance's next claim finds its stream and group as it left
	// them (no NOGROUP, nothing to recreate) and gets nothing: the new
	// instance moved the job.
	res, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "old-worker", Streams: []string{"ff:{ff}:queue", ">"}, Count: 10, Block: -1}).Result()
	if err != nil && !errors.Is(err, redis.Nil) || len(res) > 0 && len(res[0].Messages) > 0 {
		t.Fatalf("an old instance's XREADGROUP after the drain = %+v, %v; want no entries and no error", res, err)
	}
}

// TestNewerSchemaRefused: an installation written by a newer floorfeed is
// not opened, and the error says what to do.
func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	srv := testutil.StartRedis(t)
	c := newClient(t, srv)
	must(t, c.Set(ctx, "ff:{ff}:schema", "99", 0).Err())
	_, err := Open(ctx, srv.URL, Options{})
	if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), "upgrade floorfeed") || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("Open(schema 99) = %v; want ErrSchemaTooNew saying version 99 and to upgrade floorfeed", err)
	}
	if keys := c.Keys(ctx, "ff:*").Val(); len(keys) != 1 || c.Get(ctx, "ff:{ff}:schema").Val() != "99" {
		t.Fatalf("keys after the refused open = %q; want only the schema key, still 99", keys)
	}
	// Another installation on the same server is not affected.
	other := mustOpen(t, srv.URL, Options{Prefix: "plant2"})
	if v := c.Get(ctx, "plant2:{plant2}:schema").Val(); v != strconv.Itoa(store.SchemaVersion) {
		t.Fatalf("new installation's schema = %q, want %d", v, store.SchemaVersion)
	}
	_ = other
}

// TestAckedMarkerExpires proves on Redis what the conformance suite proves
// with a fake clock on bolt (QueueEnqueueAfterAckedRetention): an id acked
// longer than store.AckedRetention ago may be enqueued again. The server's
// clock cannot be moved, so the marker is back-dated instead.
func TestAckedMarkerExpires(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := mustOpen(t, testutil.StartRedis(t).URL, Options{})
	j := store.Job{ID: "weekly-brief-magnets-2026-w45", Type: store.JobBrief}
	must(t, s.Enqueue(ctx, j))
	jobs, err := s.Claim(ctx, store.QueueBrief, "w", 1, time.Minute)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("Claim(brief) = %+v, %v", jobs, err)
	}
	must(t, s.Ack(ctx, jobs[0]))
	must(t, s.Enqueue(ctx, j))
	if st, _ := s.QueueStats(ctx, store.QueueBrief); st != (store.QueueStats{}) {
		t.Fatalf("QueueStats after enqueueing a just-acked id = %+v, want empty", st)
	}
	old := float64(time.Now().Add(-store.AckedRetention - time.Minute).UnixMilli())
	must(t, s.c.ZAdd(ctx, s.k.acked(), redis.Z{Score: old, Member: j.ID}, redis.Z{Score: old, Member: "long-gone"}).Err())
	must(t, s.Enqueue(ctx, j))
	jobs, err = s.Claim(ctx, store.QueueBrief, "w", 1, time.Minute)
	if err != nil || len(jobs) != 1 || jobs[0].ID != j.ID || jobs[0].Attempt != 1 {
		t.Fatalf("Claim(brief) after the acked marker expired = %+v, %v; want %s on attempt 1", jobs, err, j.ID)
	}
	must(t, s.Ack(ctx, jobs[0])) // trims markers past the retention
	if _, err := s.c.ZScore(ctx, s.k.acked(), "long-gone").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("ZSCORE acked long-gone = %v; want the expired marker trimmed by Ack", err)
	}
	if _, err := s.c.ZScore(ctx, s.k.acked(), j.ID).Result(); err != nil {
		t.Fatalf("ZSCORE acked %s = %v; want a fresh marker", j.ID, err)
	}
}

// TestMigrateUndecodableV1Job: a v1 entry whose job JSON is broken (v1 left
// it leased until its deliveries ran out) is not dropped: it becomes a dead
// letter, listed with the others.
func TestMigrateUndecodableV1Job(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	srv := testutil.StartRedis(t)
	c := newClient(t, srv)
	must(t, c.XGroupCreateMkStream(ctx, "ff:{ff}:queue", "workers", "0").Err())
	eid := c.XAdd(ctx, &redis.XAddArgs{Stream: "ff:{ff}:queue", Values: []any{"job", "{not json"}}).Val()
	good, _ := json.Marshal(v1Job{ID: "good-1", Type: store.JobProcessReport})
	must(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "ff:{ff}:queue", Values: []any{"job", good}}).Err())
	s := mustOpen(t, srv.URL, Options{})
	dead, err := s.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 || dead[0].ID != "v1-"+eid || dead[0].Queue != store.QueueReport || !strings.Contains(dead[0].LastError, "undecodable") {
		t.Fatalf("DeadLetters after migrating a broken v1 job = %+v, %v; want v1-%s in queue report, last error saying undecodable", dead, err, eid)
	}
	if jobs, err := s.Claim(ctx, store.QueueReport, "w", 10, time.Minute); err != nil || len(jobs) != 1 || jobs[0].ID != "good-1" {
		t.Fatalf("Claim = %+v, %v; want good-1 only", jobs, err)
	}
}

// TestMigrateV2: an installation that recorded schema 2 opens, keeps its
// reports, records the current version, and records work.
func TestMigrateV2(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	srv := testutil.StartRedis(t)
	c := newClient(t, srv)
	s := mustOpen(t, srv.URL, Options{})
	sub := storetest.MakeSubmission("v2-report", time.Now(), nil)
	storetest.MustSubmit(t, s, sub)
	must(t, s.Close())
	must(t, c.Set(ctx, "ff:{ff}:schema", "2", 0).Err())
	s = mustOpen(t, srv.URL, Options{})
	if r, err := s.Report(ctx, sub.Report.ID); err != nil || r.Title != sub.Report.Title {
		t.Fatalf("report after migration: %+v, %v", r, err)
	}
	if v := c.Get(ctx, "ff:{ff}:schema").Val(); v != strconv.Itoa(store.SchemaVersion) {
		t.Fatalf("schema after migration = %q", v)
	}
	if err := s.PutRecord(ctx, "c", "k", []byte("v")); err != nil {
		t.Fatalf("records after migration: %v", err)
	}
}
