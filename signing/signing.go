// Package signing derives the installation's unguessable values from its
// secret: the token printed in each line's QR code and the receipt a
// reporter gets for a report.
package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// MinSecretLen is the shortest secret accepted (bytes).
const MinSecretLen = 16

// Signer computes HMAC-SHA256 values under one secret. It is safe for
// concurrent use.
type Signer struct {
	key []byte
}

// New returns a Signer for secret, which must be at least MinSecretLen bytes.
func New(secret []byte) (*Signer, error) {
	if len(secret) < MinSecretLen {
		return nil, errors.New("secret must be at least 16 bytes")
	}
	return &Signer{key: append([]byte(nil), secret...)}, nil
}

func (s *Signer) mac(purpose, v string, n int) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:n])
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
