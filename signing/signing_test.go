package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sync"
	"testing"
)

func TestLineToken(t *testing.T) {
	a, err := New([]byte("secret-one-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New([]byte("secret-two-0123456789"))
	tok := a.LineToken("sx-1")
	if len(tok) != 16 {
		t.Fatalf("LineToken length = %d, want 16", len(tok))
	}
	cases := []struct {
		name       string
		s          *Signer
		line, tok  string
		wantAccept bool
	}{
		{"own token", a, "sx-1", tok, true},
		{"other line's token", a, "calc-1", tok, false},
		{"rotated secret", b, "sx-1", tok, false},
		{"truncated", a, "sx-1", tok[:15], false},
		{"empty", a, "sx-1", "", false},
	}
	for _, tc := range cases {
		if got := tc.s.CheckLineToken(tc.line, tc.tok); got != tc.wantAccept {
			t.Errorf("%s: CheckLineToken(%s, %s) = %v, want %v", tc.name, tc.line, tc.tok, got, tc.wantAccept)
		}
	}
}

func TestReceiptIsStableAndDistinct(t *testing.T) {
	s, _ := New([]byte("secret-one-0123456789"))
	r1, r2 := s.Receipt("id-1"), s.Receipt("id-2")
	if r1 != s.Receipt("id-1") || r1 == r2 || len(r1) != 22 {
		t.Fatalf("Receipt = %q, %q; want stable, distinct, 22 chars", r1, r2)
	}
	if r1 == s.LineToken("id-1") {
		t.Fatal("receipt and line token share a value: purposes are not separated")
	}
}

func TestNewRejectsShortSecret(t *testing.T) {
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("New(short secret) succeeded")
	}
}

// Pooled HMAC states give the values a fresh HMAC gives, also when
// goroutines share the Signer and a state is reused across purposes.
func TestPooledMACMatchesFreshHMAC(t *testing.T) {
	secret := []byte("secret-one-0123456789")
	s, _ := New(secret)
	fresh := func(purpose, v string, n int) string {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(purpose + "\x00" + v))
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:n])
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				v := fmt.Sprintf("line-%d-%d", g, i)
				if got, want := s.LineToken(v), fresh("line", v, 12); got != want {
					t.Errorf("LineToken(%s) = %s, want %s", v, got, want)
				}
				if got, want := s.Receipt(v), fresh("receipt", v, 16); got != want {
					t.Errorf("Receipt(%s) = %s, want %s", v, got, want)
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkReceipt(b *testing.B) {
	s, _ := New([]byte("secret-one-0123456789"))
	for b.Loop() {
		_ = s.Receipt("019ad7a1-7c1e-7a3b-9c2d-1234567890ab")
	}
}
