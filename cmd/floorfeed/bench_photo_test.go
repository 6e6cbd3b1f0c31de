package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/internal/loadgen"
	"github.com/floorfeed/floorfeed/signing"
)

// benchJPEG is a photo-like w×h JPEG (gradients and noise) of about the
// bytes a phone's downscaled photo has.
func benchJPEG(tb testing.TB, w, h, noise int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(3, 4))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := uint8(rng.IntN(noise))
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x*255/w)+n, uint8(y*255/h)+n, 128+n, 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// photoReportBody is a multipart report with one photo.
func photoReportBody(tb testing.TB, s *signing.Signer, photo []byte) (contentType string, body []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{
		"line": "ndfeb-1", "token": s.LineToken("ndfeb-1"), "category": "quality", "severity": "high",
		"title": "烧结炉3号 磁体Hcj偏低 / Hcj low on furnace 3", "lang": "zh",
	} {
		_ = mw.WriteField(k, v)
	}
	w, _ := mw.CreateFormFile("photo", "IMG_0001.jpg")
	_, _ = w.Write(photo)
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// BenchmarkSubmitPhotoHTTP measures multipart submissions with one
// ~300 KB JPEG over loopback HTTP at 16 connections, on the embedded store
// through the real serve wiring, without workers (re-encoding excluded, as
// the budget says): every 201 has the photo fsynced in the data dir and the
// report committed. Target ≥ 500/s. FLOORFEED_BENCH_REQUESTS (default
// 3000) sets the requests.
func BenchmarkSubmitPhotoHTTP(b *testing.B) {
	n := envInt("FLOORFEED_BENCH_REQUESTS", 3000)
	signer, _ := signing.New([]byte(benchSecret))
	jpg := benchJPEG(b, 1600, 1200, 16)
	ct, body := photoReportBody(b, signer, jpg)
	url := startFloorfeed(b, "", 0)
	b.ResetTimer()
	res, err := loadgen.Run(context.Background(), loadgen.Options{
		URL: url + "/api/v1/reports", Conns: 16, Requests: n * int64(b.N), Warmup: 100,
		WantStatus: http.StatusCreated, ContentType: ct,
	}, func(i int64) ([]byte, http.Header) {
		return body, http.Header{"Idempotency-Key": {fmt.Sprintf("bench-photo-%d", i)}}
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if res.Errors > 0 {
		b.Fatalf("%d of %d requests failed, first: %s", res.Errors, res.Requests, res.FirstError)
	}
	b.ReportMetric(res.Throughput(), "req/s")
	b.ReportMetric(ms(res.P99), "p99-ms")
	b.ReportMetric(float64(len(jpg))/1024, "photo-KB")
	fmt.Printf("\nmultipart submissions with one %d KB JPEG, 16 connections, embedded store: %.0f/s, p50 %.1f ms, p99 %.1f ms (target ≥ 500/s): %s\n",
		len(jpg)/1024, res.Throughput(), ms(res.P50), ms(res.P99), verdict(res.Throughput() >= 500))
}

// BenchmarkPeakMemory measures the server's peak resident memory while
// 10 MB photos (three to a report) and decompression bombs arrive at
// once, and while the photo jobs decode what was accepted: a PNG header
// declaring 30000×30000 pixels (refused from its header), a JPEG declaring
// 60000×60000 (likewise), and a real 6000×6000 PNG of 200 KB (accepted:
// 36 MP, 144 MB decoded, so the job's decode budget has to hold). The
// server runs in this process (the real serve wiring, embedded store, the
// photo workers on) with serve's memory limit; the load generator's
// buffers are made before the baseline. Budget: < 400 MB.
func BenchmarkPeakMemory(b *testing.B) {
	setMemoryLimit()
	defer debug.SetMemoryLimit(math.MaxInt64)
	signer, _ := signing.New([]byte(benchSecret))
	big := benchJPEG(b, 4000, 3000, 40)
	for q := 95; len(big) > 10<<20 || len(big) < 8<<20; q -= 3 {
		if len(big) < 8<<20 {
			break // as big as this generator makes them
		}
		img, _ := jpeg.Decode(bytes.NewReader(big))
		var buf bytes.Buffer
		_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: q})
		big = buf.Bytes()
	}
	whitePNG := func(w, h int) []byte {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = 0xFF
		}
		var buf bytes.Buffer
		_ = png.Encode(&buf, img)
		return buf.Bytes()
	}
	realBomb := whitePNG(6000, 6000)
	headerBomb := pngHeader(30000, 30000)
	jpegBomb := jpegDeclaring(benchJPEG(b, 16, 16, 4), 60000, 60000)
	type upload struct {
		name    string
		ct      string
		body    []byte
		wantAny []int
	}
	multi := func(photos ...[]byte) (string, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("line", "ndfeb-1")
		_ = mw.WriteField("token", signer.LineToken("ndfeb-1"))
		_ = mw.WriteField("title", "memory test")
		for i, p := range photos {
			w, _ := mw.CreateFormFile("photo", fmt.Sprintf("p%d", i))
			_, _ = w.Write(p)
		}
		_ = mw.Close()
		return mw.FormDataContentType(), buf.Bytes()
	}
	var loads []upload
	ct, body := multi(big, big, big)
	loads = append(loads, upload{"3×10MB", ct, body, []int{201, 503}})
	ct, body = multi(realBomb)
	loads = append(loads, upload{"36MP PNG", ct, body, []int{201, 503}})
	ct, body = multi(headerBomb)
	loads = append(loads, upload{"30000² PNG header", ct, body, []int{400}})
	ct, body = multi(jpegBomb)
	loads = append(loads, upload{"60000² JPEG header", ct, body, []int{400}})
	big, realBomb = nil, nil

	dataDir := b.TempDir()
	srv := startServe(b, map[string]string{"FLOORFEED_SECRET": benchSecret}, "--data-dir", dataDir,
		"--submit-rate", "0", "--log-level", "error", "--workers", "2")
	runtime.GC()
	debug.FreeOSMemory()
	base := rssBytes(b)

	stop := make(chan struct{})
	peak := make(chan int64)
	go func() {
		var p int64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				peak <- p
				return
			case <-tick.C:
				p = max(p, rssBytes(b))
			}
		}
	}()
	b.ResetTimer()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]map[int]int{}
	client := &http.Client{Timeout: 2 * time.Minute}
	for c := range 16 {
		wg.Go(func() {
			for i := range 4 {
				u := loads[(c+i)%len(loads)]
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/reports", bytes.NewReader(u.body))
				req.Header.Set("Content-Type", u.ct)
				res, err := client.Do(req)
				if err != nil {
					b.Errorf("%s: %v", u.name, err)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				mu.Lock()
				if codes[u.name] == nil {
					codes[u.name] = map[int]int{}
				}
				codes[u.name][res.StatusCode]++
				mu.Unlock()
				if !slices.Contains(u.wantAny, res.StatusCode) {
					b.Errorf("%s = %d, want one of %v", u.name, res.StatusCode, u.wantAny)
				}
			}
		})
	}
	wg.Wait()
	// Then until the photo jobs have re-encoded everything.
	deadline := time.Now().Add(5 * time.Minute)
	for countOriginals(filepath.Join(dataDir, photosDirName)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	left := countOriginals(filepath.Join(dataDir, photosDirName))
	close(stop)
	p := <-peak
	b.StopTimer()
	b.ReportMetric(float64(p)/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(base)/(1<<20), "base-RSS-MB")
	fmt.Printf("\npeak RSS %.0f MB (baseline %.0f MB, originals left %d), answers %v (budget < 400 MB): %s\n",
		float64(p)/(1<<20), float64(base)/(1<<20), left, codes, verdict(p < 400<<20 && left == 0))
}

// rssBytes is this process's resident set size.
func rssBytes(tb testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func countOriginals(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".original") {
			n++
		}
		return nil
	})
	return n
}

// pngHeader is a PNG signature and IHDR declaring w×h RGBA pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	body := append([]byte("IHDR"), ihdr...)
	out := append([]byte("\x89PNG\r\n\x1a\n"), binary.BigEndian.AppendUint32(nil, 13)...)
	out = append(out, body...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(body))
}

// jpegDeclaring patches a JPEG's frame header to declare w×h (≤ 65535).
func jpegDeclaring(jpg []byte, w, h int) []byte {
	out := append([]byte{}, jpg...)
	for i := 2; i+9 < len(out); {
		m := out[i+1]
		n := int(out[i+2])<<8 | int(out[i+3])
		if m == 0xC0 || m == 0xC1 || m == 0xC2 {
			out[i+5], out[i+6] = byte(h>>8), byte(h)
			out[i+7], out[i+8] = byte(w>>8), byte(w)
			return out
		}
		i += 2 + n
	}
	return out
}
