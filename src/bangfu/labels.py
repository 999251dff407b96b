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
    # --- data management (issue 7) ------------------------------------------------------
    # --- briefing (issue 8) -------------------------------------------------------------
    "briefing.title": ("{area}帮扶工作简报", "{area}: poverty alleviation briefing"),
    "briefing.date": ("{date}", "{date}"),
    "briefing.as_of": ("数据截至 {as_of}", "Data as of {as_of}"),
    "briefing.as_of_unknown": ("数据时点未注明", "Data date not stated"),
    "briefing.synthetic_prefix": ("示例数据说明：", "Demo data: "),
    "briefing.kpis": ("关键指标", "Key figures"),
    "briefing.map": ("贫困分布与重点项目", "Poverty and priority projects"),
    "briefing.map_legend": ("贫困密度（户/km²）", "Poverty density (hh/km²)"),
    "briefing.map_no_data": ("无数据", "No data"),
    "briefing.map_old_district": ("老区村", "Old-base village"),
    "briefing.map_town": ("镇界", "Town boundary"),
    "briefing.map_projects": ("入选项目", "Selected projects"),
    "briefing.north": ("北", "N"),
    "briefing.road_km": ("道路硬化完工里程（km，按年）", "Road km hardened per year"),
    "briefing.road_km_axis": ("km", "km"),
    "briefing.projects": ("重点项目（前10）", "Top-10 projects"),
    "briefing.unpaired": ("尚未结对的需帮扶村", "Needy villages without a partner"),
    "briefing.unpaired_none": ("需帮扶村均已结对。", "Every needy village has a partner."),
    "briefing.more_rows": ("另有 {n} 项未列出", "{n} more not listed"),
    "briefing.not_yet": ("本节所需功能尚未完成", "This section's function is not built yet"),
    "briefing.kpi_not_yet": ("尚未完成", "not built yet"),
    "briefing.error": ("本节计算出错", "This section failed"),
    "briefing.empty": ("暂无数据", "No data"),
    "briefing.notes": ("注", "Notes"),
    "briefing.note_fallback": ("{items}按简易口径计算（已完工道路里程 ÷ 全部道路里程，按道路所属村统计）",
                               "{items}: simple method (completed road km ÷ all road km, by the road's village)"),
    "briefing.note_missing": ("{items}所需功能尚未完成，暂缺", "{items}: not built yet"),
    "briefing.footer": ("帮扶地图 Bangfu Atlas 离线生成 · {stamp}", "Generated offline by Bangfu Atlas · {stamp}"),
    "briefing.col_rank": ("序号", "#"),
    "briefing.col_project": ("项目名称", "Project"),
    "briefing.col_type": ("类型", "Type"),
    "briefing.col_village": ("所在村", "Village"),
    "briefing.col_cost": ("投资(万元)", "Cost (10k yuan)"),
    "briefing.col_households": ("受益户数", "Households"),
    "briefing.col_poor": ("其中贫困户", "of which poor"),
    "briefing.col_town": ("镇街", "Town"),
    "briefing.col_poor_households": ("贫困户", "Poor hh"),
    "briefing.col_flags": ("类别", "Category"),
    "briefing.flag_old": ("老区", "old-base"),
    "briefing.flag_key": ("重点", "key"),
    "briefing.kpi_access": ("道路通达率", "Road access share"),
    "briefing.kpi_tourism": ("旅游带动覆盖", "Tourism reach"),
    "briefing.ptype.road_hardening": ("道路硬化", "Road hardening"),
    "briefing.ptype.drinking_water": ("饮水工程", "Drinking water"),
    "briefing.ptype.bridge": ("桥梁", "Bridge"),
    "briefing.ptype.irrigation": ("农田水利", "Irrigation"),
    "briefing.ptype.clinic": ("卫生室", "Clinic"),
    "briefing.ptype.school": ("学校", "School"),
    "briefing.ptype.broadband": ("宽带网络", "Broadband"),
    "briefing.no_font": (
        "未找到中文字体，无法生成简报。请安装思源黑体/Noto Sans CJK（Debian/Ubuntu：sudo apt-get install fonts-noto-cjk），"
        "或将 NotoSansCJK-Regular.ttc 放入 /usr/share/fonts 后重启应用。",
        "No Chinese font found, the briefing cannot be made. Install Noto Sans CJK "
        "(Debian/Ubuntu: sudo apt-get install fonts-noto-cjk) and restart the app.",
    ),
    # page
    "briefing.page_intro": (
        "一页 A4 简报：关键指标、贫困分布图、重点项目和未结对村，可下载 PDF 和 Word。",
        "A one-page A4 briefing: key figures, poverty map, priority projects and unpaired villages, as PDF and Word.",
    ),
    "briefing.present": ("演示模式", "Presentation mode"),
    "briefing.present_help": ("全屏显示地图和关键指标，隐藏侧栏和编辑控件；链接加 ?present=1 可直接进入。",
                              "Full-width map and key figures without sidebar or controls; add ?present=1 to a link."),
    "briefing.building": ("正在生成简报…", "Building the briefing…"),
    "briefing.step_data": ("读取数据", "Reading data"),
    "briefing.step_figures": ("计算指标", "Computing figures"),
    "briefing.step_map": ("绘制地图", "Drawing the map"),
    "briefing.step_pdf": ("生成 PDF", "Writing the PDF"),
    "briefing.step_docx": ("生成 Word", "Writing the Word file"),
    "briefing.step_done": ("简报已生成", "Briefing ready"),
    "briefing.rebuild": ("重新生成", "Rebuild"),
    "briefing.download_pdf": ("下载 PDF", "Download PDF"),
    "briefing.download_docx": ("下载 Word", "Download Word"),
    "briefing.download_png": ("下载地图 PNG", "Download map PNG"),
    "briefing.preview": ("简报预览", "Preview"),
    "briefing.sections_status": ("各节状态", "Section status"),
    "briefing.col_section": ("内容", "Section"),
    "briefing.col_status": ("状态", "Status"),
    "briefing.status_ok": ("已完成", "ready"),
    "briefing.status_fallback": ("简易口径", "simple method"),
    "briefing.status_missing": ("功能尚未完成", "not built yet"),
    "briefing.status_error": ("计算出错", "failed"),
    "briefing.failed": ("简报生成失败", "The briefing could not be made"),
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
