package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/store"
)

// TokenPrefix starts every API token, so that a leaked one is easy to spot
// (secret scanners, logs) and to tell from other secrets.
const TokenPrefix = "fft_"

// MaxTokenLen bounds what is hashed and looked up: a real token is 47 bytes.
const MaxTokenLen = 512

// MaxTokenNameLen bounds a token's name.
const MaxTokenNameLen = 100

// TouchInterval is how often, at most, a token's last use is written per
// token and process: a busy integration costs one write a minute, not one
// per request.
const TouchInterval = time.Minute

// touchTimeout bounds the last-use write, which is best effort.
const touchTimeout = 2 * time.Second

// NewTokenSecret mints a token: TokenPrefix and 32 random bytes, base64url.
func NewTokenSecret() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("mint API token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(raw), nil
}

// HashToken is the hex SHA-256 of a token, the only form stored. A token is
// 256 random bits, so a fast unsalted hash is enough (nothing to guess), and
// the hash works as the lookup key.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ValidationError is a bad argument to one of the Service's methods; Field
// names it, Message says what is wrong in plain English.
type ValidationError struct {
	Field, Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Deps are what a Service needs. Tokens is required; Now and Log have
// defaults.
type Deps struct {
	Tokens store.Tokens
	// Now is the clock for creation and last-use times; nil means time.Now.
	Now func() time.Time
	// Log receives failures of best-effort work (last-use writes); nil
	// discards them.
	Log *slog.Logger
}

// Service authenticates callers and manages API tokens.
type Service struct {
	tokens store.Tokens
	now    func() time.Time
	log    *slog.Logger

	mu      sync.Mutex
	touched map[string]time.Time // token hash → when this process last wrote its last use
}

// New returns a Service over d.
func New(d Deps) (*Service, error) {
	if d.Tokens == nil {
		return nil, errors.New("auth.New: missing Tokens")
	}
	s := &Service{tokens: d.Tokens, now: d.Now, log: d.Log, touched: map[string]time.Time{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// CreateToken mints a token named name, stores its hash and returns the
// token — the only time it is ever seen — with its stored record. A bad
// name is a *ValidationError.
func (s *Service) CreateToken(ctx context.Context, name string) (string, store.APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxTokenNameLen {
		return "", store.APIToken{}, &ValidationError{Field: "name", Message: fmt.Sprintf("a token's name must be 1 to %d characters", MaxTokenNameLen)}
	}
	secret, err := NewTokenSecret()
	if err != nil {
		return "", store.APIToken{}, err
	}
	now := s.now()
	t := store.APIToken{ID: store.NewID(now), Name: name, Hash: HashToken(secret), CreatedAt: now.UTC()}
	if err := s.tokens.CreateToken(ctx, t); err != nil {
		return "", store.APIToken{}, fmt.Errorf("create token %q: %w", name, err)
	}
	return secret, t, nil
}

// VerifyToken returns the principal of a Bearer token, or ErrInvalidToken
// when it is malformed, unknown or revoked; any other error means the store
// could not say (answer 503, not 401). It records the token's last use at
// most once per TouchInterval.
func (s *Service) VerifyToken(ctx context.Context, secret string) (Principal, error) {
	if secret == "" || len(secret) > MaxTokenLen {
		return Principal{}, ErrInvalidToken
	}
	hash := HashToken(secret)
	t, err := s.tokens.TokenByHash(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Principal{}, ErrInvalidToken
	case err != nil:
		return Principal{}, fmt.Errorf("verify API token: %w", err)
	}
	// The lookup already matched the hash; compare again in constant time so
	// that no store's lookup (prefix index, case folding) can decide alone.
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 {
		return Principal{}, ErrInvalidToken
	}
	s.touch(ctx, t)
	return Principal{Kind: KindToken, ID: t.ID, Name: t.Name, Role: RoleAPI}, nil
}

// touch records the token's use unless this process did so less than
// TouchInterval ago. A failure is logged, never the request's: the last-use
// time is informative.
func (s *Service) touch(ctx context.Context, t store.APIToken) {
	now := s.now()
	s.mu.Lock()
	last, seen := s.touched[t.Hash]
	due := !seen || now.Sub(last) >= TouchInterval
	if due {
		s.touched[t.Hash] = now // claim the slot, so concurrent requests do not all write
	}
	s.mu.Unlock()
	if !due {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), touchTimeout)
	defer cancel()
	if err := s.tokens.TouchToken(ctx, t.Hash, now); err != nil && !errors.Is(err, store.ErrNotFound) {
		// ErrNotFound: revoked between the lookup and now; nothing to record.
		s.log.Warn("record API token use", "token_id", t.ID, "err", err)
	}
}

// ListTokens returns every token, oldest first, with its last use.
func (s *Service) ListTokens(ctx context.Context) ([]store.APIToken, error) {
	list, err := s.tokens.Tokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return list, nil
}

// RevokeToken revokes the token with this id at once; store.ErrNotFound if
// there is none.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	if err := s.tokens.RevokeToken(ctx, id); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}
