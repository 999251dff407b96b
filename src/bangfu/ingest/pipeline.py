"""Bring your own county: turn an uploaded file into a checked, previewed, all-or-nothing layer import.

The flow is a pipeline of pure steps shared by the page 数据管理 and the command line:

1. :func:`bangfu.ingest.readers.read_upload` — guard the upload and read it (encoding guessed or chosen);
2. column mapping (:mod:`bangfu.ingest.columns`) — automatic from a synonyms table, editable;
3. geometry — from the file, from longitude/latitude or WKT columns, or by joining villages by
   12-digit code or by name within a town; then the CRS (:mod:`bangfu.ingest.crs_detect`) → WGS-84;
4. validation — :func:`bangfu.workspace.validate.validate_layer` plus :mod:`bangfu.ingest.checks`, with
   every problem located by layer, row, column and value; errors block the import;
5. change preview — rows added, changed and removed;
6. :func:`apply_import` — admin only; under the workspace's writer lock the workspace is backed up, then the
   layer is replaced in place in ONE SQLite transaction, after re-checking that nothing it would overwrite
   changed since the preview (:func:`bangfu.workspace.store.replace_layers`); :func:`restore_backup`
   restores one of the rotating backups (the current file is backed up first).

:func:`prepare_import` runs steps 1–5 and returns an :class:`ImportPlan`; nothing is written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from collections.abc import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu.ingest import columns as cm
from bangfu.core.text import visible
from bangfu.ingest import crs_detect, checks as import_checks, matching, readers, sandbox
from bangfu.workspace import create, display, store
from bangfu.workspace.access import Principal, require
from bangfu.workspace.schema import Layer, get_layer, references
from bangfu.ingest.guard import ImportRefused, Limits
from bangfu.workspace.validate import Problem, Report, validate_layer

Mode = Literal["replace", "update"]
MODES: dict[str, tuple[str, str]] = {
    "replace": ("替换整个图层（文件就是完整的图层）", "Replace the whole layer"),
    "update": ("按编号更新或新增（其他行保留）", "Update or add rows by key (keep the others)"),
}
Loader = Callable[[str], pd.DataFrame]


@dataclass
class ImportPlan:
    """Everything known before writing: what was read, how it maps, the report and the change."""

    file_name: str
    layer: str
    kind: str
    encoding: str
    encoding_note: str
    encoding_needs_confirmation: bool
    sublayers: list[str]
    columns: list[str]
    mapping: dict[str, str]
    crs: str | None
    crs_source: str  # "file" / "user" / "guess" / "none"
    crs_note: str
    mode: Mode
    preview: pd.DataFrame  # the first rows as read (text decoded)
    rows: pd.DataFrame  # the imported rows in file order, as validated
    new_layer: pd.DataFrame  # the whole layer after the import (schema dtypes)
    report: Report
    change: import_checks.LayerChange | None
    base_version: str
    notes: list[str] = field(default_factory=list)
    base_meta_version: int | None = None  # the workspace version number the plan was prepared on
    depends: tuple[str, ...] = ()  # the layers the plan was checked against (an edit of one refuses the apply)
    #: one row per file row of a villages import into a county with an official list: how it matched, or not
    matches: pd.DataFrame | None = None
    #: other layers the import rewrites in the same transaction (village totals derived from household points)
    also: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.report.ok

    def summary_zh(self) -> str:
        return self.report.summary_zh()


# --------------------------------------------------------------------------- helpers


def _needed_layers(name: str) -> list[str]:
    need = {name, "villages"}
    need |= {r.target_layer for r in references() if r.layer == name}
    need |= set(import_checks.layers_with_refs_to(name))
    return [n for n in need]


def _loader_for(workspace: Path | str) -> Loader:
    cache: dict[str, pd.DataFrame] = {}

    def load(n: str) -> pd.DataFrame:
        if n not in cache:
            cache[n] = store.read_layer(workspace, n)
        return cache[n]

    return load


def _problem(layer: str, pos: int | None, column: str | None, value: object, zh: str, en: str, hint: str,
             severity: str = "error", file: str | None = None) -> Problem:
    return Problem(layer, None if pos is None else pos + 1, None, column, "" if value is None else str(value)[:80], zh, en,
                   hint, severity, file)  # type: ignore[arg-type]


def _to_number(v: object) -> float:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return np.nan
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    text = str(v).strip().replace("，", ".").rstrip("°EeNn")
    try:
        return float(text)
    except ValueError:
        return np.nan


def _mapped_frame(table: readers.RawTable, mapping: Mapping[str, str]) -> pd.DataFrame:
    cols = [c for c in table.columns if c in mapping]
    out = table.frame[cols].copy()
    out.columns = [mapping[c] for c in cols]
    return out.reset_index(drop=True).astype(object)


def _geometry_from_columns(df: pd.DataFrame, layer: str, report: Report, file: str) -> np.ndarray | None:
    """Points from lon/lat columns or shapes from a WKT column; bad cells become problems."""
    n = len(df)
    if "lon" in df.columns and "lat" in df.columns:
        x = np.array([_to_number(v) for v in df["lon"]])
        y = np.array([_to_number(v) for v in df["lat"]])
        for col, arr in (("lon", x), ("lat", y)):
            for pos in np.flatnonzero(np.isnan(arr) & df[col].notna().to_numpy()):
                report.problems.append(_problem(layer, int(pos), cm.HELPERS[col][0], df[col].iloc[pos], "坐标不是数字",
                                                "coordinate is not a number", "改为十进制度数，例如 112.5", file=file))
        ok = ~(np.isnan(x) | np.isnan(y))
        geoms = np.full(n, None, dtype=object)
        geoms[ok] = shapely.points(x[ok], y[ok])
        return geoms
    if "wkt" in df.columns:
        geoms = np.full(n, None, dtype=object)
        for row, v in enumerate(df["wkt"]):
            if v is None:
                continue
            try:
                geoms[row] = shapely.from_wkt(str(v))
            except shapely.errors.GEOSException:
                report.problems.append(_problem(layer, row, cm.HELPERS["wkt"][0], v, "WKT 几何无法解析", "bad WKT",
                                                "检查几何文本", file=file))
        return geoms
    return None


def _bounds(geoms: np.ndarray) -> tuple[float, float, float, float] | None:
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        return None
    b = shapely.bounds(geoms[ok])
    return float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])), float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3]))


def _is_geographic(key: str) -> bool:
    if key.startswith("file:"):
        import pyproj

        return bool(pyproj.CRS.from_user_input(key[5:]).is_geographic)
    o = crs_detect.CRS_OPTIONS[key]
    return o.custom is not None or o.epsg in (4326, 4490)


def _resolve_village_codes(df: pd.DataFrame, villages: pd.DataFrame, *, name_col: str, town_col: str | None,
                           layer: str, report: Report, file: str) -> pd.Series:
    """Village codes looked up by village name (within the town when a town name is given); suffix variants
    (村/村委会/社区…, 镇/乡/街道…) tolerated (:mod:`bangfu.ingest.matching`)."""
    index = matching.NameIndex(villages)
    codes = villages["village_code"].astype(str).tolist()
    out: list[object] = []
    for pos in range(len(df)):
        name = df[name_col].iloc[pos]
        if name is None:
            out.append(None)
            continue
        name = str(name).strip()
        town = None if town_col is None or df[town_col].iloc[pos] is None else str(df[town_col].iloc[pos]).strip()
        hits = index.find(name, town)
        if len(hits) == 1:
            out.append(codes[hits[0]])
            continue
        out.append(None)
        where = f"{town}·{name}" if town else name
        if not hits:
            report.problems.append(_problem(layer, pos, name_col, where, "按村名（和镇名）找不到这个村",
                                            "no village with this name in this town", "核对村名、镇名，或改用12位村代码",
                                            file=file))
        else:
            report.problems.append(_problem(layer, pos, name_col, where, f"村名在多个镇重复（{len(hits)} 个）",
                                            "village name is ambiguous", "提供镇名或12位村代码", file=file))
    return pd.Series(out, index=df.index, dtype=object)


def _overlay(layer: Layer, old: pd.DataFrame, rows: pd.DataFrame, geoms: np.ndarray | None) -> pd.DataFrame:
    """Each imported row laid over the existing row with the same key (update mode)."""
    key = layer.key
    old_by_key = {str(k): i for i, k in enumerate(old[key].astype(object)) if not pd.isna(k)} if len(old) else {}
    base_cols = [c for c in layer.column_names]
    out_rows = []
    out_geoms = []
    old_geoms = np.asarray(old.geometry.values, dtype=object) if layer.geometry and "geometry" in old.columns else None
    for pos in range(len(rows)):
        k = rows[key].iloc[pos] if key in rows.columns else None
        i = old_by_key.get(str(k).strip()) if k is not None else None
        rec = {c: (None if i is None or c not in old.columns else _plain(old[c].iloc[i])) for c in base_cols}
        for c in rows.columns:
            if c in rec:
                rec[c] = rows[c].iloc[pos]
        out_rows.append(rec)
        g = geoms[pos] if geoms is not None else None
        if g is None and i is not None and old_geoms is not None:
            g = old_geoms[i]
        out_geoms.append(g)
    frame = pd.DataFrame(out_rows, columns=base_cols, dtype=object)
    if layer.geometry is None:
        return frame
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(out_geoms, crs="EPSG:4326"), crs="EPSG:4326")


def _plain(v: object) -> object:
    if v is pd.NA or v is None:
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def _fill_versions(layer: Layer, old: pd.DataFrame, view: pd.DataFrame) -> None:
    """Versioned layers: rows without a version keep the existing row's version (new rows start at 1)."""
    key = layer.key
    known = dict(zip(old[key].astype(str), old["version"])) if len(old) and "version" in old.columns else {}
    if "version" not in view.columns:
        view["version"] = None
    if key not in view.columns:
        return
    missing = view["version"].map(lambda v: v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA).astype(bool)
    view.loc[missing, "version"] = [_plain(known.get(str(k), 1)) for k in view.loc[missing, key]]


