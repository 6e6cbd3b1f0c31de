package photo

import (
	"context"
	"fmt"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// Records is the part of store.Records a RecordStore uses.
type Records interface {
	PutRecord(ctx context.Context, coll, key string, val []byte) error
	GetRecord(ctx context.Context, coll, key string) ([]byte, error)
	DeleteRecord(ctx context.Context, coll, key string) error
	ListRecords(ctx context.Context, coll string, opts store.ListOptions) ([]store.Record, error)
}

// Collections of a RecordStore.
const (
	// collPhotosPrefix + report id holds that report's photos, keyed
	// "<photo id>/<variant>".
	collPhotosPrefix = "photos:"
	// collUnconfirmed lists report ids with photos not yet confirmed.
	collUnconfirmed = "photo.unconfirmed"
)

// RecordStore keeps photos as store records (the Redis backend: every
// instance serves every photo). A value is at most store.MaxRecordSize
// (16 MB), above MaxBytes.
type RecordStore struct {
	r Records
}

var _ Store = (*RecordStore)(nil)

// NewRecordStore returns a store over r.
func NewRecordStore(r Records) *RecordStore { return &RecordStore{r: r} }

func recordKey(photoID string, v Variant) string { return photoID + "/" + string(v) }

// Put stores the photo; an original also marks the report unconfirmed.
func (s *RecordStore) Put(ctx context.Context, reportID, photoID string, v Variant, b []byte) error {
	if err := checkKey(reportID, photoID, v); err != nil {
		return err
	}
	if v == Original {
		if err := s.r.PutRecord(ctx, collUnconfirmed, reportID, []byte{}); err != nil {
			return fmt.Errorf("photo store: %w", err)
		}
	}
	if err := s.r.PutRecord(ctx, collPhotosPrefix+reportID, recordKey(photoID, v), b); err != nil {
		return fmt.Errorf("photo store: %w", err)
	}
	return nil
}

// Get reads a photo; store.ErrNotFound if it is not there.
func (s *RecordStore) Get(ctx context.Context, reportID, photoID string, v Variant) ([]byte, error) {
	if err := checkKey(reportID, photoID, v); err != nil {
		return nil, fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	b, err := s.r.GetRecord(ctx, collPhotosPrefix+reportID, recordKey(photoID, v))
	if err != nil {
		return nil, fmt.Errorf("photo %s/%s %s: %w", reportID, photoID, v, err)
	}
	return b, nil
}

// Delete removes a photo's variant.
func (s *RecordStore) Delete(ctx context.Context, reportID, photoID string, v Variant) error {
	if err := checkKey(reportID, photoID, v); err != nil {
		return err
	}
	if err := s.r.DeleteRecord(ctx, collPhotosPrefix+reportID, recordKey(photoID, v)); err != nil {
		return fmt.Errorf("photo store: %w", err)
	}
	return nil
}

// Candidates lists unconfirmed reports with ids made in [from, to).
func (s *RecordStore) Candidates(ctx context.Context, from, to time.Time) ([]string, error) {
	lo, hi := store.IDFloor(from), store.IDFloor(to)
	var out []string
	after := ""
	if lo != "" {
		after = lo[:len(lo)-1] // just below every id >= lo (the last hex digit of a floor is 0)
	}
	for {
		recs, err := s.r.ListRecords(ctx, collUnconfirmed, store.ListOptions{After: after, Limit: store.MaxLimit})
		if err != nil {
			return nil, fmt.Errorf("photo store: %w", err)
		}
		for _, r := range recs {
			if r.Key >= hi {
				return out, nil
			}
			if r.Key >= lo {
				out = append(out, r.Key)
			}
		}
		if len(recs) < store.MaxLimit {
			return out, nil
		}
		after = recs[len(recs)-1].Key
	}
}

// Confirm drops the report from the unconfirmed list.
func (s *RecordStore) Confirm(ctx context.Context, reportID string) error {
	if err := s.r.DeleteRecord(ctx, collUnconfirmed, reportID); err != nil {
		return fmt.Errorf("photo store: %w", err)
	}
	return nil
}

// DeleteReport removes every photo of a report and its unconfirmed mark.
func (s *RecordStore) DeleteReport(ctx context.Context, reportID string) error {
	if err := checkName("report id", reportID); err != nil {
		return err
	}
	coll := collPhotosPrefix + reportID
	for {
		recs, err := s.r.ListRecords(ctx, coll, store.ListOptions{Limit: store.MaxLimit})
		if err != nil {
			return fmt.Errorf("photo store: %w", err)
		}
		for _, r := range recs {
			if err := s.r.DeleteRecord(ctx, coll, r.Key); err != nil {
				return fmt.Errorf("photo store: %w", err)
			}
		}
		if len(recs) < store.MaxLimit {
			break
		}
	}
	return s.Confirm(ctx, reportID)
}
