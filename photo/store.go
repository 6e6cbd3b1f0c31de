package photo

import (
	"context"
	"fmt"
	"time"
)

// Variant is one form of a photo's bytes.
type Variant string

// Variants. Only Full and Thumb are ever served; Original is the upload as
// it came, kept until the photo job has re-encoded it.
const (
	Original Variant = "original"
	Full     Variant = "full"
	Thumb    Variant = "thumb"
)

// Valid reports whether v is one of the variants.
func (v Variant) Valid() bool { return v == Original || v == Full || v == Thumb }

// Store keeps photo bytes by report, photo and variant. An implementation
// over object storage (S3) fits the same methods: Put is a PUT of one
// object, Candidates a listing of a prefix.
type Store interface {
	// Put stores b durably: when it returns nil, the bytes survive a crash.
	Put(ctx context.Context, reportID, photoID string, v Variant, b []byte) error
	// Get returns the bytes, or an error wrapping store.ErrNotFound.
	Get(ctx context.Context, reportID, photoID string, v Variant) ([]byte, error)
	// Delete removes one variant; removing an absent one is not an error.
	Delete(ctx context.Context, reportID, photoID string, v Variant) error
	// Candidates lists the ids of reports that got photos and were not
	// confirmed (see Confirm), whose ids (UUID v7) were made in [from, to):
	// those whose submission may have failed after the photos were written.
	Candidates(ctx context.Context, from, to time.Time) ([]string, error)
	// Confirm says that reportID's submission is known to have been stored,
	// so its photos are no longer candidates for cleanup.
	Confirm(ctx context.Context, reportID string) error
	// DeleteReport removes every photo of a report.
	DeleteReport(ctx context.Context, reportID string) error
}

// checkName guards ids used in file names and record keys: UUIDs and the
// like, never a path.
func checkName(kind, s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("photo store: %s %q: 1 to 64 characters", kind, s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("photo store: %s %q: letters, digits, - and _ only", kind, s)
		}
	}
	return nil
}

func checkKey(reportID, photoID string, v Variant) error {
	if err := checkName("report id", reportID); err != nil {
		return err
	}
	if err := checkName("photo id", photoID); err != nil {
		return err
	}
	if !v.Valid() {
		return fmt.Errorf("photo store: unknown variant %q", v)
	}
	return nil
}
