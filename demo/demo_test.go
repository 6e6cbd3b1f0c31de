package demo

import (
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

// now is a fixed Wednesday afternoon in the plant's time zone.
var now = time.Date(2026, 3, 18, 15, 4, 5, 0, time.FixedZone("CST", 8*3600))

var sampleLines = []string{"sx-1", "calc-1", "elec-1", "ndfeb-1", "polish-1"}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestGenerateDeterministic(t *testing.T) {
	p := plant.Sample()
	a := Generate(p, 300, now, 42)
	b := Generate(p, 300, now, 42)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different reports")
	}
	if c := Generate(p, 300, now, 43); reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same reports")
	}
}

func TestGenerateCount(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *plant.Plant
		n    int
		want int
	}{
		{"negative", plant.Sample(), -3, 0},
		{"zero", plant.Sample(), 0, 0},
		{"one", plant.Sample(), 1, 1},
		{"fewer than lines", plant.Sample(), 3, 3},
		{"as many as lines", plant.Sample(), 5, 5},
		{"some", plant.Sample(), 17, 17},
		{"many", plant.Sample(), 1000, 1000},
		{"nil plant", nil, 10, 0},
		{"no lines", &plant.Plant{Categories: plant.DefaultCategories}, 10, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := len(Generate(tc.p, tc.n, now, 1)); got != tc.want {
				t.Fatalf("len = %d, want %d", got, tc.want)
			}
		})
	}
}

// checkItems checks the constraints every generated report must meet on p.
func checkItems(t *testing.T, p *plant.Plant, items []Item) {
	t.Helper()
	from := now.Add(-28 * 24 * time.Hour)
	roles := []string{"operator", "technician", "engineer", "researcher", "other"}
	sevs := []string{"low", "medium", "high", "critical"}
	for i, it := range items {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("item %d (%s %q): "+format, append([]any{i, it.Line, it.Title}, args...)...)
		}
		l, ok := p.Line(it.Line)
		switch {
		case !ok:
			fail("unknown line")
		case len(l.Stations) == 0 && it.Station != "":
			fail("station %q on a line without stations", it.Station)
		case len(l.Stations) > 0 && !slices.Contains(l.StationIDs(), it.Station):
			fail("station %q not on the line", it.Station)
		}
		if it.Title == "" || utf8.RuneCountInString(it.Title) > 120 {
			fail("title length %d", utf8.RuneCountInString(it.Title))
		}
		if it.Body == "" || utf8.RuneCountInString(it.Body) > 5000 {
			fail("body length %d", utf8.RuneCountInString(it.Body))
		}
		if strings.ContainsAny(it.Title+it.Body, "{}") {
			fail("unexpanded placeholder in %q", it.Body)
		}
		if !slices.Contains(sevs, it.Severity) {
			fail("severity %q", it.Severity)
		}
		if _, ok := p.Category(it.Category); !ok {
			fail("category %q not in plant", it.Category)
		}
		if !slices.Contains(roles, it.Role) {
			fail("role %q", it.Role)
		}
		if it.Lang != "zh" && it.Lang != "en" {
			fail("lang %q", it.Lang)
		}
		if it.At.Before(from) || !it.At.Before(now) {
			fail("at %v outside [%v, %v)", it.At, from, now)
		}
		if i > 0 && it.At.Before(items[i-1].At) {
			fail("not sorted by time")
		}
		// The store accepts it as a submission.
		r := store.Report{Line: it.Line, Station: it.Station, Category: it.Category,
			Severity: store.Severity(it.Severity), Title: it.Title, Body: it.Body,
			Role: store.Role(it.Role), Reporter: it.Reporter, Contact: it.Contact, Lang: it.Lang}
		if err := r.Validate(); err != nil {
			fail("store rejects it: %v", err)
		}
	}
}

func TestGenerateConstraintsSample(t *testing.T) {
	p := plant.Sample()
	items := Generate(p, 2000, now, 7)
	if len(items) != 2000 {
		t.Fatalf("len = %d", len(items))
	}
	checkItems(t, p, items)
	for _, it := range items {
		// On the sample plant the text matches the language.
		if it.Lang == "zh" && !hasHan(it.Title) {
			t.Errorf("zh title without Chinese: %q", it.Title)
		}
		if it.Lang == "en" && (hasHan(it.Title) || hasHan(it.Body)) {
			t.Errorf("en report with Chinese: %q / %q", it.Title, it.Body)
		}
	}
}

