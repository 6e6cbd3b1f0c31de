package plant

import (
	"strings"
	"testing"
	"time"

	"github.com/floorfeed/floorfeed/i18n"
)

func TestTeamSettings(t *testing.T) {
	const base = "lines: [{id: a, name: {en: A}, team: t}]\ncategories: [{id: q}]\nteams:\n  - "
	for _, tc := range []struct{ name, team, wantErr string }{
		{"minimal", "{id: t}", ""},
		{"full", `{id: t, emails: [a@example.com], schedule: "0 8 * * 1", timezone: Europe/Berlin, lang: en,
     filter: {lines: [a], categories: [q], min_severity: high},
     webhook: {kind: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=x", secret: SECabc}}`, ""},
		{"bad cron", `{id: t, emails: [a@example.com], schedule: "0 25 * * *"}`, "schedule: cron"},
		{"schedule without emails", `{id: t, schedule: "0 8 * * 1"}`, "needs emails"},
		{"bad zone", `{id: t, timezone: Mars/Olympus}`, "timezone"},
		{"bad lang", `{id: t, lang: fr}`, "lang"},
		{"bad email", `{id: t, emails: ["Bob <b@example.com>"]}`, "emails"},
		{"unknown filter line", `{id: t, filter: {lines: [zz]}}`, `unknown line "zz"`},
		{"unknown filter category", `{id: t, filter: {categories: [zz]}}`, `unknown category "zz"`},
		{"bad min severity", `{id: t, filter: {min_severity: urgent}}`, "min_severity"},
		{"unknown filter key", `{id: t, filter: {line: [a]}}`, "field line not found"},
		{"bad webhook kind", `{id: t, webhook: {kind: slack, url: "https://x.example"}}`, "webhook.kind"},
		{"bad webhook url", `{id: t, webhook: {kind: wecom, url: "ftp://x"}}`, "webhook.url"},
		{"generic webhook needs a secret", `{id: t, webhook: {kind: generic, url: "https://x.example/hook"}}`, "webhook.secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(base + tc.team))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse = %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Parse = %v, %v; want an error containing %q", p, err, tc.wantErr)
			}
		})
	}
}

func TestTeamScheduleDefaults(t *testing.T) {
	p, err := Parse([]byte("lines: [{id: a, name: {en: A}}]\nteams: [{id: t, emails: [a@example.com], schedule: \"0 8 * * 1\"}, {id: u, timezone: UTC, lang: en}]"))
	if err != nil {
		t.Fatal(err)
	}
	team, _ := p.Team("t")
	if got := team.Location().String(); got != DefaultTeamTimezone {
		t.Errorf("default zone = %s, want %s", got, DefaultTeamTimezone)
	}
	if team.Language() != i18n.Zh {
		t.Errorf("default lang = %s, want zh", team.Language())
	}
	s, ok := team.Cron()
	if !ok {
		t.Fatal("Cron() = false, want the parsed schedule")
	}
	next := s.Next(time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC), team.Location())
	if want := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC); !next.Equal(want) { // 08:00 Shanghai = 00:00 UTC
		t.Errorf("next slot = %s, want %s", next, want)
	}
	u, _ := p.Team("u")
	if _, ok := u.Cron(); ok || u.Language() != i18n.En || u.Location() != time.UTC {
		t.Errorf("team u: cron %v, lang %s, zone %s; want none, en, UTC", ok, u.Language(), u.Location())
	}
}

func TestSampleTeamsHaveSchedules(t *testing.T) {
	for _, team := range Sample().Teams {
		if _, ok := team.Cron(); !ok {
			t.Errorf("sample team %s has no schedule", team.ID)
		}
	}
}
