package i18n

// KindBrief: the headings and labels of a PDF brief and of the summary that
// goes with it ("brief.title", "section.themes", "col.status", …).
const KindBrief Kind = "brief"

// briefLabels is the brief's table of the catalog. Keys are dotted names
// chosen by package brief; values with %d or %s are formats.
var briefLabels = map[string]text{
	"title":              {"研发简报", "R&D brief"},
	"period":             {"周期", "Period"},
	"team":               {"团队", "Team"},
	"team.all":           {"全部团队", "All teams"},
	"filter":             {"筛选", "Filter"},
	"filter.none":        {"无", "none"},
	"filter.lines":       {"产线", "Lines"},
	"filter.categories":  {"类别", "Categories"},
	"filter.minseverity": {"最低严重程度", "Minimum severity"},
	"generated":          {"生成时间", "Generated"},
	"page":               {"第 %d / %d 页", "Page %d of %d"},
	"lang":               {"语言", "Language"},

	"num.reports":        {"报告", "Reports"},
	"num.critical":       {"紧急", "Critical"},
	"num.change":         {"较上期", "vs previous period"},
	"num.previous":       {"上期 %d 条", "previous period: %d"},
	"num.open":           {"未解决", "Open"},
	"num.resolved":       {"已解决/关闭", "Resolved / closed"},
	"num.response":       {"首次响应中位数", "Median time to first response"},
	"num.response.none":  {"尚无响应", "no response yet"},
	"num.responded":      {"%d 条已响应", "%d responded"},
	"num.votes":          {"“我也遇到”", "“Me too” votes"},
	"num.hours":          {"%s 小时", "%s h"},
	"num.days":           {"%s 天", "%s d"},
	"num.new":            {"新增", "new"},
	"onepage.themes":     {"主要问题", "Top themes"},
	"onepage.critical":   {"紧急报告", "Critical reports"},
	"onepage.nocritical": {"本期没有紧急报告。", "No critical reports in this period."},
	"onepage.more":       {"另有 %d 条，见后文。", "%d more, see below."},
	"more.appendix":      {"另有 %d 条，见附录。", "%d more in the appendix."},
	"item.votes":         {"附议 %d", "%d me-too"},
	"chart.legend":       {"严重程度", "Severity"},
	"chart.total":        {"合计 %d", "total %d"},

	"section.charts":   {"趋势", "Trends"},
	"chart.perday":     {"每日报告数（按严重程度）", "Reports per day, by severity"},
	"chart.category":   {"按类别", "By category"},
	"chart.line":       {"按产线", "By line"},
	"section.themes":   {"反复出现的问题", "Recurring themes"},
	"themes.none":      {"本期没有反复出现的问题。", "No recurring themes in this period."},
	"themes.terms":     {"关键词", "Terms"},
	"themes.count":     {"%d 条报告", "%d reports"},
	"themes.lines":     {"产线", "Lines"},
	"themes.example":   {"代表性报告", "Representative report"},
	"section.critical": {"紧急与新增事项", "Critical and new items"},
	"critical.none":    {"没有紧急或待处理的新事项。", "No critical or untriaged items."},
	"critical.new":     {"待处理的新事项（高及以上）", "New, not yet triaged (high and above)"},
	"critical.crit":    {"紧急", "Critical"},
	"section.loop":     {"闭环跟踪：上期简报事项", "Closing the loop: items of the previous brief"},
	"loop.none":        {"没有上期简报。", "There is no previous brief."},
	"loop.empty":       {"上期简报没有需跟踪的事项。", "The previous brief had no items to follow."},
	"loop.previous":    {"上期简报 %s（%s）", "Previous brief %s (%s)"},
	"loop.then":        {"当时", "Then"},
	"loop.now":         {"现在", "Now"},
	"loop.reply":       {"回复", "Reply"},
	"section.field":    {"研究人员现场记录", "Field notes from researchers"},
	"field.none":       {"本期没有研究人员的记录。", "No field notes from researchers in this period."},
	"field.newest":     {"以下为最新的 %d 条（共 %d 条，其余见附录）。", "The newest %d of %d; the appendix lists them all."},
	"section.appendix": {"附录：本期全部报告", "Appendix: every report of the period"},
	"appendix.none":    {"本期没有报告。", "No reports in this period."},

	"col.code":     {"编号", "Code"},
	"col.date":     {"时间", "Date"},
	"col.line":     {"产线", "Line"},
	"col.category": {"类别", "Category"},
	"col.severity": {"严重程度", "Severity"},
	"col.status":   {"状态", "Status"},
	"col.title":    {"标题", "Title"},
	"col.votes":    {"附议", "Votes"},
	"col.reporter": {"报告人", "Reporter"},
	"col.station":  {"工位", "Station"},
	"col.link":     {"链接", "Link"},
	"col.photos":   {"照片", "Photos"},
	"anonymous":    {"匿名", "anonymous"},
}

// Brief returns the brief label key in l (see KindBrief), or key itself
// when the catalog has none, so a missing label shows as what it is.
func Brief(l Lang, key string) string { return labelOr(l, KindBrief, key) }
