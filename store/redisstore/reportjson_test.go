package redisstore

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/store"
)

// genString returns a string mixing ASCII, the bytes encoding/json escapes,
// multi-byte runes, U+2028/U+2029 and invalid UTF-8; often empty.
func genString(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		return ""
	}
	pieces := []string{"a", "Z", "9", " ", "\"", "\\", "/", "<", ">", "&", "\x00", "\x01", "\x1f", "\x7f",
		"\b", "\f", "\n", "\r", "\t", "é", "烧结炉", "\u2028", "\u2029", "\u2027", "\u202a", "😀", "\ufffd",
		"\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "kA/m", "O2 in glovebox 180 ppm."}
	var b []byte
	for range rng.IntN(12) {
		if rng.IntN(5) == 0 {
			b = append(b, byte(rng.IntN(256)))
			continue
		}
		b = append(b, pieces[rng.IntN(len(pieces))]...)
	}
	return string(b)
}

// genTime returns a time in UTC or in a zone with an odd offset, with or
// without nanoseconds; sometimes the zero time.
func genTime(rng *rand.Rand) time.Time {
	if rng.IntN(8) == 0 {
		return time.Time{}
	}
	t := time.Unix(rng.Int64N(4e9), 0)
	switch rng.IntN(4) {
	case 1:
		t = t.Add(time.Duration(rng.IntN(1e9)))
	case 2:
		t = t.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
	}
	switch rng.IntN(3) {
	case 0:
		return t.UTC()
	case 1:
		return t.In(time.FixedZone("odd", rng.IntN(28*3600)-14*3600))
	}
	return t.Local()
}

func genReport(rng *rand.Rand) store.Report {
	s := func() string { return genString(rng) }
	r := store.Report{
		ID: s(), Code: s(), Receipt: s(), Line: s(), Category: s(), Severity: store.Severity(s()),
		Title: s(), Body: s(), Station: s(), Role: store.Role(s()), Reporter: s(), Contact: s(), Lang: s(),
		Status: store.Status(s()), Team: s(), Votes: rng.IntN(3) * (rng.IntN(2000) - 1000), Reply: s(),
		CreatedAt: genTime(rng), UpdatedAt: genTime(rng),
	}
	if rng.IntN(2) == 0 {
		t := genTime(rng)
		r.ProcessedAt = &t
	}
	switch rng.IntN(3) {
	case 1:
		r.Photos = []store.Photo{}
	case 2:
		for range 1 + rng.IntN(3) {
			r.Photos = append(r.Photos, store.Photo{ID: s(), URL: s(), ThumbURL: s(), Width: rng.IntN(5000) - 10, Height: rng.IntN(5000), State: s()})
		}
	}
	switch rng.IntN(3) {
	case 1:
		r.History = []store.Event{}
	case 2:
		for range 1 + rng.IntN(4) {
			r.History = append(r.History, store.Event{At: genTime(rng), By: s(), Action: s(), From: s(), To: s(), Text: s(), Internal: rng.IntN(2) == 0})
		}
	}
	return r
}

func genJob(rng *rand.Rand) store.Job {
	s := func() string { return genString(rng) }
	j := store.Job{ID: s(), Type: s(), Queue: s(), ReportID: s(), EnqueuedAt: genTime(rng),
		Attempt: rng.IntN(3) * rng.IntN(10), LastError: s(), Handle: s()}
	if rng.IntN(2) == 0 {
		j.DeadAt = genTime(rng)
	}
	switch rng.IntN(3) {
	case 1:
		j.Payload = []byte{}
	case 2:
		j.Payload = []byte(s() + "x")
	}
	return j
}

// The hand-written encoders write exactly what json.Marshal writes: stored
// reports and jobs do not change with the encoder.
func TestReportAndJobJSONMatchEncodingJSON(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		r := genReport(rng)
		want, err := json.Marshal(&r)
		if err != nil {
			t.Fatalf("json.Marshal(report %d) = %v", i, err)
		}
		got, err := marshalReport(&r)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("marshalReport(%#v) =\n%s, %v\nwant json.Marshal's\n%s", r, got, err, want)
		}
		j := genJob(rng)
		want, err = json.Marshal(&j)
		if err != nil {
			t.Fatalf("json.Marshal(job %d) = %v", i, err)
		}
		got, ok := appendJob(nil, &j)
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("appendJob(%#v) =\n%s, %v\nwant json.Marshal's\n%s", j, got, ok, want)
		}
	}
}

