package textproc

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Entry is one glossary concept with its terms in Chinese and English.
type Entry struct {
	// Concept is the concept's id: lower-case ASCII letters, digits and -.
	Concept string
	// ZH and EN are the terms that name it; the first of each is shown.
	ZH, EN []string
}

// Glossary maps terms of both languages onto shared concepts. Matching is
// on the units of split: Han characters and stemmed words, so "leaking
// oil" matches a report's "Leaking oil" and "leaking  oil" alike.
//
// A Glossary is built before use: Extend is not safe concurrently with
// matching.
type Glossary struct {
	root   *trieNode
	labels map[string]Entry // concept → its entry (terms merged)
	termOf map[string]string
}

type trieNode struct {
	next    map[string]*trieNode
	concept string // "" when no term ends here
	surface string
}

// NewGlossary returns an empty glossary.
func NewGlossary() *Glossary {
	return &Glossary{root: &trieNode{}, labels: map[string]Entry{}, termOf: map[string]string{}}
}

var conceptPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// ValidateEntry checks one entry on its own: a well-formed concept id and
// at least one non-empty term.
func ValidateEntry(e Entry) error {
	if !conceptPattern.MatchString(e.Concept) {
		return fmt.Errorf("glossary concept %q: must be lower-case letters, digits or - (at most 40)", e.Concept)
	}
	if len(e.ZH)+len(e.EN) == 0 {
		return fmt.Errorf("glossary concept %q: needs at least one zh or en term", e.Concept)
	}
	for _, t := range append(append([]string(nil), e.ZH...), e.EN...) {
		if len(split(t)) == 0 {
			return fmt.Errorf("glossary concept %q: term %q has no letters or Han characters", e.Concept, t)
		}
	}
	return nil
}

// Extend adds entries. An entry with a concept already known adds its
// terms to that concept. A term that already names a different concept is
// an error naming both; nothing is added then.
func (g *Glossary) Extend(entries []Entry) error {
	pending := map[string]string{}
	for _, e := range entries {
		if err := ValidateEntry(e); err != nil {
			return err
		}
		for _, t := range append(append([]string(nil), e.ZH...), e.EN...) {
			k := termKey(t)
			if c, ok := g.termOf[k]; ok && c != e.Concept {
				return fmt.Errorf("glossary term %q of concept %q already names concept %q", t, e.Concept, c)
			}
			if c, ok := pending[k]; ok && c != e.Concept {
				return fmt.Errorf("glossary term %q names both %q and %q", t, c, e.Concept)
			}
			pending[k] = e.Concept
		}
	}
	for _, e := range entries {
		cur := g.labels[e.Concept]
		cur.Concept = e.Concept
		cur.ZH = appendNew(cur.ZH, e.ZH)
		cur.EN = appendNew(cur.EN, e.EN)
		g.labels[e.Concept] = cur
		for _, t := range append(append([]string(nil), e.ZH...), e.EN...) {
			g.termOf[termKey(t)] = e.Concept
			n := g.root
			for _, u := range split(t) {
				if n.next == nil {
					n.next = map[string]*trieNode{}
				}
				c := n.next[u.text]
				if c == nil {
					c = &trieNode{}
					n.next[u.text] = c
				}
				n = c
			}
			n.concept, n.surface = e.Concept, t
		}
	}
	return nil
}

func appendNew(to, from []string) []string {
	for _, s := range from {
		found := false
		for _, t := range to {
			if t == s {
				found = true
				break
			}
		}
		if !found {
			to = append(to, s)
		}
	}
	return to
}

func termKey(t string) string {
	us := split(t)
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = u.text
	}
	return strings.Join(parts, "\x00")
}

// Len returns the number of concepts.
func (g *Glossary) Len() int { return len(g.labels) }

// Entries returns the concepts, sorted by id.
func (g *Glossary) Entries() []Entry {
	out := make([]Entry, 0, len(g.labels))
	for _, e := range g.labels {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Concept < out[j].Concept })
	return out
}

// Label returns a concept in both languages for a reader: its first
// Chinese and first English term ("泵 pump"), or the id when unknown.
func (g *Glossary) Label(concept string) string {
	e, ok := g.labels[concept]
	if !ok {
		return concept
	}
	var parts []string
	if len(e.ZH) > 0 {
		parts = append(parts, e.ZH[0])
	}
	if len(e.EN) > 0 {
		parts = append(parts, e.EN[0])
	}
	return strings.Join(parts, " ")
}

type match struct {
	concept, surface string
	n                int // units
}

// matchesAt returns every term that starts at unit i (shortest first).
func (g *Glossary) matchesAt(us []unit, i int) []match {
	var out []match
	n := g.root
	for j := i; j < len(us); j++ {
		if j > i && us[j].brk {
			break
		}
		n = n.next[us[j].text]
		if n == nil {
			break
		}
		if n.concept != "" {
			out = append(out, match{concept: n.concept, surface: n.surface, n: j - i + 1})
		}
	}
	return out
}

// cover returns, per unit, the index of the leftmost-longest match that
// covers it, or -1, and the concepts of those matches by index. A match
// does not start on a stopword.
func (g *Glossary) cover(us []unit) (cov []int, concepts []string) {
	cov = make([]int, len(us))
	for i := 0; i < len(us); {
		cov[i] = -1
		ms := g.matchesAt(us, i)
		if len(ms) == 0 || us[i].stop {
			i++
			continue
		}
		m := ms[len(ms)-1]
		idx := len(concepts)
		concepts = append(concepts, m.concept)
		for k := i; k < i+m.n; k++ {
			cov[k] = idx
		}
		i += m.n
	}
	return cov, concepts
}

// primary returns, per unit, the length of the leftmost-longest match that
// starts there (0 where none starts).
func (g *Glossary) primary(us []unit, cov []int) []int {
	out := make([]int, len(us))
	for i := 0; i < len(us); i++ {
		if cov[i] < 0 || (i > 0 && cov[i-1] == cov[i]) {
			continue
		}
		n := 1
		for i+n < len(us) && cov[i+n] == cov[i] {
			n++
		}
		out[i] = n
	}
	return out
}
