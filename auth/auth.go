// Package auth decides who a request acts for and what it may do. Today
// that is API tokens — minted, hashed, verified in constant time, revoked,
// their last use recorded — and the local administrator (a connection to
// the private admin socket, or the CLI working on the store itself). Users,
// password hashes, sessions and roles join here: each way of signing in
// yields a Principal, and handlers ask the Principal, never the mechanism.
package auth

import (
	"context"
	"errors"
)

// ErrInvalidToken: the API token is malformed, unknown or revoked. Callers
// answer 401 and never say which.
var ErrInvalidToken = errors.New("invalid API token")

// Role is what a principal may do.
type Role string

const (
	// RoleAdmin may do everything, the admin API (tokens, lines, demo data)
	// included.
	RoleAdmin Role = "admin"
	// RoleAPI is an API token's role: the authenticated reports API, not
	// the admin API.
	RoleAPI Role = "api"
	// RoleRnD is a dashboard user who triages and replies: reads
	// everything, changes reports (status, team, reply, notes, merges),
	// makes briefs; not users or plant settings.
	RoleRnD Role = "rnd"
	// RoleViewer is a dashboard user who reads and changes nothing.
	RoleViewer Role = "viewer"
)

// Kind says how a principal authenticated.
type Kind string

const (
	// KindToken: an "Authorization: Bearer" API token.
	KindToken Kind = "token"
	// KindLocal: the local administrator, whose credential is the file
	// permission of the admin socket (or of the store the CLI opened).
	KindLocal Kind = "local"
)

// Principal is who a request acts for.
type Principal struct {
	Kind Kind
	// ID is the token's or the signed-in user's id; empty for KindLocal.
	ID string
	// Name is for logs and history entries: the token's or the user's name.
	Name string
	Role Role
}

// IsAdmin reports whether p may use the admin API.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

// CanTriage reports whether p may change reports (status, team, reply,
// notes, merges) and make briefs: admins, R&D users and API tokens.
func (p Principal) CanTriage() bool {
	return p.Role == RoleAdmin || p.Role == RoleRnD || p.Role == RoleAPI
}

// CanRead reports whether p may read the dashboard and the reports API:
// every known role.
func (p Principal) CanRead() bool { return p.CanTriage() || p.Role == RoleViewer }

// KindSession is a signed-in dashboard user (Principal.ID is the user's id).
const KindSession Kind = "session"

// LocalAdmin is the principal of a connection to the private admin socket
// and of the CLI calling the API in-process.
func LocalAdmin() Principal {
	return Principal{Kind: KindLocal, Name: "local administrator", Role: RoleAdmin}
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p. Only trusted code sets it: the
// listener of the admin socket, the CLI's in-process transport, and the
// authentication middleware once a credential checked out. Nothing a
// remote client sends can put a value in a context.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal ctx carries, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

type csrfKey struct{}

// WithCSRFToken returns ctx carrying the CSRF token of the request's
// session: pages put it in every state-changing form as the hidden field
// CSRFField (or scripts send it as the header CSRFHeader), and the session
// middleware refuses a POST whose token does not match.
func WithCSRFToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

// CSRFTokenFrom returns the CSRF token WithCSRFToken put on ctx ("" if none).
func CSRFTokenFrom(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// The form field and header that carry the CSRF token.
const (
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)
