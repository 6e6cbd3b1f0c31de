package demo

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/plant"
)

// Field limits of a report, in characters (as store.MaxTitle and store.MaxBody).
const (
	maxTitle = 120
	maxBody  = 5000
)

// Severities, as store.Severity values.
const (
	sevLow      = "low"
	sevMedium   = "medium"
	sevHigh     = "high"
	sevCritical = "critical"
)

// theme is one kind of issue on a line, written in one or more variants per
// language. Variants of a theme are near-duplicates on purpose: the same
// problem reported by different people on different days.
type theme struct {
	key     string // unique per line, for tests and reading
	cat     string // category id
	sev     string // usual severity
	station string // the line's stations containing this are where it happens
	weight  int    // relative frequency on its line
	zh, en  []text
}

func (t theme) texts(lang string) []text {
	if lang == "zh" {
		return t.zh
	}
	return t.en
}

// text is a title and body with placeholders in braces, expanded by filler:
//
//	{n:a-b}     integer in [a, b]
//	{f1:a-b}    number in [a, b] with 1 decimal ({f2:…} 2 decimals)
//	{p:x|y|z}   one of the choices
//	{sn:a-b}    a number in the station's own range ("电解槽 9-16" gives 9..16),
//	            else in [a, b]
//	{v=…}       any of the above, remembered as v; {v} repeats it, so the
//	            title and body quote the same value
//	{shift}     shift of the report time (早班/中班/夜班, day/evening/night shift)
//	{crew}      one of the four rotating crews (甲班…, crew A…)
//	{station}   the station, or the line's name when there is none
//	{line}      the line's name in the text's language
//
// Anything else stays as written (tests make sure no template has any).
type text struct{ title, body string }

// filler expands the placeholders of one report.
type filler struct {
	r       *rand.Rand
	lang    string
	station string
	line    plant.Line
	at      time.Time
	vars    map[string]string
}

func (f *filler) expand(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		if v, ok := f.value(s[i+1 : i+j]); ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

func (f *filler) value(spec string) (string, bool) {
	if name, def, ok := strings.Cut(spec, "="); ok {
		v, ok := f.generate(def)
		if ok {
			f.vars[name] = v
		}
		return v, ok
	}
	if v, ok := f.vars[spec]; ok {
		return v, true
	}
	switch spec {
	case "shift":
		return shiftName(f.at, f.lang), true
	case "crew":
		c := f.r.IntN(4)
		if f.lang == "zh" {
			return []string{"甲班", "乙班", "丙班", "丁班"}[c], true
		}
		return "crew " + string(rune('A'+c)), true
	case "station":
		if f.station != "" {
			return f.station, true
		}
		return f.line.Name.In(f.lang), true
	case "line":
		return f.line.Name.In(f.lang), true
	}
	return f.generate(spec)
}

// generate expands kind:args.
func (f *filler) generate(spec string) (string, bool) {
	kind, args, ok := strings.Cut(spec, ":")
	if !ok {
		return "", false
	}
	switch kind {
	case "p":
		choices := strings.Split(args, "|")
		return choices[f.r.IntN(len(choices))], true
	case "n", "sn":
		lo, hi, ok := intRange(args)
		if kind == "sn" {
			if i := strings.LastIndexByte(f.station, ' '); i >= 0 {
				if a, b, ok2 := intRange(f.station[i+1:]); ok2 {
					lo, hi, ok = a, b, true
				}
			}
		}
		if !ok {
			return "", false
		}
		return strconv.Itoa(lo + f.r.IntN(hi-lo+1)), true
	case "f1", "f2":
		a, b, ok := strings.Cut(args, "-")
		lo, err1 := strconv.ParseFloat(a, 64)
		hi, err2 := strconv.ParseFloat(b, 64)
		if !ok || err1 != nil || err2 != nil || hi < lo {
			return "", false
		}
		prec := int(kind[1] - '0')
		return strconv.FormatFloat(lo+f.r.Float64()*(hi-lo), 'f', prec, 64), true
	}
	return "", false
}

func intRange(s string) (lo, hi int, ok bool) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || hi < lo {
		return 0, 0, false
	}
	return lo, hi, true
}

// shiftName names the shift t falls in: 08–16 day, 16–24 evening, 00–08 night.
func shiftName(t time.Time, lang string) string {
	i := 0
	switch h := t.Hour(); {
	case h >= 16:
		i = 1
	case h < 8:
		i = 2
	}
	if lang == "zh" {
		return []string{"早班", "中班", "夜班"}[i]
	}
	return []string{"day shift", "evening shift", "night shift"}[i]
}

// clip cuts s to at most n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func itoa(i int) string { return strconv.Itoa(i) }
