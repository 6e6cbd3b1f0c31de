package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/photo"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/redisstore"
)

// The real serve wiring, on both backends: a photo submitted with a report
// is re-encoded by the photo job (the report job's follow-up) and served
// from the API.
func TestServePhotoPipeline(t *testing.T) {
	for _, name := range []string{"embedded", "redis"} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"FLOORFEED_SECRET": testSecret, "FLOORFEED_DATA_DIR": t.TempDir()}
			if name == "redis" {
				env["FLOORFEED_REDIS_URL"] = testutil.StartRedis(t).URL
			}
			srv := startServe(t, env, "--log-level", "error", "--submit-rate", "0")
			tok := mustToken(t, env, "photo-e2e")
			signer, _ := signing.New([]byte(testSecret))
			ct, body := photoReportBody(t, signer, benchJPEG(t, 3000, 2000, 8))
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/reports", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var sub struct{ ID string }
			_ = json.NewDecoder(res.Body).Decode(&sub)
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("POST with a photo = %d", res.StatusCode)
			}
			get := func(path string) (*http.Response, []byte) {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				var buf bytes.Buffer
				_, _ = buf.ReadFrom(res.Body)
				return res, buf.Bytes()
			}
			var rep struct {
				Photos []struct {
					URL      string `json:"url"`
					ThumbURL string `json:"thumb_url"`
					Width    int    `json:"width"`
					Height   int    `json:"height"`
				} `json:"photos"`
			}
			deadline := time.Now().Add(60 * time.Second)
			for len(rep.Photos) == 0 && time.Now().Before(deadline) {
				_, b := get("/api/v1/reports/" + sub.ID)
				_ = json.Unmarshal(b, &rep)
				if len(rep.Photos) == 0 {
					time.Sleep(100 * time.Millisecond)
				}
			}
			if len(rep.Photos) != 1 || rep.Photos[0].Width != 1500 || rep.Photos[0].Height != 1000 {
				t.Fatalf("report photos after the job = %+v, want one of 1500×1000", rep.Photos)
			}
			res, b := get(rep.Photos[0].URL)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d", rep.Photos[0].URL, res.StatusCode)
			}
			if cfg, err := jpeg.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width != 1500 {
				t.Errorf("served photo: %+v, %v", cfg, err)
			}
		})
	}
}

// BenchmarkRedisPhotoMemory measures what a photo costs in Redis memory:
// INFO memory's used_memory before and after 100 re-encoded photos (full
// image and thumbnail, as the photo job leaves them) of a phone's 1600 px
// JPEG, and the original's cost while it waits for the job.
func BenchmarkRedisPhotoMemory(b *testing.B) {
	ctx := context.Background()
	rs := testutil.StartRedis(b)
	st, err := redisstore.Open(ctx, rs.URL, redisstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	opts, _ := redisstore.ParseURL(rs.URL)
	rdb := redis.NewUniversalClient(opts)
	defer rdb.Close()
	used := func() int64 {
		s, err := rdb.Info(ctx, "memory").Result()
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range strings.Split(s, "\r\n") {
			if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
				var n int64
				_, _ = fmtSscan(v, &n)
				return n
			}
		}
		return 0
	}
	orig := benchJPEG(b, 1600, 1200, 16)
	p, err := photo.Process(orig)
	if err != nil {
		b.Fatal(err)
	}
	ps := photo.NewRecordStore(st)
	const n = 100
	b.ResetTimer()
	before := used()
	for i := range n {
		id := store.NewID(time.Now())
		pid := "p" + string(rune('a'+i%26)) + id[len(id)-6:]
		if err := ps.Put(ctx, id, pid, photo.Full, p.Full); err != nil {
			b.Fatal(err)
		}
		if err := ps.Put(ctx, id, pid, photo.Thumb, p.Thumb); err != nil {
			b.Fatal(err)
		}
	}
	mid := used()
	for range n {
		id := store.NewID(time.Now())
		if err := ps.Put(ctx, id, "orig", photo.Original, orig); err != nil {
			b.Fatal(err)
		}
	}
	after := used()
	b.StopTimer()
	per := float64(mid-before) / n
	b.ReportMetric(per/1024, "KB/photo")
	b.ReportMetric(float64(after-mid)/n/1024, "KB/original")
	printf("\nRedis used_memory per re-encoded photo (full %d KB + thumb %d KB): %.0f KB; per original waiting for the job (%d KB): %.0f KB\n",
		len(p.Full)/1024, len(p.Thumb)/1024, per/1024, len(orig)/1024, float64(after-mid)/n/1024)
}

func fmtSscan(s string, n *int64) (int, error) { return fmt.Sscan(strings.TrimSpace(s), n) }

func printf(format string, args ...any) { fmt.Printf(format, args...) }
