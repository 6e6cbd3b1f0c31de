package demo

// polishThemes: cerium oxide polishing powder (blending, roasting,
// classification, packing).
var polishThemes = []theme{
	{key: "d50", cat: "quality", sev: sevMedium, station: "分级", weight: 10,
		zh: []text{
			{"抛光粉D50偏大 {d=f2:1.55-1.95} μm",
				"{crew}这批D50 {d} μm，目标1.40±0.10 μm；Dmax {n:9-14} μm。分级机转速{n:2800-3400} rpm，可能要调高。"},
			{"分级后粒度又偏粗",
				"连续{n:2-3}批D50在{f2:1.52-1.60}~{f2:1.65-1.80} μm之间，都超上限。分级轮叶片是不是磨损了？"},
		},
		en: []text{
			{"Polishing powder D50 high at {d=f2:1.55-1.95} µm",
				"Lot from {crew}: D50 {d} µm against 1.40 ± 0.10 µm, Dmax {n:9-14} µm. Classifier speed is {n:2800-3400} rpm and may need raising."},
		}},
	{key: "scratch", cat: "quality", sev: sevHigh, station: "分级", weight: 4,
		zh: []text{
			{"客户投诉玻璃划伤，疑似大颗粒",
				"客户反馈用我们{p:上周|本月初}发的批次抛光后划伤率{n:3-8}%。留样复测D99 {f1:6.5-11.0} μm偏大，需要排查分级机是否跑粗。"},
		},
		en: []text{
			{"Customer complaint: scratches on glass",
				"Customer reports a {n:3-8}% scratch rate with our recent lot. Retained sample shows D99 {f1:6.5-11.0} µm, too coarse. Please check the classifier for oversize breakthrough."},
		}},
	{key: "roasting", cat: "process", sev: sevMedium, station: "焙烧", weight: 6,
		zh: []text{
			{"焙烧温度偏高，粉体发硬、切削率低",
				"{station}窑温{n:1010-1060}℃，比工艺高{n:30-60}℃。抛光测试切削率只有{f2:0.35-0.48} μm/min（要求≥0.55）。"},
		},
		en: []text{
			{"Roasting too hot, low removal rate",
				"Roaster ran at {n:1010-1060} °C, above the recipe. Test removal rate was only {f2:0.35-0.48} µm/min (spec ≥ 0.55)."},
		}},
	{key: "raw-ce", cat: "materials", sev: sevLow, station: "配料", weight: 4,
		zh: []text{
			{"碳酸稀土原料CeO2/TREO偏低 {c=n:58-62}%",
				"新批次碳酸稀土CeO2/TREO {c}%，要求≥65%，F含量{f1:4.5-5.5}%。配料要不要调整？"},
		},
		en: []text{
			{"Ce carbonate lot low: CeO2/TREO {c=n:58-62}%",
				"New rare-earth carbonate lot is {c}% CeO2/TREO against ≥ 65%, fluorine {f1:4.5-5.5}%. Should the blend be adjusted?"},
		}},
	{key: "classifier", cat: "equipment", sev: sevMedium, station: "分级", weight: 6,
		zh: []text{
			{"气流分级机振动大 {v=f1:4.5-8.0} mm/s",
				"分级轮振动{v} mm/s，轴承温度{n:70-85}℃。可能叶轮粘料不平衡，需要停机清理。"},
		},
		en: []text{
			{"Air classifier vibration {v=f1:4.5-8.0} mm/s",
				"Classifier wheel vibration {v} mm/s, bearing at {n:70-85} °C. Probably material build-up unbalancing the wheel."},
		}},
	{key: "dust", cat: "safety", sev: sevMedium, station: "包装", weight: 4,
		zh: []text{
			{"包装间粉尘浓度高",
				"包装时粉尘大，手持仪读数{n:8-15} mg/m³。吸尘罩离袋口太远，建议改一下。"},
			{"配料区氟化氢铵包装破损",
				"氟化氢铵破了{n:2-4}袋，粉撒在地上，已用石灰中和清理。储存区要防潮。"},
		},
		en: []text{
			{"Dust at packing station {n:8-15} mg/m³",
				"Handheld meter reads {n:8-15} mg/m³ while bagging. The extraction hood is too far from the bag spout."},
		}},
	{key: "auto-weigh", cat: "idea", sev: sevLow, station: "包装", weight: 3,
		zh: []text{
			{"建议包装改自动称重",
				"人工装袋重量偏差±{n:80-200} g，客户有意见。买一台自动定量包装机就能解决。"},
		},
		en: []text{
			{"Idea: automatic weighing at bagging",
				"Manual bagging varies by ±{n:80-200} g per bag and customers complain. An auto-weigher would fix it."},
		}},
	{key: "shift-log", cat: "other", sev: sevLow, station: "焙烧", weight: 2,
		zh: []text{
			{"交接班记录缺焙烧温度",
				"{shift}交接本上焙烧温度有{n:2-4}个小时没记，查不到。建议改成电子记录。"},
		},
		en: []text{
			{"Shift log missing roasting temperatures",
				"The {shift} handover log has {n:2-4} h of roasting temperatures missing. An electronic log would help."},
		}},
}

