"""Interface labels: one table of every text the app shows, in Chinese (first) and English.

Column labels of data layers live in :mod:`bangfu.schema`; everything else the interface says
lives here. ``t(key, lang)`` looks a label up; a missing key raises so typos fail in tests.
Sections are grouped by page so that each page's labels can be found (and added) in one place.
"""

from __future__ import annotations

Lang = str  # "zh" or "en"
LANGS: dict[str, str] = {"zh": "中文", "en": "English"}

LABELS: dict[str, tuple[str, str]] = {
    # --- app shell ----------------------------------------------------------------------
    "app.title": ("帮扶地图", "Bangfu Atlas"),
    "app.subtitle": ("精准帮扶规划一张图", "Targeted poverty alleviation on one map"),
    "sidebar.workspace": ("工作空间", "Workspace"),
    "sidebar.workspace_source": ("数据来源", "Data source"),
    "sidebar.town": ("镇街", "Town"),
    "sidebar.all_towns": ("全市（县）", "Whole county"),
    "sidebar.language": ("语言 / Language", "Language / 语言"),
    "sidebar.basemap": ("底图", "Basemap"),
    "sidebar.tianditu_token": ("天地图密钥", "Tianditu token"),
    "sidebar.tile_folder_hint": (
        "本地瓦片放在 static/tiles/{z}/{x}/{y}.png",
        "Put local tiles in static/tiles/{z}/{x}/{y}.png",
    ),
    "sidebar.restore_demo": ("恢复示例数据", "Restore demo data"),
    "sidebar.restored": ("已恢复开平市示例数据。", "The Kaiping demo has been restored."),
    "basemap.none": ("无底图（离线）", "None (offline)"),
    "basemap.osm": ("OpenStreetMap（需联网）", "OpenStreetMap (online)"),
    "basemap.tianditu": ("天地图（需联网和密钥）", "Tianditu (online, token)"),
    "basemap.local": ("本地瓦片目录", "Local tile folder"),
    "synthetic.note": (
        "示例数据说明：开平市边界、村名和区划代码为真实数据；村界为合成的示意划分，农户、贫困、道路、企业、结对、项目等数字为合成示例，"
        "赤水镇老区村名单和低收入户数字取自规划文件。",
        "Demo data: Kaiping's boundary, village names and codes are real; village boundaries are a synthetic "
        "tessellation; households, poverty, roads, enterprises, pairings and projects are synthetic, except the "
        "赤水镇 old-base villages and low-income figures taken from the planning documents.",
    ),
    "error.workspace": ("工作空间无法打开", "The workspace cannot be opened"),
    "error.offer_restore": (
        "可以恢复开平市示例数据，原文件会保留为 workspace.bak.gpkg 备份。",
        "You can restore the Kaiping demo; the current file is kept as workspace.bak.gpkg.",
    ),
    "error.invalid_workspace": ("工作空间数据未通过检查", "The workspace failed validation"),
    # --- pages --------------------------------------------------------------------------
    "page.home": ("首页", "Home"),
    "page.overview": ("总览地图", "Overview map"),
    "page.planning": ("项目规划", "Project planning"),
    "page.roads": ("道路硬化", "Road hardening"),
    "page.tourism": ("乡村旅游", "Rural tourism"),
    "page.pairings": ("企业结对", "Enterprise pairings"),
    "page.data": ("数据管理", "Data management"),
    "page.briefing": ("领导简报", "Leadership briefing"),
    # --- key figures --------------------------------------------------------------------
    "kpi.villages": ("行政村（社区）", "Villages"),
    "kpi.towns": ("镇街", "Towns"),
    "kpi.households": ("总户数", "Households"),
    "kpi.population": ("总人口", "Population"),
    "kpi.poor_households": ("贫困户", "Poor households"),
    "kpi.poor_population": ("贫困人口", "Poor people"),
    "kpi.old_district": ("老区村", "Old-base villages"),
    "kpi.key_villages": ("重点帮扶村", "Key villages"),
    "kpi.incidence": ("贫困发生率", "Poverty incidence"),
    "kpi.area_km2": ("面积(km²)", "Area (km²)"),
    "kpi.density": ("贫困密度(户/km²)", "Poverty density (hh/km²)"),
    "kpi.hardening_rate": ("道路硬化率", "Road hardening rate"),
    "kpi.pairing_coverage": ("结对覆盖率", "Pairing coverage"),
    "map.villages": ("行政村", "Villages"),
    "map.county": ("县界", "County boundary"),
    "map.towns": ("镇界", "Town boundaries"),
    "home.intro": (
        "全市每个行政村的贫困分布、老区村、道路硬化、乡村旅游和企业结对，一张图看清。",
        "Every village's poverty, old-base status, road hardening, tourism and enterprise pairings on one map.",
    ),
    "home.map_caption": ("点击或悬停村庄查看名称和代码。", "Hover a village to see its name and code."),
    "common.download_csv": ("下载 CSV", "Download CSV"),
    "common.download_xlsx": ("下载 Excel", "Download Excel"),
    "common.not_yet": ("该功能尚未完成。", "This part is not built yet."),
    # --- overview (issue 3) -------------------------------------------------------------
    # --- planning (issue 4) -------------------------------------------------------------
    "planning.intro": (
        "今年的资金投向哪些道路、饮水和桥梁项目，能让最多的农户（尤其是贫困户和老区农户）受益？"
        "按项目类型的服务半径计算受益农户，先单独排名，再在预算内选出每户只计一次的最优项目组合。",
        "Which roads, water works and bridges help the most households — the poor and old-base households above all? "
        "Households within each type's service distance are counted, projects ranked on their own, then the best "
        "portfolio within the budget is chosen, counting every household once.",
    ),
    "planning.settings": ("参数设置", "Settings"),
    "planning.distances": ("各类项目服务半径（米）", "Service distance by project type (m)"),
    "planning.new_only": ("只计新增受益（已有同类设施覆盖的农户不计）", "New access only (skip households already served)"),
    "planning.new_only_help": (
        "道路：2 公里内已有硬化道路的农户不计；其他类型：服务半径内已有已建成同类项目的农户不计。",
        "Roads: households within the distance of a hardened road are skipped; other types: of a completed project of the type.",
    ),
    "planning.weights": ("评分权重", "Score weights"),
    "planning.w_poor": ("贫困户", "Poor households"),
    "planning.w_old": ("老区村农户", "Households in old-base villages"),
    "planning.w_key": ("重点帮扶村农户", "Households in key villages"),
    "planning.w_all": ("全部农户", "All households"),
    "planning.budget": ("预算（万元）", "Budget (10k yuan)"),
    "planning.must_in": ("必选项目（已批复）", "Projects that must be in (approved)"),
    "planning.excluded": ("排除项目", "Excluded projects"),
    "planning.min_per_town": ("每个镇街至少项目数（公平性）", "At least k projects in every town (fairness)"),
    "planning.time_limit": ("精确求解时间上限（秒）", "Exact solve time limit (s)"),
    "planning.run": ("计算", "Compute"),
    "planning.progress.coverage": ("正在计算服务范围内的农户……", "Counting households in catchments…"),
    "planning.progress.ranking": ("正在排名……", "Ranking…"),
    "planning.progress.greedy": ("正在用贪心法选组合……", "Greedy portfolio…"),
    "planning.progress.exact": ("正在精确求解（HiGHS 整数规划）……", "Exact solve (HiGHS integer program)…"),
    "planning.progress.done": ("计算完成", "Done"),
    "planning.fallback": (
        "工作空间没有农户点位：受益户数按“村总户数 × 服务范围占村面积的比例”估算（假定农户在村内均匀分布）。",
        "No household points in the workspace: households are estimated as village totals × the share of the village "
        "area inside the catchment (households assumed evenly spread).",
    ),
    "planning.no_candidates": ("没有候选项目（状态为“候选”或“已批复”的项目）。", "No candidate or approved projects."),
    "planning.empty_catchments": ("所有候选项目的服务范围内都没有农户。", "No households lie in any candidate's catchment."),
    "planning.ranking": ("单项目排名", "Standalone ranking"),
    "planning.portfolio": ("预算内项目组合（每户只计一次）", "Portfolio within the budget (each household once)"),
    "planning.greedy": ("贪心法", "Greedy"),
    "planning.exact": ("精确最优（整数规划）", "Exact optimum (integer program)"),
    "planning.kpi.projects": ("入选项目", "Projects chosen"),
    "planning.kpi.cost": ("投资（万元）", "Cost (10k yuan)"),
    "planning.kpi.households": ("受益农户", "Households reached"),
    "planning.kpi.poor": ("受益贫困户", "Poor households reached"),
    "planning.kpi.score": ("加权得分", "Weighted score"),
    "planning.kpi.gap": ("贪心法与最优差距", "Greedy gap to optimum"),
    "planning.status.optimal": ("已证明最优", "proven optimal"),
    "planning.status.time_limit": ("达到时间上限：给出当前最好解，最优性差距 {gap}", "time limit hit: best solution found, proven gap {gap}"),
    "planning.chart": ("受益农户随累计投资的变化", "Households reached against cumulative cost"),
    "planning.chart.x": ("累计投资（万元）", "Cumulative cost (10k yuan)"),
    "planning.chart.y": ("受益农户（户）", "Households reached"),
    "planning.map": ("入选项目及服务范围（底色：贫困密度）", "Chosen projects and catchments over poverty density"),
    "planning.legend": ("贫困密度（户/km²）", "Poverty density (hh/km²)"),
    "planning.scenarios": ("方案对比", "Scenario comparison"),
    "planning.save_a": ("保存为方案 A", "Save as scenario A"),
    "planning.save_b": ("保存为方案 B", "Save as scenario B"),
    "planning.saved": ("已保存。", "Saved."),
    "planning.scenario_hint": ("调整参数后分别保存为方案 A 和 B，即可并排对比。", "Save two settings as A and B to compare them side by side."),
    "planning.download": ("下载排名和组合（Excel）", "Download ranking and portfolio (Excel)"),
    "planning.error": ("无法计算", "Cannot compute"),
    "planning.item": ("指标", "Item"),
    "planning.col.rank": ("排名", "Rank"),
    "planning.col.step": ("顺序", "Step"),
    "planning.col.project_id": ("项目编号", "Project ID"),
    "planning.col.name": ("项目名称", "Project"),
    "planning.col.project_type": ("项目类型", "Type"),
    "planning.col.town_name": ("镇街", "Town"),
    "planning.col.village_name": ("所在村", "Village"),
    "planning.col.cost_wan": ("投资(万元)", "Cost (10k yuan)"),
    "planning.col.households": ("受益农户(户)", "Households"),
    "planning.col.poor_households": ("受益贫困户(户)", "Poor households"),
    "planning.col.poor_people": ("受益贫困人口(人)", "Poor people"),
    "planning.col.old_households": ("老区村受益农户(户)", "Households in old-base villages"),
    "planning.col.key_households": ("重点帮扶村受益农户(户)", "Households in key villages"),
    "planning.col.cost_per_poor_household": ("每户贫困户投资(万元/户)", "Cost per poor household"),
    "planning.col.score": ("加权得分", "Weighted score"),
    "planning.col.score_per_wan": ("每万元得分", "Score per 10k yuan"),
    "planning.col.gain_households": ("新增受益农户", "Marginal households"),
    "planning.col.gain_poor_households": ("新增贫困户", "Marginal poor households"),
    "planning.col.gain_poor_people": ("新增贫困人口", "Marginal poor people"),
    "planning.col.gain_old_households": ("新增老区村农户", "Marginal old-base households"),
    "planning.col.gain_key_households": ("新增重点村农户", "Marginal key-village households"),
    "planning.col.gain_score": ("新增加权得分", "Marginal score"),
    "planning.col.gain_per_wan": ("每万元新增得分", "Marginal score per 10k yuan"),
    "planning.col.total_households": ("累计受益农户", "Running households"),
    "planning.col.total_poor_households": ("累计贫困户", "Running poor households"),
    "planning.col.total_poor_people": ("累计贫困人口", "Running poor people"),
    "planning.col.total_old_households": ("累计老区村农户", "Running old-base households"),
    "planning.col.total_key_households": ("累计重点村农户", "Running key-village households"),
    "planning.col.total_score": ("累计加权得分", "Running score"),
    "planning.col.cumulative_cost": ("累计投资(万元)", "Cumulative cost"),
    # --- roads (issue 5) ----------------------------------------------------------------
    # --- tourism and pairings (issue 6) -------------------------------------------------
    # --- data management (issue 7) ------------------------------------------------------
    # --- briefing (issue 8) -------------------------------------------------------------
}


def t(key: str, lang: Lang = "zh") -> str:
    """The label ``key`` in ``lang`` ("zh" or "en"; anything else falls back to Chinese)."""
    try:
        zh, en = LABELS[key]
    except KeyError:
        raise KeyError(f"no label {key!r}; add it to bangfu.labels.LABELS") from None
    return en if lang == "en" else zh


def column_labels(layer: str, lang: Lang = "zh") -> dict[str, str]:
    """Column name → label for a schema layer (for tables and Excel headers)."""
    from .schema import get_layer

    return get_layer(layer).labels(lang)