func TestLanguageMix(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		items := Generate(plant.Sample(), 2000, now, seed)
		han := 0
		for _, it := range items {
			if hasHan(it.Title) {
				han++
			}
		}
		if share := float64(han) / float64(len(items)); share < 0.64 || share > 0.76 {
			t.Errorf("seed %d: Chinese share %.2f, want about 0.70", seed, share)
		}
	}
}

func TestEveryLineAppears(t *testing.T) {
	for _, n := range []int{5, 2000} {
		seen := map[string]int{}
		for _, it := range Generate(plant.Sample(), n, now, 11) {
			seen[it.Line]++
		}
		for _, id := range sampleLines {
			if seen[id] == 0 {
				t.Errorf("n=%d: no report on %s", n, id)
			}
		}
	}
}

func TestDistribution(t *testing.T) {
	items := Generate(plant.Sample(), 2000, now, 5)
	count := func(f func(Item) bool) int {
		c := 0
		for _, it := range items {
			if f(it) {
				c++
			}
		}
		return c
	}
	share := func(f func(Item) bool) float64 { return float64(count(f)) / float64(len(items)) }
	sev := func(s string) func(Item) bool { return func(it Item) bool { return it.Severity == s } }

	if c := share(sev("critical")); c == 0 || c > 0.03 {
		t.Errorf("critical share %.3f, want rare but present", c)
	}
	if h := share(sev("high")); h < 0.05 || h > 0.30 {
		t.Errorf("high share %.3f", h)
	}
	if lm := share(sev("low")) + share(sev("medium")); lm < 0.65 {
		t.Errorf("low+medium share %.3f, want most", lm)
	}
	for _, c := range plant.DefaultCategories {
		if count(func(it Item) bool { return it.Category == c.ID }) == 0 {
			t.Errorf("category %s never used", c.ID)
		}
	}
	if s := share(func(it Item) bool { return it.Role == "operator" || it.Role == "technician" }); s < 0.5 {
		t.Errorf("operator+technician share %.2f, want most", s)
	}
	for _, r := range []string{"engineer", "researcher", "other"} {
		if count(func(it Item) bool { return it.Role == r }) == 0 {
			t.Errorf("role %s never used", r)
		}
	}
	if s := share(func(it Item) bool { return it.Reporter == "" }); s < 0.4 || s > 0.8 {
		t.Errorf("anonymous share %.2f, want often", s)
	}
	if s := share(func(it Item) bool { return it.Contact != "" }); s == 0 || s > 0.4 {
		t.Errorf("contact share %.2f, want sometimes", s)
	}

	// Time of day and week.
	var day, evening, night, weekday, weekend int
	for _, it := range items {
		at := it.At.In(now.Location())
		switch h := at.Hour(); {
		case h >= 8 && h < 16:
			day++
		case h >= 16:
			evening++
		default:
			night++
		}
		if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekend++
		} else {
			weekday++
		}
	}
	if !(day > evening && evening > night && night > 0) {
		t.Errorf("shifts day/evening/night = %d/%d/%d, want day > evening > night > 0", day, evening, night)
	}
	if night > len(items)/10 {
		t.Errorf("%d of %d at night, want a few", night, len(items))
	}
	// Four weeks: 20 weekdays, 8 weekend days.
	if perWeekday, perWeekend := float64(weekday)/20, float64(weekend)/8; perWeekday < 1.5*perWeekend {
		t.Errorf("per day: weekday %.1f, weekend %.1f, want more on weekdays", perWeekday, perWeekend)
	}
}

