package demo

import (
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/plant"
)

// TestLastWeekFillsABrief checks that the last week of a default-sized demo
// has what every section of a brief needs: critical reports, researchers'
// notes, votes, and one theme recurring in both languages.
func TestLastWeekFillsABrief(t *testing.T) {
	withCritical := 0 // lines of the sample plant with a critical theme
	for _, l := range plant.Sample().Lines {
		if criticalTheme(withCriticals(l.ID, sampleThemes[l.ID])) >= 0 {
			withCritical++
		}
	}
	if withCritical == 0 {
		t.Fatal("no sample line has a critical theme")
	}
	for seed := int64(1); seed <= 5; seed++ {
		items := Generate(plant.Sample(), 300, now, seed)
		var crit, researchers, votes int
		langs := map[string]map[string]bool{} // line → languages of its critical reports
		for _, it := range items {
			if it.At.Before(now.Add(-7 * 24 * time.Hour)) {
				continue
			}
			if it.Severity == sevCritical {
				crit++
			}
			if it.Role == "researcher" {
				researchers++
			}
			votes += it.Votes
			if langs[it.Line] == nil {
				langs[it.Line] = map[string]bool{}
			}
			langs[it.Line][it.Lang] = true
		}
		bilingual := 0
		for _, ls := range langs {
			if ls["zh"] && ls["en"] {
				bilingual++
			}
		}
		if crit < withCritical || researchers == 0 || votes == 0 || bilingual == 0 {
			t.Errorf("seed %d, last week: %d critical, %d by researchers, %d votes, %d lines with reports in both languages; want >= %d, > 0, > 0, > 0",
				seed, crit, researchers, votes, bilingual, withCritical)
		}
	}
}
