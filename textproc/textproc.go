// Package textproc turns report text in Chinese and English into the tokens
// that the recurring-theme grouping (themes/) and the text index (search/)
// share, so that both see the same words:
//
//   - Han text gives character bigrams ("泵漏油" → 泵漏, 漏油) and, for a
//     Han run of one character, that character;
//   - English (and other alphabetic) text gives lower-cased words with light
//     suffix stemming ("leaking" → leak), stopwords and bare numbers dropped;
//   - glossary terms, in either language, give the concept they name
//     ("漏油" and "leaking oil" both give concept oil-leak), so that a Chinese
//     and an English report of one problem share tokens.
//
// Everything is deterministic and local: no model, no network.
package textproc

import (
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is what a token stands for.
type Kind uint8

// Token kinds.
const (
	HanBigram  Kind = iota + 1 // two consecutive Han characters
	HanUnigram                 // a Han character standing alone
	Word                       // a stemmed word of an alphabetic script
	Concept                    // a glossary concept
)

// Token is one occurrence of a term in a text.
type Token struct {
	// Key identifies the term: printable ASCII without spaces, usable in a
	// store.Records collection name. Kinds never share a key: "z:…" Han
	// (hex), "w:…" words, "c:…" concepts.
	Key  string
	Kind Kind
	// Surface is the text as written (a word before stemming; the matched
	// glossary term for a concept), for showing a term to a reader.
	Surface string
	// Covered is set on a bigram or word that lies inside a glossary match:
	// the concept already stands for it.
	Covered bool
	// Nested is set on a concept whose term is not one of the
	// leftmost-longest matches (漏 "leak" inside 漏油 "oil leak", 铁 "iron"
	// inside 钕铁硼 "NdFeB"): true often enough for search, weaker for
	// similarity.
	Nested bool
}

// unit is one element of the stream the glossary is matched on: a Han
// character or a stemmed word. brk marks a break before it (punctuation,
// digits, a change of script) that a glossary phrase does not cross.
type unit struct {
	text    string // the rune, or the stem
	surface string // as written (lower-cased for words)
	han     bool
	brk     bool
	stop    bool // an English stopword: matched in phrases, not a token itself
}

// maxWord bounds a word token's length in bytes; longer runs (hashes,
// base64 pasted by accident) are cut.
const maxWord = 40

// split cuts text into units.
func split(text string) []unit {
	var out []unit
	brk := true
	var word strings.Builder
	flush := func() {
		if word.Len() == 0 {
			return
		}
		w := word.String()
		word.Reset()
		if len(w) > maxWord {
			w = truncUTF8(w, maxWord)
		}
		out = append(out, unit{text: Stem(w), surface: w, brk: brk, stop: stopwords[w]})
		brk = false
	}
	for i, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			ch := text[i : i+utf8.RuneLen(r)] // no allocation, unlike string(r)
			out = append(out, unit{text: ch, surface: ch, han: true, brk: brk})
			brk = false
		case unicode.IsLetter(r) || (r == '\'' && word.Len() > 0):
			if len(out) > 0 && out[len(out)-1].han && word.Len() == 0 {
				brk = true // script change: 泵pump does not make a phrase across
			}
			word.WriteRune(unicode.ToLower(r))
		case unicode.IsDigit(r):
			if word.Len() > 0 {
				word.WriteRune(r) // P507, Nd2O3: letters and digits stay one word
				continue
			}
			flush()
			brk = true
		case unicode.IsSpace(r) && word.Len() > 0:
			flush()
		case unicode.IsSpace(r):
			// a space between Han characters or words is no break for phrases
			if len(out) > 0 && out[len(out)-1].han {
				brk = true
			}
		default:
			flush()
			if r != '-' { // "mixer-settler" is a phrase of two words
				brk = true
			}
		}
	}
	flush()
	return out
}

func truncUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Analyzer tokenizes text with a glossary. It is safe for concurrent use
// once the glossary is no longer extended.
type Analyzer struct {
	g *Glossary
}

// NewAnalyzer returns an analyzer using g (nil: no glossary).
func NewAnalyzer(g *Glossary) *Analyzer {
	if g == nil {
		g = NewGlossary()
	}
	return &Analyzer{g: g}
}

// Glossary returns the analyzer's glossary.
func (a *Analyzer) Glossary() *Glossary { return a.g }

// Document returns every token of text in order of appearance, repeats
// included (term frequency is the caller's): the bigrams and words, and the
// concept of every glossary match, overlapping and nested ones too (a
// report about "漏油" is also about 漏 "leak"). Surface tokens inside the
// leftmost-longest matches are marked Covered.
func (a *Analyzer) Document(text string) []Token {
	us := split(text)
	covered, _ := a.g.cover(us)
	primary := a.g.primary(us, covered)
	out := make([]Token, 0, len(us)+4)
	for i, u := range us {
		if u.han {
			next := i+1 < len(us) && us[i+1].han && !us[i+1].brk
			prev := i > 0 && us[i-1].han && !u.brk
			switch {
			case next:
				cov := covered[i] >= 0 && covered[i] == covered[i+1]
				out = append(out, Token{Key: hanKey(u.text + us[i+1].text), Kind: HanBigram, Surface: u.text + us[i+1].text, Covered: cov})
			case !prev:
				out = append(out, Token{Key: hanKey(u.text), Kind: HanUnigram, Surface: u.text, Covered: covered[i] >= 0})
			}
		} else if !u.stop && isWordToken(u.text) {
			out = append(out, Token{Key: wordKey(u.text), Kind: Word, Surface: u.surface, Covered: covered[i] >= 0})
		}
		for _, m := range a.g.matchesAt(us, i) {
			nested := !(primary[i] == m.n)
			out = append(out, Token{Key: conceptKey(m.concept), Kind: Concept, Surface: m.surface, Nested: nested})
		}
	}
	return out
}

// Query returns the distinct token keys a search for q must find, in
// order of appearance: the concept of each leftmost-longest glossary match
// (so "漏油" also finds "oil leak"), and the bigrams and words outside the
// matches (a bigram with one character inside a match is kept: "泵漏"
// with only 泵 in the glossary needs 泵漏 itself).
func (a *Analyzer) Query(q string) []string {
	us := split(q)
	covered, concepts := a.g.cover(us)
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for i, u := range us {
		if covered[i] >= 0 && (i == 0 || covered[i-1] != covered[i]) {
			add(conceptKey(concepts[covered[i]]))
		}
		if u.han {
			next := i+1 < len(us) && us[i+1].han && !us[i+1].brk
			prev := i > 0 && us[i-1].han && !u.brk
			switch {
			case next:
				if covered[i] < 0 || covered[i+1] < 0 {
					add(hanKey(u.text + us[i+1].text))
				}
			case !prev && covered[i] < 0:
				add(hanKey(u.text))
			}
		} else if covered[i] < 0 && !u.stop && isWordToken(u.text) {
			add(wordKey(u.text))
		}
	}
	return out
}

func isWordToken(s string) bool {
	if utf8.RuneCountInString(s) < 2 {
		return false
	}
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func hanKey(s string) string {
	b := make([]byte, 2+hex.EncodedLen(len(s)))
	b[0], b[1] = 'z', ':'
	hex.Encode(b[2:], []byte(s))
	return string(b)
}

func wordKey(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '\'') {
			return "x:" + hex.EncodeToString([]byte(s))
		}
	}
	return "w:" + s
}

func conceptKey(c string) string { return "c:" + c }

// ConceptOf returns the concept id of a concept token key ("c:pump" →
// "pump", true).
func ConceptOf(key string) (string, bool) {
	if strings.HasPrefix(key, "c:") {
		return key[2:], true
	}
	return "", false
}
