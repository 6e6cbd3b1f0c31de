package brief_test

import (
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/floorfeed/floorfeed/brief"
	"github.com/floorfeed/floorfeed/demo"
	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
	"github.com/floorfeed/floorfeed/store/storetest"
)

// loadDemoWeek stores n demo reports (mixed Chinese and English, recurring
// themes, criticals, researchers, votes) squeezed into the week from
// start, about a third of them answered and moved on by R&D.
func loadDemoWeek(tb testing.TB, st store.Store, n int, start time.Time) {
	tb.Helper()
	items := demo.Generate(plant.Sample(), n, start.Add(demo.Window), 42)
	week := 7 * 24 * time.Hour
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 { // concurrent submissions share the embedded store's commits
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				it := items[i]
				at := start.Add(time.Duration(float64(it.At.Sub(start)) * float64(week) / float64(demo.Window)))
				sub := storetest.MakeSubmission(fmt.Sprintf("bench-%d", i), at, func(r *store.Report) {
					r.Line, r.Category, r.Severity, r.Title, r.Body = it.Line, it.Category, store.Severity(it.Severity), it.Title, it.Body
					r.Station, r.Role, r.Reporter, r.Lang, r.Votes = it.Station, store.Role(it.Role), it.Reporter, it.Lang, it.Votes
					if l, ok := plant.Sample().Line(it.Line); ok {
						r.Team = l.Team
					}
					if i%3 == 1 {
						r.SetStatus(store.StatusTriaged, "alice", at.Add(time.Duration(1+i%30)*time.Hour))
					}
					if i%6 == 1 {
						r.SetStatus(store.StatusResolved, "alice", at.Add(48*time.Hour))
					}
				})
				if _, _, err := st.Submit(context.Background(), sub); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatalf("Submit: %v", err)
	}
}

// peakHeap samples the live heap every millisecond until stop is called,
// which returns the highest value seen.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// BenchmarkBrief10k makes the brief of a week of 10,000 realistic reports
// (every team; zh and en labels as sub-benchmarks) from the embedded store:
// read, themes, render, keep. It reports CPU time and the peak live heap,
// and then prints the same appendix table with headless Chromium
// (chromedp, Page.printToPDF) once and reports how many times faster the
// slower brief was; without Chromium (or with -short) the comparison is
// skipped with a message.
//
//	go test -run '^$' -bench BenchmarkBrief10k -benchtime 3x ./brief
func BenchmarkBrief10k(b *testing.B) {
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "floorfeed.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, shanghai)
	loadDemoWeek(b, st, 10000, start)
	m := newMaker(b, st, start.Add(8*24*time.Hour))
	var slowest time.Duration
	var last *brief.Brief
	for _, lang := range i18n.All() {
		b.Run(lang.String(), func(b *testing.B) {
			req := brief.Request{From: start, To: start.Add(7 * 24 * time.Hour), Lang: lang}
			ctx := context.Background()
			runtime.GC()
			stop := peakHeap()
			cpu0 := cpuTime(b)
			began := time.Now()
			for b.Loop() {
				var err error
				if last, err = m.Make(ctx, req); err != nil {
					b.Fatalf("Make = %v", err)
				}
			}
			slowest = max(slowest, time.Since(began)/time.Duration(b.N))
			// The process's CPU time per brief: on a shared machine wall
			// time also counts other people's work.
			b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MB")
			if hwm := peakRSS(); hwm > 0 {
				// The whole test process: the 10,000 reports loaded, the
				// embedded store's memory-mapped file, the binary.
				b.ReportMetric(float64(hwm)/(1<<20), "process-peak-rss-MB")
			}
			if n := last.Summary.Numbers.Reports; n != 10000 {
				b.Fatalf("brief covers %d reports, want 10000", n)
			}
			b.ReportMetric(float64(len(last.Data.Themes)), "themes")
			b.ReportMetric(float64(len(last.PDF))/(1<<20), "pdf-MB")
		})
	}
	if last == nil {
		return // -bench matched neither language
	}
	// Against the slower of the two languages; printed once however often
	// the framework calls the sub-benchmark (its ns/op means nothing).
	var once sync.Once
	var chromium time.Duration
	b.Run("vs-chromium", func(b *testing.B) {
		once.Do(func() { chromium = chromiumPrint(b, last.Data) })
		if chromium == 0 {
			b.SkipNow()
		}
		for b.Loop() { // b.Loop resets the metrics reported before it
		}
		b.ReportMetric(chromium.Seconds(), "chromium-s")
		b.ReportMetric(float64(chromium)/float64(slowest), "x-faster-than-chromium")
	})
	if chromium > 0 {
		fmt.Fprintf(os.Stderr, "BenchmarkBrief10k: Chromium printed the table in %v, the slower brief took %v: %.1f× faster\n",
			chromium, slowest, float64(chromium)/float64(max(slowest, 1)))
	}
}

// peakRSS is the process's peak resident set (VmHWM) in bytes, 0 where
// /proc does not say.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb uint64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// skipLoud skips b, saying why also on stderr: a parent benchmark's log is
// shown only with -v.
func skipLoud(b *testing.B, msg string) {
	b.Helper()
	fmt.Fprintln(os.Stderr, "BenchmarkBrief10k:", msg)
	b.Skip(msg)
}

// chromiumPrint prints an HTML page with the brief's appendix table with
// headless Chromium and returns how long loading and printing took (not
// the browser's start). Without Chromium, or with -short, it skips b (the
// measurements of the briefs are reported already) saying so.
func chromiumPrint(b *testing.B, d *brief.Data) time.Duration {
	b.Helper()
	if testing.Short() {
		skipLoud(b, "-short: skipping the comparison with headless Chromium printing the same table")
	}
	var bin string
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		skipLoud(b, "Chromium not found: skipping the comparison with headless Chromium printing the same table")
	}
	var page strings.Builder
	page.WriteString(`<!doctype html><html><head><meta charset="utf-8"><style>
body{font:8pt sans-serif} table{border-collapse:collapse;width:100%} th{background:#f1f3f5;text-align:left}
td,th{padding:2px 3px;vertical-align:top} tr:nth-child(even){background:#f7f8f9} thead{display:table-header-group}
</style></head><body><h1>Appendix</h1><table><thead><tr><th>Code</th><th>Date</th><th>Line</th><th>Category</th>
<th>Severity</th><th>Status</th><th>Votes</th><th>Title</th></tr></thead><tbody>`)
	for _, r := range d.Reports {
		fmt.Fprintf(&page, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td></tr>\n",
			r.Code, r.CreatedAt.In(d.TimeZone).Format("01-02 15:04"), html.EscapeString(r.Line), html.EscapeString(r.Category),
			r.Severity, r.Status, r.Votes, html.EscapeString(r.Title))
	}
	page.WriteString("</tbody></table></body></html>")
	dir := b.TempDir()
	path := filepath.Join(dir, "table.html")
	if err := os.WriteFile(path, []byte(page.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil { // start the browser
		b.Fatalf("start Chromium: %v", err)
	}
	began := time.Now()
	if err := chromedp.Do(tab, chromedp.Navigate("file://"+path)); err != nil {
		b.Fatalf("Chromium: load the table: %v", err)
	}
	pdf, err := chromedp.Run(tab, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPrintBackground()))
	if err != nil {
		b.Fatalf("Chromium: print: %v", err)
	}
	took := time.Since(began)
	b.Logf("Chromium printed the %d-row table in %v (%d bytes of PDF)", len(d.Reports), took, len(pdf))
	return took
}
