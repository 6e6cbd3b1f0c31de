package demo

// criticalThemes are the critical problems of the sample lines whose
// templates have none, so every team's brief can show one (see
// ensureRecentCriticals). They are rare like the others (weight 1).
var criticalThemes = map[string][]theme{
	"sx-1": {{key: "organic-spill", cat: "safety", sev: sevCritical, station: "混合澄清槽", weight: 1,
		zh: []text{
			{"紧急：{station}第{s=n:8-36}级有机相溢流到地面",
				"第{s}级澄清室有机相溢流口堵塞，煤油有机相漫出槽体流到地面，面积约{n:3-8}平方米，现场煤油味很重。已停止进料、关闭附近电源并设置警戒，请安全和工艺马上到现场！"},
		},
		en: []text{
			{"URGENT: organic phase overflowing at stage {s=n:8-36}",
				"The organic weir at stage {s} is blocked and kerosene-based organic is spilling onto the floor (about {n:3-8} m²), with a strong smell. Feed stopped, nearby power isolated and the area taped off; need safety and process on site now."},
		}}},
	"calc-1": {{key: "kiln-hot-spot", cat: "equipment", sev: sevCritical, station: "回转窑", weight: 1,
		zh: []text{
			{"紧急：回转窑筒体局部发红 {n:420-560} ℃",
				"窑筒体距窑头约{n:6-11}米处红外测温{n:420-560} ℃，外壳明显发红，怀疑耐火砖脱落。已降低燃气并维持低速转窑，避免筒体变形，请设备组立即处理。"},
		},
		en: []text{
			{"URGENT: kiln shell red hot at {n:6-11} m from the burner end",
				"IR gun reads {n:420-560} °C on the shell and it is glowing; likely lost refractory. Gas turned down and the kiln kept turning slowly so the shell does not warp; maintenance needed immediately."},
		}}},
	"polish-1": {{key: "dust-spark", cat: "safety", sev: sevCritical, station: "分级", weight: 1,
		zh: []text{
			{"紧急：分级机除尘管道出现火花",
				"分级机出口到布袋除尘器的管道里听到爆裂声，观察孔看到火花，温度{n:75-110} ℃上升很快。已停机、关闭风阀，人员已撤离，请安全员确认能否重新开车。"},
		},
		en: []text{
			{"URGENT: sparks in the classifier dust duct",
				"Crackling noise and visible sparks in the duct from the classifier to the baghouse; duct temperature {n:75-110} °C and rising. Machine stopped, damper closed and people moved out; safety must clear the restart."},
		}}},
}

// withCriticals is a line's themes with its extra critical theme, if any.
func withCriticals(line string, ts []theme) []theme {
	extra := criticalThemes[line]
	if len(extra) == 0 {
		return ts
	}
	return append(append([]theme(nil), ts...), extra...)
}
