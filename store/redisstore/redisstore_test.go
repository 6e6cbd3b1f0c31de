package redisstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
)

func TestConformance(t *testing.T) {
	var (
		mu      sync.Mutex
		servers = map[store.Store]*testutil.RedisServer{}
	)
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) store.Store {
			srv := testutil.StartRedis(t)
			s := mustOpen(t, srv.URL, Options{})
			mu.Lock()
			servers[s] = srv
			mu.Unlock()
			return s
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			mu.Lock()
			srv := servers[s]
			mu.Unlock()
			if err := s.Close(); err != nil {
				t.Fatalf("Close before restart = %v", err)
			}
			srv.Restart(t)
			s2 := mustOpen(t, srv.URL, Options{})
			mu.Lock()
			servers[s2] = srv
			mu.Unlock()
			return s2
		},
		// Leases and retry times are the Redis server's clock: let real
		// time pass.
		Advance:  func(t *testing.T, s store.Store, d time.Duration) { time.Sleep(d) },
		RealTime: true,
	})
}

// mustOpen opens a Store on url and closes it at cleanup.
func mustOpen(tb testing.TB, url string, opts Options) *Store {
	tb.Helper()
	s, err := Open(context.Background(), url, opts)
	if err != nil {
		tb.Fatalf("Open(%s) = %v", url, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var base = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// TestKeysShareOneSlot exercises every kind of key, then checks that all
// keys on the server carry the installation's prefix and hash tag, and that
// a second installation on the same server stays apart.
func TestKeysShareOneSlot(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	srv := testutil.StartRedis(t)
	s := mustOpen(t, srv.URL, Options{})
	other := mustOpen(t, srv.URL, Options{Prefix: "plant2"})

	for i := range 4 {
		storetest.MustSubmit(t, s, storetest.MakeSubmission(fmt.Sprint("k", i), base.Add(time.Duration(i)*time.Minute), nil))
	}
	storetest.MustSubmit(t, other, storetest.MakeSubmission("k0", base, nil))
	if _, err := s.UpdateReport(ctx, mustFirstID(t, s), func(r *store.Report) error {
		r.SetStatus(store.StatusTriaged, "alice", base.Add(time.Hour))
		return nil
	}); err != nil {
		t.Fatalf("UpdateReport = %v", err)
	}
	if err := s.Enqueue(ctx, store.Job{ID: "photo-1", Type: store.JobProcessPhotos}); err != nil {
		t.Fatalf("Enqueue = %v", err)
	}
	jobs, err := s.Claim(ctx, store.QueueReport, "w", 4, time.Minute) // jobs[3] stays leased
	if err != nil || len(jobs) != 4 {
		t.Fatalf("Claim = %d jobs, %v; want 4", len(jobs), err)
	}
	mustNil(t, "Ack", s.Ack(ctx, jobs[0]))
	mustNil(t, "Fail", s.Fail(ctx, jobs[1], "retry me", time.Hour))
	for j := jobs[2]; ; {
		mustNil(t, "Fail", s.Fail(ctx, j, "dead", 0))
		if j.Attempt == store.MaxAttempts {
			break
		}
		again, err := s.Claim(ctx, store.QueueReport, "w", 1, time.Minute)
		if err != nil || len(again) != 1 {
			t.Fatalf("Claim after Fail = %+v, %v; want the failed job", again, err)
		}
		j = again[0]
	}
	mustNil(t, "CreateToken", s.CreateToken(ctx, store.APIToken{ID: "t1", Name: "n", Hash: "h1", CreatedAt: base}))
	if _, err := s.EnsureSecret(ctx, []byte("secret")); err != nil {
		t.Fatalf("EnsureSecret = %v", err)
	}

	keys, err := s.Client().Keys(ctx, "*").Result()
	if err != nil {
		t.Fatalf("KEYS * = %v", err)
	}
	counts := map[string]int{}
	for _, k := range keys {
		tag := hashTag(k)
		counts[tag]++
		if !strings.HasPrefix(k, tag+":{"+tag+"}:") {
			t.Errorf("key %q does not start with its installation's prefix and tag", k)
		}
	}
	if counts["ff"] < 10 || counts["plant2"] == 0 || len(counts) != 2 {
		t.Fatalf("keys by hash tag = %v (keys %q), want tags ff (>=10 keys) and plant2 only", counts, keys)
	}
	for _, want := range []string{"idem:k0", "report:", "receipts", "idx:all", "idx:line:sx-1", "idx:category:quality",
		"idx:severity:medium", "idx:status:triaged", "schema", "queue:report", "queue:report:leases", "queue:report:retries",
		"queue:report:errors", "queue:report:dead", "queue:photo", "jobs", "dead", "acked", "tokens", "secret"} {
		found := false
		for _, k := range keys {
			found = found || strings.HasPrefix(k, "ff:{ff}:"+want)
		}
		if !found {
			t.Errorf("no key ff:{ff}:%s* among %q: test does not cover every kind of key", want, keys)
		}
	}
	page, err := other.FindReports(ctx, store.Filter{})
	if err != nil || len(page.Reports) != 1 {
		t.Fatalf("FindReports(plant2) = %d reports, %v; want its 1 report only", len(page.Reports), err)
	}
}

// hashTag returns what Redis Cluster hashes for key: the first non-empty {…}.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

func mustFirstID(t *testing.T, s *Store) string {
	t.Helper()
	page, err := s.FindReports(ctxT(t), store.Filter{Limit: 1})
	if err != nil || len(page.Reports) != 1 {
		t.Fatalf("FindReports(limit 1) = %+v, %v", page, err)
	}
	return page.Reports[0].ID
}

func mustNil(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v", what, err)
	}
}

// TestSubmitScriptRerun runs the submit script twice with the same
// arguments, as go-redis does when it resends a command after a dropped
// connection: one report, one job.
func TestSubmitScriptRerun(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := mustOpen(t, testutil.StartRedis(t).URL, Options{})
	sub := storetest.MakeSubmission("rerun", base, nil)
	keys, args, err := s.submitArgs(sub)
	if err != nil {
		t.Fatalf("submitArgs = %v", err)
	}
	for i, want := range []int64{1, 0} {
		res, err := submitScript.Run(ctx, s.c, keys, args...).Slice()
		if err != nil || len(res) < 2 || res[0] != want || res[1] != sub.Report.ID {
			t.Fatalf("run %d of submit script = %v, %v; want {%d, %s}", i+1, res, err, want, sub.Report.ID)
		}
	}
	if n := s.c.XLen(ctx, s.k.stream(store.QueueReport)).Val(); n != 1 {
		t.Fatalf("stream length after two runs = %d, want 1", n)
	}
	if n := s.c.ZCard(ctx, s.k.idxAll()).Val(); n != 1 {
		t.Fatalf("idx:all after two runs = %d entries, want 1", n)
	}
	if st, err := s.QueueStats(ctx, store.QueueReport); err != nil || st.Ready != 1 {
		t.Fatalf("QueueStats = %+v, %v; want 1 ready", st, err)
	}
	got, created, err := s.Submit(ctx, sub)
	if err != nil || created || got.ID != sub.Report.ID {
		t.Fatalf("Submit after reruns = %s, created %v, %v; want replay of %s", got.ID, created, err, sub.Report.ID)
	}
	if ttl := s.c.TTL(ctx, s.k.idem("rerun")).Val(); ttl < store.IdempotencyRetention {
		t.Fatalf("idempotency key TTL = %v, want >= %v", ttl, store.IdempotencyRetention)
	}
}

func TestEnsureSecretFirstWins(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	srv := testutil.StartRedis(t)
	a, b := mustOpen(t, srv.URL, Options{}), mustOpen(t, srv.URL, Options{})
	got, err := a.EnsureSecret(ctx, []byte("first"))
	if err != nil || string(got) != "first" {
		t.Fatalf("EnsureSecret(first) = %q, %v; want first", got, err)
	}
	got, err = b.EnsureSecret(ctx, []byte("second"))
	if err != nil || string(got) != "first" {
		t.Fatalf("second instance EnsureSecret(second) = %q, %v; want the stored first", got, err)
	}
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	srv := testutil.StartRedis(t)
	// Fail fast: no command retries, one dial attempt.
	c := redis.NewClient(&redis.Options{Addr: srv.Socket, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = c.Close() })
	s, err := New(ctx, c, Options{})
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	closed := mustOpen(t, srv.URL, Options{})
	mustNil(t, "Close", closed.Close())
	if _, _, err := closed.Submit(ctx, storetest.MakeSubmission("c", base, nil)); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Submit on a closed store = %v, want ErrUnavailable", err)
	}

	// Stop the server: SHUTDOWN NOSAVE (the test helper stops it only at cleanup).
	_ = s.Client().ShutdownNoSave(ctx).Err() // the connection drops: an error is expected
	if _, _, err := s.Submit(ctx, storetest.MakeSubmission("down", base, nil)); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Submit with the server stopped = %v, want ErrUnavailable", err)
	}
	if _, err := s.Claim(ctx, store.QueueReport, "w", 1, time.Minute); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Claim with the server stopped = %v, want ErrUnavailable", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping with the server stopped = %v, want ErrUnavailable", err)
	}
	if _, err := Open(ctx, srv.URL+"?max_retries=-1", Options{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open with the server stopped = %v, want ErrUnavailable", err)
	}
}

