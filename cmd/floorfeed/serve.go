package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/floorfeed/floorfeed/alert"
	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/demo"
	"github.com/floorfeed/floorfeed/handlers"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/metrics"
	"github.com/floorfeed/floorfeed/netlimit"
	"github.com/floorfeed/floorfeed/photo"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/schedule"
	"github.com/floorfeed/floorfeed/search"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/storehealth"
	"github.com/floorfeed/floorfeed/themes"
	"github.com/floorfeed/floorfeed/worker"
)

// server is one running floorfeed instance: HTTP, workers and, in embedded
// mode, the local admin socket.
type server struct {
	cfg     *Config
	log     *slog.Logger
	be      *backend
	plant   *plant.Plant
	http    *http.Server
	ln      net.Listener
	admin   *http.Server
	adminLn net.Listener
	worker  *worker.Worker
	// metricsSrv serves /metrics on --metrics-addr (nil: on the main listener).
	metricsSrv *http.Server
	metricsLn  net.Listener

	// scheduler enqueues the teams' scheduled briefs (delivery.go); nil: off.
	scheduler *schedule.Scheduler
}

// app is what serve and the in-process admin commands build the same way
// over an open store: the HTTP API and what it needs.
type app struct {
	handler *handlers.Server
	intake  *intake.Service
	metrics *metrics.Metrics
	// plant is the plant in force: the one saved from the dashboard, or
	// the plant file until the first save.
	plant *plant.Plant
	// text is the text index (with the plant's glossary), for the index
	// queue's jobs.
	text *search.Index
}

var (
	_ handlers.TokenAuth  = (*auth.Service)(nil)
	_ handlers.DemoLoader = (*demo.Loader)(nil)
)

// newApp builds the HTTP API over be.
func newApp(cfg *Config, be *backend, p *plant.Plant, log *slog.Logger) (*app, error) {
	m := metrics.New(be.QueueStats)
	dumper := storeDumper{raw: be.Store, secret: be.Secret, source: backendName(be)}
	// Every write through the store is watched, so /readyz turns 503 while
	// writes fail (a full disk answers reads but refuses writes).
	watched := storehealth.Watch(be.Store, storehealth.Options{
		Instance:       instanceName(),
		OnWriteFailure: func(op string) { m.StoreWriteFailures.WithLabelValues(op).Inc() },
	})
	be.Store = watched
	backendName := "redis"
	if be.Embedded {
		backendName = "bolt"
	}
	m.Durability.WithLabelValues(backendName, be.Durability).Set(1)
	settings, p, err := plantSettings(be, p, log) // dashboard.go: the saved plant wins over the file
	if err != nil {
		return nil, err
	}
	in := intake.New(intake.Deps{Store: be, Plant: p, Signer: be.Signer, Now: time.Now})
	tokens, err := auth.New(auth.Deps{Tokens: be, Now: time.Now, Log: log})
	if err != nil {
		return nil, err
	}
	fonts, err := cfg.pdfFonts() // pdffonts.go
	if err != nil {
		return nil, err
	}
	accounts, err := auth.NewAccounts(auth.AccountsDeps{Records: be, Now: time.Now, Log: log})
	if err != nil {
		return nil, err
	}
	auditLog, err := audit.New(be, time.Now)
	if err != nil {
		return nil, err
	}
	briefs, err := newBriefMaker(cfg, be, p, fonts, log)
	if err != nil {
		return nil, err
	}
	glossary, err := themes.PlantGlossary(p)
	if err != nil {
		return nil, fmt.Errorf("plant glossary: %w", err)
	}
	text := search.New(be, glossary)
	dash, err := newDashboard(cfg, be, settings, p, auditLog, briefs, text, glossary, log)
	if err != nil {
		return nil, err
	}
	h, err := handlers.New(handlers.Deps{
		Briefs:     briefs,
		Accounts:   accounts,
		Audit:      auditLog,
		Dashboard:  dash,
		Codes:      intake.NewCodes(be),
		Intake:     in,
		Reports:    be,
		Replays:    be,
		Tokens:     tokens,
		Demo:       &demo.Loader{Intake: in, Reports: be, Plant: p, Signer: be.Signer, Now: time.Now},
		Jobs:       be,
		Reindex:    reindexAll{be: be, text: text, log: log},
		Photos:     photoStore(cfg, be),
		Limiter:    submitLimiter(cfg, be),
		Votes:      be,
		Dump:       dumper,
		Ready:      watched.Ready,
		Durability: be.Durability,
		Plant:      p,
		Signer:     be.Signer,
		Metrics:    m,
		Log:        log,
		Now:        time.Now,
		Config: handlers.Config{
			BaseURL:          cfg.BaseURL,
			TrustedProxies:   cfg.TrustedProxies,
			SubmitRate:       cfg.SubmitRate,
			SubmitBurst:      cfg.SubmitBurst,
			TimeZone:         cfg.TimeZone,
			MetricsToken:     cfg.MetricsToken,
			MetricsElsewhere: cfg.MetricsAddr != "",
		},
		Deliveries: delivery.NewLog(be, time.Now), // GET /api/v1/deliveries
		PDFFonts:   fonts,
	})
	if err != nil {
		return nil, fmt.Errorf("set up HTTP handlers: %w", err)
	}
	return &app{handler: h, intake: in, metrics: m, plant: p, text: text}, nil
}

