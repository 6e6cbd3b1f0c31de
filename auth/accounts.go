package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/store"
)

// The collections of the dashboard's accounts.
const (
	// UsersCollection holds one User per key: the user's name folded to
	// lower case, so names are unique regardless of case.
	UsersCollection = "auth.users"
	// SessionsCollection holds one Session per key: the hex SHA-256 of the
	// session's secret (the cookie value), never the secret itself.
	SessionsCollection = "auth.sessions"
)

// Defaults of AccountsDeps.
const (
	DefaultIdleTimeout     = 12 * time.Hour
	DefaultAbsoluteTimeout = 7 * 24 * time.Hour
	// DefaultUserFailures failed sign-ins within ThrottleWindow lock a
	// user's sign-in until the window has passed since the first of them.
	DefaultUserFailures = 5
	// DefaultAddrFailures failed sign-ins from one client address within
	// ThrottleWindow lock that address out the same way.
	DefaultAddrFailures = 20
	// ThrottleWindow is the period failed sign-ins count in.
	ThrottleWindow = 15 * time.Minute
	// sessionTouchInterval is how often, at most, a session's last use is
	// written: idle expiry is exact to within this.
	sessionTouchInterval = time.Minute
	// purgeInterval is how often, at most, a process sweeps expired sessions.
	purgeInterval = time.Hour
	// MaxUserNameLen bounds a user's name, in characters.
	MaxUserNameLen = 64
	// maxHashing bounds concurrent password hashes (19 MiB each).
	maxHashing    = 4
	userSchema    = 1
	sessionSchema = 1
)

// Errors of Accounts.
var (
	// ErrBadCredentials: unknown user, wrong password or disabled account.
	// Callers never say which.
	ErrBadCredentials = errors.New("wrong user name or password")
	// ErrThrottled: too many failed sign-ins; see ThrottledError.
	ErrThrottled = errors.New("too many failed sign-ins")
	// ErrNoSession: the session secret is unknown, expired or revoked.
	ErrNoSession = errors.New("no valid session")
	// ErrUserExists: AddUser with a name that is taken (in any case).
	ErrUserExists = errors.New("user exists")
)

// ThrottledError is ErrThrottled with the time until a retry may succeed.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v: retry in %s", ErrThrottled, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrThrottled) hold.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Roles are the roles a dashboard user can have, most powerful first.
var Roles = []Role{RoleAdmin, RoleRnD, RoleViewer}

// ValidUserRole reports whether r is a dashboard user's role.
func ValidUserRole(r Role) bool { return slices.Contains(Roles, r) }

// User is a dashboard account as stored (JSON in UsersCollection).
type User struct {
	Schema int    `json:"schema"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	// PasswordHash is an argon2id PHC string.
	PasswordHash string `json:"password_hash"`
	Disabled     bool   `json:"disabled"`
	// Generation counts "sign out everywhere": a session made under an
	// older generation is invalid.
	Generation int       `json:"generation"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// LastLoginAt is the last successful sign-in; zero if none.
	LastLoginAt time.Time `json:"last_login_at,omitzero"`
	// Failures are the recent failed sign-ins (at most the throttle's
	// limit), shared by every instance through the store.
	Failures []time.Time `json:"failures,omitempty"`
}

