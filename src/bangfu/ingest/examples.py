"""Example import files built from the current workspace: a GBK shapefile, GCJ-02 points, an Excel sheet.

They let a user try the import flow without their own data (button “载入示例文件” on page
数据管理), and let tests drive that page. Nothing here is written to the workspace.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from bangfu.core.text import clean_value
from bangfu.geo.crs import wgs84_to_gcj02
from bangfu.ingest.guard import PrivateDir


@dataclass(frozen=True)
class Example:
    """One example file: what it shows, its name and bytes, and the layer it is meant for."""

    key: str
    zh: str
    en: str
    file_name: str
    layer: str
    data: bytes


def _gbk_shapefile(villages: gpd.GeoDataFrame) -> bytes:
    v = villages[["village_code", "village_name", "town_name", "households", "poor_households", "geometry"]]
    v = v.rename(columns={"village_code": "统计用区划代码", "village_name": "村名", "town_name": "乡镇", "households": "户数",
                          "poor_households": "贫困户数"})
    v = gpd.GeoDataFrame(v, geometry="geometry", crs="EPSG:4326")
    buf = io.BytesIO()
    with PrivateDir() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.write_dataframe(v, str(tmp.path / "村界.shp"), encoding="GBK")
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for ext in (".shp", ".shx", ".dbf", ".prj"):  # no .cpg, as desktop GIS often leaves it out
                zf.write(tmp.path / f"村界{ext}", f"村界{ext}")
    return buf.getvalue()


def _gcj_sites(villages: gpd.GeoDataFrame) -> bytes:
    v = villages.head(8)
    pts = shapely.point_on_surface(np.asarray(v.geometry.values, dtype=object))
    x, y = wgs84_to_gcj02(shapely.get_x(pts), shapely.get_y(pts))
    df = pd.DataFrame({
        "景点编号": [f"EX{i + 1:02d}" for i in range(len(v))],
        "名称": [f"{n}农家乐" for n in v["village_name"]],
        "类型": ["民宿农家乐"] * len(v),
        "所在村代码": list(v["village_code"]),
        "经度": np.round(x, 6),
        "纬度": np.round(y, 6),
    })
    return df.to_csv(index=False).encode("gb18030")


def _poverty_excel(villages: gpd.GeoDataFrame) -> bytes:
    v = villages.head(10)
    poor = pd.to_numeric(v["poor_households"], errors="coerce").fillna(0).astype(int)
    limit = pd.to_numeric(v["poor_population"], errors="coerce").fillna(0).astype(int)
    new = np.minimum(poor + 1, np.maximum(limit, poor))
    df = pd.DataFrame({"统计用区划代码": list(v["village_code"]), "村委会": [clean_value(n) for n in v["village_name"]],
                       "建档立卡户数": new.to_numpy()})
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as w:
        df.to_excel(w, index=False, sheet_name="建档立卡")
    return buf.getvalue()


def example_files(villages: gpd.GeoDataFrame) -> dict[str, Example]:
    """The examples for a workspace's villages (empty when there are none)."""
    if villages is None or villages.empty:
        return {}
    return {
        e.key: e
        for e in (
            Example("poverty_excel", "建档立卡户数 Excel（按12位代码更新村数据）", "Poor households (Excel, joined by code)",
                    "建档立卡户数.xlsx", "villages", _poverty_excel(villages)),
            Example("gcj_sites", "高德坐标（GCJ-02）旅游点 CSV（GBK 编码）", "Tourism sites in GCJ-02 (CSV, GBK)",
                    "旅游点_高德坐标.csv", "tourism_sites", _gcj_sites(villages)),
            Example("gbk_shapefile", "村界 Shapefile（GBK 编码，无 .cpg）", "Village boundaries (Shapefile, GBK, no .cpg)",
                    "村界.zip", "villages", _gbk_shapefile(villages)),
        )
    }
