package themes

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/floorfeed/floorfeed/textproc"
)

// Token weights by kind, before TF-IDF: the glossary's concepts are what
// lets Chinese and English reports meet, so they weigh most; a word or
// bigram that a concept already stands for weighs little (it would only
// separate the two languages again).
const (
	weightConcept       = 3.0
	weightNestedConcept = 1.0
	weightSurface       = 1.0
	weightCovered       = 0.3
	weightUnigram       = 0.5
)

// entry is one non-zero component of a sparse vector.
type entry struct {
	term int32
	w    float64
}

// vec is a sparse vector sorted by term, of unit length.
type vec []entry

func dot(a, b vec) float64 {
	var s float64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i].term < b[j].term:
			i++
		case a[i].term > b[j].term:
			j++
		default:
			s += a[i].w * b[j].w
			i++
			j++
		}
	}
	return s
}

// model is the TF-IDF space of one set of docs.
type model struct {
	g       *Glossary
	terms   []string         // term id → token key
	surface []map[string]int // term id → surface form → count (words: as written)
	vecs    []vec            // per doc
	df      []int32
}

func buildModel(ds []Doc, g *Glossary) *model {
	if g == nil {
		g = DefaultGlossary()
	}
	an := textproc.NewAnalyzer(g)
	m := &model{g: g}
	ids := map[string]int32{}
	raws := make([]map[int32]float64, len(ds))
	toks := tokenizeAll(an, ds)
	for i := range ds {
		tf := map[int32]float64{}
		for _, t := range toks[i] {
			w := kindWeight(t)
			if w == 0 {
				continue
			}
			id, ok := ids[t.Key]
			if !ok {
				id = int32(len(m.terms))
				ids[t.Key] = id
				m.terms = append(m.terms, t.Key)
				m.surface = append(m.surface, map[string]int{})
				m.df = append(m.df, 0)
			}
			if _, seen := tf[id]; !seen {
				m.df[id]++
			}
			// Keep the heaviest kind weight seen for the term in this doc,
			// counting repeats through tf.
			tf[id] += w
			m.surface[id][t.Surface]++
		}
		raws[i] = tf
		toks[i] = nil
	}
	n := float64(len(ds))
	m.vecs = make([]vec, len(ds))
	for i, tf := range raws {
		v := make(vec, 0, len(tf))
		var norm float64
		for id, w := range tf {
			idf := math.Log(1 + n/float64(m.df[id]))
			x := (1 + math.Log(w)) * idf
			if w < 1 {
				x = w * idf // fractional weights: no log boost
			}
			v = append(v, entry{id, x})
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for k := range v {
			v[k].w /= norm
		}
		slices.SortFunc(v, func(a, b entry) int { return cmp.Compare(a.term, b.term) })
		m.vecs[i] = v
	}
	return m
}

func kindWeight(t textproc.Token) float64 {
	switch {
	case t.Kind == textproc.Concept && t.Nested:
		return weightNestedConcept
	case t.Kind == textproc.Concept:
		return weightConcept
	case t.Covered:
		return weightCovered
	case t.Kind == textproc.HanUnigram:
		return weightUnigram
	}
	return weightSurface
}

// tokenizeAll tokenizes the docs on every core; the result is in doc
// order, so the model built from it does not depend on scheduling.
func tokenizeAll(an *textproc.Analyzer, ds []Doc) [][]textproc.Token {
	out := make([][]textproc.Token, len(ds))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(ds)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ds); i += workers {
				out[i] = an.Document(ds[i].Text)
			}
		}()
	}
	wg.Wait()
	return out
}