def _rows_replace(layer: Layer, rows: pd.DataFrame, geoms: np.ndarray | None) -> pd.DataFrame:
    frame = rows[[c for c in rows.columns if c in layer.column_names]].copy()
    if layer.geometry is None:
        return frame
    g = geoms if geoms is not None else np.full(len(rows), None, dtype=object)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(g, crs="EPSG:4326"), crs="EPSG:4326")


def _new_layer(layer: Layer, old: pd.DataFrame, view: pd.DataFrame, mode: Mode) -> pd.DataFrame:
    coerced = store.coerce(layer, view)[list(layer.column_names) + (["geometry"] if layer.geometry else [])]
    if layer.geometry:
        coerced = gpd.GeoDataFrame(coerced, geometry="geometry", crs="EPSG:4326")
    if mode == "replace" or old.empty:
        return coerced.reset_index(drop=True)
    key = layer.key
    touched = set(coerced[key].astype(str))
    old_c = store.coerce(layer, old)[list(coerced.columns)]
    keep = old_c[~old_c[key].astype(str).isin(touched)]
    order = {k: i for i, k in enumerate(old_c[key].astype(str))}
    merged = pd.concat([keep, coerced], ignore_index=True)
    rank = merged[key].astype(str).map(lambda k: order.get(k, len(order))).to_numpy()
    merged = merged.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)
    if layer.geometry:
        merged = gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")
    return merged


