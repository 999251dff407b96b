"""Column mapping: match a file's column names to a layer's fields from a synonyms table; save/reuse mappings.

The synonyms table is data: field name → the Chinese and English headers seen in county
spreadsheets and GIS files. Besides the layer's own fields (from :mod:`bangfu.workspace.schema`) a file
can supply *helper* fields: longitude/latitude, a WKT geometry column, and the village/town name
used to look up a village code ("joined by name within a town").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterable, Mapping, Sequence

from bangfu.core import fileio
from bangfu.core.errors import BangfuError
from bangfu.workspace.schema import Layer, get_layer

#: Helper fields a source column may map to (not stored; used to build geometry or join villages).
HELPERS: dict[str, tuple[str, str]] = {
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
    "wkt": ("几何(WKT)", "Geometry (WKT)"),
    "ref_village_name": ("村名（用于匹配村代码）", "Village name (to look up the code)"),
    "ref_town_name": ("镇街名（用于匹配村代码）", "Town name (to look up the code)"),
}

#: Field → synonyms (matched after normalisation: case, spaces, punctuation and bracketed units ignored).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "village_code": ("村代码", "村编码", "村级代码", "行政区划代码", "统计用区划代码", "区划代码", "村区划代码",
                     "村委会代码", "行政村代码", "行政代码", "行政村编码", "村居代码", "村级区划代码", "代码", "所属村代码", "所在村代码", "code", "vcode", "village_id", "adcode", "村代码12位"),
    "village_name": ("村名", "村名称", "行政村", "行政村名称", "村委会", "村委会名称", "村（居）委会", "村居委会", "村（社区）",
                     "村社区", "村", "行政村名", "村居名称", "name_village", "village", "villagename"),
    "town_code": ("镇代码", "乡镇代码", "镇街代码", "乡镇街道代码", "towncode"),
    "town_name": ("镇街", "镇", "乡镇", "镇名", "乡镇名称", "镇街名称", "乡镇（街道）", "乡镇街道", "所属乡镇", "所属镇", "所属镇街", "所属街道", "所属乡镇街道", "镇街名", "镇名称", "town", "townname", "township"),
    "county_code": ("县代码", "县区代码", "县级代码", "countycode"),
    "county_name": ("县", "县名", "县市区", "县（市、区）", "所属县", "county", "countyname"),
    "households": ("户数", "总户数", "农户数", "户籍户数", "hh", "total_households", "household_count"),
    "population": ("人口", "总人口", "户籍人口", "人口数", "pop", "total_population"),
    "poor_households": ("贫困户数", "贫困户", "建档立卡户数", "建档立卡贫困户数", "建档立卡户", "低收入户数", "低收入户",
                        "脱贫户数", "poor_hh", "poorhouseholds"),
    "poor_population": ("贫困人口", "贫困人数", "建档立卡人口", "建档立卡贫困人口", "低收入人口", "脱贫人口", "poor_pop"),
    "is_old_district": ("老区村", "老区", "是否老区", "是否老区村", "革命老区", "old_district", "old_base"),
    "is_key_village": ("重点帮扶村", "是否重点帮扶村", "重点村", "贫困村", "是否贫困村", "相对贫困村", "key_village"),
    "collective_income_wan": ("村集体收入", "村集体经济收入", "集体收入", "集体经济收入", "collective_income"),
    "household_id": ("户编号", "户主编号", "户号", "农户编号", "家庭编号", "户编码", "户代码", "家庭编码", "hh_id", "householdid"),
    "members": ("家庭人口", "家庭人口数", "户人口", "人口数", "成员数", "人口", "家庭人数", "人数", "家庭成员数", "hh_size"),
    "is_poor": ("低收入户", "是否低收入户", "是否贫困户", "贫困户", "建档立卡户", "是否建档立卡", "是否建档立卡户", "建档立卡", "脱贫户", "是否脱贫户", "poor"),
    "is_key": ("重点帮扶户", "是否重点帮扶户", "重点户", "key"),
    "poverty_cause": ("致贫原因", "主要致贫原因", "cause"),
    "has_labour": ("有劳动能力", "是否有劳动能力", "劳动能力", "labour", "has_labor"),
    "road_id": ("道路编号", "路线编号", "路线编码", "道路编码", "roadid"),
    "name": ("名称", "名字", "驻地名称", "道路名称", "路线名称", "景点名称", "旅游点名称", "企业名称", "单位名称", "项目名称", "路名", "景区名称", "企业名", "title"),
    "road_class": ("道路等级", "行政等级", "技术等级", "公路等级", "等级", "class"),
    "surface": ("路面", "路面类型", "路面材料"),
    "status": ("状态", "硬化状态", "建设状态", "项目状态"),
    "planned_year": ("计划年份", "计划年度", "计划建设年份"),
    "completed_year": ("完工年份", "建成年份", "完成年份"),
    "progress_pct": ("进度", "完成进度", "工程进度", "进度百分比", "progress"),
    "cost_wan": ("投资", "投资额", "总投资", "投资金额", "估算投资", "估算总投资", "计划投资", "预算", "预算投资", "cost"),
    "version": ("版本",),
    "site_id": ("景点编号", "旅游点编号", "编号"),
    "site_type": ("类型", "景点类型", "旅游类型", "type"),
    "a_level": ("a级", "等级a", "景区等级", "a级景区", "alevel"),
    "annual_visitors": ("年接待游客", "年游客量", "游客人次", "接待人次", "visitors"),
    "poor_households_employed": ("带动贫困户就业", "带动贫困户", "带贫户数", "吸纳贫困户就业", "帮扶贫困户数"),
    "approximate_location": ("位置为近似", "近似位置"),
    "synthetic": ("示例数据", "合成数据"),
    "enterprise_id": ("企业编号", "统一社会信用代码", "企业代码"),
    "industry": ("行业", "所属行业", "产业"),
    "is_leading": ("龙头企业", "是否龙头企业", "leading"),
    "employees": ("职工人数", "员工人数", "从业人数", "职工数", "员工数"),
    "pairing_id": ("结对编号", "帮扶编号"),
    "pairing_type": ("帮扶方式", "结对方式", "帮扶类型"),
    "start_date": ("开始日期", "结对日期", "起始日期", "开始时间"),
    "end_date": ("结束日期", "终止日期", "结束时间"),
    "committed_wan": ("承诺资金", "帮扶资金", "投入资金", "捐赠金额"),
    "project_id": ("项目编号", "项目代码"),
    "project_type": ("项目类型", "建设类型", "项目类别", "建设类别", "类别"),
    # seats: the village or town code, whose seat it is
    "code": ("代码", "区划代码", "统计用区划代码", "行政区划代码", "驻地代码", "村代码", "镇代码", "村镇代码", "adcode",
             "village_code", "town_code"),
    "kind": ("类型", "驻地类型", "类别", "级别", "驻地级别", "seat_kind", "type"),
    # helpers
    "lon": ("经度", "东经", "经度坐标", "lng", "lon", "long", "longitude", "x", "x坐标", "gps经度", "经度e"),
    "lat": ("纬度", "北纬", "纬度坐标", "lat", "latitude", "y", "y坐标", "gps纬度", "纬度n"),
    "wkt": ("wkt", "geometry_wkt", "几何", "geom_wkt", "shape_wkt"),
}


def normalise(name: object) -> str:
    """Column name in comparable form: lower case, bracketed units and punctuation removed."""
    text = str(name).strip().lower()
    text = re.sub(r"[（(【\[][^）)】\]]*[）)】\]]", "", text)  # "贫困户数（户）" → "贫困户数"
    text = re.sub(r"[\s_\-·.,:：/\\、]+", "", text)
    return text


def shapefile_names(layer: Layer | str) -> dict[str, str]:
    """Field → unique name of at most 10 characters (dBASE limit), deterministic, used by exports."""
    layer = get_layer(layer) if isinstance(layer, str) else layer
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in layer.columns:
        short = col.name[:10]
        i = 1
        while short in used:
            short = f"{col.name[:8]}_{i}"
            i += 1
        used.add(short)
        out[col.name] = short
    return out


def targets(layer: Layer | str) -> list[str]:
    """Fields a source column can map to for ``layer``: its columns, then helper fields."""
    layer = get_layer(layer) if isinstance(layer, str) else layer
    helpers = ["lon", "lat", "wkt"] if layer.geometry in ("Point", "Any") else ["wkt"] if layer.geometry else []
    if "village_code" in layer.column_names and "village_name" not in layer.column_names:
        helpers += ["ref_village_name", "ref_town_name"]
    return list(layer.column_names) + helpers


def target_label(layer: Layer | str, field: str, lang: str = "zh") -> str:
    """Label of a mapping target (schema label or helper label)."""
    layer = get_layer(layer) if isinstance(layer, str) else layer
    if field in HELPERS:
        return HELPERS[field][0 if lang == "zh" else 1]
    col = layer.column(field)
    return col.zh if lang == "zh" else col.en


def _names_for(layer: Layer, field: str) -> list[str]:
    """Normalised names that identify ``field`` in ``layer`` (best first)."""
    names: list[str] = [field]
    if field in layer.column_names:
        col = layer.column(field)
        names += [col.zh, col.en, shapefile_names(layer)[field]]
    elif field in HELPERS:
        names += list(HELPERS[field])
    src = {"ref_village_name": "village_name", "ref_town_name": "town_name"}.get(field, field)
    names += [src] + list(SYNONYMS.get(src, ()))
    seen: list[str] = []
    for n in names:
        k = normalise(n)
        if k and k not in seen:
            seen.append(k)
    return seen


def auto_mapping(columns: Sequence[str], layer: Layer | str) -> dict[str, str]:
    """Source column → target field, matched by name; each source and each target used once.

    Exact field names win over labels, labels over synonyms (earlier synonyms first).
    """
    layer = get_layer(layer) if isinstance(layer, str) else layer
    norm = {c: normalise(c) for c in columns}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    candidates: list[tuple[int, int, str, str]] = []  # (rank, column order, column, field)
    for order, col in enumerate(columns):
        for field in targets(layer):
            names = _names_for(layer, field)
            if norm[col] in names:
                candidates.append((names.index(norm[col]), order, col, field))
    for _rank, _order, col, field in sorted(candidates):
        if col in mapping or field in taken:
            continue
        mapping[col] = field
        taken.add(field)
    return mapping


def apply_saved(columns: Sequence[str], saved: Mapping[str, str], layer: Layer | str) -> dict[str, str]:
    """A saved mapping applied to this file's columns (unknown columns/targets dropped), auto for the rest."""
    allowed = set(targets(layer))
    out = {c: f for c, f in saved.items() if c in columns and f in allowed}
    used = set(out.values())
    for c, f in auto_mapping([c for c in columns if c not in out], layer).items():
        if f not in used:
            out[c] = f
            used.add(f)
    return out


