package demo

// elecThemes: molten fluoride salt electrolysis of Nd/PrNd oxide (graphite
// anodes, tungsten cathodes, about 1050 °C).
var elecThemes = []theme{
	{key: "hf-leak", cat: "safety", sev: sevCritical, station: "电解槽", weight: 1,
		zh: []text{
			{"紧急：{c=sn:1-16}号槽HF泄漏报警 {h=f1:4.0-9.5} ppm",
				"{c}号槽集气罩附近HF检测仪报警，读数{h} ppm（报警值3 ppm）。排烟风机跳闸，槽上烟气外溢。已疏散附近人员，请立即处理！"},
			{"{c=sn:1-16}号槽烟气外溢，氟化物味道很重",
				"集气罩盖板变形关不严，槽口冒白烟，手持仪测HF {f1:3.5-7.0} ppm。已戴全面罩，需要马上停止加料检查。"},
		},
		en: []text{
			{"HF alarm at cell {c=sn:1-16}: {h=f1:4.0-9.5} ppm",
				"HF detector next to the hood of cell {c} is alarming at {h} ppm (alarm 3 ppm). The exhaust fan tripped and fumes are escaping. Area evacuated, need help now."},
		}},
	{key: "voltage", cat: "process", sev: sevMedium, station: "电解槽", weight: 10,
		zh: []text{
			{"{c=sn:1-16}号槽槽电压偏高 {v=f1:10.2-11.8} V",
				"{shift}{c}号槽槽电压{v} V，平时9.5 V左右，本班阳极效应{n:2-5}次。电解质温度{n:1055-1080}℃。怀疑极距变了或者加料不均。"},
			{"{c=sn:1-16}号槽阳极效应频繁",
				"一个班发生{n:3-6}次阳极效应，每次电压冲到{n:18-30} V。加料间隔{n:3-5}分钟，是不是氧化物下料太少？"},
		},
		en: []text{
			{"Cell {c=sn:1-16} voltage high: {v=f1:10.2-11.8} V",
				"Cell {c} is running at {v} V (normally ~9.5 V) with {n:2-5} anode effects this shift. Bath temperature {n:1055-1080} °C. Possibly the anode-cathode distance or uneven feeding."},
			{"Frequent anode effects on cell {c=sn:1-16}",
				"{n:3-6} anode effects in one shift, voltage spiking to {n:18-30} V each time. Feeding every {n:3-5} min; maybe not enough oxide going in."},
		}},
	{key: "metal-c", cat: "quality", sev: sevHigh, station: "出金属", weight: 6,
		zh: []text{
			{"出炉金属碳含量超标 {cc=n:320-520} ppm",
				"{crew}出的镨钕金属C {cc} ppm，标准≤300 ppm；O {n:180-320} ppm。这个槽上周也偏高，可能阳极掉渣进了坩埚。"},
			{"金属Fe含量偏高 {fe=f2:0.25-0.60}%",
				"{c=sn:1-16}号槽出的金属Fe {fe}%（要求≤0.2%）。怀疑铁质工具接触了熔体，建议检查捞渣工具。"},
		},
		en: []text{
			{"PrNd metal carbon {cc=n:320-520} ppm, over spec",
				"Metal tapped by {crew} has C {cc} ppm (limit 300) and O {n:180-320} ppm. Same cell was high last week; maybe anode debris falling into the crucible."},
		}},
	{key: "anode-rectifier", cat: "equipment", sev: sevMedium, station: "电解槽", weight: 6,
		zh: []text{
			{"{c=sn:1-16}号槽阳极断裂掉块",
				"阳极用了{n:40-70}小时就断了一块，掉进槽里，平时能用90小时以上。这批石墨阳极是新供应商的。"},
			{"整流电流波动 ±{n:150-400} A",
				"整流柜电流在{f1:5.6-5.9}到{f1:6.1-6.4} kA之间波动，槽温跟着变。请电气看一下。"},
		},
		en: []text{
			{"Anode broke after {n:40-70} h in cell {c=sn:1-16}",
				"A piece of graphite anode broke off into the bath; anodes usually last over 90 h. This lot is from the new supplier."},
			{"Rectifier current swinging ±{n:150-400} A",
				"Line current swings between {f1:5.6-5.9} and {f1:6.1-6.4} kA and the bath temperature follows. Electrical should check the rectifier."},
		}},
	{key: "oxide-feed", cat: "materials", sev: sevMedium, station: "氟盐配料", weight: 6,
		zh: []text{
			{"氧化钕原料水分高，下料结块",
				"这批氧化物灼减{f2:0.80-1.50}%，加料时结块，槽底沉积增多。建议退回煅烧车间复烧。"},
			{"新到氟化锂颜色发灰",
				"新批次LiF颜色发灰，化验{p:Fe|Si|Ca}偏高。现在配料比没变，请确认这批能不能用。"},
		},
		en: []text{
			{"Nd oxide feed wet, clumping in hopper",
				"Oxide lot has LOI {f2:0.80-1.50}% and clumps while feeding; more sludge on the cell bottom. Suggest sending it back to calcination for re-firing."},
		}},
	{key: "bath-temp", cat: "process", sev: sevMedium, station: "电解槽", weight: 6,
		zh: []text{
			{"电解质温度波动 {a=n:1020-1035}~{b=n:1075-1095}℃",
				"{c=sn:1-16}号槽一个班内温度在{a}到{b}℃之间变化，电流效率估算只有{n:72-78}%。"},
		},
		en: []text{
			{"Bath temperature swinging {a=n:1020-1035}-{b=n:1075-1095} °C",
				"Cell {c=sn:1-16} moved between {a} and {b} °C within one shift. Estimated current efficiency only {n:72-78}%."},
		}},
	{key: "tapping", cat: "safety", sev: sevHigh, station: "出金属", weight: 4,
		zh: []text{
			{"出金属时熔体飞溅，面罩损坏",
				"{shift}出金属时坩埚里有飞溅，一名操作工面罩被烫坏，人没受伤。可能是取金属勺预热不够。"},
			{"出金属区屋顶漏水，地面有积水",
				"昨晚下雨后出金属区地面有积水。高温熔体遇水有爆炸风险，请尽快修。"},
		},
		en: []text{
			{"Molten metal splash during tapping",
				"Splash from the crucible during tapping on the {shift}; one operator's face shield was damaged, nobody hurt. The ladle was probably not preheated enough."},
		}},
	{key: "autofeed", cat: "idea", sev: sevLow, station: "电解槽", weight: 4,
		zh: []text{
			{"建议电解槽改定时自动加料",
				"现在人工每{n:3-5}分钟加一次氧化物，量不均。点式加料器按槽电压反馈加料，能减少阳极效应。"},
		},
		en: []text{
			{"Idea: automatic point feeder on the cells",
				"Oxide is fed by hand every {n:3-5} min and doses vary. A point feeder driven by cell voltage would cut anode effects."},
		}},
	{key: "gloves", cat: "other", sev: sevLow, weight: 2,
		zh: []text{
			{"耐高温手套不够用",
				"现在的耐高温手套{n:3-5}天就烧穿了，库房经常没货。能不能换个耐用点的牌子？"},
		},
		en: []text{
			{"Heat-resistant gloves wear out in days",
				"Gloves burn through after {n:3-5} days and the store room is often out of stock. A tougher brand would help."},
		}},
}

