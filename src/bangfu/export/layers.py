"""Export the workspace or one layer as GeoPackage, GeoJSON, zipped Shapefile (UTF-8 + .cpg) or Excel.

Every export can be imported again and gives the same data (tests check the round trip):
Shapefile field names are cut to 10 characters by a fixed table
(:func:`bangfu.ingest.columns.shapefile_names`) that the importer knows; Excel sheets carry the
Chinese column labels (which the importer's synonyms table maps back), coded and yes/no values as their
Chinese vocabulary labels (已硬化, 饮水安全, 是 — the importer parses them back to codes), points as
经度/纬度 columns and other shapes as WKT text. GeoPackage, GeoJSON and Shapefile keep the stored codes.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from bangfu.core.errors import BangfuError
from bangfu.ingest import columns as cm
from bangfu.export import tables as exports
from bangfu.workspace import audit, display, personal, store
from bangfu.workspace.access import Principal, can, require
from bangfu.workspace.schema import LAYERS, get_layer
from bangfu.ingest.guard import PrivateDir

Format = Literal["gpkg", "geojson", "shapefile", "xlsx"]


@dataclass(frozen=True)
class ExportFormat:
    """One export format: file suffix, MIME type and labels."""

    key: Format
    suffix: str
    mime: str
    zh: str
    en: str


FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        ExportFormat("gpkg", ".gpkg", "application/geopackage+sqlite3", "GeoPackage", "GeoPackage"),
        ExportFormat("geojson", ".geojson", "application/geo+json", "GeoJSON", "GeoJSON"),
        ExportFormat("shapefile", ".zip", "application/zip", "Shapefile（zip，UTF-8）", "Shapefile (zip, UTF-8)"),
        ExportFormat("xlsx", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel",
                     "Excel"),
    )
}
EXCEL_CELL_LIMIT = 32767


class ExportError(BangfuError):
    """An export that cannot be made; ``message_zh`` is shown to the user."""


def check_format(fmt: str) -> ExportFormat:
    """The format called ``fmt`` (ValueError listing the allowed ones)."""
    key = {"shp": "shapefile", "json": "geojson", "excel": "xlsx"}.get(fmt.lower(), fmt.lower())
    if key not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; allowed: {', '.join(FORMATS)}")
    return FORMATS[key]


def _frame(layers: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    layer = get_layer(name)
    df = store.coerce(layer, layers[name])
    keep = list(layer.column_names) + (["geometry"] if layer.geometry and "geometry" in df.columns else [])
    df = df[keep]
    if layer.geometry and "geometry" in df.columns:
        return gpd.GeoDataFrame(df, geometry="geometry", crs="EPSG:4326")
    return pd.DataFrame(df)


def _gpkg(layers: Mapping[str, pd.DataFrame]) -> bytes:
    with PrivateDir() as tmp:
        path = tmp.path / "export.gpkg"
        store.write_gpkg(path, layers, meta={"source": "export"})
        return path.read_bytes()


def _geojson_one(df: pd.DataFrame, name: str) -> bytes:
    with PrivateDir() as tmp:
        path = tmp.path / f"{name}.geojson"
        out = df if isinstance(df, gpd.GeoDataFrame) else df
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.write_dataframe(out, str(path), driver="GeoJSON", layer=name)
        return path.read_bytes()


_SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _shapefile_files(df: pd.DataFrame, name: str) -> dict[str, bytes]:
    """File name → bytes of one layer as Shapefile set(s); mixed geometry is split by type."""
    layer = get_layer(name)
    short = cm.shapefile_names(layer)
    renamed = df.rename(columns=short)
    for c in renamed.columns:
        if pd.api.types.is_bool_dtype(renamed[c]):
            renamed[c] = renamed[c].astype("Int64")
    parts: list[tuple[str, pd.DataFrame]] = []
    if isinstance(renamed, gpd.GeoDataFrame):
        fam = pd.Series(shapely.get_type_id(np.asarray(renamed.geometry.values, dtype=object))).map(
            {0: "point", 4: "point", 1: "line", 5: "line", 3: "polygon", 6: "polygon"}).fillna("none").to_numpy()
        kinds = sorted(set(fam) - {"none"}) or ["point"]
        if len(kinds) == 1:
            parts.append((name, renamed))
        else:
            for k in kinds:
                parts.append((f"{name}_{k}", renamed[fam == k]))
    else:
        parts.append((name, renamed))
    out: dict[str, bytes] = {}
    with PrivateDir() as tmp:
        for stem, frame in parts:
            path = tmp.path / f"{stem}.shp" if isinstance(frame, gpd.GeoDataFrame) else tmp.path / f"{stem}.dbf"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pyogrio.write_dataframe(frame, str(path), driver="ESRI Shapefile", encoding="UTF-8")
            for ext in _SHP_PARTS:
                f = tmp.path / f"{stem}{ext}"
                if f.exists():
                    out[f.name] = f.read_bytes()
    return out


def _zip(files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for fname, data in files.items():
            info = zipfile.ZipInfo(fname, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def excel_sheet(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """A layer as an Excel sheet: Chinese headers and labels, points as 经度/纬度, other shapes as WKT."""
    layer = get_layer(name)
    table = pd.DataFrame(df.drop(columns=["geometry"], errors="ignore")).copy()
    if isinstance(df, gpd.GeoDataFrame) and "geometry" in df.columns:
        geoms = np.asarray(df.geometry.values, dtype=object)
        present = ~shapely.is_missing(geoms)
        if layer.geometry == "Point":
            table[cm.HELPERS["lon"][0]] = np.where(present, shapely.get_x(geoms), np.nan)
            table[cm.HELPERS["lat"][0]] = np.where(present, shapely.get_y(geoms), np.nan)
        else:
            wkt = [None if g is None else shapely.to_wkt(g, rounding_precision=-1) for g in geoms]
            too_long = [i for i, w in enumerate(wkt) if w is not None and len(w) > EXCEL_CELL_LIMIT]
            if too_long:
                wkt = [None if g is None else shapely.to_wkt(g, rounding_precision=9) for g in geoms]
                too_long = [i for i, w in enumerate(wkt) if w is not None and len(w) > EXCEL_CELL_LIMIT]
            if too_long:
                raise ExportError(
                    f"{layer.zh}第{too_long[0] + 1}行的边界过于复杂，超过 Excel 单元格上限，请改用 GeoPackage 或 Shapefile 导出。",
                    "geometry too large for an Excel cell",
                )
            table[cm.HELPERS["wkt"][0]] = wkt
    for c in table.columns:
        if str(table[c].dtype) in ("Int64", "boolean"):
            table[c] = table[c].astype(object).where(table[c].notna(), None)
    table = display.export_labels(table, name)
    return table.rename(columns=layer.labels("zh"))


#: The file name stem of an export of several layers.
DEFAULT_BASE = "bangfu"


def export_layers(layers: Mapping[str, pd.DataFrame], names: list[str], fmt: str, *, base: str = DEFAULT_BASE) -> tuple[str, bytes]:
    """(file name, bytes) of the given layers in ``fmt``; one layer gives a single file where the format allows."""
    f = check_format(fmt)
    frames = {n: _frame(layers, n) for n in names if n in layers}
    stem = names[0] if len(names) == 1 else base
    if f.key == "gpkg":
        return f"{stem}.gpkg", _gpkg(frames)
    if f.key == "geojson":
        files: dict[str, bytes] = {f"{n}.geojson": _geojson_one(df, n) for n, df in frames.items()}
        if len(files) == 1:
            return next(iter(files.items()))
        return f"{stem}_geojson.zip", _zip(files)
    if f.key == "shapefile":
        files = {}
        for n, df in frames.items():
            files.update(_shapefile_files(df, n))
        return f"{stem}_shp.zip", _zip(files)
    sheets = {get_layer(n).zh: excel_sheet(df, n) for n, df in frames.items()}
    return f"{stem}.xlsx", exports.to_xlsx_bytes(sheets)


def exportable_layers(path: Path | str, user: Principal | None) -> list[str]:
    """The layers of the workspace ``user`` may export (the choices of 导出数据): household layers only with
    ``export_households``; nothing without ``export``."""
    if not can(user, "export"):
        return []
    present = set(store.list_layers(path))
    return personal.visible_layers(user, [n for n in LAYERS if n in present], permission="export_households")


def export_workspace(path: Path | str, fmt: str, *, user: Principal | None,
                     layers: list[str] | None = None) -> tuple[str, bytes]:
    """The workspace (all the layers ``user`` may export, or ``layers``) exported as (file name, bytes).

    Needs ``export``; a household layer needs ``export_households`` (asked for by name without it:
    :class:`bangfu.workspace.access.AccessDenied`; in "all layers" it is left out), a town planner gets only
    the households of their towns, and every export of household rows is recorded in the audit trail.
    """
    require(user, "export", what="导出数据")
    check_format(fmt)
    if layers:
        personal.refuse_personal(user, layers, permission="export_households")
        names = list(layers)
    else:
        names = exportable_layers(path, user)
    villages = store.read_layer(path, "villages")
    data = {n: (personal.read_personal(path, n, user, villages=villages) if personal.is_personal(n)
                else villages if n == "villages" else store.read_layer(path, n)) for n in names}
    fname, blob = export_layers(data, names, fmt, base="workspace")
    for n in names:
        if personal.is_personal(n):
            audit.record_workspace(path, user, "export_households", n,  # type: ignore[arg-type]
                                   {"layer": n, "rows": len(data[n]), "format": fmt, "file": fname})
    return fname, blob