class MappingError(BangfuError, ValueError):
    """A column mapping that cannot be used (a target used twice, or unknown)."""


def check_mapping(mapping: Mapping[str, str], layer: Layer | str) -> None:
    """Raise :class:`MappingError` if a target is unknown or used twice (message lists the allowed targets)."""
    allowed = targets(layer)
    seen: dict[str, str] = {}
    for col, field in mapping.items():
        if field not in allowed:
            raise MappingError(
                f"列「{col}」对应的字段 {field} 不存在；可用：{'、'.join(allowed)}",
                f"unknown target {field!r} for column {col!r}; allowed: {', '.join(allowed)}",
            )
        if field in seen:
            label = target_label(layer, field)
            raise MappingError(
                f"列「{seen[field]}」和「{col}」都对应到同一个字段「{label}」（{field}）",
                f"columns {seen[field]!r} and {col!r} both map to {field!r}",
                hint_zh="每个字段只能对应一列：把其中一列改为“（不导入）”。",
                hint_en="Each field takes one column: set one of them to “(skip)”.",
            )
        seen[field] = col


# --------------------------------------------------------------------------- saved mappings

MAPPING_DIR = "mappings"
_SAFE = re.compile(r"[^\w\u4e00-\u9fff-]+")


@dataclass(frozen=True)
class SavedMapping:
    """A reusable mapping stored as JSON in the workspace folder."""

    name: str
    layer: str
    columns: dict[str, str]
    crs: str | None = None
    encoding: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"version": 1, "name": self.name, "layer": self.layer, "columns": self.columns, "crs": self.crs,
             "encoding": self.encoding},
            ensure_ascii=False,
            indent=2,
        )


