"""Validators: check a layer (and the cross-layer invariants) and report every problem at once.

One generic validator reads the declarative table of :mod:`bangfu.workspace.schema`: required columns,
types, patterns, ranges, choices, uniqueness, references, row rules and geometry. Layer-specific
extra checks (village codes inside their town, a valid polygon coverage, points inside a village)
are registered in ``EXTRA_CHECKS`` by layer name. Nothing raises on bad data: every problem
becomes one :class:`Problem` line naming file, layer, row, column, value, reason and what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from collections.abc import Callable, Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu.core import vocab
from bangfu.workspace.schema import LAYERS, Column, Layer, RowRule, get_layer

Severity = Literal["error", "warning"]

#: How many problems of one kind (layer, column, reason) are listed before they are summarised.
MAX_PER_KIND = 200


@dataclass(frozen=True)
class Problem:
    """One problem in one cell (or row, or layer)."""

    layer: str
    row: int | None  # 1-based data row number (None: the whole layer)
    row_id: str | None  # the row's key value when it has one
    column: str | None
    value: str
    reason_zh: str
    reason_en: str
    hint_zh: str = ""
    severity: Severity = "error"
    file: str | None = None

    def line(self, lang: str = "zh") -> str:
        """The problem as one readable line."""
        where = [self.file or "", get_layer(self.layer).zh if lang == "zh" else self.layer]
        if self.row is not None:
            where.append(f"第{self.row}行" if lang == "zh" else f"row {self.row}")
        if self.row_id:
            where.append(self.row_id)
        if self.column:
            where.append(self.column)
        head = " / ".join(w for w in where if w)
        reason = self.reason_zh if lang == "zh" else self.reason_en
        value = f"（值：{self.value}）" if self.value and lang == "zh" else (f" (value: {self.value})" if self.value else "")
        hint = f" → {self.hint_zh}" if self.hint_zh and lang == "zh" else ""
        return f"{head}：{reason}{value}{hint}" if lang == "zh" else f"{head}: {reason}{value}"


@dataclass
class Report:
    """Every problem found; ``ok`` when there is no error (warnings allowed)."""

    problems: list[Problem] = field(default_factory=list)
    truncated: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors and not any(k.startswith("error") for k in self.truncated)

    def extend(self, other: Report) -> Report:
        self.problems.extend(other.problems)
        for k, v in other.truncated.items():
            self.truncated[k] = self.truncated.get(k, 0) + v
        return self

    def to_frame(self, lang: str = "zh") -> pd.DataFrame:
        """A table for display or download; Chinese headers by default."""
        cols = {
            "severity": ("级别", "Severity"),
            "file": ("文件", "File"),
            "layer": ("图层", "Layer"),
            "row": ("行号", "Row"),
            "row_id": ("编号", "ID"),
            "column": ("字段", "Column"),
            "value": ("值", "Value"),
            "reason": ("问题", "Problem"),
            "hint": ("处理建议", "What to do"),
        }
        i = 0 if lang == "zh" else 1
        rows = [
            {
                cols["severity"][i]: ("错误" if p.severity == "error" else "警告") if lang == "zh" else p.severity,
                cols["file"][i]: p.file or "",
                cols["layer"][i]: get_layer(p.layer).zh if lang == "zh" else p.layer,
                cols["row"][i]: p.row,
                cols["row_id"][i]: p.row_id or "",
                cols["column"][i]: p.column or "",
                cols["value"][i]: p.value,
                cols["reason"][i]: p.reason_zh if lang == "zh" else p.reason_en,
                cols["hint"][i]: p.hint_zh,
            }
            for p in self.problems
        ]
        return pd.DataFrame(rows, columns=[v[i] for v in cols.values()])

    def summary_zh(self) -> str:
        """One sentence: how many errors and warnings."""
        n_err = len(self.errors) + sum(v for k, v in self.truncated.items() if k.startswith("error"))
        n_warn = len(self.warnings) + sum(v for k, v in self.truncated.items() if k.startswith("warning"))
        if not n_err and not n_warn:
            return "数据检查通过，没有发现问题。"
        return f"发现 {n_err} 个错误、{n_warn} 个警告。" + ("错误必须先修正。" if n_err else "")


class _Collector:
    """Builds a Report, capping the number of lines per kind of problem."""

    def __init__(self, layer: Layer, df: pd.DataFrame, file: str | None) -> None:
        self.layer = layer
        self.file = file
        self.report = Report()
        self._counts: dict[tuple[str, str | None, str], int] = {}
        keycol = layer.key
        self._ids = df[keycol].astype(object).tolist() if keycol in df.columns else None

    def add(
        self,
        pos: int | None,
        column: str | None,
        value: object,
        reason_zh: str,
        reason_en: str,
        hint_zh: str = "",
        severity: Severity = "error",
    ) -> None:
        kind = (severity, column, reason_en)
        n = self._counts.get(kind, 0) + 1
        self._counts[kind] = n
        if n > MAX_PER_KIND:
            key = f"{severity}:{self.layer.name}:{column}:{reason_en}"
            self.report.truncated[key] = self.report.truncated.get(key, 0) + 1
            return
        row_id = None
        if pos is not None and self._ids is not None:
            v = self._ids[pos]
            row_id = None if _missing(v) else str(v)
        self.report.problems.append(
            Problem(
                layer=self.layer.name,
                row=None if pos is None else pos + 1,
                row_id=row_id,
                column=column,
                value=_show(value),
                reason_zh=reason_zh,
                reason_en=reason_en,
                hint_zh=hint_zh,
                severity=severity,
                file=self.file,
            )
        )


def _missing(v: object) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def _text_missing(s: pd.Series, *, text: bool = True) -> tuple[pd.Series | None, pd.Series]:
    """(the column as stripped text with ``None`` where a value is missing, the mask of missing values —
    :func:`_missing`: None/NaN/NA or blank text), in one vectorised pass for a column of strings (what a
    workspace holds); a call per value only for mixed columns. ``text=False``: a numeric column's text is not
    built (None)."""
    if s.dtype != object and pd.api.types.is_string_dtype(s.dtype):  # arrow-backed strings
        s = s.astype(object).where(s.notna(), None)
    na = s.isna()
    if s.dtype == object:
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind == "string":
            stripped = s.str.strip()
            missing = (na | stripped.eq("")).fillna(True).astype(bool)
            return stripped.where(~missing, None).astype(object), missing
        if kind == "empty":
            return pd.Series(None, index=s.index, dtype=object), pd.Series(True, index=s.index)
        missing = s.map(_missing).astype(bool)
        if not text:
            return None, missing
        return s.map(lambda v: None if _missing(v) else str(v).strip()).astype(object), missing
    missing = na.astype(bool)
    if not text:
        return None, missing
    return s.astype(object).map(lambda v: None if _missing(v) else str(v).strip()).astype(object), missing


def _missing_mask(s: pd.Series) -> pd.Series:
    """:func:`_missing` for a whole column (see :func:`_text_missing`)."""
    return _text_missing(s, text=False)[1]


def _text(s: pd.Series, *, blank: str | None = None) -> pd.Series:
    """A column as stripped text, ``blank`` where a value is missing (:func:`_missing`): vectorised for strings."""
    text, missing = _text_missing(s)
    assert text is not None
    return text if blank is None else text.where(~missing, blank).astype(object)


def _show(v: object) -> str:
    if _missing(v):
        return "（空）"
    text = str(v)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_bool(v: object) -> float:
    """1.0 / 0.0 for a yes/no value the :data:`bangfu.core.vocab.YES_NO` vocabulary knows (是/否, 有/无, √/×,
    1/0, yes/no…), NaN otherwise (or when missing)."""
    if _missing(v):
        return np.nan
    if isinstance(v, (bool, np.bool_)):  # fast paths for stored data (the vocabulary says the same)
        return float(v)
    if isinstance(v, (int, np.integer, float, np.floating)) and float(v) in (0.0, 1.0):
        return float(v)
    code = vocab.YES_NO.parse(v)
    return 1.0 if code == "true" else 0.0 if code == "false" else np.nan
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _typed(col: Column, s: pd.Series, present: pd.Series | None = None,
           text: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """(values converted to the column's type, mask of present values that failed to convert); ``present`` and
    ``text`` (:func:`_text_missing`) when the caller has them already."""
    present = ~_missing_mask(s) if present is None else present
    if col.dtype in ("int", "float"):
        num = pd.to_numeric(s.where(present), errors="coerce")
        num = num.where(np.isfinite(num.astype("float64")) & (num.abs() < (2.0**53 if col.dtype == "int" else 1e300)))
        bad = present & num.isna()
        if col.dtype == "int":
            frac = present & ~bad & (num.fillna(0) % 1 != 0)
            bad = bad | frac
        return num.astype("float64"), bad
    if col.dtype == "bool":
        if pd.api.types.is_bool_dtype(s.dtype):  # stored data: no call per value
            conv = s.astype("float64")
        else:
            conv = s.map(parse_bool).astype("float64")
        return conv, present & conv.isna()
    if col.dtype == "date":
        text = s.map(lambda v: None if _missing(v) else str(v).strip()[:10])
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        bad = present & (parsed.isna() | ~text.fillna("").map(lambda t: bool(_DATE_RE.match(t))).astype(bool))
        return parsed, bad
    if col.dtype == "datetime":
        parsed = pd.to_datetime(s.where(present), errors="coerce", format="ISO8601")
        return parsed, present & parsed.isna()
    return (_text(s) if text is None else text), pd.Series(False, index=s.index)


#: How a column type is named in Chinese (messages, the import templates).
TYPE_ZH = {"int": "整数", "float": "数字", "bool": vocab.YES_NO.zh, "date": "日期（YYYY-MM-DD）", "datetime": "日期时间", "str": "文本"}


def _check_column(c: _Collector, col: Column, s: pd.Series, known: Mapping[str, np.ndarray]) -> pd.Series:
    wants_text = col.dtype == "str" or bool(col.pattern or col.choices or col.unique or col.ref)
    text_or_none, missing = _text_missing(s, text=wants_text)
    present = ~missing
    values, bad = _typed(col, s, present, text_or_none)
    text = text_or_none if text_or_none is not None else pd.Series(None, index=s.index, dtype=object)
    for pos in np.flatnonzero(bad.to_numpy()):
        c.add(int(pos), col.name, s.iloc[pos], f"不是有效的{TYPE_ZH[col.dtype]}", f"not a valid {col.dtype}",
              f"改为{TYPE_ZH[col.dtype]}")
    if col.required:
        for pos in np.flatnonzero((~present).to_numpy()):
            c.add(int(pos), col.name, None, "必填字段为空", "required value missing", f"填写{col.zh}")
    ok = present & ~bad
    if col.pattern:
        wrong = ok & ~text.fillna("").str.match(col.pattern).astype(bool)
        for pos in np.flatnonzero(wrong.to_numpy()):
            c.add(int(pos), col.name, s.iloc[pos], "代码格式不对", f"does not match {col.pattern}",
                  "使用统计用区划代码（村12位、镇9位、县6位数字）")
    if col.min is not None or col.max is not None:
        num = values if col.dtype in ("int", "float") else None
        if num is not None:
            if col.min is not None:
                for pos in np.flatnonzero((ok & (num < col.min)).to_numpy()):
                    c.add(int(pos), col.name, s.iloc[pos], f"不能小于 {col.min:g}", f"below minimum {col.min:g}",
                          "检查数值")
            if col.max is not None:
                for pos in np.flatnonzero((ok & (num > col.max)).to_numpy()):
                    c.add(int(pos), col.name, s.iloc[pos], f"不能大于 {col.max:g}", f"above maximum {col.max:g}",
                          "检查数值")
    if col.choices:
        wrong = ok & ~text.isin(col.choices)
        for pos in np.flatnonzero(wrong.to_numpy()):
            c.add(int(pos), col.name, s.iloc[pos], "不是允许的取值", "not an allowed value",
                  "可选：" + (col.vocab.choices_text("zh") if col.vocab is not None else "、".join(col.choices)))
    if col.unique:
        dup = ok & text.duplicated(keep=False)
        for pos in np.flatnonzero(dup.to_numpy()):
            c.add(int(pos), col.name, s.iloc[pos], "编号重复", "duplicate value", "每行编号必须唯一")
    if col.ref:
        target = known.get(col.ref)
        if target is not None:
            wrong = ok & ~text.isin(target)
            tl = get_layer(col.ref.split(".")[0]).zh
            for pos in np.flatnonzero(wrong.to_numpy()):
                c.add(int(pos), col.name, s.iloc[pos], f"引用了不存在的{tl}", f"refers to an unknown {col.ref}",
                      f"先导入该{tl}，或改正编号")
    return values


def _check_rule(c: _Collector, rule: RowRule, typed: Mapping[str, pd.Series], raw: pd.DataFrame) -> None:
    if rule.left not in typed or rule.right not in typed:
        return
    left, right = typed[rule.left], typed[rule.right]
    both = left.notna() & right.notna()
    wrong = both & ((left > right) if rule.op == "<=" else (left < right))
    for pos in np.flatnonzero(wrong.to_numpy()):
        value = f"{raw[rule.left].iloc[pos]} / {raw[rule.right].iloc[pos]}"
        c.add(int(pos), f"{rule.left},{rule.right}", value, rule.zh, rule.en, "检查这两个字段")


_GEOM_FAMILY = {"Polygon": {"Polygon", "MultiPolygon"}, "Point": {"Point"}, "LineString": {"LineString", "MultiLineString"}}


def _check_geometry(c: _Collector, layer: Layer, df: pd.DataFrame) -> None:
    if layer.geometry is None:
        return
    if not isinstance(df, gpd.GeoDataFrame) or df.geometry.name not in df.columns:
        c.add(None, "geometry", "", "缺少几何（坐标或边界）", "geometry missing", "提供坐标列或带边界的文件")
        return
    geoms = df.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for pos in np.flatnonzero(missing):
        c.add(int(pos), "geometry", "", "几何为空", "empty geometry", "补充坐标或边界")
    allowed = _GEOM_FAMILY.get(layer.geometry)
    types = shapely.get_type_id(geoms)
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                      "MultiPolygon", "GeometryCollection"], dtype=object)
    if allowed:
        allowed_ids = [i for i, n in enumerate(names) if n in allowed]
        for pos in np.flatnonzero(~missing & ~np.isin(types, allowed_ids)):
            t = names[types[pos]] if types[pos] >= 0 else "None"
            c.add(int(pos), "geometry", t, f"几何类型应为{'/'.join(sorted(allowed))}", "wrong geometry type",
                  "检查是否选错了图层")
    invalid = ~missing & ~shapely.is_valid(geoms)
    for pos in np.flatnonzero(invalid):
        c.add(int(pos), "geometry", shapely.is_valid_reason(geoms[pos]), "几何无效（自相交等）", "invalid geometry",
              "在GIS软件中修复边界")
    if df.crs is not None and df.crs.is_geographic and len(df):
        b = shapely.bounds(geoms[~missing]) if (~missing).any() else np.zeros((0, 4))
        out = (b[:, 0] < -180) | (b[:, 2] > 180) | (b[:, 1] < -90) | (b[:, 3] > 90)
        for pos in np.flatnonzero(out)[:MAX_PER_KIND]:
            c.add(int(np.flatnonzero(~missing)[pos]), "geometry", "", "坐标超出经纬度范围", "coordinates out of range",
                  "检查坐标系（是否为投影坐标）")


# ----------------------------------------------------------------------- layer-specific checks


def _villages_extra(c: _Collector, df: pd.DataFrame, layers: Mapping[str, pd.DataFrame]) -> None:
    if {"village_code", "town_code"} <= set(df.columns):
        vc = _text(df["village_code"], blank="")
        tc = _text(df["town_code"], blank="")
        wrong = (vc.str.len() == 12) & (tc.str.len() == 9) & (vc.str[:9] != tc)
        for pos in np.flatnonzero(wrong.to_numpy()):
            c.add(int(pos), "town_code", f"{vc.iloc[pos]} / {tc.iloc[pos]}", "村代码前9位与镇代码不一致",
                  "village code not inside its town code", "核对村和镇的区划代码")
    if isinstance(df, gpd.GeoDataFrame) and len(df) > 1:
        geoms = df.geometry.values
        usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & shapely.is_valid(geoms)
        idx = np.flatnonzero(usable)
        if len(idx) > 1:
            for i, j, kind in village_pairs(geoms[idx]):
                i, j = int(idx[i]), int(idx[j])
                other = c._ids[j] if c._ids is not None else j + 1
                zh, en, hint = _PAIR_PROBLEMS[kind]
                c.add(i, "geometry", str(other), zh, en, hint)


#: How two village polygons that share area relate → (reason zh, reason en, hint).
_PAIR_PROBLEMS: dict[str, tuple[str, str, str]] = {
    "duplicate": ("与另一村的边界相同或几乎相同（重复的村）", "duplicate of another village polygon",
                  "删除重复的村，或改正其中一个村的边界"),
    "contains": ("边界完全包含另一个村", "contains another village", "村界不能相互包含：核对两个村的边界"),
    "within": ("边界完全落在另一个村之内", "lies inside another village", "村界不能相互包含：核对两个村的边界"),
    "overlaps": ("与相邻村边界重叠", "overlaps another village", "修正两村共用边界"),
}
#: Share of the smaller polygon's area that counts as "inside"; symmetric difference under this share of
#: the larger one counts as the same polygon (digitising noise, reprojection).
NEAR_SAME = 0.01


def village_pairs(geoms: np.ndarray) -> list[tuple[int, int, str]]:
    """Pairs (i, j, kind) of valid polygons sharing area, i < j: duplicate, contains, within or overlaps.

    Neighbours that only touch share no area and are not listed.
    """
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return []
    a, b = geoms[left], geoms[right]
    shared = shapely.area(shapely.intersection(a, b))
    area_a, area_b = shapely.area(a), shapely.area(b)
    small = np.minimum(area_a, area_b)
    out = []
    for k in np.flatnonzero(shared > 1e-12 * np.maximum(np.maximum(area_a, area_b), 1e-30)):
        i, j = int(left[k]), int(right[k])
        inside = shared[k] >= (1 - NEAR_SAME) * small[k]
        if inside and abs(area_a[k] - area_b[k]) <= NEAR_SAME * max(area_a[k], area_b[k]):
            kind = "duplicate"
        elif inside:
            kind = "contains" if area_a[k] > area_b[k] else "within"
        else:
            kind = "overlaps"
        out.append((i, j, kind))
    return out


def _points_inside_villages(c: _Collector, df: pd.DataFrame, layers: Mapping[str, pd.DataFrame]) -> None:
    villages = layers.get("villages")
    if not isinstance(df, gpd.GeoDataFrame) or not isinstance(villages, gpd.GeoDataFrame) or villages.empty:
        return
    if df.empty:
        return
    pts = df.geometry.values
    ok = ~(shapely.is_missing(pts) | shapely.is_empty(pts))
    tree = shapely.STRtree(villages.geometry.values)
    hit = np.zeros(len(df), dtype=bool)
    src, _ = tree.query(pts[ok], predicate="intersects")
    hit[np.flatnonzero(ok)[src]] = True  # repeated indices only set True again (np.unique is slow here)
    for pos in np.flatnonzero(ok & ~hit):
        g = pts[pos]
        c.add(int(pos), "geometry", f"{g.x:.5f},{g.y:.5f}" if g.geom_type == "Point" else g.geom_type,
              "位置不在任何村的范围内", "outside every village", "检查坐标系（GCJ-02/BD-09偏移？）或经纬度是否颠倒",
              severity="warning")


#: Seat kind → (digits of its code, the villages column holding such codes, zh word for the unit).
_SEAT_UNITS: dict[str, tuple[int, str, str]] = {"village": (12, "village_code", "村"), "town": (9, "town_code", "镇")}


def _seats_extra(c: _Collector, df: pd.DataFrame, layers: Mapping[str, pd.DataFrame]) -> None:
    """A seat's code agrees with its kind, names a village or town of the villages layer, and its point lies
    inside that village (a village seat) or one of the town's villages (a town seat); each problem by row."""
    if not {"code", "kind"} <= set(df.columns):
        return
    codes = df["code"].astype(object).map(lambda v: "" if _missing(v) else str(v).strip()).tolist()
    kinds = df["kind"].astype(object).map(lambda v: "" if _missing(v) else str(v).strip()).tolist()
    villages = layers.get("villages")
    have_villages = villages is not None and not villages.empty and "village_code" in villages.columns
    known: dict[str, dict[str, list[int]]] = {k: {} for k in _SEAT_UNITS}
    names: dict[str, str] = {}
    if have_villages:
        assert villages is not None
        vcodes = villages["village_code"].astype(str).tolist()
        tcodes = villages["town_code"].astype(str).tolist() if "town_code" in villages.columns else [""] * len(vcodes)
        for i, (vc, tc) in enumerate(zip(vcodes, tcodes)):
            known["village"].setdefault(vc, []).append(i)
            known["town"].setdefault(tc, []).append(i)
        for col, name_col in (("village_code", "village_name"), ("town_code", "town_name")):
            if col in villages.columns and name_col in villages.columns:
                names.update(zip(villages[col].astype(str), villages[name_col].astype(str)))
    vgeoms = villages.geometry.values if have_villages and isinstance(villages, gpd.GeoDataFrame) else None
    pts = df.geometry.values if isinstance(df, gpd.GeoDataFrame) else None
    for pos, (code, kind) in enumerate(zip(codes, kinds)):
        if kind not in _SEAT_UNITS or not code:
            continue  # a missing or unknown kind/code is reported by the column checks
        digits, _col, unit = _SEAT_UNITS[kind]
        if len(code) != digits:
            c.add(pos, "code", code, f"{vocab.SEAT_KIND.label(kind)}的代码应为{digits}位", f"a {kind} seat needs a {digits}-digit code",
                  "村委会驻地填12位村代码，镇政府驻地填9位镇代码；或改正驻地类型")
            continue
        if not have_villages:
            continue
        rows = known[kind].get(code)
        if not rows:
            c.add(pos, "code", code, f"引用了不存在的{unit}", f"refers to an unknown {kind}",
                  f"核对区划代码，或先导入该{unit}所在的行政村图层")
            continue
        if vgeoms is None or pts is None:
            continue
        g = pts[pos]
        if g is None or shapely.is_empty(g):
            continue
        if not bool(np.any(shapely.covers(vgeoms[rows], g))):
            where = f"{names.get(code, code)}（{code}）" if g.geom_type != "Point" else \
                f"{names.get(code, code)}（{code}），{g.x:.5f},{g.y:.5f}"
            c.add(pos, "geometry", where, f"驻地不在本{unit}范围内", f"seat outside its {kind}",
                  "核对驻地坐标（坐标系、经纬度是否颠倒）或其区划代码", severity="warning")


Check = Callable[[_Collector, pd.DataFrame, Mapping[str, pd.DataFrame]], None]

#: Layer-specific checks beyond the declarative table.
EXTRA_CHECKS: dict[str, tuple[Check, ...]] = {
    "villages": (_villages_extra,),
    "households": (_points_inside_villages,),
    "tourism_sites": (_points_inside_villages,),
    "seats": (_seats_extra,),
}
#: The other layers each layer's extra checks read (a stored validation is reused only while they are unchanged).
EXTRA_DEPENDS: dict[str, tuple[str, ...]] = {
    "households": ("villages",),
    "tourism_sites": ("villages",),
    "seats": ("villages",),
}


def _known_keys(layers: Mapping[str, pd.DataFrame], wanted: Iterable[str],
                memo: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The distinct non-missing values of each ``layer.column`` in ``wanted`` (the references a layer checks), as a
    sorted array; ``memo`` keeps them across the layers of one :func:`validate_workspace` (a reference to the
    3 million household ids is built once, not once per layer)."""
    memo = {} if memo is None else memo
    for ref in wanted:
        if ref in memo:
            continue
        layer_name, _, column = ref.partition(".")
        df = layers.get(layer_name)
        if df is None or column not in df.columns:
            continue
        text = _text(df[column])
        values = text[text.notna()].to_numpy(dtype=object)
        memo[ref] = np.sort(pd.unique(values)) if len(values) else values
    return memo


def validate_layer(
    name: str,
    df: pd.DataFrame,
    *,
    layers: Mapping[str, pd.DataFrame] | None = None,
    file: str | None = None,
    _memo: dict[str, np.ndarray] | None = None,
) -> Report:
    """Check one layer against the schema; ``layers`` (other layers) enables reference checks."""
    layer = get_layer(name)
    c = _Collector(layer, df, file)
    context = dict(layers or {})
    context.setdefault(name, df)
    known = _known_keys(context, [col.ref for col in layer.columns if col.ref and col.name in df.columns], _memo)
    missing_cols = [col for col in layer.columns if col.required and col.name not in df.columns]
    for col in missing_cols:
        c.add(None, col.name, "", f"缺少必需字段「{col.zh}」", f"required column {col.name!r} missing",
              "在列对应中指定该字段")
    typed: dict[str, pd.Series] = {}
    for col in layer.columns:
        if col.name in df.columns:
            typed[col.name] = _check_column(c, col, df[col.name], known)
    for rule in layer.rules:
        _check_rule(c, rule, typed, df)
    _check_geometry(c, layer, df)
    for extra in EXTRA_CHECKS.get(name, ()):
        extra(c, df, context)
    return c.report


def validate_workspace(layers: Mapping[str, pd.DataFrame], *, file: str | None = None) -> Report:
    """Check every layer present and the references between them."""
    report = Report()
    memo: dict[str, np.ndarray] = {}
    for name in LAYERS:
        if name in layers:
            report.extend(validate_layer(name, layers[name], layers=layers, file=file, _memo=memo))
    return report


def problems_for(report: Report, *, layer: str | None = None, column: str | None = None) -> list[Problem]:
    """Filter a report's problems (handy in tests and UI)."""
    return [p for p in report.problems if (layer is None or p.layer == layer) and (column is None or p.column == column)]


def iter_lines(report: Report, lang: str = "zh") -> Iterable[str]:
    """Each problem as a line, then one line per summarised kind."""
    for p in report.problems:
        yield p.line(lang)
    for key, n in report.truncated.items():
        yield f"…另有 {n} 个同类问题（{key}）" if lang == "zh" else f"... {n} more ({key})"
