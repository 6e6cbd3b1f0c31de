// Package metrics defines Floorfeed's Prometheus metrics on a registry of
// their own (never the global default registerer), and serves them.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/floorfeed/floorfeed/store"
)

// Submission outcomes, the values of floorfeed_submissions_total{outcome}.
const (
	OutcomeCreated     = "created"      // 201: a new report
	OutcomeReplayed    = "replayed"     // 200: an idempotent replay
	OutcomeInvalid     = "invalid"      // 400/415: validation, malformed body, wrong content type
	OutcomeForbidden   = "forbidden"    // 403: bad QR token
	OutcomeMismatch    = "mismatch"     // 422: idempotency key reused with another payload
	OutcomeTooLarge    = "too_large"    // 413
	OutcomeRateLimited = "rate_limited" // 429
	OutcomeUnavailable = "unavailable"  // 503: the store could not take it
	OutcomeError       = "error"        // anything else
)

// SubmissionOutcomes lists every submission outcome, in the order above.
func SubmissionOutcomes() []string {
	return []string{
		OutcomeCreated, OutcomeReplayed, OutcomeInvalid, OutcomeForbidden, OutcomeMismatch,
		OutcomeTooLarge, OutcomeRateLimited, OutcomeUnavailable, OutcomeError,
	}
}

// statsTimeout bounds the queue-stats call made during a scrape.
const statsTimeout = 5 * time.Second

// Metrics holds every metric Floorfeed records. The exported vectors are
// safe for concurrent use.
type Metrics struct {
	// Requests counts HTTP requests: floorfeed_http_requests_total{method,route,code}.
	// route is the route pattern (e.g. /s/:receipt), never the raw URL.
	Requests *prometheus.CounterVec
	// RequestDuration observes HTTP request latency:
	// floorfeed_http_request_duration_seconds{method,route}.
	RequestDuration *prometheus.HistogramVec
	// Submissions counts report submissions by outcome (Outcome* constants):
	// floorfeed_submissions_total{outcome}.
	Submissions *prometheus.CounterVec
	// JobDuration observes job handling time, recorded by the worker:
	// floorfeed_job_duration_seconds{queue,type,outcome}, outcome as the
	// worker reports it (ok, failed, dead, released, unknown_type).
	JobDuration *prometheus.HistogramVec
	// JobWait observes how long a job waited in the queue before its first
	// delivery started: floorfeed_job_wait_seconds{queue,type}. With JobDuration it
	// tells how long a report takes from submission to processed.
	JobWait *prometheus.HistogramVec
	// StoreWriteFailures counts writes the store refused because it was
	// unavailable (full disk, Redis down), by operation.
	StoreWriteFailures *prometheus.CounterVec
	// Durability is 1 for the durability mode in force
	// (floorfeed_store_durability{backend,mode}); set once at start.
	Durability *prometheus.GaugeVec

	reg *prometheus.Registry
}

// QueueStatsFunc reads one queue's counts (store.Queue.QueueStats).
type QueueStatsFunc func(ctx context.Context, queue string) (store.QueueStats, error)

// New creates the metrics on a private registry, together with the Go
// runtime and process collectors and, when stats is not nil, the queue
// gauges floorfeed_queue_jobs{queue,state="ready|in_flight|dead"} for every
// queue of store.Queues (and floorfeed_queue_stats_up, 0 when stats
// failed), read from stats at each scrape.
func New(stats QueueStatsFunc) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "floorfeed_http_requests_total",
			Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "floorfeed_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		Submissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "floorfeed_submissions_total",
			Help: "Report submissions by outcome.",
		}, []string{"outcome"}),
		JobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "floorfeed_job_duration_seconds",
			Help:    "Time spent handling a queued job, by queue, job type and outcome (ok, failed, dead, released, unknown_type).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"queue", "type", "outcome"}),
		JobWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "floorfeed_job_wait_seconds",
			Help:    "Time a job waited in the queue before its first delivery, by queue and job type.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"queue", "type"}),
		StoreWriteFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "floorfeed_store_write_failures_total",
			Help: "Store writes that failed because the store was unavailable (full disk, Redis down or read-only), by operation; /readyz is 503 while they fail.",
		}, []string{"op"}),
		Durability: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "floorfeed_store_durability",
			Help: "1 for the durability in force: backend bolt mode fsync-every-commit; backend redis mode aof-always (no loss), aof-everysec, aof-no-fsync, no-aof or unknown (acknowledged reports can be lost in a crash).",
		}, []string{"backend", "mode"}),
		reg: prometheus.NewRegistry(),
	}
	// Every outcome shows up from the first scrape, so rate() and alerts
	// work before the first failure ever happens.
	for _, o := range SubmissionOutcomes() {
		m.Submissions.WithLabelValues(o)
	}
	m.reg.MustRegister(
		m.Requests, m.RequestDuration, m.Submissions, m.JobDuration, m.JobWait,
		m.StoreWriteFailures, m.Durability,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if stats != nil {
		m.reg.MustRegister(newQueueCollector(stats))
	}
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A failing collector must not hide every other metric.
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// Registry returns the private registry, for callers that add metrics of
// their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// queueCollector reads the queue's counts at scrape time, so the gauges are
// never stale and no goroutine polls the store.
type queueCollector struct {
	stats QueueStatsFunc
	jobs  *prometheus.Desc
	up    *prometheus.Desc
}

func newQueueCollector(stats QueueStatsFunc) *queueCollector {
	return &queueCollector{
		stats: stats,
		jobs: prometheus.NewDesc("floorfeed_queue_jobs",
			"Jobs by queue and state (ready, in_flight, dead), read at scrape time.",
			[]string{"queue", "state"}, nil),
		up: prometheus.NewDesc("floorfeed_queue_stats_up",
			"1 when the queue counts could be read at this scrape, 0 when the store did not answer.",
			nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- q.jobs
	ch <- q.up
}

// Collect implements prometheus.Collector.
func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	up := 1.0
	for _, name := range store.Queues {
		s, err := q.stats(ctx, name)
		if err != nil {
			// Report the failure as a value rather than failing the scrape:
			// the HTTP and runtime metrics matter most exactly when the store
			// is down.
			up = 0
			continue
		}
		ch <- prometheus.MustNewConstMetric(q.jobs, prometheus.GaugeValue, float64(s.Ready), name, "ready")
		ch <- prometheus.MustNewConstMetric(q.jobs, prometheus.GaugeValue, float64(s.InFlight), name, "in_flight")
		ch <- prometheus.MustNewConstMetric(q.jobs, prometheus.GaugeValue, float64(s.Dead), name, "dead")
	}
	ch <- prometheus.MustNewConstMetric(q.up, prometheus.GaugeValue, up)
}
