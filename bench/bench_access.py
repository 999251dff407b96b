"""Benchmark: road access share (RAI, 2 km) for ~100,000 households, warm, against baselines in the same run.

Uses the demo workspace (geodata/kaiping_demo.gpkg) when it exists; otherwise a synthetic stand-in
of the same size (270 villages over ~40 × 42 km, 100,000 clustered households, a village road
network joining every village to its neighbours and town seat). Methods, each producing the same
per-town table (households and poor households within 2 km, now and if the roads under
construction were completed):

* ``zone_warm``   — bangfu: :class:`bangfu.indicators.AccessZone` built once (cached in the page),
                    then prepared point-in-polygon + exact dwithin for the few border points;
* ``zone_cold``   — the same including building the zones (buffer + union);
* ``dwithin_pairs`` — baseline: :func:`bangfu.geo.proximity.points_within` (STR-tree + GEOS dwithin);
* ``sjoin_buffer``  — baseline: geopandas ``sjoin`` of households against buffered roads.

Run: ``PYTHONPATH=src python bench/bench_access.py [--runs 5] [--households 100000]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

from timing import median_time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu import indicators as ind
from bangfu.workspace import store
from bangfu.geo.proximity import points_within
from bangfu.geo.crs import metric_crs

DEMO = Path(__file__).resolve().parents[1] / "geodata" / "kaiping_demo.gpkg"
CRS = "EPSG:32649"
STATUSES = np.array(["completed", "under_construction", "planned", "unhardened"], dtype=object)


def synthetic(n_households: int, seed: int = 7) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(villages, households, roads) in EPSG:4326, Kaiping-sized."""
    rng = np.random.default_rng(seed)
    x0, y0 = 650_000.0, 2_450_000.0  # UTM 49N, near Kaiping
    centres = rng.uniform(0, 1, (270, 2)) * [40_000, 42_000] + [x0, y0]
    towns = np.arange(270) % 15
    vor = shapely.voronoi_polygons(shapely.multipoints(centres), extend_to=shapely.box(x0, y0, x0 + 40_000, y0 + 42_000))
    box = shapely.box(x0, y0, x0 + 40_000, y0 + 42_000)
    cells = [shapely.intersection(g, box) for g in shapely.get_parts(vor)]
    order = [int(np.flatnonzero(shapely.contains_xy(c, centres[:, 0], centres[:, 1]))[0]) for c in cells]
    geoms = [None] * 270
    for cell, i in zip(cells, order):
        geoms[i] = cell
    codes = [f"440783{100 + t:03d}{200 + i:03d}" for i, t in enumerate(towns)]
    villages = gpd.GeoDataFrame(
        {"village_code": codes, "village_name": [f"村{i}" for i in range(270)],
         "town_code": [c[:9] for c in codes], "town_name": [f"镇{t}" for t in towns], "county_code": "440783",
         "county_name": "开平市"},
        geometry=geoms, crs=CRS,
    )
    which = rng.integers(0, 270, n_households)
    xy = centres[which] + rng.normal(0, 900, (n_households, 2))
    households = gpd.GeoDataFrame(
        {"household_id": [f"H{i}" for i in range(n_households)], "village_code": np.array(codes, dtype=object)[which],
         "is_poor": rng.random(n_households) < 0.08},
        geometry=shapely.points(xy), crs=CRS,
    )
    lines = []
    dist = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(dist, np.inf)
    for i, c in enumerate(centres):
        for j in np.argsort(dist[i])[:2]:  # the two nearest villages
            mid = (c + centres[j]) / 2 + rng.normal(0, 300, 2)
            lines.append(shapely.LineString([c, mid, centres[j]]))
        seat = centres[towns == towns[i]][0]
        if not np.allclose(seat, c):
            lines.append(shapely.LineString([c, (c + seat) / 2 + rng.normal(0, 500, 2), seat]))
    status = rng.choice(STATUSES, len(lines), p=[0.55, 0.1, 0.15, 0.2])
    roads = gpd.GeoDataFrame({"road_id": [f"R{i}" for i in range(len(lines))], "status": status},
                             geometry=lines, crs=CRS)
    return villages.to_crs(4326), households.to_crs(4326), roads.to_crs(4326)


