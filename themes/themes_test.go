package themes

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/demo"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

// Quality bars for the labelled pairs. Precision is held higher than
// recall: a brief that merges two different problems into one theme
// misleads R&D (it hides one of them), while a theme split in two only
// shows the same problem twice, which a reader sees. 0.9 / 0.8 leave a few
// pairs of slack for the hard cases the set contains on purpose (pump
// noise vs pump oil leak, kiln vs bath temperature).
const (
	minPrecision = 0.90
	minRecall    = 0.80
)

type pair struct {
	same bool
	a, b string
}

func loadPairs(t testing.TB) []pair {
	t.Helper()
	f, err := os.Open("testdata/pairs.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []pair
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 3 || cols[0] != "same" && cols[0] != "diff" {
			t.Fatalf("pairs.tsv:%d: want label<TAB>A<TAB>B, got %q", n, line)
		}
		out = append(out, pair{same: cols[0] == "same", a: report(cols[1]), b: report(cols[2])})
	}
	return out
}

// report turns "title | body" into a Doc text.
func report(s string) string {
	title, body, _ := strings.Cut(s, " | ")
	return title + "\n" + body
}

// background is realistic traffic the labelled reports are grouped among,
// so that IDF and clustering see a plant's mix, not only the test's.
func background(n int) []Doc {
	items := demo.Generate(plant.Sample(), n, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), 7)
	out := make([]Doc, len(items))
	for i, it := range items {
		out[i] = Doc{ID: fmt.Sprintf("bg%05d", i), Text: it.Title + "\n" + it.Body, Line: it.Line, Severity: it.Severity, CreatedAt: it.At}
	}
	return out
}

// pairCorpus returns the labelled texts as docs (one per distinct text)
// and the id of each text.
func pairCorpus(ps []pair) ([]Doc, map[string]string) {
	ids := map[string]string{}
	var docs []Doc
	for _, p := range ps {
		for _, s := range []string{p.a, p.b} {
			if _, ok := ids[s]; !ok {
				id := fmt.Sprintf("p%04d", len(ids))
				ids[s] = id
				docs = append(docs, Doc{ID: id, Text: s, Severity: "medium"})
			}
		}
	}
	return docs, ids
}

func TestLabelledPairs(t *testing.T) {
	ps := loadPairs(t)
	var nSame, nDiff, cross int
	for _, p := range ps {
		if p.same {
			nSame++
			if hasHan(p.a) != hasHan(p.b) {
				cross++
			}
		} else {
			nDiff++
		}
	}
	if nSame < 40 || nDiff < 40 || cross < 20 {
		t.Fatalf("pairs.tsv: %d same (%d across languages), %d diff; want at least 40, 20, 40", nSame, cross, nDiff)
	}
	docs, ids := pairCorpus(ps)
	docs = append(docs, background(300)...)
	themes := Group(docs, nil)
	themeOf := map[string]int{}
	for i, th := range themes {
		for _, id := range th.DocIDs {
			themeOf[id] = i + 1 // 0: in no theme (a singleton)
		}
	}
	grouped := func(p pair) bool {
		a, b := themeOf[ids[p.a]], themeOf[ids[p.b]]
		return a != 0 && a == b
	}
	tp, fp, fn := 0, 0, 0
	for _, p := range ps {
		g := grouped(p)
		switch {
		case p.same && g:
			tp++
		case p.same:
			fn++
			t.Logf("missed (same, not grouped): %q / %q", first(p.a), first(p.b))
		case g:
			fp++
			t.Logf("wrong (diff, grouped): %q / %q in theme %v", first(p.a), first(p.b), themes[themeOf[ids[p.a]]-1].Terms)
		}
	}
	precision := float64(tp) / float64(max(tp+fp, 1))
	recall := float64(tp) / float64(max(tp+fn, 1))
	t.Logf("Group on %d labelled + 300 demo reports: %d themes; pairs: %d same, %d diff; precision %.3f (%d/%d), recall %.3f (%d/%d)",
		len(ids), len(themes), nSame, nDiff, precision, tp, tp+fp, recall, tp, tp+fn)

	// The pairwise view (Similar's score against Threshold), for reading.
	ptp, pfp, pfn := 0, 0, 0
	for _, p := range ps {
		s := pairScore(p, docs, ids)
		switch {
		case p.same && s >= Threshold:
			ptp++
		case p.same:
			pfn++
		case s >= Threshold:
			pfp++
		}
	}
	t.Logf("pairwise cosine >= %.2f: precision %.3f, recall %.3f", Threshold,
		float64(ptp)/float64(max(ptp+pfp, 1)), float64(ptp)/float64(max(ptp+pfn, 1)))

	if precision < minPrecision || recall < minRecall {
		t.Errorf("precision %.3f, recall %.3f; want at least %.2f and %.2f", precision, recall, minPrecision, minRecall)
	}
}

func pairScore(p pair, docs []Doc, ids map[string]string) float64 {
	var target Doc
	for _, d := range docs {
		if d.ID == ids[p.a] {
			target = d
		}
	}
	for _, m := range Similar(target, docs, nil, len(docs)) {
		if m.ID == ids[p.b] {
			return m.Score
		}
	}
	return 0
}

