package plant

import (
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"time"
	_ "time/tzdata" // team time zones work on machines without system zoneinfo

	"github.com/floorfeed/floorfeed/cron"
	"github.com/floorfeed/floorfeed/i18n"
)

// DefaultTeamTimezone is the time zone of a team's schedule when it names none.
const DefaultTeamTimezone = "Asia/Shanghai"

// TeamFilter selects the reports of a team's briefs. Empty lists select all.
type TeamFilter struct {
	Lines      []string `yaml:"lines" json:"lines,omitempty"`
	Categories []string `yaml:"categories" json:"categories,omitempty"`
	// MinSeverity keeps reports of that severity or more urgent
	// (low|medium|high|critical; empty: all).
	MinSeverity string `yaml:"min_severity" json:"min_severity,omitempty"`
}

// Webhook kinds.
const (
	WebhookGeneric  = "generic"  // JSON body signed with HMAC-SHA256 (X-Floorfeed-Signature)
	WebhookWeCom    = "wecom"    // WeCom (企业微信) group robot
	WebhookDingTalk = "dingtalk" // DingTalk (钉钉) group robot, signed URL when Secret is set
	WebhookFeishu   = "feishu"   // Feishu/Lark (飞书) group robot, signed body when Secret is set
)

// WebhookKinds lists the webhook kinds.
var WebhookKinds = []string{WebhookGeneric, WebhookWeCom, WebhookDingTalk, WebhookFeishu}

// Webhook is where a team's alerts are posted besides e-mail.
type Webhook struct {
	Kind   string `yaml:"kind"`
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"` // generic: required HMAC key; dingtalk, feishu: the robot's signing secret (optional)
}

var severities = []string{"low", "medium", "high", "critical"}

// teamSchedule is a team's parsed schedule settings.
type teamSchedule struct {
	cron cron.Schedule
	loc  *time.Location
	lang i18n.Lang
}

// Cron returns the team's parsed schedule and whether it has one.
func (t Team) Cron() (cron.Schedule, bool) {
	if t.sched.cron.IsZero() && t.Schedule != "" {
		s, err := cron.Parse(t.Schedule) // a Team not from Parse (tests)
		return s, err == nil
	}
	return t.sched.cron, !t.sched.cron.IsZero()
}

// Location returns the time zone of the team's schedule.
func (t Team) Location() *time.Location {
	if t.sched.loc != nil {
		return t.sched.loc
	}
	loc, err := time.LoadLocation(cmpOr(t.Timezone, DefaultTeamTimezone))
	if err != nil {
		return time.UTC // only for a Team not from Parse: Parse refuses a bad zone
	}
	return loc
}

// Language returns the language of the team's briefs and alerts.
func (t Team) Language() i18n.Lang {
	if l, ok := i18n.Parse(t.Lang); ok {
		return l
	}
	return i18n.Default
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// validateTeams checks every team's delivery settings and keeps the parsed
// schedule, time zone and language with the team.
func (p *Plant) validateTeams() error {
	for i := range p.Teams {
		t := &p.Teams[i]
		where := fmt.Sprintf("teams[%d] (%s)", i, t.ID)
		for _, e := range t.Emails {
			if a, err := mail.ParseAddress(e); err != nil || a.Name != "" {
				return fmt.Errorf("%s: emails: %q is not a plain address like rnd@example.com", where, e)
			}
		}
		for _, l := range t.Filter.Lines {
			if _, ok := p.Line(l); !ok {
				return fmt.Errorf("%s: filter.lines: unknown line %q", where, l)
			}
		}
		for _, c := range t.Filter.Categories {
			if _, ok := p.Category(c); !ok {
				return fmt.Errorf("%s: filter.categories: unknown category %q", where, c)
			}
		}
		if s := t.Filter.MinSeverity; s != "" && !slices.Contains(severities, s) {
			return fmt.Errorf("%s: filter.min_severity: %q is not one of %v", where, s, severities)
		}
		loc, err := time.LoadLocation(cmpOr(t.Timezone, DefaultTeamTimezone))
		if err != nil || t.Timezone == "Local" {
			return fmt.Errorf("%s: timezone: %q is not an IANA time zone like Asia/Shanghai", where, t.Timezone)
		}
		t.sched.loc = loc
		if t.Schedule != "" {
			if t.sched.cron, err = cron.Parse(t.Schedule); err != nil {
				return fmt.Errorf("%s: schedule: %w", where, err)
			}
			if len(t.Emails) == 0 {
				return fmt.Errorf("%s: schedule: a team with a schedule needs emails to send its briefs to", where)
			}
		}
		if t.Lang != "" {
			l, ok := i18n.Parse(t.Lang)
			if !ok || l.String() != t.Lang {
				return fmt.Errorf("%s: lang: %q must be zh or en", where, t.Lang)
			}
		}
		t.sched.lang = t.Language()
		if w := t.Webhook; w != nil {
			if !slices.Contains(WebhookKinds, w.Kind) {
				return fmt.Errorf("%s: webhook.kind: %q is not one of %v", where, w.Kind, WebhookKinds)
			}
			if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return fmt.Errorf("%s: webhook.url: %q must be an absolute http(s) URL", where, w.URL)
			}
			if w.Kind == WebhookGeneric && len(w.Secret) < 16 {
				return fmt.Errorf("%s: webhook.secret: a generic webhook needs a secret of at least 16 bytes to sign its body", where)
			}
		}
	}
	return nil
}
