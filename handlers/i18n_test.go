package handlers

import "testing"

// TestCatalogComplete checks that every error code and every field the
// HTTP layer names has a message in both languages. Domain labels
// (statuses, severities, …) are package i18n's and tested there.
func TestCatalogComplete(t *testing.T) {
	cat := newCatalog()
	var keys []string
	for _, code := range []string{codeValidation, codeBadRequest, codeBadToken, codeUnauthorized, codeForbidden, codeNotFound,
		codeMethodNotAllowed, codeTooLarge, codeUnsupportedMediaType, codeIdempotencyMismatch, codeRateLimited,
		codeUnavailable, codeInternal} {
		keys = append(keys, "err."+code)
	}
	for _, f := range []string{"line", "token", "category", "severity", "title", "body", "station", "role", "reporter",
		"contact", "lang", "idempotency_key", "from", "to", "limit", "status", "cursor", "q", "team", "reply", "note"} {
		keys = append(keys, "field."+f)
	}
	for _, k := range keys {
		m, ok := cat[k]
		if !ok || m.zh == "" || m.en == "" {
			t.Errorf("catalog[%q] = %+v, want both zh and en", k, m)
		}
	}
	for _, k := range []string{"state.new", "severity.low", "role.other", "action.created", "by.R&D"} {
		if _, ok := cat[k]; ok {
			t.Errorf("catalog has domain label %q; it belongs to package i18n", k)
		}
	}
}
