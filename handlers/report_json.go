package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/intake"
	"github.com/floorfeed/floorfeed/store"
)

// decodeJSON reads one JSON object. Unknown fields are ignored on purpose: a
// phone's outbox may hold a report written by a newer page than the server
// it finally reaches (after a rollback), and refusing it would strand the
// report. Wrong types and anything but one object are 400 bad_request.
//
// Phones send a flat object of plain strings; decodeFlatInput reads that
// without json's reflection and its second scan. Anything else (escapes,
// other keys or types, bad syntax, a failed read) goes to decodeJSONStream
// with the same bytes, and the same read error after them, as the body
// gave: a json.Decoder's answer depends only on those, so every answer is
// the one decodeJSONStream gives. contentLength (-1 if unknown) sizes the
// buffer.
func decodeJSON(body io.Reader, contentLength int64) (intake.Input, error) {
	b, err := readBody(body, contentLength)
	if err != nil {
		return decodeJSONStream(io.MultiReader(bytes.NewReader(b), failingReader{err}))
	}
	if in, ok := decodeFlatInput(b); ok {
		return in, nil
	}
	in, err := decodeJSONStream(bytes.NewReader(b))
	if err == nil && !utf8.Valid(b) {
		return intake.Input{}, invalidUTF8(b)
	}
	return in, err
}

// invalidUTF8 is the answer to a JSON body that is not valid UTF-8:
// encoding/json would quietly replace the bad bytes with U+FFFD, while the
// same bytes in a form are refused (store.Report.Validate), so JSON is
// refused too, naming the fields that hold them.
func invalidUTF8(b []byte) error {
	var raw map[string]json.RawMessage // keeps each value's bytes as sent
	fields := map[string]string{}
	if json.Unmarshal(b, &raw) == nil {
		for k, v := range raw {
			if !utf8.Valid(v) {
				fields[k] = store.CodeInvalid
			}
			if !utf8.ValidString(k) {
				fields[strings.ToValidUTF8(k, "?")] = fieldCodeNotAllowed
			}
		}
	}
	if len(fields) == 0 {
		return errBadRequest(errors.New("the body is not valid UTF-8"), nil)
	}
	return errValidation(fields)
}

// readBody reads r to its end, into one buffer when contentLength is right.
// On an error it returns what it read before.
func readBody(r io.Reader, contentLength int64) ([]byte, error) {
	size := int64(512)
	if contentLength >= 0 && contentLength < 1<<20 {
		size = contentLength + 1 // room for the read that sees EOF
	}
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// failingReader returns its error on every read.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// decodeFlatInput decodes b when it is one JSON object whose keys are
// intake.Input's JSON names, exactly, and whose values are strings without
// escapes or control characters, of valid UTF-8, with nothing but JSON
// whitespace around. For such input encoding/json sets exactly those fields
// to exactly those bytes (a repeated key: its last value). ok is false for
// any other input, which may still be valid.
func decodeFlatInput(b []byte) (in intake.Input, ok bool) {
	i := skipJSONSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return intake.Input{}, false
	}
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return in, skipJSONSpace(b, i+1) == len(b)
	}
	for {
		key, j, ok := flatString(b, i)
		if !ok {
			return intake.Input{}, false
		}
		field := inputField(&in, key)
		if field == nil {
			return intake.Input{}, false
		}
		j = skipJSONSpace(b, j)
		if j >= len(b) || b[j] != ':' {
			return intake.Input{}, false
		}
		v, j, ok := flatString(b, skipJSONSpace(b, j+1))
		if !ok || !utf8.Valid(v) {
			return intake.Input{}, false
		}
		*field = string(v)
		j = skipJSONSpace(b, j)
		switch {
		case j < len(b) && b[j] == ',':
			i = skipJSONSpace(b, j+1)
		case j < len(b) && b[j] == '}':
			return in, skipJSONSpace(b, j+1) == len(b)
		default:
			return intake.Input{}, false
		}
	}
}

// flatString reads the string at b[i] when it has no escape and no control
// byte, returning its bytes and the index after its closing quote.
func flatString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// skipJSONSpace returns the index of the first byte at or after i that is
// not JSON whitespace.
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// inputField returns the field of in whose JSON name is key, or nil.
func inputField(in *intake.Input, key []byte) *string {
	switch string(key) {
	case "line":
		return &in.Line
	case "token":
		return &in.Token
	case "category":
		return &in.Category
	case "severity":
		return &in.Severity
	case "title":
		return &in.Title
	case "body":
		return &in.Body
	case "station":
		return &in.Station
	case "role":
		return &in.Role
	case "reporter":
		return &in.Reporter
	case "contact":
		return &in.Contact
	case "lang":
		return &in.Lang
	}
	return nil
}

// decodeJSONStream is decodeJSON's definition: it decodes with a
// json.Decoder, whose answers (errors and their order included) decodeJSON
// keeps.
func decodeJSONStream(body io.Reader) (intake.Input, error) {
	dec := json.NewDecoder(body)
	var in intake.Input
	if err := dec.Decode(&in); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, new(*http.MaxBytesError)):
			return intake.Input{}, err
		case errors.As(err, &te) && te.Field != "":
			return intake.Input{}, errBadRequest(err, map[string]string{te.Field: fieldCodeType})
		}
		return intake.Input{}, errBadRequest(err, nil)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil && errors.As(err, new(*http.MaxBytesError)) {
			return intake.Input{}, err
		}
		return intake.Input{}, errBadRequest(errors.New("data after the JSON object"), nil)
	}
	return in, nil
}
