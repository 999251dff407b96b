"""A small hand-built workspace for the tourism and pairing tests (two towns, six villages)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu.workspace import store

TOWNS = {"440783116": "赤水镇", "440783117": "塘口镇"}
AS_OF = "2020-12-31"


def villages() -> gpd.GeoDataFrame:
    """Six ~1 km squares: three in each town, in one row. Village attributes chosen for the needy rules."""
    spec = [
        # code suffix, town, key, old district, households, poor
        ("240", "440783116", True, True, 200, 30),
        ("241", "440783116", True, False, 150, 5),
        ("242", "440783116", False, True, 100, 20),
        ("243", "440783117", False, False, 120, 12),
        ("244", "440783117", True, False, 80, 2),
        ("245", "440783117", False, False, 300, 0),
    ]
    rows, geoms = [], []
    for i, (suffix, town, key, old, hh, poor) in enumerate(spec):
        rows.append(
            {
                "village_code": f"{town}{suffix}", "village_name": f"测试{i}村", "town_code": town,
                "town_name": TOWNS[town], "county_code": town[:6], "county_name": "开平市",
                "households": hh, "population": hh * 3, "poor_households": poor, "poor_population": poor * 2,
                "is_old_district": old, "is_key_village": key, "collective_income_wan": 5.0,
            }
        )
        geoms.append(shapely.box(112.40 + 0.01 * i, 22.30, 112.41 + 0.01 * i, 22.31))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def households(v: gpd.GeoDataFrame, *, seed: int = 7, per_village: int = 40) -> gpd.GeoDataFrame:
    """Random points inside each village; every third one poor."""
    rng = np.random.default_rng(seed)
    rows, geoms = [], []
    for code, g in zip(v["village_code"], v.geometry):
        minx, miny, maxx, maxy = g.bounds
        for j in range(per_village):
            poor = j % 3 == 0
            rows.append({"household_id": f"{code}-{j:03d}", "village_code": code, "members": 3, "is_poor": poor,
                         "is_key": poor, "poverty_cause": "因病" if poor else None, "has_labour": True})
            geoms.append(shapely.Point(rng.uniform(minx + 1e-4, maxx - 1e-4), rng.uniform(miny + 1e-4, maxy - 1e-4)))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def sites(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    codes = list(v["village_code"])
    data = [
        ("S1", "自力村碉楼群", "碉楼村落", 5, codes[0], 300000, 40, (112.405, 22.305)),
        ("S2", "<b>农家乐</b>", "民宿农家乐", None, codes[1], 8000, 6, (112.415, 22.302)),
        ("S3", "红色教育基地", "红色旅游", 3, codes[3], 20000, 3, (112.435, 22.308)),
        ("S4", "生态果园", "生态农业", 2, codes[5], None, None, (112.455, 22.305)),
    ]
    rows = [
        {"site_id": a, "name": b, "site_type": c, "a_level": d, "village_code": e, "annual_visitors": f,
         "poor_households_employed": g, "approximate_location": False, "synthetic": True}
        for a, b, c, d, e, f, g, _ in data
    ]
    return gpd.GeoDataFrame(rows, geometry=[shapely.Point(*xy) for *_, xy in data], crs="EPSG:4326")


def enterprises() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"enterprise_id": ["E1", "E2", "E3"], "name": ["开平农业公司", "<script>x</script>旅游公司", "塘口商贸"],
         "industry": ["农业", "旅游", "商贸"], "is_leading": [True, False, False], "employees": [300, 40, 25]},
        geometry=[shapely.Point(112.402, 22.318), shapely.Point(112.43, 22.318), shapely.Point(112.45, 22.318)],
        crs="EPSG:4326",
    )


def pairings(v: gpd.GeoDataFrame) -> pd.DataFrame:
    """Village 0 paired twice (E1, E2), village 1 only by an ended pairing, village 3 by E1; E1 has 2 villages."""
    c = list(v["village_code"])
    rows = [
        ("P001", "E1", c[0], "产业", "2018-01-01", None, 50.0, 10),
        ("P002", "E2", c[0], "就业", "2019-05-01", None, 20.0, 4),
        ("P003", "E2", c[1], "商贸", "2017-01-01", "2019-12-31", 10.0, 2),
        ("P004", "E1", c[3], "公益", "2020-01-01", "2022-06-30", 5.5, None),
        ("P005", "E3", c[5], "智力", "2021-03-01", None, 3.0, 1),  # starts after the as-of date
    ]
    cols = ["pairing_id", "enterprise_id", "village_code", "pairing_type", "start_date", "end_date", "committed_wan",
            "poor_households_employed"]
    df = pd.DataFrame(rows, columns=cols)
    df["version"] = 1
    return df


def layers() -> dict[str, pd.DataFrame]:
    v = villages()
    return {"villages": v, "households": households(v), "tourism_sites": sites(v), "enterprises": enterprises(),
            "pairings": pairings(v)}


def build_workspace(folder: Path) -> Path:
    """Write the workspace file into ``folder`` (as the app expects it) and return its path."""
    path = Path(folder) / store.WORKSPACE_FILE
    store.write_workspace(path, layers(), meta={"source": "test", "as_of": AS_OF})
    return path
