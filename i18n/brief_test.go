package i18n_test

import (
	"strings"
	"testing"

	"github.com/floorfeed/floorfeed/i18n"
)

// TestBriefLabels checks the brief's table: every label in both languages,
// translated, with the same format verbs in each.
func TestBriefLabels(t *testing.T) {
	keys := i18n.Keys(i18n.KindBrief)
	if len(keys) < 40 {
		t.Fatalf("Keys(KindBrief) = %d labels, want the brief's headings and labels", len(keys))
	}
	for _, k := range keys {
		zh, _ := i18n.Label(i18n.Zh, i18n.KindBrief, k)
		en, _ := i18n.Label(i18n.En, i18n.KindBrief, k)
		if zh == "" || en == "" || zh == en {
			t.Errorf("brief label %q: zh %q, en %q; want both, translated", k, zh, en)
		}
		for _, verb := range []string{"%d", "%s"} {
			if strings.Count(zh, verb) != strings.Count(en, verb) {
				t.Errorf("brief label %q: zh %q and en %q differ in %s verbs", k, zh, en, verb)
			}
		}
	}
	if got := i18n.Brief(i18n.En, "no.such.label"); got != "no.such.label" {
		t.Errorf("Brief(unknown) = %q, want the key itself", got)
	}
}
