package demo

// sampleThemes are the issue themes of the sample plant's lines, by line id.
var sampleThemes = map[string][]theme{
	"sx-1":     sxThemes,
	"calc-1":   calcThemes,
	"elec-1":   elecThemes,
	"ndfeb-1":  ndfebThemes,
	"polish-1": polishThemes,
}

// sxThemes: solvent extraction (P507 in kerosene, HCl system, mixer-settlers).
var sxThemes = []theme{
	{key: "emulsion", cat: "process", sev: sevMedium, station: "混合澄清槽", weight: 10,
		zh: []text{
			{"{station}第{s=n:8-36}级分相慢，界面有乳化层",
				"{shift}巡检发现第{s}级澄清室界面有{n:3-8}厘米厚的乳化层，分相时间约{n:150-260}秒，平时90秒左右。有机相夹带水相明显，怀疑料液含硅偏高。已取样送化验室。"},
			{"萃取槽又乳化了，第{s=n:8-36}级",
				"和前几天一样，第{s}级混合室出口发白，澄清室界面看不清。搅拌转速从{n:280-300}降到{n:240-260}转/分，稍好一点。请工艺组看看是不是料液的问题。"},
		},
		en: []text{
			{"Slow phase disengagement at stage {s=n:8-36}, emulsion band",
				"During the {shift} round the settler at stage {s} showed an emulsion band of about {n:3-8} cm. Phase disengagement took {n:150-260} s instead of the usual ~90 s. Organic looks cloudy with aqueous entrainment; sample sent to the lab for Si."},
			{"Emulsion again in mixer-settler, stage {s=n:8-36}",
				"Same problem as earlier this week: the interface at stage {s} is not visible and the organic overflow carries droplets. Mixer speed reduced to {n:240-260} rpm, which helps a bit. Could the feed be the cause?"},
		}},
	{key: "nd-purity", cat: "quality", sev: sevHigh, station: "混合澄清槽 B", weight: 6,
		zh: []text{
			{"钕出口产品Pr含量超标 {pr=f2:0.06-0.15}%",
				"{crew}取样分析，Nd2O3出口Pr6O11/REO为{pr}%，内控≤0.05%。已连续{n:2-4}个样超标，出口段第{n:40-55}级水相颜色偏绿。请工艺确认是否需要调整回流比。"},
			{"镨钕分离段出口纯度下降",
				"钕产品纯度{f2:99.35-99.48}%，低于99.5%要求。有机相流量{n:185-230} L/min，洗酸流量和昨天一样。怀疑是皂化度波动带来的。"},
		},
		en: []text{
			{"Nd product off-spec: Pr6O11/REO {pr=f2:0.06-0.15}%",
				"Lab result for the Nd outlet shows Pr6O11/REO at {pr}%, internal limit is 0.05%. This is the {p:second|third|fourth} off-spec sample in a row. Please check the reflux ratio in the Pr/Nd section."},
		}},
	{key: "saponification", cat: "process", sev: sevMedium, station: "皂化", weight: 8,
		zh: []text{
			{"皂化度波动大，{lo=n:31-34}%~{hi=n:38-42}%",
				"本班皂化度在{lo}%到{hi}%之间波动，目标36%。液碱浓度化验{f1:5.2-6.4} mol/L，比配方低。计量泵流量不稳，读数在{n:40-55} L/h之间跳。"},
			{"皂化段计量泵流量跳动",
				"{station}液碱计量泵流量在{n:38-46}到{n:50-58} L/h来回跳，手动调节也稳不住。皂化有机相出口pH {f1:6.5-7.8}。"},
		},
		en: []text{
			{"Saponification degree swinging {lo=n:31-34}-{hi=n:38-42}%",
				"On the {shift} the saponification degree ranged from {lo}% to {hi}% against a 36% target. The NaOH metering pump jumps between {n:40-45} and {n:50-56} L/h. Lab says the caustic is {f1:5.2-6.4} mol/L, below the recipe."},
		}},
	{key: "mixer-motor", cat: "equipment", sev: sevMedium, station: "混合澄清槽", weight: 6,
		zh: []text{
			{"第{s=n:1-40}级搅拌电机异响、温度高",
				"{station}第{s}级搅拌电机有明显异响，电机外壳测温{n:72-88}℃（平时55℃左右）。怀疑轴承缺油或损坏，建议停机检修前先准备备件。"},
			{"{station}搅拌桨松动",
				"第{n:1-40}级混合室搅拌桨转起来晃动，液面波动大。已通知维修，{shift}先降速运行。"},
		},
		en: []text{
			{"Mixer motor noisy and hot, stage {s=n:1-40}",
				"Stage {s} mixer motor makes a grinding noise, casing at {n:72-88} °C versus about 55 °C normally. Probably the bearing; maintenance should prepare a spare before the stop."},
		}},
	{key: "feed", cat: "materials", sev: sevLow, station: "料液配制", weight: 6,
		zh: []text{
			{"料液浓度偏低 {c=f2:1.32-1.48} mol/L",
				"今天配制的料液REO浓度只有{c} mol/L，工艺要求1.55±0.05。这批氯化稀土溶解后不溶物多，过滤时间比平时长{n:20-40}分钟。"},
			{"料液Fe含量偏高",
				"新一批氯化稀土料液Fe含量{n:25-60} ppm（要求≤20 ppm），pH {f1:1.8-2.6}。会不会和前段乳化有关？"},
		},
		en: []text{
			{"Feed solution only {c=f2:1.32-1.48} mol/L REO",
				"Feed prepared today is {c} mol/L REO, spec is 1.55 ± 0.05. This lot of RE chloride leaves a lot of insolubles and filtration took {n:20-40} min longer."},
			{"High Fe in new feed batch",
				"New RE chloride lot: Fe {n:25-60} ppm (limit 20 ppm), pH {f1:1.8-2.6}. Might be linked to the emulsion at the front stages."},
		}},
	{key: "acid-mist", cat: "safety", sev: sevHigh, station: "反萃", weight: 4,
		zh: []text{
			{"反萃段盐酸雾大，气味刺鼻",
				"{station}槽盖密封条老化，酸雾明显，走近眼睛刺痛。排风机电流{n:8-12} A，比平常低，可能风量不够。现在大家戴着防毒面罩作业，请尽快处理。"},
			{"有机相从澄清槽溢流口渗漏",
				"{station}附近地面有煤油有机相，约{n:1-5}平方米，很滑。已用吸附棉处理并设警示。漏点在溢流堰法兰。"},
		},
		en: []text{
			{"Strong HCl mist at stripping section",
				"Cover gaskets on the stripping settlers are worn and the acid mist stings the eyes. Exhaust fan current is {n:8-12} A, lower than usual. Staff are wearing respirators for now."},
			{"Organic (kerosene) leak at settler overflow",
				"About {n:1-5} m² of organic phase on the floor next to the overflow weir flange, very slippery. Absorbent pads laid and the area is marked off."},
		}},
	{key: "strip-acid", cat: "process", sev: sevMedium, station: "反萃", weight: 5,
		zh: []text{
			{"反萃酸流量偏低，余酸{a=f2:0.25-0.60} mol/L",
				"反萃盐酸设定{n:110-130} L/h，流量计实际读数{n:95-108} L/h。反萃液余酸{a} mol/L偏高，后面沉淀要多耗草酸。"},
		},
		en: []text{
			{"Strip acid flow below setpoint",
				"HCl setpoint is {n:110-130} L/h but the flowmeter reads {n:95-108} L/h. Residual acid in the strip liquor is {f2:0.25-0.60} mol/L, so precipitation will use more oxalic acid."},
		}},
	{key: "online-ph", cat: "idea", sev: sevLow, station: "反萃", weight: 4,
		zh: []text{
			{"建议反萃出口加在线pH计",
				"现在每{n:2-3}小时人工取样测pH，夜班容易漏。装一台在线pH计接到DCS，可以早点发现酸度漂移。"},
			{"建议澄清槽加观察视镜",
				"看界面要掀开盖板，酸雾大。如果在澄清室加几个视镜，巡检方便也安全。"},
		},
		en: []text{
			{"Idea: online pH probe at strip outlet",
				"We sample pH by hand every {n:2-3} h and the night shift sometimes misses it. An online probe wired to the DCS would catch acidity drift earlier."},
		}},
	{key: "lab-delay", cat: "other", sev: sevLow, weight: 2,
		zh: []text{
			{"化验结果回来太慢",
				"{shift}送的样要等{n:4-7}小时才有结果，调工艺只能凭经验。能不能给萃取线的样优先？"},
		},
		en: []text{
			{"Lab turnaround too slow for SX samples",
				"Samples sent on the {shift} took {n:4-7} h to come back, so adjustments are made blind. Could SX samples get priority?"},
		}},
}

