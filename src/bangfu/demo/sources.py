"""Reading the real inputs in ``geodata/sources``: the official village code list and the county boundary.

The boundary comes from Amap in GCJ-02 and is converted to WGS-84 with
:func:`bangfu.geo.crs.convert_geometry`; the code list is read as text (codes keep their leading
digits). Both files ship as package data (:data:`bangfu.core.resources.SOURCES_DIR`); their
provenance is in ``geodata/sources/README.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import shapely

from bangfu.core.resources import SOURCES_DIR
from bangfu.demo.facts import COUNTY_CODE, COUNTY_NAME
from bangfu.demo.layout import TOWNS
from bangfu.geo.crs import convert_geometry

__all__ = ["BOUNDARY_FILE", "VILLAGE_FILE", "load_county_boundary", "load_village_table", "short_name"]

#: Administrative boundaries (GeoJSON, GCJ-02) with Kaiping's among them.
BOUNDARY_FILE: Path = SOURCES_DIR / "admin_boundaries_gcj02.geojson"
#: The official village-level code list (统计用区划代码) of Liaoning and Kaiping.
VILLAGE_FILE: Path = SOURCES_DIR / "villages_liaoning_kaiping.csv"


def load_county_boundary() -> shapely.Polygon:
    """The real Kaiping boundary (adcode 440783) converted from GCJ-02 to WGS-84."""
    data = json.loads(BOUNDARY_FILE.read_text(encoding="utf-8"))
    feats = [f for f in data["features"] if str(f["properties"].get("adcode")) == COUNTY_CODE]
    if not feats:
        raise ValueError(f"{BOUNDARY_FILE.name} has no feature with adcode {COUNTY_CODE}")
    geom = shapely.geometry.shape(feats[0]["geometry"])
    wgs = convert_geometry([geom], "gcj02", "wgs84")[0]
    parts = list(getattr(wgs, "geoms", [wgs]))
    poly = max(parts, key=lambda p: p.area)
    return shapely.make_valid(poly) if not poly.is_valid else poly


def load_village_table() -> pd.DataFrame:
    """The 270 real village-level units of Kaiping (codes read as text), one row each, in file order."""
    df = pd.read_csv(VILLAGE_FILE, dtype=str, keep_default_na=False)
    df = df[df["county_code"] == COUNTY_CODE].reset_index(drop=True)
    cols = ["village_code", "village_name", "town_code", "town_name", "county_code", "county_name"]
    df = df[cols].copy()
    df["county_name"] = COUNTY_NAME
    missing = sorted(set(df["town_code"]) - set(TOWNS))
    if missing:
        raise ValueError(f"towns without a layout: {missing}")
    return df


def short_name(name: str) -> str:
    """``步栏村委会`` → ``步栏村``; ``东河社区居委会`` → ``东河社区``."""
    for suffix, repl in (("社区居委会", "社区"), ("村委会", "村"), ("居委会", "社区")):
        if name.endswith(suffix):
            return name[: -len(suffix)] + repl
    return name
