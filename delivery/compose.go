package delivery

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/plant"
)

// The e-mail's own words, in both languages (a channel's messages stay with
// the channel; see package i18n).
type words struct {
	subject, brief, period, late, reports, previous, critical, openResolved,
	median, votes, themes, theme, noThemes, attached, online, onlineLink, footer string
}

var wordsIn = map[i18n.Lang]words{
	i18n.Zh: {
		subject:      "Floorfeed 简报｜%s｜%s 至 %s｜报告 %d 条，严重 %d 条",
		brief:        "%s 简报",
		period:       "时间段：%s 至 %s（%s）",
		late:         "服务器停机期间错过了计划发送时间：本简报覆盖从上次发送到现在的整个间隔。",
		reports:      "报告 %d 条",
		previous:     "（上期 %d 条%s）",
		critical:     "严重 %d 条",
		openResolved: "未关闭 %d 条，已解决 %d 条",
		median:       "首次回复时间中位数：%s",
		votes:        "“我也遇到”%d 次",
		themes:       "反复出现的问题",
		theme:        "%d 条报告，“我也遇到”%d 次；%s；关键词：%s",
		noThemes:     "本期没有反复出现的问题。",
		attached:     "完整简报见附件 PDF。",
		online:       "在线查看：%s",
		onlineLink:   "在线查看 PDF",
		footer:       "此邮件由 Floorfeed 按计划自动发送。",
	},
	i18n.En: {
		subject:      "Floorfeed brief | %s | %s to %s | %d reports, %d critical",
		brief:        "%s brief",
		period:       "Period: %s to %s (%s)",
		late:         "The scheduled send was missed while the server was down: this brief covers the whole gap since the last one.",
		reports:      "%d reports",
		previous:     " (previous period %d%s)",
		critical:     "%d critical",
		openResolved: "%d open, %d resolved",
		median:       "Median time to first response: %s",
		votes:        "%d “me too” votes",
		themes:       "Recurring themes",
		theme:        "%d reports, %d “me too”; %s; terms: %s",
		noThemes:     "No recurring themes in this period.",
		attached:     "The full brief is attached as a PDF.",
		online:       "Online: %s",
		onlineLink:   "View the PDF online",
		footer:       "Sent on schedule by Floorfeed.",
	},
}

// maxThemes is how many themes the e-mail body lists.
const maxThemes = 5

type composer struct {
	plant   *plant.Plant
	baseURL string
}

func (c composer) pdfName(team plant.Team, spec BriefSpec) string {
	day := spec.To.In(team.Location()).Format("2006-01-02")
	if spec.Lang == i18n.Zh {
		return "Floorfeed简报-" + team.Name.In("zh") + "-" + day + ".pdf"
	}
	return "floorfeed-brief-" + team.ID + "-" + day + ".pdf"
}

// briefBody is what both bodies show.
type briefBody struct {
	Title, Period, Late                     string
	Numbers                                 []string
	ThemesTitle, NoThemes                   string
	Themes                                  []themeLine
	Attached, Online, OnlineURL, OnlineLink string
	Footer, LangTag                         string
}

type themeLine struct{ Title, Detail string }

