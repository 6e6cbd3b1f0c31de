package intake

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/floorfeed/floorfeed/store"
)

// CodesCollection maps a report's short code (the one a reporter reads out,
// "K7QM-X2PD") to the report's id: key the code, value the id.
const CodesCollection = "reports.code"

// Codes is the index of report codes. The report processor writes each
// report's entry (so a code is findable once the worker has processed the
// report, normally within a second; the queue retries until the write
// succeeded), and Backfill adds the entries of reports stored before the
// index existed. The submission path does not write it: a submission stays
// one atomic store call.
type Codes struct {
	rec store.Records
}

// NewCodes returns the code index over rec.
func NewCodes(rec store.Records) *Codes { return &Codes{rec: rec} }

// NormalizeCode returns code in its stored form (upper case, the dash in
// the middle; Crockford's misreadings O→0, I and L→1 are mended), and
// whether it is a well-formed code at all.
func NormalizeCode(code string) (string, bool) {
	c := strings.ToUpper(strings.TrimSpace(code))
	c = strings.NewReplacer("O", "0", "I", "1", "L", "1").Replace(c)
	if len(c) == 8 && !strings.Contains(c, "-") {
		c = c[:4] + "-" + c[4:]
	}
	if len(c) != 9 || c[4] != '-' {
		return "", false
	}
	for i := 0; i < len(c); i++ {
		if i != 4 && !strings.ContainsRune("0123456789ABCDEFGHJKMNPQRSTVWXYZ", rune(c[i])) {
			return "", false
		}
	}
	return c, true
}

// Put records that code belongs to report id.
func (c *Codes) Put(ctx context.Context, code, id string) error {
	if code == "" {
		return nil // reports from before codes existed have none
	}
	if err := c.rec.PutRecord(ctx, CodesCollection, code, []byte(id)); err != nil {
		return fmt.Errorf("index code %s: %w", code, err)
	}
	return nil
}

// Lookup returns the id of the report with this code (in stored form), or
// store.ErrNotFound.
func (c *Codes) Lookup(ctx context.Context, code string) (string, error) {
	b, err := c.rec.GetRecord(ctx, CodesCollection, code)
	if err != nil {
		return "", fmt.Errorf("look up code %s: %w", code, err)
	}
	return string(b), nil
}

// ReportFinder pages through reports (store.Reports.FindReports).
type ReportFinder interface {
	FindReports(ctx context.Context, f store.Filter) (store.Page, error)
}

// Backfill indexes the code of every stored report that has none in the
// index and returns how many it added. It is idempotent and safe while the
// store is in use.
func (c *Codes) Backfill(ctx context.Context, reports ReportFinder) (int, error) {
	n := 0
	f := store.Filter{Limit: store.MaxLimit}
	for {
		page, err := reports.FindReports(ctx, f)
		if err != nil {
			return n, fmt.Errorf("backfill codes: %w", err)
		}
		for _, r := range page.Reports {
			if r.Code == "" {
				continue
			}
			_, err := c.rec.GetRecord(ctx, CodesCollection, r.Code)
			switch {
			case err == nil:
				continue
			case !errors.Is(err, store.ErrNotFound):
				return n, fmt.Errorf("backfill codes: %w", err)
			}
			if err := c.Put(ctx, r.Code, r.ID); err != nil {
				return n, err
			}
			n++
		}
		if page.NextCursor == "" {
			return n, nil
		}
		f.Cursor = page.NextCursor
	}
}
