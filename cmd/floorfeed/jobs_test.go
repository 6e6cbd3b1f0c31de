package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
)

// killJobs enqueues jobs with ids in the data dir's store and fails each
// until it is dead-lettered, with no server running.
func killJobs(t *testing.T, dir string, ids ...string) {
	t.Helper()
	ctx := context.Background()
	s, err := boltstore.Open(filepath.Join(dir, dbFileName), boltstore.Options{})
	if err != nil {
		t.Fatalf("boltstore.Open = %v", err)
	}
	defer s.Close()
	for _, id := range ids {
		if err := s.Enqueue(ctx, store.Job{ID: id, Type: store.JobMail, EnqueuedAt: time.Now()}); err != nil {
			t.Fatalf("Enqueue(%s) = %v", id, err)
		}
	}
	for range store.MaxAttempts {
		jobs, err := s.Claim(ctx, store.QueueMail, "test", len(ids), time.Minute)
		if err != nil || len(jobs) != len(ids) {
			t.Fatalf("Claim = %d jobs, %v; want %d", len(jobs), err, len(ids))
		}
		for _, j := range jobs {
			if err := s.Fail(ctx, j, "smtp: 550 mailbox unavailable", 0); err != nil {
				t.Fatalf("Fail(%s) = %v", j.ID, err)
			}
		}
	}
}

func deadJobs(t *testing.T, env map[string]string) []handlers.AdminDeadJob {
	t.Helper()
	out, _, err := runCLI(t, env, "jobs", "dead", "--json")
	var jobs []handlers.AdminDeadJob
	if err != nil || json.Unmarshal([]byte(out), &jobs) != nil {
		t.Fatalf("jobs dead --json = %q, %v", out, err)
	}
	return jobs
}

func TestJobsDeadAndRetry(t *testing.T) {
	for _, mode := range []string{"in-process", "through the socket"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"FLOORFEED_DATA_DIR": dir}
			mustToken(t, env, "makes-the-store")
			killJobs(t, dir, "mail-1", "mail-2", "mail-3")
			if mode == "through the socket" {
				startServe(t, env, "--log-level", "error", "--workers", "0")
			}

			jobs := deadJobs(t, env)
			if len(jobs) != 3 {
				t.Fatalf("jobs dead = %+v, want the 3 dead mail jobs", jobs)
			}
			for _, j := range jobs {
				if j.Queue != store.QueueMail || j.Type != store.JobMail || j.Attempt != store.MaxAttempts || !strings.Contains(j.LastError, "550") {
					t.Fatalf("dead job = %+v, want a mail job after %d attempts with its last error", j, store.MaxAttempts)
				}
			}
			out, _, err := runCLI(t, env, "jobs", "dead")
			if err != nil || !strings.Contains(out, "LAST ERROR") || !strings.Contains(out, "mail-2") || !strings.Contains(out, "smtp: 550") {
				t.Fatalf("jobs dead = %q, %v; want a table with the jobs and their errors", out, err)
			}

			for _, args := range [][]string{{"jobs", "retry"}, {"jobs", "retry", "mail-1", "--all"}} {
				if _, _, err := runCLI(t, env, args...); func() int { c, _ := exitOf(err); return c }() != 2 {
					t.Fatalf("%v = %v, want exit 2 (ID or --all)", args, err)
				}
			}
			if out, _, err := runCLI(t, env, "jobs", "retry", "mail-2"); err != nil || !strings.Contains(out, "retried mail-2") {
				t.Fatalf("jobs retry mail-2 = %q, %v", out, err)
			}
			_, _, err = runCLI(t, env, "jobs", "retry", "mail-2")
			if code, msg := exitOf(err); code != 1 || !strings.Contains(msg, "no dead job") {
				t.Fatalf("jobs retry mail-2 (again) = exit %d %q, want 1 saying there is no such dead job", code, msg)
			}
			if jobs := deadJobs(t, env); len(jobs) != 2 {
				t.Fatalf("jobs dead after one retry = %+v, want 2", jobs)
			}
			if out, _, err := runCLI(t, env, "jobs", "retry", "--all"); err != nil || !strings.Contains(out, "retried 2 dead jobs") {
				t.Fatalf("jobs retry --all = %q, %v", out, err)
			}
			if out, _, err := runCLI(t, env, "jobs", "dead"); err != nil || !strings.Contains(out, "no dead jobs") {
				t.Fatalf("jobs dead after retrying all = %q, %v", out, err)
			}
			if mode != "in-process" {
				return // the server holds the store
			}
			s, err := boltstore.Open(filepath.Join(dir, dbFileName), boltstore.Options{})
			if err != nil {
				t.Fatalf("boltstore.Open = %v", err)
			}
			defer s.Close()
			claimed, err := s.Claim(context.Background(), store.QueueMail, "after", 10, time.Minute)
			if err != nil || len(claimed) != 3 {
				t.Fatalf("Claim(mail) after retry --all = %d jobs, %v; want the 3 retried", len(claimed), err)
			}
			for _, j := range claimed {
				if j.Attempt != 1 {
					t.Fatalf("retried job %s at attempt %d, want 1", j.ID, j.Attempt)
				}
			}
		})
	}
}

// `floorfeed reindex` puts back index entries a report is missing, and adds
// nothing when none is.
func TestReindexCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"FLOORFEED_DATA_DIR": dir}
	if out, _, err := runCLI(t, env, "demo", "--reports", "20", "--seed", "7"); err != nil {
		t.Fatalf("demo = %q, %v", out, err)
	}
	db, err := bolt.Open(filepath.Join(dir, dbFileName), 0o600, nil)
	if err != nil {
		t.Fatalf("bolt.Open = %v", err)
	}
	// As a report an instance of schema 1 accepted would be: no team entry.
	if err := db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("idx_team")); err != nil {
			return err
		}
		_, err := tx.CreateBucket([]byte("idx_team"))
		return err
	}); err != nil {
		t.Fatalf("empty idx_team = %v", err)
	}
	db.Close()
	out, _, err := runCLI(t, env, "reindex")
	if err != nil || !strings.HasPrefix(out, "added 20 ") {
		t.Fatalf("reindex = %q, %v; want the 20 demo reports' team entries added", out, err)
	}
	if out, _, err := runCLI(t, env, "reindex"); err != nil || !strings.HasPrefix(out, "added 0 ") {
		t.Fatalf("reindex (again) = %q, %v; want nothing to add", out, err)
	}
}
