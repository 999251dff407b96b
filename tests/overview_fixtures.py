"""Small hand-built layers for the overview tests: a grid of villages in two towns with every overlay."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

TOWNS = {"440783116": "赤水镇", "440783117": "金鸡镇"}
# UTM 49N box corners of 1 km squares near Kaiping; built in metres so areas are known exactly.
UTM = "EPSG:32649"
X0, Y0 = 650_000.0, 2_470_000.0


def villages(n_per_town: int = 3, *, side_m: float = 1000.0) -> gpd.GeoDataFrame:
    """``2 × n_per_town`` adjacent squares of ``side_m`` metres (area exactly side²)."""
    rows, geoms = [], []
    for t_i, (town, tname) in enumerate(TOWNS.items()):
        for i in range(n_per_town):
            j = t_i * n_per_town + i
            rows.append({
                "village_code": f"{town}{200 + i:03d}",
                "village_name": f"{tname[:2]}{i}村",
                "town_code": town,
                "town_name": tname,
                "county_code": town[:6],
                "county_name": "开平市",
                "households": 100 * (j + 1),
                "population": 300 * (j + 1),
                "poor_households": 10 * (j + 1),
                "poor_population": 25 * (j + 1),
                "is_old_district": i == 0,
                "is_key_village": i == 1,
                "collective_income_wan": 5.0,
            })
            geoms.append(shapely.box(X0 + j * side_m, Y0, X0 + (j + 1) * side_m, Y0 + side_m))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=UTM).to_crs("EPSG:4326")


def roads(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Per village: a 600 m completed road and a 400 m unhardened one (so 60 % hardened)."""
    m = v.to_crs(UTM)
    rows, geoms = [], []
    for k, (code, g) in enumerate(zip(m["village_code"], m.geometry)):
        x0, y0 = g.bounds[0] + 100, g.bounds[1] + 100
        for status, length in (("completed", 600.0), ("unhardened", 400.0)):
            rows.append({"road_id": f"R{k}{status[0]}", "name": f"路{k}{status[0]}", "village_code": code,
                         "road_class": "村道", "surface": "水泥", "status": status, "progress_pct": 100.0, "version": 1})
            geoms.append(shapely.LineString([(x0, y0), (x0 + length, y0)]))
            y0 += 200
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=UTM).to_crs("EPSG:4326")


def sites(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    c = v.geometry.representative_point()
    return gpd.GeoDataFrame({
        "site_id": ["S1", "S2"], "name": ["自力村碉楼群", "<b>农家乐</b>"], "site_type": ["碉楼村落", "民宿农家乐"],
        "a_level": pd.array([5, None], dtype="Int64"), "village_code": [v["village_code"].iloc[0], v["village_code"].iloc[3]],
        "annual_visitors": pd.array([1000, 50], dtype="Int64"), "poor_households_employed": pd.array([3, 1], dtype="Int64"),
    }, geometry=[c.iloc[0], c.iloc[3]], crs="EPSG:4326")


def enterprises(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    c = v.geometry.representative_point()
    return gpd.GeoDataFrame({
        "enterprise_id": ["E1", "E2"], "name": ["开平农业公司", "金鸡食品厂"], "industry": ["农业", "食品"],
        "is_leading": [True, False], "employees": pd.array([50, 20], dtype="Int64"),
    }, geometry=[c.iloc[1], c.iloc[4]], crs="EPSG:4326")


def pairings(v: gpd.GeoDataFrame) -> pd.DataFrame:
    """E1 pairs village 0 (active) and village 3 (ended); E2 pairs village 4 (active, open-ended)."""
    codes = list(v["village_code"])
    return pd.DataFrame({
        "pairing_id": ["P1", "P2", "P3", "P4"],
        "enterprise_id": ["E1", "E1", "E2", "E2"],
        "village_code": [codes[0], codes[3], codes[4], codes[1]],
        "pairing_type": ["产业", "就业", "公益", "产业"],
        "start_date": ["2019-01-01", "2018-01-01", "2020-06-01", "2021-06-01"],
        "end_date": ["2022-12-31", "2019-12-31", None, None],
        "committed_wan": [10.0, 5.0, 2.0, 1.0],
        "poor_households_employed": pd.array([2, 1, 0, 0], dtype="Int64"),
        "version": [1, 1, 1, 1],
    })


def projects(v: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One candidate inside village 0, one line crossing villages 0–1 registered to village 1, one completed."""
    m = v.to_crs(UTM)
    b0 = m.geometry.iloc[0].bounds
    geoms = [
        shapely.Point(b0[0] + 500, b0[1] + 500),
        shapely.LineString([(b0[0] + 800, b0[1] + 500), (b0[0] + 1300, b0[1] + 500)]),
        shapely.Point(b0[0] + 200, b0[1] + 200),
    ]
    return gpd.GeoDataFrame({
        "project_id": ["J1", "J2", "J3"], "name": ["饮水工程", "村道硬化", "已建桥"],
        "project_type": ["drinking_water", "road_hardening", "bridge"], "cost_wan": [30.0, 80.0, 50.0],
        "village_code": [v["village_code"].iloc[0], v["village_code"].iloc[1], v["village_code"].iloc[0]],
        "status": ["candidate", "candidate", "completed"],
    }, geometry=geoms, crs=UTM).to_crs("EPSG:4326")


def layers(n_per_town: int = 3) -> dict[str, pd.DataFrame]:
    v = villages(n_per_town)
    return {"villages": v, "roads": roads(v), "tourism_sites": sites(v), "enterprises": enterprises(v),
            "pairings": pairings(v), "projects": projects(v)}
