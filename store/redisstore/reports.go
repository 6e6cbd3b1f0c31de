package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
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
	body, err := marshalReport(r)
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
	// The first four field indexes come before the queue key, where they
	// were before the team index was added; the others follow the queue and
	// jobs keys.
	fi := s.k.fieldIndexes(r)
	keys := make([]string, 0, 6+len(fi))
	keys = append(keys, s.k.idem(sub.IdempotencyKey), s.k.report(r.ID), s.k.receipts(), s.k.idxAll())
	keys = append(keys, fi[:4]...)
	keys = append(keys, s.k.stream(q), s.k.jobs())
	keys = append(keys, fi[4:]...)
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
// the most selective applicable condition (fewest ids in the filter's id
// range): the union of that field's value indexes for the values f accepts
// (one index for a single value), merged in descending id order, or idx:all
// with no condition. It keeps the reports that match every condition. It
// reads one report past the page to know whether another page follows, so
// NextCursor is empty exactly on the last page.
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
	indexes, conditions, err := s.pickIndex(ctx, f, bottom, top)
	if err != nil {
		return store.Page{}, fmt.Errorf("find reports: %w", err)
	}
	if len(indexes) == 0 {
		return page, nil // a condition's indexes have nothing in range
	}
	// One condition is fully answered by its indexes; with more, fetch more
	// candidates per round trip as some will not match.
	batch := int64(size + 1)
	if conditions > 1 {
		batch = int64(max(2*(size+1), 100))
	}
	match := f.Matcher()
	var found []store.Report
	for len(found) <= size {
		ids, more, err := s.walkUnion(ctx, indexes, bottom, top, batch)
		if err != nil {
			return store.Page{}, fmt.Errorf("find reports: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		if need := size + 1 - len(found); conditions <= 1 && len(ids) > need {
			// Every id of the walk matches: fetch only what the page needs
			// (a union of several indexes can return several batches).
			ids, more = ids[:need], true
		}
		reports, err := s.reports(ctx, ids)
		if err != nil {
			return store.Page{}, fmt.Errorf("find reports: %w", err)
		}
		for i := range reports {
			if match(&reports[i]) {
				found = append(found, reports[i])
				if len(found) > size {
					break
				}
			}
		}
		if !more {
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

// walkUnion returns the next ids of the union of indexes in the lex range
// [bottom, top], in descending order, and whether the union may hold more
// below the last of them. It reads up to batch ids from every index in one
// pipeline and keeps the ids down to the highest "last id read" of an index
// that may hold more: every id of the union above that bound has been read,
// so nothing is skipped; the ids below it are read again next time (from
// below the bound), so nothing is repeated.
func (s *Store) walkUnion(ctx context.Context, indexes []string, bottom, top string, batch int64) ([]string, bool, error) {
	args := redis.ZRangeArgs{Start: top, Stop: bottom, ByLex: true, Rev: true, Count: batch}
	if len(indexes) == 1 {
		args.Key = indexes[0]
		ids, err := s.c.ZRangeArgs(ctx, args).Result()
		if err != nil {
			return nil, false, fmt.Errorf("walk %s: %w", indexes[0], wrapErr(err))
		}
		return ids, int64(len(ids)) == batch, nil
	}
	cmds := make([]*redis.StringSliceCmd, len(indexes))
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, key := range indexes {
			a := args
			a.Key = key
			cmds[i] = p.ZRangeArgs(ctx, a)
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("walk %d indexes: %w", len(indexes), wrapErr(err))
	}
	var (
		ids   []string
		bound string // the lowest id that is safe to return; "" = all of them
		more  bool
	)
	for _, c := range cmds {
		got := c.Val()
		ids = append(ids, got...)
		if int64(len(got)) == batch {
			more = true
			bound = max(bound, got[len(got)-1])
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return strings.Compare(b, a) })
	ids = slices.Compact(ids) // a report is in one index per field; this is only care
	if cut := slices.IndexFunc(ids, func(id string) bool { return id < bound }); more && cut >= 0 {
		ids = ids[:cut]
	}
	return ids, more, nil
}

// pickIndex returns the indexes to walk for f (their union is the walk) and
// how many fields f has conditions on. With several, it picks the field
// whose accepted values have the fewest ids in the lex range [bottom, top]
// (ties: fewer indexes, then store.FilterFields order); it returns no
// indexes if that count is zero or a condition accepts no value (nothing can
// match). With no condition it returns idx:all.
func (s *Store) pickIndex(ctx context.Context, f store.Filter, bottom, top string) ([]string, int, error) {
	var cands [][]string
	for _, fd := range store.FilterFields {
		vals, cond := f.Values(fd)
		if !cond {
			continue
		}
		if len(vals) == 0 {
			return nil, 0, nil
		}
		keys := make([]string, len(vals))
		for i, v := range vals {
			keys[i] = s.k.idx(fd.Name, v)
		}
		cands = append(cands, keys)
	}
	switch len(cands) {
	case 0:
		return []string{s.k.idxAll()}, 0, nil
	case 1:
		if len(cands[0]) == 1 {
			return cands[0], 1, nil
		}
	}
	counts := make([][]*redis.IntCmd, len(cands))
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, keys := range cands {
			for _, k := range keys {
				counts[i] = append(counts[i], p.ZLexCount(ctx, k, bottom, top))
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("count index entries: %w", wrapErr(err))
	}
	best, bestN := -1, int64(0)
	for i, cs := range counts {
		var n int64
		for _, c := range cs {
			n += c.Val()
		}
		if best < 0 || n < bestN || n == bestN && len(cands[i]) < len(cands[best]) {
			best, bestN = i, n
		}
	}
	if bestN == 0 {
		return nil, len(cands), nil
	}
	// Indexes with nothing in range need no walking.
	var walk []string
	for j, c := range counts[best] {
		if c.Val() > 0 {
			walk = append(walk, cands[best][j])
		}
	}
	return walk, len(cands), nil
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
				}
				// Even when unchanged: an update also repairs an index entry
				// that is missing (a report an instance of schema 1 accepted
				// during a rolling upgrade has no team entry).
				p.ZAdd(ctx, is[i], redis.Z{Member: id})
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
