package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/qr"
	"github.com/floorfeed/floorfeed/signing"
	"github.com/floorfeed/floorfeed/store"
)

// The admin API, for the administrator of the installation (the CLI):
//
//	GET    /api/v1/admin/settings     what the server runs with (base URL, time zone)
//	GET    /api/v1/admin/lines        every line with its QR form URL
//	GET    /api/v1/admin/tokens       API tokens (never their secrets or hashes)
//	POST   /api/v1/admin/tokens       {"name"} → 201 with the token, shown this once
//	DELETE /api/v1/admin/tokens/{id}  revoke: 204, 404 if there is no such token
//	POST   /api/v1/admin/demo         {"reports", "seed"} → {"created"}
//	       /api/v1/admin/jobs/dead…   dead letters: list, retry (api_admin_jobs.go)
//
//	/api/v1/admin/users…          dashboard users: list, add, change (api_admin_users.go)
//
// Only an admin principal gets in: the local administrator (LocalAdmin: the
// private admin socket and the CLI in-process) and admins signed in to the
// dashboard (with the session's CSRF token on changes); API tokens get 403. Errors have the usual JSON shape, in English.
const (
	routeAdminPrefix = "/api/v1/admin"
	adminDemoTimeout = 10 * time.Minute
	maxTokenIDLen    = 64
)

// DemoLoader loads generated sample reports (implemented by *demo.Loader).
type DemoLoader interface {
	// Load submits n sample reports made from seed and returns how many were new.
	Load(ctx context.Context, n int, seed int64) (int, error)
}

// LocalAdmin returns the handler to serve where the connection itself is
// the credential — the private (0600) admin socket in the data dir, and the
// CLI's in-process transport: every request through it acts as the local
// administrator, with no token. Never serve it on a network listener.
func (s *Server) LocalAdmin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.e.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), auth.LocalAdmin())))
	})
}

// registerAdminRoutes adds the admin API to g (routeAdminPrefix).
func (s *Server) registerAdminRoutes(g *echo.Group) {
	g.Use(s.requireAdmin)
	adminGET(g, "/settings", s.handleAdminSettings)
	adminGET(g, "/lines", s.handleAdminLines)
	adminGET(g, "/tokens", s.handleAdminTokenList)
	g.POST("/tokens", s.handleAdminTokenCreate)
	g.DELETE("/tokens/:id", s.handleAdminTokenRevoke)
	g.POST("/demo", s.handleAdminDemo)
	s.registerAdminJobRoutes(g)
	s.registerAdminDumpRoutes(g)
	s.registerAdminUserRoutes(g)
}

// requireAdmin admits admin principals only: 401 without a credential, 403
// with one that is not an administrator's.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if !p.IsAdmin() {
			return &apiError{status: http.StatusForbidden, code: codeForbidden}
		}
		return next(c)
	}
}

// AdminSettings is what GET /api/v1/admin/settings returns: the settings of
// the running server that admin commands must use rather than their own.
type AdminSettings struct {
	BaseURL  string `json:"base_url"`
	TimeZone string `json:"time_zone"`
	Lines    int    `json:"lines"`
}

func (s *Server) handleAdminSettings(c echo.Context) error {
	return c.JSON(http.StatusOK, AdminSettings{BaseURL: s.baseURL(c), TimeZone: s.cfg.TimeZone.String(), Lines: len(s.plant.Lines)})
}

// AdminLine is one line as GET /api/v1/admin/lines returns it.
type AdminLine struct {
	ID       string   `json:"id"`
	Site     string   `json:"site,omitempty"`
	NameZH   string   `json:"name_zh"`
	NameEN   string   `json:"name_en"`
	Team     string   `json:"team,omitempty"`
	FormURL  string   `json:"form_url"`
	Stations []string `json:"stations,omitempty"`
}

func (s *Server) handleAdminLines(c echo.Context) error {
	base := s.baseURL(c)
	out := make([]AdminLine, 0, len(s.plant.Lines))
	for _, l := range s.plant.Lines {
		out = append(out, AdminLine{
			ID: l.ID, Site: l.Site, NameZH: l.Name.ZH, NameEN: l.Name.EN, Team: l.Team, Stations: l.Stations,
			FormURL: FormURL(base, l.ID, s.signer),
		})
	}
	return c.JSON(http.StatusOK, out)
}

// FormURL is the URL a line's QR code encodes: {base}/r/{line}?t={token}
// (qr.FormURL without a station).
func FormURL(baseURL, line string, sg *signing.Signer) string {
	return qr.FormURL(baseURL, line, "", sg)
}

// baseURL is the configured public base URL, or else the one the request
// came to.
func (s *Server) baseURL(c echo.Context) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	return c.Scheme() + "://" + c.Request().Host
}

// AdminToken is an API token as the admin API shows it: never its hash.
type AdminToken struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// Token is the secret, in the answer to its creation only.
	Token string `json:"token,omitempty"`
}

func adminToken(t store.APIToken) AdminToken {
	return AdminToken{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt}
}

func (s *Server) handleAdminTokenList(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	list, err := s.tokens.ListTokens(ctx)
	if err != nil {
		return storeReadError(err)
	}
	out := make([]AdminToken, 0, len(list))
	for _, t := range list {
		out = append(out, adminToken(t))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleAdminTokenCreate(c echo.Context) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeAdminJSON(c, &req); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	secret, t, err := s.tokens.CreateToken(ctx, req.Name)
	var ve *auth.ValidationError
	switch {
	case errors.As(err, &ve):
		return adminValidation(c, ve.Field, ve.Message)
	case err != nil:
		return storeReadError(err)
	}
	s.audit(c, actorOf(c), audit.ActionTokenCreate, "token:"+t.ID, "name "+t.Name)
	out := adminToken(t)
	out.Token = secret
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) handleAdminTokenRevoke(c echo.Context) error {
	id := c.Param("id")
	if id == "" || len(id) > maxTokenIDLen {
		return errNotFound()
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	if err := s.tokens.RevokeToken(ctx, id); err != nil {
		return storeReadError(err)
	}
	s.audit(c, actorOf(c), audit.ActionTokenRevoke, "token:"+id, "")
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleAdminDemo(c echo.Context) error {
	if s.demo == nil {
		return errNotFound()
	}
	var req struct {
		Reports int   `json:"reports"`
		Seed    int64 `json:"seed"`
	}
	if err := decodeAdminJSON(c, &req); err != nil {
		return err
	}
	if req.Reports < 0 || req.Reports > 100000 {
		return adminValidation(c, "reports", "want 0 to 100000 reports")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), adminDemoTimeout)
	defer cancel()
	n, err := s.demo.Load(ctx, req.Reports, req.Seed)
	if err != nil {
		return toAPIError(err)
	}
	return c.JSON(http.StatusOK, map[string]int{"created": n})
}

// decodeAdminJSON reads a JSON request body into v; 400 if it is not JSON.
func decodeAdminJSON(c echo.Context, v any) error {
	if err := c.Echo().JSONSerializer.Deserialize(c, v); err != nil {
		return errBadRequest(err, nil)
	}
	return nil
}

// adminValidation answers 400 with the message itself: the admin API
// speaks to an administrator's terminal, in English, and the catalog has no
// words for its fields.
func adminValidation(c echo.Context, field, msg string) error {
	c.Set(ctxErrorCode, codeValidation)
	return c.JSON(http.StatusBadRequest, errorBody{Error: errorDetail{
		Code: codeValidation, Message: msg, Fields: map[string]string{field: msg},
	}})
}