// Every single rune and byte is escaped as encoding/json escapes it.
func TestJSONStringMatchesEncodingJSONForEveryRune(t *testing.T) {
	t.Parallel()
	check := func(s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
	for c := range 256 {
		check(string([]byte{byte(c)}))
		check("a" + string([]byte{byte(c)}) + "b")
	}
	for r := rune(0); r <= 0x10ffff; r += 1 + r/64 {
		check(string(r) + "x")
	}
	check("\u2028\u2029")
}

// Times json.Marshal rejects are rejected the same way, with its error.
func TestReportJSONOutOfRangeTimeFallsBack(t *testing.T) {
	t.Parallel()
	for _, at := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("far", 24*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("farther", -100*3600)),
	} {
		r := store.Report{CreatedAt: at}
		_, wantErr := json.Marshal(&r)
		if _, ok := appendReport(nil, &r); ok {
			t.Errorf("appendReport(CreatedAt %v) succeeded, json.Marshal fails with %v", at, wantErr)
		}
		if _, err := marshalReport(&r); err == nil || wantErr == nil || err.Error() != wantErr.Error() {
			t.Errorf("marshalReport(CreatedAt %v) = %v, want json.Marshal's error %v", at, err, wantErr)
		}
		j := store.Job{EnqueuedAt: at}
		if _, ok := appendJob(nil, &j); ok {
			t.Errorf("appendJob(EnqueuedAt %v) succeeded, want failure", at)
		}
	}
}

func BenchmarkMarshalReport(b *testing.B) {
	now := time.Now()
	r := store.Report{ID: store.NewID(now), Code: store.NewCode(), Receipt: "0123456789abcdefghijkl", Line: "ndfeb-1",
		Category: "quality", Severity: store.SeverityHigh, Title: "烧结炉3号 磁体Hcj偏低 / Hcj low on furnace 3", Station: "烧结炉",
		Body: "本班三炉Hcj 1350 kA/m，低于规格 1430。Batch 2611-07, O2 in glovebox 180 ppm.", Role: store.RoleTechnician, Lang: "zh",
		Status: store.StatusNew, CreatedAt: now, UpdatedAt: now, History: []store.Event{{At: now, By: "reporter", Action: store.ActionCreated}}}
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(&r)
		}
	})
	b.Run("marshalReport", func(b *testing.B) {
		for b.Loop() {
			_, _ = marshalReport(&r)
		}
	})
}

// A report the size of a phone's encodes into the buffer sized for it.
func TestReportJSONSizeFitsOneAllocation(t *testing.T) {
	now := time.Now()
	r := store.Report{ID: store.NewID(now), Code: store.NewCode(), Receipt: "0123456789abcdefghijkl", Line: "ndfeb-1",
		Category: "quality", Severity: store.SeverityHigh, Title: "烧结炉3号 磁体Hcj偏低", Status: store.StatusNew,
		Body: "Batch 2611-07", CreatedAt: now, UpdatedAt: now, ProcessedAt: &now,
		Photos:  []store.Photo{{ID: "p1", URL: "/photos/p1.jpg", ThumbURL: "/photos/p1-thumb.jpg", Width: 4000, Height: 3000}},
		History: []store.Event{{At: now, By: "reporter", Action: store.ActionCreated, To: "new"}}}
	b, _ := marshalReport(&r)
	size := reportJSONSize(&r)
	t.Logf("report JSON: %d bytes, buffer %d", len(b), size)
	if len(b) > size {
		t.Errorf("marshalReport wrote %d bytes, reportJSONSize said %d: the buffer grew", len(b), size)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = marshalReport(&r) }); n != 1 {
		t.Errorf("marshalReport allocates %v times, want 1", n)
	}
}
