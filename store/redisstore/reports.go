package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/floorfeed/floorfeed/store"
)

// maxTxRetries bounds the optimistic retries of UpdateReport.
const maxTxRetries = 100

// Submit stores sub.Report and enqueues sub.Job in one script (submitScript),
// once per idempotency key. A replay returns the stored report (as it is now)
// and created=false; a replay with another payload hash returns
// store.ErrIdempotencyMismatch.
func (s *Store) Submit(ctx context.Context, sub store.Submission) (store.Report, bool, error) {
	r := sub.Report
	keys, args, err := s.submitArgs(sub)
	if err != nil {
		return store.Report{}, false, fmt.Errorf("submit report %s: %w", r.ID, err)
	}
	res, err := s.submit.do(ctx, keys, args)
	switch {
	case redis.HasErrorPrefix(err, errMismatch):
		return store.Report{}, false, fmt.Errorf("submit report %s: idempotency key %q: %w", r.ID, sub.IdempotencyKey, store.ErrIdempotencyMismatch)
	case err != nil:
		return store.Report{}, false, fmt.Errorf("submit report %s: %w", r.ID, wrapErr(err))
	case len(res) < 2:
		return store.Report{}, false, fmt.Errorf("submit report %s: unexpected script reply %v", r.ID, res)
	}
	created, _ := res[0].(int64)
	id, _ := res[1].(string)
	if created == 1 {
		return r, true, nil
	}
	stored, err := s.Report(ctx, id)
	if err != nil {
		return store.Report{}, false, fmt.Errorf("submit report: replay of idempotency key %q: %w", sub.IdempotencyKey, err)
	}
	return stored, false, nil
}

// submitArgs returns the KEYS and ARGV of submitScript for sub.
func (s *Store) submitArgs(sub store.Submission) ([]string, []any, error) {
	r := &sub.Report
	switch {
	case r.ID == "":
		return nil, nil, errors.New("empty report id")
	case sub.IdempotencyKey == "":
		return nil, nil, errors.New("empty idempotency key")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, nil, err
	}
	if sub.Job.ID == "" {
		return nil, nil, errors.New("empty job id")
	}
	q, err := store.JobQueue(sub.Job)
	if err != nil {
		return nil, nil, err
	}
	jobJSON, err := marshalJob(sub.Job, q)
	if err != nil {
		return nil, nil, err
	}
	fi := s.k.fieldIndexes(r)
	keys := []string{
		s.k.idem(sub.IdempotencyKey), s.k.report(r.ID), s.k.receipts(), s.k.idxAll(),
		fi[0], fi[1], fi[2], fi[3], s.k.stream(q), s.k.jobs(),
	}
	args := []any{sub.PayloadHash, r.ID, body, r.Receipt, int64(idemTTL / time.Second), jobJSON, sub.Job.ID, q}
	return keys, args, nil
}

// Report returns one report by id, or store.ErrNotFound.
func (s *Store) Report(ctx context.Context, id string) (store.Report, error) {
	b, err := s.c.Get(ctx, s.k.report(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return store.Report{}, fmt.Errorf("report %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Report{}, fmt.Errorf("report %s: %w", id, wrapErr(err))
	}
	var r store.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Report{}, fmt.Errorf("report %s: %w", id, err)
	}
	return r, nil
}

// ReportByReceipt returns the report a receipt belongs to, or store.ErrNotFound.
func (s *Store) ReportByReceipt(ctx context.Context, receipt string) (store.Report, error) {
	id, err := s.c.HGet(ctx, s.k.receipts(), receipt).Result()
	if errors.Is(err, redis.Nil) {
		return store.Report{}, fmt.Errorf("report by receipt: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Report{}, fmt.Errorf("report by receipt: %w", wrapErr(err))
	}
	return s.Report(ctx, id)
}

// FindReports returns one page of reports matching f, newest first. It walks
// the most selective applicable index (fewest ids in the filter's id range)
// from the top of the range down, in batches, and keeps the reports that
// match every condition. It reads one report past the page to know whether
// another page follows, so NextCursor is empty exactly on the last page.
func (s *Store) FindReports(ctx context.Context, f store.Filter) (store.Page, error) {
	lo, hi := f.IDRange()
	size := f.PageSize()
	page := store.Page{Reports: []store.Report{}}
	if lo >= hi {
		return page, nil
	}
	bottom, top := "-", "("+hi
	if lo != "" {
		bottom = "[" + lo
	}
	index, conditions, err := s.pickIndex(ctx, f, bottom, top)
	if err != nil {
		return store.Page{}, fmt.Errorf("find reports: %w", err)
	}
	if index == "" {
		return page, nil // an applicable index has nothing in range
	}
	// One condition is fully answered by its index; with more, fetch more
	// candidates per round trip as some will not match.
	batch := int64(size + 1)
	if conditions > 1 {
		batch = int64(max(2*(size+1), 100))
	}
	var found []store.Report
	for len(found) <= size {
		ids, err := s.c.ZRangeArgs(ctx, redis.ZRangeArgs{
			Key: index, Start: top, Stop: bottom, ByLex: true, Rev: true, Count: batch,
		}).Result()
		if err != nil {
			return store.Page{}, fmt.Errorf("find reports: walk %s: %w", index, wrapErr(err))
		}
		if len(ids) == 0 {
			break
		}
		reports, err := s.reports(ctx, ids)
		if err != nil {
			return store.Page{}, fmt.Errorf("find reports: %w", err)
		}
		for i := range reports {
			if f.Match(&reports[i]) {
				found = append(found, reports[i])
				if len(found) > size {
					break
				}
			}
		}
		if int64(len(ids)) < batch {
			break
		}
		top = "(" + ids[len(ids)-1]
	}
	if len(found) > size {
		found = found[:size]
		page.NextCursor = found[size-1].ID
	}
	page.Reports = append(page.Reports, found...)
	return page, nil
}

// pickIndex returns the index key to walk for f and how many value
// conditions f has. With several, it picks the one with the fewest ids in
// the lex range [bottom, top]; it returns "" if that count is zero (nothing
// can match).
func (s *Store) pickIndex(ctx context.Context, f store.Filter, bottom, top string) (string, int, error) {
	var cands []string
	if f.Line != "" {
		cands = append(cands, s.k.idxLine(f.Line))
	}
	if f.Category != "" {
		cands = append(cands, s.k.idxCategory(f.Category))
	}
	if f.Severity != "" {
		cands = append(cands, s.k.idxSeverity(f.Severity))
	}
	if f.Status != "" {
		cands = append(cands, s.k.idxStatus(f.Status))
	}
	switch len(cands) {
	case 0:
		return s.k.idxAll(), 0, nil
	case 1:
		return cands[0], 1, nil
	}
	counts := make([]*redis.IntCmd, len(cands))
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range cands {
			counts[i] = p.ZLexCount(ctx, k, bottom, top)
		}
		return nil
	})
	if err != nil {
		return "", 0, fmt.Errorf("count index entries: %w", wrapErr(err))
	}
	best, bestN := "", int64(-1)
	for i, c := range counts {
		if n := c.Val(); bestN < 0 || n < bestN {
			best, bestN = cands[i], n
		}
	}
	if bestN == 0 {
		return "", len(cands), nil
	}
	return best, len(cands), nil
}

