package dashboard

import (
	"fmt"

	"github.com/floorfeed/floorfeed/i18n"
	"github.com/floorfeed/floorfeed/store"
)

// The dashboard's own words (page chrome, its messages). Domain labels —
// statuses, severities, roles, history actions — come from package i18n;
// lines, categories and teams are named by the plant.

type text struct{ zh, en string }

// tr returns the message for key in lang ("zh", "en"), formatted with args
// when there are any; the key itself when there is none.
func tr(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m.zh
	if lang == "en" {
		s = m.en
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func statusLabel(lang string, s store.Status) string     { return i18n.Status(langOf(lang), s) }
func severityLabel(lang string, s store.Severity) string { return i18n.Severity(langOf(lang), s) }

// messages is read-only after initialisation.
var messages = map[string]text{
	"app":           {"Floorfeed 研发看板", "Floorfeed R&D"},
	"nav.inbox":     {"收件箱", "Inbox"},
	"nav.overview":  {"概览", "Overview"},
	"nav.briefs":    {"简报", "Briefs"},
	"nav.plant":     {"工厂设置", "Plant"},
	"nav.ops":       {"运行状态", "Operations"},
	"nav.main":      {"主导航", "Main"},
	"nav.signed_in": {"已登录：", "Signed in as "},
	"nav.users":     {"用户", "Users"},
	"nav.tokens":    {"API 令牌", "API tokens"},
	"nav.audit":     {"审计日志", "Audit log"},
	"nav.signout":   {"退出登录", "Sign out"},
	"switch":        {"English", "中文"},

	"field.line":     {"产线", "Line"},
	"field.category": {"类别", "Category"},
	"field.severity": {"严重程度", "Severity"},
	"field.status":   {"状态", "Status"},
	"field.team":     {"负责团队", "Team"},
	"field.reply":    {"给报告人的回复", "Reply to the reporter"},
	"field.note":     {"内部备注", "Internal note"},
	"field.from":     {"起始日期", "From"},
	"field.to":       {"截止日期", "To"},
	"field.q":        {"搜索（中文或英文）", "Search (Chinese or English)"},
	"field.title":    {"标题", "Title"},
	"field.body":     {"详细描述", "Details"},
	"field.station":  {"工位", "Station"},
	"field.reporter": {"报告人", "Reporter"},
	"field.role":     {"身份", "Role"},
	"field.contact":  {"联系方式", "Contact"},
	"field.code":     {"编号", "Code"},
	"field.created":  {"提交时间", "Submitted"},
	"field.updated":  {"更新时间", "Updated"},
	"field.votes":    {"附议", "Me too"},
	"field.lang":     {"语言", "Language"},
	"field.into":     {"合并到的报告（报告页链接或 ID）", "Merge into report (its page link or id)"},

	"code.required": {"必填", "required"},
	"code.too_long": {"过长", "too long"},
	"code.invalid":  {"无效", "not valid"},
	"code.unknown":  {"不存在", "unknown"},

	"any":         {"全部", "Any"},
	"status.open": {"未完成", "Open"},
	"team.none":   {"未分派", "Unassigned"},

	"inbox.filter":      {"筛选", "Filter"},
	"inbox.apply":       {"应用筛选", "Apply"},
	"inbox.clear":       {"清除筛选", "Clear filters"},
	"inbox.counts":      {"分类计数", "Counts"},
	"inbox.show_counts": {"显示分类计数", "Show the counts"},
	"inbox.counted":     {"共 %s 条", "%s reports"},
	"inbox.capped":      {"计数基于最新的 %s 条", "counts of the newest %s"},
	"inbox.none":        {"没有符合条件的报告。", "No reports match."},
	"inbox.next":        {"下一页", "Next page"},
	"inbox.first":       {"回到第一页", "First page"},
	"inbox.export":      {"导出", "Export"},
	"inbox.keys":        {"键盘：j/k 上下移动，Enter 打开，s 修改状态。", "Keys: j/k move, Enter opens, s changes the status."},
	"inbox.set":         {"更改", "Set"},
	"inbox.results":     {"报告列表", "Reports"},
	"inbox.no_index":    {"搜索索引尚未启用：在最新的报告中逐条查找。", "No search index yet: searched the reports one by one."},
	"inbox.status_of":   {"%s 的状态", "Status of %s"},

	"report.fields":       {"报告内容", "Report"},
	"report.photos":       {"照片", "Photos"},
	"report.photo":        {"照片 %d", "Photo %d"},
	"report.history":      {"处理记录", "History"},
	"report.internal":     {"内部", "internal"},
	"report.similar":      {"相似报告", "Similar reports"},
	"report.no_similar":   {"相似报告功能尚未启用。", "Similar reports are not available yet."},
	"report.none_similar": {"没有找到相似报告。", "No similar reports found."},
	"report.triage":       {"处理", "Triage"},
	"report.save":         {"保存", "Save"},
	"report.saved":        {"已保存。", "Saved."},
	"report.merged":       {"已合并重复报告。", "The duplicate was merged into this report."},
	"report.merge":        {"合并为重复报告", "Merge as duplicate"},
	"report.merge_btn":    {"合并到该报告", "Merge into that report"},
	"report.merge_hint":   {"本报告将标为重复，附议数和报告人转入目标报告。", "This report becomes a duplicate; its votes and reporter move to the other one."},
	"report.reply_hint":   {"报告人可在其进度页看到此回复。", "The reporter sees this on their status page."},
	"report.note_hint":    {"仅研发可见，报告人看不到。", "Only R&D sees this; never the reporter."},
	"report.readonly":     {"您的账号为只读。", "Your account is read-only."},
	"report.back":         {"返回收件箱", "Back to the inbox"},
	"report.score":        {"相似度 %d%%", "%d%% similar"},

	"ov.period":   {"统计区间", "Period"},
	"ov.show":     {"查看", "Show"},
	"ov.total":    {"报告总数", "Reports"},
	"ov.critical": {"紧急", "Critical"},
	"ov.change":   {"较上期", "vs previous period"},
	"ov.open":     {"未完成", "Open"},
	"ov.resolved": {"已解决", "Resolved"},
	"ov.response": {"首次响应（中位数）", "First response (median)"},
	"ov.per_day":  {"每日报告数（按严重程度）", "Reports per day, by severity"},
	"ov.by_cat":   {"按类别", "By category"},
	"ov.by_line":  {"按产线", "By line"},
	"ov.capped":   {"报告过多，仅统计最新的部分。", "Too many reports: only the newest were counted."},
	"ov.none":     {"—", "—"},

	"dur.minutes": {"%d 分钟", "%d min"},
	"dur.hours":   {"%.1f 小时", "%.1f h"},
	"dur.days":    {"%.1f 天", "%.1f days"},

	"briefs.make":        {"立即生成简报", "Make a brief now"},
	"briefs.team":        {"团队", "Team"},
	"briefs.all_teams":   {"全厂", "Whole plant"},
	"briefs.lang":        {"简报语言", "Brief language"},
	"briefs.submit":      {"生成", "Make"},
	"briefs.history":     {"已生成和发送的简报", "Briefs made and sent"},
	"briefs.none":        {"还没有简报。", "No briefs yet."},
	"briefs.unavailable": {"简报功能尚未启用。", "Briefs are not available yet."},
	"briefs.made":        {"简报已生成。", "The brief was made."},
	"briefs.download":    {"下载 PDF", "Download PDF"},
	"briefs.period":      {"区间", "Period"},
	"briefs.by":          {"发起", "By"},
	"briefs.deliveries":  {"发送结果", "Deliveries"},
	"briefs.ok":          {"已送达", "sent"},
	"briefs.failed":      {"失败", "failed"},
	"briefs.created":     {"生成时间", "Made"},

	"plant.structure":  {"产线与工位", "Lines and stations"},
	"plant.teams":      {"研发团队", "R&D teams"},
	"plant.categories": {"报告类别", "Categories"},
	"plant.edit":       {"编辑工厂文件", "Edit the plant file"},
	"plant.edit_hint":  {"格式与 floorfeed.yaml 相同。保存后立即对所有实例生效；工厂文件只用于首次启动。", "Same format as floorfeed.yaml. A save applies to every instance at once; the plant file only seeds the first start."},
	"plant.save":       {"保存", "Save"},
	"plant.saved":      {"工厂设置已保存。", "Plant settings saved."},
	"plant.readonly":   {"工厂设置为只读。", "The plant settings are read-only here."},
	"plant.admin_only": {"只有管理员可以修改工厂设置。", "Only administrators can change the plant settings."},
	"plant.too_large":  {"内容过大。", "Too large."},
	"plant.invalid":    {"工厂文件有误：", "The plant file is not valid:"},
	"plant.conflict":   {"保存前已有他人修改了工厂设置，请重新载入后再改。", "Someone else saved the plant settings meanwhile; reload and edit again."},
	"plant.version":    {"版本 %d", "Version %d"},
	"plant.saved_by":   {"最近保存：%s，%s", "Last saved by %s at %s"},
	"plant.qr":         {"下载二维码打印页（PDF）", "Download the QR sheet (PDF)"},
	"plant.download":   {"下载工厂文件", "Download the plant file"},
	"plant.id":         {"ID", "Id"},
	"plant.name":       {"名称", "Name"},
	"plant.stations":   {"工位", "Stations"},
	"plant.emails":     {"邮箱", "E-mail"},

	"ops.queues":    {"队列", "Queues"},
	"ops.queue":     {"队列", "Queue"},
	"ops.ready":     {"等待", "Ready"},
	"ops.inflight":  {"处理中", "In flight"},
	"ops.dead":      {"失败", "Dead"},
	"ops.dead_jobs": {"失败的任务", "Dead-lettered jobs"},
	"ops.none":      {"没有失败的任务。", "No dead-lettered jobs."},
	"ops.job":       {"任务", "Job"},
	"ops.type":      {"类型", "Type"},
	"ops.attempts":  {"尝试次数", "Attempts"},
	"ops.error":     {"最后错误", "Last error"},
	"ops.at":        {"时间", "At"},
	"ops.retry":     {"重试", "Retry"},
	"ops.retried":   {"已重新排队：", "Queued again:"},
	"ops.unknown":   {"无法读取", "unavailable"},

	"err.title":         {"出错了", "Something went wrong"},
	"err.signin":        {"请先登录。", "Please sign in."},
	"err.unavailable":   {"服务暂时不可用，请稍后重试。", "The service is temporarily unavailable. Please try again shortly."},
	"err.csrf":          {"表单已过期，请返回后重新提交。", "This form has expired. Go back, reload the page and try again."},
	"err.not_found":     {"未找到。", "Not found."},
	"err.forbidden":     {"您的账号无权进行此操作。", "Your account may not do this."},
	"err.filter":        {"筛选条件有误：", "The filter is not valid:"},
	"err.fields":        {"提交的内容有误。", "Some fields need attention."},
	"err.merge_target":  {"请填写要合并到的报告。", "Name the report to merge into."},
	"err.merge_self":    {"报告不能合并到自身。", "A report cannot be merged into itself."},
	"err.merge_chain":   {"目标报告本身是重复报告，请合并到它所指向的报告。", "That report is a duplicate itself: merge into the one it points to."},
	"err.merge_already": {"该报告已合并到另一份报告。", "This report was already merged into another report."},
	"err.actor":         {"您的账号名称不能用于记录修改。", "Your account name cannot be used for changes."},
	"err.date":          {"日期格式应为 YYYY-MM-DD。", "Dates are YYYY-MM-DD."},
	"err.period":        {"区间无效（最长一年）。", "The period is not valid (at most a year)."},
	"err.back":          {"返回收件箱", "Back to the inbox"},
}
