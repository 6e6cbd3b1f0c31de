package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Records is a small durable key-value store of documents grouped in named
// collections, for the state that is neither a report nor a job: users,
// sessions, the audit log, briefs and their deliveries, schedule slots,
// "me too" votes, plant settings, photo metadata. Each domain package owns
// its collections and their value encoding (JSON, usually); the store only
// keeps bytes. Both backends give the same semantics (store/storetest):
//
//   - every call is atomic on its own, and durable once it returned nil;
//   - keys within a collection sort bytewise; ListRecords walks them in that
//     order (or its reverse), so time-ordered keys (UUID v7, zero-padded
//     numbers) list by time;
//   - CreateRecord is an atomic insert-if-absent: of many concurrent callers,
//     across processes and instances, exactly one gets created=true. It is the
//     primitive for "once per slot", "one vote per device", unique names;
//   - UpdateRecord is an atomic read-modify-write.
//
// Collection names are short ASCII words chosen by their owners, for example
// "auth.users" or "votes:<report id>"; see ValidCollection. Values are at
// most MaxRecordSize bytes. Every method wraps ErrUnavailable when the
// backend cannot be reached.
type Records interface {
	// PutRecord stores val under key, replacing any value.
	PutRecord(ctx context.Context, coll, key string, val []byte) error
	// CreateRecord stores val under key only if key is absent, and says
	// whether it did.
	CreateRecord(ctx context.Context, coll, key string, val []byte) (created bool, err error)
	// GetRecord returns the value under key, or ErrNotFound.
	GetRecord(ctx context.Context, coll, key string) ([]byte, error)
	// UpdateRecord calls fn with the current value (nil and exists=false if
	// there is none) and stores what it returns, atomically: no other write
	// to that key lands between the read and the write. fn may be called
	// more than once (optimistic retries) and must not have side effects.
	// fn returning ErrDeleteRecord deletes the key; any other error aborts
	// with that error, writing nothing. UpdateRecord returns the value it
	// stored (nil after a delete).
	UpdateRecord(ctx context.Context, coll, key string, fn func(cur []byte, exists bool) ([]byte, error)) ([]byte, error)
	// DeleteRecord removes key; removing an absent key is not an error.
	DeleteRecord(ctx context.Context, coll, key string) error
	// ListRecords returns up to opts.Limit records (DefaultLimit when 0, at
	// most MaxLimit) of coll whose keys start with opts.Prefix, in ascending
	// key order after opts.After, or, with opts.Reverse, in descending order
	// before opts.After. An unknown collection is empty.
	ListRecords(ctx context.Context, coll string, opts ListOptions) ([]Record, error)
	// CountRecords returns how many keys coll holds.
	CountRecords(ctx context.Context, coll string) (int64, error)
}

// Record is one key and its value.
type Record struct {
	Key   string
	Value []byte
}

// ListOptions select and page ListRecords.
type ListOptions struct {
	// Prefix keeps only keys that start with it ("" keeps all).
	Prefix string
	// After is the cursor: the last key of the previous page, exclusive.
	After string
	// Limit is the page size: 0 means DefaultLimit; above MaxLimit is MaxLimit.
	Limit int
	// Reverse lists in descending key order (newest first for time-ordered keys).
	Reverse bool
}

// PageSize resolves Limit.
func (o ListOptions) PageSize() int {
	switch {
	case o.Limit <= 0:
		return DefaultLimit
	case o.Limit > MaxLimit:
		return MaxLimit
	}
	return o.Limit
}

// MaxRecordSize bounds one record's value (a re-encoded photo fits).
const MaxRecordSize = 16 << 20

// MaxRecordKey bounds a record's key.
const MaxRecordKey = 512

// ErrDeleteRecord, returned by an UpdateRecord callback, deletes the key.
var ErrDeleteRecord = errors.New("delete record")

// ValidCollection reports whether coll is a usable collection name: 1 to
// 200 bytes of printable ASCII without spaces.
func ValidCollection(coll string) error {
	if coll == "" || len(coll) > 200 {
		return fmt.Errorf("record collection %q: must be 1 to 200 bytes", coll)
	}
	for i := 0; i < len(coll); i++ {
		if c := coll[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("record collection %q: printable ASCII without spaces only", coll)
		}
	}
	return nil
}

// CheckRecord validates a collection, key and value before a write.
func CheckRecord(coll, key string, val []byte) error {
	if err := ValidCollection(coll); err != nil {
		return err
	}
	if err := checkRecordKey(key); err != nil {
		return err
	}
	if len(val) > MaxRecordSize {
		return fmt.Errorf("record %s/%s: value of %d bytes is larger than %d", coll, key, len(val), MaxRecordSize)
	}
	return nil
}

// CheckRecordKey validates a collection and key before a read or delete.
func CheckRecordKey(coll, key string) error {
	if err := ValidCollection(coll); err != nil {
		return err
	}
	return checkRecordKey(key)
}

func checkRecordKey(key string) error {
	if key == "" || len(key) > MaxRecordKey {
		return fmt.Errorf("record key %q: must be 1 to %d bytes", key, MaxRecordKey)
	}
	if strings.ContainsRune(key, 0) {
		return fmt.Errorf("record key %q: must not contain NUL", key)
	}
	return nil
}
