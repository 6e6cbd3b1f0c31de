package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/intake"
)

// jsonBodies returns request bodies of every kind: what phones send, with
// escapes, other keys, other types, whitespace, repeated keys, and random
// edits and truncations of those.
func jsonBodies(rng *rand.Rand) []string {
	values := []string{"", "ndfeb-1", "烧结炉3号 Hcj低", "a\\nb", "\\u00e9\\ud83d\\ude00", "x\\\"y", "tab\there", "\xff\xfe", "é", "<&>", "\u2028"}
	keys := []string{"line", "token", "category", "severity", "title", "body", "station", "role", "reporter", "contact", "lang",
		"Line", "TITLE", "unknown", "photos", "lіne", "", "li\\u006ee"}
	bodies := []string{"", " ", "{}", " {} ", "{", "}", "[]", "null", `"x"`, "{}{}", "{} x", "{}\n\t\r ", "\ufeff{}",
		`{"line":null}`, `{"line":1}`, `{"title":true}`, `{"x":{"y":[1,2,{"z":"w"}]}}`, `{"line":"a",}`, `{"line":"a" "b"}`,
		`{"line":"a"}{"line":"b"}`, `{"line":"a"} {`, `{"line":"a","line":"b"}`, `{"body":"` + strings.Repeat("長", 3000) + `"}`}
	for range 3000 {
		var b strings.Builder
		b.WriteString([]string{"{", " {", "\n{\t"}[rng.IntN(3)])
		for i := range rng.IntN(8) {
			if i > 0 {
				b.WriteString([]string{",", " , ", ",\n"}[rng.IntN(3)])
			}
			k := keys[rng.IntN(len(keys))]
			if rng.IntN(3) > 0 {
				k = keys[rng.IntN(11)]
			}
			b.WriteString(`"` + k + `"` + []string{":", " : "}[rng.IntN(2)])
			switch rng.IntN(12) {
			case 0:
				b.WriteString("42")
			case 1:
				b.WriteString("null")
			case 2:
				b.WriteString(`["a"]`)
			default:
				b.WriteString(`"` + values[rng.IntN(len(values))] + values[rng.IntN(len(values))] + `"`)
			}
		}
		b.WriteString([]string{"}", "} ", "}\n", "}x", "", "},"}[rng.IntN(6)])
		s := b.String()
		switch rng.IntN(4) {
		case 0:
			s = s[:rng.IntN(len(s)+1)]
		case 1:
			i := rng.IntN(len(s) + 1)
			s = s[:i] + string(rune(rng.IntN(128))) + s[i:]
		}
		bodies = append(bodies, s)
	}
	return bodies
}

// decodeJSON answers every body as the json.Decoder does: same input, same
// error (with its code, fields and cause), also when the body is over the
// limit or its read fails — except that a body the Decoder takes but that
// is not valid UTF-8 is refused (the Decoder would replace the bytes).
func TestDecodeJSONMatchesDecoder(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	readErr := errors.New("connection reset")
	for _, body := range jsonBodies(rng) {
		limit := int64(rng.IntN(len(body) + 2))
		for _, r := range []struct {
			name string
			open func() io.Reader
			cl   int64
		}{
			{"whole", func() io.Reader { return strings.NewReader(body) }, int64(len(body))},
			{"unknown length, one byte a read", func() io.Reader { return iotest.OneByteReader(strings.NewReader(body)) }, -1},
			{"wrong length", func() io.Reader { return strings.NewReader(body) }, 3},
			{"over the limit", func() io.Reader { return http.MaxBytesReader(nil, io.NopCloser(strings.NewReader(body)), limit) }, int64(len(body))},
			{"failing read", func() io.Reader {
				return io.MultiReader(strings.NewReader(body[:len(body)/2]), iotest.ErrReader(readErr))
			}, int64(len(body))},
		} {
			wantIn, wantErr := decodeJSONStream(r.open())
			if wantErr == nil && !utf8.ValidString(body) {
				wantIn, wantErr = intake.Input{}, invalidUTF8([]byte(body))
			}
			gotIn, gotErr := decodeJSON(r.open(), r.cl)
			if gotIn != wantIn || !reflect.DeepEqual(gotErr, wantErr) {
				t.Fatalf("decodeJSON(%q, %s) = %+v, %v; want the json.Decoder's %+v, %v", body, r.name, gotIn, gotErr, wantIn, wantErr)
			}
		}
	}
}

// The bench's body, and what phones send, take the fast path.
func TestDecodeFlatInputTakesPhoneBodies(t *testing.T) {
	t.Parallel()
	body, _ := json.Marshal(map[string]string{"line": "ndfeb-1", "token": "abc", "title": "烧结炉3号 / Hcj low", "body": "1350 kA/m，低于规格。", "lang": "zh"})
	in, ok := decodeFlatInput(body)
	if !ok || in.Line != "ndfeb-1" || in.Title != "烧结炉3号 / Hcj low" || in.Body != "1350 kA/m，低于规格。" {
		t.Fatalf("decodeFlatInput(%s) = %+v, %v; want it decoded", body, in, ok)
	}
	if _, ok := decodeFlatInput(bytes.ReplaceAll(body, []byte("abc"), []byte(`a\"c`))); ok {
		t.Fatal("decodeFlatInput took a string with an escape")
	}
}
