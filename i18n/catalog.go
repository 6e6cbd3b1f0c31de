package i18n

import (
	"slices"
	"strings"
)

// Kind names one table of the catalog.
type Kind string

// The catalog's tables. Keys are the store's values as strings.
const (
	// KindStatus: a report's status ("new", "in_progress", …).
	KindStatus Kind = "status"
	// KindSeverity: a report's severity ("low" … "critical").
	KindSeverity Kind = "severity"
	// KindSeverityHint: what a severity means, for those that need saying
	// (only "critical" has one).
	KindSeverityHint Kind = "severity_hint"
	// KindRole: the reporter's role ("operator", …).
	KindRole Kind = "role"
	// KindAction: a history entry's action ("created", "status", "note", …).
	KindAction Kind = "action"
	// KindActor: who did something, as the reporter is shown it ("reporter",
	// "system", "R&D"); other values (people, API tokens) are shown as they are.
	KindActor Kind = "actor"
	// KindQR: the words on the QR sticker sheet ("scan", "station", …).
	KindQR Kind = "qr"
)

// text is one label in both languages.
type text struct{ zh, en string }

func (t text) in(l Lang) string {
	if l == En {
		return t.en
	}
	return t.zh
}

// labels is the catalog. It is never written after initialisation.
var labels = map[Kind]map[string]text{
	KindStatus: {
		"new":         {"已提交", "Submitted"},
		"received":    {"已受理", "Received"},
		"triaged":     {"已分派", "Triaged"},
		"in_progress": {"处理中", "In progress"},
		"resolved":    {"已解决", "Resolved"},
		"closed":      {"已关闭", "Closed"},
		"wont_fix":    {"不予处理", "Won't fix"},
		"duplicate":   {"重复报告", "Duplicate"},
	},
	KindSeverity: {
		"low":      {"低", "Low"},
		"medium":   {"中", "Medium"},
		"high":     {"高", "High"},
		"critical": {"紧急", "Critical"},
	},
	KindSeverityHint: {
		"critical": {"产线停止或有人身危险", "line stopped or someone at risk"},
	},
	KindRole: {
		"operator":   {"操作工", "Operator"},
		"technician": {"技术员", "Technician"},
		"engineer":   {"工程师", "Engineer"},
		"researcher": {"研究人员", "Researcher"},
		"other":      {"其他", "Other"},
	},
	KindAction: {
		"created":   {"已提交", "Submitted"},
		"processed": {"已受理", "Processed"},
		"status":    {"状态变更", "Status changed"},
		"team":      {"转交团队", "Assigned to team"},
		"reply":     {"研发回复", "R&D replied"},
		"note":      {"备注", "Note"},
		"merged":    {"合并了重复报告", "Duplicate merged in"},
		"duplicate": {"合并为重复报告", "Merged as duplicate"},
	},
	KindActor: {
		"reporter": {"报告人", "Reporter"},
		"system":   {"系统", "System"},
		"R&D":      {"研发", "R&D"},
	},
	KindQR:    qrLabels,    // qr.go
	KindBrief: briefLabels, // brief.go
}

// Label returns the label of key in table k, in l; false if the catalog has
// none.
func Label(l Lang, k Kind, key string) (string, bool) {
	t, ok := labels[k][key]
	if !ok {
		return "", false
	}
	return t.in(l), true
}

// Keys returns the keys of table k, sorted; nil for an unknown kind.
func Keys(k Kind) []string {
	var keys []string
	for key := range labels[k] {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}

// Kinds returns every table of the catalog.
func Kinds() []Kind {
	return []Kind{KindStatus, KindSeverity, KindSeverityHint, KindRole, KindAction, KindActor, KindQR, KindBrief}
}

// labelOr is the label, or key itself when there is none: an unknown value
// stays visible as what it is rather than turning into an empty string.
func labelOr[T ~string](l Lang, k Kind, key T) string {
	if s, ok := Label(l, k, string(key)); ok {
		return s
	}
	return string(key)
}

// Status labels a report status (store.Status or its string), e.g.
// (Zh, "in_progress") → "处理中"; an unknown status comes back as it is.
func Status[T ~string](l Lang, status T) string { return labelOr(l, KindStatus, status) }

// Severity labels a severity, e.g. (En, "critical") → "Critical"; an
// unknown one comes back as it is.
func Severity[T ~string](l Lang, severity T) string { return labelOr(l, KindSeverity, severity) }

// SeverityHint explains a severity, e.g. (Zh, "critical") → "产线停止或有人身危险";
// "" for severities that need no explanation.
func SeverityHint[T ~string](l Lang, severity T) string {
	s, _ := Label(l, KindSeverityHint, string(severity))
	return s
}

// Role labels a reporter's role; an unknown one comes back as it is.
func Role[T ~string](l Lang, role T) string { return labelOr(l, KindRole, role) }

// Action labels a history action, e.g. (En, "team") → "Assigned to team";
// an unknown one comes back as it is.
func Action(l Lang, action string) string { return labelOr(l, KindAction, action) }

// Actor labels who did something: "reporter", "system" and "R&D" are
// translated; anything else (a person's or token's name) comes back as it is.
func Actor(l Lang, by string) string { return labelOr(l, KindActor, strings.TrimSpace(by)) }
