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
    # --- roads (issue 5) ----------------------------------------------------------------
    "roads.intro": (
        "村道硬化逐路跟踪：地图按硬化状态着色，硬化率按村、镇、全市（县）统计，通达率参照农村通达指数（SDG 9.1.1）。",
        "Village road hardening road by road: map by status, hardening rate by village, town and county, "
        "access share after the Rural Access Index (SDG 9.1.1).",
    ),
    "roads.filter.status": ("硬化状态", "Status"),
    "roads.filter.class": ("道路等级", "Road class"),
    "roads.filter.year": ("年份（完工或计划）", "Year (completed or planned)"),
    "roads.legend": ("道路硬化状态", "Road hardening status"),
    "roads.map.villages": ("村界", "Village boundaries"),
    "roads.map.caption": (
        "悬停道路查看编号、进度和年份；年份筛选不影响尚无年份的道路。",
        "Hover a road for its ID, progress and years; roads without a year stay visible under the year filter.",
    ),
    "roads.no_roads": ("工作空间里还没有道路数据。", "The workspace has no roads yet."),
    "roads.kpi.total_km": ("道路总里程(km)", "All roads (km)"),
    "roads.kpi.hardened_km": ("已硬化(km)", "Hardened (km)"),
    "roads.kpi.unreached": ("未通硬化路的村", "Villages without a hardened road"),
    "roads.kpi.access": ("农户通达率", "Household access share"),
    "roads.kpi.poor_access": ("贫困户通达率", "Poor household access share"),
    "roads.tab.progress": ("硬化进度", "Progress"),
    "roads.tab.access": ("通达率", "Access share"),
    "roads.tab.edit": ("修改道路", "Edit a road"),
    "roads.tab.bulk": ("Excel 批量更新", "Bulk update from Excel"),
    "roads.tab.history": ("修改记录", "History"),
    "roads.by_town": ("各镇街硬化率", "Hardening rate by town"),
    "roads.by_village": ("各村硬化率（未通硬化路的村排在最前）", "Villages (those without a hardened road first)"),
    "roads.target.kind": ("目标类型", "Target type"),
    "roads.target.rate": ("到年底的硬化率(%)", "Hardening rate by year end (%)"),
    "roads.target.km": ("当年计划硬化里程(km)", "Km to harden in the year"),
    "roads.target.hint": (
        "在表中填写每年的目标（可增删行），图中红色虚线为累计目标。",
        "Enter a target per year (rows can be added or removed); the red dashed line is the cumulative target.",
    ),
    "roads.chart.title": ("每年硬化里程与累计进度", "Km hardened per year and cumulative progress"),
    "roads.chart.completed": ("当年硬化(km)", "Hardened in year (km)"),
    "roads.chart.cumulative": ("累计硬化(km)", "Cumulative hardened (km)"),
    "roads.chart.target": ("累计目标(km)", "Cumulative target (km)"),
    "roads.chart.year": ("年份", "Year"),
    "roads.chart.km": ("里程(km)", "Length (km)"),
    "roads.col.year": ("年份", "Year"),
    "roads.col.value": ("目标值", "Target"),
    "roads.col.total_km": ("总里程(km)", "All roads (km)"),
    "roads.col.completed_km": ("已硬化(km)", "Hardened (km)"),
    "roads.col.under_construction_km": ("在建(km)", "Under construction (km)"),
    "roads.col.planned_km": ("计划(km)", "Planned (km)"),
    "roads.col.unhardened_km": ("未硬化(km)", "Unhardened (km)"),
    "roads.col.rate_pct": ("硬化率(%)", "Hardening rate (%)"),
    "roads.col.reached": ("已通硬化路", "Reached by a hardened road"),
    "roads.col.cumulative_km": ("累计硬化(km)", "Cumulative hardened (km)"),
    "roads.col.cumulative_rate_pct": ("累计硬化率(%)", "Cumulative rate (%)"),
    "roads.col.target_km": ("累计目标(km)", "Cumulative target (km)"),
    "roads.col.gap_km": ("与目标差距(km)", "Gap to target (km)"),
    "roads.col.households": ("农户数", "Households"),
    "roads.col.households_within": ("通达农户", "Households with access"),
    "roads.col.share_pct": ("农户通达率(%)", "Access share (%)"),
    "roads.col.poor": ("贫困户数", "Poor households"),
    "roads.col.poor_within": ("通达贫困户", "Poor households with access"),
    "roads.col.poor_share_pct": ("贫困户通达率(%)", "Poor access share (%)"),
    "roads.col.share_if_pct": ("在建完工后通达率(%)", "Share if built (%)"),
    "roads.col.poor_share_if_pct": ("在建完工后贫困户通达率(%)", "Poor share if built (%)"),
    "roads.col.gain_pct": ("提高(百分点)", "Gain (points)"),
    "roads.col.field": ("字段", "Field"),
    "roads.col.old": ("原值", "Old value"),
    "roads.col.new": ("新值", "New value"),
    "roads.col.changed_at": ("修改时间", "Changed at"),
    "roads.col.editor": ("修改人", "Editor"),
    "roads.col.action": ("操作", "Action"),
    "roads.col.edit_id": ("修改批次", "Edit ID"),
    "roads.access.distance": ("通达距离(km)", "Access distance (km)"),
    "roads.access.caption": (
        "通达率 = 距已硬化道路不超过该距离的农户占比（直线距离，参照世界银行农村通达指数 RAI 的 2 km）；"
        "“在建完工后”假设所有在建道路完工。",
        "Access share = share of households within this straight-line distance of a hardened road (the World "
        "Bank Rural Access Index uses 2 km); \"if built\" assumes every road under construction is completed.",
    ),
    "roads.access.no_households": (
        "工作空间里没有农户点位，无法计算通达率。", "The workspace has no household points; no access share."
    ),
    "roads.edit.editor": ("修改人", "Editor"),
    "roads.edit.road": ("选择道路", "Road"),
    "roads.edit.loaded": ("表单基于第 {v} 版", "Form based on version {v}"),
    "roads.edit.submit": ("保存修改", "Save"),
    "roads.edit.no_change": ("没有改动，未保存。", "Nothing changed; not saved."),
    "roads.edit.saved": ("已保存 {road}（第 {v} 版）。", "Saved {road} (version {v})."),
    "roads.edit.reload": ("载入最新值", "Load the latest values"),
    "roads.edit.undo": ("撤销这条道路最近一次修改", "Undo this road's last edit"),
    "roads.edit.undone": ("已撤销 {road} 的最近一次修改（第 {v} 版）。", "Undid the last edit of {road} (version {v})."),
    "roads.edit.rules": (
        "规则：进度 0–100%；“已硬化”须进度 100% 且填写完工年份；“在建”进度须小于 100%；“计划”/“未硬化”进度为 0；"
        "完工年份不早于计划年份、不晚于今年。",
        "Rules: progress 0–100%; hardened needs 100% and a completed year; under construction below 100%; "
        "planned/unhardened at 0%; completed year not before the planned year nor in the future.",
    ),
    "roads.edit.history": ("这条道路的修改记录", "This road's history"),
    "roads.edit.no_history": ("这条道路还没有修改记录。", "No changes recorded for this road yet."),
    "roads.history.recent": ("最近的修改（全部道路）", "Recent changes (all roads)"),
    "roads.bulk.upload": ("上传 Excel 或 CSV（道路编号 + 新值）", "Upload Excel or CSV (road ID + new values)"),
    "roads.bulk.help": (
        "第一行为表头：道路编号，以及要更新的列（硬化状态、进度(%)、计划年份、完工年份、投资(万元)、路面），中英文表头均可；"
        "空白单元格表示不修改。整表检查通过才会写入，任何一行有错都不写入。",
        "Header row: road ID plus the columns to update (status, progress, planned/completed year, cost, surface), "
        "Chinese or English; empty cells are left unchanged. Nothing is written unless every row passes.",
    ),
    "roads.bulk.template": ("下载填写模板", "Download a template"),
    "roads.bulk.preview": ("将要修改的内容（预览，尚未写入）", "What will change (preview, not written yet)"),
    "roads.bulk.apply": ("确认写入 {n} 条道路", "Apply to {n} roads"),
    "roads.bulk.applied": ("已批量更新 {n} 条道路。", "Updated {n} roads."),
    "roads.bulk.refused": ("整表未写入，请修正以下问题后重新上传：", "Nothing was written; fix these and upload again:"),
    "roads.bulk.ignored": ("以下列不是可更新的字段，已忽略：{cols}", "Ignored columns: {cols}"),
    "roads.bulk.nothing": ("表中的值与当前数据相同，没有需要修改的内容。", "The sheet matches the current data; nothing to change."),
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
