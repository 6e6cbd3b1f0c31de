package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/store"
	bolt "go.etcd.io/bbolt"
)

// CreateToken stores t under its hash, which must be new.
func (s *Store) CreateToken(ctx context.Context, t store.APIToken) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	if t.Hash == "" {
		return fmt.Errorf("create token %s: empty hash", t.Name)
	}
	v, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("create token %s: encode: %w", t.Name, err)
	}
	var exists bool
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bTokens)
		if exists = b.Get([]byte(t.Hash)) != nil; exists {
			return nil
		}
		return b.Put([]byte(t.Hash), v)
	})
	switch {
	case err != nil:
		return fmt.Errorf("create token %s: %w", t.Name, classify(err))
	case exists:
		return fmt.Errorf("create token %s: a token with this hash already exists", t.Name)
	}
	return nil
}

// TokenByHash finds a token by the hash of its secret, or store.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (store.APIToken, error) {
	if err := ctx.Err(); err != nil {
		return store.APIToken{}, fmt.Errorf("get token: %w", err)
	}
	var t store.APIToken
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bTokens).Get([]byte(hash))
		if v == nil {
			return store.ErrNotFound
		}
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		return nil
	})
	if err != nil {
		return store.APIToken{}, fmt.Errorf("get token: %w", classify(err))
	}
	return t, nil
}

// Tokens returns every token, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]store.APIToken, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	var out []store.APIToken
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bTokens).ForEach(func(k, v []byte) error {
			var t store.APIToken
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("decode token %x: %w", k, err)
			}
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", classify(err))
	}
	// Keyed by hash, so the bucket's order says nothing; ids sort by creation.
	slices.SortFunc(out, func(a, b store.APIToken) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// RevokeToken deletes the token with this id, or returns store.ErrNotFound.
// Tokens are keyed by hash, so it looks through them all: there are few.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bTokens)
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var t store.APIToken
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("decode token %x: %w", k, err)
			}
			if t.ID == id {
				return c.Delete()
			}
		}
		return store.ErrNotFound
	})
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, classify(err))
	}
	return nil
}

// TouchToken records at as the token's last use, if it is later than the
// recorded one; store.ErrNotFound if the token is gone.
func (s *Store) TouchToken(ctx context.Context, hash string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("touch token: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bTokens)
		v := b.Get([]byte(hash))
		if v == nil {
			return store.ErrNotFound
		}
		var t store.APIToken
		if err := json.Unmarshal(v, &t); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		if !at.After(t.LastUsedAt) {
			return nil
		}
		t.LastUsedAt = at.UTC()
		nv, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		return b.Put([]byte(hash), nv)
	})
	if err != nil {
		return fmt.Errorf("touch token: %w", classify(err))
	}
	return nil
}
