// Package votes counts "me too" confirmations of open reports: one vote
// per device (a random id kept on the phone, or the form's cookie) per
// report, so that people at a line confirm a known problem instead of
// filing it again. The votes are store records in a collection per report
// ("votes:<report id>", key the device id), created with CreateRecord, the
// store's atomic insert-if-absent: of concurrent votes from one device
// exactly one counts, on any backend and across instances. The report's
// Votes field is the collection's count, kept in step after each vote.
package votes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// Store is what votes need of the store.
type Store interface {
	CreateRecord(ctx context.Context, coll, key string, val []byte) (bool, error)
	GetRecord(ctx context.Context, coll, key string) ([]byte, error)
	CountRecords(ctx context.Context, coll string) (int64, error)
	UpdateReport(ctx context.Context, id string, fn func(*store.Report) error) (store.Report, error)
}

// MaxDeviceID bounds a device id.
const MaxDeviceID = 64

// ErrBadDevice is a device id that is empty, too long or not
// [A-Za-z0-9_-].
var ErrBadDevice = errors.New("votes: device id must be 1 to 64 letters, digits, - or _")

// Service records votes.
type Service struct {
	st  Store
	now func() time.Time
}

// New returns the vote service; now nil means time.Now.
func New(st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, now: now}
}

// vote is a stored vote (schema 1).
type vote struct {
	V  int       `json:"v"`
	At time.Time `json:"at"`
}

func collection(reportID string) string { return "votes:" + reportID }

// ValidDevice reports whether id is a usable device id.
func ValidDevice(id string) bool {
	if id == "" || len(id) > MaxDeviceID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Vote records device's vote for report reportID (which the caller has
// found) and returns the report's vote count. Voting again changes
// nothing and returns the same count. Errors: ErrBadDevice, and the
// store's (store.ErrNotFound when the report is gone).
func (s *Service) Vote(ctx context.Context, reportID, device string) (int, error) {
	if !ValidDevice(device) {
		return 0, ErrBadDevice
	}
	val, err := json.Marshal(vote{V: 1, At: s.now().UTC()})
	if err != nil {
		return 0, fmt.Errorf("vote: %w", err)
	}
	coll := collection(reportID)
	if _, err := s.st.CreateRecord(ctx, coll, device, val); err != nil {
		return 0, fmt.Errorf("vote for %s: %w", reportID, err)
	}
	// Counted after this device's vote is in, so the count includes it; a
	// count only grows, so the largest one written wins whatever the order
	// of concurrent votes, and any later vote (a repeat too) mends a count
	// left behind by a crash between the two steps.
	n, err := s.st.CountRecords(ctx, coll)
	if err != nil {
		return 0, fmt.Errorf("count votes for %s: %w", reportID, err)
	}
	votes := int(n)
	_, err = s.st.UpdateReport(ctx, reportID, func(r *store.Report) error {
		if int64(r.Votes) >= n {
			votes = r.Votes
			return errUpToDate // nothing to write
		}
		r.Votes = int(n)
		return nil
	})
	if err != nil && !errors.Is(err, errUpToDate) {
		return 0, fmt.Errorf("vote for %s: %w", reportID, err)
	}
	return max(votes, int(n)), nil
}

// errUpToDate aborts an UpdateReport that would write nothing new.
var errUpToDate = errors.New("votes: count up to date")

// Voted reports whether device has voted for report reportID.
func (s *Service) Voted(ctx context.Context, reportID, device string) (bool, error) {
	if !ValidDevice(device) {
		return false, nil
	}
	_, err := s.st.GetRecord(ctx, collection(reportID), device)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("votes of %s: %w", reportID, err)
}
