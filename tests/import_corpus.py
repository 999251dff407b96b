"""A small corpus of good and bad import files, generated on the fly (nothing binary is checked in)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from bangfu.workspace import store
from bangfu.geo.crs import wgs84_to_bd09, wgs84_to_gcj02

TOWN = "440783116"


def villages(n: int = 4) -> gpd.GeoDataFrame:
    """``n`` adjacent ~1 km squares in one town (a valid coverage)."""
    rows, geoms = [], []
    for i in range(n):
        rows.append({
            "village_code": f"{TOWN}{240 + i:03d}", "village_name": f"测试{i}村", "town_code": TOWN, "town_name": "赤水镇",
            "county_code": "440783", "county_name": "开平市", "households": 100, "population": 300,
            "poor_households": 10, "poor_population": 25, "is_old_district": i == 0, "is_key_village": i == 0,
            "collective_income_wan": 5.0,
        })
        geoms.append(shapely.box(112.40 + 0.01 * i, 22.30, 112.41 + 0.01 * i, 22.31))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def households(points: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Eight households spread inside the villages (deterministic)."""
    if points is None:
        rng = np.random.default_rng(7)
        xs = 112.401 + rng.random(8) * 0.038
        ys = 22.301 + rng.random(8) * 0.008
        points = np.column_stack([xs, ys])
    codes = [f"{TOWN}{240 + min(int((x - 112.40) / 0.01), 3):03d}" for x in points[:, 0]]
    return gpd.GeoDataFrame(
        {"household_id": [f"H{i:03d}" for i in range(len(points))], "village_code": codes,
         "members": [3] * len(points), "is_poor": [i % 2 == 0 for i in range(len(points))],
         "is_key": [False] * len(points), "poverty_cause": ["因病"] * len(points), "has_labour": [True] * len(points)},
        geometry=shapely.points(points), crs="EPSG:4326")


def make_workspace(folder: Path) -> Path:
    """A small valid workspace (villages + households) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / store.WORKSPACE_FILE
    store.write_workspace(path, {"villages": villages(), "households": households()}, meta={"source": "test"})
    return path


def zip_bytes(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def shapefile_zip(gdf: gpd.GeoDataFrame, tmp: Path, *, encoding: str = "UTF-8", keep_cpg: bool = True,
                  drop: tuple[str, ...] = (), stem: str = "layer") -> bytes:
    """A zipped shapefile written by GDAL (optionally GBK without .cpg, or missing parts)."""
    d = tmp / f"shp-{stem}-{encoding}-{keep_cpg}-{'-'.join(drop)}"
    d.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(gdf, str(d / f"{stem}.shp"), encoding=encoding)
    files = {}
    for p in sorted(d.iterdir()):
        if p.suffix == ".cpg" and not keep_cpg:
            continue
        if p.suffix in drop:
            continue
        files[p.name] = p.read_bytes()
    return zip_bytes(files)


def xlsx_bytes(df: pd.DataFrame, *, merge: str | None = None, title_row: str | None = None) -> bytes:
    """An Excel file; ``merge`` merges a header range (e.g. "A1:B1"), ``title_row`` adds a merged title above."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if title_row:
        ws.append([title_row] + [None] * (len(df.columns) - 1))
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(df.columns))
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append(list(row))
    if merge:
        ws.merge_cells(merge)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def points_table(points: np.ndarray, *, datum: str = "wgs84", swap: bool = False) -> pd.DataFrame:
    """Tourism-site rows with 经度/纬度 columns, optionally converted to GCJ-02/BD-09 or swapped."""
    x, y = points[:, 0], points[:, 1]
    if datum == "gcj02":
        x, y = wgs84_to_gcj02(x, y)
    elif datum == "bd09":
        x, y = wgs84_to_bd09(x, y)
    lon, lat = (y, x) if swap else (x, y)
    n = len(points)
    return pd.DataFrame({
        "景点编号": [f"S{i}" for i in range(n)], "名称": [f"景点{i}" for i in range(n)], "类型": ["古镇古村"] * n,
        "所在村代码": [f"{TOWN}{240 + min(int((px - 112.40) / 0.01), 3):03d}" for px in points[:, 0]],
        "经度": lon, "纬度": lat,
    })


def site_points(n: int = 12) -> np.ndarray:
    rng = np.random.default_rng(11)
    return np.column_stack([112.4015 + rng.random(n) * 0.037, 22.3015 + rng.random(n) * 0.007])


def geojson_bytes(gdf: gpd.GeoDataFrame) -> bytes:
    return json.dumps(json.loads(gdf.to_json(drop_id=True)), ensure_ascii=False).encode("utf-8")
