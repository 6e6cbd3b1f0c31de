package textproc

import (
	"slices"
	"strings"
	"testing"
)

func testGlossary(t *testing.T) *Glossary {
	t.Helper()
	g := NewGlossary()
	err := g.Extend([]Entry{
		{Concept: "pump", ZH: []string{"泵"}, EN: []string{"pump"}},
		{Concept: "oil-leak", ZH: []string{"漏油"}, EN: []string{"oil leak", "leaking oil"}},
		{Concept: "leak", ZH: []string{"漏"}, EN: []string{"leak"}},
		{Concept: "extraction-tank", ZH: []string{"萃取槽"}, EN: []string{"extraction tank", "mixer-settler"}},
		{Concept: "extraction", ZH: []string{"萃取"}, EN: []string{"extraction"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestStem(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"leaking", "leak"}, {"leaks", "leak"}, {"leaked", "leak"}, {"leak", "leak"},
		{"clogged", "clog"}, {"clogging", "clog"}, {"clogs", "clog"},
		{"vibration", "vibrat"}, {"vibrating", "vibrat"}, {"vibrates", "vibrat"},
		{"batteries", "battery"}, {"glasses", "glass"}, {"boxes", "box"}, {"process", "process"},
		{"pumps", "pump"}, {"gas", "gas"}, {"pH", "pH"},
	} {
		if got := Stem(c.in); got != c.want {
			t.Errorf("Stem(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func keys(ts []Token, kind Kind) []string {
	var out []string
	for _, t := range ts {
		if t.Kind == kind {
			out = append(out, t.Surface)
		}
	}
	return out
}

func TestDocument(t *testing.T) {
	an := NewAnalyzer(testGlossary(t))
	for _, c := range []struct {
		text                    string
		bigrams, words, concept []string
	}{
		{"泵漏油", []string{"泵漏", "漏油"}, nil, []string{"泵", "漏", "漏油"}},
		{"Pump leaking oil!", nil, []string{"pump", "leaking", "oil"}, []string{"pump", "leak", "leaking oil"}},
		// digits and punctuation break Han runs; a lone character is a unigram
		{"3号泵，漏油", []string{"号泵", "漏油"}, nil, []string{"泵", "漏", "漏油"}},
		{"萃取槽 mixer-settler", []string{"萃取", "取槽"}, []string{"mixer", "settler"}, []string{"萃取", "萃取槽", "mixer-settler"}},
		// stopwords and bare numbers are no tokens; units neither
		{"The pump is at 35 mm", nil, []string{"pump"}, []string{"pump"}},
		{"P507 in Nd2O3", nil, []string{"p507", "nd2o3"}, nil},
	} {
		ts := an.Document(c.text)
		if got := keys(ts, HanBigram); !slices.Equal(got, c.bigrams) {
			t.Errorf("Document(%q) bigrams = %v, want %v", c.text, got, c.bigrams)
		}
		if got := keys(ts, Word); !slices.Equal(got, c.words) {
			t.Errorf("Document(%q) words = %v, want %v", c.text, got, c.words)
		}
		if got := keys(ts, Concept); !slices.Equal(got, c.concept) {
			t.Errorf("Document(%q) concepts = %v, want %v", c.text, got, c.concept)
		}
		for _, tk := range ts {
			for i := 0; i < len(tk.Key); i++ {
				if tk.Key[i] <= ' ' || tk.Key[i] > '~' {
					t.Fatalf("Document(%q): key %q is not printable ASCII", c.text, tk.Key)
				}
			}
		}
	}
	// A lone Han character is a unigram.
	if got := keys(an.Document("A 区 B"), HanUnigram); !slices.Equal(got, []string{"区"}) {
		t.Errorf("unigrams of a lone character = %v", got)
	}
}

func TestCrossLanguage(t *testing.T) {
	an := NewAnalyzer(testGlossary(t))
	zh, en := an.Query("泵漏油"), an.Query("pump leaking oil")
	if !slices.Equal(zh, en) || !slices.Equal(zh, []string{"c:pump", "c:oil-leak"}) {
		t.Errorf("Query(泵漏油) = %v, Query(pump leaking oil) = %v; want both [c:pump c:oil-leak]", zh, en)
	}
	// Every query token of a text is among its document tokens.
	for _, s := range []string{"泵漏油", "pump leaking oil", "3号萃取槽漏油很严重", "Mixer-settler leaks at stage 4", "漏"} {
		doc := map[string]bool{}
		for _, tk := range an.Document(s) {
			doc[tk.Key] = true
		}
		for _, q := range an.Query(s) {
			if !doc[q] {
				t.Errorf("Query(%q) token %s not among Document(%q) tokens", s, q, s)
			}
		}
	}
}

func TestExtendConflicts(t *testing.T) {
	g := testGlossary(t)
	if err := g.Extend([]Entry{{Concept: "other", EN: []string{"Pumps"}}}); err == nil || !strings.Contains(err.Error(), "pump") {
		t.Errorf("Extend(Pumps as other) = %v, want a conflict with pump (terms match stemmed)", err)
	}
	if err := g.Extend([]Entry{{Concept: "pump", ZH: []string{"水泵"}}}); err != nil {
		t.Errorf("Extend(synonym of a known concept) = %v", err)
	}
	if got := g.Label("pump"); got != "泵 pump" {
		t.Errorf("Label(pump) = %q", got)
	}
	if got := NewAnalyzer(g).Query("水泵"); !slices.Equal(got, []string{"c:pump"}) {
		t.Errorf("Query(水泵) = %v, want [c:pump]", got)
	}
}

func FuzzDocument(f *testing.F) {
	for _, s := range []string{"泵漏油", "Pump leaking oil", "3号萃取槽", "a-b'c", "\x00\xff", "😀泵"} {
		f.Add(s)
	}
	g := NewGlossary()
	_ = g.Extend([]Entry{{Concept: "pump", ZH: []string{"泵"}, EN: []string{"pump"}}, {Concept: "oil-leak", ZH: []string{"漏油"}, EN: []string{"oil leak"}}})
	an := NewAnalyzer(g)
	f.Fuzz(func(t *testing.T, s string) {
		for _, tk := range an.Document(s) {
			if tk.Key == "" || len("search:"+tk.Key) > 200 {
				t.Fatalf("bad key %q", tk.Key)
			}
		}
		_ = an.Query(s)
	})
}
