package handlers

import (
	"context"
	"errors"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/store"
)

// TokenAuth verifies and manages API tokens (implemented by *auth.Service).
type TokenAuth interface {
	// VerifyToken returns a Bearer token's principal, or auth.ErrInvalidToken.
	VerifyToken(ctx context.Context, secret string) (auth.Principal, error)
	// CreateToken mints and stores a token, returning it once; a bad name
	// is an *auth.ValidationError.
	CreateToken(ctx context.Context, name string) (string, store.APIToken, error)
	// ListTokens returns every token, oldest first.
	ListTokens(ctx context.Context) ([]store.APIToken, error)
	// RevokeToken revokes a token by id, or returns store.ErrNotFound.
	RevokeToken(ctx context.Context, id string) error
}

// authenticate returns who the request acts for: the principal its context
// already carries (set only by trusted code: the admin socket's handler,
// LocalAdmin), the one of its dashboard session cookie when it has no
// Authorization header (with the CSRF check on state-changing requests), or
// the one of its "Authorization: Bearer" token, which it then puts on the
// request's context. 401 without a valid credential, 503 when
// the store cannot say.
func (s *Server) authenticate(c echo.Context) (auth.Principal, error) {
	req := c.Request()
	if p, ok := auth.PrincipalFrom(req.Context()); ok {
		return p, nil
	}
	if req.Header.Get(echo.HeaderAuthorization) == "" {
		// A dashboard session: the cookie is sent by the browser on its own,
		// so a state-changing request must also carry the session's CSRF
		// token (a Bearer token is never sent on its own: exempt).
		si, err := s.sessionOf(c)
		if err != nil {
			return auth.Principal{}, err
		}
		if si != nil {
			if !isSafeMethod(req.Method) {
				if err := checkCSRF(c, si.session.CSRF); err != nil {
					return auth.Principal{}, err
				}
			}
			return si.principal, nil
		}
	}
	scheme, secret, ok := strings.Cut(req.Header.Get(echo.HeaderAuthorization), " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" || len(secret) > maxBearerLen {
		return auth.Principal{}, errUnauthorized()
	}
	ctx, cancel := context.WithTimeout(req.Context(), storeReadTimeout)
	defer cancel()
	p, err := s.tokens.VerifyToken(ctx, secret)
	switch {
	case errors.Is(err, auth.ErrInvalidToken):
		return auth.Principal{}, errUnauthorized()
	case err != nil:
		return auth.Principal{}, errUnavailable(err)
	}
	c.SetRequest(req.WithContext(auth.WithPrincipal(req.Context(), p)))
	return p, nil
}
