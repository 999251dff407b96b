"""A small hand-computable road network (metric coordinates, UTM 49N) and a workspace built from it.

Villages A, B (town T1) and C, D (town T2) are 1 km squares side by side along x. Roads:

========  ==================  ====================  =========================
road      status              where                 length per village (m)
========  ==================  ====================  =========================
R1        completed 2019      y=500, x 500..1500    A 500, B 500 (crosses A|B)
R2        under_construction  y=500, x 2200..2800   C 600
R3        unhardened          x=100, y 100..900     A 800
R4        planned 2021        y=800, x 1200..1800   B 600
R5        completed 2020      x=2500, y 100..400    C 300
R6        unhardened          y=500, x 3100..3900   D 800
========  ==================  ====================  =========================
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

CRS = "EPSG:32649"
X0, Y0 = 500_000.0, 2_466_000.0
T1, T2 = "440783101", "440783102"
CODES = {"A": f"{T1}201", "B": f"{T1}202", "C": f"{T2}201", "D": f"{T2}202"}


def _xy(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


def villages_m() -> gpd.GeoDataFrame:
    rows = []
    for i, (name, code) in enumerate(CODES.items()):
        town = T1 if name in "AB" else T2
        rows.append({
            "village_code": code, "village_name": f"{name}村", "town_code": town,
            "town_name": "一镇" if town == T1 else "二镇", "county_code": "440783", "county_name": "开平市",
            "households": 100, "population": 300, "poor_households": 10, "poor_population": 25,
            "is_old_district": False, "is_key_village": False, "collective_income_wan": 1.0,
        })
    geoms = [shapely.box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(4)]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)


def roads_m() -> gpd.GeoDataFrame:
    spec = [
        ("R1", "A", "completed", 2018, 2019, 100.0, [(500, 500), (1500, 500)]),
        ("R2", "C", "under_construction", 2020, None, 40.0, [(2200, 500), (2800, 500)]),
        ("R3", "A", "unhardened", None, None, 0.0, [(100, 100), (100, 900)]),
        ("R4", "B", "planned", 2021, None, 0.0, [(1200, 800), (1800, 800)]),
        ("R5", "C", "completed", 2019, 2020, 100.0, [(2500, 100), (2500, 400)]),
        ("R6", "D", "unhardened", None, None, 0.0, [(3100, 500), (3900, 500)]),
    ]
    return gpd.GeoDataFrame(
        {
            "road_id": [s[0] for s in spec],
            "name": [f"{s[0]}路" for s in spec],
            "village_code": [CODES[s[1]] for s in spec],
            "road_class": ["村道"] * len(spec),
            "surface": [None] * len(spec),
            "status": [s[2] for s in spec],
            "planned_year": pd.array([s[3] for s in spec], dtype="Int64"),
            "completed_year": pd.array([s[4] for s in spec], dtype="Int64"),
            "progress_pct": [s[5] for s in spec],
            "cost_wan": [10.0 * (i + 1) for i in range(len(spec))],
            "version": [1] * len(spec),
        },
        geometry=[shapely.LineString([_xy(*p) for p in s[6]]) for s in spec],
        crs=CRS,
    )


#: (x, y, poor, village) — distances to the roads are given in the test that uses them.
HOUSEHOLDS = [
    (600, 600, True, "A"),
    (100, 950, False, "A"),
    (2500, 700, True, "C"),
    (2650, 250, False, "C"),
    (3500, 900, True, "D"),
]


def households_m() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "household_id": [f"H{i}" for i in range(len(HOUSEHOLDS))],
            "village_code": [CODES[h[3]] for h in HOUSEHOLDS],
            "members": [3] * len(HOUSEHOLDS),
            "is_poor": [h[2] for h in HOUSEHOLDS],
            "is_key": [False] * len(HOUSEHOLDS),
            "poverty_cause": [None] * len(HOUSEHOLDS),
            "has_labour": [True] * len(HOUSEHOLDS),
        },
        geometry=[shapely.Point(_xy(h[0], h[1])) for h in HOUSEHOLDS],
        crs=CRS,
    )


def build_workspace(path: Path) -> Path:
    """Write the network as a complete workspace (EPSG:4326) at ``path``."""
    from bangfu.workspace import store

    empty_hist = pd.DataFrame({c: [] for c in store.get_layer("road_progress").column_names})
    store.write_workspace(
        path,
        {
            "villages": villages_m().to_crs("EPSG:4326"),
            "households": households_m().to_crs("EPSG:4326"),
            "roads": roads_m().to_crs("EPSG:4326"),
            "road_progress": empty_hist,
        },
        meta={"source": "test"},
    )
    return path
