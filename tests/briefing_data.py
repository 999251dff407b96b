"""Small hand-built workspace for the briefing tests: two towns, roads with known lengths (each inside its
own village), projects, pairings."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

CHISHUI, SHATANG = "440783116", "440783103"


def layers() -> dict[str, pd.DataFrame]:
    rows, geoms = [], []
    spec = [  # (town, town_name, i, households, poor_hh, poor_pop, old, key)
        (CHISHUI, "赤水镇", 0, 400, 60, 150, True, True),
        (CHISHUI, "赤水镇", 1, 300, 30, 80, True, False),
        (CHISHUI, "赤水镇", 2, 250, 10, 22, False, False),
        (CHISHUI, "赤水镇", 3, 500, 5, 11, False, False),
        (SHATANG, "沙塘镇", 0, 800, 20, 45, False, False),
        (SHATANG, "沙塘镇", 1, 900, 0, 0, False, False),
    ]
    for k, (town, tname, i, hh, phh, ppop, old, key) in enumerate(spec):
        col, row = k % 3, k // 3
        rows.append({
            "village_code": f"{town}{200 + i:03d}", "village_name": f"{'$测$' if k == 2 else ''}{tname[:2]}{i}村",
            "town_code": town, "town_name": tname, "county_code": "440783", "county_name": "开平市",
            "households": hh, "population": hh * 3, "poor_households": phh, "poor_population": ppop,
            "is_old_district": old, "is_key_village": key, "collective_income_wan": 3.0,
        })
        x0, y0 = round(112.30 + 0.02 * col, 6), round(22.40 + 0.02 * row, 6)
        geoms.append(shapely.box(x0, y0, round(x0 + 0.02, 6), round(y0 + 0.02, 6)))
    villages = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")
    code = villages["village_code"].tolist()

    def road(i: int, v: int, status: str, year: int | None, dx: float) -> dict:
        # inside its own village v (column v % 3, row v // 3): the area rule counts a road where it lies
        x, y = 112.301 + 0.02 * (v % 3), 22.401 + 0.02 * (v // 3) + 0.003 * i
        return {"road_id": f"R{i}", "name": f"路{i}", "village_code": code[v], "road_class": "村道", "surface": "水泥",
                "status": status, "planned_year": 2018, "completed_year": year,
                "progress_pct": 100.0 if status == "completed" else 0.0, "cost_wan": 10.0, "version": 1,
                "geometry": shapely.LineString([(round(x, 6), y), (round(x + dx, 6), y)])}

    roads = gpd.GeoDataFrame([
        road(0, 0, "completed", 2018, 0.010), road(1, 0, "completed", 2019, 0.015), road(2, 1, "completed", 2019, 0.005),
        road(3, 1, "planned", None, 0.012), road(4, 4, "completed", 2020, 0.008), road(5, 5, "unhardened", None, 0.004),
    ], geometry="geometry", crs="EPSG:4326")
    projects = gpd.GeoDataFrame([
        {"project_id": f"P{i}", "name": n, "project_type": tp, "cost_wan": c, "village_code": code[v], "status": "candidate",
         "geometry": shapely.Point(112.305 + 0.02 * (v % 3), 22.405 + 0.02 * (v // 3))}
        for i, (n, tp, c, v) in enumerate([("步栏村道路硬化$工程$", "road_hardening", 120.0, 0), ("三合饮水工程", "drinking_water", 80.5, 1),
                                           ("沙塘桥", "bridge", 300.0, 4)])
    ], geometry="geometry", crs="EPSG:4326")
    return {"villages": villages, "roads": roads, "projects": projects}


def loader(data: dict[str, pd.DataFrame]):
    from bangfu.workspace import store
    from bangfu.workspace.schema import get_layer

    def load(name: str) -> pd.DataFrame:
        if name in data:
            return data[name]
        return store._empty_frame(get_layer(name))  # noqa: SLF001

    return load


def write(path: Path) -> Path:
    from bangfu.workspace import store

    store.write_workspace(path, layers(), meta={"source": "demo", "as_of": "2020-12-31", "synthetic_note": "测试用合成数据。"})
    return path


META = {"source": "demo", "as_of": "2020-12-31", "synthetic_note": "测试用合成数据。", "version": "3"}


def portfolio() -> pd.DataFrame:
    """A portfolio as the planning page might leave it (no geometry; households counted)."""
    p = layers()["projects"].drop(columns="geometry")
    return p.assign(households=[500, 300, 200], poor_households=[50, 30, 20])


# Sources used by the tests of the section machinery (named "briefing_data:...").
def raises_type_error(villages: pd.DataFrame) -> float:
    raise TypeError("unexpected signature")


def share_one_and_a_half(villages: pd.DataFrame) -> float:
    return 1.5


def quarter(villages: pd.DataFrame) -> float:
    return 0.25
