package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/store"
)

// reindexBatch is how many reports one Reindex transaction covers.
const reindexBatch = 500

// Reindex puts every report into the index of each of its store.FilterFields
// values where it is missing (reports stored before the team index existed
// are in no team index) and returns how many entries it added. It walks
// idx:all in batches; each batch is an optimistic transaction (WATCH the
// reports, read them, ZADD, EXEC) retried when an UpdateReport got there
// first, so it never files a report under a value it no longer has.
// Running it again adds nothing.
func (s *Store) Reindex(ctx context.Context) (int, error) {
	added, top := 0, "+"
	for {
		ids, err := s.c.ZRangeArgs(ctx, redis.ZRangeArgs{
			Key: s.k.idxAll(), Start: top, Stop: "-", ByLex: true, Rev: true, Count: reindexBatch,
		}).Result()
		if err != nil {
			return added, fmt.Errorf("reindex: walk %s: %w", s.k.idxAll(), wrapErr(err))
		}
		if len(ids) == 0 {
			return added, nil
		}
		n, err := s.reindexIDs(ctx, ids)
		added += n
		if err != nil {
			return added, fmt.Errorf("reindex: %w", err)
		}
		if len(ids) < reindexBatch {
			return added, nil
		}
		top = "(" + ids[len(ids)-1]
	}
}

// reindexIDs adds the reports ids to their value indexes in one optimistic
// transaction and returns how many entries were new.
func (s *Store) reindexIDs(ctx context.Context, ids []string) (int, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.k.report(id)
	}
	var added int
	txf := func(tx *redis.Tx) error {
		added = 0
		vals, err := tx.MGet(ctx, keys...).Result()
		if err != nil {
			return wrapErr(err)
		}
		var zadds []*redis.IntCmd
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for i, v := range vals {
				str, ok := v.(string)
				if !ok {
					continue // an index entry without a report; see reports()
				}
				var r store.Report
				if err := json.Unmarshal([]byte(str), &r); err != nil {
					return fmt.Errorf("report %s: %w", ids[i], err)
				}
				for _, key := range s.k.fieldIndexes(&r) {
					zadds = append(zadds, p.ZAdd(ctx, key, redis.Z{Member: r.ID}))
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, c := range zadds {
			added += int(c.Val())
		}
		return nil
	}
	for range maxTxRetries {
		err := s.c.Watch(ctx, txf, keys...)
		if !errors.Is(err, redis.TxFailedErr) {
			if err != nil {
				return 0, fmt.Errorf("index %d reports from %s: %w", len(ids), ids[0], wrapErr(err))
			}
			return added, nil
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("index %d reports from %s: gave up after %d conflicting writes: %w", len(ids), ids[0], maxTxRetries, redis.TxFailedErr)
}
