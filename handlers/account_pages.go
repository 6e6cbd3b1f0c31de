package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/store"
)

// The account pages: /account (own password, sign out everywhere), and for
// admins /users, /tokens and /audit. Every change is audited.

// accountView is /account.
type accountView struct {
	dashBase
}

func (s *Server) handleAccountPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "account.html", accountView{dashBase: s.newDashBase(c, "account.title", "account")})
}

func (s *Server) handleAccountPassword(c echo.Context) error {
	si, _ := c.Get(ctxSession).(*sessionInfo)
	v := accountView{dashBase: s.newDashBase(c, "account.title", "account")}
	current, next, again := c.FormValue("current"), c.FormValue("password"), c.FormValue("confirm")
	if next != again {
		v.Problem = s.msg(c, "account.mismatch")
		return s.render(c, http.StatusBadRequest, "account.html", v)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), sessionTimeout)
	defer cancel()
	u, err := s.accounts.ChangePassword(ctx, si.principal.Name, current, next)
	var ve *auth.ValidationError
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		v.Problem = s.msg(c, "account.wrong")
		return s.render(c, http.StatusBadRequest, "account.html", v)
	case errors.As(err, &ve):
		v.Problem = s.validationText(c, ve)
		return s.render(c, http.StatusBadRequest, "account.html", v)
	case err != nil:
		return storeReadError(err)
	}
	s.audit(c, u.Name, audit.ActionPassword, "user:"+u.Name, "own password changed; other sessions ended")
	// The change ended every session, this one too: start a new one.
	secret, sess, err := s.accounts.StartSession(ctx, u, c.RealIP())
	if err != nil {
		return storeReadError(err)
	}
	s.setSessionCookie(c, secret)
	v.CSRF = sess.CSRF
	v.Notice = s.msg(c, "account.saved")
	return s.render(c, http.StatusOK, "account.html", v)
}

// usersView is /users.
type usersView struct {
	dashBase
	Users []userRow
	Roles []auth.Role
	// Form keeps what an admin typed when adding failed.
	FormName string
	FormRole auth.Role
}

type userRow struct {
	auth.User
	PathName string
}

func (s *Server) renderUsers(c echo.Context, status int, v usersView) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	users, err := s.accounts.Users(ctx)
	if err != nil {
		return storeReadError(err)
	}
	slices.SortFunc(users, func(a, b auth.User) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	for _, u := range users {
		v.Users = append(v.Users, userRow{User: u, PathName: u.Name})
	}
	v.Roles = auth.Roles
	if v.FormRole == "" {
		v.FormRole = auth.RoleRnD
	}
	return s.render(c, status, "users.html", v)
}

func (s *Server) handleUsersPage(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, usersView{dashBase: s.newDashBase(c, "users.title", "users")})
}

func (s *Server) handleUserAdd(c echo.Context) error {
	v := usersView{dashBase: s.newDashBase(c, "users.title", "users")}
	name, role, pw := strings.TrimSpace(c.FormValue("name")), auth.Role(c.FormValue("role")), c.FormValue("password")
	ctx, cancel := context.WithTimeout(c.Request().Context(), sessionTimeout)
	defer cancel()
	u, err := s.accounts.AddUser(ctx, name, role, pw)
	var ve *auth.ValidationError
	switch {
	case errors.Is(err, auth.ErrUserExists):
		v.Problem, v.FormName, v.FormRole = s.msg(c, "users.exists"), name, role
		return s.renderUsers(c, http.StatusConflict, v)
	case errors.As(err, &ve):
		v.Problem, v.FormName, v.FormRole = s.validationText(c, ve), name, role
		return s.renderUsers(c, http.StatusBadRequest, v)
	case err != nil:
		return storeReadError(err)
	}
	s.audit(c, actorOf(c), audit.ActionUserAdd, "user:"+u.Name, "role "+string(u.Role))
	v.Notice = s.msg(c, "users.added", u.Name)
	return s.renderUsers(c, http.StatusOK, v)
}

