package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/store/boltstore"
)

var start = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

// countingTokens is a real store that counts last-use writes and can be
// made to fail.
type countingTokens struct {
	inner   store.Tokens // the real store
	touches atomic.Int64
	fail    atomic.Bool
}

func (c *countingTokens) CreateToken(ctx context.Context, t store.APIToken) error {
	return c.inner.CreateToken(ctx, t)
}

func (c *countingTokens) Tokens(ctx context.Context) ([]store.APIToken, error) {
	return c.inner.Tokens(ctx)
}

func (c *countingTokens) RevokeToken(ctx context.Context, id string) error {
	return c.inner.RevokeToken(ctx, id)
}

func (c *countingTokens) TouchToken(ctx context.Context, hash string, at time.Time) error {
	c.touches.Add(1)
	return c.inner.TouchToken(ctx, hash, at)
}

func (c *countingTokens) TokenByHash(ctx context.Context, hash string) (store.APIToken, error) {
	if c.fail.Load() {
		return store.APIToken{}, store.ErrUnavailable
	}
	return c.inner.TokenByHash(ctx, hash)
}

func newService(t *testing.T) (*auth.Service, *countingTokens, *testutil.Clock) {
	t.Helper()
	bs, err := boltstore.Open(filepath.Join(t.TempDir(), "floorfeed.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("boltstore.Open = %v", err)
	}
	t.Cleanup(func() { _ = bs.Close() })
	ct := &countingTokens{inner: bs}
	clk := testutil.NewClock(start)
	s, err := auth.New(auth.Deps{Tokens: ct, Now: clk.Now})
	if err != nil {
		t.Fatalf("auth.New = %v", err)
	}
	return s, ct, clk
}

func TestTokenFormatAndHashStayCompatible(t *testing.T) {
	secret, err := auth.NewTokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "fft_") || len(secret) != 4+43 {
		t.Fatalf("NewTokenSecret() = %q, want fft_ and 43 base64url characters", secret)
	}
	// Tokens minted before this package existed were stored as the hex
	// SHA-256 of the whole token; they must keep working.
	sum := sha256.Sum256([]byte(secret))
	if got, want := auth.HashToken(secret), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("HashToken = %s, want the hex SHA-256 %s", got, want)
	}
	other, _ := auth.NewTokenSecret()
	if other == secret {
		t.Fatal("two minted tokens are equal")
	}
}

func TestVerifyToken(t *testing.T) {
	s, ct, _ := newService(t)
	ctx := context.Background()
	secret, tok, err := s.CreateToken(ctx, "  mes-bridge ")
	if err != nil {
		t.Fatalf("CreateToken = %v", err)
	}
	if tok.Name != "mes-bridge" || tok.Hash != auth.HashToken(secret) || !tok.CreatedAt.Equal(start) {
		t.Fatalf("CreateToken record = %+v; want trimmed name, the token's hash, created now", tok)
	}
	p, err := s.VerifyToken(ctx, secret)
	if err != nil || p.Kind != auth.KindToken || p.ID != tok.ID || p.Name != "mes-bridge" || p.IsAdmin() {
		t.Fatalf("VerifyToken(valid) = %+v, %v; want the token's non-admin principal", p, err)
	}
	// A token stored by the old code (hash computed by hand) verifies too.
	legacy := "fft_legacy-token-made-before-auth"
	sum := sha256.Sum256([]byte(legacy))
	if err := ct.CreateToken(ctx, store.APIToken{ID: "legacy", Name: "old", Hash: hex.EncodeToString(sum[:]), CreatedAt: start}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.VerifyToken(ctx, legacy); err != nil || p.ID != "legacy" {
		t.Fatalf("VerifyToken(legacy) = %+v, %v", p, err)
	}
	for name, bad := range map[string]string{
		"empty":       "",
		"unknown":     "fft_nope",
		"one off":     secret[:len(secret)-1] + "x",
		"too long":    secret + strings.Repeat("a", auth.MaxTokenLen),
		"hash itself": tok.Hash,
	} {
		if _, err := s.VerifyToken(ctx, bad); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("VerifyToken(%s) = %v, want ErrInvalidToken", name, err)
		}
	}
	if err := s.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatalf("RevokeToken = %v", err)
	}
	if _, err := s.VerifyToken(ctx, secret); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("VerifyToken(revoked) = %v, want ErrInvalidToken", err)
	}
	if err := s.RevokeToken(ctx, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RevokeToken(again) = %v, want ErrNotFound", err)
	}
	// A store that cannot answer is not a bad token (503, not 401).
	ct.fail.Store(true)
	if _, err := s.VerifyToken(ctx, legacy); err == nil || errors.Is(err, auth.ErrInvalidToken) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("VerifyToken(store down) = %v, want ErrUnavailable, not ErrInvalidToken", err)
	}
}

func TestCreateTokenNames(t *testing.T) {
	s, _, _ := newService(t)
	for _, name := range []string{"", "   ", strings.Repeat("名", auth.MaxTokenNameLen+1)} {
		var ve *auth.ValidationError
		if _, _, err := s.CreateToken(context.Background(), name); !errors.As(err, &ve) || ve.Field != "name" {
			t.Errorf("CreateToken(%q) = %v, want a ValidationError for name", name, err)
		}
	}
	if _, _, err := s.CreateToken(context.Background(), strings.Repeat("名", auth.MaxTokenNameLen)); err != nil {
		t.Errorf("CreateToken(%d runes) = %v", auth.MaxTokenNameLen, err)
	}
}

func TestLastUseIsWrittenAtMostOnceAMinute(t *testing.T) {
	s, ct, clk := newService(t)
	ctx := context.Background()
	secret, tok, err := s.CreateToken(ctx, "busy")
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if _, err := s.VerifyToken(ctx, secret); err != nil {
			t.Fatalf("VerifyToken = %v", err)
		}
		clk.Advance(time.Second)
	}
	// 50 requests over 50 s: the first one writes, the rest are within the minute.
	if n := ct.touches.Load(); n != 1 {
		t.Fatalf("50 verifications within a minute wrote the last use %d times, want 1", n)
	}
	lastUsed := func() time.Time {
		t.Helper()
		list, err := s.ListTokens(ctx)
		if err != nil || len(list) != 1 || list[0].ID != tok.ID {
			t.Fatalf("ListTokens = %+v, %v", list, err)
		}
		return list[0].LastUsedAt
	}
	if got := lastUsed(); !got.Equal(start) {
		t.Fatalf("last used = %v, want the first use %v", got, start)
	}
	clk.Advance(10 * time.Second) // 60 s after the first write
	if _, err := s.VerifyToken(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if n := ct.touches.Load(); n != 2 {
		t.Fatalf("a use a minute later made %d writes in all, want 2", n)
	}
	if got, want := lastUsed(), start.Add(time.Minute); !got.Equal(want) {
		t.Fatalf("last used = %v, want %v", got, want)
	}
}

func TestPrincipalInContext(t *testing.T) {
	if _, ok := auth.PrincipalFrom(context.Background()); ok {
		t.Fatal("PrincipalFrom(empty context) found one")
	}
	ctx := auth.WithPrincipal(context.Background(), auth.LocalAdmin())
	p, ok := auth.PrincipalFrom(ctx)
	if !ok || !p.IsAdmin() || p.Kind != auth.KindLocal {
		t.Fatalf("PrincipalFrom = %+v, %v; want the local admin", p, ok)
	}
}