func first(s string) string { t, _, _ := strings.Cut(s, "\n"); return t }

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func TestGroupDeterministic(t *testing.T) {
	ps := loadPairs(t)
	docs, _ := pairCorpus(ps)
	docs = append(docs, background(200)...)
	want := Group(docs, nil)
	if len(want) == 0 {
		t.Fatal("Group found no themes")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5 {
		shuffled := append([]Doc(nil), docs...)
		r.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		if got := Group(shuffled, nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("Group(shuffle %d) differs from Group(docs): first theme %+v, want %+v", i, got[0], want[0])
		}
	}
}

func TestGroupRanking(t *testing.T) {
	at := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	docs := []Doc{
		// Three low reports of a dusty packing station: score 3.
		{ID: "a1", Text: "包装口粉尘大\n除尘器布袋破了，粉尘很大", Line: "calc-1", Severity: "low", CreatedAt: at},
		{ID: "a2", Text: "Dust at packing\nBaghouse bag torn, heavy dust at packing", Line: "polish-1", Severity: "low", CreatedAt: at.Add(time.Hour)},
		{ID: "a3", Text: "粉尘超标\n包装时粉尘很大，除尘器压差低", Line: "calc-1", Severity: "low", CreatedAt: at.Add(2 * time.Hour)},
		// Two reports of a pump leaking oil, one critical, with 4 votes:
		// score 2 + 4 + 3 (critical) + 0.5 (medium) = 9.5.
		{ID: "b1", Text: "3号泵漏油\n泵的机封漏油，地上一滩油", Line: "sx-1", Severity: "critical", Votes: 3, CreatedAt: at},
		{ID: "b2", Text: "Pump 3 leaking oil\nOil leaking from the pump seal", Line: "sx-1", Severity: "medium", Votes: 1, CreatedAt: at.Add(time.Minute)},
		// A report on its own: no theme.
		{ID: "c1", Text: "时效炉记录仪没纸了\n温度曲线没打出来", Line: "ndfeb-1", Severity: "low", CreatedAt: at},
	}
	got := Group(docs, nil)
	if len(got) != 2 {
		t.Fatalf("Group = %d themes %+v, want 2", len(got), got)
	}
	pump, dust := got[0], got[1]
	if !reflect.DeepEqual(pump.DocIDs, []string{"b1", "b2"}) || pump.Votes != 4 || pump.Score != 9.5 || pump.Count != 2 || !reflect.DeepEqual(pump.Lines, []string{"sx-1"}) {
		t.Errorf("first theme = %+v, want the pump leak: b1, b2, 4 votes, score 9.5, line sx-1", pump)
	}
	if !reflect.DeepEqual(dust.DocIDs, []string{"a1", "a3", "a2"}) && !reflect.DeepEqual(dust.DocIDs, []string{"a1", "a2", "a3"}) || dust.Score != 3 || !reflect.DeepEqual(dust.Lines, []string{"calc-1", "polish-1"}) {
		t.Errorf("second theme = %+v, want the dust: a1, a2, a3, score 3, lines calc-1 and polish-1", dust)
	}
	if !reflect.DeepEqual(dust.DocIDs, []string{"a1", "a2", "a3"}) {
		t.Errorf("dust DocIDs = %v, want oldest first a1, a2, a3", dust.DocIDs)
	}
	if !contains(pump.Terms, "泵 pump") || !contains(pump.Terms, "漏油 oil leak") {
		t.Errorf("pump theme terms = %v, want 泵 pump and 漏油 oil leak among them", pump.Terms)
	}
	if !contains(dust.Terms, "粉尘 dust") {
		t.Errorf("dust theme terms = %v, want 粉尘 dust", dust.Terms)
	}
	if pump.Representative != "b1" && pump.Representative != "b2" {
		t.Errorf("pump representative = %q, want one of its reports", pump.Representative)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestSimilar(t *testing.T) {
	docs := []Doc{
		{ID: "zh", Text: "3号泵漏油\n萃取车间3号泵机封处漏油"},
		{ID: "en", Text: "Pump leaking oil\nOil leaking from the pump seal"},
		{ID: "kiln", Text: "回转窑温度低\n窑尾温度只有800度"},
		{ID: "noise", Text: "泵异响\n料液泵有异响，轴承温度高"},
	}
	got := Similar(docs[0], docs, nil, 3)
	if len(got) == 0 || got[0].ID != "en" {
		t.Fatalf("Similar(泵漏油) = %+v, want the English pump oil leak first", got)
	}
	for _, m := range got {
		if m.ID == "zh" {
			t.Errorf("Similar returned the target itself: %+v", got)
		}
		if m.ID == "kiln" {
			t.Errorf("Similar(泵漏油) includes the kiln report: %+v", got)
		}
	}
	if got := Similar(docs[0], docs, nil, 0); got != nil {
		t.Errorf("Similar(n=0) = %v, want nil", got)
	}
}

func TestDefaultGlossary(t *testing.T) {
	g := DefaultGlossary()
	if g.Len() < 60 {
		t.Errorf("built-in glossary has %d concepts, want at least 60", g.Len())
	}
	for _, c := range []struct{ concept, label string }{
		{"extraction-tank", "萃取槽 extraction tank"}, {"anode-effect", "阳极效应 anode effect"},
		{"pump", "泵 pump"}, {"oil-leak", "漏油 oil leak"}, {"electrolytic-cell", "电解槽 electrolytic cell"},
		{"ndfeb", "钕铁硼 NdFeB"}, {"rare-earth", "稀土 rare earth"}, {"oxalate-precipitation", "草酸沉淀 oxalate precipitation"},
		{"calcination", "灼烧 calcination"}, {"oxide", "氧化物 oxide"}, {"particle-size", "粒度 particle size"},
		{"yield", "收率 yield"}, {"impurity", "杂质 impurity"}, {"temperature", "温度 temperature"},
		{"pressure", "压力 pressure"}, {"vibration", "振动 vibration"}, {"seal", "密封 seal"}, {"valve", "阀门 valve"},
		{"pipe", "管道 pipe"}, {"clog", "堵塞 clog"}, {"dust", "粉尘 dust"}, {"wastewater", "废水 wastewater"},
	} {
		if got := g.Label(c.concept); got != c.label {
			t.Errorf("Label(%s) = %q, want %q", c.concept, got, c.label)
		}
	}
}

func TestGlossaryExtend(t *testing.T) {
	g := DefaultGlossary()
	// A term already naming another concept is refused, naming both.
	err := g.Extend([]GlossaryEntry{{Concept: "my-pump", ZH: []string{"泵"}}})
	if err == nil || !strings.Contains(err.Error(), "pump") || !strings.Contains(err.Error(), "my-pump") {
		t.Errorf("Extend(泵 as my-pump) = %v, want an error naming pump and my-pump", err)
	}
	for _, bad := range []GlossaryEntry{{Concept: "Bad Id", ZH: []string{"x"}}, {Concept: "empty"}, {Concept: "punct", EN: []string{"--"}}} {
		if err := g.Extend([]GlossaryEntry{bad}); err == nil {
			t.Errorf("Extend(%+v) = nil, want an error", bad)
		}
	}
	// A plant word unknown to the built-in glossary makes two reports meet
	// once it is added.
	docs := []Doc{
		{ID: "1", Text: "萃余液返混\n第30级萃余液返混明显"},
		{ID: "2", Text: "Raffinate back-mixing\nStrong raffinate backmix at stage 30"},
		{ID: "3", Text: "窑尾温度低\n回转窑温度只有800度"},
	}
	before := Similar(docs[0], docs, g, 3)
	if err := g.Extend([]GlossaryEntry{{Concept: "raffinate-backmix", ZH: []string{"萃余液返混", "返混"}, EN: []string{"raffinate back-mixing", "raffinate backmix", "back-mixing", "backmix"}}}); err != nil {
		t.Fatalf("Extend: %v", err)
	}
	after := Similar(docs[0], docs, g, 3)
	if score(after, "2") < Threshold || score(after, "2") <= score(before, "2") {
		t.Errorf("similarity of 萃余液返混 to raffinate back-mixing: before %v, after Extend %v; want it to rise above %.2f", before, after, Threshold)
	}
}

func score(ms []Match, id string) float64 {
	for _, m := range ms {
		if m.ID == id {
			return m.Score
		}
	}
	return 0
}

func TestPlantGlossary(t *testing.T) {
	p := plant.Sample()
	if len(p.Glossary) == 0 {
		t.Fatal("sample plant has no glossary entry")
	}
	g, err := PlantGlossary(p)
	if err != nil {
		t.Fatalf("PlantGlossary(sample): %v", err)
	}
	if g.Len() != DefaultGlossary().Len()+len(p.Glossary) {
		t.Errorf("PlantGlossary has %d concepts, want built-in + %d", g.Len(), len(p.Glossary))
	}
	p.Glossary = append(p.Glossary, plant.GlossaryEntry{Concept: "clash", EN: []string{"pump"}})
	if _, err := PlantGlossary(p); err == nil {
		t.Error("PlantGlossary with a term of another concept = nil error, want one")
	}
}

func BenchmarkGroup10k(b *testing.B) {
	docs := background(10000)
	g := DefaultGlossary()
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(Group(docs, g))
	}
	b.ReportMetric(float64(n), "themes")
}

func TestDocOf(t *testing.T) {
	at := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	r := store.Report{ID: "id1", Title: "泵漏油", Body: "机封漏油", Line: "sx-1", Severity: store.SeverityHigh, Votes: 3, CreatedAt: at}
	want := Doc{ID: "id1", Text: "泵漏油\n机封漏油", Line: "sx-1", Severity: "high", Votes: 3, CreatedAt: at}
	if got := DocOf(r); got != want {
		t.Errorf("DocOf = %+v, want %+v", got, want)
	}
}
