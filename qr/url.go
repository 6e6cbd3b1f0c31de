package qr

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/signing"
)

// FormURL is the URL a line's QR code encodes: {base}/r/{line}?t={token},
// with &s={station} when station is not empty (the form then opens with
// that station chosen). base has no trailing slash; the token is the
// signer's LineToken, so a new secret makes every printed code refused.
func FormURL(base, line, station string, sg *signing.Signer) string {
	u := base + "/r/" + url.PathEscape(line) + "?t=" + url.QueryEscape(sg.LineToken(line))
	if station != "" {
		// %20 rather than QueryEscape's "+" for a space, so that DisplayURL
		// can show the station as it is written.
		u += "&s=" + strings.ReplaceAll(url.QueryEscape(station), "+", "%20")
	}
	return u
}

// DisplayURL is u as a person types it from the sticker: percent-escapes
// decoded (a station's Chinese name shown as itself: a browser encodes it
// again). It is u unchanged when it has no escapes or a bad one.
func DisplayURL(u string) string {
	if !strings.Contains(u, "%") {
		return u
	}
	d, err := url.PathUnescape(u)
	if err != nil || !utf8.ValidString(d) || strings.ContainsFunc(d, unicode.IsControl) {
		return u
	}
	return d
}