// Session is a signed-in browser as stored (JSON in SessionsCollection).
type Session struct {
	Schema     int       `json:"schema"`
	UserKey    string    `json:"user"`
	UserID     string    `json:"user_id"`
	Generation int       `json:"generation"`
	CSRF       string    `json:"csrf"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeen   time.Time `json:"last_seen"`
	Addr       string    `json:"addr,omitempty"`
}

// AccountsDeps are what Accounts needs; Records is required.
type AccountsDeps struct {
	Records store.Records
	// Now is the clock of expiry and throttling; nil means time.Now.
	Now func() time.Time
	// Log receives failures of best-effort work; nil discards them.
	Log *slog.Logger
	// IdleTimeout ends a session unused this long; 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session this long after sign-in; 0 means
	// DefaultAbsoluteTimeout.
	AbsoluteTimeout time.Duration
	// UserFailures and AddrFailures are the throttle's limits per
	// ThrottleWindow; 0 means the defaults.
	UserFailures, AddrFailures int
}

// Accounts manages dashboard users, sign-in and sessions. Users and
// sessions (and each user's recent failed sign-ins) live in the store, so
// every instance sharing it shares them; the per-address throttle is this
// process's own memory.
type Accounts struct {
	rec                  store.Records
	now                  func() time.Time
	log                  *slog.Logger
	idle, absolute       time.Duration
	userFails, addrFails int
	hashing              chan struct{}
	dummyHash            string

	mu        sync.Mutex
	addrs     map[string][]time.Time // client address → recent failures
	lastPurge time.Time
}

// NewAccounts returns Accounts over d.
func NewAccounts(d AccountsDeps) (*Accounts, error) {
	if d.Records == nil {
		return nil, errors.New("auth.NewAccounts: missing Records")
	}
	a := &Accounts{
		rec: d.Records, now: d.Now, log: d.Log, idle: d.IdleTimeout, absolute: d.AbsoluteTimeout,
		userFails: d.UserFailures, addrFails: d.AddrFailures,
		hashing: make(chan struct{}, maxHashing), addrs: map[string][]time.Time{},
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.idle <= 0 {
		a.idle = DefaultIdleTimeout
	}
	if a.absolute <= 0 {
		a.absolute = DefaultAbsoluteTimeout
	}
	if a.userFails <= 0 {
		a.userFails = DefaultUserFailures
	}
	if a.addrFails <= 0 {
		a.addrFails = DefaultAddrFailures
	}
	h, err := hashPassword("not a password of anyone")
	if err != nil {
		return nil, err
	}
	a.dummyHash = h
	return a, nil
}

// IdleTimeout is how long an unused session lasts.
func (a *Accounts) IdleTimeout() time.Duration { return a.idle }

// userKey is the store key of a user name.
func userKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// checkUserName validates a new user's name: 1 to MaxUserNameLen letters,
// digits and . _ - @ (Chinese names included).
func checkUserName(name string) error {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > MaxUserNameLen {
		return &ValidationError{Field: "name", Message: fmt.Sprintf("a user name must be 1 to %d characters", MaxUserNameLen)}
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-@", r) {
			return &ValidationError{Field: "name", Message: "a user name may have letters, digits and . _ - @ only"}
		}
	}
	return nil
}

// CheckPassword validates a new password's length.
func CheckPassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLen || len(pw) > MaxPasswordLen {
		return &ValidationError{Field: "password", Message: fmt.Sprintf("a password must have at least %d characters (at most %d bytes)", MinPasswordLen, MaxPasswordLen)}
	}
	return nil
}

func checkRole(r Role) error {
	if !ValidUserRole(r) {
		return &ValidationError{Field: "role", Message: "the role must be admin, rnd or viewer"}
	}
	return nil
}

// hash hashes pw, at most maxHashing at once.
func (a *Accounts) hash(ctx context.Context, pw string) (string, error) {
	if err := a.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-a.hashing }()
	return hashPassword(pw)
}

func (a *Accounts) verify(ctx context.Context, hash, pw string) (bool, error) {
	if err := a.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-a.hashing }()
	return checkPassword(hash, pw)
}

func (a *Accounts) acquire(ctx context.Context) error {
	select {
	case a.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait to hash a password: %w", ctx.Err())
	}
}

// AddUser creates a user. Errors: *ValidationError (name, role, password),
// ErrUserExists.
func (a *Accounts) AddUser(ctx context.Context, name string, role Role, password string) (User, error) {
	name = strings.TrimSpace(name)
	if err := checkUserName(name); err != nil {
		return User{}, err
	}
	if err := checkRole(role); err != nil {
		return User{}, err
	}
	if err := CheckPassword(password); err != nil {
		return User{}, err
	}
	h, err := a.hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	now := a.now().UTC()
	u := User{Schema: userSchema, ID: store.NewID(now), Name: name, Role: role, PasswordHash: h, CreatedAt: now, UpdatedAt: now}
	b, err := json.Marshal(u)
	if err != nil {
		return User{}, fmt.Errorf("add user %q: %w", name, err)
	}
	created, err := a.rec.CreateRecord(ctx, UsersCollection, userKey(name), b)
	if err != nil {
		return User{}, fmt.Errorf("add user %q: %w", name, err)
	}
	if !created {
		return User{}, fmt.Errorf("add user %q: %w", name, ErrUserExists)
	}
	return u, nil
}

// User returns the user with this name (in any case), or store.ErrNotFound.
func (a *Accounts) User(ctx context.Context, name string) (User, error) {
	k := userKey(name)
	if k == "" || utf8.RuneCountInString(k) > MaxUserNameLen {
		return User{}, fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	b, err := a.rec.GetRecord(ctx, UsersCollection, k)
	if err != nil {
		return User{}, fmt.Errorf("user %q: %w", name, err)
	}
	var u User
	if err := json.Unmarshal(b, &u); err != nil {
		return User{}, fmt.Errorf("decode user %q: %w", name, err)
	}
	return u, nil
}

// Users returns every user, by name.
func (a *Accounts) Users(ctx context.Context) ([]User, error) {
	var out []User
	after := ""
	for {
		page, err := a.rec.ListRecords(ctx, UsersCollection, store.ListOptions{After: after, Limit: store.MaxLimit})
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		for _, r := range page {
			var u User
			if err := json.Unmarshal(r.Value, &u); err != nil {
				return nil, fmt.Errorf("decode user %q: %w", r.Key, err)
			}
			out = append(out, u)
		}
		if len(page) < store.MaxLimit {
			return out, nil
		}
		after = page[len(page)-1].Key
	}
}

// HasUsers reports whether any user exists (a fresh installation has none).
func (a *Accounts) HasUsers(ctx context.Context) (bool, error) {
	n, err := a.rec.CountRecords(ctx, UsersCollection)
	if err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	return n > 0, nil
}

// updateUser changes a user atomically with fn.
func (a *Accounts) updateUser(ctx context.Context, name string, fn func(*User) error) (User, error) {
	k := userKey(name)
	if k == "" || utf8.RuneCountInString(k) > MaxUserNameLen {
		return User{}, fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	var out User
	_, err := a.rec.UpdateRecord(ctx, UsersCollection, k, func(cur []byte, exists bool) ([]byte, error) {
		if !exists {
			return nil, store.ErrNotFound
		}
		var u User
		if err := json.Unmarshal(cur, &u); err != nil {
			return nil, fmt.Errorf("decode user: %w", err)
		}
		if err := fn(&u); err != nil {
			return nil, err
		}
		out = u
		return json.Marshal(u)
	})
	if err != nil {
		return User{}, fmt.Errorf("update user %q: %w", name, err)
	}
	return out, nil
}

// ErrLastAdmin (a *ValidationError): the change would leave no enabled admin.
var ErrLastAdmin = &ValidationError{Field: "role", Message: "this is the last enabled admin: add another admin first"}

// keepsAnAdmin checks that, without user key k, an enabled admin remains.
func (a *Accounts) keepsAnAdmin(ctx context.Context, k string) error {
	users, err := a.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if userKey(u.Name) != k && u.Role == RoleAdmin && !u.Disabled {
			return nil
		}
	}
	return ErrLastAdmin
}

// SetRole changes a user's role; it takes effect on the user's next
// request. Errors: *ValidationError (unknown role, the last admin),
// store.ErrNotFound.
func (a *Accounts) SetRole(ctx context.Context, name string, role Role) (User, error) {
	if err := checkRole(role); err != nil {
		return User{}, err
	}
	if role != RoleAdmin {
		if u, err := a.User(ctx, name); err == nil && u.Role == RoleAdmin && !u.Disabled {
			if err := a.keepsAnAdmin(ctx, userKey(name)); err != nil {
				return User{}, err
			}
		}
	}
	return a.updateUser(ctx, name, func(u *User) error {
		u.Role, u.UpdatedAt = role, a.now().UTC()
		return nil
	})
}

// SetDisabled disables (ending every session at once) or enables a user.
// Errors: *ValidationError (disabling the last admin), store.ErrNotFound.
func (a *Accounts) SetDisabled(ctx context.Context, name string, disabled bool) (User, error) {
	if disabled {
		if u, err := a.User(ctx, name); err == nil && u.Role == RoleAdmin && !u.Disabled {
			if err := a.keepsAnAdmin(ctx, userKey(name)); err != nil {
				return User{}, err
			}
		}
	}
	return a.updateUser(ctx, name, func(u *User) error {
		if u.Disabled != disabled {
			u.Disabled, u.UpdatedAt = disabled, a.now().UTC()
			u.Generation++
		}
		return nil
	})
}

// SetPassword sets a user's password and ends all of the user's sessions.
// Errors: *ValidationError, store.ErrNotFound.
func (a *Accounts) SetPassword(ctx context.Context, name, password string) (User, error) {
	if err := CheckPassword(password); err != nil {
		return User{}, err
	}
	h, err := a.hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	return a.updateUser(ctx, name, func(u *User) error {
		u.PasswordHash, u.UpdatedAt = h, a.now().UTC()
		u.Generation++
		u.Failures = nil
		return nil
	})
}

// ChangePassword checks a user's current password, then sets a new one
// (ending every session of the user). Errors: ErrBadCredentials for a wrong
// current password, *ValidationError, store.ErrNotFound.
func (a *Accounts) ChangePassword(ctx context.Context, name, current, password string) (User, error) {
	u, err := a.User(ctx, name)
	if err != nil {
		return User{}, err
	}
	ok, err := a.verify(ctx, u.PasswordHash, current)
	if err != nil {
		return User{}, fmt.Errorf("check password of %q: %w", name, err)
	}
	if !ok {
		return User{}, ErrBadCredentials
	}
	return a.SetPassword(ctx, name, password)
}

// LogoutEverywhere ends every session of the user.
func (a *Accounts) LogoutEverywhere(ctx context.Context, name string) error {
	_, err := a.updateUser(ctx, name, func(u *User) error {
		u.Generation++
		return nil
	})
	return err
}

// Login checks a user's name and password from client address addr and
// starts a session, returning its secret (the cookie value). Errors:
// ErrBadCredentials, a *ThrottledError (too many failures for this user or
// this address, even with the right password), the store's errors.
func (a *Accounts) Login(ctx context.Context, name, password, addr string) (string, Session, User, error) {
	now := a.now()
	if wait := a.addrWait(addr, now); wait > 0 {
		return "", Session{}, User{}, &ThrottledError{RetryAfter: wait}
	}
	u, err := a.User(ctx, name)
	if errors.Is(err, store.ErrNotFound) || len(password) > MaxPasswordLen {
		// Hash anyway, so that an unknown name takes as long as a wrong password.
		_, _ = a.verify(ctx, a.dummyHash, password)
		a.addrFailed(addr, now)
		return "", Session{}, User{}, ErrBadCredentials
	}
	if err != nil {
		return "", Session{}, User{}, err
	}
	if wait := throttleWait(u.Failures, a.userFails, now); wait > 0 {
		a.addrFailed(addr, now)
		return "", Session{}, User{}, &ThrottledError{RetryAfter: wait}
	}
	ok, err := a.verify(ctx, u.PasswordHash, password)
	if err != nil && !errors.Is(err, errBadHash) {
		return "", Session{}, User{}, fmt.Errorf("check password of %q: %w", name, err)
	}
	if !ok || u.Disabled {
		a.addrFailed(addr, now)
		if _, err := a.updateUser(ctx, u.Name, func(u *User) error {
			u.Failures = recentFailures(append(u.Failures, now.UTC()), a.userFails, now)
			return nil
		}); err != nil {
			return "", Session{}, User{}, err
		}
		return "", Session{}, User{}, ErrBadCredentials
	}
	u, err = a.updateUser(ctx, u.Name, func(u *User) error {
		u.Failures, u.LastLoginAt = nil, now.UTC()
		return nil
	})
	if err != nil {
		return "", Session{}, User{}, err
	}
	secret, s, err := a.StartSession(ctx, u, addr)
	if err != nil {
		return "", Session{}, User{}, err
	}
	a.maybePurge(ctx, now)
	return secret, s, u, nil
}

// StartSession starts a session for u (after Login, or after a password
// change ended u's other sessions).
func (a *Accounts) StartSession(ctx context.Context, u User, addr string) (string, Session, error) {
	secret, err := randomSecret()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomSecret()
	if err != nil {
		return "", Session{}, err
	}
	now := a.now().UTC()
	s := Session{Schema: sessionSchema, UserKey: userKey(u.Name), UserID: u.ID, Generation: u.Generation,
		CSRF: csrf, CreatedAt: now, LastSeen: now, Addr: addr}
	b, err := json.Marshal(s)
	if err != nil {
		return "", Session{}, fmt.Errorf("start session: %w", err)
	}
	created, err := a.rec.CreateRecord(ctx, SessionsCollection, HashToken(secret), b)
	if err != nil {
		return "", Session{}, fmt.Errorf("start session: %w", err)
	}
	if !created {
		return "", Session{}, errors.New("start session: 256 random bits collided")
	}
	return secret, s, nil
}

// MaxSessionSecretLen bounds a session cookie's value (a real one is 43
// bytes).
const MaxSessionSecretLen = 128

// Session returns the principal and the session of a session secret, or
// ErrNoSession when it is unknown, expired (idle or absolute), of a
// disabled user or from before the user's last "sign out everywhere". The
// role is the user's current one. It records the session's use at most
// once a minute.
func (a *Accounts) Session(ctx context.Context, secret string) (Principal, Session, error) {
	if secret == "" || len(secret) > MaxSessionSecretLen {
		return Principal{}, Session{}, ErrNoSession
	}
	key := HashToken(secret)
	b, err := a.rec.GetRecord(ctx, SessionsCollection, key)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, Session{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, Session{}, fmt.Errorf("read session: %w", err)
	}
	var s Session
	if err := json.Unmarshal(b, &s); err != nil {
		return Principal{}, Session{}, fmt.Errorf("decode session: %w", err)
	}
	now := a.now()
	if a.expired(s, now) {
		a.forget(ctx, key)
		return Principal{}, Session{}, ErrNoSession
	}
	ub, err := a.rec.GetRecord(ctx, UsersCollection, s.UserKey)
	if errors.Is(err, store.ErrNotFound) {
		a.forget(ctx, key)
		return Principal{}, Session{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, Session{}, fmt.Errorf("read session's user: %w", err)
	}
	var u User
	if err := json.Unmarshal(ub, &u); err != nil {
		return Principal{}, Session{}, fmt.Errorf("decode user: %w", err)
	}
	if u.Disabled || u.ID != s.UserID || u.Generation != s.Generation {
		a.forget(ctx, key)
		return Principal{}, Session{}, ErrNoSession
	}
	if now.Sub(s.LastSeen) >= sessionTouchInterval {
		a.touch(ctx, key, now)
		s.LastSeen = now.UTC()
	}
	return Principal{Kind: KindSession, ID: u.ID, Name: u.Name, Role: u.Role}, s, nil
}

func (a *Accounts) expired(s Session, now time.Time) bool {
	return now.Sub(s.LastSeen) >= a.idle || now.Sub(s.CreatedAt) >= a.absolute
}

// touch records a session's use. Best effort: a failure only shortens the
// session's idle life.
func (a *Accounts) touch(ctx context.Context, key string, now time.Time) {
	_, err := a.rec.UpdateRecord(ctx, SessionsCollection, key, func(cur []byte, exists bool) ([]byte, error) {
		if !exists {
			return nil, store.ErrNotFound
		}
		var s Session
		if err := json.Unmarshal(cur, &s); err != nil {
			return nil, err
		}
		if !now.After(s.LastSeen) {
			return cur, nil
		}
		s.LastSeen = now.UTC()
		return json.Marshal(s)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		a.log.Warn("record session use", "err", err)
	}
}

// forget deletes a dead session. Best effort: Session refuses it anyway.
func (a *Accounts) forget(ctx context.Context, key string) {
	if err := a.rec.DeleteRecord(ctx, SessionsCollection, key); err != nil {
		a.log.Warn("delete expired session", "err", err)
	}
}

// Logout ends the session of secret; an unknown one is not an error.
func (a *Accounts) Logout(ctx context.Context, secret string) error {
	if secret == "" || len(secret) > MaxSessionSecretLen {
		return nil
	}
	if err := a.rec.DeleteRecord(ctx, SessionsCollection, HashToken(secret)); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// PurgeSessions deletes every expired session and returns how many.
// Sessions of users signed out everywhere are deleted when next presented.
func (a *Accounts) PurgeSessions(ctx context.Context) (int, error) {
	now := a.now()
	n, after := 0, ""
	for {
		page, err := a.rec.ListRecords(ctx, SessionsCollection, store.ListOptions{After: after, Limit: store.MaxLimit})
		if err != nil {
			return n, fmt.Errorf("purge sessions: %w", err)
		}
		for _, r := range page {
			var s Session
			if json.Unmarshal(r.Value, &s) != nil || a.expired(s, now) {
				if err := a.rec.DeleteRecord(ctx, SessionsCollection, r.Key); err != nil {
					return n, fmt.Errorf("purge sessions: %w", err)
				}
				n++
			}
		}
		if len(page) < store.MaxLimit {
			return n, nil
		}
		after = page[len(page)-1].Key
	}
}

// maybePurge sweeps expired sessions in the background at most once per
// purgeInterval per process.
func (a *Accounts) maybePurge(ctx context.Context, now time.Time) {
	a.mu.Lock()
	due := now.Sub(a.lastPurge) >= purgeInterval
	if due {
		a.lastPurge = now
	}
	a.mu.Unlock()
	if !due {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, err := a.PurgeSessions(ctx); err != nil {
			a.log.Warn("purge expired sessions", "err", err)
		}
	}()
}

// addrWait is how long addr must wait before its next sign-in.
func (a *Accounts) addrWait(addr string, now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return throttleWait(a.addrs[addr], a.addrFails, now)
}

// addrFailed records a failed sign-in from addr; the table is swept of
// stale addresses as it grows, so it stays bounded by the addresses that
// failed within ThrottleWindow.
func (a *Accounts) addrFailed(addr string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.addrs[addr] = recentFailures(append(a.addrs[addr], now), a.addrFails, now)
	if len(a.addrs) > 10000 {
		for k, v := range a.addrs {
			if len(recentFailures(v, a.addrFails, now)) == 0 {
				delete(a.addrs, k)
			}
		}
	}
}

// recentFailures keeps the failures within ThrottleWindow, at most max.
func recentFailures(fails []time.Time, max int, now time.Time) []time.Time {
	out := slices.DeleteFunc(fails, func(t time.Time) bool { return now.Sub(t) >= ThrottleWindow })
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out
}

// throttleWait is how long until fewer than max failures lie within
// ThrottleWindow (0: a sign-in may be tried now).
func throttleWait(fails []time.Time, max int, now time.Time) time.Duration {
	recent := recentFailures(slices.Clone(fails), max, now)
	if len(recent) < max {
		return 0
	}
	return recent[0].Add(ThrottleWindow).Sub(now)
}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
