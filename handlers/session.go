package handlers

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/store"
)

// Dashboard sign-in: sessions for the pages (a cookie, redirect to /login
// without one) and for the API (the same cookie, 401 without it or a Bearer
// token), the CSRF check on every state-changing request made with a
// session cookie, and the role rules of the dashboard's pages.

// Accounts is what the HTTP layer needs of dashboard accounts (implemented
// by *auth.Accounts; see there for the errors).
type Accounts interface {
	Login(ctx context.Context, name, password, addr string) (string, auth.Session, auth.User, error)
	Session(ctx context.Context, secret string) (auth.Principal, auth.Session, error)
	StartSession(ctx context.Context, u auth.User, addr string) (string, auth.Session, error)
	Logout(ctx context.Context, secret string) error
	LogoutEverywhere(ctx context.Context, name string) error
	HasUsers(ctx context.Context) (bool, error)
	Users(ctx context.Context) ([]auth.User, error)
	User(ctx context.Context, name string) (auth.User, error)
	AddUser(ctx context.Context, name string, role auth.Role, password string) (auth.User, error)
	SetRole(ctx context.Context, name string, role auth.Role) (auth.User, error)
	SetDisabled(ctx context.Context, name string, disabled bool) (auth.User, error)
	ChangePassword(ctx context.Context, name, current, password string) (auth.User, error)
}

// AuditLog is the append-only audit log (implemented by *audit.Log).
type AuditLog interface {
	// Audit appends an entry: actor did action to target; detail says how.
	Audit(ctx context.Context, actor, action, target, detail string) error
	// List returns a page of entries, newest first, older than before.
	List(ctx context.Context, before string, limit int) ([]audit.Entry, string, error)
}

// Cookie names.
const (
	// sessionCookie carries the session secret.
	sessionCookie = "ff_session"
	// loginCookie carries the sign-in form's CSRF token before there is a
	// session (a double-submit token: the form holds the same value).
	loginCookie = "ff_login"
)

// Keys on the Echo context.
const (
	ctxSession = "ff.session" // *sessionInfo once resolved for this request
	ctxHTML    = "ff.html"    // true: answer errors with an HTML page
)

// sessionInfo is the request's session as resolved once.
type sessionInfo struct {
	principal auth.Principal
	session   auth.Session
	secret    string
}

// isSafeMethod: a request that changes nothing.
func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sessionOf returns the request's valid session, or nil; an error only when
// the store cannot say.
func (s *Server) sessionOf(c echo.Context) (*sessionInfo, error) {
	if si, ok := c.Get(ctxSession).(*sessionInfo); ok {
		return si, nil
	}
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	p, sess, err := s.accounts.Session(ctx, ck.Value)
	switch {
	case errors.Is(err, auth.ErrNoSession):
		return nil, nil
	case err != nil:
		return nil, errUnavailable(err)
	}
	si := &sessionInfo{principal: p, session: sess, secret: ck.Value}
	c.Set(ctxSession, si)
	req := c.Request()
	ctx2 := auth.WithCSRFToken(auth.WithPrincipal(req.Context(), p), sess.CSRF)
	c.SetRequest(req.WithContext(ctx2))
	return si, nil
}

// errCSRF: a state-changing request with a session cookie but without the
// session's CSRF token.
func errCSRF() *apiError {
	return &apiError{status: http.StatusForbidden, code: codeForbidden, cause: errors.New("missing or wrong CSRF token")}
}

// checkCSRF compares the request's CSRF token (header CSRFHeader, else the
// form field CSRFField) with want, in constant time.
func checkCSRF(c echo.Context, want string) error {
	got := c.Request().Header.Get(auth.CSRFHeader)
	if got == "" {
		ct := c.Request().Header.Get(echo.HeaderContentType)
		if strings.HasPrefix(ct, echo.MIMEApplicationForm) || strings.HasPrefix(ct, echo.MIMEMultipartForm) {
			got = c.FormValue(auth.CSRFField)
		}
	}
	if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF()
	}
	return nil
}

