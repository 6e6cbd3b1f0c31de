package redisstore

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/store"
)

// The submission hot path encodes a report and its job on every request;
// encoding/json spends most of that time in reflection and allocations. The
// encoders here write exactly the bytes json.Marshal writes for the same
// values (field order, omitempty and omitzero, time.Time as RFC 3339 with
// nanoseconds, and encoding/json's string escaping with HTML escaping), so
// stored data is the same whichever encoded it: reportjson_test.go compares
// them over generated values. When a value is one json.Marshal would reject
// (a time outside RFC 3339), they give up and the caller uses json.Marshal,
// which returns its error.

// marshalReport returns json.Marshal(r).
func marshalReport(r *store.Report) ([]byte, error) {
	if b, ok := appendReport(make([]byte, 0, reportJSONSize(r)), r); ok {
		return b, nil
	}
	return json.Marshal(r)
}

// reportJSONSize is about the length of r's JSON without escapes (keys,
// quotes and times included), so that encoding it allocates once.
func reportJSONSize(r *store.Report) int {
	n := 240 + len(r.ID) + len(r.Code) + len(r.Receipt) + len(r.Line) + len(r.Category) + len(r.Severity) +
		len(r.Title) + len(r.Body) + len(r.Station) + len(r.Role) + len(r.Reporter) + len(r.Contact) +
		len(r.Lang) + len(r.Status) + len(r.Team) + len(r.Reply)
	if r.ProcessedAt != nil {
		n += 52
	}
	for i := range r.Photos {
		p := &r.Photos[i]
		n += 80 + len(p.ID) + len(p.URL) + len(p.ThumbURL) + len(p.State)
	}
	for i := range r.History {
		e := &r.History[i]
		n += 96 + len(e.By) + len(e.Action) + len(e.From) + len(e.To) + len(e.Text)
	}
	return n
}

