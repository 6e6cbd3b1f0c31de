package handlers_test

import (
	"regexp"
	"strings"
)

// scriptTag matches the opening tag of a script element.
var scriptTag = regexp.MustCompile(`<script[^>]*>`)

// hasInlineScript reports whether an HTML page has a script the CSP would
// block: any script element that is not an external file of package static.
func hasInlineScript(body string) bool {
	for _, tag := range scriptTag.FindAllString(body, -1) {
		if !strings.Contains(tag, ` src="/static/`) {
			return true
		}
	}
	return false
}