# --------------------------------------------------------------------------- the pipeline


def prepare_import(
    workspace: Path | str,
    file_name: str,
    data: bytes | Path,
    *,
    layer: str,
    mapping: Mapping[str, str] | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    mode: Mode | None = None,
    sublayer: str | None = None,
    limits: Limits | None = None,
    load: Loader | None = None,
    data_version: int | None = None,
) -> ImportPlan:
    """Read, map, convert, validate and diff an upload against the workspace; writes nothing.

    Raises :class:`ImportRefused` (Chinese message) for files that cannot be read safely; data
    problems are collected in ``plan.report`` instead (``plan.ok`` is False when one is an error).
    ``load`` reads a workspace layer (the app passes its session cache); ``data_version``: the workspace
    version number the data ``load`` returns belongs to (default: the version now) — :func:`apply_import`
    refuses the plan if a layer it depends on was written after that version.
    """
    lay = get_layer(layer)
    if not lay.importable:
        raise ImportRefused(
            f"{lay.zh}不能导入：修改记录只由应用在保存修改时写入，导入会伪造记录。",
            f"{lay.en} cannot be imported: the edit history is written only by edits.",
            hint_zh="请导入其他图层；修改记录可以导出查看，但不能导入。",
            hint_en="Import another layer; the history can be exported but not imported.",
        )
    base_version = store.workspace_version(workspace)
    meta = store.read_meta(workspace)
    base_meta_version = store.meta_version(meta) if data_version is None else int(data_version)
    load = load or _loader_for(workspace)
    table = readers.read_upload(file_name, data, encoding=encoding, sublayer=sublayer, limits=limits)
    if mapping is None:
        mapping = cm.auto_mapping(table.columns, lay)
    else:
        mapping = {c: f for c, f in mapping.items() if c in table.columns and f}
        cm.check_mapping(mapping, lay)
    mapping = {c: mapping[c] for c in table.columns if c in mapping}
    report = Report()
    notes = list(table.notes)
    for pos, column, value in table.cleaned:
        report.problems.append(_problem(layer, pos, column, value, "含有控制字符（不可见字符），已删除",
                                        "control characters removed", "核对该值；控制字符不会被保存",
                                        "warning", file=file_name))
    rows = display.parse_codes(_mapped_frame(table, mapping), layer)  # 已硬化, 饮水工程, 4A… → codes
    if layer in matching.ID_PREFIXES:  # rows without an id get one (deterministic, with a warning)
        existing = load(layer) if mode == "update" else None  # replace: the same file always gets the same ids
        taken = set(existing[lay.key].astype(str)) if existing is not None and len(existing) else set()
        rows = matching.generate_ids(layer, lay.key, rows, taken, report, file=file_name)
    rows, numbers = import_checks.nonfinite_numbers(layer, rows, file=file_name)
    report.extend(numbers)

    # ---- geometry and coordinates
    geoms: np.ndarray | None = None
    crs_key: str | None = None
    crs_source = "none"
    crs_note = ""
    if lay.geometry is not None:
        if table.geometry is not None and (~shapely.is_missing(table.geometry)).any():
            geoms = np.asarray(table.geometry, dtype=object)
        else:
            geoms = _geometry_from_columns(rows, layer, report, file_name)
        joinable = layer == "villages" and ("village_code" in rows.columns or "village_name" in rows.columns)
        if geoms is None and not joinable:
            raise ImportRefused(
                f"文件里没有找到坐标：{get_layer(layer).zh}需要经纬度列（如“经度/纬度”“lon/lat”）、WKT 几何列，"
                "或使用 GeoPackage/GeoJSON/Shapefile/KML 等带几何的文件。请在列对应中指定经纬度列。",
                "no coordinate columns",
            )
    if geoms is not None:
        geoms, nonfinite = import_checks.drop_nonfinite(geoms, layer, file=file_name)
        report.extend(nonfinite)
        bounds = _bounds(geoms)
        ref_lon = None
        vill = load("villages")
        if len(vill):
            b = vill.total_bounds
            ref_lon = (b[0] + b[2]) / 2
        if crs:
            crs_key, crs_source = crs_detect.parse_crs(crs), "user"
        elif table.file_crs:
            crs_key, crs_source = table.file_crs, "file"
        elif bounds is not None:
            g = crs_detect.guess_from_bounds(bounds, reference_lon=ref_lon)
            crs_key, crs_source, crs_note = g.key, "guess", g.reason_zh
        if crs_key is None:
            raise ImportRefused(f"无法判断坐标系：{crs_note or '坐标为空'}。请选择坐标系后再试。", "unknown CRS")
        convertible = True
        conflict = crs_detect.crs_conflict(crs_key, bounds, reference_lon=ref_lon)
        if conflict is not None:
            convertible = False
            report.problems.append(_problem(layer, None, "geometry", conflict.value, conflict.message_zh,
                                            conflict.message_en, conflict.hint_zh, file=file_name))
        elif _is_geographic(crs_key) and bounds is not None:
            if crs_detect.looks_swapped(geoms):
                convertible = False
                report.problems.append(_problem(layer, None, "经度/纬度", f"{bounds[0]:.4f},{bounds[1]:.4f}",
                                                "经纬度颠倒：坐标看起来是（纬度，经度）的顺序",
                                                "coordinates look swapped (lat, lon)",
                                                "在列对应中交换“经度”和“纬度”两列", file=file_name))
            elif not (-180 <= bounds[0] and bounds[2] <= 180 and -90 <= bounds[1] and bounds[3] <= 90):
                convertible = False
                report.problems.append(_problem(layer, None, "geometry", f"{bounds[0]:.0f},{bounds[1]:.0f}",
                                                "坐标超出经纬度范围，可能是平面（投影）坐标",
                                                "coordinates are not longitude/latitude",
                                                "选择对应的 CGCS2000 高斯-克吕格投影", file=file_name))
        if convertible:
            gdf = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geoms), crs=None)
            geoms = np.asarray(crs_detect.to_wgs84(gdf, crs_key).geometry.values, dtype=object)
            geoms, nonfinite = import_checks.drop_nonfinite(geoms, layer, file=file_name)
            report.problems += [  # PROJ gives inf for positions the declared CRS cannot convert
                dataclasses.replace(p, reason_zh="按声明的坐标系无法转换这个位置（结果不是有限的数）",
                                    reason_en="cannot be converted from the declared CRS", hint_zh="核对坐标系和坐标值")
                for p in nonfinite.problems]

    # ---- joins by village name
    vill = load("villages")
    if "ref_village_name" in rows.columns and "village_code" not in rows.columns:
        rows["village_code"] = _resolve_village_codes(
            rows, vill, name_col="ref_village_name", town_col="ref_town_name" if "ref_town_name" in rows.columns else None,
            layer=layer, report=report, file=file_name)
    matches: pd.DataFrame | None = None
    reference = create.read_reference(workspace) if layer == "villages" else None
    if reference is not None and len(reference) and ("village_code" in rows.columns or "village_name" in rows.columns):
        rows, matches = matching.match_to_reference(rows, reference, report, file=file_name)
        notes.append(f"与官方村名录核对：{int(matches['matched'].sum())} 行匹配，{int((~matches['matched']).sum())} 行未匹配")
        absent = set(reference["village_code"]) - set(matches["village_code"]) - set(vill["village_code"].astype(str))
        if absent:
            notes.append(f"官方村名录中另有 {len(absent)} 个村（居）既不在文件中、也不在工作空间中"
                         "（可以按镇分批导入：加 --mode update 或在页面选“按编号更新或新增”）")
    elif layer == "villages":
        rows = matching.fill_from_meta(rows, meta, report, file=file_name)
    if layer == "villages" and "village_code" not in rows.columns and "village_name" in rows.columns and len(vill):
        rows["village_code"] = _resolve_village_codes(
            rows, vill, name_col="village_name", town_col="town_name" if "town_name" in rows.columns else None,
            layer=layer, report=report, file=file_name)
        notes.append("按村名（和镇名）匹配到现有村的12位代码")
    for c in [c for c in rows.columns if c in cm.HELPERS]:
        rows = rows.drop(columns=c)
    boundaries = layer == "villages" and geoms is not None  # a boundary file (not a table updating some columns)
    if boundaries:  # flags the file lacks: kept from the workspace's village, else 否 (with a warning)
        for c in [c for c in matching.VILLAGE_FLAGS if c not in rows.columns]:
            known = dict(zip(vill["village_code"].astype(str), vill[c])) if len(vill) else {}
            codes = rows["village_code"] if "village_code" in rows.columns else pd.Series([None] * len(rows))
            rows[c] = [bool(known[str(k)]) if str(k) in known and not pd.isna(known[str(k)]) else False for k in codes]
            label = lay.column(c).zh
            report.problems.append(_problem(layer, None, c, "", f"文件没有“{label}”列：已有的村保留原值，其他村按“否”导入",
                                            f"no {lay.column(c).en} column: kept for known villages, else no",
                                            f"如需标记{label}，在文件中加“{label}”列（是/否）后重新导入",
                                            "warning", file=file_name))
    if boundaries and not any(c in rows.columns for c in matching.TOTALS):
        derived = matching.household_totals(load("households"))
        codes = rows["village_code"].map(lambda c: None if c is None else str(c)) if "village_code" in rows.columns \
            else pd.Series([None] * len(rows), dtype=object)
        for c in matching.TOTALS:
            rows[c] = [int(derived[c].get(k, 0)) if k in derived.index else 0 for k in codes]
        report.problems.append(_problem(layer, None, "households", "", "文件没有户数和人口：由农户点位统计（导入农户后自动计算）",
                                        "no totals in the file: derived from the household points",
                                        "导入农户表后，各村的总户数、总人口、贫困户数和贫困人口按点位计算", "warning",
                                        file=file_name))

    # ---- mode and the new layer
    old = load(layer)
    has_own_geometry = geoms is not None
    if mode is None:
        partial = len(old) > 0 and any(c not in rows.columns for c in lay.required_columns)
        if lay.append_only or partial:
            mode = "update"  # a file with some columns only updates those columns
        else:
            mode = "replace" if (has_own_geometry or lay.geometry is None) else "update"
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; allowed: {', '.join(MODES)}")
    view = _overlay(lay, old, rows, geoms) if mode == "update" else _rows_replace(lay, rows, geoms)
    if lay.versioned:
        _fill_versions(lay, old, view)
    if lay.geometry is not None and isinstance(view, gpd.GeoDataFrame):
        view, repairs = import_checks.repair_geometries(view, layer, file=file_name)
        report.extend(repairs)
    new_layer = _new_layer(lay, old, view, mode)

    # ---- validation against the workspace as it would be
    context = {n: load(n) for n in _needed_layers(layer)}
    context[layer] = new_layer
    checked = validate_layer(layer, view, layers=context, file=file_name)
    refused_rows = {p.row for p in report.errors if p.column == "geometry"}
    checked.problems = [p for p in checked.problems
                        if not (p.column == "geometry" and p.row in refused_rows and p.reason_en == "invalid geometry")]
    if matches is not None:  # an unmatched village is reported once (not again for each column it then lacks)
        unmatched = set(matches.loc[~matches["matched"], "row"])
        follow_on = {"village_code", *matching.OFFICIAL_FILL}
        checked.problems = [p for p in checked.problems if not (p.row in unmatched and p.column in follow_on)]
    report.extend(checked)
    if layer == "villages":
        report.extend(import_checks.coverage_gaps(new_layer, file=file_name))
    others = {n: df for n, df in context.items() if n != layer}
    others[layer] = new_layer
    report.extend(import_checks.dangling_references(others, layer, file=file_name))
    _sanity(report, layer, view, vill, crs_key, file_name)
    also: dict[str, pd.DataFrame] = {}
    if layer == "households" and len(vill):
        totals = matching.apply_household_totals(store.coerce("villages", vill), new_layer, report, file=file_name)
        if totals is not None:
            also["villages"] = totals
            notes.append("各村的总户数、总人口、贫困户数和贫困人口已按农户点位计算")

    change = import_checks.diff_layer(layer, store.coerce(lay, old) if len(old) else old, new_layer)
    if lay.versioned and change is not None and change.changed:
        _bump_versions(lay, old, new_layer, change.changed)
    return ImportPlan(
        file_name=file_name, layer=layer, kind=table.kind, encoding=table.encoding.encoding,
        encoding_note=table.encoding.describe_zh(), encoding_needs_confirmation=table.encoding.needs_confirmation,
        sublayers=table.sublayers, columns=table.columns, mapping=dict(mapping), crs=crs_key, crs_source=crs_source,
        crs_note=crs_note, mode=mode, preview=table.frame.head(10), rows=view, new_layer=new_layer, report=report,
        change=change, base_version=base_version, notes=notes, base_meta_version=base_meta_version,
        depends=tuple(sorted(set(context) - {layer})), matches=matches, also=also,
    )