// appendReport appends the JSON encoding of r to b; ok is false (and b
// garbage) for a value json.Marshal would reject.
func appendReport(b []byte, r *store.Report) (_ []byte, ok bool) {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, r.ID)
	b = append(b, `,"code":`...)
	b = appendJSONString(b, r.Code)
	b = append(b, `,"receipt":`...)
	b = appendJSONString(b, r.Receipt)
	b = append(b, `,"line":`...)
	b = appendJSONString(b, r.Line)
	b = append(b, `,"category":`...)
	b = appendJSONString(b, r.Category)
	b = append(b, `,"severity":`...)
	b = appendJSONString(b, string(r.Severity))
	b = append(b, `,"title":`...)
	b = appendJSONString(b, r.Title)
	b = appendOptString(b, `,"body":`, r.Body)
	b = appendOptString(b, `,"station":`, r.Station)
	b = appendOptString(b, `,"role":`, string(r.Role))
	b = appendOptString(b, `,"reporter":`, r.Reporter)
	b = appendOptString(b, `,"contact":`, r.Contact)
	b = appendOptString(b, `,"lang":`, r.Lang)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(r.Status))
	b = appendOptString(b, `,"team":`, r.Team)
	if r.Votes != 0 {
		b = append(b, `,"votes":`...)
		b = strconv.AppendInt(b, int64(r.Votes), 10)
	}
	b = appendOptString(b, `,"reply":`, r.Reply)
	b = append(b, `,"created_at":`...)
	if b, ok = appendJSONTime(b, r.CreatedAt); !ok {
		return b, false
	}
	b = append(b, `,"updated_at":`...)
	if b, ok = appendJSONTime(b, r.UpdatedAt); !ok {
		return b, false
	}
	if r.ProcessedAt != nil {
		b = append(b, `,"processed_at":`...)
		if b, ok = appendJSONTime(b, *r.ProcessedAt); !ok {
			return b, false
		}
	}
	if len(r.Photos) > 0 {
		b = append(b, `,"photos":[`...)
		for i := range r.Photos {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPhoto(b, &r.Photos[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"history":`...)
	if r.History == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.History {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendEvent(b, &r.History[i]); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), true
}

func appendPhoto(b []byte, p *store.Photo) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, p.ID)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, p.URL)
	b = append(b, `,"thumb_url":`...)
	b = appendJSONString(b, p.ThumbURL)
	b = append(b, `,"width":`...)
	b = strconv.AppendInt(b, int64(p.Width), 10)
	b = append(b, `,"height":`...)
	b = strconv.AppendInt(b, int64(p.Height), 10)
	b = appendOptString(b, `,"state":`, p.State)
	return append(b, '}')
}

func appendEvent(b []byte, e *store.Event) (_ []byte, ok bool) {
	b = append(b, `{"at":`...)
	if b, ok = appendJSONTime(b, e.At); !ok {
		return b, false
	}
	b = append(b, `,"by":`...)
	b = appendJSONString(b, e.By)
	b = append(b, `,"action":`...)
	b = appendJSONString(b, e.Action)
	b = appendOptString(b, `,"from":`, e.From)
	b = appendOptString(b, `,"to":`, e.To)
	b = appendOptString(b, `,"text":`, e.Text)
	if e.Internal {
		b = append(b, `,"internal":true`...)
	}
	return append(b, '}'), true
}

// appendJob appends the JSON encoding of j to b, as appendReport does.
func appendJob(b []byte, j *store.Job) (_ []byte, ok bool) {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, j.ID)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, j.Type)
	b = appendOptString(b, `,"queue":`, j.Queue)
	b = appendOptString(b, `,"report_id":`, j.ReportID)
	if len(j.Payload) > 0 {
		b = append(b, `,"payload":"`...)
		b = base64.StdEncoding.AppendEncode(b, j.Payload)
		b = append(b, '"')
	}
	b = append(b, `,"enqueued_at":`...)
	if b, ok = appendJSONTime(b, j.EnqueuedAt); !ok {
		return b, false
	}
	if j.Attempt != 0 {
		b = append(b, `,"attempt":`...)
		b = strconv.AppendInt(b, int64(j.Attempt), 10)
	}
	b = appendOptString(b, `,"last_error":`, j.LastError)
	if !j.DeadAt.IsZero() {
		b = append(b, `,"dead_at":`...)
		if b, ok = appendJSONTime(b, j.DeadAt); !ok {
			return b, false
		}
	}
	b = appendOptString(b, `,"handle":`, j.Handle)
	return append(b, '}'), true
}

// appendOptString appends key and s unless s is empty (omitempty).
func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONString(append(b, key...), s)
}

// appendJSONTime appends t as time.Time.MarshalJSON does; ok is false where
// MarshalJSON fails (a year outside [0,9999], a zone offset of 24 hours or
// more).
func appendJSONTime(b []byte, t time.Time) (_ []byte, ok bool) {
	b = append(b, '"')
	n0 := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	// The checks of time's appendStrictRFC3339.
	if b[n0+len("9999")] != '-' {
		return b, false
	}
	if b[len(b)-1] != 'Z' {
		c := b[len(b)-len("Z07:00")]
		h := b[len(b)-len("07:00"):]
		if ('0' <= c && c <= '9') || 10*(h[0]-'0')+(h[1]-'0') >= 24 {
			return b, false
		}
	}
	return append(b, '"'), true
}

const hexDigits = "0123456789abcdef"

// safeLow and safeHigh are bit sets of the ASCII bytes (0–63 and 64–127)
// that encoding/json writes as they are with HTML escaping: printable, and
// not ", \, <, > or &.
const (
	safeLow  uint64 = 0xffff_ffff_0000_0000 &^ (1<<'"' | 1<<'&' | 1<<'<' | 1<<'>')
	safeHigh uint64 = 0xffff_ffff_ffff_ffff &^ (1 << ('\\' - 64))
)

// jsonSafeASCII reports whether the ASCII byte c needs no escape.
func jsonSafeASCII(c byte) bool {
	if c < 64 {
		return safeLow>>c&1 != 0
	}
	return safeHigh>>(c-64)&1 != 0
}

// appendJSONString appends s quoted as encoding/json does with HTML
// escaping: \b \f \n \r \t \" \\ short escapes, other control bytes and
// < > & as \u00XX, U+2028 and U+2029 as \u2028 and \u2029, and each byte
// of invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafeASCII(c) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
