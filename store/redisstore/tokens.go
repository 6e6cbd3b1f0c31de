package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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

// Tokens returns every token with its last use, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]store.APIToken, error) {
	var all, used *redis.MapStringStringCmd
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HGetAll(ctx, s.k.tokens())
		used = p.HGetAll(ctx, s.k.tokensUsed())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", wrapErr(err))
	}
	out := make([]store.APIToken, 0, len(all.Val()))
	for hash, b := range all.Val() {
		var t store.APIToken
		if err := json.Unmarshal([]byte(b), &t); err != nil {
			return nil, fmt.Errorf("list tokens: decode %s: %w", hash, err)
		}
		if ms, err := strconv.ParseInt(used.Val()[hash], 10, 64); err == nil {
			t.LastUsedAt = time.UnixMilli(ms).UTC()
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b store.APIToken) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// RevokeToken deletes the token with this id and its last-use record, or
// returns store.ErrNotFound. Tokens are keyed by hash, so it reads them all
// to find the id: there are few.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	all, err := s.c.HGetAll(ctx, s.k.tokens()).Result()
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, wrapErr(err))
	}
	for hash, b := range all {
		var t store.APIToken
		if err := json.Unmarshal([]byte(b), &t); err != nil {
			return fmt.Errorf("revoke token %s: decode %s: %w", id, hash, err)
		}
		if t.ID != id {
			continue
		}
		var del *redis.IntCmd
		_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			del = p.HDel(ctx, s.k.tokens(), hash)
			p.HDel(ctx, s.k.tokensUsed(), hash)
			return nil
		})
		if err != nil {
			return fmt.Errorf("revoke token %s: %w", id, wrapErr(err))
		}
		if del.Val() == 0 {
			break // revoked by someone else in the meantime
		}
		return nil
	}
	return fmt.Errorf("revoke token %s: %w", id, store.ErrNotFound)
}

// touchTokenScript records a token's last use, only if the token exists
// (so a touch racing a revoke leaves nothing behind) and only forward.
//
// KEYS[1] P:{P}:tokens   KEYS[2] P:{P}:tokens:used
// ARGV[1] token hash     ARGV[2] used at (unix ms)
// Returns 1 when the token exists, 0 when it does not.
var touchTokenScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
local cur = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[2]) > cur then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
return 1
`)

// TouchToken records at as the token's last use, if later than the recorded
// one; store.ErrNotFound if the token is gone.
func (s *Store) TouchToken(ctx context.Context, hash string, at time.Time) error {
	n, err := touchTokenScript.Run(ctx, s.c, []string{s.k.tokens(), s.k.tokensUsed()}, hash, at.UnixMilli()).Int()
	if err != nil {
		return fmt.Errorf("touch token: %w", wrapErr(err))
	}
	if n == 0 {
		return fmt.Errorf("touch token: %w", store.ErrNotFound)
	}
	return nil
}
