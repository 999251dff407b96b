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
    "data.intro": (
        "导入本县自己的数据：上传文件 → 自动识别编码、列和坐标系 → 检查 → 预览变更 → 一次性写入（原数据自动备份）。",
        "Bring your own county: upload → detect encoding, columns and CRS → check → preview → apply in one step (backed up).",
    ),
    "data.import": ("导入数据", "Import data"),
    "data.export": ("导出数据", "Export data"),
    "data.backup": ("备份与恢复", "Backup and restore"),
    "data.target_layer": ("导入到图层", "Target layer"),
    "data.upload": ("上传文件（GeoPackage、GeoJSON、Shapefile 压缩包、KML、CSV、Excel）", "Upload a file (GeoPackage, GeoJSON, zipped Shapefile, KML, CSV, Excel)"),
    "data.example": ("或载入示例文件", "Or load an example file"),
    "data.example_none": ("（不使用示例）", "(no example)"),
    "data.load_example": ("载入示例", "Load example"),
    "data.no_file": ("请先上传文件或载入示例文件。", "Upload a file or load an example first."),
    "data.file": ("文件", "File"),
    "data.step_detect": ("① 识别与预览", "① Detect and preview"),
    "data.encoding": ("文字编码", "Text encoding"),
    "data.encoding_auto": ("自动识别", "Detect automatically"),
    "data.encoding_check": ("请确认下表中的中文显示正常；若出现乱码，请换一种编码。", "Check that the Chinese text below reads correctly; pick another encoding if not."),
    "data.sheet": ("工作表 / 图层", "Sheet / layer"),
    "data.first_rows": ("前 10 行", "First 10 rows"),
    "data.map_preview": ("几何预览", "Geometry preview"),
    "data.step_mapping": ("② 列对应", "② Column mapping"),
    "data.mapping_help": ("左列是文件中的列名，右列选择对应的字段；选“（不导入）”则忽略该列。", "Pick the field each file column maps to; “(skip)” ignores it."),
    "data.source_column": ("文件列名", "File column"),
    "data.target_field": ("对应字段", "Field"),
    "data.skip": ("（不导入）", "(skip)"),
    "data.saved_mapping": ("使用已保存的列对应", "Use a saved mapping"),
    "data.no_template": ("（不使用模板，自动匹配）", "(none: match automatically)"),
    "data.mapping_name": ("保存为模板（名称）", "Save as template (name)"),
    "data.save_mapping": ("保存列对应", "Save mapping"),
    "data.mapping_saved": ("列对应已保存", "Mapping saved"),
    "data.missing_required": ("尚未对应的必填字段", "Required fields not mapped yet"),
    "data.step_crs": ("③ 坐标系与导入方式", "③ Coordinates and mode"),
    "data.crs": ("坐标系", "Coordinate system"),
    "data.crs_auto": ("自动（按文件声明或坐标范围判断）", "Automatic (file declaration or coordinate range)"),
    "data.crs_used": ("使用的坐标系", "Coordinate system used"),
    "data.mode": ("导入方式", "Import mode"),
    "data.step_report": ("④ 数据检查", "④ Validation report"),
    "data.report_ok": ("没有发现问题。", "No problems found."),
    "data.step_change": ("⑤ 变更预览", "⑤ Change preview"),
    "data.added": ("新增", "Added"),
    "data.changed": ("修改", "Changed"),
    "data.removed": ("删除", "Removed"),
    "data.unchanged": ("不变", "Unchanged"),
    "data.changed_columns": ("被修改的字段（行数）", "Changed fields (rows)"),
    "data.apply": ("⑥ 确认导入", "⑥ Apply the import"),
    "data.apply_button": ("确认导入（写入工作空间）", "Apply (write to the workspace)"),
    "data.apply_blocked": ("存在错误，不能导入。请修正文件或调整列对应、坐标系后重试。", "There are errors: fix the file, mapping or CRS first."),
    "data.applied": ("导入完成。原工作空间已保存为备份，可在“备份与恢复”中恢复。", "Imported. The previous workspace is kept as a backup."),
    "data.backup_none": ("目前没有备份。导入后会自动保留导入前的工作空间。", "No backup yet; every import keeps the previous workspace."),
    "data.backup_version": ("备份的数据版本", "Backup version"),
    "data.restore": ("恢复备份", "Restore backup"),
    "data.restored": ("已恢复备份；恢复前的数据现在是备份，可再次恢复。", "Backup restored; the replaced data is now the backup."),
    "data.export_layer": ("导出内容", "What to export"),
    "data.export_all": ("整个工作空间", "Whole workspace"),
    "data.export_format": ("格式", "Format"),
    "data.prepare_export": ("生成导出文件", "Prepare export"),
    "data.download": ("下载", "Download"),
    "data.report_file": ("数据检查报告", "validation_report"),
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
