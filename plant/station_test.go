package plant

import (
	"strings"
	"testing"
)

func parseLine(t *testing.T, stations string) (*Plant, error) {
	t.Helper()
	return Parse([]byte("lines:\n  - id: l1\n    name: {zh: 一线, en: Line 1}\n    stations:\n" + stations))
}

func TestStations(t *testing.T) {
	p, err := parseLine(t, `      - 皂化
      - {name: {zh: 混合澄清槽 A, en: Mixer-settler A}}
      - {id: strip, name: {zh: 反萃, en: Stripping}}
      - name: {en: Packing}
`)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []Station{
		{ID: "皂化", Name: Name{ZH: "皂化", EN: "皂化"}},
		{ID: "混合澄清槽 A", Name: Name{ZH: "混合澄清槽 A", EN: "Mixer-settler A"}},
		{ID: "strip", Name: Name{ZH: "反萃", EN: "Stripping"}},
		{ID: "Packing", Name: Name{EN: "Packing"}},
	}
	got := p.Lines[0].Stations
	if len(got) != len(want) {
		t.Fatalf("stations = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stations[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if st, ok := p.Lines[0].Station("strip"); !ok || st.Name.In("en") != "Stripping" || st.Name.In("zh") != "反萃" {
		t.Errorf("Station(strip) = %+v, %v", st, ok)
	}
	// The old one-line list form still works.
	p, err = Parse([]byte("lines:\n  - id: l1\n    name: {zh: 一线}\n    stations: [a, b]\n"))
	if err != nil || len(p.Lines[0].Stations) != 2 || p.Lines[0].StationIDs()[1] != "b" {
		t.Errorf("plain list: %+v, %v", p, err)
	}
}

func TestStationsStrict(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"      - {nmae: {zh: 皂化}}\n", "nmae"},
		{"      - {name: {zh: 皂化, fr: Saponification}}\n", "fr"},
		{"      - {id: x, name: {zh: 甲}}\n      - {id: x, name: {zh: 乙}}\n", "duplicate station"},
		{"      - {name: {}}\n", "needs a name"},
		{"      - [a, b]\n", "a station is"},
		{"      - \"" + strings.Repeat("长", 101) + "\"\n", "longer than"},
	} {
		if _, err := parseLine(t, tt.yaml); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error about %q", tt.yaml, err, tt.want)
		}
	}
}

// Every sample station has both names, and its id is its zh name (what
// reports stored before stations had two names).
func TestSampleStationsBilingual(t *testing.T) {
	for _, l := range Sample().Lines {
		for _, s := range l.Stations {
			if s.Name.ZH == "" || s.Name.EN == "" || s.ID != s.Name.ZH {
				t.Errorf("line %s station %+v: want zh and en names, id = zh name", l.ID, s)
			}
		}
	}
}