// brief composes a brief's subject, plain-text and HTML bodies.
func (c composer) brief(team plant.Team, spec BriefSpec, rb RenderedBrief, late bool) (subject, text, html string) {
	w, lang := wordsIn[spec.Lang], spec.Lang.String()
	loc := team.Location()
	from, to := spec.From.In(loc).Format("2006-01-02 15:04"), spec.To.In(loc).Format("2006-01-02 15:04")
	teamName := team.Name.In(lang)
	if teamName == "" {
		teamName = team.ID
	}
	h := rb.Headline
	subject = fmt.Sprintf(w.subject, teamName, spec.From.In(loc).Format("2006-01-02"), spec.To.In(loc).Format("2006-01-02"), h.Reports, h.Critical)

	b := briefBody{Title: fmt.Sprintf(w.brief, teamName), Period: fmt.Sprintf(w.period, from, to, loc.String()),
		ThemesTitle: w.themes, NoThemes: w.noThemes, Attached: w.attached, Footer: w.footer, LangTag: spec.Lang.Tag()}
	if late {
		b.Late = w.late
	}
	reports := fmt.Sprintf(w.reports, h.Reports)
	change := ""
	if h.PreviousReports > 0 {
		change = fmt.Sprintf(", %+d%%", (h.Reports-h.PreviousReports)*100/h.PreviousReports)
		if spec.Lang == i18n.Zh {
			change = fmt.Sprintf("，%+d%%", (h.Reports-h.PreviousReports)*100/h.PreviousReports)
		}
	}
	b.Numbers = []string{reports + fmt.Sprintf(w.previous, h.PreviousReports, change), fmt.Sprintf(w.critical, h.Critical),
		fmt.Sprintf(w.openResolved, h.Open, h.Resolved)}
	if h.MedianResponse > 0 {
		b.Numbers = append(b.Numbers, fmt.Sprintf(w.median, duration(spec.Lang, h.MedianResponse)))
	}
	b.Numbers = append(b.Numbers, fmt.Sprintf(w.votes, h.Votes))
	for i, th := range rb.Themes {
		if i == maxThemes {
			break
		}
		var lines []string
		for _, id := range th.Lines {
			if l, ok := c.plant.Line(id); ok {
				lines = append(lines, l.Name.In(lang))
			} else {
				lines = append(lines, id)
			}
		}
		sep := ", "
		if spec.Lang == i18n.Zh {
			sep = "、"
		}
		b.Themes = append(b.Themes, themeLine{Title: th.Title,
			Detail: fmt.Sprintf(w.theme, th.Reports, th.Votes, strings.Join(lines, sep), strings.Join(th.Terms, sep))})
	}
	if rb.ID != "" && c.baseURL != "" {
		b.OnlineURL = strings.TrimRight(c.baseURL, "/") + "/api/v1/briefs/" + rb.ID + ".pdf"
		b.Online, b.OnlineLink = fmt.Sprintf(w.online, b.OnlineURL), w.onlineLink
	}
	return subject, b.text(), b.html()
}

func (b briefBody) text() string {
	var s strings.Builder
	s.WriteString(b.Title + "\n" + b.Period + "\n")
	if b.Late != "" {
		s.WriteString("\n" + b.Late + "\n")
	}
	s.WriteString("\n")
	for _, n := range b.Numbers {
		s.WriteString("• " + n + "\n")
	}
	s.WriteString("\n" + b.ThemesTitle + "\n")
	if len(b.Themes) == 0 {
		s.WriteString(b.NoThemes + "\n")
	}
	for i, t := range b.Themes {
		fmt.Fprintf(&s, "%d. %s\n   %s\n", i+1, t.Title, t.Detail)
	}
	s.WriteString("\n" + b.Attached + "\n")
	if b.Online != "" {
		s.WriteString(b.Online + "\n")
	}
	s.WriteString("\n-- \n" + b.Footer + "\n")
	return s.String()
}

var briefHTML = template.Must(template.New("brief").Parse(`<!DOCTYPE html>
<html lang="{{.LangTag}}"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family: -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif; color: #1a1a1a; max-width: 640px; overflow-wrap: anywhere">
<h1 style="font-size: 20px">{{.Title}}</h1>
<p style="color: #555">{{.Period}}</p>
{{if .Late}}<p style="background: #fff4d6; padding: 8px">{{.Late}}</p>{{end}}
<ul>{{range .Numbers}}<li>{{.}}</li>{{end}}</ul>
<h2 style="font-size: 16px">{{.ThemesTitle}}</h2>
{{if .Themes}}<ol>{{range .Themes}}<li><strong>{{.Title}}</strong><br><span style="color: #555">{{.Detail}}</span></li>{{end}}</ol>{{else}}<p>{{.NoThemes}}</p>{{end}}
<p>{{.Attached}}{{if .OnlineURL}} <a href="{{.OnlineURL}}">{{.OnlineLink}}</a>{{end}}</p>
<p style="color: #888; font-size: 12px">{{.Footer}}</p>
</body></html>
`))

func (b briefBody) html() string {
	var s bytes.Buffer
	if err := briefHTML.Execute(&s, b); err != nil {
		return "" // the template is fixed and its data plain strings: cannot fail; the text body still goes
	}
	return s.String()
}

// duration formats a response time: minutes under two hours, else hours.
func duration(l i18n.Lang, d time.Duration) string {
	if d < 2*time.Hour {
		m := int(d.Round(time.Minute) / time.Minute)
		if l == i18n.Zh {
			return fmt.Sprintf("%d 分钟", m)
		}
		return fmt.Sprintf("%d min", m)
	}
	h := d.Hours()
	if l == i18n.Zh {
		return fmt.Sprintf("%.1f 小时", h)
	}
	return fmt.Sprintf("%.1f h", h)
}
