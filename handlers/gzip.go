package handlers

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/static"
)

// Compression. HTML, CSS, JavaScript and JSON go out gzip-compressed when
// the client accepts it (a phone on plant Wi-Fi gets the form in a third
// of the bytes); images and PDFs, already compressed, never do. Responses
// shorter than gzipMinSize go out as they are: gzip's header would eat
// the gain, and the 201 of a submission stays as cheap as it was. The
// static files are compressed once, on their first request, and kept.

// gzipMinSize is the smallest response body worth compressing.
const gzipMinSize = 1024

// compressible reports whether a Content-Type is text worth compressing.
func compressible(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
		"application/manifest+json", "text/csv", "text/plain", "image/svg+xml":
		return true
	}
	return false
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		return q > 0
	}
	return false
}

// gzipPool holds gzip writers (each holds about 800 KB of state: making
// one per response would cost more than compressing).
type gzipPool struct{ p sync.Pool }

func (g *gzipPool) get(w *bufio.Writer) *gzip.Writer {
	if z, ok := g.p.Get().(*gzip.Writer); ok {
		z.Reset(w)
		return z
	}
	z, _ := gzip.NewWriterLevel(w, gzip.DefaultCompression) // only fails for a bad level
	return z
}

func (g *gzipPool) put(z *gzip.Writer) { g.p.Put(z) }

// compress is the middleware: it wraps the response writer for clients
// that accept gzip.
func (s *Server) compress(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method == http.MethodHead || !acceptsGzip(req) {
			return next(c)
		}
		res := c.Response()
		res.Header().Add(echo.HeaderVary, "Accept-Encoding")
		w := &gzipWriter{ResponseWriter: res.Writer, pool: &s.gzip}
		res.Writer = w
		err := next(c)
		w.finish()
		res.Writer = w.ResponseWriter
		return err
	}
}

// gzipWriter decides at the first gzipMinSize bytes (or at the end)
// whether to compress: only a compressible type without an encoding of its
// own, with a body, of at least gzipMinSize.
type gzipWriter struct {
	http.ResponseWriter
	pool    *gzipPool
	status  int
	buf     []byte
	decided bool
	z       *gzip.Writer
	bw      *bufio.Writer
}

func (w *gzipWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	h := w.Header()
	if code < 200 || code == http.StatusNoContent || code == http.StatusNotModified ||
		h.Get(echo.HeaderContentEncoding) != "" || !compressible(h.Get(echo.HeaderContentType)) ||
		h.Get("Content-Range") != "" {
		w.decide(false)
	}
}

func (w *gzipWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		if w.Header().Get(echo.HeaderContentType) == "" {
			w.Header().Set(echo.HeaderContentType, http.DetectContentType(b))
		}
		w.WriteHeader(http.StatusOK)
	}
	if w.decided {
		if w.z != nil {
			return w.z.Write(b)
		}
		return w.ResponseWriter.Write(b)
	}
	w.buf = append(w.buf, b...)
	if len(w.buf) >= gzipMinSize {
		w.decide(true)
	}
	return len(b), nil
}

// decide sends the header, compressed or not, and what was buffered.
func (w *gzipWriter) decide(gz bool) {
	if w.decided {
		return
	}
	w.decided = true
	if gz {
		h := w.Header()
		h.Set(echo.HeaderContentEncoding, "gzip")
		h.Del(echo.HeaderContentLength)
		if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
			h.Set("ETag", "W/"+et) // the bytes differ from the identity ones
		}
		w.bw = bufio.NewWriterSize(w.ResponseWriter, 4096)
		w.z = w.pool.get(w.bw)
	}
	w.ResponseWriter.WriteHeader(w.status)
	if len(w.buf) > 0 {
		if w.z != nil {
			_, _ = w.z.Write(w.buf) // an error shows again at Close; the client has gone
		} else {
			_, _ = w.ResponseWriter.Write(w.buf)
		}
	}
	w.buf = nil
}

// finish flushes: a short body goes out uncompressed.
func (w *gzipWriter) finish() {
	if w.status == 0 {
		return // nothing written: the error handler answers, uncompressed
	}
	w.decide(false)
	if w.z != nil {
		_ = w.z.Close()
		_ = w.bw.Flush()
		w.pool.put(w.z)
		w.z = nil
	}
}

// Flush sends what is compressed so far (streamed responses).
func (w *gzipWriter) Flush() {
	if !w.decided {
		w.decide(len(w.buf) > 0 && compressible(w.Header().Get(echo.HeaderContentType)))
	}
	if w.z != nil {
		_ = w.z.Flush()
		_ = w.bw.Flush()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack passes through (no upgrade goes through this server, but a
// wrapper must not hide the capability).
func (w *gzipWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("gzip writer: hijack not supported")
}

// Unwrap lets http.ResponseController reach the connection.
func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// gzAsset is a static file compressed once.
type gzAsset struct {
	once sync.Once
	body []byte // nil: not worth it
}

// serveGzipAsset serves a's precompressed bytes when the client takes
// gzip and the file is text; it reports whether it did.
func (s *Server) serveGzipAsset(c echo.Context, a *static.Asset) bool {
	req := c.Request()
	if !acceptsGzip(req) || !compressible(a.ContentType) || len(a.Body) < gzipMinSize || req.Header.Get("Range") != "" {
		return false
	}
	v, _ := s.gzAssets.LoadOrStore(a.URL, &gzAsset{})
	ga := v.(*gzAsset)
	ga.once.Do(func() {
		var buf bytes.Buffer
		z, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = z.Write(a.Body)
		_ = z.Close()
		if buf.Len() < len(a.Body) {
			ga.body = buf.Bytes()
		}
	})
	if ga.body == nil {
		return false
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, a.ContentType)
	h.Set(echo.HeaderContentEncoding, "gzip")
	h.Add(echo.HeaderVary, "Accept-Encoding")
	h.Set("ETag", strings.TrimSuffix(a.ETag, `"`)+`-gz"`)
	http.ServeContent(c.Response(), req, a.Name, time.Time{}, bytes.NewReader(ga.body))
	return true
}
