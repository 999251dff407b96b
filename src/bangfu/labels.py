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
    # --- tourism and pairings (issue 6) -------------------------------------------------
    "tourism.intro": (
        "乡村旅游点按类型和A级显示在贫困密度图上；统计各镇在旅游点辐射距离内的农户和贫困户。",
        "Tourism sites by type and A-level over poverty density; households and poor households within reach, by town.",
    ),
    "tourism.types": ("旅游点类型", "Site types"),
    "tourism.reach_km": ("辐射距离（公里）", "Reach distance (km)"),
    "tourism.show_reach": ("显示辐射范围", "Show reach circles"),
    "tourism.kpi_sites": ("旅游点", "Sites"),
    "tourism.kpi_visitors": ("年接待游客(人次)", "Annual visitors"),
    "tourism.kpi_employed": ("带动贫困户就业(户)", "Poor households employed"),
    "tourism.kpi_reached": ("辐射范围内农户", "Households within reach"),
    "tourism.kpi_poor_reached": ("辐射范围内贫困户", "Poor households within reach"),
    "tourism.map_sites": ("乡村旅游点", "Tourism sites"),
    "tourism.map_reach": ("辐射范围", "Reach"),
    "tourism.legend_density": ("贫困密度（户/km²，分位数分级）", "Poverty density (hh/km², quantiles)"),
    "tourism.legend_types": ("旅游点类型（圆越大A级越高）", "Site type (larger = higher A-level)"),
    "tourism.reach_title": ("各镇旅游辐射覆盖", "Households within reach, by town"),
    "tourism.reach_caption": (
        "辐射：农户与所选类型任一旅游点的直线距离不超过辐射距离（含邻镇的旅游点）。",
        "Reached: straight-line distance to any site of the chosen types at most the reach distance (sites in other towns count).",
    ),
    "tourism.sites_title": ("旅游点明细", "Sites"),
    "tourism.chart_title": ("各类型旅游点带动贫困户就业", "Poor households employed by site type"),
    "tourism.no_sites": ("当前筛选下没有旅游点。", "No tourism site matches the filter."),
    "tourism.no_households": (
        "工作空间没有农户点位，无法计算辐射范围内的农户。", "The workspace has no household points; reach cannot be counted.",
    ),
    "tourism.county": ("全市（县）合计", "County total"),
    "pairings.intro": (
        "企业与村的结对连线；按您设定的规则确定需帮扶村，检查每个需帮扶村是否有在结对的企业。",
        "Enterprise–village pairing lines; needy villages by your rule, and whether each has an active partner.",
    ),
    "pairings.rule": ("需帮扶村的认定规则", "Which villages are needy"),
    "pairings.rule_key": ("重点帮扶村", "Key villages"),
    "pairings.rule_old": ("老区村", "Old-base (老区) villages"),
    "pairings.rule_min_poor": ("贫困户不少于 N 户", "At least N poor households"),
    "pairings.rule_min_poor_n": ("N（户）", "N (households)"),
    "pairings.rule_incidence": ("贫困发生率高于 X%", "Incidence above X%"),
    "pairings.rule_incidence_x": ("X（%）", "X (%)"),
    "pairings.rule_combine": ("条件组合", "Combine criteria"),
    "pairings.combine_any": ("满足任一条件", "Any criterion"),
    "pairings.combine_all": ("同时满足全部条件", "All criteria"),
    "pairings.rule_now": ("当前规则", "Current rule"),
    "pairings.no_rule": ("请至少选择一个条件，否则没有需帮扶村。", "Choose at least one criterion."),
    "pairings.as_of": ("统计日期", "As of"),
    "pairings.kpi_needy": ("需帮扶村", "Needy villages"),
    "pairings.kpi_paired": ("已结对", "Paired"),
    "pairings.kpi_unpaired": ("未结对", "Without a partner"),
    "pairings.kpi_coverage": ("结对覆盖率", "Pairing coverage"),
    "pairings.kpi_active": ("在结对数", "Active pairings"),
    "pairings.kpi_funds": ("承诺资金(万元)", "Committed (10k yuan)"),
    "pairings.map_villages": ("需帮扶村结对状态", "Needy villages: pairing status"),
    "pairings.map_lines": ("结对连线", "Pairing lines"),
    "pairings.map_enterprises": ("帮扶企业", "Enterprises"),
    "pairings.legend_status": ("村结对状态", "Village status"),
    "pairings.status_gap": ("需帮扶但未结对（红框）", "Needy, no active pairing (red)"),
    "pairings.status_paired": ("需帮扶且已结对", "Needy and paired"),
    "pairings.status_other": ("非需帮扶村", "Not needy"),
    "pairings.legend_lines": ("结对方式", "Pairing type"),
    "pairings.line_inactive": ("已结束或未开始", "Ended or not started"),
    "pairings.show_inactive": ("显示已结束的结对连线", "Show ended pairings"),
    "pairings.tab_coverage": ("按镇覆盖率", "Coverage by town"),
    "pairings.tab_gaps": ("未结对需帮扶村", "Needy villages without a partner"),
    "pairings.tab_multi": ("多家企业结对的村", "Villages with several pairings"),
    "pairings.tab_enterprises": ("结对多个村的企业", "Enterprises with several villages"),
    "pairings.tab_towns": ("按镇汇总", "Totals by town"),
    "pairings.tab_edit": ("新增/修改结对", "Add or edit pairings"),
    "pairings.tab_history": ("修改记录", "History"),
    "pairings.gaps_none": ("所有需帮扶村都已有在结对的企业。", "Every needy village has an active partner."),
    "pairings.min_villages": ("至少结对村数", "At least this many villages"),
    "pairings.county": ("全市（县）合计", "County total"),
    "pairings.editor": ("修改人", "Editor"),
    "pairings.add": ("新增结对", "Add a pairing"),
    "pairings.add_submit": ("保存新结对", "Save pairing"),
    "pairings.added": ("已新增结对", "Pairing added"),
    "pairings.pick": ("选择结对", "Choose a pairing"),
    "pairings.edit": ("结束或修改结对", "End or edit a pairing"),
    "pairings.has_end": ("设置结束日期（结束结对）", "Set an end date (end the pairing)"),
    "pairings.edit_submit": ("保存修改", "Save changes"),
    "pairings.saved": ("已保存，当前版本", "Saved; version"),
    "pairings.based_on": ("基于版本", "Editing version"),
    "pairings.reload": ("载入最新数据", "Load the latest values"),
    "pairings.no_change": ("没有改动。", "Nothing changed."),
    "pairings.history_empty": ("还没有修改记录。", "No edits yet."),
    "pairings.no_enterprises": ("工作空间没有企业或村，无法新增结对。", "No enterprises or villages to pair."),
    "pt.col.incidence_pct": ("贫困发生率(%)", "Incidence (%)"),
    "pt.col.needy": ("需帮扶", "Needy"),
    "pt.col.active_pairings": ("在结对数", "Active pairings"),
    "pt.col.enterprises": ("结对企业", "Partner enterprises"),
    "pt.col.active_committed_wan": ("在结对承诺资金(万元)", "Active committed (10k yuan)"),
    "pt.col.active_poor_employed": ("在结对带动就业(户)", "Poor households employed (active)"),
    "pt.col.villages": ("村数", "Villages"),
    "pt.col.needy_paired": ("已结对需帮扶村", "Needy, paired"),
    "pt.col.needy_unpaired": ("未结对需帮扶村", "Needy, unpaired"),
    "pt.col.coverage_pct": ("覆盖率(%)", "Coverage (%)"),
    "pt.col.pairings": ("在结对数", "Active pairings"),
    "pt.col.enterprise_name": ("企业名称", "Enterprise"),
    "pt.col.active": ("在结对", "Active"),
    "pt.col.reached": ("辐射范围内农户", "Households reached"),
    "pt.col.poor_reached": ("辐射范围内贫困户", "Poor households reached"),
    "pt.col.reached_pct": ("农户覆盖(%)", "Households reached (%)"),
    "pt.col.poor_reached_pct": ("贫困户覆盖(%)", "Poor reached (%)"),
    "pt.col.households_in_reach": ("辐射范围内农户", "Households in reach"),
    "pt.col.poor_in_reach": ("辐射范围内贫困户", "Poor households in reach"),
    "pt.col.sites": ("旅游点数", "Sites"),
    "pt.col.poverty_density": ("贫困密度(户/km²)", "Poverty density (hh/km²)"),
    "pt.col.action": ("操作", "Action"),
    "pt.action.create": ("新增", "create"),
    "pt.action.edit": ("修改", "edit"),
    "pt.action.undo": ("撤销", "undo"),
    "pt.action.bulk": ("批量修改", "bulk"),
    "pt.action.end": ("结束", "end"),
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