// requireSession is the dashboard pages' authentication: without a valid
// session, a redirect to /login?next=<this page>; with one, the principal
// and CSRF token on the request's context, and on every state-changing
// request the CSRF check (403 without the session's token).
func (s *Server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(ctxHTML, true)
		si, err := s.sessionOf(c)
		if err != nil {
			return err
		}
		if si == nil {
			target := "/login"
			if isSafeMethod(c.Request().Method) {
				target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
				if l := c.QueryParam("lang"); l == "zh" || l == "en" {
					target += "&lang=" + l // the sign-in in the page's language
				}
			}
			return c.Redirect(http.StatusSeeOther, target)
		}
		if !isSafeMethod(c.Request().Method) {
			if err := checkCSRF(c, si.session.CSRF); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// selfServicePaths are the state-changing pages every signed-in user may
// use, viewers included: their own account and signing out.
var selfServicePaths = map[string]bool{routeLogout: true, routeLogoutAll: true, routeAccountPassword: true}

// pageRoles enforces the roles on the dashboard's pages: every signed-in
// role reads; only those who may triage change anything (viewers get 403),
// except their own account. Admin-only pages add requireAdminPage.
func (s *Server) pageRoles(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, _ := auth.PrincipalFrom(c.Request().Context())
		if !p.CanRead() {
			return &apiError{status: http.StatusForbidden, code: codeForbidden}
		}
		if !isSafeMethod(c.Request().Method) && !p.CanTriage() && !selfServicePaths[c.Path()] {
			return &apiError{status: http.StatusForbidden, code: codeForbidden}
		}
		return next(c)
	}
}

// requireAdminPage admits admins only (users, tokens, the audit log).
func (s *Server) requireAdminPage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if p, _ := auth.PrincipalFrom(c.Request().Context()); !p.IsAdmin() {
			return &apiError{status: http.StatusForbidden, code: codeForbidden}
		}
		return next(c)
	}
}

// dashboardGroup is the area of the signed-in dashboard's pages: the page
// policy, a session (else a redirect to /login), the CSRF check on every
// state-changing request, and the roles (viewers change nothing). The
// dashboard's pages (inbox, report, overview, briefs, plant, operations)
// mount on it; handlers read the user with auth.PrincipalFrom and put
// auth.CSRFTokenFrom in every form as the hidden field auth.CSRFField.
func (s *Server) dashboardGroup() routeGroup {
	return routeGroup{e: s.e, mw: []echo.MiddlewareFunc{s.pagePolicy, s.requireSession, s.pageRoles}}
}

// adminPageGroup is dashboardGroup for admins only.
func (s *Server) adminPageGroup() routeGroup {
	g := s.dashboardGroup()
	g.mw = append(g.mw, s.requireAdminPage)
	return g
}

// setSessionCookie sends the session cookie: HttpOnly, SameSite=Lax,
// Secure when the request came over TLS or the base URL is https; no
// expiry (the browser forgets it when it closes; the server ends it after
// the idle and absolute timeouts).
func (s *Server) setSessionCookie(c echo.Context, secret string) {
	c.SetCookie(s.cookie(c, sessionCookie, secret, 0))
}

// clearCookie deletes a cookie.
func (s *Server) clearCookie(c echo.Context, name string) {
	c.SetCookie(s.cookie(c, name, "", -1))
}

func (s *Server) cookie(c echo.Context, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(c),
	}
}

// secureCookies: the browser reached us over https.
func (s *Server) secureCookies(c echo.Context) bool {
	return c.IsTLS() || strings.HasPrefix(s.cfg.BaseURL, "https://") || c.Scheme() == "https"
}

// audit appends to the audit log; a failure is logged, never the
// request's (the change it records has happened).
func (s *Server) audit(c echo.Context, actor, action, target, detail string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), storeReadTimeout)
	defer cancel()
	if err := s.auditLog.Audit(ctx, actor, action, target, detail); err != nil {
		s.log.Error("audit log write failed", "request_id", requestIDOf(c), "action", action, "target", target, "err", err)
	}
}

