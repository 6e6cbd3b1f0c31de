package handlers

import (
	"encoding/json"
	"strings"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/plant"
	"github.com/floorfeed/floorfeed/store"
)

// phoneMessages are the texts of the phone's script (package static's
// app.js): the outbox, photos, "already reported here" and "my reports".
// The script has no text of its own; the pages hand it these, in both
// languages, with the page's labels (pageDict), so that the language switch
// can change every label without a reload.
func phoneMessages() map[string]text {
	return map[string]text{
		"m.waiting_one":   {"1 份报告等待发送", "1 report waiting to send"},
		"m.waiting_n":     {"%d 份报告等待发送", "%d reports waiting to send"},
		"m.fix_one":       {"1 份报告需要修改", "1 report needs fixing"},
		"m.fix_n":         {"%d 份报告需要修改", "%d reports need fixing"},
		"m.saved":         {"报告已保存在这台手机上，联网后会自动发送。可以继续报告下一个问题。", "Your report is saved on this phone and will be sent as soon as there is a connection. You can report the next issue."},
		"m.sending":       {"正在发送……", "Sending…"},
		"m.state_waiting": {"等待发送", "Waiting to send"},
		"m.state_fix":     {"需要修改", "Needs fixing"},
		"m.fix":           {"修改", "Fix"},
		"m.delete":        {"删除", "Delete"},
		"m.no_title":      {"（无标题）", "(no title)"},
		"m.fix_intro":     {"请修改标出的字段后重新提交。", "Please fix the marked fields and submit again."},
		"m.photos":        {"照片", "Photos"},
		"m.photos_hint":   {"最多 3 张，发送前会在手机上缩小。", "Up to 3; made smaller on the phone before sending."},
		"m.camera":        {"拍照", "Take photo"},
		"m.gallery":       {"从相册选择", "Choose from gallery"},
		"m.photo_n":       {"照片 %d", "Photo %d"},
		"m.remove_photo":  {"删除照片 %d", "Remove photo %d"},
		"m.too_many":      {"最多只能添加 3 张照片。", "At most 3 photos."},
		"m.photo_failed":  {"无法读取这张照片，请换一张。", "This photo could not be read; please try another."},
		"m.open_heading":  {"本产线已报告的问题", "Already reported here"},
		"m.open_intro":    {"如果是同一个问题，点“我也遇到”即可，不必重复报告。", "If it is the same issue, press “Me too” instead of reporting it again."},
		"m.metoo":         {"我也遇到", "Me too"},
		"m.metoo_done":    {"已确认", "Confirmed"},
		"m.votes":         {"%d 人遇到", "%d affected"},
		"m.ago_min":       {"%d 分钟前", "%d min ago"},
		"m.ago_hour":      {"%d 小时前", "%d h ago"},
		"m.ago_day":       {"%d 天前", "%d days ago"},
		"m.my_heading":    {"我的报告", "My reports"},
		"m.my_intro":      {"这台手机提交过的报告和它们现在的状态，无需账号。", "Reports sent from this phone and where they stand now; no account needed."},
		"m.my_empty":      {"这台手机还没有提交过报告。", "No reports sent from this phone yet."},
		"m.my_nojs":       {"“我的报告”需要启用 JavaScript。每份报告提交后的页面链接仍可随时查看进度。", "My reports needs JavaScript. The page shown after each report still shows its status."},
		"m.my_offline":    {"暂时无法联网：显示的是上次查到的状态。", "No connection: showing the last status seen."},
		"m.my_link":       {"我的报告", "My reports"},
		"m.net_error":     {"网络不通，报告已保存在手机上，稍后自动重试。", "No connection: the report is saved on the phone and will be retried."},
		"m.busy":          {"服务器繁忙，报告已保存在手机上，稍后自动重试。", "The server is busy: the report is saved on the phone and will be retried."},
		"m.unknown_error": {"服务器拒绝了这份报告（HTTP %d）。", "The server refused this report (HTTP %d)."},
		"m.sent":          {"已发送", "Sent"},
		"m.status_link":   {"查看进度", "View status"},
	}
}

// dictKeys are the catalog keys the phone's script gets besides its own
// messages (m.*): the labels of the form.
var dictKeys = [...]string{
	"form.heading", "form.intro", "form.optional", "form.submit", "form.privacy", "form.switch",
	"form.title_hint", "form.body_hint", "field.title", "field.category", "field.severity",
	"field.station", "field.body", "field.role", "field.reporter", "field.contact",
}

// pageDict is the JSON that a page hands its script (data-i18n): every label
// the script may show or switch, in both languages — the interface
// messages (dictKeys, m.*), the domain labels (severities, roles, statuses) and the plant's
// names (categories, lines). Keys of domain labels: "sev.<v>",
// "sevhint.<v>", "role.<v>", "st.<status>", "cat.<id>", "line.<id>",
// plus "plant.name" and "title" (the document title, per language).
func (s *Server) pageDict(title func(i18n.Lang) string) string {
	out := map[string]map[string]string{}
	for _, l := range []i18n.Lang{i18n.Zh, i18n.En} {
		code := l.String()
		m := map[string]string{}
		for key := range s.text {
			if strings.HasPrefix(key, "m.") {
				m[key], _ = s.text.lookup(l, key)
			}
		}
		for _, key := range dictKeys {
			m[key], _ = s.text.lookup(l, key)
		}
		for _, sev := range store.Severities {
			m["sev."+string(sev)] = i18n.Severity(l, sev)
			if h := i18n.SeverityHint(l, sev); h != "" {
				m["sevhint."+string(sev)] = h
			}
		}
		for _, r := range store.Roles {
			m["role."+string(r)] = i18n.Role(l, r)
		}
		for _, st := range i18n.Keys(i18n.KindStatus) {
			m["st."+st] = i18n.Status(l, st)
		}
		for _, c := range s.plant.Categories {
			m["cat."+c.ID] = c.Name.In(code)
		}
		for _, line := range s.plant.Lines {
			m["line."+line.ID] = line.Name.In(code)
		}
		m["plant.name"] = s.plant.Name.In(code)
		if title != nil {
			m["title"] = title(l)
		}
		out[code] = m
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "{}" // maps of strings always marshal
	}
	return string(b)
}

// formTitle is the form page's document title in l.
func (s *Server) formTitle(line plant.Line) func(i18n.Lang) string {
	return func(l i18n.Lang) string {
		return s.text.msg(l, "form.heading") + " · " + line.Name.In(l.String()) + " · Floorfeed"
	}
}
