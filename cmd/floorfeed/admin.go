package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store/boltstore"
)

// adminAPI calls the installation's own authenticated HTTP API as its
// local administrator, the one way every admin command works:
//
//   - a server holds the embedded store: through its admin socket in the
//     data dir (0600: the file permission is the credential);
//   - otherwise: this process opens the store, builds the same
//     handlers.Server and serves each request in-process.
//
// Either way the same handlers answer, so a command has one code path, and
// while a server runs, what it answers (base URL, secret) is the server's.
type adminAPI struct {
	client *http.Client
	// via says how requests travel, for error messages.
	via string
	// server: a running server answers (its settings, not this process's).
	server bool
	close  func() error
}

// Close releases the store the in-process API opened.
func (a *adminAPI) Close() error { return a.close() }

// openAdminAPI connects to the running server's admin socket or, when no
// server answers there (or the store is Redis, which any number of servers
// and this process may share), opens the store as access allows: a command
// that does not create gets errNoStore where there is no installation, and
// one that only reads opens the embedded file read-only (so it never
// migrates a file an older floorfeed wrote).
func openAdminAPI(ctx context.Context, cfg *Config, log *slog.Logger, access storeAccess) (*adminAPI, error) {
	if cfg.RedisURL == "" {
		sock := filepath.Join(cfg.DataDir, adminSockName)
		up, err := serverAnswers(ctx, sock)
		if err != nil {
			return nil, err
		}
		if up {
			return &adminAPI{client: socketClient(sock), via: "the running server's admin socket " + sock, server: true, close: func() error { return nil }}, nil
		}
	}
	be, err := openBackend(ctx, cfg, log, openOptions{lockWait: 300 * time.Millisecond, mustExist: access != accessCreate, readOnly: access == accessReadOnly})
	if errors.Is(err, boltstore.ErrLocked) {
		return nil, fmt.Errorf("%w; a running floorfeed holds it but does not answer on its admin socket %s", err, filepath.Join(cfg.DataDir, adminSockName))
	}
	if err != nil {
		return nil, err
	}
	p, err := plant.Load(cfg.PlantFile)
	if err != nil {
		be.Close()
		return nil, fmt.Errorf("--config / FLOORFEED_CONFIG: %w", err)
	}
	a, err := newApp(cfg, be, p, log)
	if err != nil {
		be.Close()
		return nil, err
	}
	return &adminAPI{
		client: &http.Client{Transport: inProcess{h: a.handler.LocalAdmin()}},
		via:    "in-process over " + be.Describe,
		close:  be.Close,
	}, nil
}

// socketClient is an HTTP client whose every connection goes to the unix
// socket at path.
func socketClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		DisableKeepAlives: true, // one command, a request or two
	}}
}

// inProcess is an http.RoundTripper that serves each request with h in
// this process, as the admin socket would have.
type inProcess struct{ h http.Handler }

var _ http.RoundTripper = inProcess{}

// RoundTrip implements http.RoundTripper.
func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.RemoteAddr = "in-process"
	r.RequestURI = req.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	w := &responseBuffer{header: http.Header{}}
	t.h.ServeHTTP(w, r)
	if req.Body != nil {
		_ = req.Body.Close() // a RoundTripper closes the body; its content is read
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status:     fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)),
		StatusCode: w.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        w.header,
		Body:          io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}, nil
}

// responseBuffer is the http.ResponseWriter of an in-process request.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseBuffer) Header() http.Header { return w.header }

func (w *responseBuffer) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *responseBuffer) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// apiError is an error answer of the API.
type apiError struct {
	Status  int
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"`
}

func (e *apiError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	var fields []string
	for f, m := range e.Fields {
		if m != msg {
			fields = append(fields, f+": "+m)
		}
	}
	if len(fields) > 0 {
		msg += " (" + strings.Join(fields, "; ") + ")"
	}
	return msg
}

// call sends a JSON request (in may be nil) and decodes a JSON answer into
// out (may be nil). An error answer is an *apiError.
func (a *adminAPI) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://floorfeed"+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s through %s: %w", method, path, a.via, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s through %s: read answer: %w", method, path, a.via, err)
	}
	if res.StatusCode >= 300 {
		ae := &apiError{Status: res.StatusCode}
		var eb struct {
			Error *apiError `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			ae.Code, ae.Message, ae.Fields = eb.Error.Code, eb.Error.Message, eb.Error.Fields
		}
		return ae
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s through %s: bad answer: %w", method, path, a.via, err)
	}
	return nil
}
