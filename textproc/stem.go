package textproc

import "strings"

// Stem reduces a lower-cased English word to a crude stem, enough for
// "leaking", "leaks" and "leaked" to meet "leak": plural and verb
// endings are cut, a doubled final consonant undone, a final e dropped.
// It is not Porter; it only has to be the same on both sides.
func Stem(w string) string {
	if len(w) <= 3 {
		return w
	}
	w = strings.TrimSuffix(w, "'s")
	w = strings.TrimSuffix(w, "'")
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is") && len(w) > 3:
		w = w[:len(w)-1]
	}
	cut := false
	switch {
	case strings.HasSuffix(w, "ing") && len(w) > 5:
		w, cut = w[:len(w)-3], true
	case strings.HasSuffix(w, "ed") && len(w) > 4:
		w, cut = w[:len(w)-2], true
	case strings.HasSuffix(w, "ation") && len(w) > 7:
		w = w[:len(w)-3] // vibration → vibrat, as vibrate → vibrat
	case strings.HasSuffix(w, "ly") && len(w) > 5:
		w = w[:len(w)-2]
	}
	if cut {
		if n := len(w); n >= 3 && w[n-1] == w[n-2] && isConsonant(w[n-1]) && w[n-1] != 'l' && w[n-1] != 's' && w[n-1] != 'z' {
			w = w[:n-1] // clogged → clog
		}
	}
	if n := len(w); n > 4 && w[n-1] == 'e' {
		w = w[:n-1]
	}
	return w
}

func isConsonant(c byte) bool {
	return c >= 'a' && c <= 'z' && !strings.ContainsRune("aeiouy", rune(c))
}

// stopwords are English words too common to say what a report is about,
// and units, which say how much but not what.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are as at
		be because been before being below between both but by can could did do does doing down during
		each few for from further had has have having he her here hers him his how i if in into is it its
		itself just me more most my no nor not now of off on once only or other our out over own same she
		should so some such than that the their them then there these they this those through to too under
		until up very was we were what when where which while who whom why will with would you your
		yours today yesterday again still please since per ~ maybe seems seem looks look like one two three
		got get gets also same
		mm cm μm µm um nm kg ppm pa kpa mpa rpm min mol ml kw kwh mg kgs`) {
		m[w] = true
	}
	return m
}()
