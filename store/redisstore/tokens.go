package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/store"
)

// CreateToken stores t under its hash (HSETNX); a second token with the same
// hash is an error.
func (s *Store) CreateToken(ctx context.Context, t store.APIToken) error {
	if t.Hash == "" {
		return fmt.Errorf("create token %s: empty hash", t.ID)
	}
	b, err := json.Marshal(&t)
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.ID, err)
	}
	ok, err := s.c.HSetNX(ctx, s.k.tokens(), t.Hash, b).Result()
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.ID, wrapErr(err))
	}
	if !ok {
		return fmt.Errorf("create token %s: a token with this hash exists", t.ID)
	}
	return nil
}

// TokenByHash finds a token by the hash of its secret, or store.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (store.APIToken, error) {
	b, err := s.c.HGet(ctx, s.k.tokens(), hash).Bytes()
	if errors.Is(err, redis.Nil) {
		return store.APIToken{}, fmt.Errorf("token by hash: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.APIToken{}, fmt.Errorf("token by hash: %w", wrapErr(err))
	}
	var t store.APIToken
	if err := json.Unmarshal(b, &t); err != nil {
		return store.APIToken{}, fmt.Errorf("token by hash: %w", err)
	}
	return t, nil
}
