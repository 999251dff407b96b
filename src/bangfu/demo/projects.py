"""The candidate projects layer: about 60 infrastructure projects, more in the poorer west, a few already approved.

Road hardening projects are the planned or unhardened roads of the poorest villages (lines);
drinking water, bridges, clinics, schools and broadband are points near a hamlet; irrigation
projects are small areas inside their village.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu.core import vocab
from bangfu.demo.codes import checked, code
from bangfu.demo.households import Hamlets
from bangfu.demo.layout import TOWNS
from bangfu.demo.sources import short_name
from bangfu.demo.spatial import point_inside, sample_inside, to_wgs84

__all__ = ["PROJECT_PLAN", "blob", "projects_layer"]

ROAD_HARDENING, IRRIGATION = checked(vocab.PROJECT_TYPE, ("road_hardening", "irrigation"))
APPROVED, CANDIDATE = checked(vocab.PROJECT_STATUS, ("approved", "candidate"))
#: Roads that become hardening projects: not yet hardened or under way, below county level.
_ROAD_STATUSES = checked(vocab.ROAD_STATUS, ("planned", "unhardened"))
_ROAD_CLASSES = checked(vocab.ROAD_CLASS, ("村道", "组道", "乡道"))

#: Point and area projects: type, count, name suffix, cost range (万元).
PROJECT_PLAN = (
    ("drinking_water", 10, "饮水安全工程", (50, 300)),
    ("bridge", 7, "桥梁建设", (80, 500)),
    ("irrigation", 8, "农田水利灌溉工程", (30, 200)),
    ("clinic", 5, "村卫生站建设", (30, 120)),
    ("school", 4, "学校改造", (80, 300)),
    ("broadband", 6, "宽带网络覆盖", (20, 100)),
)


def blob(x: float, y: float, radius: float, rng: np.random.Generator) -> shapely.Polygon:
    """A small irregular polygon (an irrigation area) around (x, y)."""
    ang = np.linspace(0, 2 * np.pi, 25)[:-1]
    r = radius * np.exp(0.25 * np.sin(2 * ang + rng.uniform(0, 6)) + 0.15 * np.sin(3 * ang + rng.uniform(0, 6)))
    return shapely.Polygon(np.c_[x + r * np.cos(ang), y + r * np.sin(ang)])


def projects_layer(
    table: pd.DataFrame,
    villages: pd.DataFrame,
    polys_m: np.ndarray,
    roads: gpd.GeoDataFrame,
    roads_m: np.ndarray,
    hamlets: Hamlets,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """About 60 candidate projects, more in the poorer west: road hardening (lines), points, irrigation areas."""
    names = table["village_name"].map(short_name).to_numpy()
    towns = table["town_name"].to_numpy()
    code_to_row = {c: i for i, c in enumerate(table["village_code"])}
    hilly = np.array([TOWNS[t].hilly for t in table["town_code"]])
    need = (villages["poor_households"].to_numpy(dtype=float) + 2.0) * np.where(hilly, 2.0, 1.0)
    need *= np.where(villages["is_key_village"].to_numpy(dtype=bool), 1.5, 1.0)
    items: list[tuple[int, str, str, float, shapely.Geometry]] = []
    # road hardening: the planned or unhardened village roads, poorer villages first
    cand = roads.index[roads["status"].isin(_ROAD_STATUSES) & roads["road_class"].isin(_ROAD_CLASSES)]
    score = np.array([need[code_to_row[roads.loc[i, "village_code"]]] * rng.uniform(0.5, 1.5) for i in cand])
    for i in [cand[j] for j in np.argsort(-score, kind="stable")[:20]]:
        r = code_to_row[roads.loc[i, "village_code"]]
        km = float(shapely.length(roads_m[i])) / 1000.0
        cost = float(np.clip(km * rng.uniform(55, 90), 40, 400))
        items.append((r, ROAD_HARDENING, "道路硬化", cost, roads_m[i]))
    p = need / need.sum()
    for ptype, count, suffix, (lo, hi) in PROJECT_PLAN:
        ptype = code(vocab.PROJECT_TYPE, ptype)
        for r in rng.choice(len(table), count, replace=False, p=p):
            r = int(r)
            hs = np.flatnonzero(hamlets.village == r)
            j = int(rng.choice(hs))
            poly = polys_m[r]
            if ptype == IRRIGATION:
                geom = None
                for _ in range(20):
                    x, y = sample_inside(poly, 1, rng)[0]
                    area = blob(x, y, rng.uniform(60, 130), rng)
                    if shapely.contains(poly, area):
                        geom = area
                        break
                if geom is None:
                    geom = shapely.intersection(shapely.buffer(shapely.point_on_surface(poly), 60.0), poly)
            else:
                x, y = hamlets.x[j] + rng.normal(0, 120), hamlets.y[j] + rng.normal(0, 120)
                x, y = point_inside(poly, x, y, 30.0)
                geom = shapely.Point(x, y)
            items.append((r, ptype, suffix, float(rng.uniform(lo, hi)), geom))
    # A few small projects are already approved this year (must-in by default), leaving most of a
    # 500 万元 budget free for the portfolio.
    cheap = [k for k, item in enumerate(items) if item[3] < 100.0]
    approved = set(int(i) for i in rng.choice(cheap, min(3, len(cheap)), replace=False))
    order = sorted(range(len(items)), key=lambda k: (table.loc[items[k][0], "village_code"], items[k][1], k))
    rows, geoms = [], []
    seen: dict[str, int] = {}  # project names so far → how many
    for n, k in enumerate(order):
        r, ptype, suffix, cost, geom = items[k]
        name = f"{towns[r]}{names[r]}{suffix}"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name += f"（{'一二三四五六七八九'[seen[name] - 1]}期）"
        rows.append(
            {
                "project_id": f"J{n + 1:03d}",
                "name": name,
                "project_type": ptype,
                "cost_wan": round(cost, 1),
                "village_code": table.loc[r, "village_code"],
                "status": APPROVED if k in approved else CANDIDATE,
            }
        )
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=list(to_wgs84(np.asarray(geoms, dtype=object))), crs="EPSG:4326")

