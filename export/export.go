// Package export writes everything an installation holds — reports with
// their idempotency keys, queued and dead-lettered jobs, API tokens,
// records (users, sessions, briefs …) and the installation secret — to a
// versioned JSON-lines file, and reads such a file into an empty store of
// either backend: a plant that outgrows one box moves from the embedded
// store to Redis (or back) without losing a report, a job, a token or its
// QR codes.
//
// # Format (version 1)
//
// UTF-8 text, one JSON object per line. The first line is the header:
//
//	{"format":"floorfeed-export","version":1,"schema":3,"created_at":"…","source":"bolt"}
//
// then lines with a "kind" and one member named after it, in this order:
//
//	{"kind":"secret","secret":"<base64>"}                         the installation secret (QR tokens, receipts)
//	{"kind":"token","token":{…store.APIToken…}}                    API tokens (hashes only)
//	{"kind":"record","record":{"collection":"…","key":"…","value":"<base64>"}}
//	{"kind":"job","job":{…store.Job…}}                             ready, retrying or in-flight jobs (Queue set)
//	{"kind":"dead_job","job":{…store.Job…}}                        dead letters (LastError, DeadAt, Attempt set)
//	{"kind":"idempotency","idempotency":{"key","report_id","payload_hash","created_at"}}
//	{"kind":"report","report":{…store.Report…}}                    every report, newest first
//
// and last the trailer, whose counts tell a complete file from a cut one:
//
//	{"kind":"end","counts":{"report":…,"job":…,…}}
//
// A reader refuses a file without the header, of a newer version, or
// without the trailer or with other counts. Unknown kinds of a later minor
// addition are refused too (never silently dropped).
//
// Import goes through the store's own write paths (Submit, Enqueue,
// CreateToken, PutRecord), so indexes are built as for any report. Each
// report is submitted with its idempotency key (a replay from a phone's
// outbox after the move is answered 200) and with the report job it had in
// the queue, or, when it had none, with a new report job whose handler
// finds it processed and does nothing. A job's attempt count starts again;
// acked-job memory (7 days) is not carried over.
package export

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// Format and Version identify the file format.
const (
	Format  = "floorfeed-export"
	Version = 1
)

// Header is the first line.
type Header struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	Schema    int       `json:"schema"`
	CreatedAt time.Time `json:"created_at"`
	Source    string    `json:"source"`
}

// Record is one store.Records entry.
type Record struct {
	Collection string `json:"collection"`
	Key        string `json:"key"`
	Value      []byte `json:"value"`
}

// Line is every line after the header.
type Line struct {
	Kind        string                  `json:"kind"`
	Secret      []byte                  `json:"secret,omitempty"`
	Token       *store.APIToken         `json:"token,omitempty"`
	Record      *Record                 `json:"record,omitempty"`
	Job         *store.Job              `json:"job,omitempty"`
	Idempotency *store.IdempotencyEntry `json:"idempotency,omitempty"`
	Report      *store.Report           `json:"report,omitempty"`
	Counts      map[string]int          `json:"counts,omitempty"`
}

// The kinds of line.
const (
	KindSecret      = "secret"
	KindToken       = "token"
	KindRecord      = "record"
	KindJob         = "job"
	KindDeadJob     = "dead_job"
	KindIdempotency = "idempotency"
	KindReport      = "report"
	KindEnd         = "end"
)

// Source is a store that can be exported.
type Source interface {
	store.Store
	store.Dumper
}

