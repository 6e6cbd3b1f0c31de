package triage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/store"
)

// ErrSelfMerge is returned (wrapped) when a report would be merged into itself.
var ErrSelfMerge = errors.New("a report cannot be a duplicate of itself")

// ErrMergeChain is returned (wrapped) when the report to merge into is
// itself a duplicate of another: merge into that one instead, so that
// votes never end up on a closed report.
var ErrMergeChain = errors.New("the target report is itself a duplicate")

// ErrAlreadyMerged is returned (wrapped) when the duplicate was already
// merged into another report than the one asked for.
var ErrAlreadyMerged = errors.New("the report was already merged into another report")

// Merge marks report dupID as a duplicate of report intoID on behalf of by:
// dupID gets the status store.StatusDuplicate and an ActionDuplicate entry
// naming intoID; intoID gets an ActionMerged entry naming dupID, and takes
// over its votes plus one for the duplicate's reporter (the reporter of a
// duplicate is one more person who saw the problem). It returns both reports
// as stored afterwards.
//
// The two reports are changed one after the other (the store is atomic per
// report), duplicate first. Each step recognises its own earlier result, so
// calling Merge again after a failure half-way completes the merge without
// counting the votes twice; calling it again after a success changes
// nothing.
//
// Errors: ErrBadActor, ErrSelfMerge, ErrMergeChain (intoID is a duplicate
// itself), ErrAlreadyMerged (dupID went into a third report), store.ErrNotFound
// (either id), and the store's errors, all wrapped.
func (s *Service) Merge(ctx context.Context, dupID, intoID, by string) (dup, into store.Report, err error) {
	by = strings.TrimSpace(by)
	switch {
	case by == "" || utf8.RuneCountInString(by) > MaxActor || !utf8.ValidString(by):
		return dup, into, fmt.Errorf("merge %s into %s: %w %q", dupID, intoID, ErrBadActor, by)
	case by == ByReporter || by == BySystem || by == ByRnD:
		return dup, into, fmt.Errorf("merge %s into %s: %w %q: reserved", dupID, intoID, ErrBadActor, by)
	case dupID == intoID:
		return dup, into, fmt.Errorf("merge %s: %w", dupID, ErrSelfMerge)
	}
	target, err := s.load(ctx, intoID)
	if err != nil {
		return dup, into, fmt.Errorf("merge %s into %s: %w", dupID, intoID, err)
	}
	if target.Status == store.StatusDuplicate {
		return dup, into, fmt.Errorf("merge %s into %s: %w", dupID, intoID, ErrMergeChain)
	}
	at := s.now()
	var votes int
	var code, reporter string
	dup, err = s.reports.UpdateReport(ctx, dupID, func(r *store.Report) error {
		votes, code, reporter = r.Votes, r.Code, r.Reporter
		if ev, ok := mergedInto(r); ok {
			if ev.To != intoID {
				return ErrAlreadyMerged
			}
			return errUnchanged
		}
		r.SetStatus(store.StatusDuplicate, by, at)
		r.History = append(r.History, store.Event{At: at, By: by, Action: store.ActionDuplicate, To: intoID, Internal: true})
		r.UpdatedAt = at
		return nil
	})
	if errors.Is(err, errUnchanged) {
		dup, err = s.load(ctx, dupID)
	}
	if err != nil {
		return store.Report{}, store.Report{}, fmt.Errorf("merge %s into %s: %w", dupID, intoID, err)
	}
	into, err = s.reports.UpdateReport(ctx, intoID, func(r *store.Report) error {
		if r.Status == store.StatusDuplicate {
			return ErrMergeChain
		}
		if slices.ContainsFunc(r.History, func(ev store.Event) bool {
			return ev.Action == store.ActionMerged && ev.From == dupID
		}) {
			return errUnchanged
		}
		r.Votes += votes + 1
		text := code
		if reporter != "" {
			text += " · " + reporter
		}
		r.History = append(r.History, store.Event{At: at, By: by, Action: store.ActionMerged, From: dupID, Text: text, Internal: true})
		r.UpdatedAt = at
		return nil
	})
	if errors.Is(err, errUnchanged) {
		into, err = s.load(ctx, intoID)
	}
	if err != nil {
		return store.Report{}, store.Report{}, fmt.Errorf("merge %s into %s: %w", dupID, intoID, err)
	}
	return dup, into, nil
}

// mergedInto returns the ActionDuplicate entry of a report already merged.
func mergedInto(r *store.Report) (store.Event, bool) {
	for i := len(r.History) - 1; i >= 0; i-- {
		if r.History[i].Action == store.ActionDuplicate {
			return r.History[i], true
		}
	}
	return store.Event{}, false
}

// load reads a report through UpdateReport without changing it (Reports has
// no plain read).
func (s *Service) load(ctx context.Context, id string) (store.Report, error) {
	var out store.Report
	_, err := s.reports.UpdateReport(ctx, id, func(r *store.Report) error {
		out = *r
		return errUnchanged
	})
	if errors.Is(err, errUnchanged) {
		return out, nil
	}
	return store.Report{}, err
}
