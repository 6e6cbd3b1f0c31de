package i18n

// qrLabels are the words on the QR sticker sheet (KindQR).
var qrLabels = map[string]text{
	"scan":      {"扫码报告问题", "Scan to report a problem"},
	"station":   {"工位", "Station"},
	"no_camera": {"无法扫码？在浏览器中打开：", "No camera app? Open in a browser:"},
	"title":     {"报告二维码", "Report QR codes"},
	"cut":       {"沿裁切线剪开", "cut along the marks"},
}
