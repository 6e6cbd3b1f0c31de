// Package i18n holds Floorfeed's two languages: the Lang type, choosing a
// language for a client (an explicit choice, else Accept-Language), and the
// catalog of domain labels — statuses, severities, roles, history actions and
// who did them — in Chinese and English.
//
// It uses only the standard library and knows nothing of HTTP beyond the
// Accept-Language header's syntax, nor of the store's types: labels are
// looked up by plain string keys (the store's values, e.g. "in_progress"),
// so the HTTP layer, briefs and e-mails all name things the same way.
//
// Messages of one channel (HTTP error texts, page chrome, a brief's headings)
// stay with that channel. Categories, lines, sites and teams are not here
// either: they are the plant's own data, named in both languages in the plant
// file (plant.Name), and a plant may define categories of its own.
package i18n

import (
	"fmt"
	"strconv"
	"strings"
)

// Lang is one of the two languages Floorfeed speaks. The zero value is Zh,
// the plant's language.
type Lang uint8

// The languages.
const (
	Zh Lang = iota // Chinese (simplified), the plant's language and the default
	En             // English
)

// Default is the language of anything no one asked for in particular:
// stored reports without a language, briefs and e-mails without a setting.
const Default = Zh

// ClientFallback is the language for a client that states no usable
// preference (no Accept-Language, "*", or only languages other than Chinese
// and English). Phones on the floor send zh-CN; a client that names neither
// language is a script or a visitor, who is better served in English.
const ClientFallback = En

// All returns the languages in their usual order (zh first).
func All() []Lang { return []Lang{Zh, En} }

// String returns the language code: "zh" or "en".
func (l Lang) String() string {
	if l == En {
		return "en"
	}
	return "zh"
}

// Tag returns the BCP 47 tag of text written in l, for an HTML lang
// attribute: "zh-CN" (simplified characters) or "en".
func (l Lang) Tag() string {
	if l == En {
		return "en"
	}
	return "zh-CN"
}

// Other returns the other language: the second one on a bilingual page.
func (l Lang) Other() Lang {
	if l == En {
		return Zh
	}
	return En
}

// MarshalText encodes l as its code ("zh", "en").
func (l Lang) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText decodes a language tag as Parse does; it fails on anything
// that is neither Chinese nor English.
func (l *Lang) UnmarshalText(b []byte) error {
	v, ok := Parse(string(b))
	if !ok {
		return fmt.Errorf("i18n: %q is not zh or en", b)
	}
	*l = v
	return nil
}

// Parse reads a language code or tag: "zh", "zh-CN", "zh_Hans", "zh-TW",
// "ZH" are Zh (traditional-script readers get simplified rather than
// English); "en", "en-US", "en_GB" are En. Anything else gives Default and
// false.
func Parse(s string) (Lang, bool) {
	primary, _, _ := strings.Cut(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"), "-")
	switch strings.ToLower(primary) {
	case "zh":
		return Zh, true
	case "en":
		return En, true
	}
	return Default, false
}

// Negotiate picks the language to answer a client in: its explicit choice
// (a ?lang= query, a cookie, a report's lang field — whatever the caller
// has; empty for none) when that is Chinese or English, else what its
// Accept-Language header ranks highest, else ClientFallback.
func Negotiate(explicit, acceptLanguage string) Lang {
	if l, ok := Parse(explicit); ok {
		return l
	}
	if l, ok := FromAcceptLanguage(acceptLanguage); ok {
		return l
	}
	return ClientFallback
}

// FromAcceptLanguage returns the language an Accept-Language header (RFC
// 9110, e.g. "fr, en;q=0.3, zh-CN;q=0.7") ranks highest among Chinese and
// English, and false when it accepts neither (empty, "*", only other
// languages, or q=0 for both). Of two ranked equally, the first listed wins.
// A range with a malformed q-value is ignored.
func FromAcceptLanguage(header string) (Lang, bool) {
	best, bestQ, found := Default, 0.0, false
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		l, ok := Parse(tag)
		if !ok {
			continue
		}
		q, ok := qValue(params)
		if !ok || q <= 0 {
			continue
		}
		if !found || q > bestQ {
			best, bestQ, found = l, q, true
		}
	}
	return best, found
}

// qValue reads the weight from a language range's parameters ("q=0.7";
// none means 1). It reports false for a weight that is not a number in
// [0, 1].
func qValue(params string) (float64, bool) {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return 0, false
		}
		return q, true
	}
	return 1, true
}