// handleUserChange serves POST /users/{name}: action=role (with role),
// disable or enable.
func (s *Server) handleUserChange(c echo.Context) error {
	v := usersView{dashBase: s.newDashBase(c, "users.title", "users")}
	name := c.Param("name")
	ctx, cancel := context.WithTimeout(c.Request().Context(), sessionTimeout)
	defer cancel()
	var (
		u      auth.User
		err    error
		action string
		detail string
	)
	switch c.FormValue("action") {
	case "role":
		role := auth.Role(c.FormValue("role"))
		u, err = s.accounts.SetRole(ctx, name, role)
		action, detail = audit.ActionUserRole, "role "+string(role)
	case "disable":
		u, err = s.accounts.SetDisabled(ctx, name, true)
		action = audit.ActionUserDisable
	case "enable":
		u, err = s.accounts.SetDisabled(ctx, name, false)
		action = audit.ActionUserEnable
	default:
		return errValidation(map[string]string{"action": store.CodeInvalid})
	}
	var ve *auth.ValidationError
	switch {
	case errors.As(err, &ve):
		v.Problem = s.validationText(c, ve)
		return s.renderUsers(c, http.StatusBadRequest, v)
	case err != nil:
		return storeReadError(err)
	}
	s.audit(c, actorOf(c), action, "user:"+u.Name, detail)
	v.Notice = s.msg(c, "users.changed", u.Name)
	return s.renderUsers(c, http.StatusOK, v)
}

// tokensView is /tokens.
type tokensView struct {
	dashBase
	Tokens []store.APIToken
	// Secret is a token just created, shown this once.
	Secret string
}

func (s *Server) renderTokens(c echo.Context, status int, v tokensView) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	list, err := s.tokens.ListTokens(ctx)
	if err != nil {
		return storeReadError(err)
	}
	slices.Reverse(list) // newest first
	v.Tokens = list
	return s.render(c, status, "tokens.html", v)
}

func (s *Server) handleTokensPage(c echo.Context) error {
	return s.renderTokens(c, http.StatusOK, tokensView{dashBase: s.newDashBase(c, "tokens.title", "tokens")})
}

func (s *Server) handleTokenCreate(c echo.Context) error {
	v := tokensView{dashBase: s.newDashBase(c, "tokens.title", "tokens")}
	ctx, cancel := context.WithTimeout(c.Request().Context(), sessionTimeout)
	defer cancel()
	secret, t, err := s.tokens.CreateToken(ctx, c.FormValue("name"))
	var ve *auth.ValidationError
	switch {
	case errors.As(err, &ve):
		v.Problem = ve.Message
		return s.renderTokens(c, http.StatusBadRequest, v)
	case err != nil:
		return storeReadError(err)
	}
	s.audit(c, actorOf(c), audit.ActionTokenCreate, "token:"+t.ID, "name "+t.Name)
	v.Secret = secret
	return s.renderTokens(c, http.StatusCreated, v)
}

func (s *Server) handleTokenRevokePage(c echo.Context) error {
	id := c.Param("id")
	if id == "" || len(id) > maxTokenIDLen {
		return errNotFound()
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), sessionTimeout)
	defer cancel()
	if err := s.tokens.RevokeToken(ctx, id); err != nil {
		return storeReadError(err)
	}
	s.audit(c, actorOf(c), audit.ActionTokenRevoke, "token:"+id, "")
	v := tokensView{dashBase: s.newDashBase(c, "tokens.title", "tokens")}
	v.Notice = s.msg(c, "tokens.revoked")
	return s.renderTokens(c, http.StatusOK, v)
}

// auditPageSize is how many entries one audit page shows.
const auditPageSize = 50

// auditView is /audit.
type auditView struct {
	dashBase
	Entries []audit.Entry
	Older   string // the URL of the next (older) page, "" on the last
	Paged   bool   // not the newest page
}

func (s *Server) handleAuditPage(c echo.Context) error {
	before := c.QueryParam("before")
	if before != "" && !validCursor(before) {
		return errValidation(map[string]string{"before": store.CodeInvalid})
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	list, next, err := s.auditLog.List(ctx, before, auditPageSize)
	if err != nil {
		return storeReadError(err)
	}
	v := auditView{dashBase: s.newDashBase(c, "audit.title", "audit"), Entries: list, Paged: before != ""}
	if next != "" {
		v.Older = routeAudit + "?before=" + next
	}
	return s.render(c, http.StatusOK, "audit.html", v)
}

// validCursor reports whether v has the form of a report or entry id (a
// UUID in its canonical lower-case text form): the cursors this API hands
// out.
func validCursor(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch i {
		case 8, 13, 18, 23:
			if ch != '-' {
				return false
			}
		default:
			if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f') {
				return false
			}
		}
	}
	return true
}

// validationText says what is wrong with an account form, in the page's
// language.
func (s *Server) validationText(c echo.Context, ve *auth.ValidationError) string {
	switch {
	case ve.Field == "password":
		return s.msg(c, "account.too_short")
	case ve.Field == "name":
		return s.msg(c, "users.bad_name")
	case errors.Is(ve, auth.ErrLastAdmin):
		return s.msg(c, "users.last_admin")
	case ve.Field == "role":
		return s.msg(c, "users.bad_role")
	}
	return ve.Message
}
