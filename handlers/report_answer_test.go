package handlers

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/floorfeed/floorfeed/store"
)

// The hand-written submission answer is byte for byte what c.JSON (a
// json.Encoder) writes, and it declines values json would escape.
func TestSubmitResponseJSONMatchesEncoder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r      submitResponse
		wantOK bool
	}{
		{submitResponse{ID: "019ad7a1-7c1e-7a3b-9c2d-1234567890ab", Code: "K7QM-X2PD", Receipt: "AbC-_0123456789abcdefg", StatusURL: "/s/AbC-_0123456789abcdefg", Status: store.StatusNew}, true},
		{submitResponse{}, true},
		{submitResponse{ID: "a b/c~{}[]:,", Status: "x"}, true},
		{submitResponse{ID: `quo"te`}, false},
		{submitResponse{Code: `back\slash`}, false},
		{submitResponse{Receipt: "<script>"}, false},
		{submitResponse{StatusURL: "/s/a&b"}, false},
		{submitResponse{Status: "new\n"}, false},
		{submitResponse{ID: "é"}, false},
		{submitResponse{ID: "\x7f"}, false},
	} {
		got, ok := tc.r.appendJSON(nil)
		if ok != tc.wantOK {
			t.Errorf("appendJSON(%+v) ok = %v, want %v", tc.r, ok, tc.wantOK)
			continue
		}
		if !ok {
			continue
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(tc.r); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendJSON(%+v) = %q, want json.Encoder's %q", tc.r, got, want.Bytes())
		}
	}
}