// genericThemes are for lines the sample plant does not have.
var genericThemes = []theme{
	{key: "breakdown", cat: "equipment", sev: sevMedium, weight: 8,
		zh: []text{
			{"{station}{p:电机|减速机|气缸|输送带}故障停机{n:20-90}分钟",
				"{shift}{station}突然停机，已报修，等了{n:20-90}分钟才恢复。本班产量少了约{n:5-15}%。"},
			{"{station}设备又报警停机",
				"这周第{p:二|三}次了，报警代码{n:101-399}，复位后能开，但过一会又停。"},
		},
		en: []text{
			{"Breakdown at {station}, down {n:20-90} min",
				"The {p:motor|gearbox|cylinder|conveyor} at {station} failed on the {shift}; maintenance called. Output about {n:5-15}% below plan."},
		}},
	{key: "reject", cat: "quality", sev: sevMedium, weight: 8,
		zh: []text{
			{"{station}尺寸超差，不良率{r=f1:1.5-6.0}%",
				"{crew}抽检{n:50-200}件，不良率{r}%，主要是尺寸超出公差{f2:0.02-0.10} mm。已隔离这批。"},
		},
		en: []text{
			{"Out-of-tolerance parts at {station}, {r=f1:1.5-6.0}% rejects",
				"{crew} checked {n:50-200} parts: {r}% rejects, mostly {f2:0.02-0.10} mm out of tolerance. Batch quarantined."},
		}},
	{key: "cycle", cat: "process", sev: sevMedium, weight: 5,
		zh: []text{
			{"{station}节拍变慢{n:8-15}%",
				"最近节拍从{n:40-45}秒变成{n:48-55}秒，换型后一直没调回来。"},
		},
		en: []text{
			{"Cycle time up {n:8-15}% at {station}",
				"Cycle time went from {n:40-45} s to {n:48-55} s after the last changeover and never came back."},
		}},
	{key: "incoming", cat: "materials", sev: sevLow, weight: 5,
		zh: []text{
			{"来料批次质量差",
				"新到的原料有{n:3-10}%不合格，包装也破了几件。已通知采购和质检。"},
		},
		en: []text{
			{"Poor incoming material lot",
				"About {n:3-10}% of the new lot is off-spec and several packs arrived damaged. Purchasing and QA informed."},
		}},
	{key: "air", cat: "equipment", sev: sevLow, weight: 4,
		zh: []text{
			{"压缩空气压力低 {f2:0.42-0.52} MPa",
				"{station}用气高峰时压力掉到{f2:0.42-0.52} MPa，气动阀动作慢。管路可能有漏点。"},
		},
		en: []text{
			{"Compressed air pressure low ({f2:0.42-0.52} MPa)",
				"At peak demand the air pressure at {station} drops and valves respond slowly. Probably a leak in the line."},
		}},
	{key: "guard", cat: "safety", sev: sevHigh, weight: 3,
		zh: []text{
			{"{station}防护罩缺失",
				"维修后防护罩没有装回，转动部件外露，已挂牌提醒。请尽快恢复。"},
			{"{station}急停按钮失灵",
				"试按急停按钮，设备过了{n:2-5}秒才停，存在安全隐患。"},
		},
		en: []text{
			{"Machine guard missing at {station}",
				"The guard was not refitted after maintenance and moving parts are exposed. Area tagged, please restore it soon."},
		}},
	{key: "gas", cat: "safety", sev: sevCritical, weight: 1,
		zh: []text{
			{"紧急：{station}气体泄漏报警",
				"{station}气体检测仪报警，读数{n:30-80}%LEL。已疏散人员、关闭总阀，请安全和设备马上到现场！"},
		},
		en: []text{
			{"URGENT: gas leak alarm at {station}",
				"Gas detector alarming at {n:30-80}% LEL. People evacuated and main valve closed; safety and maintenance needed on site now."},
		}},
	{key: "5s", cat: "idea", sev: sevLow, weight: 4,
		zh: []text{
			{"建议{station}做工具定置",
				"找工具每次要花{n:5-10}分钟。做个工具墙、画好定位线，换型能快不少。"},
		},
		en: []text{
			{"Idea: shadow board for tools at {station}",
				"We lose {n:5-10} min per changeover looking for tools. A shadow board would speed things up."},
		}},
	{key: "handover", cat: "other", sev: sevLow, weight: 2,
		zh: []text{
			{"交接班信息不全",
				"{shift}接班时上一班没有写设备异常情况，开机后才发现问题。"},
		},
		en: []text{
			{"Incomplete shift handover",
				"The previous shift left no note about equipment problems; we found them only after start-up on the {shift}."},
		}},
}
