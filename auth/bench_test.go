package auth_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/store/boltstore"
)

// BenchmarkSession is what a signed-in request adds: the session and its
// user read from the embedded store.
func BenchmarkSession(b *testing.B) {
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "ff.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	a, err := auth.NewAccounts(auth.AccountsDeps{Records: st})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := a.AddUser(ctx, "bench", auth.RoleRnD, "bench password"); err != nil {
		b.Fatal(err)
	}
	secret, _, _, err := a.Login(ctx, "bench", "bench password", "x")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := a.Session(ctx, secret); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogin is one successful sign-in: an argon2id check (19 MiB,
// 2 passes) and two writes (the user's last sign-in, the new session).
func BenchmarkLogin(b *testing.B) {
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "ff.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	a, err := auth.NewAccounts(auth.AccountsDeps{Records: st})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := a.AddUser(ctx, "bench", auth.RoleRnD, "bench password"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, _, err := a.Login(ctx, "bench", "bench password", "x"); err != nil {
			b.Fatal(err)
		}
	}
}