def _bump_versions(layer: Layer, old: pd.DataFrame, new_layer: pd.DataFrame, changed: list[str]) -> None:
    """Rows an import changes get a version above both the file's and the workspace's (an editor holding the
    old version then gets a conflict instead of silently overwriting the import; no version is reused)."""
    key = layer.key
    before = {str(k): v for k, v in zip(old[key].astype(str), old["version"])} if len(old) else {}
    keys = new_layer[key].astype(str)
    hit = keys.isin(set(map(str, changed))).to_numpy()
    if not hit.any():
        return
    current = pd.to_numeric(new_layer["version"], errors="coerce").fillna(0).to_numpy()
    previous = np.array([float(before.get(k, 0) if not pd.isna(before.get(k, 0)) else 0) for k in keys])
    bumped = np.maximum(current, previous) + 1
    new_layer["version"] = pd.array(np.where(hit, bumped, current).astype("int64"), dtype="Int64")


def read_upload_limited(file_name: str, data: bytes | Path, *, encoding: str | None = None, sublayer: str | None = None,
                        limits: Limits | None = None, on_tick: sandbox.Tick | None = None) -> readers.RawTable:
    """:func:`bangfu.ingest.readers.read_upload` in a child process under ``limits`` (see :mod:`bangfu.ingest.sandbox`)."""
    limits = limits or Limits.from_env()
    return sandbox.run_limited(readers.read_upload, (file_name, data),
                               {"encoding": encoding, "sublayer": sublayer, "limits": limits},
                               limits=limits, on_tick=on_tick, what=f"文件「{visible(file_name)}」")