// reports fetches reports by id with one MGET, in the order of ids, skipping
// ids without a report (none should exist: reports are written with their
// index entries in one script and never deleted).
func (s *Store) reports(ctx context.Context, ids []string) ([]store.Report, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.k.report(id)
	}
	vals, err := s.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("fetch %d reports: %w", len(ids), wrapErr(err))
	}
	out := make([]store.Report, 0, len(vals))
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			s.log.Warn("redis store: index entry without report", "id", ids[i])
			continue
		}
		var r store.Report
		if err := json.Unmarshal([]byte(str), &r); err != nil {
			return nil, fmt.Errorf("report %s: %w", ids[i], err)
		}
		out = append(out, r)
	}
	return out, nil
}

// fnError carries an error returned by UpdateReport's fn through Watch.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// UpdateReport loads report id, calls fn on it and stores the result with
// its index entries moved, in an optimistic transaction (WATCH the report,
// MULTI/EXEC) retried when another writer got there first; fn may run more
// than once. store.ErrNotFound if there is no such report.
func (s *Store) UpdateReport(ctx context.Context, id string, fn func(*store.Report) error) (store.Report, error) {
	key := s.k.report(id)
	var out store.Report
	txf := func(tx *redis.Tx) error {
		b, err := tx.Get(ctx, key).Bytes()
		if errors.Is(err, redis.Nil) {
			return store.ErrNotFound
		}
		if err != nil {
			return wrapErr(err)
		}
		var old, r store.Report
		if err := json.Unmarshal(b, &old); err != nil {
			return err
		}
		if err := json.Unmarshal(b, &r); err != nil { // a deep copy for fn to change
			return err
		}
		if err := fn(&r); err != nil {
			return fnError{err}
		}
		if r.ID != id {
			return fmt.Errorf("fn changed the report id to %q", r.ID)
		}
		body, err := json.Marshal(&r)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, body, 0)
			was, is := s.k.fieldIndexes(&old), s.k.fieldIndexes(&r)
			for i := range was {
				if was[i] != is[i] {
					p.ZRem(ctx, was[i], id)
					p.ZAdd(ctx, is[i], redis.Z{Member: id})
				}
			}
			if old.Receipt != r.Receipt {
				if old.Receipt != "" {
					p.HDel(ctx, s.k.receipts(), old.Receipt)
				}
				if r.Receipt != "" {
					p.HSet(ctx, s.k.receipts(), r.Receipt, id)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		out = r
		return nil
	}
	for attempt := range maxTxRetries {
		err := s.c.Watch(ctx, txf, key)
		var fe fnError
		switch {
		case err == nil:
			return out, nil
		case errors.As(err, &fe):
			return store.Report{}, fmt.Errorf("update report %s: %w", id, fe.err)
		case !errors.Is(err, redis.TxFailedErr):
			return store.Report{}, fmt.Errorf("update report %s: %w", id, wrapErr(err))
		}
		// Someone else wrote the report between our read and EXEC: back off
		// a little (jittered, growing) and run fn again on the new version.
		d := time.Duration(rand.Int64N(int64(attempt+1)*int64(time.Millisecond))) + 100*time.Microsecond
		select {
		case <-ctx.Done():
			return store.Report{}, fmt.Errorf("update report %s: %w", id, ctx.Err())
		case <-time.After(d):
		}
	}
	return store.Report{}, fmt.Errorf("update report %s: gave up after %d conflicting writes: %w", id, maxTxRetries, redis.TxFailedErr)
}
