package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/metrics"
	"github.com/floorfeed/floorfeed/store"
)

// scrape GETs the metrics handler and returns the exposition text.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d, want 200", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestScrape(t *testing.T) {
	stats := func(_ context.Context, queue string) (store.QueueStats, error) {
		switch queue {
		case store.QueueReport:
			return store.QueueStats{Ready: 3, InFlight: 2, Dead: 1}, nil
		case store.QueueBrief:
			return store.QueueStats{InFlight: 1}, nil
		}
		return store.QueueStats{}, nil
	}
	m := metrics.New(stats)
	m.Submissions.WithLabelValues(metrics.OutcomeCreated).Add(2)
	m.Requests.WithLabelValues("POST", "/api/v1/reports", "201").Inc()
	m.RequestDuration.WithLabelValues("POST", "/api/v1/reports").Observe(0.02)
	m.JobDuration.WithLabelValues(store.QueueReport, "process_report", "ok").Observe(0.5)
	m.JobWait.WithLabelValues(store.QueueReport, "process_report").Observe(0.1)

	body := scrape(t, m)
	for _, want := range []string{
		`floorfeed_submissions_total{outcome="created"} 2`,
		`floorfeed_submissions_total{outcome="unavailable"} 0`,
		`floorfeed_http_requests_total{code="201",method="POST",route="/api/v1/reports"} 1`,
		`floorfeed_http_request_duration_seconds_count{method="POST",route="/api/v1/reports"} 1`,
		`floorfeed_job_duration_seconds_count{outcome="ok",queue="report",type="process_report"} 1`,
		`floorfeed_job_wait_seconds_count{queue="report",type="process_report"} 1`,
		`floorfeed_queue_jobs{queue="report",state="ready"} 3`,
		`floorfeed_queue_jobs{queue="report",state="in_flight"} 2`,
		`floorfeed_queue_jobs{queue="report",state="dead"} 1`,
		`floorfeed_queue_jobs{queue="brief",state="in_flight"} 1`,
		`floorfeed_queue_jobs{queue="mail",state="ready"} 0`,
		`floorfeed_queue_stats_up 1`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /metrics does not contain %q", want)
		}
	}
}

func TestScrapeStatsFailure(t *testing.T) {
	m := metrics.New(func(context.Context, string) (store.QueueStats, error) { return store.QueueStats{}, errors.New("down") })
	body := scrape(t, m)
	if !strings.Contains(body, "floorfeed_queue_stats_up 0") {
		t.Errorf("GET /metrics with a failing stats func: want floorfeed_queue_stats_up 0 in\n%s", body)
	}
	if strings.Contains(body, "floorfeed_queue_jobs{") {
		t.Errorf("GET /metrics with a failing stats func: want no floorfeed_queue_jobs samples")
	}
}

func TestNilStatsAndPrivateRegistries(t *testing.T) {
	// Two instances in one process must not collide (no global registry).
	a, b := metrics.New(nil), metrics.New(nil)
	a.Submissions.WithLabelValues(metrics.OutcomeInvalid).Inc()
	if body := scrape(t, b); !strings.Contains(body, `floorfeed_submissions_total{outcome="invalid"} 0`) {
		t.Errorf("second Metrics sees the first one's counter; want private registries")
	}
	if body := scrape(t, a); strings.Contains(body, "floorfeed_queue_jobs") {
		t.Errorf("metrics.New(nil): want no queue gauges")
	}
}
