package handlers

import (
	"bytes"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// handleAsset serves GET /static/…: a file of package static under its
// current content-hashed URL, with a strong ETag (If-None-Match gives 304)
// and range support. An unknown name or a hash that is not the current one
// is a 404 (see package static for why not a redirect); the asset policy
// keeps that answer out of caches.
func (s *Server) handleAsset(c echo.Context) error {
	a, ok := s.assets.Lookup(c.Request().URL.Path)
	if !ok {
		return errNotFound()
	}
	if s.serveGzipAsset(c, a) {
		return nil
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, a.ContentType)
	h.Set("ETag", a.ETag)
	// A zero modification time: no Last-Modified, the ETag decides.
	http.ServeContent(c.Response(), c.Request(), a.Name, time.Time{}, bytes.NewReader(a.Body))
	return nil
}