// ndfebThemes: sintered NdFeB (strip casting, hydrogen decrepitation, jet
// milling, pressing in field, vacuum sintering, aging, machining).
var ndfebThemes = []theme{
	{key: "furnace-vacuum", cat: "equipment", sev: sevCritical, station: "烧结炉", weight: 1,
		zh: []text{
			{"紧急：{f=n:1-6}号烧结炉真空度掉到{pa=n:15-80} Pa",
				"{f}号炉升到{n:1040-1075}℃保温时真空度从5×10⁻² Pa升到{pa} Pa，扩散泵报警。炉内约{n:400-800} kg毛坯有氧化风险。已停止升温，请设备和工艺马上来！"},
		},
		en: []text{
			{"URGENT: sintering furnace {f=n:1-6} vacuum lost ({pa=n:15-80} Pa)",
				"During the hold at {n:1040-1075} °C the pressure in furnace {f} rose from 5×10⁻² Pa to {pa} Pa and the diffusion pump alarmed. About {n:400-800} kg of green parts may oxidise. Heating stopped."},
		}},
	{key: "hcj", cat: "quality", sev: sevHigh, station: "时效", weight: 8,
		zh: []text{
			{"48SH批次Hcj偏低 {h=f1:17.2-19.6} kOe",
				"时效后抽检{n:5-10}片，Hcj {h} kOe，要求≥20 kOe；Br {f2:13.70-14.10} kGs正常。二级时效温度{n:485-520}℃，是否需要调整？"},
			{"48SH矫顽力又不够",
				"这周第{p:二|三}批了，Hcj {f1:18.0-19.7} kOe。粉末氧含量{n:850-1200} ppm偏高，可能和气流磨那边有关。"},
		},
		en: []text{
			{"48SH batch Hcj low: {h=f1:17.2-19.6} kOe",
				"After aging, {n:5-10} samples measured Hcj {h} kOe against ≥ 20 kOe; Br {f2:1.37-1.41} T is fine. Second aging was at {n:485-520} °C. Oxygen at {n:850-1200} ppm may be the cause."},
		}},
	{key: "jet-mill", cat: "process", sev: sevMedium, station: "气流磨", weight: 10,
		zh: []text{
			{"气流磨粉末D50偏大 {d=f2:3.35-4.10} μm",
				"{shift}粉末D50 {d} μm，目标3.0±0.2 μm。分级轮转速{n:3200-3800} rpm，研磨压力{f2:0.55-0.68} MPa。是不是喂料太快？"},
			{"气流磨D50漂移",
				"同一批料上午D50 {f2:2.95-3.10} μm，下午{f2:3.30-3.60} μm。分级轮轴承温度{n:55-68}℃，有点高。"},
		},
		en: []text{
			{"Jet mill D50 drifting to {d=f2:3.35-4.10} µm",
				"Powder D50 is {d} µm on the {shift}, target 3.0 ± 0.2 µm. Classifier wheel at {n:3200-3800} rpm, grinding pressure {f2:0.55-0.68} MPa. Feed rate may be too high."},
		}},
	{key: "pressing", cat: "quality", sev: sevMedium, station: "成型压制", weight: 6,
		zh: []text{
			{"压坯开裂、分层，比例{r=f1:2.0-6.5}%",
				"{station}今天压坯开裂{r}%，多在脱模后出现。取向磁场{f1:1.6-2.0} T，压坯密度{f2:3.85-4.20} g/cm³。可能是保压时间短了。"},
		},
		en: []text{
			{"Green compacts cracking ({r=f1:2.0-6.5}%)",
				"{r}% of pressed parts crack or delaminate after ejection. Orientation field {f1:1.6-2.0} T, green density {f2:3.85-4.20} g/cm³. Dwell time may be too short."},
		}},
	{key: "powder-oxygen", cat: "safety", sev: sevHigh, station: "气流磨", weight: 4,
		zh: []text{
			{"细粉收集罐发热，手套箱氧含量{o=n:300-900} ppm",
				"手套箱氧含量{o} ppm（要求≤100 ppm），收集罐外壁摸着发热，约{n:45-60}℃。氮气纯度可能不够，已关阀隔离。"},
		},
		en: []text{
			{"Powder collector warm, glovebox O2 {o=n:300-900} ppm",
				"Glovebox oxygen is {o} ppm against a 100 ppm limit and the fine-powder collector is warm ({n:45-60} °C). Risk of self-ignition; valve closed and container isolated."},
		}},
	{key: "strip-cast", cat: "equipment", sev: sevMedium, station: "速凝甩带", weight: 5,
		zh: []text{
			{"甩带片厚度不均 {a=f2:0.18-0.24}~{b=f2:0.40-0.48} mm",
				"速凝片厚度{a}~{b} mm，目标0.25~0.35 mm。铜辊线速度{f1:1.2-1.8} m/s，冷却水出水温度{n:32-40}℃偏高。"},
		},
		en: []text{
			{"Strip-cast flakes uneven, {a=f2:0.18-0.24}-{b=f2:0.40-0.48} mm",
				"Flake thickness ranges {a}-{b} mm, target 0.25-0.35 mm. Wheel speed {f1:1.2-1.8} m/s; cooling water outlet at {n:32-40} °C is on the high side."},
		}},
	{key: "hd", cat: "process", sev: sevMedium, station: "氢破", weight: 4,
		zh: []text{
			{"氢破后残氢偏高 {hh=n:1800-2600} ppm",
				"脱氢{n:520-560}℃保温{n:4-6}小时，残氢还是{hh} ppm，会影响后面烧结排气。"},
		},
		en: []text{
			{"Residual H after HD too high: {hh=n:1800-2600} ppm",
				"After dehydrogenation at {n:520-560} °C for {n:4-6} h the powder still holds {hh} ppm H, which will load the sintering furnace."},
		}},
	{key: "chipping", cat: "quality", sev: sevLow, station: "机加工", weight: 5,
		zh: []text{
			{"切片崩边率上升到{n:3-7}%",
				"{m=p:3|5|7}号内圆切片机崩边多，刀片切了{n:600-900}片还没换。"},
		},
		en: []text{
			{"Edge chipping at slicing up to {n:3-7}%",
				"Chipping is frequent on slicing machine {p:3|5|7}; the blade has cut {n:600-900} pieces without a change."},
		}},
	{key: "aging-chart", cat: "other", sev: sevLow, station: "时效", weight: 2,
		zh: []text{
			{"时效炉记录仪打印纸用完了",
				"{n:2-3}号时效炉记录仪没纸了，{shift}的温度曲线没打出来。库房说要下周才到货。"},
		},
		en: []text{
			{"Aging furnace chart recorder out of paper",
				"The recorder on aging furnace {n:2-3} ran out of paper, so the {shift} temperature curve was not printed. Stores say next week."},
		}},
	{key: "traceability", cat: "idea", sev: sevLow, station: "气流磨", weight: 4,
		zh: []text{
			{"建议每批粉都记录氧含量",
				"现在只抽检，出问题追不回去。每批气流磨粉都测O和D50，和烧结批号关联，方便查Hcj偏低的原因。"},
			{"磨削泥建议回收",
				"机加工磨削泥每月{n:2-4}吨当废料卖，里面稀土含量{n:25-30}%左右，建议厂内回收。"},
		},
		en: []text{
			{"Idea: log O and D50 for every jet-mill batch",
				"We only spot-check now, so low-Hcj batches can't be traced back. Linking powder O/D50 to the sintering batch number would help."},
			{"Idea: recycle grinding sludge",
				"About {n:2-4} t of grinding sludge a month is sold as scrap with roughly {n:25-30}% RE content. Worth recycling in-house."},
		}},
}