// newServer wires everything and binds the listeners (so Addr is known
// before run), but starts nothing.
func newServer(ctx context.Context, cfg *Config, log *slog.Logger) (*server, error) {
	p, err := plant.Load(cfg.PlantFile)
	if err != nil {
		return nil, fmt.Errorf("--config / FLOORFEED_CONFIG: %w", err)
	}
	be, err := openBackend(ctx, cfg, log, openOptions{lockWait: time.Second})
	if err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, log: log, be: be, plant: p}
	ok := false
	defer func() {
		if !ok {
			s.closeAll()
		}
	}()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --addr %s: %w", cfg.Addr, err)
	}
	s.ln = netlimit.Limit(ln, cfg.MaxConnsPerClient, netlimit.Options{
		Exempt: trustedProxy(cfg.TrustedProxies),
		OnRefuse: everySecond(func(addr netip.Addr) {
			log.Warn("connection refused: too many open connections from one address (logged at most once a second)", "ip", addr, "max", cfg.MaxConnsPerClient)
		}),
	})
	if !cfg.baseURLSet {
		// The default base URL names the port actually bound (--addr :0).
		c := *cfg
		c.BaseURL = defaultBaseURL(net.JoinHostPort(hostOf(cfg.Addr), portOf(s.ln.Addr().String())))
		s.cfg, cfg = &c, &c
	}
	a, err := newApp(cfg, be, p, log)
	if err != nil {
		return nil, err
	}
	s.plant = a.plant
	s.worker = newWorker(cfg, be, a, log) // nil for a web-only instance
	s.scheduler = newScheduler(cfg, be, a.plant, log)
	s.http = &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // photos over poor Wi-Fi take a while
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.MetricsAddr != "" {
		if s.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return nil, fmt.Errorf("listen on --metrics-addr %s: %w", cfg.MetricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.handler.MetricsHandler())
		s.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	}
	if be.Embedded {
		s.listenAdmin(a.handler.LocalAdmin())
	}
	ok = true
	return s, nil
}

func hostOf(hostport string) string { h, _, _ := net.SplitHostPort(hostport); return h }
func portOf(hostport string) string { _, p, _ := net.SplitHostPort(hostport); return p }

// Addr is the address the HTTP server listens on.
func (s *server) Addr() string { return s.ln.Addr().String() }

// listenAdmin serves the API (h: every request as the local administrator)
// on a unix socket in the data dir, so that admin commands reach this
// process, which holds the embedded database. The socket is 0600, created
// under a 0077 umask-equivalent: only the user running floorfeed (or root)
// can connect, and the file permission is the credential.
func (s *server) listenAdmin(h http.Handler) {
	path := filepath.Join(s.cfg.DataDir, adminSockName)
	_ = os.Remove(path) // a stale socket from a crash; we hold the database lock, so no live server owns it
	ln, err := listenPrivateUnix(path)
	if err != nil {
		s.log.Warn("admin socket unavailable: admin commands will fail while the server runs", "path", path, "err", err)
		return
	}
	s.adminLn = ln
	s.admin = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
}

// run serves until ctx is cancelled, then shuts down in order: stop
// accepting and drain HTTP requests, stop claiming and drain jobs, close
// the store.
func (s *server) run(ctx context.Context) error {
	s.log.Info("floorfeed serving", "addr", s.Addr(), "store", s.be.Describe, "base_url", s.cfg.BaseURL,
		"lines", len(s.plant.Lines), "workers", s.cfg.Workers)
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && isLocalHost(u.Hostname()) {
		s.log.Warn("the base URL is a local address: phones cannot open the QR codes' links; set FLOORFEED_BASE_URL to the address phones use",
			"base_url", s.cfg.BaseURL)
	}
	errc := make(chan error, 2)
	go func() {
		if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	if s.metricsSrv != nil {
		go func() {
			if err := s.metricsSrv.Serve(s.metricsLn); !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("metrics server stopped", "err", err)
			}
		}()
	}
	if s.admin != nil {
		go func() {
			if err := s.admin.Serve(s.adminLn); !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("admin socket server stopped", "err", err)
			}
		}()
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if s.worker != nil {
		wg.Go(func() { _ = s.worker.Run(workCtx) })
		wg.Go(func() { photoSweeper(s.cfg, s.be, s.log).Run(workCtx, time.Hour) })
	}
	if s.scheduler != nil {
		wg.Go(func() { _ = s.scheduler.Run(workCtx) })
	}

	var runErr error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	case runErr = <-errc:
		s.log.Error("server failed; shutting down", "err", runErr)
	}

	shutCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(shutCtx); err != nil {
		s.log.Warn("HTTP drain incomplete", "err", err)
	}
	if s.metricsSrv != nil {
		_ = s.metricsSrv.Shutdown(shutCtx)
	}
	if s.admin != nil {
		_ = s.admin.Shutdown(shutCtx) // admin calls are short; a cut one is retried by its user
	}
	stopWork()
	wg.Wait()
	s.closeAll()
	s.log.Info("stopped")
	return runErr
}