// TestQueueSurvivesLostGroup: if the stream and its group vanish (FLUSHDB,
// a failover that lost writes), the queue creates the group again and
// delivers what was enqueued since.
func TestQueueSurvivesLostGroup(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := mustOpen(t, testutil.StartRedis(t).URL, Options{})
	mustNil(t, "DEL stream", s.c.Del(ctx, s.k.stream(store.QueueReport)).Err())
	sub := storetest.MakeSubmission("lost", base, nil)
	storetest.MustSubmit(t, s, sub) // XADD makes a stream without the group
	jobs, err := s.Claim(ctx, store.QueueReport, "w", 5, time.Minute)
	if err != nil || len(jobs) != 1 || jobs[0].ID != sub.Job.ID {
		t.Fatalf("Claim after the group was lost = %+v, %v; want the job %s", jobs, err, sub.Job.ID)
	}
}

// BenchmarkSubmit measures submissions with 2 and with 64 concurrent
// callers: alone, a submission pays a hand-off to a batcher; together,
// they share pipelines.
//
//	go test -run '^$' -bench Submit -benchtime 3s ./store/redisstore/
func BenchmarkSubmit(b *testing.B) {
	for _, clients := range []int{2, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			s := mustOpen(b, testutil.StartRedis(b).URL, Options{})
			ctx := context.Background()
			var n atomic.Int64
			b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					sub := storetest.MakeSubmission(fmt.Sprint("bench-", i), base.Add(time.Duration(i)*time.Millisecond), nil)
					if _, _, err := s.Submit(ctx, sub); err != nil {
						b.Errorf("Submit = %v", err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submits/s")
		})
	}
}