// actorOf is the name an audit entry records for the request's principal.
func actorOf(c echo.Context) string {
	p, ok := auth.PrincipalFrom(c.Request().Context())
	if !ok {
		return "anonymous"
	}
	switch p.Kind {
	case auth.KindToken:
		return "token:" + p.Name
	case auth.KindLocal:
		return "local administrator"
	}
	return p.Name
}

// sessionTimeout bounds the store calls of sign-in pages.
const sessionTimeout = 10 * time.Second

// constantEq compares two strings in constant time.
func constantEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// defaultAccounts fills in the accounts, the audit log and the code index
// over the store when Deps leaves them unset. Where Reports is not a
// store.Records either (tests that wrap it), nobody can sign in and audit
// entries are only logged.
func (s *Server) defaultAccounts(d Deps) error {
	s.accounts, s.auditLog, s.codes = d.Accounts, d.Audit, d.Codes
	rec, isRecords := d.Reports.(store.Records)
	if s.accounts == nil {
		s.accounts = noAccounts{}
		if isRecords {
			a, err := auth.NewAccounts(auth.AccountsDeps{Records: rec, Now: s.now, Log: s.log})
			if err != nil {
				return err
			}
			s.accounts = a
		}
	}
	if s.auditLog == nil {
		s.auditLog = logOnlyAudit{s.log}
		if isRecords {
			l, err := audit.New(rec, s.now)
			if err != nil {
				return err
			}
			s.auditLog = l
		}
	}
	if s.codes == nil && isRecords {
		s.codes = intake.NewCodes(rec)
	}
	return nil
}

// errNoAccounts: the server was built without accounts.
var errNoAccounts = errors.New("no accounts: Deps.Accounts unset and Reports is not a store.Records")

// noAccounts is Accounts where there are none: no session is valid.
type noAccounts struct{}

func (noAccounts) Login(context.Context, string, string, string) (string, auth.Session, auth.User, error) {
	return "", auth.Session{}, auth.User{}, errNoAccounts
}
func (noAccounts) Session(context.Context, string) (auth.Principal, auth.Session, error) {
	return auth.Principal{}, auth.Session{}, auth.ErrNoSession
}
func (noAccounts) StartSession(context.Context, auth.User, string) (string, auth.Session, error) {
	return "", auth.Session{}, errNoAccounts
}
func (noAccounts) Logout(context.Context, string) error           { return nil }
func (noAccounts) LogoutEverywhere(context.Context, string) error { return errNoAccounts }
func (noAccounts) HasUsers(context.Context) (bool, error)         { return false, nil }
func (noAccounts) Users(context.Context) ([]auth.User, error)     { return nil, nil }
func (noAccounts) User(context.Context, string) (auth.User, error) {
	return auth.User{}, store.ErrNotFound
}
func (noAccounts) AddUser(context.Context, string, auth.Role, string) (auth.User, error) {
	return auth.User{}, errNoAccounts
}
func (noAccounts) SetRole(context.Context, string, auth.Role) (auth.User, error) {
	return auth.User{}, errNoAccounts
}
func (noAccounts) SetDisabled(context.Context, string, bool) (auth.User, error) {
	return auth.User{}, errNoAccounts
}
func (noAccounts) ChangePassword(context.Context, string, string, string) (auth.User, error) {
	return auth.User{}, errNoAccounts
}

// logOnlyAudit writes audit entries to the log only.
type logOnlyAudit struct{ log *slog.Logger }

func (l logOnlyAudit) Audit(_ context.Context, actor, action, target, detail string) error {
	l.log.Info("audit", "actor", actor, "action", action, "target", target, "detail", detail)
	return nil
}

func (logOnlyAudit) List(context.Context, string, int) ([]audit.Entry, string, error) {
	return nil, "", nil
}

// adminGET registers a GET route of the admin API with its HEAD.
func adminGET(g *echo.Group, path string, h echo.HandlerFunc) {
	g.GET(path, h)
	g.HEAD(path, h)
}