// Similar reports recur across days and languages, for grouping features.
func TestNearDuplicates(t *testing.T) {
	digits := regexp.MustCompile(`[0-9.]+`)
	type group struct {
		days  map[string]bool
		count int
	}
	groups := map[string]*group{}
	for _, it := range Generate(plant.Sample(), 500, now, 9) {
		k := it.Line + "|" + digits.ReplaceAllString(it.Title, "#")
		g := groups[k]
		if g == nil {
			g = &group{days: map[string]bool{}}
			groups[k] = g
		}
		g.count++
		g.days[it.At.Format(time.DateOnly)] = true
	}
	recurring := 0
	for _, g := range groups {
		if g.count >= 5 && len(g.days) >= 3 {
			recurring++
		}
	}
	if recurring < 10 {
		t.Errorf("%d recurring title patterns, want at least 10", recurring)
	}
}

func TestCellNumberMatchesStation(t *testing.T) {
	cell := regexp.MustCompile(`^(?:紧急：)?(\d+)号槽|^Cell (\d+)|cell (\d+)`)
	checked := 0
	for _, it := range Generate(plant.Sample(), 2000, now, 3) {
		if it.Line != "elec-1" {
			continue
		}
		m := cell.FindStringSubmatch(it.Title)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1] + m[2] + m[3])
		lo, hi := 1, 8
		if it.Station == "电解槽 9-16" {
			lo, hi = 9, 16
		} else if it.Station != "电解槽 1-8" {
			t.Errorf("cell report at station %q: %q", it.Station, it.Title)
			continue
		}
		if n < lo || n > hi {
			t.Errorf("cell %d reported at station %q", n, it.Station)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no cell reports")
	}
}

func TestUnknownLines(t *testing.T) {
	p, err := plant.Parse([]byte(`
name: {zh: 测试厂, en: Test Works}
lines:
  - id: press-7
    name: {en: Press Line 7}
    stations: [feeder, press, deburr]
  - id: pack-2
    name: {zh: 包装二线}
  - id: sx-1
    name: {zh: 萃取, en: Extraction}
categories:
  - {id: defects, name: {en: Defects}}
  - {id: safety, name: {en: Safety}}
`))
	if err != nil {
		t.Fatal(err)
	}
	items := Generate(p, 600, now, 21)
	checkItems(t, p, items)
	seen := map[string]bool{}
	for _, it := range items {
		seen[it.Line] = true
		if it.Category != "safety" && it.Category != "defects" {
			t.Errorf("category %q", it.Category)
		}
	}
	for _, l := range p.Lines {
		if !seen[l.ID] {
			t.Errorf("no report on %s", l.ID)
		}
	}
}

// sentences counts the sentences of a template body.
func sentences(s, lang string) int {
	if lang == "zh" {
		return strings.Count(s, "。") + strings.Count(s, "？") + strings.Count(s, "！")
	}
	n := strings.Count(s, ". ") + strings.Count(s, "? ") + strings.Count(s, "! ")
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		n++
	}
	return n
}

