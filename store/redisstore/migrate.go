package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/store"
)

// Schema versions on Redis. Version 1 (up to commit 0025e45) recorded no
// version, had one job queue (keys.go lists its keys) and no team index;
// version 2 has one queue per job class, indexes every report by team
// (P:{P}:idx:team:<team>) and records P:{P}:schema. Reports, receipts, the
// other indexes, idempotency keys, tokens and the secret are the same in
// both. Version-1 reports already carry a team (the line's), so Open first
// puts every report into the team index (Reindex, idempotent) and only then
// migrates the queue, whose last run records version 2: a crash in between
// leaves version 1 recorded and the next Open does both again.
//
// Open brings the data to version 2 with migrateScript, one batch per run:
// each run moves up to migrateBatch schema-1 entries and dead letters into
// the report queue (all schema-1 jobs were report jobs) and deletes them
// from the v1 keys, atomically; the run that finds nothing left sets
// P:{P}:schema. Several instances starting at once each run batches; as
// every batch is atomic and removes what it moved, no job is moved twice
// or lost, and no lock is needed (a lock would only keep them from sharing
// the work). An empty store takes one run and is set to version 2.
//
// A rolling upgrade keeps old instances running next to new ones; they
// still add jobs to the v1 stream (and may dead-letter into the v1 list).
// So every Claim of the report queue checks for the v1 keys (one EXISTS
// each inside claimScript) and, while they exist, moves a batch first. A
// job an old instance has leased is moved too and is due again at once in
// the report queue: at worst it runs twice, which the at-least-once queue
// allows (handlers are idempotent); the old instance's late Ack or Fail on
// the v1 stream finds nothing and does no harm.

// migrateBatch bounds the work of one migrateScript run.
const migrateBatch = 500

// checkSchema refuses an installation of a newer schema version than this
// binary knows (migrateScript checks again, atomically), and brings the
// report indexes of an older one up to date (see above).
func (s *Store) checkSchema(ctx context.Context) error {
	v, err := s.c.Get(ctx, s.k.schema()).Int64()
	switch {
	case errors.Is(err, redis.Nil):
		v = 1 // version 1 recorded nothing; an empty store has nothing to index
	case err != nil:
		return fmt.Errorf("read schema version: %w", wrapErr(err))
	case v > store.SchemaVersion:
		return tooNew(v, s.k.schema())
	}
	if v < 2 {
		n, err := s.Reindex(ctx)
		if err != nil {
			return fmt.Errorf("migrate schema %d: index reports by team: %w", v, err)
		}
		if n > 0 {
			s.log.Info("redis store: indexed reports by team for schema version 2", "entries", n)
		}
	}
	return nil
}

func tooNew(v int64, key string) error {
	return fmt.Errorf("%w: Redis data schema version %d (key %s), this floorfeed knows up to %d; upgrade floorfeed to a release that knows version %d before starting it on this Redis",
		store.ErrSchemaTooNew, v, key, store.SchemaVersion, v)
}

// migrate brings the installation to store.SchemaVersion, or refuses a newer one.
func (s *Store) migrate(ctx context.Context) error {
	keys := append(s.k.claimKeys(store.QueueReport), s.k.schema())
	moved := false
	for {
		res, err := s.runQueueScript(ctx, migrateScript, store.QueueReport, keys,
			migrateBatch, ackedRetentionMS, store.SchemaVersion).Int64Slice()
		if err != nil {
			return fmt.Errorf("migrate schema: %w", wrapErr(err))
		}
		if len(res) != 2 {
			return fmt.Errorf("migrate schema: unexpected script reply %v", res)
		}
		found, left := res[0], res[1]
		if found > store.SchemaVersion {
			return tooNew(found, s.k.schema())
		}
		if found < store.SchemaVersion && !moved && left > 0 {
			s.log.Info("redis store: migrating the job queue to schema version 2", "from", max(found, 1), "left", left)
		}
		if left == 0 {
			if moved {
				s.log.Info("redis store: migrated the job queue to schema version 2")
			}
			return nil
		}
		moved = true
	}
}