// Submissions that arrive together share a pipeline; when Redis has lost its
// script cache (a restart, a failover) every one of them must still land.
func TestBatchedSubmitsAfterScriptFlush(t *testing.T) {
	srv := testutil.StartRedis(t)
	s := mustOpen(t, srv.URL, Options{})
	ctx := ctxT(t)
	if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
		t.Fatalf("SCRIPT FLUSH = %v", err)
	}
	const n = 200
	base := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			sub := storetest.MakeSubmission(fmt.Sprint("batch-", i), base.Add(time.Duration(i)*time.Millisecond), nil)
			r, created, err := s.Submit(ctx, sub)
			if err != nil || !created || r.ID != sub.Report.ID {
				errs <- fmt.Errorf("Submit(%d) = %s created %v, %v; want %s created", i, r.ID, created, err, sub.Report.ID)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st, err := s.QueueStats(ctx, store.QueueReport); err != nil || st.Ready != n {
		t.Fatalf("QueueStats = %+v, %v; want %d ready", st, err, n)
	}

	// One pipeline of several scripts after a flush: each falls back to EVAL.
	if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
		t.Fatalf("SCRIPT FLUSH = %v", err)
	}
	var batch []*submitCall
	for i := range 5 {
		sub := storetest.MakeSubmission(fmt.Sprint("pipe-", i), base.Add(time.Hour+time.Duration(i)*time.Millisecond), nil)
		keys, args, err := s.submitArgs(sub)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, &submitCall{keys: keys, args: args, done: make(chan submitResult, 1)})
	}
	s.submit.send(batch)
	for i, c := range batch {
		if r := <-c.done; r.err != nil || len(r.vals) < 2 || r.vals[0] != int64(1) {
			t.Errorf("pipelined submit %d after SCRIPT FLUSH = %v, %v; want created", i, r.vals, r.err)
		}
	}
}

