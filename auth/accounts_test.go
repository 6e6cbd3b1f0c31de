package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/auth"
	"github.com/floorfeed/floorfeed/internal/testutil"
	"github.com/floorfeed/floorfeed/internal/testutil/backends"
	"github.com/floorfeed/floorfeed/store"
)

const pw = "correct horse battery"

var accountsStart = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

func newAccounts(t *testing.T, st store.Store, clk *testutil.Clock) *auth.Accounts {
	t.Helper()
	a, err := auth.NewAccounts(auth.AccountsDeps{Records: st, Now: clk.Now})
	if err != nil {
		t.Fatalf("NewAccounts: %v", err)
	}
	return a
}

func mustLogin(t *testing.T, a *auth.Accounts, name, addr string) string {
	t.Helper()
	secret, _, _, err := a.Login(context.Background(), name, pw, addr)
	if err != nil {
		t.Fatalf("Login(%s) = %v, want a session", name, err)
	}
	return secret
}

func TestAccountsOnBothBackends(t *testing.T) {
	for _, be := range backends.All() {
		t.Run(be.Name, func(t *testing.T) {
			st := be.Open(t)
			t.Run("users", func(t *testing.T) { testUsers(t, st) })
			t.Run("sessions shared by two instances", func(t *testing.T) { testSharedSessions(t, st) })
		})
	}
}

func testUsers(t *testing.T, st store.Store) {
	ctx := context.Background()
	clk := testutil.NewClock(accountsStart)
	a := newAccounts(t, st, clk)
	if has, err := a.HasUsers(ctx); err != nil || has {
		t.Fatalf("HasUsers on a fresh store = %v, %v; want false", has, err)
	}
	u, err := a.AddUser(ctx, "Wang.Gong", auth.RoleAdmin, pw)
	if err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if u.PasswordHash == pw || u.PasswordHash == "" {
		t.Fatalf("password stored as %q, want a hash", u.PasswordHash)
	}
	if _, err := a.AddUser(ctx, "wang.gong", auth.RoleViewer, pw); !errors.Is(err, auth.ErrUserExists) {
		t.Errorf("AddUser(same name, other case) = %v, want ErrUserExists", err)
	}
	var ve *auth.ValidationError
	for _, c := range []struct{ name, role, pw, field string }{
		{"", "admin", pw, "name"}, {"a b", "admin", pw, "name"}, {"李工", "boss", pw, "role"}, {"李工", "rnd", "short", "password"},
	} {
		if _, err := a.AddUser(ctx, c.name, auth.Role(c.role), c.pw); !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("AddUser(%q, %q, %q) = %v, want a validation error on %s", c.name, c.role, c.pw, err, c.field)
		}
	}
	if _, err := a.AddUser(ctx, "李工", auth.RoleRnD, pw); err != nil {
		t.Fatalf("AddUser(Chinese name): %v", err)
	}
	users, err := a.Users(ctx)
	if err != nil || len(users) != 2 {
		t.Fatalf("Users = %v, %v; want 2", users, err)
	}
	// The last enabled admin stays.
	if _, err := a.SetDisabled(ctx, "Wang.Gong", true); !errors.As(err, &ve) {
		t.Errorf("disable the last admin = %v, want a validation error", err)
	}
	if _, err := a.SetRole(ctx, "Wang.Gong", auth.RoleViewer); !errors.As(err, &ve) {
		t.Errorf("demote the last admin = %v, want a validation error", err)
	}
	if _, err := a.SetRole(ctx, "李工", auth.RoleAdmin); err != nil {
		t.Fatalf("SetRole: %v", err)
	}
	s := mustLogin(t, a, "WANG.GONG", "10.0.0.1")
	if _, err := a.SetDisabled(ctx, "Wang.Gong", true); err != nil {
		t.Fatalf("disable with another admin: %v", err)
	}
	if _, _, err := a.Session(ctx, s); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("session of a disabled user = %v, want ErrNoSession", err)
	}
	if _, _, _, err := a.Login(ctx, "Wang.Gong", pw, "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("Login of a disabled user = %v, want ErrBadCredentials", err)
	}
	// Role changes apply to live sessions.
	s = mustLogin(t, a, "李工", "10.0.0.2")
	if _, err := a.SetDisabled(ctx, "Wang.Gong", false); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetRole(ctx, "李工", auth.RoleViewer); err != nil {
		t.Fatal(err)
	}
	p, _, err := a.Session(ctx, s)
	if err != nil || p.Role != auth.RoleViewer || p.Kind != auth.KindSession || p.Name != "李工" {
		t.Errorf("Session after a role change = %+v, %v; want 李工 as viewer", p, err)
	}
	// Changing the password ends the sessions and needs the old one.
	if _, err := a.ChangePassword(ctx, "李工", "wrong password!", "another long password"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("ChangePassword(wrong current) = %v, want ErrBadCredentials", err)
	}
	if _, err := a.ChangePassword(ctx, "李工", pw, "another long password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Session(ctx, s); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("session after a password change = %v, want ErrNoSession", err)
	}
	if _, _, _, err := a.Login(ctx, "李工", "another long password", "10.0.0.2"); err != nil {
		t.Errorf("Login with the new password: %v", err)
	}
}

