package handlers

import (
	"net/url"
	"slices"
	"strings"

	"github.com/floorfeed/floorfeed/plant"
)

// stationParam is the station a form URL preselects (?s=, from a station's
// QR sticker): the value when it is one of line's stations in the plant
// file, else "" (a sticker of a station since removed still opens the form,
// with no station chosen).
func stationParam(line plant.Line, v string) string {
	v = strings.TrimSpace(v)
	if v == "" || !slices.Contains(line.Stations, v) {
		return ""
	}
	return v
}

// switchQuery is the query of the form's language switch link: the token,
// the other language, and the chosen station when it is a known one.
func switchQuery(line plant.Line, token, lang, station string) string {
	q := url.Values{"t": {token}, "lang": {lang}}
	if st := stationParam(line, station); st != "" {
		q.Set("s", st)
	}
	return q.Encode()
}
