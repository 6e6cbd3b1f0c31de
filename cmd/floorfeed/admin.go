package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floorfeed/floorfeed/demo"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
)

// admin is what the admin commands do, either on a store this process
// opened (adminOps) or through a running server's admin socket
// (adminClient).
type admin interface {
	CreateToken(ctx context.Context, name string) (string, error)
	LoadDemo(ctx context.Context, n int, seed int64) (int, error)
}

// adminOps performs admin operations on an open store.
type adminOps struct {
	store  store.Store
	intake *intake.Service
	plant  *plant.Plant
	signer *signing.Signer
	now    func() time.Time
}

var _ admin = (*adminOps)(nil)

// CreateToken makes a new API token, stores its hash and returns the token.
func (a *adminOps) CreateToken(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", errors.New("token name must be 1 to 100 characters")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	tok := "fft_" + base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(tok))
	t := store.APIToken{ID: store.NewID(a.now()), Name: name, Hash: hex.EncodeToString(sum[:]), CreatedAt: a.now().UTC()}
	if err := a.store.CreateToken(ctx, t); err != nil {
		return "", fmt.Errorf("create token %q: %w", name, err)
	}
	return tok, nil
}

// LoadDemo submits n generated reports through the same intake path as the
// phones use, then moves some older ones along (triaged, in progress,
// resolved with a reply) so the data looks like a plant in use. Reports go
// in from several goroutines at once, as from many phones, so the embedded
// store can commit them together.
func (a *adminOps) LoadDemo(ctx context.Context, n int, seed int64) (int, error) {
	if n < 0 || n > 100000 {
		return 0, errors.New("--reports must be from 0 to 100000")
	}
	items := demo.Generate(a.plant, n, a.now(), seed)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		created atomic.Int64
		next    atomic.Int64
		wg      sync.WaitGroup
	)
	for range demoLoaders {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				isNew, err := a.loadDemoItem(ctx, seed, i, items[i])
				if err != nil {
					cancel(err)
					return
				}
				if isNew {
					created.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return int(created.Load()), err
	}
	return int(created.Load()), nil
}

// demoLoaders is how many demo reports are submitted at once.
const demoLoaders = 16

func (a *adminOps) loadDemoItem(ctx context.Context, seed int64, i int, it demo.Item) (bool, error) {
	in := intake.Input{
		Line: it.Line, Token: a.signer.LineToken(it.Line), Category: it.Category, Severity: it.Severity,
		Title: it.Title, Body: it.Body, Station: it.Station, Role: it.Role,
		Reporter: it.Reporter, Contact: it.Contact, Lang: it.Lang,
	}
	r, isNew, err := a.intake.Submit(ctx, in, intake.Meta{IdempotencyKey: fmt.Sprintf("demo-%d-%d", seed, i), At: it.At})
	if err != nil {
		return false, fmt.Errorf("demo report %d (%q): %w", i, it.Title, err)
	}
	if !isNew {
		return false, nil
	}
	return true, a.advanceDemo(ctx, r, i)
}

// advanceDemo gives older demo reports a plausible life after submission.
func (a *adminOps) advanceDemo(ctx context.Context, r store.Report, i int) error {
	age := a.now().Sub(r.CreatedAt)
	if age < 3*24*time.Hour || i%3 == 0 {
		return nil // recent ones, and a third of the rest, are still waiting
	}
	_, err := a.store.UpdateReport(ctx, r.ID, func(rep *store.Report) error {
		at := rep.CreatedAt.Add(time.Duration(2+i%20) * time.Hour)
		rep.SetStatus(store.StatusTriaged, "demo", at)
		if i%3 == 1 {
			rep.SetStatus(store.StatusInProgress, "demo", at.Add(24*time.Hour))
			return nil
		}
		rep.SetStatus(store.StatusResolved, "demo", at.Add(48*time.Hour))
		reply := "Thanks — we adjusted the setpoint and will watch the next batches."
		if rep.Lang == "zh" {
			reply = "谢谢反馈，已调整工艺参数，后续批次继续跟踪。"
		}
		rep.Reply = reply
		rep.History = append(rep.History, store.Event{At: at.Add(48 * time.Hour), By: "demo", Action: store.ActionReply, Text: reply})
		return nil
	})
	if err != nil {
		return fmt.Errorf("advance demo report %s: %w", r.ID, err)
	}
	return nil
}

// handler serves the admin API on the local socket.
func (a *adminOps) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/tokens", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Name string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
			return
		}
		tok, err := a.CreateToken(r.Context(), req.Name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"token": tok})
	})
	mux.HandleFunc("POST /admin/demo", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Reports int
			Seed    int64
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
			return
		}
		n, err := a.LoadDemo(r.Context(), req.Reports, req.Seed)
		if err != nil {
			http.Error(w, fmt.Sprintf("created %d, then: %v", n, err), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]int{"created": n})
	})
	return mux
}

// adminClient calls a running server's admin socket.
type adminClient struct {
	http *http.Client
}

var _ admin = (*adminClient)(nil)

func newAdminClient(sock string) *adminClient {
	return &adminClient{http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}}
}

func (c *adminClient) call(ctx context.Context, path string, req, resp any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://floorfeed"+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	res, err := c.http.Do(hr)
	if err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		return fmt.Errorf("server: %s", strings.TrimSpace(b.String()))
	}
	return json.NewDecoder(res.Body).Decode(resp)
}

// CreateToken asks the running server to create a token.
func (c *adminClient) CreateToken(ctx context.Context, name string) (string, error) {
	var resp struct{ Token string }
	err := c.call(ctx, "/admin/tokens", map[string]string{"name": name}, &resp)
	return resp.Token, err
}

// LoadDemo asks the running server to load demo reports.
func (c *adminClient) LoadDemo(ctx context.Context, n int, seed int64) (int, error) {
	var resp struct{ Created int }
	err := c.call(ctx, "/admin/demo", map[string]any{"reports": n, "seed": seed}, &resp)
	return resp.Created, err
}

// withAdmin runs fn with direct access to the store, or, when a running
// server holds the embedded database, through that server's admin socket.
func withAdmin(ctx context.Context, cfg *Config, fn func(admin) error) error {
	be, err := openBackend(ctx, cfg, slog.New(slog.DiscardHandler), 300*time.Millisecond)
	if errors.Is(err, boltstore.ErrLocked) {
		// A running server holds the database: ask it instead.
		sock := filepath.Join(cfg.DataDir, adminSockName)
		if err := fn(newAdminClient(sock)); err != nil {
			return fmt.Errorf("the database is held by a running floorfeed; through its admin socket %s: %w", sock, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	defer be.Close()
	p, err := plant.Load(cfg.PlantFile)
	if err != nil {
		return fmt.Errorf("--config / FLOORFEED_CONFIG: %w", err)
	}
	in := intake.New(intake.Deps{Store: be, Plant: p, Signer: be.Signer, Now: time.Now})
	return fn(&adminOps{store: be, intake: in, plant: p, signer: be.Signer, now: time.Now})
}
