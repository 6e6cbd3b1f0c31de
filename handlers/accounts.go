package handlers

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/i18n"
)

// The sign-in pages and the front door:
//
//	GET  /             the inbox when signed in, else the sign-in page
//	GET  /login        sign-in form (?next=/local/path, ?lang=zh|en); on a
//	                   fresh installation, what to do first
//	POST /login        sign in → 303 to next (or /inbox); 401 / 429 page
//	POST /logout       end this session → 303 /login
//	POST /logout-all   end every session of the user → 303 /login
const (
	routeRoot            = "/"
	routeLogin           = "/login"
	routeLogout          = "/logout"
	routeLogoutAll       = "/logout-all"
	routeAccount         = "/account"
	routeAccountPassword = "/account/password"
	routeUsers           = "/users"
	routeUser            = "/users/:name"
	routeTokens          = "/tokens"
	routeTokenRevoke     = "/tokens/:id/revoke"
	routeAudit           = "/audit"
	// routeInbox is where a sign-in leads by default (the dashboard's inbox).
	routeInbox = "/inbox"
)

// registerAccountRoutes adds the front door, sign-in and the pages of
// accounts, tokens and the audit log.
func (s *Server) registerAccountRoutes(e *echo.Echo) {
	public := routeGroup{e: e, mw: []echo.MiddlewareFunc{s.pagePolicy, markHTML}}
	public.GET(routeRoot, s.handleRoot)
	public.GET(routeLogin, s.handleLoginPage)
	public.POST(routeLogin, s.handleLogin)

	g := s.dashboardGroup()
	g.POST(routeLogout, s.handleLogout)
	g.POST(routeLogoutAll, s.handleLogoutAll)
	g.GET(routeAccount, s.handleAccountPage)
	g.POST(routeAccountPassword, s.handleAccountPassword)

	admin := s.adminPageGroup()
	admin.GET(routeUsers, s.handleUsersPage)
	admin.POST(routeUsers, s.handleUserAdd)
	admin.POST(routeUser, s.handleUserChange)
	admin.GET(routeTokens, s.handleTokensPage)
	admin.POST(routeTokens, s.handleTokenCreate)
	admin.POST(routeTokenRevoke, s.handleTokenRevokePage)
	admin.GET(routeAudit, s.handleAuditPage)
}

// markHTML makes errors on the route HTML pages.
func markHTML(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(ctxHTML, true)
		return next(c)
	}
}

// pageLang is the language of a dashboard page: ?lang= (remembered in a
// cookie), else the cookie, else Accept-Language.
func (s *Server) pageLang(c echo.Context) i18n.Lang {
	if l, ok := i18n.Parse(c.QueryParam("lang")); ok {
		c.SetCookie(&http.Cookie{Name: langCookie, Value: l.String(), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(c)})
		setLang(c, l.String())
		return l
	}
	if ck, err := c.Cookie(langCookie); err == nil {
		if l, ok := i18n.Parse(ck.Value); ok {
			setLang(c, l.String())
			return l
		}
	}
	return s.langOf(c)
}

// dashBase is what every dashboard page's layout needs.
type dashBase struct {
	pageBase
	User      auth.Principal
	CSRF      string
	CSRFField string
	Nav       string // the current page, for aria-current
	SwitchURL string // this page in the other language
	Notice    string // a success message
	Problem   string // an error message
}

func (s *Server) newDashBase(c echo.Context, titleKey, nav string) dashBase {
	lang := s.pageLang(c)
	p, _ := auth.PrincipalFrom(c.Request().Context())
	q := c.Request().URL.Query()
	q.Set("lang", lang.Other().String())
	return dashBase{
		pageBase:  newPageBase(lang.String(), s.text.msg(lang, titleKey)),
		User:      p,
		CSRF:      auth.CSRFTokenFrom(c.Request().Context()),
		CSRFField: auth.CSRFField,
		Nav:       nav,
		SwitchURL: c.Request().URL.Path + "?" + q.Encode(),
	}
}

// msg is a message in the page's language.
func (s *Server) msg(c echo.Context, key string, args ...any) string {
	return s.text.msg(s.pageLang(c), key, args...)
}

func (s *Server) handleRoot(c echo.Context) error {
	si, err := s.sessionOf(c)
	if err != nil {
		return err
	}
	if si != nil {
		return c.Redirect(http.StatusSeeOther, routeInbox)
	}
	return c.Redirect(http.StatusSeeOther, routeLogin)
}

// loginView is the sign-in page.
type loginView struct {
	dashBase
	Next      string
	Name      string
	LoginCSRF string
	// Fresh: no user exists yet; the page says how to create the first admin.
	Fresh     bool
	SignedOut bool
}

