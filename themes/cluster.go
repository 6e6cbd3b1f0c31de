package themes

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/floorfeed/floorfeed/textproc"
)

// cluster is a group of docs under construction: the sum of its members'
// vectors (the centroid, unnormalised) as a dense-on-demand map.
type cluster struct {
	members []int
	sum     map[int32]float64
	norm    float64 // |sum|, kept up to date
}

func (c *cluster) add(i int, v vec) {
	c.members = append(c.members, i)
	for _, e := range v {
		old := c.sum[e.term]
		nw := old + e.w
		c.norm += nw*nw - old*old
		c.sum[e.term] = nw
	}
}

func (c *cluster) cos(v vec) float64 {
	if c.norm <= 0 {
		return 0
	}
	var s float64
	for _, e := range v {
		s += e.w * c.sum[e.term]
	}
	return s / math.Sqrt(c.norm)
}

// probeTerms is how many of a doc's heaviest terms look up candidate
// clusters in the inverted index: a doc that shares none of its heaviest
// terms with a cluster is not above the threshold with it in practice, and
// the common terms that would make every cluster a candidate are skipped.
const probeTerms = 12

// maxCandidates bounds the clusters scored exactly per doc.
const maxCandidates = 64

// cluster groups the docs in order: each joins the most similar cluster at
// or above threshold, or starts one; then clusters whose centroids are that
// similar are merged (smallest id first), until none are.
func (m *model) cluster(threshold float64) []*cluster {
	var cs []*cluster
	index := map[int32][]int{} // term → clusters having it among their probe terms
	score := map[int]float64{}
	for i, v := range m.vecs {
		clear(score)
		probe := heaviest(v, probeTerms)
		for _, e := range probe {
			for _, c := range index[e.term] {
				score[c] += e.w * cs[c].sum[e.term]
			}
		}
		cands := make([]int, 0, len(score))
		for c := range score {
			cands = append(cands, c)
		}
		slices.SortFunc(cands, func(a, b int) int {
			if c := cmp.Compare(score[b], score[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		if len(cands) > maxCandidates {
			cands = cands[:maxCandidates]
		}
		best, bestSim := -1, threshold
		for _, c := range cands {
			if s := cs[c].cos(v); s >= bestSim && (best < 0 || s > bestSim || c < best) {
				best, bestSim = c, s
			}
		}
		if best < 0 {
			best = len(cs)
			cs = append(cs, &cluster{sum: map[int32]float64{}})
		}
		cs[best].add(i, v)
		for _, e := range probe {
			if l := index[e.term]; len(l) == 0 || l[len(l)-1] != best {
				if !slices.Contains(l, best) {
					index[e.term] = append(l, best)
				}
			}
		}
	}
	return mergeClusters(cs, threshold)
}

// mergeClusters joins clusters whose centroids are at least threshold
// similar, the most similar pair first, until no pair is.
func mergeClusters(cs []*cluster, threshold float64) []*cluster {
	alive := make([]bool, len(cs))
	for i := range alive {
		alive[i] = true
	}
	// Only clusters of several docs, or pairs sharing a heavy term, can be
	// that similar; compare every pair of the (few hundred) clusters that
	// share a term through a term index of the centroids' heaviest terms.
	for {
		index := map[int32][]int{}
		for ci, c := range cs {
			if !alive[ci] {
				continue
			}
			for _, e := range heaviestMap(c.sum, probeTerms) {
				index[e.term] = append(index[e.term], ci)
			}
		}
		bestA, bestB, bestSim := -1, -1, threshold
		seen := map[[2]int]bool{}
		for _, l := range index {
			for x := 0; x < len(l); x++ {
				for y := x + 1; y < len(l); y++ {
					a, b := l[x], l[y]
					if seen[[2]int{a, b}] {
						continue
					}
					seen[[2]int{a, b}] = true
					s := centroidCos(cs[a], cs[b])
					if s > bestSim || s == bestSim && bestA >= 0 && (a < bestA || a == bestA && b < bestB) || s == bestSim && bestA < 0 {
						bestA, bestB, bestSim = a, b, s
					}
				}
			}
		}
		if bestA < 0 {
			break
		}
		a, b := cs[bestA], cs[bestB]
		for term, w := range b.sum {
			old := a.sum[term]
			a.sum[term] = old + w
			a.norm += (old+w)*(old+w) - old*old
		}
		a.members = append(a.members, b.members...)
		slices.Sort(a.members)
		alive[bestB] = false
	}
	var out []*cluster
	for i, c := range cs {
		if alive[i] {
			out = append(out, c)
		}
	}
	return out
}

func centroidCos(a, b *cluster) float64 {
	if a.norm <= 0 || b.norm <= 0 {
		return 0
	}
	small, big := a.sum, b.sum
	if len(small) > len(big) {
		small, big = big, small
	}
	var s float64
	for t, w := range small {
		s += w * big[t]
	}
	return s / math.Sqrt(a.norm*b.norm)
}

// heaviest returns the n heaviest entries of v, heaviest first (ties by
// term id).
func heaviest(v vec, n int) vec {
	h := append(vec(nil), v...)
	slices.SortFunc(h, func(a, b entry) int {
		if c := cmp.Compare(b.w, a.w); c != 0 {
			return c
		}
		return cmp.Compare(a.term, b.term)
	})
	return h[:min(n, len(h))]
}

func heaviestMap(m map[int32]float64, n int) vec {
	v := make(vec, 0, len(m))
	for t, w := range m {
		v = append(v, entry{t, w})
	}
	return heaviest(v, n)
}

// theme turns a cluster into its reader's form.
func (m *model) theme(ds []Doc, c *cluster) Theme {
	t := Theme{Count: len(c.members)}
	lines := map[string]bool{}
	best, bestSim := -1, -1.0
	members := append([]int(nil), c.members...)
	slices.SortFunc(members, func(a, b int) int {
		if x := ds[a].CreatedAt.Compare(ds[b].CreatedAt); x != 0 {
			return x
		}
		return cmp.Compare(ds[a].ID, ds[b].ID)
	})
	for _, i := range members {
		d := ds[i]
		t.DocIDs = append(t.DocIDs, d.ID)
		t.Votes += d.Votes
		t.Score += 1 + float64(d.Votes) + SeverityWeight(d.Severity)
		if d.Line != "" {
			lines[d.Line] = true
		}
		if s := round(c.cos(m.vecs[i])); s > bestSim || s == bestSim && d.ID < ds[best].ID {
			best, bestSim = i, s
		}
	}
	for l := range lines {
		t.Lines = append(t.Lines, l)
	}
	slices.Sort(t.Lines)
	t.Representative = ds[best].ID
	t.Terms = m.topTerms(c, MaxTerms)
	return t
}

// topTerms returns the centroid's heaviest terms in readable form, each
// label once: concepts and words first; Chinese bigrams, which often
// straddle two words ("属区" from "金属区"), only when fewer than three
// other terms were found.
func (m *model) topTerms(c *cluster, n int) []string {
	var out []string
	seen := map[string]bool{}
	all := heaviestMap(c.sum, len(c.sum))
	for pass := 0; pass < 2 && len(out) < n; pass++ {
		if pass == 1 && len(out) >= 3 {
			break
		}
		for _, e := range all {
			han := strings.HasPrefix(m.terms[e.term], "z:")
			if han != (pass == 1) {
				continue
			}
			label := m.label(e.term)
			if label == "" || seen[label] {
				continue
			}
			seen[label] = true
			out = append(out, label)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

func (m *model) label(term int32) string {
	key := m.terms[term]
	if c, ok := textproc.ConceptOf(key); ok {
		return m.g.Label(c)
	}
	// The most frequent surface form, ties by the smaller string.
	best, bestN := "", 0
	for s, n := range m.surface[term] {
		if n > bestN || n == bestN && s < best {
			best, bestN = s, n
		}
	}
	if strings.IndexFunc(best, unicode.IsLetter) < 0 && strings.IndexFunc(best, func(r rune) bool { return unicode.Is(unicode.Han, r) }) < 0 {
		return ""
	}
	return best
}
