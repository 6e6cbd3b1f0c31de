package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
	bolt "go.etcd.io/bbolt"
)

// The schema-1 layout, as the code at commit 0025e45 wrote it, reproduced
// here byte for byte without the package's own helpers, so a later change
// to them cannot make this test agree with itself.

// v1Job is store.Job at 0025e45 (no Queue field).
type v1Job struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	ReportID   string    `json:"report_id,omitempty"`
	Payload    []byte    `json:"payload,omitempty"`
	EnqueuedAt time.Time `json:"enqueued_at"`
	Attempt    int       `json:"attempt,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	DeadAt     time.Time `json:"dead_at,omitzero"`
	Handle     string    `json:"handle,omitempty"`
}

// v1JobRecord is the value of the v1 jobs bucket.
type v1JobRecord struct {
	Job      v1Job  `json:"job"`
	ReadyAt  int64  `json:"ready_at"`
	Leased   bool   `json:"leased,omitempty"`
	Consumer string `json:"consumer,omitempty"`
}

func be64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func nsKey(t time.Time, suffix string) []byte {
	return append(be64(uint64(t.UnixNano())), suffix...)
}

// v1IndexKey is 0025e45's indexKey: value (NUL → 0x01), then NUL.
func v1IndexKey(v string) []byte {
	return append([]byte(strings.ReplaceAll(v, "\x00", "\x01")), 0)
}

// v1Fixture is what writeV1 stores.
type v1Fixture struct {
	subs []store.Submission
	// jobs by what state they were in under v1
	waiting, inFlight, retrying, lastLease, dead v1Job
	retryAt                                      time.Time
	token                                        store.APIToken
}

// writeV1 creates a schema-1 file at path with four reports and a job in
// every queue state, all at clock time now.
func writeV1(t *testing.T, path string, now time.Time) v1Fixture {
	t.Helper()
	var fx v1Fixture
	for i, mod := range []func(*store.Report){
		nil,
		func(r *store.Report) { r.Line, r.Severity = "calc-2", store.SeverityCritical },
		func(r *store.Report) { r.Category, r.Status = "safety", store.StatusTriaged },
		func(r *store.Report) { r.Line, r.Category, r.Severity = "sinter-1", "yield", store.SeverityLow },
	} {
		fx.subs = append(fx.subs, storetest.MakeSubmission("v1-key-"+string(rune('a'+i)), now.Add(-time.Duration(4-i)*time.Hour), mod))
	}
	// v1 gave every report its line's team but had no team index.
	for i := range fx.subs {
		fx.subs[i].Report.Team = []string{"separation", "magnets"}[i%2]
	}
	job := func(n int, typ string) v1Job {
		return v1Job{ID: store.NewID(now.Add(-time.Duration(n) * time.Minute)), Type: typ, ReportID: fx.subs[n%4].Report.ID,
			Payload: []byte(`{"v":1}`), EnqueuedAt: now.Add(-time.Hour)}
	}
	fx.waiting = job(0, store.JobProcessReport)
	fx.inFlight = job(1, store.JobProcessReport)
	fx.inFlight.Attempt, fx.inFlight.Handle = 2, "2-00112233aabbccdd"
	fx.retrying = job(2, store.JobProcessReport)
	fx.retrying.Attempt, fx.retrying.LastError = 3, "smtp down"
	fx.retryAt = now.Add(10 * time.Minute)
	fx.lastLease = job(3, store.JobProcessReport)
	fx.lastLease.Attempt, fx.lastLease.Handle = store.MaxAttempts, "5-8899aabbccddeeff"
	fx.dead = job(4, store.JobProcessReport)
	fx.dead.Attempt, fx.dead.LastError, fx.dead.DeadAt = store.MaxAttempts, "pdf render failed", now.Add(-30*time.Minute)
	fx.token = store.APIToken{ID: "tok-1", Name: "mes-bridge", Hash: "feedface", CreatedAt: now.Add(-48 * time.Hour)}

	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatalf("bolt.Open(%s) = %v", path, err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := map[string]*bolt.Bucket{}
		for _, name := range []string{"reports", "receipts", "idem", "idem_time", "idx_line", "idx_category",
			"idx_severity", "idx_status", "idx_counts", "jobs", "ready", "dead", "tokens", "meta"} {
			bk, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			b[name] = bk
		}
		counts := map[string]uint64{}
		for _, sub := range fx.subs {
			r := sub.Report
			data, err := json.Marshal(&r)
			if err != nil {
				return err
			}
			must(t, b["reports"].Put([]byte(r.ID), data))
			must(t, b["receipts"].Put([]byte(r.Receipt), []byte(r.ID)))
			idem, _ := json.Marshal(map[string]any{"report_id": r.ID, "hash": sub.PayloadHash, "created": r.CreatedAt.UnixNano()})
			must(t, b["idem"].Put([]byte(sub.IdempotencyKey), idem))
			must(t, b["idem_time"].Put(nsKey(r.CreatedAt, sub.IdempotencyKey), nil))
			for _, ix := range []struct{ name, bucket, value string }{
				{"status", "idx_status", string(r.Status)}, {"severity", "idx_severity", string(r.Severity)},
				{"category", "idx_category", r.Category}, {"line", "idx_line", r.Line},
			} {
				must(t, b[ix.bucket].Put(append(v1IndexKey(ix.value), r.ID...), nil))
				counts[ix.name+"\x00"+string(v1IndexKey(ix.value))]++
			}
		}
		for k, n := range counts {
			must(t, b["idx_counts"].Put([]byte(k), be64(n)))
		}
		put := func(j v1Job, readyAt time.Time, leased bool) {
			rec := v1JobRecord{Job: j, ReadyAt: readyAt.UnixNano(), Leased: leased}
			state := []byte{'w'}
			if leased {
				rec.Consumer, state[0] = "old-worker", 'l'
			}
			v, err := json.Marshal(rec)
			must(t, err)
			must(t, b["jobs"].Put([]byte(j.ID), v))
			must(t, b["ready"].Put(nsKey(readyAt, j.ID), state))
		}
		put(fx.waiting, now.Add(-time.Hour), false)
		put(fx.inFlight, now.Add(time.Hour), true) // lease runs for another hour
		put(fx.retrying, fx.retryAt, false)
		put(fx.lastLease, now.Add(time.Hour), true)
		dv, err := json.Marshal(fx.dead)
		must(t, err)
		must(t, b["dead"].Put(nsKey(fx.dead.DeadAt, fx.dead.ID), dv))
		tv, err := json.Marshal(fx.token)
		must(t, err)
		must(t, b["tokens"].Put([]byte(fx.token.Hash), tv))
		must(t, b["meta"].Put([]byte("schema"), be64(1)))
		must(t, b["meta"].Put([]byte("jobs"), be64(4)))
		must(t, b["meta"].Put([]byte("dead"), be64(1)))
		return nil
	})
	if err != nil {
		t.Fatalf("write v1 fixture: %v", err)
	}
	return fx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrateV1 opens a schema-1 file with this code: every report is
// readable and findable by each index, every job is in the report queue in
// the state it had (in flight becomes ready), and opening again changes
// nothing.
func TestMigrateV1(t *testing.T) {
	clock := newClock()
	path := filepath.Join(t.TempDir(), "floorfeed.db")
	fx := writeV1(t, path, clock.Now())
	ctx := ctxT(t)

	s := mustOpen(t, path, Options{Now: clock.Now})
	checkReports := func(s *Store) {
		t.Helper()
		for _, sub := range fx.subs {
			r := sub.Report
			if got, err := s.Report(ctx, r.ID); err != nil || got.Title != r.Title || got.Line != r.Line {
				t.Fatalf("after migration Report(%s) = %+v, %v; want the v1 report", r.ID, got, err)
			}
			if got, err := s.ReportByReceipt(ctx, r.Receipt); err != nil || got.ID != r.ID {
				t.Fatalf("after migration ReportByReceipt = %s, %v; want %s", got.ID, err, r.ID)
			}
			for _, f := range []store.Filter{{Line: r.Line}, {Category: r.Category}, {Severity: r.Severity}, {Status: r.Status}, {Team: r.Team}} {
				page, err := s.FindReports(ctx, f)
				found := false
				for _, got := range page.Reports {
					found = found || got.ID == r.ID
				}
				if err != nil || !found {
					t.Fatalf("after migration FindReports(%+v) = %d reports, %v; want it to include %s", f, len(page.Reports), err, r.ID)
				}
			}
			if got, created, err := s.Submit(ctx, sub); err != nil || created || got.ID != r.ID {
				t.Fatalf("after migration Submit(replay of %s) = %s created %v, %v; want a replay of %s", sub.IdempotencyKey, got.ID, created, err, r.ID)
			}
		}
		if page, err := s.FindReports(ctx, store.Filter{Severity: store.SeverityCritical}); err != nil || len(page.Reports) != 1 || page.Reports[0].ID != fx.subs[1].Report.ID {
			t.Fatalf("after migration FindReports(critical) = %+v, %v; want only %s", page.Reports, err, fx.subs[1].Report.ID)
		}
		if tok, err := s.TokenByHash(ctx, fx.token.Hash); err != nil || tok.ID != fx.token.ID {
			t.Fatalf("after migration TokenByHash = %+v, %v; want %+v", tok, err, fx.token)
		}
	}
	wantStats := func(s *Store, want store.QueueStats, when string) {
		t.Helper()
		for _, q := range store.Queues {
			w := store.QueueStats{}
			if q == store.QueueReport {
				w = want
			}
			if got, err := s.QueueStats(ctx, q); err != nil || got != w {
				t.Fatalf("QueueStats(%s) %s = %+v, %v; want %+v", q, when, got, err, w)
			}
		}
	}
	checkReports(s)
	wantStats(s, store.QueueStats{Ready: 4, Dead: 1}, "right after migration")
	s = reopen(t, s, clock) // migrating again must change nothing
	checkReports(s)
	wantStats(s, store.QueueStats{Ready: 4, Dead: 1}, "after reopening")
	if err := s.db.View(func(tx *bolt.Tx) error {
		for _, name := range []string{"jobs", "ready", "dead"} {
			if tx.Bucket([]byte(name)) != nil {
				t.Errorf("v1 bucket %s still there after migration", name)
			}
		}
		if v := tx.Bucket(bMeta).Get(metaSchema); binary.BigEndian.Uint64(v) != store.SchemaVersion {
			t.Errorf("meta schema = %x after migration, want %d", v, store.SchemaVersion)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// The waiting job and the in-flight one are due now, with their attempts
	// counted so far; the one on its last lease is dead-lettered as a lease
	// expiry would; the retrying one waits for its retry time.
	jobs, err := s.Claim(ctx, store.QueueReport, "w", 10, time.Hour)
	if err != nil || len(jobs) != 2 || jobs[0].ID != fx.waiting.ID || jobs[0].Attempt != 1 ||
		jobs[1].ID != fx.inFlight.ID || jobs[1].Attempt != 3 {
		t.Fatalf("Claim(report) after migration = %+v, %v; want %s on attempt 1 then %s on attempt 3", jobs, err, fx.waiting.ID, fx.inFlight.ID)
	}
	for _, j := range jobs {
		if j.Queue != store.QueueReport || j.ReportID == "" || string(j.Payload) != `{"v":1}` {
			t.Fatalf("migrated job = %+v; want queue report with its report id and payload", j)
		}
	}
	clock.Advance(10 * time.Minute)
	retried, err := s.Claim(ctx, store.QueueReport, "w", 10, time.Hour)
	if err != nil || len(retried) != 1 || retried[0].ID != fx.retrying.ID || retried[0].Attempt != 4 || retried[0].LastError != "smtp down" {
		t.Fatalf("Claim(report) at the retry time = %+v, %v; want %s on attempt 4 after %q", retried, err, fx.retrying.ID, "smtp down")
	}
	dead, err := s.DeadLetters(ctx, 0)
	if err != nil || len(dead) != 2 {
		t.Fatalf("DeadLetters after migration = %+v, %v; want 2", dead, err)
	}
	if d := dead[0]; d.ID != fx.lastLease.ID || d.Queue != store.QueueReport || d.Attempt != store.MaxAttempts || !strings.HasPrefix(d.LastError, "lease expired") {
		t.Fatalf("newest dead letter = %+v; want %s (its last lease ended with the migration)", d, fx.lastLease.ID)
	}
	if d := dead[1]; d.ID != fx.dead.ID || d.Queue != store.QueueReport || d.Attempt != store.MaxAttempts ||
		d.LastError != fx.dead.LastError || !d.DeadAt.Equal(fx.dead.DeadAt) || d.ReportID != fx.dead.ReportID {
		t.Fatalf("older dead letter = %+v; want the v1 dead job %+v", d, fx.dead)
	}
	if err := s.RetryDead(ctx, fx.dead.ID); err != nil {
		t.Fatalf("RetryDead(v1 dead job) = %v", err)
	}
	if again, err := s.Claim(ctx, store.QueueReport, "w", 10, time.Hour); err != nil || len(again) != 1 || again[0].ID != fx.dead.ID || again[0].Attempt != 1 {
		t.Fatalf("Claim after RetryDead = %+v, %v; want %s on attempt 1", again, err, fx.dead.ID)
	}
	wantStats(s, store.QueueStats{InFlight: 4, Dead: 1}, "after claiming every migrated job")
}

func reopen(t *testing.T, s *Store, clock interface{ Now() time.Time }) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	return mustOpen(t, s.path, Options{Now: clock.Now})
}

// TestNewerSchemaRefused: a file written by a newer floorfeed is not
// opened, read-write or read-only, and the error says what to do.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "floorfeed.db")
	s := mustOpen(t, path, Options{})
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(metaSchema, be64(99)) }); err != nil {
		t.Fatal(err)
	}
	must(t, s.Close())
	for _, ro := range []bool{false, true} {
		_, err := Open(path, Options{ReadOnly: ro})
		if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), "upgrade floorfeed") || !strings.Contains(err.Error(), "version 99") {
			t.Fatalf("Open(schema 99, read-only %v) = %v; want ErrSchemaTooNew saying version 99 and to upgrade floorfeed", ro, err)
		}
	}
}

// TestReadOnlyV1Refused: a read-only open cannot migrate, and says how to.
func TestReadOnlyV1Refused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "floorfeed.db")
	writeV1(t, path, time.Now())
	if _, err := Open(path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "read-write") {
		t.Fatalf("Open(schema 1, read-only) = %v; want an error saying to open it read-write once", err)
	}
}

// TestMigrateV2: a schema-2 file (no records bucket) opens with its reports
// intact, gains the records bucket and records schema 3; records then work.
func TestMigrateV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "floorfeed.db")
	s := mustOpen(t, path, Options{})
	ctx := context.Background()
	sub := storetest.MakeSubmission("v2-report", time.Now(), nil)
	if _, _, err := s.Submit(ctx, sub); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bRecords); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(metaSchema, be64(2))
	}); err != nil {
		t.Fatal(err)
	}
	must(t, s.Close())
	if _, err := Open(path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "older") {
		t.Fatalf("read-only open of a schema-2 file = %v; want a message to migrate it", err)
	}
	s = mustOpen(t, path, Options{})
	if r, err := s.Report(ctx, sub.Report.ID); err != nil || r.Title != sub.Report.Title {
		t.Fatalf("report after migration: %+v, %v", r, err)
	}
	if err := s.PutRecord(ctx, "c", "k", []byte("v")); err != nil {
		t.Fatalf("records after migration: %v", err)
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(metaSchema); binary.BigEndian.Uint64(v) != store.SchemaVersion {
			t.Errorf("schema after migration = %x", v)
		}
		return nil
	})
}
