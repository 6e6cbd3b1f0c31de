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
	if v == "" || !slices.ContainsFunc(lineStations(line), func(s stationName) bool { return s.ID == v }) {
		return ""
	}
	return v
}

// stationName is a station as the form's ?s= and the QR stickers see it:
// the id a report stores, and its names.
type stationName struct{ ID, ZH, EN string }

// lineStations lists line's stations. It is the one place that knows how
// the plant file holds them (today plain names: id and name in one).
func lineStations(line plant.Line) []stationName {
	out := make([]stationName, len(line.Stations))
	for i, s := range line.Stations {
		out[i] = stationName{ID: s, ZH: s, EN: s}
	}
	return out
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
