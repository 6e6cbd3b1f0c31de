package schedule_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/mail"
	"github.com/floorfeed/floorfeed/mail/mailtest"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/schedule"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/worker"
)

const testPlant = `
lines:
  - {id: sx-1, name: {zh: 萃取分离一线, en: Solvent Extraction Line 1}, team: separation}
  - {id: calc-1, name: {zh: 煅烧车间, en: Calcination Shop}, team: separation}
teams:
  - id: separation
    name: {zh: 分离工艺研发组, en: Separation R&D}
    emails: [lead@plant.example, rnd@plant.example]
    schedule: "0 8 * * 1"
    timezone: Asia/Shanghai
    lang: zh
    filter: {lines: [sx-1, calc-1], min_severity: medium}
`

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// monday0759 is a minute before the team's slot (Mondays 08:00 Shanghai).
var monday0759 = time.Date(2026, 11, 30, 7, 59, 0, 0, shanghai)

// fakeRenderer stands in for package brief: it returns a hand-written valid
// PDF and fixed numbers, and counts what it was asked to render.
type fakeRenderer struct {
	mu    sync.Mutex
	specs []delivery.BriefSpec
}

func (r *fakeRenderer) RenderBrief(_ context.Context, spec delivery.BriefSpec) (delivery.RenderedBrief, error) {
	r.mu.Lock()
	r.specs = append(r.specs, spec)
	n := len(r.specs)
	r.mu.Unlock()
	return delivery.RenderedBrief{
		ID:       fmt.Sprintf("brief-%d", n),
		PDF:      mailtest.MinimalPDF(fmt.Sprintf("Brief %s %d", spec.Team, n)),
		Headline: delivery.Headline{Reports: 12, Critical: 2, PreviousReports: 9, Open: 5, Resolved: 4, Votes: 7, MedianResponse: 210 * time.Minute},
		Themes: []delivery.Theme{
			{Title: "萃取槽乳化，分相慢", Terms: []string{"乳化", "萃取槽", "emulsion"}, Reports: 5, Votes: 3, Lines: []string{"sx-1"}},
			{Title: "Kiln temperature drift", Terms: []string{"回转窑", "temperature"}, Reports: 3, Votes: 1, Lines: []string{"calc-1"}},
		},
	}, nil
}

func (r *fakeRenderer) Specs() []delivery.BriefSpec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery.BriefSpec(nil), r.specs...)
}

func mustPlant(t *testing.T) *plant.Plant {
	t.Helper()
	p, err := plant.Parse([]byte(testPlant))
	if err != nil {
		t.Fatalf("plant.Parse: %v", err)
	}
	return p
}

// stack is one instance's delivery path over a store: scheduler, the brief
// and mail handlers in a real worker, sending to a real SMTP server.
type stack struct {
	st       store.Store
	sched    *schedule.Scheduler
	log      *delivery.Log
	renderer *fakeRenderer
}

func newStack(t *testing.T, st store.Store, p *plant.Plant, now func() time.Time, r *fakeRenderer, instance string) *stack {
	t.Helper()
	sch, err := schedule.New(schedule.Deps{Store: st, Plant: p, Now: now, Instance: instance}, schedule.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &stack{st: st, sched: sch, log: delivery.NewLog(st, now), renderer: r}
}

// runWorker runs the brief and mail jobs of st until the test ends, with a
// short retry backoff.
func runWorker(t *testing.T, st store.Store, p *plant.Plant, now func() time.Time, r *fakeRenderer, smtp mail.Config) {
	t.Helper()
	log := delivery.NewLog(st, now)
	ob := delivery.NewOutbox(st, st, log, now)
	bh, err := delivery.NewBriefHandler(delivery.BriefHandlerDeps{Renderer: r, Outbox: ob, Plant: p, BaseURL: "https://floorfeed.plant.example"})
	if err != nil {
		t.Fatal(err)
	}
	sender, err := mail.New(smtp)
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(worker.Deps{
		Queue:    st,
		Handlers: map[string]worker.Handler{store.JobBrief: bh.Handle, store.JobMail: delivery.NewMailHandler(st, log, sender, nil).Handle},
		Backoff:  func(int) time.Duration { return 5 * time.Millisecond },
	}, worker.Config{Pools: []worker.Pool{{Queue: store.QueueBrief, Lease: time.Minute}, {Queue: store.QueueMail, Lease: time.Minute}},
		PollInterval: 10 * time.Millisecond, Consumer: "test"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitIdle waits until the brief and mail queues have nothing ready or in
// flight.
func waitIdle(t *testing.T, st store.Store) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		idle := true
		for _, q := range []string{store.QueueBrief, store.QueueMail} {
			s, err := st.QueueStats(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if s.Ready+s.InFlight > 0 {
				idle = false
			}
		}
		if idle {
			return
		}
		time.Sleep(10 * time.Millisecond) // polling the queue's own counters: there is nothing to wait on
	}
	t.Fatal("brief and mail queues still busy after 20s")
}

// waitDelivery polls the delivery log until key has result want.
func waitDelivery(t *testing.T, log *delivery.Log, key, want string) delivery.Delivery {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var d delivery.Delivery
	var err error
	for time.Now().Before(deadline) {
		if d, err = log.Get(context.Background(), key); err == nil && d.Result == want {
			return d
		}
		time.Sleep(10 * time.Millisecond) // polling the store: the worker runs in its own goroutines
	}
	t.Fatalf("delivery %s = %+v, %v; want result %s", key, d, err, want)
	return d
}

func tick(t *testing.T, s *schedule.Scheduler) {
	t.Helper()
	if err := s.Tick(context.Background()); err != nil {
		t.Fatalf("Tick: %v", err)
	}
}
