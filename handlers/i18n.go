package handlers

import (
	"fmt"
	"maps"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/store"
	"github.com/floorfeed/floorfeed/triage"
)

// The language plumbing (the Lang type, Accept-Language negotiation) and
// the domain labels (statuses, severities, roles, history actions, actors)
// are package i18n's, shared with briefs and e-mails. This file keeps only
// the HTTP layer's own messages: field names, error texts, page chrome.

// otherLang is the second language shown under the first on bilingual
// pages, as a code ("zh", "en") for the page templates.
func otherLang(lang string) string {
	l, _ := i18n.Parse(lang)
	return l.Other().String()
}

// langOf is the language to answer c in: the one the request itself asked
// for (the report's lang field, a page's ?lang=), else Accept-Language,
// else the language cookie, else i18n.ClientFallback.
func (s *Server) langOf(c echo.Context) i18n.Lang {
	if l, ok := c.Get(ctxLang).(i18n.Lang); ok {
		return l
	}
	if l, ok := cookieLang(c); ok { // the reporter's earlier choice (mobile.go)
		return l
	}
	return i18n.Negotiate("", c.Request().Header.Get("Accept-Language"))
}

// setLang records an explicit language choice (a zh or en tag; others are
// ignored, leaving Accept-Language to decide).
func setLang(c echo.Context, lang string) {
	if l, ok := i18n.Parse(lang); ok {
		c.Set(ctxLang, l)
	}
}

// text is one message in both languages.
type text struct{ zh, en string }

// catalog holds the interface's messages. It is built once per Server and
// only read afterwards.
type catalog map[string]text

// lookup returns the message for key in lang.
func (cat catalog) lookup(lang i18n.Lang, key string) (string, bool) {
	m, ok := cat[key]
	if !ok {
		return "", false
	}
	if lang == i18n.En {
		return m.en, true
	}
	return m.zh, true
}

