package boltstore

import (
	"context"
	"encoding/json"
	"fmt"

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
