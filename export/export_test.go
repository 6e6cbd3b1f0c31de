package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/export"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/storetest"
)

// fill puts one of everything, several times, into s.
func fill(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	for i := range 40 {
		sub := storetest.MakeSubmission(fmt.Sprintf("key-%d", i), base.Add(time.Duration(i)*time.Minute), func(r *store.Report) {
			r.Title = fmt.Sprintf("萃取槽 %d 泵漏油 / pump %d leaking", i, i)
			if i%3 == 0 {
				r.Severity = store.SeverityCritical
				r.Team = "separation"
			}
		})
		storetest.MustSubmit(t, s, sub)
	}
	// Process half of them (claim, update, ack), fail a few to dead letters.
	jobs, err := s.Claim(ctx, store.QueueReport, "t", 20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range jobs {
		if i < 5 {
			continue // left in flight: exported as live jobs
		}
		if _, err := s.UpdateReport(ctx, j.ReportID, func(r *store.Report) error {
			at := base.Add(time.Hour)
			r.ProcessedAt, r.Status = &at, store.StatusReceived
			r.History = append(r.History, store.Event{At: at, By: "system", Action: store.ActionProcessed, From: "new", To: "received"})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Ack(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	// Two alert jobs fail every delivery: dead letters.
	for i := range 2 {
		if err := s.Enqueue(ctx, store.Job{ID: fmt.Sprint("alert:r", i), Type: store.JobAlert, ReportID: fmt.Sprint("r", i), EnqueuedAt: base}); err != nil {
			t.Fatal(err)
		}
	}
	for range store.MaxAttempts {
		js, err := s.Claim(ctx, store.QueueAlert, "t", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range js {
			if err := s.Fail(ctx, j, "smtp: connection refused", 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 3 {
		if err := s.Enqueue(ctx, store.Job{ID: fmt.Sprintf("brief:team-%d", i), Type: store.JobBrief, Payload: []byte(`{"team":"x"}`), EnqueuedAt: base}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if err := s.CreateToken(ctx, store.APIToken{ID: fmt.Sprint("tok-", i), Name: fmt.Sprint("mes-", i), Hash: fmt.Sprint("hash-", i), CreatedAt: base}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.TouchToken(ctx, "hash-1", base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for i := range 700 { // more than one ListRecords page
		if err := s.PutRecord(ctx, "auth.sessions", fmt.Sprintf("s%04d", i), []byte{byte(i), 0, 0xff}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutRecord(ctx, "auth.users", "ada", []byte(`{"role":"admin"}`)); err != nil {
		t.Fatal(err)
	}
}

// lines exports s and returns its lines without the header, sorted, with
// what legitimately differs between backends and imports normalised.
func lines(t *testing.T, s store.Store, dropImportJobs bool) []string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := export.Write(context.Background(), &buf, s.(export.Source), []byte("the-secret-0123456789"), "test"); err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if i == 0 {
			continue // header: its time differs
		}
		var v export.Line
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		switch {
		case v.Kind == export.KindJob && dropImportJobs && strings.HasPrefix(v.Job.ID, "import:"):
			continue
		case v.Kind == export.KindJob:
			v.Job.Attempt = 0 // deliveries start again after an import
		case v.Kind == export.KindDeadJob:
			v.Job.DeadAt = v.Job.DeadAt.Truncate(time.Millisecond) // Redis keeps milliseconds
		case v.Kind == export.KindIdempotency:
			v.Idempotency.CreatedAt = time.Time{} // Redis knows it to within its TTL
		case v.Kind == export.KindEnd:
			continue // counts checked by Read
		}
		b, _ := json.Marshal(v)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

// TestExportImportAcrossBackends: everything exported from one backend and
// imported into the other (both ways) exports again identically, line by
// line; the secret comes across; a replay of an old idempotency key is
// answered with the same report; a second import is refused.
func TestExportImportAcrossBackends(t *testing.T) {
	all := backends.All()
	for _, from := range all {
		for _, to := range all {
			if from.Name == to.Name {
				continue
			}
			t.Run(from.Name+"_to_"+to.Name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				src := from.Open(t)
				fill(t, src)
				want := lines(t, src, false)

				var buf bytes.Buffer
				counts, err := export.Write(ctx, &buf, src.(export.Source), []byte("the-secret-0123456789"), from.Name)
				if err != nil {
					t.Fatal(err)
				}
				if counts[export.KindReport] != 40 || counts[export.KindDeadJob] != 2 || counts[export.KindToken] != 3 || counts[export.KindRecord] != 701 {
					t.Fatalf("export counts = %v", counts)
				}
				dst := to.Open(t)
				secret, got, err := export.Read(ctx, bytes.NewReader(buf.Bytes()), dst.(export.Target))
				if err != nil {
					t.Fatal(err)
				}
				if string(secret) != "the-secret-0123456789" || got[export.KindReport] != 40 {
					t.Fatalf("import: secret %q, counts %v", secret, got)
				}
				if diff := cmpLines(want, lines(t, dst, true)); diff != "" {
					t.Fatalf("export after import differs:\n%s", diff)
				}
				// A phone's outbox replays an old key: answered with the same
				// report, nothing new stored.
				old, err := src.ReportByIdempotencyKey(ctx, "key-7", "hash-of-萃取槽 7 泵漏油 / pump 7 leaking/sx-1")
				if err != nil {
					t.Fatal(err)
				}
				replay := storetest.MakeSubmission("key-7", time.Now(), func(r *store.Report) { r.Title = old.Title })
				r, created, err := dst.Submit(ctx, replay)
				if err != nil || created || r.ID != old.ID {
					t.Fatalf("replay of an imported key: %s created=%v %v; want the old report %s", r.ID, created, err, old.ID)
				}
				// Filters work on imported reports (indexes built).
				page, err := dst.FindReports(ctx, store.Filter{Severity: store.SeverityCritical})
				if err != nil || len(page.Reports) != 14 {
					t.Fatalf("critical reports after import: %d, %v", len(page.Reports), err)
				}
				if _, _, err := export.Read(ctx, bytes.NewReader(buf.Bytes()), dst.(export.Target)); !errors.Is(err, export.ErrNotEmpty) {
					t.Fatalf("second import = %v, want ErrNotEmpty", err)
				}
			})
		}
	}
}

// TestImportRefusesDamagedFiles: a cut file, a file of a newer version,
// and an unknown kind are refused with a message, not half-imported silently.
func TestImportRefusesDamagedFiles(t *testing.T) {
	ctx := context.Background()
	src := backends.Bolt(t)
	fill(t, src)
	var buf bytes.Buffer
	if _, err := export.Write(ctx, &buf, src.(export.Source), nil, "bolt"); err != nil {
		t.Fatal(err)
	}
	full := buf.String()
	ls := strings.Split(strings.TrimSpace(full), "\n")
	cases := map[string]struct{ file, want string }{
		"cut":           {strings.Join(ls[:len(ls)-1], "\n") + "\n", "without its trailer"},
		"newer":         {strings.Replace(full, `"version":1`, `"version":9`, 1), "newer than this floorfeed"},
		"unknown kind":  {strings.Replace(full, `{"kind":"end"`, `{"kind":"hologram"}`+"\n"+`{"kind":"end"`, 1), "unknown line kind"},
		"not an export": {"hello\n", "not a floorfeed export"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := export.Read(ctx, strings.NewReader(tc.file), backends.Bolt(t).(export.Target))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func cmpLines(want, got []string) string {
	var b strings.Builder
	for _, w := range want {
		if !slices.Contains(got, w) {
			fmt.Fprintf(&b, "- %s\n", w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			fmt.Fprintf(&b, "+ %s\n", g)
		}
	}
	return b.String()
}