// testSharedSessions: a session made by one instance works on another
// (both over one store), and logout everywhere on one ends it on both.
func testSharedSessions(t *testing.T, st store.Store) {
	ctx := context.Background()
	clk := testutil.NewClock(accountsStart)
	a1, a2 := newAccounts(t, st, clk), newAccounts(t, st, clk)
	if _, err := a1.AddUser(ctx, "zhao", auth.RoleRnD, pw); err != nil {
		t.Fatal(err)
	}
	s1, s2 := mustLogin(t, a1, "zhao", "10.1.0.1"), mustLogin(t, a2, "zhao", "10.1.0.2")
	for _, s := range []string{s1, s2} {
		if p, sess, err := a2.Session(ctx, s); err != nil || p.Role != auth.RoleRnD || sess.CSRF == "" {
			t.Fatalf("Session on the other instance = %+v %+v %v", p, sess, err)
		}
	}
	if err := a1.Logout(ctx, s1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a2.Session(ctx, s1); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("session after logout = %v, want ErrNoSession", err)
	}
	if _, _, err := a2.Session(ctx, s2); err != nil {
		t.Errorf("the other session after one logout = %v, want valid", err)
	}
	if err := a2.LogoutEverywhere(ctx, "zhao"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a1.Session(ctx, s2); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("session after logout everywhere = %v, want ErrNoSession", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	ctx := context.Background()
	st := backends.Bolt(t)
	clk := testutil.NewClock(accountsStart)
	a := newAccounts(t, st, clk)
	if _, err := a.AddUser(ctx, "qian", auth.RoleRnD, pw); err != nil {
		t.Fatal(err)
	}
	// Idle: used every 11 hours, a session lives on; 12 idle hours end it.
	s := mustLogin(t, a, "qian", "a")
	for range 3 {
		clk.Advance(11 * time.Hour)
		if _, _, err := a.Session(ctx, s); err != nil {
			t.Fatalf("session used within the idle timeout: %v", err)
		}
	}
	clk.Advance(auth.DefaultIdleTimeout)
	if _, _, err := a.Session(ctx, s); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("session idle for 12 h = %v, want ErrNoSession", err)
	}
	// Absolute: even in constant use, 7 days end it.
	s = mustLogin(t, a, "qian", "a")
	used := time.Duration(0)
	for used+6*time.Hour < auth.DefaultAbsoluteTimeout {
		clk.Advance(6 * time.Hour)
		used += 6 * time.Hour
		if _, _, err := a.Session(ctx, s); err != nil {
			t.Fatalf("session after %s of use: %v", used, err)
		}
	}
	clk.Advance(auth.DefaultAbsoluteTimeout - used)
	if _, _, err := a.Session(ctx, s); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("session after 7 days = %v, want ErrNoSession", err)
	}
	// PurgeSessions removes the expired ones from the store.
	s = mustLogin(t, a, "qian", "a")
	clk.Advance(auth.DefaultIdleTimeout + time.Second)
	mustLogin(t, a, "qian", "a")
	// (Login may have started a background sweep too; either removes it.)
	if _, err := a.PurgeSessions(ctx); err != nil {
		t.Errorf("PurgeSessions: %v", err)
	}
	if left, _ := st.CountRecords(ctx, auth.SessionsCollection); left != 1 {
		t.Errorf("%d sessions stored after the purge, want the live one only", left)
	}
	if _, _, err := a.Session(ctx, "garbage"); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("Session(garbage) = %v", err)
	}
}

func TestLoginThrottling(t *testing.T) {
	ctx := context.Background()
	st := backends.Bolt(t)
	clk := testutil.NewClock(accountsStart)
	a := newAccounts(t, st, clk)
	if _, err := a.AddUser(ctx, "sun", auth.RoleRnD, pw); err != nil {
		t.Fatal(err)
	}
	// Per user, shared through the store: failures from many addresses and
	// two instances lock the user, even for the right password.
	other := newAccounts(t, st, clk)
	for i := range auth.DefaultUserFailures {
		inst := a
		if i%2 == 1 {
			inst = other
		}
		if _, _, _, err := inst.Login(ctx, "sun", "wrong password", string(rune('a'+i))); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("failure %d = %v, want ErrBadCredentials", i, err)
		}
		clk.Advance(time.Minute)
	}
	_, _, _, err := a.Login(ctx, "sun", pw, "fresh-address")
	var te *auth.ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, auth.ErrThrottled) {
		t.Fatalf("Login after %d failures = %v, want throttled", auth.DefaultUserFailures, err)
	}
	// The first failure was 5 minutes ago: 10 more minutes.
	if te.RetryAfter != 10*time.Minute {
		t.Errorf("RetryAfter = %s, want 10m", te.RetryAfter)
	}
	clk.Advance(te.RetryAfter)
	mustLogin(t, a, "sun", "fresh-address")

	// Per address: many names from one address lock that address only.
	for i := range auth.DefaultAddrFailures {
		_, _, _, err := a.Login(ctx, "nobody"+string(rune('a'+i)), pw, "10.9.9.9")
		if !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("unknown user %d = %v, want ErrBadCredentials", i, err)
		}
	}
	if _, _, _, err := a.Login(ctx, "sun", pw, "10.9.9.9"); !errors.Is(err, auth.ErrThrottled) {
		t.Errorf("Login from a throttled address = %v, want throttled", err)
	}
	mustLogin(t, a, "sun", "10.9.9.8")
	clk.Advance(auth.ThrottleWindow)
	mustLogin(t, a, "sun", "10.9.9.9")
}