// isLocalHost reports whether host only reaches this machine.
func isLocalHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && (ip.IsLoopback() || ip.IsUnspecified())
}

func (s *server) closeAll() {
	if s.ln != nil {
		_ = s.ln.Close() // already closed by Shutdown on the normal path
	}
	if s.metricsLn != nil {
		_ = s.metricsLn.Close()
	}
	if s.adminLn != nil {
		_ = s.adminLn.Close()
		_ = os.Remove(filepath.Join(s.cfg.DataDir, adminSockName))
	}
	if err := s.be.Close(); err != nil {
		s.log.Error("close store", "err", err)
	}
}

// newWorker builds the job runtime with every job handler this binary has,
// each registered here next to the queue its pool serves: the handlers
// live with their domain (intake for reports). It returns nil when the
// configuration leaves no pool.
func newWorker(cfg *Config, be *backend, a *app, log *slog.Logger) *worker.Worker {
	p, m := a.plant, a.metrics
	reports := intake.NewProcessor(be, time.Now, alert.FollowUp, photo.FollowUp, search.FollowUp).IndexCodes(intake.NewCodes(be))
	photos := photo.NewProcessor(photoStore(cfg, be), be, log.With("component", "photo"))
	handlers := deliveryHandlers(cfg, be, p, log) // alerts, e-mail, briefs (delivery.go)
	handlers[store.JobProcessReport] = reports.Handle
	handlers[store.JobProcessPhotos] = photos.Handle
	handlers[store.JobIndexReport] = a.text.Handler(be)
	pools := workerPools(cfg)
	if len(pools) == 0 {
		return nil // every pool set to 0: this instance runs no jobs
	}
	return worker.New(worker.Deps{
		Queue:    be,
		Handlers: handlers,
		Log:      log.With("component", "worker"),
		Observe: func(queue, jobType, outcome string, d time.Duration) {
			m.JobDuration.WithLabelValues(queue, jobType, outcome).Observe(d.Seconds())
		},
		ObserveWait: func(queue, jobType string, d time.Duration) {
			m.JobWait.WithLabelValues(queue, jobType).Observe(d.Seconds())
		},
	}, worker.Config{Pools: pools, PollInterval: 250 * time.Millisecond, DrainTimeout: cfg.ShutdownTimeout / 2})
}

// workerPools is worker.DefaultPools sized by the configuration: --workers
// for the report queue, --queue-workers for any queue; pools of 0 are left
// out. --workers 0 means a web-only instance: no pool at all.
func workerPools(cfg *Config) []worker.Pool {
	if cfg.Workers == 0 {
		return nil
	}
	var pools []worker.Pool
	for _, p := range worker.DefaultPools() {
		if p.Queue == store.QueueReport {
			p.Concurrency = cfg.Workers
		}
		if n, ok := cfg.QueueWorkers[p.Queue]; ok {
			p.Concurrency = n
		}
		if p.Concurrency > 0 {
			pools = append(pools, p)
		}
	}
	return pools
}

// instanceName names this process among the instances sharing a store
// (host and pid), for records kept per instance.
func instanceName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d", cmp.Or(host, "floorfeed"), os.Getpid())
}

// trustedProxy reports whether an address is one of the trusted proxies
// (CIDRs or single addresses, as --trusted-proxies takes them).
func trustedProxy(list []string) func(netip.Addr) bool {
	var prefixes []netip.Prefix
	for _, v := range list {
		if p, err := netip.ParsePrefix(v); err == nil {
			prefixes = append(prefixes, p)
		} else if a, err := netip.ParseAddr(v); err == nil {
			prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return func(a netip.Addr) bool {
		for _, p := range prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
}

// everySecond calls fn at most once a second (a flood of refusals must not
// flood the log too).
func everySecond[T any](fn func(T)) func(T) {
	var mu sync.Mutex
	var last time.Time
	return func(v T) {
		mu.Lock()
		now := time.Now()
		ok := now.Sub(last) >= time.Second
		if ok {
			last = now
		}
		mu.Unlock()
		if ok {
			fn(v)
		}
	}
}

// reindexAll is what `floorfeed reindex` (POST /api/v1/admin/reindex) does:
// every report into the indexes of its fields, then into the text index.
type reindexAll struct {
	be   *backend
	text *search.Index
	log  *slog.Logger
}

// Reindex returns the field index entries it added (the text index
// re-adds every report; its count is logged).
func (r reindexAll) Reindex(ctx context.Context) (int, error) {
	n, err := r.be.Reindex(ctx)
	if err != nil {
		return n, err
	}
	m, err := r.text.Reindex(ctx, search.StoreReports(r.be))
	if err != nil {
		return n, fmt.Errorf("text index: %w", err)
	}
	r.log.Info("text index rebuilt", "reports", m)
	return n, nil
}