def safe_name(name: str) -> str:
    """A file-system-safe mapping name (letters, digits, CJK, ``_`` and ``-``; at most 60 characters)."""
    clean = _SAFE.sub("_", name.strip()).strip("_")[:60]
    if not clean:
        raise MappingError("列对应模板的名称不能为空（可用字母、数字、汉字、_ 和 -）。", "the mapping name is empty")
    return clean


def save_mapping(folder: Path | str, mapping: SavedMapping) -> Path:
    """Write ``mappings/<name>.json`` in the workspace folder (overwrites a mapping of that name)."""
    check_mapping(mapping.columns, mapping.layer)
    d = Path(folder) / MAPPING_DIR
    d.mkdir(parents=True, exist_ok=True)
    return fileio.write_text(d / f"{safe_name(mapping.name)}.json", mapping.to_json())


def load_mapping(path: Path | str) -> SavedMapping:
    """Read a saved mapping (ValueError with the reason when the file is not one)."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
        cols = {str(k): str(v) for k, v in dict(obj["columns"]).items()}
        m = SavedMapping(str(obj.get("name", Path(path).stem)), str(obj["layer"]), cols, obj.get("crs"), obj.get("encoding"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a saved column mapping: {path} ({exc})") from None
    get_layer(m.layer)
    return m


def list_mappings(folder: Path | str, *, layer: str | None = None) -> list[SavedMapping]:
    """Saved mappings in the workspace folder (optionally only those for ``layer``), sorted by name."""
    d = Path(folder) / MAPPING_DIR
    out = []
    for p in sorted(d.glob("*.json")) if d.exists() else []:
        try:
            m = load_mapping(p)
        except (ValueError, KeyError):
            continue
        if layer is None or m.layer == layer:
            out.append(m)
    return out


def unmapped_required(mapping: Mapping[str, str], layer: Layer | str) -> list[str]:
    """Required fields of ``layer`` that no column maps to."""
    layer = get_layer(layer) if isinstance(layer, str) else layer
    got = set(mapping.values())
    return [c for c in layer.required_columns if c not in got]


def iter_targets_with_labels(layer: Layer | str, lang: str = "zh") -> Iterable[tuple[str, str]]:
    """(field, label) pairs for a selectbox."""
    for f in targets(layer):
        yield f, target_label(layer, f, lang)
