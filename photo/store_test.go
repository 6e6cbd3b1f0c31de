package photo_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/photo"
	"github.com/floorfeed/floorfeed/store"
)

// photoStores runs fn against each photo store over a fresh store of each
// backend: files (beside the embedded store) and records (as with Redis,
// here on both backends' Records).
func photoStores(t *testing.T, fn func(t *testing.T, st store.Store, ps photo.Store)) {
	for _, be := range backends.All() {
		t.Run(be.Name+"/records", func(t *testing.T) {
			st := be.Open(t)
			fn(t, st, photo.NewRecordStore(st))
		})
	}
	t.Run("bolt/files", func(t *testing.T) {
		fn(t, backends.Bolt(t), photo.NewFileStore(t.TempDir()+"/photos"))
	})
}

func TestStoreConformance(t *testing.T) {
	photoStores(t, func(t *testing.T, _ store.Store, ps photo.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
		id := store.NewID(now)
		if _, err := ps.Get(ctx, id, "p1", photo.Full); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
		}
		if got, err := ps.Candidates(ctx, now.Add(-time.Hour), now.Add(time.Hour)); err != nil || len(got) != 0 {
			t.Fatalf("Candidates(empty) = %v, %v", got, err)
		}
		big := bytes.Repeat([]byte{7}, photo.MaxBytes)
		if err := ps.Put(ctx, id, "p1", photo.Original, big); err != nil {
			t.Fatalf("Put(10 MB original): %v", err)
		}
		if err := ps.Put(ctx, id, "p1", photo.Full, []byte("full")); err != nil {
			t.Fatal(err)
		}
		if b, err := ps.Get(ctx, id, "p1", photo.Original); err != nil || !bytes.Equal(b, big) {
			t.Fatalf("Get(original) = %d bytes, %v", len(b), err)
		}
		for _, bad := range []string{"../etc", "a/b", "", "x y"} {
			if err := ps.Put(ctx, bad, "p1", photo.Full, nil); err == nil {
				t.Errorf("Put(report id %q) = nil, want an error", bad)
			}
			if _, err := ps.Get(ctx, id, bad, photo.Full); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get(photo id %q) = %v, want ErrNotFound", bad, err)
			}
		}
		got, err := ps.Candidates(ctx, now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil || len(got) != 1 || got[0] != id {
			t.Fatalf("Candidates = %v, %v; want [%s]", got, err, id)
		}
		if got, _ := ps.Candidates(ctx, now.Add(time.Minute), now.Add(time.Hour)); len(got) != 0 {
			t.Errorf("Candidates(after the id) = %v, want none", got)
		}
		if err := ps.Delete(ctx, id, "p1", photo.Original); err != nil {
			t.Fatal(err)
		}
		if err := ps.Delete(ctx, id, "p1", photo.Original); err != nil {
			t.Errorf("Delete(absent) = %v, want nil", err)
		}
		if _, err := ps.Get(ctx, id, "p1", photo.Original); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(deleted) = %v", err)
		}
		if err := ps.DeleteReport(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := ps.Get(ctx, id, "p1", photo.Full); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get after DeleteReport = %v", err)
		}
	})
}

func smallJPEG(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 40, 30)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The sweeper deletes the photos of a submission whose report never came,
// once older than the grace period, and keeps those of stored reports.
func TestSweeper(t *testing.T) {
	photoStores(t, func(t *testing.T, st store.Store, ps photo.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		orphan := store.NewID(now.Add(-2 * time.Hour))
		fresh := store.NewID(now.Add(-time.Minute))
		kept := mustReport(t, st, now.Add(-2*time.Hour), nil)
		for _, id := range []string{orphan, fresh, kept} {
			if err := ps.Put(ctx, id, "p1", photo.Original, smallJPEG(t)); err != nil {
				t.Fatal(err)
			}
		}
		sw := &photo.Sweeper{Photos: ps, Reports: st, Now: func() time.Time { return now }}
		n, err := sw.Sweep(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Sweep = %d, %v; want 1 deleted", n, err)
		}
		if _, err := ps.Get(ctx, orphan, "p1", photo.Original); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("orphan's photo after the sweep: %v", err)
		}
		for _, id := range []string{fresh, kept} {
			if _, err := ps.Get(ctx, id, "p1", photo.Original); err != nil {
				t.Errorf("photo of %s after the sweep: %v, want kept", id, err)
			}
		}
	})
}

func mustReport(t *testing.T, st store.Store, at time.Time, photos []store.Photo) string {
	t.Helper()
	id := store.NewID(at)
	_, _, err := st.Submit(context.Background(), store.Submission{
		Report: store.Report{ID: id, Code: store.NewCode(), Receipt: "r-" + id, Line: "sx-1", Category: "other",
			Severity: store.SeverityLow, Title: "t", Status: store.StatusNew, CreatedAt: at, UpdatedAt: at, Photos: photos},
		IdempotencyKey: "k-" + id, PayloadHash: "h",
		Job: store.Job{ID: store.NewID(at), Type: store.JobProcessReport, ReportID: id, EnqueuedAt: at},
	})
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return id
}

// The photo job re-encodes, marks ready, deletes the original; a second
// delivery changes nothing; a photo that does not decode is marked failed.
func TestProcessorJob(t *testing.T) {
	photoStores(t, func(t *testing.T, st store.Store, ps photo.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		id := mustReport(t, st, now, []store.Photo{
			{ID: "good", Width: 40, Height: 30, State: store.PhotoPending},
			{ID: "bad", Width: 10, Height: 10, State: store.PhotoPending},
		})
		if err := ps.Put(ctx, id, "good", photo.Original, smallJPEG(t)); err != nil {
			t.Fatal(err)
		}
		if err := ps.Put(ctx, id, "bad", photo.Original, smallJPEG(t)[:200]); err != nil {
			t.Fatal(err)
		}
		r, _ := st.Report(ctx, id)
		job, ok := photo.FollowUp(r)
		if !ok || job.Type != store.JobProcessPhotos || job.ReportID != id {
			t.Fatalf("FollowUp = %+v, %v", job, ok)
		}
		p := photo.NewProcessor(ps, st, nil)
		for range 2 {
			if err := p.Handle(ctx, job); err != nil {
				t.Fatalf("Handle: %v", err)
			}
		}
		r, _ = st.Report(ctx, id)
		if r.Photos[0].State != store.PhotoReady || r.Photos[0].Width != 40 || r.Photos[1].State != store.PhotoFailed {
			t.Errorf("photos after the job = %+v, want good ready 40×30, bad failed", r.Photos)
		}
		if _, ok := photo.FollowUp(r); ok {
			t.Error("FollowUp after the job still wants a photo job")
		}
		for _, pid := range []string{"good", "bad"} {
			if _, err := ps.Get(ctx, id, pid, photo.Original); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("original of %s after the job: %v", pid, err)
			}
		}
		if _, err := ps.Get(ctx, id, "good", photo.Thumb); err != nil {
			t.Errorf("thumb: %v", err)
		}
	})
}
