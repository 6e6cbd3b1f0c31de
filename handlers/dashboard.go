package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/dashboard"
)

// Dashboard is the R&D dashboard's routes (implemented by
// *dashboard.Dashboard): its pages and its export.
type Dashboard interface {
	Register(r dashboard.Router)
	RegisterAPI(r dashboard.Router)
}

// registerDashboard mounts the dashboard, if there is one: its pages on the
// signed-in page area (a session or a redirect to /login, the CSRF check,
// the roles), its export (GET /api/v1/reports.csv, .ndjson, .json) on the
// authenticated API area (a session or an API token, else 401).
func (s *Server) registerDashboard(d Dashboard) {
	if d == nil {
		return
	}
	d.Register(s.dashboardGroup())
	d.RegisterAPI(routeGroup{e: s.e, mw: []echo.MiddlewareFunc{s.apiPolicy, s.requirePrincipal}})
}

// requirePrincipal is requireToken for handlers that read the principal
// from the request's context (package dashboard): it authenticates a
// session or an API token (401 without) and puts the principal there.
func (s *Server) requirePrincipal(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if !isSafeMethod(c.Request().Method) && !p.CanTriage() {
			return &apiError{status: http.StatusForbidden, code: codeForbidden}
		}
		c.SetRequest(c.Request().WithContext(auth.WithPrincipal(c.Request().Context(), p)))
		return next(c)
	}
}