def prepare_import_limited(workspace: Path | str, file_name: str, data: bytes | Path, *, layer: str,
                           limits: Limits | None = None, on_tick: sandbox.Tick | None = None,
                           **options: object) -> ImportPlan:
    """:func:`prepare_import` (read, map, convert, validate, diff) in a child process under ``limits``.

    This is how the page and the command line import: a hostile file costs at most the limits'
    time and memory, and the caller's thread stays free (``on_tick`` may raise to cancel). The
    workspace is read in the child (nothing is written); ``options`` are those of :func:`prepare_import`
    except ``load``.
    """
    limits = limits or Limits.from_env()
    return sandbox.run_limited(prepare_import, (workspace, file_name, data), {"layer": layer, "limits": limits, **options},
                               limits=limits, on_tick=on_tick, what=f"文件「{visible(file_name)}」")


def _sanity(report: Report, layer: str, view: pd.DataFrame, villages: pd.DataFrame, crs_key: str | None,
            file: str) -> None:
    """Warn about points outside the county or shifted like GCJ-02/BD-09 coordinates."""
    if crs_key is None or not isinstance(view, gpd.GeoDataFrame) or view.empty or villages.empty:
        return
    if layer == "villages":
        old_codes = set(villages["village_code"].astype(str))
        new_codes = view["village_code"].astype(str) if "village_code" in view.columns else pd.Series([], dtype=str)
        if not len(new_codes) or new_codes.isin(old_codes).mean() < 0.5:
            return  # a different county: nothing to compare with
    diag = crs_detect.offset_diagnosis(view.geometry.values, villages, declared=crs_key)
    msg = diag.message_zh()
    if msg:
        report.problems.append(_problem(layer, None, "geometry", crs_detect.crs_label(crs_key), msg,
                                        f"coordinates look like {diag.suggestion}", "重新选择坐标系", "warning", file))
    if diag.outside_county and layer != "villages":
        report.problems.append(_problem(layer, None, "geometry", f"{diag.outside_county}/{diag.sampled}",
                                        f"有 {diag.outside_county} 个位置在本县范围之外（抽样 {diag.sampled} 个）",
                                        "points outside the county", "检查坐标系或经纬度是否颠倒", "warning", file))