// Every template expands cleanly at every station and keeps to the limits.
func TestTemplates(t *testing.T) {
	p := plant.Sample()
	type set struct {
		id     string
		line   plant.Line
		themes []theme
	}
	sets := []set{{"generic", plant.Line{ID: "x", Name: plant.Name{ZH: "某线", EN: "Some Line"}, Stations: []plant.Station{{ID: "press", Name: plant.Name{ZH: "press", EN: "press"}}}}, genericThemes}}
	for _, id := range sampleLines {
		l, ok := p.Line(id)
		if !ok {
			t.Fatalf("sample plant has no %s", id)
		}
		sets = append(sets, set{id, l, withCriticals(id, sampleThemes[id])})
	}
	r := rand.New(rand.NewPCG(1, 2))
	at := []time.Time{now, now.Add(-10 * time.Hour), now.Add(5 * time.Hour)}
	for _, s := range sets {
		t.Run(s.id, func(t *testing.T) {
			var zh, en int
			cats, sevs, keys := map[string]bool{}, map[string]bool{}, map[string]bool{}
			for _, th := range s.themes {
				if keys[th.key] {
					t.Errorf("duplicate theme key %q", th.key)
				}
				keys[th.key] = true
				cats[th.cat], sevs[th.sev] = true, true
				if len(th.zh) == 0 || len(th.en) == 0 || th.weight <= 0 {
					t.Errorf("theme %q: %d zh, %d en texts, weight %d", th.key, len(th.zh), len(th.en), th.weight)
				}
				if !slices.Contains(severities, th.sev) {
					t.Errorf("theme %q: severity %q", th.key, th.sev)
				}
				if _, ok := p.Category(th.cat); !ok {
					t.Errorf("theme %q: category %q", th.key, th.cat)
				}
				zh += len(th.zh)
				en += len(th.en)
				for _, lang := range []string{"zh", "en"} {
					for _, tx := range th.texts(lang) {
						if n := sentences(tx.body, lang); n < 1 || n > 3 {
							t.Errorf("%s %q: %d sentences, want 1-3 (a closing remark may add one)", lang, tx.title, n)
						}
						for _, st := range append([]string{""}, s.line.StationIDs()...) {
							for i := range 20 {
								f := &filler{r: r, lang: lang, station: st, line: s.line, at: at[i%len(at)], vars: map[string]string{}}
								title, body := f.expand(tx.title), f.expand(tx.body)
								if strings.ContainsAny(title+body, "{}") {
									t.Fatalf("%s: unexpanded placeholder: %q / %q", th.key, title, body)
								}
								if title == "" || utf8.RuneCountInString(title) > 100 || utf8.RuneCountInString(body) > 1000 {
									t.Errorf("%s: too long: %q / %q", th.key, title, body)
								}
								if s.id != "generic" && (lang == "zh") != hasHan(title) {
									t.Errorf("%s: %s title %q", th.key, lang, title)
								}
								if s.id != "generic" && lang == "en" && hasHan(body) {
									t.Errorf("%s: Chinese in English body %q", th.key, body)
								}
							}
						}
					}
				}
			}
			if zh < 6 || en < 6 {
				t.Errorf("%d zh and %d en templates, want at least 6 each", zh, en)
			}
			if len(cats) < 6 {
				t.Errorf("%d categories, want a mix", len(cats))
			}
			if !sevs[sevLow] || !sevs[sevMedium] || !sevs[sevHigh] {
				t.Errorf("severities %v, want low, medium and high", sevs)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	l := plant.Line{ID: "elec-1", Name: plant.Name{ZH: "熔盐电解车间", EN: "Molten-Salt Electrolysis"}}
	for _, tc := range []struct {
		name, station, lang, in string
		want                    *regexp.Regexp
	}{
		{"int", "", "en", "{n:5-5} V", regexp.MustCompile(`^5 V$`)},
		{"float", "", "en", "{f2:1.5-1.5}", regexp.MustCompile(`^1\.50$`)},
		{"pick", "", "en", "{p:a|a}", regexp.MustCompile(`^a$`)},
		{"var repeats", "", "en", "{x=n:1-1000} {x}", regexp.MustCompile(`^(\d+) (\d+)$`)},
		{"station range", "电解槽 9-16", "zh", "{sn:1-2}", regexp.MustCompile(`^(9|1[0-6])$`)},
		{"station default", "出金属", "zh", "{sn:1-2}", regexp.MustCompile(`^[12]$`)},
		{"station fallback", "", "en", "{station}", regexp.MustCompile(`^Molten-Salt Electrolysis$`)},
		{"shift zh", "", "zh", "{shift}", regexp.MustCompile(`^中班$`)},
		{"crew en", "", "en", "{crew}", regexp.MustCompile(`^crew [A-D]$`)},
		{"unknown kept", "", "en", "{nope} {n:x-y} {", regexp.MustCompile(`^\{nope\} \{n:x-y\} \{$`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &filler{r: rand.New(rand.NewPCG(1, 1)), lang: tc.lang, station: tc.station, line: l,
				at: time.Date(2026, 1, 5, 17, 0, 0, 0, time.UTC), vars: map[string]string{}}
			got := f.expand(tc.in)
			m := tc.want.FindStringSubmatch(got)
			if m == nil {
				t.Fatalf("expand(%q) = %q", tc.in, got)
			}
			if tc.name == "var repeats" && m[1] != m[2] {
				t.Fatalf("variable not repeated: %q", got)
			}
		})
	}
}
