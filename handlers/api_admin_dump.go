package handlers

import (
	"context"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Dumper writes whole-installation copies for the admin API (implemented in
// cmd/floorfeed over the store and the installation secret).
type Dumper interface {
	// Backup writes a consistent copy of the embedded store's file (a
	// bbolt read transaction's WriteTo); an error for Redis.
	Backup(ctx context.Context, w io.Writer) error
	// Export writes everything in the export package's JSON-lines format.
	Export(ctx context.Context, w io.Writer) error
}

// registerAdminDumpRoutes adds GET /api/v1/admin/backup and /export, which
// stream: the CLI's `floorfeed backup` and `floorfeed export` use them
// through the admin socket while a server holds the embedded store.
func (s *Server) registerAdminDumpRoutes(g *echo.Group) {
	if s.dump == nil {
		return
	}
	g.GET("/backup", s.handleAdminStream("application/octet-stream", s.dump.Backup))
	g.GET("/export", s.handleAdminStream("application/x-ndjson", s.dump.Export))
}

func (s *Server) handleAdminStream(contentType string, write func(context.Context, io.Writer) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		w := c.Response()
		w.Header().Set(echo.HeaderContentType, contentType)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		if err := write(c.Request().Context(), w); err != nil {
			// The status is sent: the copy is cut short, which the reader
			// sees (no export trailer; a backup fails to open).
			s.log.Error("admin stream failed", "path", c.Path(), "err", err)
			return nil
		}
		return nil
	}
}
