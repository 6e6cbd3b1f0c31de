package i18n_test

import (
	"testing"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

// TestCatalogCoversStore checks that every value the store defines has a
// label in both languages, so no page, brief or e-mail shows a raw key.
func TestCatalogCoversStore(t *testing.T) {
	var want []struct {
		kind i18n.Kind
		key  string
	}
	add := func(k i18n.Kind, keys ...string) {
		for _, key := range keys {
			want = append(want, struct {
				kind i18n.Kind
				key  string
			}{k, key})
		}
	}
	for _, s := range store.Statuses {
		add(i18n.KindStatus, string(s))
	}
	for _, s := range store.Severities {
		add(i18n.KindSeverity, string(s))
	}
	for _, r := range store.Roles {
		add(i18n.KindRole, string(r))
	}
	add(i18n.KindAction, store.ActionCreated, store.ActionProcessed, store.ActionStatus,
		store.ActionTeam, store.ActionReply, store.ActionNote)
	add(i18n.KindActor, "reporter", "system", "R&D")
	add(i18n.KindSeverityHint, string(store.SeverityCritical))

	for _, w := range want {
		for _, l := range i18n.All() {
			if s, ok := i18n.Label(l, w.kind, w.key); !ok || s == "" {
				t.Errorf("Label(%v, %s, %q) = %q, %v; want a label", l, w.kind, w.key, s, ok)
			}
		}
		zh, _ := i18n.Label(i18n.Zh, w.kind, w.key)
		en, _ := i18n.Label(i18n.En, w.kind, w.key)
		if zh == en {
			t.Errorf("%s %q: zh and en labels are both %q; want a translation", w.kind, w.key, zh)
		}
	}
}

// TestCatalogHasNoStrays checks the other direction: every status,
// severity and role the catalog labels is one the store knows.
func TestCatalogHasNoStrays(t *testing.T) {
	known := map[i18n.Kind]map[string]bool{i18n.KindStatus: {}, i18n.KindSeverity: {}, i18n.KindSeverityHint: {}, i18n.KindRole: {}}
	for _, s := range store.Statuses {
		known[i18n.KindStatus][string(s)] = true
	}
	for _, s := range store.Severities {
		known[i18n.KindSeverity][string(s)] = true
		known[i18n.KindSeverityHint][string(s)] = true
	}
	for _, r := range store.Roles {
		known[i18n.KindRole][string(r)] = true
	}
	for kind, keys := range known {
		for _, k := range i18n.Keys(kind) {
			if !keys[k] {
				t.Errorf("catalog %s has %q, which the store does not define", kind, k)
			}
		}
	}
}

// TestCategoriesNamedInBothLanguages checks the categories a plant gets
// without listing its own, and the sample plant's: they are plant data, not
// catalog entries, but must be as bilingual as the catalog.
func TestCategoriesNamedInBothLanguages(t *testing.T) {
	lists := map[string][]plant.Category{"plant.DefaultCategories": plant.DefaultCategories, "plant.Sample()": plant.Sample().Categories}
	for name, cats := range lists {
		for _, c := range cats {
			if c.Name.ZH == "" || c.Name.EN == "" {
				t.Errorf("%s: category %q has name %+v, want zh and en", name, c.ID, c.Name)
			}
		}
	}
}

func TestLabelHelpers(t *testing.T) {
	tests := []struct{ call, got, want string }{
		{"Status(Zh, in_progress)", i18n.Status(i18n.Zh, store.StatusInProgress), "处理中"},
		{"Status(En, triaged)", i18n.Status(i18n.En, "triaged"), "Triaged"},
		{"Status(En, unknown)", i18n.Status(i18n.En, "bogus"), "bogus"},
		{"Severity(Zh, critical)", i18n.Severity(i18n.Zh, store.SeverityCritical), "紧急"},
		{"SeverityHint(Zh, critical)", i18n.SeverityHint(i18n.Zh, store.SeverityCritical), "产线停止或有人身危险"},
		{"SeverityHint(En, critical)", i18n.SeverityHint(i18n.En, store.SeverityCritical), "line stopped or someone at risk"},
		{"SeverityHint(En, low)", i18n.SeverityHint(i18n.En, store.SeverityLow), ""},
		{"Role(En, researcher)", i18n.Role(i18n.En, store.RoleResearcher), "Researcher"},
		{"Action(Zh, note)", i18n.Action(i18n.Zh, store.ActionNote), "备注"},
		{"Action(En, team)", i18n.Action(i18n.En, store.ActionTeam), "Assigned to team"},
		{"Actor(Zh, R&D)", i18n.Actor(i18n.Zh, "R&D"), "研发"},
		{"Actor(En, alice)", i18n.Actor(i18n.En, "alice"), "alice"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.call, tc.got, tc.want)
		}
	}
	if got := i18n.Keys("nope"); got != nil {
		t.Errorf("Keys(nope) = %v, want nil", got)
	}
}