// A stream entry whose job does not decode is never delivered to a worker;
// after its last lease it becomes a dead letter that is listed (by its
// entry id), not deleted unseen.
func TestUndecodableJobBecomesAVisibleDeadLetter(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, testutil.StartRedis(t).URL, Options{})
	ctx := ctxT(t)
	eid, err := s.c.XAdd(ctx, &redis.XAddArgs{Stream: s.k.stream(store.QueueMail), Values: []any{"job", "{not json"}}).Result()
	mustNil(t, "XADD garbage", err)
	const lease = 20 * time.Millisecond
	for i := range store.MaxAttempts + 1 {
		jobs, err := s.Claim(ctx, store.QueueMail, "w", 10, lease)
		if err != nil || len(jobs) != 0 {
			t.Fatalf("Claim %d = %+v, %v; want no decodable job", i+1, jobs, err)
		}
		time.Sleep(2 * lease)
	}
	dead, err := s.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 || dead[0].ID != "undecodable-"+eid || dead[0].Queue != store.QueueMail || dead[0].Attempt != store.MaxAttempts {
		t.Fatalf("DeadLetters = %+v, %v; want undecodable-%s in queue mail after %d deliveries", dead, err, eid, store.MaxAttempts)
	}
	if st, err := s.QueueStats(ctx, store.QueueMail); err != nil || st != (store.QueueStats{Dead: 1}) {
		t.Fatalf("QueueStats(mail) = %+v, %v; want just the one dead letter", st, err)
	}
}

// Consumers idle past the limit with nothing pending are removed; one that
// holds a job keeps it (and stays).
func TestPruneIdleConsumers(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, testutil.StartRedis(t).URL, Options{})
	ctx := ctxT(t)
	// Three deploys' worth of consumer names: two finished their jobs, one
	// still holds one.
	for _, pod := range []string{"old-pod-1", "old-pod-2", "old-pod-3"} {
		mustNil(t, "Enqueue", s.Enqueue(ctx, store.Job{ID: "job-of-" + pod, Type: store.JobMail, EnqueuedAt: time.Now()}))
		jobs, err := s.Claim(ctx, store.QueueMail, pod, 1, time.Hour)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("Claim(%s) = %+v, %v", pod, jobs, err)
		}
		if pod != "old-pod-2" {
			mustNil(t, "Ack", s.Ack(ctx, jobs[0]))
		}
	}
	// Recently active consumers are kept whatever they hold.
	if n, err := s.pruneConsumers(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("pruneConsumers(1h) = %d, %v; want 0: every consumer was active just now", n, err)
	}
	time.Sleep(20 * time.Millisecond)
	n, err := s.pruneConsumers(ctx, 10*time.Millisecond)
	if err != nil || n != 2 {
		t.Fatalf("pruneConsumers = %d, %v; want old-pod-1 and old-pod-3 removed", n, err)
	}
	cs, err := s.c.XInfoConsumers(ctx, s.k.stream(store.QueueMail), consumerGroup).Result()
	if err != nil || len(cs) != 1 || cs[0].Name != "old-pod-2" || cs[0].Pending != 1 {
		t.Fatalf("consumers after pruning = %+v, %v; want only old-pod-2 with its pending job", cs, err)
	}
	if st, err := s.QueueStats(ctx, store.QueueMail); err != nil || st.InFlight != 1 {
		t.Fatalf("QueueStats(mail) = %+v, %v; want old-pod-2's job still in flight", st, err)
	}
	if n, err := s.pruneConsumers(ctx, 10*time.Millisecond); err != nil || n != 0 {
		t.Fatalf("pruneConsumers again = %d, %v; want 0", n, err)
	}
}