// Write exports everything in src, and secret, to w. source names the
// backend in the header. It returns the counts written.
func Write(ctx context.Context, w io.Writer, src Source, secret []byte, source string) (map[string]int, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	counts := map[string]int{}
	put := func(l Line) error {
		counts[l.Kind]++
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("export: write %s: %w", l.Kind, err)
		}
		return nil
	}
	if err := enc.Encode(Header{Format: Format, Version: Version, Schema: store.SchemaVersion, CreatedAt: time.Now().UTC(), Source: source}); err != nil {
		return nil, fmt.Errorf("export: write header: %w", err)
	}
	if len(secret) > 0 {
		if err := put(Line{Kind: KindSecret, Secret: secret}); err != nil {
			return nil, err
		}
	}
	tokens, err := src.Tokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("export tokens: %w", err)
	}
	for _, t := range tokens {
		if err := put(Line{Kind: KindToken, Token: &t}); err != nil {
			return nil, err
		}
	}
	colls, err := src.Collections(ctx)
	if err != nil {
		return nil, fmt.Errorf("export records: %w", err)
	}
	slices.Sort(colls)
	for _, coll := range colls {
		after := ""
		for {
			recs, err := src.ListRecords(ctx, coll, store.ListOptions{After: after, Limit: store.MaxLimit})
			if err != nil {
				return nil, fmt.Errorf("export records %s: %w", coll, err)
			}
			for _, r := range recs {
				if err := put(Line{Kind: KindRecord, Record: &Record{Collection: coll, Key: r.Key, Value: r.Value}}); err != nil {
					return nil, err
				}
			}
			if len(recs) < store.MaxLimit {
				break
			}
			after = recs[len(recs)-1].Key
		}
	}
	if err := src.LiveJobs(ctx, func(j store.Job) error { return put(Line{Kind: KindJob, Job: &j}) }); err != nil {
		return nil, fmt.Errorf("export jobs: %w", err)
	}
	if err := src.AllDeadLetters(ctx, func(j store.Job) error { return put(Line{Kind: KindDeadJob, Job: &j}) }); err != nil {
		return nil, fmt.Errorf("export dead letters: %w", err)
	}
	if err := src.IdempotencyKeys(ctx, func(e store.IdempotencyEntry) error { return put(Line{Kind: KindIdempotency, Idempotency: &e}) }); err != nil {
		return nil, fmt.Errorf("export idempotency keys: %w", err)
	}
	cursor := ""
	for {
		page, err := src.FindReports(ctx, store.Filter{Cursor: cursor, Limit: store.MaxLimit})
		if err != nil {
			return nil, fmt.Errorf("export reports: %w", err)
		}
		for _, r := range page.Reports {
			if err := put(Line{Kind: KindReport, Report: &r}); err != nil {
				return nil, err
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	out := maps.Clone(counts)
	if err := enc.Encode(Line{Kind: KindEnd, Counts: counts}); err != nil {
		return nil, fmt.Errorf("export: write trailer: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return out, nil
}

// Target is a store an export can be read into.
type Target interface {
	store.Store
	store.Dumper
}

// ErrNotEmpty: Read refuses a store that already holds reports, tokens or
// jobs (merging two installations is not what an import is for).
var ErrNotEmpty = errors.New("the target store is not empty")

// Read imports the file r into dst, which must be empty, and returns the
// secret the file carries (the caller stores it where the backend keeps
// its secret) and the counts read.
func Read(ctx context.Context, r io.Reader, dst Target) (secret []byte, counts map[string]int, err error) {
	if err := checkEmpty(ctx, dst); err != nil {
		return nil, nil, err
	}
	dec := json.NewDecoder(bufio.NewReaderSize(r, 256<<10))
	var h Header
	if err := dec.Decode(&h); err != nil || h.Format != Format {
		return nil, nil, fmt.Errorf("import: not a floorfeed export (no header line): %v", err)
	}
	if h.Version > Version {
		return nil, nil, fmt.Errorf("import: export format version %d is newer than this floorfeed knows (%d): import it with the release that wrote it or a newer one", h.Version, Version)
	}
	counts = map[string]int{}
	reportJobs := map[string]store.Job{}        // live report jobs by report id
	keys := map[string]store.IdempotencyEntry{} // idempotency key by report id
	var trailer map[string]int
	for {
		var l Line
		if err := dec.Decode(&l); err == io.EOF {
			break
		} else if err != nil {
			return nil, counts, fmt.Errorf("import: line %d: %w", total(counts)+2, err)
		}
		if trailer != nil {
			return nil, counts, errors.New("import: lines after the trailer")
		}
		if l.Kind != KindEnd {
			counts[l.Kind]++
		}
		switch l.Kind {
		case KindSecret:
			secret = l.Secret
		case KindToken:
			if l.Token == nil {
				return nil, counts, errors.New("import: token line without a token")
			}
			if err := dst.CreateToken(ctx, *l.Token); err != nil {
				return nil, counts, fmt.Errorf("import token %s: %w", l.Token.ID, err)
			}
			if !l.Token.LastUsedAt.IsZero() {
				if err := dst.TouchToken(ctx, l.Token.Hash, l.Token.LastUsedAt); err != nil {
					return nil, counts, fmt.Errorf("import token %s: %w", l.Token.ID, err)
				}
			}
		case KindRecord:
			if l.Record == nil {
				return nil, counts, errors.New("import: record line without a record")
			}
			if err := dst.PutRecord(ctx, l.Record.Collection, l.Record.Key, l.Record.Value); err != nil {
				return nil, counts, fmt.Errorf("import: %w", err)
			}
		case KindJob:
			if l.Job == nil {
				return nil, counts, errors.New("import: job line without a job")
			}
			j := *l.Job
			j.Attempt, j.LastError, j.Handle = 0, "", ""
			if j.Type == store.JobProcessReport && j.ReportID != "" {
				reportJobs[j.ReportID] = j // submitted with its report
				continue
			}
			if err := dst.Enqueue(ctx, j); err != nil {
				return nil, counts, fmt.Errorf("import job %s: %w", j.ID, err)
			}
		case KindDeadJob:
			if l.Job == nil {
				return nil, counts, errors.New("import: dead_job line without a job")
			}
			if err := dst.PutDeadLetter(ctx, *l.Job); err != nil {
				return nil, counts, fmt.Errorf("import: %w", err)
			}
		case KindIdempotency:
			if l.Idempotency == nil {
				return nil, counts, errors.New("import: idempotency line without an entry")
			}
			keys[l.Idempotency.ReportID] = *l.Idempotency
		case KindReport:
			if l.Report == nil {
				return nil, counts, errors.New("import: report line without a report")
			}
			if err := importReport(ctx, dst, *l.Report, keys, reportJobs); err != nil {
				return nil, counts, err
			}
		case KindEnd:
			trailer = l.Counts
		default:
			return nil, counts, fmt.Errorf("import: unknown line kind %q (written by a newer floorfeed?): nothing is dropped silently, so the import stops", l.Kind)
		}
	}
	if trailer == nil {
		return nil, counts, errors.New("import: the file ends without its trailer: it was cut short; nothing after the last line was imported")
	}
	if !maps.Equal(trailer, counts) {
		return nil, counts, fmt.Errorf("import: the file's trailer counts %v, but it holds %v", trailer, counts)
	}
	// Report jobs whose report was not in the file (it cannot happen with a
	// file Write made, but a job is never dropped).
	for _, j := range reportJobs {
		if err := dst.Enqueue(ctx, j); err != nil {
			return nil, counts, fmt.Errorf("import job %s: %w", j.ID, err)
		}
	}
	return secret, counts, nil
}

// importReport submits r with its idempotency key and its report job.
func importReport(ctx context.Context, dst Target, r store.Report, keys map[string]store.IdempotencyEntry, jobs map[string]store.Job) error {
	sub := store.Submission{Report: r, IdempotencyKey: "import:" + r.ID, PayloadHash: "import"}
	if k, ok := keys[r.ID]; ok {
		sub.IdempotencyKey, sub.PayloadHash = k.Key, k.PayloadHash
		delete(keys, r.ID)
	}
	if j, ok := jobs[r.ID]; ok {
		sub.Job = j
		delete(jobs, r.ID)
	} else {
		// A processed report: its new job finds it processed and does
		// nothing (the report handler is idempotent).
		sub.Job = store.Job{ID: "import:" + r.ID, Type: store.JobProcessReport, ReportID: r.ID, EnqueuedAt: time.Now().UTC()}
	}
	if _, _, err := dst.Submit(ctx, sub); err != nil {
		return fmt.Errorf("import report %s: %w", r.ID, err)
	}
	return nil
}

func checkEmpty(ctx context.Context, dst Target) error {
	page, err := dst.FindReports(ctx, store.Filter{Limit: 1})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	tokens, err := dst.Tokens(ctx)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	colls, err := dst.Collections(ctx)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if len(page.Reports) > 0 || len(tokens) > 0 || len(colls) > 0 {
		return fmt.Errorf("%w (%d+ reports, %d tokens, %d record collections): import into a new data directory or an unused Redis prefix", ErrNotEmpty, len(page.Reports), len(tokens), len(colls))
	}
	return nil
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