// msg returns the message for key in lang, formatted with args; the key
// itself when there is no such message (visible in tests, harmless live).
func (cat catalog) msg(lang i18n.Lang, key string, args ...any) string {
	m, ok := cat.lookup(lang, key)
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

// t is msg for the page templates, which carry the language as its code
// ("zh", "en").
func (cat catalog) t(lang, key string, args ...any) string {
	l, _ := i18n.Parse(lang)
	return cat.msg(l, key, args...)
}

// fieldMessage turns a field problem code into a sentence, e.g.
// (i18n.Zh, "title", "required") → "标题为必填项".
func (cat catalog) fieldMessage(lang i18n.Lang, field, code string) string {
	label := cat.msg(lang, "field."+field)
	if _, ok := cat["field."+field]; !ok {
		label = field
	}
	switch code {
	case store.CodeTooLong:
		if n := fieldMax(field); n > 0 {
			return cat.msg(lang, "fieldcode.too_long_n", label, n)
		}
	case store.CodeRequired, store.CodeInvalid, store.CodeUnknown, fieldCodeType, fieldCodeNotAllowed, fieldCodeNotAParameter:
	default:
		code = store.CodeInvalid
	}
	return cat.msg(lang, "fieldcode."+code, label)
}

// fieldMax is the length limit of a field in characters, 0 if none is known.
func fieldMax(field string) int {
	switch field {
	case "title":
		return store.MaxTitle
	case "body":
		return store.MaxBody
	case "line", "station", "category", "reporter":
		return store.MaxShort
	case "contact":
		return store.MaxContact
	case "lang":
		return store.MaxLangCode
	case "idempotency_key":
		return store.MaxIdemKey
	case "cursor":
		return maxCursorLen
	case "reply":
		return triage.MaxReply
	case "note":
		return triage.MaxNote
	}
	return 0
}

// newCatalog builds the message catalog.
func newCatalog() catalog {
	cat := catalog{
		// Field labels.
		"field.line":            {"产线", "Line"},
		"field.token":           {"二维码令牌", "QR token"},
		"field.category":        {"类别", "Category"},
		"field.severity":        {"严重程度", "Severity"},
		"field.min_severity":    {"最低严重程度", "Minimum severity"},
		"field.title":           {"标题", "Title"},
		"field.body":            {"详细描述", "Details"},
		"field.station":         {"工位", "Station"},
		"field.role":            {"身份", "Role"},
		"field.reporter":        {"姓名", "Name"},
		"field.contact":         {"联系方式", "Contact"},
		"field.lang":            {"语言", "Language"},
		"field.idempotency_key": {"提交编号", "Idempotency key"},
		"field.from":            {"起始时间", "From"},
		"field.to":              {"截止时间", "To"},
		"field.limit":           {"每页数量", "Limit"},
		"field.status":          {"状态", "Status"},
		"field.cursor":          {"分页游标", "Cursor"},
		"field.q":               {"搜索", "Search"},
		"field.team":            {"团队", "Team"},
		"field.reply":           {"回复", "Reply"},
		"field.note":            {"备注", "Note"},

		// Field problems; %s is the label.
		"fieldcode.required":               {"%s为必填项", "%s is required"},
		"fieldcode.too_long_n":             {"%s过长（最多 %d 个字符）", "%s is too long (at most %d characters)"},
		"fieldcode.too_long":               {"%s过长", "%s is too long"},
		"fieldcode.invalid":                {"%s无效", "%s is not valid"},
		"fieldcode.unknown":                {"%s不存在", "%s does not exist"},
		"fieldcode." + fieldCodeType:       {"%s的类型错误（应为文本）", "%s has the wrong type (expected text)"},
		"fieldcode." + fieldCodeNotAllowed: {"%s不能在此修改", "%s cannot be changed here"},

		// Error messages by code.
		"form.already_sent":               {"这份表单已经提交过（内容与现在不同）。如果要把现在的内容作为一份新报告提交，请再点一次提交。", "This form was already sent, with other content. To send what you see now as a new report, press Submit report again."},
		"err." + codeValidation:           {"提交的内容有误，请检查标出的字段。", "Some fields need attention."},
		"err." + codeBadRequest:           {"无法读取请求内容。", "The request could not be read."},
		"err." + codeBadToken:             {"二维码链接无效，请重新扫描产线上张贴的二维码。", "This QR link is not valid. Please scan the code posted at the line again."},
		"err." + codeUnauthorized:         {"需要有效的访问令牌。", "A valid access token is required."},
		"err." + codeForbidden:            {"无权访问。", "Access denied."},
		"err." + codeNotFound:             {"未找到该页面或记录。", "Not found."},
		"err." + codeMethodNotAllowed:     {"不支持该请求方法。", "Method not allowed."},
		"err." + codeTooLarge:             {"提交的内容过大。", "The submission is too large."},
		"err." + codeUnsupportedMediaType: {"不支持的内容类型，请以 JSON 或表单提交。", "Unsupported content type: send JSON or a form."},
		"err." + codeIdempotencyMismatch:  {"该提交编号已用于另一份内容不同的报告。", "This idempotency key was already used for a different report."},
		"err." + codeRateLimited:          {"提交过于频繁，请 %d 秒后重试。", "Too many submissions. Please try again in %d seconds."},
		"err." + codeUnavailable:          {"服务暂时不可用，您的报告尚未保存，请稍后重试。", "The service is temporarily unavailable and your report has not been saved yet. Please try again shortly."},
		"err.unavailable_read":            {"服务暂时不可用，请稍后重试。", "The service is temporarily unavailable. Please try again shortly."},
		"err." + codeInternal:             {"服务器内部错误。", "Internal server error."},

		// Pages.
		"page.error":       {"出错了", "Something went wrong"},
		"page.back":        {"请用浏览器的返回键回到表单，已填写的内容仍在。", "Use your browser's Back button to return to the form; what you typed is still there."},
		"page.request_id":  {"请求编号", "Request id"},
		"form.heading":     {"报告问题", "Report an issue"},
		"form.intro":       {"发现生产问题或改进点？一分钟内告诉研发团队。", "Noticed a production issue or an improvement? Tell R&D in under a minute."},
		"form.choose":      {"请选择", "Choose"},
		"form.optional":    {"（选填）", "(optional)"},
		"form.submit":      {"提交报告", "Submit report"},
		"form.privacy":     {"姓名和联系方式只有研发团队可见。", "Your name and contact are only visible to R&D."},
		"form.switch":      {"English", "中文"},
		"form.title_hint":  {"一句话说明问题", "The issue in one sentence"},
		"form.body_hint":   {"现象、时间、批号、已采取的措施……", "What you saw, when, batch number, what was done…"},
		"status.heading":   {"报告进度", "Report status"},
		"status.code":      {"报告编号", "Report code"},
		"status.line":      {"产线", "Line"},
		"status.submitted": {"提交时间", "Submitted"},
		"status.updated":   {"更新时间", "Updated"},
		"status.status":    {"当前状态", "Status"},
		"status.reply":     {"研发回复", "Reply from R&D"},
		"status.no_reply":  {"暂无回复。", "No reply yet."},
		"status.history":   {"处理记录", "History"},
		"status.bookmark":  {"请保存此页面链接，以便随时查看进度：", "Bookmark this page to check on your report:"},
		"status.thanks":    {"感谢您的报告！", "Thank you for your report!"},
	}
	for k, v := range accountTexts {
		cat[k] = v
	}
	maps.Copy(cat, phoneMessages())
	return cat
}
