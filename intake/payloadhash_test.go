package intake_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/floorfeed/floorfeed/intake"
)

// streamedPayloadHash is PayloadHash as first written (one hash Write per
// field): stored idempotency keys carry its values, so they must not change.
func streamedPayloadHash(in intake.Input) string {
	in = intake.Normalize(in)
	h := sha256.New()
	h.Write([]byte("floorfeed-report-v1\n"))
	for _, f := range [...]struct{ name, v string }{
		{"line", in.Line}, {"category", in.Category}, {"severity", in.Severity},
		{"title", in.Title}, {"body", in.Body}, {"station", in.Station},
		{"role", in.Role}, {"reporter", in.Reporter}, {"contact", in.Contact},
		{"lang", in.Lang},
	} {
		h.Write([]byte(f.name + ":" + strconv.Itoa(len(f.v)) + ":" + f.v + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestPayloadHashIsStable(t *testing.T) {
	for _, in := range []intake.Input{
		{},
		{Line: "ndfeb-1", Token: "tok", Category: "quality", Severity: "high", Title: "烧结炉3号 磁体Hcj偏低", Station: "烧结炉",
			Body: "本班三炉Hcj 1350 kA/m，低于规格 1430。\nBatch 2611-07", Role: "technician", Reporter: "Li", Contact: "li@example.com", Lang: "zh"},
		{Line: " sx-1 ", Title: "  padded  ", Body: "x:1:y\n", Lang: "EN"},
	} {
		if got, want := intake.PayloadHash(in), streamedPayloadHash(in); got != want {
			t.Errorf("PayloadHash(%+v) = %s, want the stored form %s", in, got, want)
		}
	}
	// Computed by the streamed form before PayloadHash was rewritten.
	const golden = "05145380f3275701854be7ae6544e12f5af248126b892e428053f16729758d27"
	if got := intake.PayloadHash(intake.Input{Line: "sx-1", Title: "t"}); got != golden {
		t.Errorf("PayloadHash(sx-1, t) = %s, want %s", got, golden)
	}
}