// calcThemes: oxalate precipitation, filtration, rotary kiln calcination.
var calcThemes = []theme{
	{key: "loi", cat: "quality", sev: sevMedium, station: "回转窑", weight: 10,
		zh: []text{
			{"氧化钕灼减偏高 {l=f2:0.62-1.20}%",
				"{crew}批次灼减{l}%，标准≤0.5%。窑尾温度只有{n:780-830}℃，设定850℃。可能进料量偏大，{n:3-4}号温区热电偶也需要校验。"},
			{"灼减又超了",
				"这周第{p:二|三|四}次了，灼减{f2:0.60-1.10}%。窑转速{f1:1.5-2.5}转/分，是不是停留时间不够？"},
		},
		en: []text{
			{"Nd2O3 LOI too high: {l=f2:0.62-1.20}%",
				"Batch from {crew} has loss on ignition {l}%, spec ≤ 0.5%. Kiln tail temperature was only {n:780-830} °C against 850 °C set. Feed rate may be too high for the residence time."},
		}},
	{key: "d50", cat: "quality", sev: sevMedium, station: "沉淀", weight: 6,
		zh: []text{
			{"氧化物粒度D50偏大 {d=f1:6.5-9.8} μm",
				"客户要求D50 3~5 μm，本批{d} μm。沉淀温度{n:48-56}℃，比规定的60℃低，草酸加入速度也快了。"},
		},
		en: []text{
			{"Oxide D50 too coarse at {d=f1:6.5-9.8} µm",
				"Customer spec is D50 3–5 µm, this lot measured {d} µm. Precipitation ran at {n:48-56} °C instead of 60 °C and the oxalic acid went in too fast."},
		}},
	{key: "kiln-mech", cat: "equipment", sev: sevHigh, station: "回转窑", weight: 4,
		zh: []text{
			{"回转窑托轮轴承温度高 {n:85-105}℃",
				"{shift}点检发现{p:一|二}号托轮轴承温度高，有异响。已加油，温度降了但还在{n:75-85}℃。建议计划停窑检查。"},
			{"窑头燃烧器火焰不稳，多次熄火",
				"今天{n:2-4}次熄火报警，天然气压力在{f1:3.0-4.5} kPa上下波动。窑内温度掉到{n:700-760}℃，这段时间的产品要隔离。"},
		},
		en: []text{
			{"Kiln support roller bearing at {n:85-105} °C",
				"Found on the {shift} check: a support roller bearing is hot and noisy. Greased it, now {n:75-85} °C. Suggest a planned kiln stop to inspect."},
			{"Kiln burner flame unstable, tripped {n:2-4} times",
				"Gas pressure fluctuates around {f1:3.0-4.5} kPa and the burner keeps tripping. Kiln temperature dropped to {n:700-760} °C; that material should be quarantined."},
		}},
	{key: "filter", cat: "process", sev: sevMedium, station: "过滤", weight: 6,
		zh: []text{
			{"滤饼含水高 {w=n:38-46}%",
				"{station}工序滤饼含水{w}%，平时32%左右。滤布用了{n:18-30}天，可能堵了。进窑后能耗会上去。"},
			{"洗涤后氯根偏高",
				"沉淀洗涤后滤液Cl⁻ {n:150-400} ppm，要求≤100 ppm。洗水量{f1:2.5-3.5} m³/批，是不是不够？"},
		},
		en: []text{
			{"Filter cake moisture {w=n:38-46}%",
				"Cake moisture is {w}%, normally about 32%. The filter cloth has been in service {n:18-30} days and may be blinded. Expect higher kiln gas use."},
		}},
	{key: "oxalic", cat: "materials", sev: sevLow, station: "沉淀", weight: 4,
		zh: []text{
			{"新批次草酸溶解慢，有结块",
				"这批草酸结块严重，溶解时间从{n:25-30}分钟延长到{n:45-60}分钟。供应商标签含量99.6%，建议抽检。"},
		},
		en: []text{
			{"New oxalic acid lot caked, dissolves slowly",
				"The new oxalic acid lot is lumpy; dissolving takes {n:45-60} min instead of {n:25-30}. Label says 99.6%, worth a lab check."},
		}},
	{key: "dust-guard", cat: "safety", sev: sevMedium, station: "冷却包装", weight: 5,
		zh: []text{
			{"包装口粉尘大，除尘布袋可能破了",
				"{station}下料时粉尘明显，除尘器压差只有{n:300-600} Pa（正常1200左右）。估计布袋破了，戴着口罩还是呛。"},
			{"回转窑防护网缺失，窑体表面温度高",
				"窑中段{p:北|南}侧防护网拆了没装回，表面测温{n:180-260}℃，人员经过容易烫伤。"},
		},
		en: []text{
			{"Heavy dust at packing, baghouse bag likely torn",
				"Visible dust when filling bags; baghouse differential pressure only {n:300-600} Pa (normally ~1200). Probably a broken bag."},
			{"Kiln guard missing, shell at {n:180-260} °C",
				"Guard mesh on the {p:north|south} side of the kiln was removed and not refitted. The shell is hot enough to burn anyone walking past."},
		}},
	{key: "waste-heat", cat: "idea", sev: sevLow, station: "回转窑", weight: 3,
		zh: []text{
			{"建议利用窑尾余热烘干滤饼",
				"窑尾烟气还有{n:350-420}℃，直接排掉可惜。加个换热器预热进料，估计能省{n:8-15}%天然气。"},
		},
		en: []text{
			{"Idea: use kiln off-gas heat to pre-dry cake",
				"Off-gas leaves at {n:350-420} °C. A heat exchanger to pre-dry the filter cake could save roughly {n:8-15}% of the gas."},
		}},
	{key: "pack-weight", cat: "quality", sev: sevLow, station: "冷却包装", weight: 3,
		zh: []text{
			{"包装秤偏差{g=n:40-120}克",
				"25 kg袋复称，平均多{g} g。秤上次校准是{n:2-3}个月前，请计量来校一下。"},
		},
		en: []text{
			{"Packing scale off by {g=n:40-120} g per 25 kg bag",
				"Re-weighed bags are {g} g heavy on average. The scale was last calibrated {n:2-3} months ago."},
		}},
	{key: "aisle", cat: "other", sev: sevLow, station: "冷却包装", weight: 2,
		zh: []text{
			{"成品托盘堆在通道上",
				"{station}区成品托盘堆了{n:6-12}个在通道上，叉车过不去。仓库什么时候来拉？"},
		},
		en: []text{
			{"Finished pallets blocking the aisle",
				"{n:6-12} pallets of product are stacked in the aisle at packing and the forklift cannot pass. When will the warehouse collect them?"},
		}},
}
