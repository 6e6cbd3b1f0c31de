// Package signing derives the installation's unguessable values from its
// secret: the token printed in each line's QR code and the receipt a
// reporter gets for a report.
package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"sync"
)

// MinSecretLen is the shortest secret accepted (bytes).
const MinSecretLen = 16

// Signer computes HMAC-SHA256 values under one secret. It is safe for
// concurrent use.
type Signer struct {
	key []byte
	// macs holds *macState, reset before reuse: hmac.New allocates and
	// hashes the key's pads on every call, and a submission computes two
	// values.
	macs sync.Pool
}

// New returns a Signer for secret, which must be at least MinSecretLen bytes.
func New(secret []byte) (*Signer, error) {
	if len(secret) < MinSecretLen {
		return nil, errors.New("secret must be at least 16 bytes")
	}
	s := &Signer{key: append([]byte(nil), secret...)}
	s.macs.New = func() any { return &macState{h: hmac.New(sha256.New, s.key), buf: make([]byte, 0, 128)} }
	return s, nil
}

// macState is a pooled HMAC keyed with the Signer's key and a scratch
// buffer for its input and sum.
type macState struct {
	h   hash.Hash
	buf []byte
}

// mac returns the first n bytes of HMAC(purpose NUL v), base64url-encoded.
func (s *Signer) mac(purpose, v string, n int) string {
	m := s.macs.Get().(*macState)
	m.h.Reset()
	m.buf = append(append(append(m.buf[:0], purpose...), 0), v...)
	m.h.Write(m.buf) // hash.Hash writes never fail
	sum := m.h.Sum(m.buf[:0])
	var out [(sha256.Size*8 + 5) / 6]byte // unpadded base64 of a whole sum
	enc := out[:base64.RawURLEncoding.EncodedLen(n)]
	base64.RawURLEncoding.Encode(enc, sum[:n])
	if cap(m.buf) <= 1024 { // a state is kept small, whatever v was
		s.macs.Put(m)
	}
	return string(enc)
}

// LineToken is the token in a line's QR URL (/r/{line}?t={token}): 12 bytes
// of HMAC, 16 URL-safe characters, short enough for a small QR code.
func (s *Signer) LineToken(line string) string { return s.mac("line", line, 12) }

// CheckLineToken reports whether tok is line's token, in constant time.
func (s *Signer) CheckLineToken(line, tok string) bool {
	return hmac.Equal([]byte(s.LineToken(line)), []byte(tok))
}

// Receipt is the reporter's unguessable handle on report id (/s/{receipt}):
// 16 bytes of HMAC, 22 URL-safe characters.
func (s *Signer) Receipt(id string) string { return s.mac("receipt", id, 16) }
