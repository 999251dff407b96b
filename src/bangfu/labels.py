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
    "overview.ind.poverty_density": ("贫困密度", "Poverty density"),
    "overview.ind.incidence": ("贫困发生率", "Poverty incidence"),
    "overview.ind.poor_households": ("贫困户数", "Poor households"),
    "overview.ind.poor_population": ("贫困人口", "Poor population"),
    "overview.unit.per_km2": ("户/km²", "households/km²"),
    "overview.unit.pct": ("%", "%"),
    "overview.unit.households": ("户", "households"),
    "overview.unit.people": ("人", "people"),
    "overview.method.fisher_jenks": ("自然断点法（Fisher–Jenks）", "Natural breaks (Fisher–Jenks)"),
    "overview.method.quantiles": ("分位数法（每级村数相近）", "Quantiles (equal counts)"),
    "overview.method.equal_interval": ("等间距法", "Equal interval"),
    "overview.options": ("地图设置", "Map settings"),
    "overview.indicator": ("专题指标", "Indicator"),
    "overview.method": ("分级方法", "Classification"),
    "overview.k": ("分级数", "Classes"),
    "overview.filter": ("突出显示", "Show"),
    "overview.filter.all": ("全部村", "All villages"),
    "overview.filter.old_or_key": ("老区村或重点帮扶村", "Old-base or key villages"),
    "overview.filter.old": ("仅老区村", "Old-base villages only"),
    "overview.filter.key": ("仅重点帮扶村", "Key villages only"),
    "overview.as_of": ("结对统计日期", "Pairings as of"),
    "overview.legend.no_data": ("无数据", "No data"),
    "overview.legend.filtered_out": ("不在筛选范围", "Not in the filter"),
    "overview.legend.county_classes": ("，全县统一分级", "; classes county-wide"),
    "overview.flag.old": ("老区村", "Old-base village"),
    "overview.flag.key": ("重点帮扶村", "Key village"),
    "overview.leading": ("龙头企业", "Leading enterprise"),
    "overview.layer.choropleth": ("行政村", "Villages"),
    "overview.layer.old": ("老区村（蓝色粗边）", "Old-base villages (blue outline)"),
    "overview.layer.key": ("重点帮扶村（绿色虚线）", "Key villages (green dashed)"),
    "overview.layer.towns": ("镇街界线", "Town boundaries"),
    "overview.layer.town_labels": ("镇街名称", "Town names"),
    "overview.layer.selected_town": ("所选镇街", "Selected town"),
    "overview.layer.county": ("县（市）界", "County boundary"),
    "overview.layer.roads": ("道路硬化状态", "Roads by hardening status"),
    "overview.layer.tourism": ("乡村旅游点", "Tourism sites"),
    "overview.layer.enterprises": ("帮扶企业", "Enterprises"),
    "overview.layer.pairings": ("企业结对连线", "Enterprise–village pairings"),
    "overview.road_status.completed": ("已硬化", "Hardened"),
    "overview.road_status.under_construction": ("在建", "Under construction"),
    "overview.road_status.planned": ("计划硬化", "Planned"),
    "overview.road_status.unhardened": ("未硬化", "Not hardened"),
    "overview.tt.name": ("村名", "Village"),
    "overview.tt.code": ("村代码", "Code"),
    "overview.tt.town": ("镇街", "Town"),
    "overview.tt.households": ("总户数", "Households"),
    "overview.tt.poor_households": ("贫困户", "Poor households"),
    "overview.tt.poor_population": ("贫困人口", "Poor people"),
    "overview.tt.incidence": ("贫困发生率", "Incidence"),
    "overview.tt.density": ("贫困密度(户/km²)", "Density (hh/km²)"),
    "overview.tt.flags": ("村类别", "Category"),
    "overview.tt.pairings": ("在结对企业", "Active pairings"),
    "overview.tt.hardening": ("道路硬化率", "Road hardening"),
    "overview.tt.road": ("道路", "Road"),
    "overview.tt.road_class": ("等级", "Class"),
    "overview.tt.road_status": ("状态", "Status"),
    "overview.tt.site": ("旅游点", "Site"),
    "overview.tt.site_type": ("类型", "Type"),
    "overview.tt.a_level": ("A级", "A-level"),
    "overview.tt.enterprise": ("企业", "Enterprise"),
    "overview.tt.industry": ("行业", "Industry"),
    "overview.tt.leading": ("龙头企业", "Leading"),
    "overview.tt.pairing_type": ("帮扶方式", "Pairing type"),
    "overview.kpi.hardening_help": ("已硬化（完工）道路里程 ÷ 道路总里程", "Hardened (completed) km ÷ all road km"),
    "overview.kpi.coverage_help": (
        "需帮扶村（重点帮扶村或老区村）中，有在结对企业的村所占比例",
        "Share of needy villages (key or old-base) with at least one active pairing",
    ),
    "overview.kpi.coverage_value": (
        "需帮扶村{needy}个，其中{paired}个有在结对企业。",
        "{paired} of {needy} needy villages have an active pairing.",
    ),
    "overview.profile.item": ("指标", "Figure"),
    "overview.profile.value": ("数值", "Value"),
    "overview.map_caption": (
        "悬停查看村情；点击村庄在右侧查看村情档案；右上角图层按钮可开关道路、旅游点、企业和结对连线。",
        "Hover for figures; click a village for its profile; the layer button (top right) toggles overlays.",
    ),
    "overview.profile.title": ("村情档案", "Village profile"),
    "overview.profile.hint": ("点击地图上的村庄，在此查看村情档案。", "Click a village on the map to see its profile here."),
    "overview.profile.roads": ("道路", "Roads"),
    "overview.profile.sites": ("乡村旅游点", "Tourism sites"),
    "overview.profile.pairings": ("结对企业", "Pairings"),
    "overview.profile.projects": ("涉及本村的候选项目", "Candidate projects touching the village"),
    "overview.profile.none": ("无", "None"),
    "overview.profile.active": ("在结对", "Active"),
    "overview.profile.ended": ("已结束", "Ended"),
    "overview.profile.state": ("状态", "State"),
    "overview.profile.length_km": ("长度(km)", "Length (km)"),
    "overview.profile.road_km": ("道路里程(km)", "Road km"),
    "overview.profile.area": ("面积(km²)", "Area (km²)"),
    "overview.table.towns": ("各镇街汇总", "Summary by town"),
    "overview.table.villages": ("各村情况", "Villages"),
    "overview.file.towns": ("各镇街汇总", "town_summary"),
    "overview.file.villages": ("各村情况", "villages"),
    "overview.no_villages": ("当前范围内没有行政村。", "There are no villages in this selection."),
    "overview.col.village_code": ("村代码", "Village code"),
    "overview.col.village_name": ("村名", "Village"),
    "overview.col.town_code": ("镇代码", "Town code"),
    "overview.col.town_name": ("镇街", "Town"),
    "overview.col.villages": ("村数", "Villages"),
    "overview.col.households": ("总户数", "Households"),
    "overview.col.poor_households": ("贫困户", "Poor households"),
    "overview.col.poor_population": ("贫困人口", "Poor people"),
    "overview.col.incidence_pct": ("贫困发生率(%)", "Incidence (%)"),
    "overview.col.area_km2": ("面积(km²)", "Area (km²)"),
    "overview.col.poverty_density": ("贫困密度(户/km²)", "Poverty density (hh/km²)"),
    "overview.col.old_district_villages": ("老区村", "Old-base villages"),
    "overview.col.key_villages": ("重点帮扶村", "Key villages"),
    "overview.col.road_km": ("道路里程(km)", "Road km"),
    "overview.col.hardened_km": ("已硬化(km)", "Hardened km"),
    "overview.col.hardening_pct": ("道路硬化率(%)", "Hardening rate (%)"),
    "overview.col.needy_villages": ("需帮扶村", "Needy villages"),
    "overview.col.needy_paired": ("已结对需帮扶村", "Needy villages paired"),
    "overview.col.pairing_coverage_pct": ("结对覆盖率(%)", "Pairing coverage (%)"),
    "overview.col.active_pairings": ("在结对企业", "Active pairings"),
    # --- planning (issue 4) -------------------------------------------------------------
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
