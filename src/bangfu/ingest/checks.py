"""Import-specific checks beyond :mod:`bangfu.workspace.validate`: geometry repair, gaps, dangling references, change preview.

* :func:`repair_geometries` repairs an invalid geometry only when the repair keeps its type
  family and its area within 1 %; otherwise the row is refused.
* :func:`coverage_gaps` finds holes between village polygons (overlaps are already errors in
  ``validate``); gaps are warnings, since real boundary files often have slivers.
* :func:`dangling_references` lists rows of *other* layers that would point at a key the import
  removes.
* :func:`diff_layer` counts rows added, changed and removed, for the preview before applying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu.workspace.schema import LAYERS, get_layer, references
from bangfu.workspace.validate import Problem, Report

AREA_TOLERANCE = 0.01  # a repair may change the area by at most 1 %
GEOMETRY_TOLERANCE_DEG = 1e-7  # about 1 cm: smaller coordinate differences (reprojection noise) are no change
_FAMILY = {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
           "Polygon": "polygon", "MultiPolygon": "polygon"}


def _problem(layer: str, pos: int | None, column: str | None, value: object, zh: str, en: str, hint: str,
             severity: str = "error", row_id: str | None = None, file: str | None = None) -> Problem:
    return Problem(layer, None if pos is None else pos + 1, row_id, column, "" if value is None else str(value)[:80],
                   zh, en, hint, severity, file)  # type: ignore[arg-type]


def _polygonal_part(g: shapely.Geometry) -> shapely.Geometry:
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    polys = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else g


def repair_one(g: shapely.Geometry) -> tuple[shapely.Geometry | None, str]:
    """(repaired geometry or None, reason) for one invalid geometry."""
    fixed = shapely.make_valid(g)
    fam = _FAMILY.get(g.geom_type)
    if fam == "polygon":
        fixed = _polygonal_part(fixed)
    if _FAMILY.get(fixed.geom_type) != fam or fixed.is_empty:
        return None, f"修复后几何类型会变为 {fixed.geom_type}"
    if fam == "polygon":
        before, after = abs(g.area), fixed.area
        change = abs(after - before) / before if before > 0 else np.inf
        if change > AREA_TOLERANCE:
            return None, f"修复会使面积变化 {change:.1%}（超过 1%）" if np.isfinite(change) else "原面积为零，无法安全修复"
    return fixed, ""


def repair_geometries(df: gpd.GeoDataFrame, layer: str, *, file: str | None = None) -> tuple[gpd.GeoDataFrame, Report]:
    """Repair invalid geometries where safe; the report has a warning per repair and an error per refusal."""
    report = Report()
    if not isinstance(df, gpd.GeoDataFrame) or df.empty:
        return df, report
    geoms = np.asarray(df.geometry.values, dtype=object).copy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    invalid = np.flatnonzero(present & ~shapely.is_valid(geoms))
    key = get_layer(layer).key
    ids = df[key].astype(object).tolist() if key in df.columns else [None] * len(df)
    for pos in invalid:
        reason = shapely.is_valid_reason(geoms[pos])
        fixed, why = repair_one(geoms[pos])
        rid = None if ids[pos] is None else str(ids[pos])
        if fixed is None:
            report.problems.append(_problem(layer, int(pos), "geometry", reason, f"几何无效且无法安全修复：{why}",
                                            "invalid geometry, repair refused", "在GIS软件中修复边界后再导入",
                                            row_id=rid, file=file))
        else:
            geoms[pos] = fixed
            report.problems.append(_problem(layer, int(pos), "geometry", reason, "几何无效，已自动修复（类型不变，面积变化小于1%）",
                                            "invalid geometry repaired", "核对修复后的边界", "warning", rid, file))
    out = df.set_geometry(gpd.GeoSeries(geoms, index=df.index, crs=df.crs))
    return out, report


def nonfinite_geometries(geoms: np.ndarray) -> np.ndarray:
    """Positions of geometries with a NaN or infinite coordinate (GEOS cannot work with them)."""
    geoms = np.asarray(geoms, dtype=object)
    present = np.flatnonzero(~shapely.is_missing(geoms))
    if not len(present):
        return present
    coords, index = shapely.get_coordinates(geoms[present], return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    return present[np.unique(index[bad])]


def drop_nonfinite(geoms: np.ndarray, layer: str, *, file: str | None = None) -> tuple[np.ndarray, Report]:
    """``geoms`` with every geometry holding a NaN/infinite coordinate removed, and an error for each."""
    report = Report()
    bad = nonfinite_geometries(geoms)
    if not len(bad):
        return geoms, report
    out = np.asarray(geoms, dtype=object).copy()
    for pos in bad:
        coords = shapely.get_coordinates(out[pos])
        first = coords[~np.isfinite(coords).all(axis=1)][0]
        report.problems.append(_problem(layer, int(pos), "geometry", f"{first[0]},{first[1]}",
                                        "坐标不是有限的数（NaN 或无穷大）", "coordinate is NaN or infinite",
                                        "改为十进制度数或平面坐标的实际数值", file=file))
        out[pos] = None
    return out, report


#: Integers beyond this are not exact in a float and overflow SQLite's 64-bit integers on the way.
MAX_EXACT_INT = 2.0**53


def nonfinite_numbers(layer: str, rows: pd.DataFrame, *, file: str | None = None) -> tuple[pd.DataFrame, Report]:
    """Number columns with values such as ``inf``, ``NaN`` text or ``1e400``: an error each, the cell emptied.

    The layer is checked and stored as numbers later; an infinite or huge value would overflow
    an integer column, so it is removed here and reported with the value as found.
    """
    report = Report()
    lay = get_layer(layer)
    out = rows
    for col in lay.columns:
        if col.dtype not in ("int", "float") or col.name not in rows.columns:
            continue
        raw = rows[col.name]
        num = pd.to_numeric(raw.map(lambda v: v.strip() if isinstance(v, str) else v), errors="coerce").astype("float64")
        huge = num.abs() >= MAX_EXACT_INT if col.dtype == "int" else num.abs() > 1e300
        bad = (np.isinf(num) | huge.fillna(False)).to_numpy(dtype=bool)  # (a NaN text is "not a number" later)
        if not bad.any():
            continue
        if out is rows:
            out = rows.copy()
        for pos in np.flatnonzero(bad):
            report.problems.append(_problem(layer, int(pos), col.name, raw.iloc[pos], "数值不是有限的数或大得不合理",
                                            "number is infinite, NaN or too large", f"改为实际的{col.zh}", file=file))
        out[col.name] = out[col.name].astype(object).where(~bad, None)
    return out, report


def coverage_gaps(villages: gpd.GeoDataFrame, *, min_area_m2: float = 100.0, file: str | None = None,
                  limit: int = 200) -> Report:
    """Holes inside the union of village polygons (gaps between neighbours), as warnings."""
    report = Report()
    if not isinstance(villages, gpd.GeoDataFrame) or len(villages) < 2:
        return report
    geoms = np.asarray(villages.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & shapely.is_valid(geoms)
    if ok.sum() < 2:
        return report
    union = shapely.union_all(geoms[ok])
    polys = list(getattr(union, "geoms", [union]))
    holes = [shapely.Polygon(r) for p in polys if p.geom_type == "Polygon" for r in p.interiors]
    found = 0
    for h in holes:
        lat = h.centroid.y
        area_m2 = h.area * (111_320.0**2) * np.cos(np.radians(lat))
        if area_m2 < min_area_m2:
            continue
        found += 1
        if found > limit:
            report.truncated["warning:villages:geometry:gap"] = report.truncated.get("warning:villages:geometry:gap", 0) + 1
            continue
        pt = h.representative_point()
        report.problems.append(_problem("villages", None, "geometry", f"{pt.x:.5f},{pt.y:.5f}（约 {area_m2:,.0f} m²）",
                                        "村界之间有空隙（不属于任何村的区域）", "gap between village polygons",
                                        "核对相邻村的共用边界", "warning", file=file))
    return report


def dangling_references(layers: Mapping[str, pd.DataFrame], changed: str, *, file: str | None = None) -> Report:
    """Rows of other layers referring to keys of ``changed`` that no longer exist (errors)."""
    report = Report()
    target = layers.get(changed)
    if target is None:
        return report
    for ref in references():
        if ref.target_layer != changed or ref.layer == changed or ref.layer not in layers:
            continue
        df = layers[ref.layer]
        if ref.column not in df.columns or ref.target_column not in target.columns or df.empty:
            continue
        keys = {str(v) for v in target[ref.target_column].dropna()}
        vals = df[ref.column].astype(object)
        bad = vals.notna() & ~vals.map(str).isin(keys)
        lk = get_layer(ref.layer).key
        for n, pos in enumerate(np.flatnonzero(bad.to_numpy())):
            if n >= 200:
                report.truncated[f"error:{ref.layer}:{ref.column}:dangling"] = int(bad.sum()) - 200
                break
            rid = str(df[lk].iloc[pos]) if lk in df.columns and not get_layer(ref.layer).personal else None
            report.problems.append(_problem(ref.layer, int(pos), ref.column, vals.iloc[pos],
                                            f"导入后将引用不存在的{get_layer(changed).zh}",
                                            f"would refer to a missing {changed}.{ref.target_column}",
                                            f"保留该{get_layer(changed).zh}或先修改{get_layer(ref.layer).zh}", row_id=rid,
                                            file=file))
    return report


# --------------------------------------------------------------------------- change preview


@dataclass
class LayerChange:
    """Rows added, changed and removed in one layer (keys of each, for the preview)."""

    layer: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    changed_columns: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.changed), "removed": len(self.removed),
                "unchanged": self.unchanged}

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def _same(a: object, b: object) -> bool:
    na, nb = pd.isna(a) if not isinstance(a, (list, tuple)) else False, pd.isna(b) if not isinstance(b, (list, tuple)) else False
    if na or nb:
        return bool(na and nb)
    if isinstance(a, (int, float, np.integer, np.floating)) and isinstance(b, (int, float, np.integer, np.floating)):
        return bool(np.isclose(float(a), float(b), rtol=0, atol=1e-9))
    return str(a) == str(b)


def diff_layer(name: str, old: pd.DataFrame, new: pd.DataFrame) -> LayerChange:
    """Compare two versions of a layer by its key (both in schema dtypes, e.g. from ``store.coerce``)."""
    layer = get_layer(name)
    key = layer.key
    change = LayerChange(name)
    ok = old.set_index(old[key].astype(str), drop=False) if len(old) else old
    nk = new.set_index(new[key].astype(str), drop=False) if len(new) else new
    old_keys = list(ok.index) if len(old) else []
    new_keys = list(nk.index) if len(new) else []
    old_set, new_set = set(old_keys), set(new_keys)
    change.added = [k for k in new_keys if k not in old_set]
    change.removed = [k for k in old_keys if k not in new_set]
    common = [k for k in new_keys if k in old_set]
    cols = [c for c in layer.column_names if c in old.columns and c in new.columns]
    has_geom = layer.geometry is not None and "geometry" in old.columns and "geometry" in new.columns
    if common:
        o = ok.loc[~ok.index.duplicated()].loc[common]
        n = nk.loc[~nk.index.duplicated()].loc[common]
        differs = np.zeros(len(common), dtype=bool)
        for c in cols:
            d = np.array([not _same(a, b) for a, b in zip(o[c].tolist(), n[c].tolist())], dtype=bool)
            if d.any():
                change.changed_columns[c] = int(d.sum())
            differs |= d
        if has_geom:
            ga, gb = np.asarray(o.geometry.values, dtype=object), np.asarray(n.geometry.values, dtype=object)
            same = shapely.equals_exact(shapely.normalize(ga), shapely.normalize(gb), GEOMETRY_TOLERANCE_DEG)
            rest = ~same
            if rest.any():  # Polygon vs one-part MultiPolygon, other vertex order: compare as shapes
                a, b = ga[rest], gb[rest]
                valid = shapely.is_valid(a) & shapely.is_valid(b)
                eq = np.zeros(len(a), dtype=bool)
                eq[valid] = shapely.equals(a[valid], b[valid])
                if layer.geometry == "Polygon" and valid.any():
                    sym = shapely.area(shapely.symmetric_difference(a[valid], b[valid]))
                    eq[valid] |= np.nan_to_num(sym, nan=1.0) < 1e-12
                same[rest] = eq
            d = ~np.asarray(same, dtype=bool) & ~(shapely.is_missing(ga) & shapely.is_missing(gb))
            if d.any():
                change.changed_columns["geometry"] = int(d.sum())
            differs |= d
        change.changed = [k for k, d in zip(common, differs) if d]
        change.unchanged = int((~differs).sum())
    return change


def layers_with_refs_to(name: str) -> list[str]:
    """Layers whose rows refer to ``name`` (to re-check after an import)."""
    return [r.layer for r in references() if r.target_layer == name and r.layer in LAYERS]