# --------------------------------------------------------------------------- applying


def apply_import(workspace: Path | str, plan: ImportPlan, *, user: Principal) -> str:
    """Write the plan's layer in one transaction (admin only); returns the new workspace version token.

    Refused (Chinese message, nothing written) when the plan has errors, when the user may not import, or
    when the plan's layer — or a layer it was checked against — changed since the plan was prepared (an
    edit of another layer meanwhile is kept). The workspace is backed up first.
    """
    require(user, "import", what=get_layer(plan.layer).zh)
    if not plan.ok:
        raise ImportRefused(f"数据检查发现错误，不能导入。{plan.summary_zh()}", "the plan has errors")
    base = plan.base_meta_version
    if base is None and store.workspace_version(workspace) != plan.base_version:
        raise ImportRefused("工作空间在预览之后被修改过，请重新预览再导入。", "workspace changed since the preview")
    try:
        store.replace_layers(workspace, {plan.layer: plan.new_layer, **plan.also}, user=user, base_version=base,
                             depends=plan.depends, action="import", target=plan.layer,
                             details={"file": plan.file_name, "mode": plan.mode,
                                      **(plan.change.counts() if plan.change else {})})
    except store.WriteConflict as exc:  # an edit since the preview: reported as a refused import, kept
        raise ImportRefused(exc.message_zh, exc.message_en, hint_zh=exc.hint_zh, hint_en=exc.hint_en) from None
    return store.workspace_version(workspace)


def restore_backup(workspace: Path | str, *, user: Principal, backup: str | None = None,
                   expected_version: int | None = None) -> store.Backup:
    """Restore a backup (default: the newest); admin only; the current file is backed up first."""
    return store.restore_backup(workspace, user=user, backup=backup, expected_version=expected_version)


def backup_info(workspace: Path | str) -> dict[str, str] | None:
    """Meta of the newest backup (``version``, ``backup_at``, ``backup_user``…) or None when there is none."""
    found = store.list_backups(workspace)
    return found[0].meta if found else None