// safeNext is where a sign-in may lead: a local path only (never another
// site, never back to the sign-in pages), else the inbox.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return routeInbox
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return routeInbox
	}
	switch u.Path {
	case routeLogin, routeLogout, routeLogoutAll:
		return routeInbox
	}
	return u.RequestURI()
}

func (s *Server) handleLoginPage(c echo.Context) error {
	si, err := s.sessionOf(c)
	if err != nil {
		return err
	}
	if si != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return s.renderLogin(c, http.StatusOK, c.QueryParam("name"), "")
}

// renderLogin renders the sign-in form with a fresh pre-session CSRF token.
func (s *Server) renderLogin(c echo.Context, status int, name, problem string) error {
	v := loginView{dashBase: s.newDashBase(c, "login.title", ""), Name: name, SignedOut: c.QueryParam("out") == "1"}
	v.Problem = problem
	v.Next = c.QueryParam("next")
	if c.Request().Method == http.MethodPost {
		v.Next = c.FormValue("next")
	}
	if v.Next != "" {
		v.Next = safeNext(v.Next)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	has, err := s.accounts.HasUsers(ctx)
	if err != nil {
		return storeReadError(err)
	}
	v.Fresh = !has
	tok, err := newLoginToken()
	if err != nil {
		return err
	}
	v.LoginCSRF = tok
	c.SetCookie(&http.Cookie{Name: loginCookie, Value: tok, Path: routeLogin, MaxAge: 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(c)})
	return s.render(c, status, "login.html", v)
}

func newLoginToken() (string, error) {
	return auth.NewTokenSecret() // 256 random bits; the prefix is harmless
}

func (s *Server) handleLogin(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	password := c.FormValue("password")
	ck, err := c.Cookie(loginCookie)
	if err != nil || ck.Value == "" || checkCSRFValue(c.FormValue(auth.CSRFField), ck.Value) != nil {
		return s.renderLogin(c, http.StatusForbidden, name, s.msg(c, "login.expired"))
	}
	addr := c.RealIP()
	ctx, cancel := context.WithTimeout(c.Request().Context(), sessionTimeout)
	defer cancel()
	secret, _, u, err := s.accounts.Login(ctx, name, password, addr)
	var te *auth.ThrottledError
	switch {
	case errors.As(err, &te):
		s.audit(c, name, audit.ActionLoginFailed, "user:"+name, "throttled; from "+addr)
		c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(retrySeconds(te.RetryAfter)))
		mins := int(math.Ceil(te.RetryAfter.Minutes()))
		return s.renderLogin(c, http.StatusTooManyRequests, name, s.msg(c, "login.throttled", max(mins, 1)))
	case errors.Is(err, auth.ErrBadCredentials):
		s.audit(c, name, audit.ActionLoginFailed, "user:"+name, "wrong name or password; from "+addr)
		return s.renderLogin(c, http.StatusUnauthorized, name, s.msg(c, "login.failed"))
	case err != nil:
		return storeReadError(err)
	}
	s.clearCookieAt(c, loginCookie, routeLogin)
	s.setSessionCookie(c, secret)
	s.audit(c, u.Name, audit.ActionLogin, "user:"+u.Name, "from "+addr)
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

// checkCSRFValue compares a submitted token with the expected one.
func checkCSRFValue(got, want string) error {
	if got == "" || want == "" || len(got) != len(want) || !constantEq(got, want) {
		return errCSRF()
	}
	return nil
}

func (s *Server) clearCookieAt(c echo.Context, name, path string) {
	ck := s.cookie(c, name, "", -1)
	ck.Path = path
	c.SetCookie(ck)
}

func (s *Server) handleLogout(c echo.Context) error {
	si, _ := c.Get(ctxSession).(*sessionInfo)
	ctx, cancel := context.WithTimeout(c.Request().Context(), sessionTimeout)
	defer cancel()
	if err := s.accounts.Logout(ctx, si.secret); err != nil {
		return storeReadError(err)
	}
	s.clearCookie(c, sessionCookie)
	s.audit(c, si.principal.Name, audit.ActionLogout, "user:"+si.principal.Name, "")
	return c.Redirect(http.StatusSeeOther, routeLogin+"?out=1")
}

func (s *Server) handleLogoutAll(c echo.Context) error {
	si, _ := c.Get(ctxSession).(*sessionInfo)
	ctx, cancel := context.WithTimeout(c.Request().Context(), sessionTimeout)
	defer cancel()
	if err := s.accounts.LogoutEverywhere(ctx, si.principal.Name); err != nil {
		return storeReadError(err)
	}
	s.clearCookie(c, sessionCookie)
	s.audit(c, si.principal.Name, audit.ActionLogoutAll, "user:"+si.principal.Name, "")
	return c.Redirect(http.StatusSeeOther, routeLogin+"?out=1")
}
