package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/audit"
	"github.com/floorfeed/floorfeed/auth"
)

// The admin API's users (floorfeed user add|list|disable):
//
//	GET   /api/v1/admin/users         every user (never a password hash)
//	POST  /api/v1/admin/users         {"name", "role", "password"} → 201; 409 if the name is taken
//	PATCH /api/v1/admin/users/{name}  {"role"?, "disabled"?} → 200; 404 unknown

// AdminUser is a user as the admin API shows it.
type AdminUser struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Role        auth.Role `json:"role"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	LastLoginAt time.Time `json:"last_login_at,omitzero"`
}

func adminUser(u auth.User) AdminUser {
	return AdminUser{ID: u.ID, Name: u.Name, Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, LastLoginAt: u.LastLoginAt}
}

func (s *Server) registerAdminUserRoutes(g *echo.Group) {
	adminGET(g, "/users", s.handleAdminUserList)
	g.POST("/users", s.handleAdminUserAdd)
	g.PATCH("/users/:name", s.handleAdminUserChange)
}

func (s *Server) handleAdminUserList(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	users, err := s.accounts.Users(ctx)
	if err != nil {
		return storeReadError(err)
	}
	out := make([]AdminUser, 0, len(users))
	for _, u := range users {
		out = append(out, adminUser(u))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleAdminUserAdd(c echo.Context) error {
	var req struct {
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
	}
	if err := decodeAdminJSON(c, &req); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), sessionTimeout)
	defer cancel()
	u, err := s.accounts.AddUser(ctx, req.Name, auth.Role(req.Role), req.Password)
	var ve *auth.ValidationError
	switch {
	case errors.As(err, &ve):
		return adminValidation(c, ve.Field, ve.Message)
	case errors.Is(err, auth.ErrUserExists):
		c.Set(ctxErrorCode, "conflict")
		return c.JSON(http.StatusConflict, errorBody{Error: errorDetail{Code: "conflict", Message: "a user with this name exists", Fields: map[string]string{"name": "taken"}}})
	case err != nil:
		return storeReadError(err)
	}
	s.audit(c, actorOf(c), audit.ActionUserAdd, "user:"+u.Name, "role "+string(u.Role))
	return c.JSON(http.StatusCreated, adminUser(u))
}

func (s *Server) handleAdminUserChange(c echo.Context) error {
	var req struct {
		Role     *string `json:"role"`
		Disabled *bool   `json:"disabled"`
	}
	if err := decodeAdminJSON(c, &req); err != nil {
		return err
	}
	name := c.Param("name")
	ctx, cancel := context.WithTimeout(c.Request().Context(), sessionTimeout)
	defer cancel()
	u, err := s.accounts.User(ctx, name)
	if err != nil {
		return storeReadError(err)
	}
	var ve *auth.ValidationError
	if req.Role != nil && auth.Role(*req.Role) != u.Role {
		u, err = s.accounts.SetRole(ctx, name, auth.Role(*req.Role))
		if errors.As(err, &ve) {
			return adminValidation(c, ve.Field, ve.Message)
		}
		if err != nil {
			return storeReadError(err)
		}
		s.audit(c, actorOf(c), audit.ActionUserRole, "user:"+u.Name, "role "+string(u.Role))
	}
	if req.Disabled != nil && *req.Disabled != u.Disabled {
		u, err = s.accounts.SetDisabled(ctx, name, *req.Disabled)
		if errors.As(err, &ve) {
			return adminValidation(c, ve.Field, ve.Message)
		}
		if err != nil {
			return storeReadError(err)
		}
		action := audit.ActionUserEnable
		if u.Disabled {
			action = audit.ActionUserDisable
		}
		s.audit(c, actorOf(c), action, "user:"+u.Name, "")
	}
	return c.JSON(http.StatusOK, adminUser(u))
}
