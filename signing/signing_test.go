package signing

import "testing"

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
