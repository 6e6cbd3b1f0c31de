package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// mustCreateToken stores a token named name whose hash is "hash-"+name,
// created at base plus minutes.
func mustCreateToken(t *testing.T, s store.Store, name string, minutes int) store.APIToken {
	t.Helper()
	at := base.Add(time.Duration(minutes) * time.Minute)
	tok := store.APIToken{ID: store.NewID(at), Name: name, Hash: "hash-" + name, CreatedAt: at}
	if err := s.CreateToken(ctxT(t), tok); err != nil {
		t.Fatalf("CreateToken(%s) = %v", name, err)
	}
	return tok
}

func testTokens(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	if list, err := s.Tokens(ctx); err != nil || len(list) != 0 {
		t.Fatalf("Tokens(empty store) = %+v, %v; want none", list, err)
	}
	// Created out of order: the list is by id (creation time), not by insertion or hash.
	second := mustCreateToken(t, s, "second", 2)
	first := mustCreateToken(t, s, "mes-bridge", 1)
	got, err := s.TokenByHash(ctx, first.Hash)
	if err != nil || got.Name != "mes-bridge" || got.ID != first.ID || !got.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("TokenByHash = %+v, %v; want %+v", got, err, first)
	}
	if _, err := s.TokenByHash(ctx, "hash-unknown"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TokenByHash(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.CreateToken(ctx, store.APIToken{ID: "other", Name: "dup", Hash: first.Hash, CreatedAt: base}); err == nil {
		t.Fatal("CreateToken(same hash again) succeeded, want an error")
	}
	list, err := s.Tokens(ctx)
	if err != nil || len(list) != 2 || list[0].ID != first.ID || list[1].ID != second.ID {
		t.Fatalf("Tokens = %+v, %v; want [%s %s]", list, err, first.ID, second.ID)
	}
	if !list[0].LastUsedAt.IsZero() {
		t.Fatalf("Tokens: never-used token has LastUsedAt %v, want zero", list[0].LastUsedAt)
	}
}

func testTokensRevoke(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	keep := mustCreateToken(t, s, "keep", 1)
	gone := mustCreateToken(t, s, "gone", 2)
	if err := s.TouchToken(ctx, gone.Hash, base.Add(time.Hour)); err != nil {
		t.Fatalf("TouchToken = %v", err)
	}
	if err := s.RevokeToken(ctx, gone.ID); err != nil {
		t.Fatalf("RevokeToken(%s) = %v", gone.ID, err)
	}
	if _, err := s.TokenByHash(ctx, gone.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TokenByHash(revoked) = %v, want ErrNotFound", err)
	}
	if err := s.RevokeToken(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RevokeToken(already revoked) = %v, want ErrNotFound", err)
	}
	if err := s.RevokeToken(ctx, "no-such-id"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RevokeToken(unknown) = %v, want ErrNotFound", err)
	}
	// A touch after the revoke must not bring it back.
	if err := s.TouchToken(ctx, gone.Hash, base.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TouchToken(revoked) = %v, want ErrNotFound", err)
	}
	list, err := s.Tokens(ctx)
	if err != nil || len(list) != 1 || list[0].ID != keep.ID {
		t.Fatalf("Tokens after revoke = %+v, %v; want only %s", list, err, keep.ID)
	}
	if _, err := s.TokenByHash(ctx, keep.Hash); err != nil {
		t.Fatalf("TokenByHash(the other token) after revoke = %v", err)
	}
	// The same name may be used again: a new token replaces a revoked one.
	again := store.APIToken{ID: store.NewID(base.Add(3 * time.Minute)), Name: "gone", Hash: gone.Hash, CreatedAt: base}
	if err := s.CreateToken(ctx, again); err != nil {
		t.Fatalf("CreateToken(hash of a revoked token) = %v", err)
	}
	if list, _ := s.Tokens(ctx); len(list) != 2 || !list[1].LastUsedAt.IsZero() {
		t.Fatalf("Tokens after re-create = %+v; want 2, the new one never used", list)
	}
}

func testTokensTouch(t *testing.T, h Harness) {
	s := open(t, h)
	ctx := ctxT(t)
	tok := mustCreateToken(t, s, "touched", 1)
	other := mustCreateToken(t, s, "untouched", 2)
	used := base.Add(90 * time.Minute)
	if err := s.TouchToken(ctx, tok.Hash, used); err != nil {
		t.Fatalf("TouchToken = %v", err)
	}
	// An older time (a slow request finishing late, another instance) is ignored.
	if err := s.TouchToken(ctx, tok.Hash, used.Add(-time.Minute)); err != nil {
		t.Fatalf("TouchToken(older) = %v", err)
	}
	if err := s.TouchToken(ctx, "hash-unknown", used); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TouchToken(unknown) = %v, want ErrNotFound", err)
	}
	wantUsed := func(when string, want time.Time) {
		t.Helper()
		list, err := s.Tokens(ctx)
		if err != nil || len(list) != 2 {
			t.Fatalf("Tokens %s = %+v, %v", when, list, err)
		}
		if !list[0].LastUsedAt.Equal(want) || !list[1].LastUsedAt.IsZero() {
			t.Fatalf("Tokens %s: last used %v and %v; want %v and never", when, list[0].LastUsedAt, list[1].LastUsedAt, want)
		}
		if got, err := s.TokenByHash(ctx, other.Hash); err != nil || got.ID != other.ID {
			t.Fatalf("TokenByHash(%s) %s = %+v, %v", other.Name, when, got, err)
		}
	}
	wantUsed("after touches", used)
	later := used.Add(3 * time.Minute)
	if err := s.TouchToken(ctx, tok.Hash, later); err != nil {
		t.Fatalf("TouchToken(later) = %v", err)
	}
	wantUsed(fmt.Sprintf("after a touch at %v", later), later)
	if got, err := s.TokenByHash(ctx, tok.Hash); err != nil || got.ID != tok.ID {
		t.Fatalf("TokenByHash after touches = %+v, %v", got, err)
	}
}