def load(n_households: int) -> tuple[str, gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    if DEMO.exists():
        v, h, r = (store.read_layer(DEMO, n) for n in ("villages", "households", "roads"))
        if len(h) >= n_households:
            return f"demo workspace ({len(h):,} households, {len(r):,} roads)", v, h, r
    v, h, r = synthetic(n_households)
    return f"synthetic stand-in ({len(h):,} households, {len(r):,} roads; demo not available)", v, h, r


def _table(hh: ind.HouseholdPoints, near: np.ndarray, near_if: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame({"town_code": hh.town_code, "households_within": near, "households_within_if": near_if,
                       "poor_within": near & hh.is_poor, "poor_within_if": near_if & hh.is_poor})
    return df.groupby("town_code").sum()


def _geoms(roads_m: gpd.GeoDataFrame, status: str) -> np.ndarray:
    return np.asarray(roads_m.geometry[roads_m["status"] == status].values, dtype=object)


timed = median_time


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--distance", type=float, default=2000.0)
    args = ap.parse_args(argv)
    d = args.distance
    what, villages, households, roads = load(args.households)
    crs = metric_crs(villages)
    hh = ind.prepare_households(households, villages, crs=crs)
    roads_m = roads.to_crs(crs)
    zones = ind.access_zones(roads, crs=crs, distance_m=d)

    def zone_warm() -> pd.DataFrame:
        return ind.access_shares(hh, roads, villages, distance_m=d, zones=zones)

    def zone_cold() -> pd.DataFrame:
        return ind.access_shares(hh, roads, villages, distance_m=d)

    def dwithin_pairs() -> pd.DataFrame:
        near = points_within(_geoms(roads_m, "completed"), hh.xy, d)
        near_if = near.copy()
        rest = np.flatnonzero(~near)
        near_if[rest] = points_within(_geoms(roads_m, "under_construction"), hh.xy[rest], d)
        return _table(hh, near, near_if)

    pts = gpd.GeoDataFrame(geometry=shapely.points(hh.xy), crs=crs)

    def sjoin_buffer() -> pd.DataFrame:
        def mask(status: str) -> np.ndarray:
            buf = gpd.GeoDataFrame(geometry=roads_m.geometry[roads_m["status"] == status].buffer(d), crs=crs)
            hit = gpd.sjoin(pts, buf, predicate="intersects", how="inner").index.unique()
            m = np.zeros(len(pts), dtype=bool)
            m[hit] = True
            return m

        near = mask("completed")
        return _table(hh, near, near | mask("under_construction"))

    print(f"data: {what}; distance {d:g} m; median of {args.runs} runs")
    results = {}
    for name, fn in [("zone_warm", zone_warm), ("zone_cold", zone_cold), ("dwithin_pairs", dwithin_pairs),
                     ("sjoin_buffer", sjoin_buffer)]:
        fn()  # warm-up (imports, first-call costs)
        t, out = timed(fn, args.runs)
        results[name] = (t, out)
        print(f"{name:14s} {t * 1000:9.1f} ms")
    ours = results["zone_warm"][1].set_index("town_code").drop(index="")
    exact = results["dwithin_pairs"][1]
    cols = ["households_within", "households_within_if", "poor_within", "poor_within_if"]
    same = (ours[cols].loc[exact.index] == exact[cols]).all().all()
    print(f"zone result identical to the exact dwithin baseline: {same}")
    diff = int((results["sjoin_buffer"][1][cols] - exact[cols]).abs().to_numpy().sum())
    print(f"sjoin_buffer differs from exact by {diff} household counts (buffer segmentation)")
    county = results["zone_warm"][1].set_index("town_code").loc[""]
    print(f"county access share {county['share_pct']:.1f}% (poor {county['poor_share_pct']:.1f}%), "
          f"if built {county['share_if_pct']:.1f}%")
    print(f"speed-up warm vs dwithin_pairs: {results['dwithin_pairs'][0] / results['zone_warm'][0]:.1f}x, "
          f"vs sjoin_buffer: {results['sjoin_buffer'][0] / results['zone_warm'][0]:.1f}x")


if __name__ == "__main__":
    main()
