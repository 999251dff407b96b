"""Catchment counts + greedy at province scale (issue 15 item 5), every path against its baselines in one run.

Instances (bench/instances.py, deterministic): ``dense`` (a county: 3M households in a 120 km square)
and ``sparse`` (a province: 3M households in 16,727 villages over ≈ 150,000 km²), each with 5,200
candidates (10 % road lines, 600 irrigation polygons, points). Per instance, in the same process:

* ``ours``: :func:`bangfu.geo.proximity.pairs_within` → CSR → standalone counts → greedy portfolio;
* ``main``: the same with the frozen copy of today's pair search (bench/frozen_proximity.py);
* ``sjoin``: geopandas ``sjoin`` (points against buffers, ``intersects``) + ``groupby`` — counts only;
* ``dask``: :func:`bangfu.planning.distributed.catchment_counts` on a LocalCluster (2 worker processes),
  partitioned by 50 km "counties".

Wall-clock and CPU seconds of this process are printed (the machine is shared: under load the CPU
time is the steadier figure; the dask row's work happens in the worker processes).

Run: ``PYTHONPATH=src python bench/bench_catchment.py --households 3000000 --runs 2``
(``--sizes 10000000`` for the 10M end-to-end row; ``--what ours`` to skip baselines).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import frozen_proximity  # noqa: E402
import instances  # noqa: E402
from bangfu.geo import proximity  # noqa: E402
from bangfu.planning import coverage, solvers as planning  # noqa: E402

CRS = "EPSG:32649"
WEIGHTS = {"poor": 3, "old": 2, "key": 1, "all": 1}


def counts_greedy(pair_fn, hh, geoms, dist, units, projects, budget):
    t0, c0 = time.perf_counter(), time.process_time()
    pairs = pair_fn(geoms, hh, dist, sort_points=False)
    t1 = time.perf_counter()
    matrix = coverage._csr(pairs.feature, pairs.point, (len(geoms), len(hh)))
    cov = planning.Coverage(matrix, units, projects)
    counts = planning.standalone_counts(cov)
    port = planning.greedy(cov, WEIGHTS, planning.Constraints(budget=budget))
    t2 = time.perf_counter()
    return ({"total": t2 - t0, "pairs": t1 - t0, "rest": t2 - t1, "cpu": time.process_time() - c0},
            counts["households"].to_numpy(), port)


def sjoin_counts(hh, geoms, dist):
    import geopandas as gpd

    t0, c0 = time.perf_counter(), time.process_time()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(hh[:, 0], hh[:, 1]), crs=CRS)
    t1, c1 = time.perf_counter(), time.process_time()
    buf = gpd.GeoDataFrame({"project": np.arange(len(geoms))}, geometry=shapely.buffer(geoms, dist), crs=CRS)
    joined = gpd.sjoin(pts, buf, predicate="intersects")
    counts = joined.groupby("project").size().reindex(np.arange(len(geoms)), fill_value=0)
    return ({"total": time.perf_counter() - t0, "cpu": time.process_time() - c0,
             "join": time.perf_counter() - t1, "join_cpu": time.process_time() - c1}, counts.to_numpy())


def by_kind(pair_fn, hh, geoms, dist):
    out = {}
    kind = shapely.get_type_id(geoms)
    for name, sel in (("points", kind == 0), ("lines", np.isin(kind, (1, 5))), ("polygons", np.isin(kind, (3, 6)))):
        t0 = time.perf_counter()
        pair_fn(geoms[sel], hh, dist[sel], sort_points=False)
        out[name] = time.perf_counter() - t0
    return out


def runs_of(rows):
    return ", ".join(f"{r['total']:.2f}" for r in rows)


def med(rows, key="total"):
    return statistics.median(r[key] for r in rows)


def run_instance(name, make, n, runs, what) -> dict:
    """Run the paths of ``what`` on instance ``name`` (``make(n)``), print a line per path and return the figures:
    ``{"households", "candidates", "generated", "paths": {label: {"seconds", "cpu", ...}}, "differ": {label: pairs
    differing from ours}, "pairs": pairs of ours}`` (seconds are medians over ``runs``)."""
    t0 = time.perf_counter()
    hh, geoms, dist, units, projects = make(n)
    print(f"\n== {name}: {len(hh):,} households × {len(geoms):,} candidates "
          f"({int((shapely.get_type_id(geoms) == 1).sum())} lines, {int((shapely.get_type_id(geoms) == 3).sum())} polygons); "
          f"generated in {time.perf_counter() - t0:.1f} s")
    budget = 20_000.0
    res = {}
    out: dict = {"households": len(hh), "candidates": len(geoms), "generated": time.perf_counter() - t0, "paths": {},
                 "differ": {}}
    paths = {"ours": proximity.pairs_within, "main": frozen_proximity.pairs_within}
    for label, fn in paths.items():
        if label not in what:
            continue
        rows = []
        for _ in range(runs):
            sec, counts, port = counts_greedy(fn, hh, geoms, dist, units, projects, budget)
            rows.append(sec)
        res[label] = counts
        out["paths"][label] = {"seconds": med(rows), "cpu": med(rows, "cpu"), "pairs_s": med(rows, "pairs"),
                               "greedy_households": float(port.totals["households"])}
        kinds = by_kind(fn, hh, geoms, dist) if "kinds" in what else {}
        print(f"{label:6s} counts+greedy {med(rows):6.2f} s, CPU {med(rows, 'cpu'):.2f} s (runs {runs_of(rows)}; "
              f"pairs {med(rows, 'pairs'):.2f} s, table+counts+greedy {med(rows, 'rest'):.2f} s)  "
              f"pairs {int(counts.sum()):,}; greedy {len(port.chosen)} projects, {port.totals['households']:,.0f} households"
              + ("; by kind " + ", ".join(f"{k} {v:.2f} s" for k, v in kinds.items()) if kinds else ""))
    if "sjoin" in what:
        rows = []
        for _ in range(runs):
            sec, counts = sjoin_counts(hh, geoms, dist)
            rows.append(sec)
        res["sjoin"] = counts
        out["paths"]["sjoin"] = {"seconds": med(rows), "cpu": med(rows, "cpu"), "join_s": med(rows, "join")}
        print(f"sjoin  counts only    {med(rows):6.2f} s, CPU {med(rows, 'cpu'):.2f} s (runs {runs_of(rows)}); "
              f"without making the point geometries {med(rows, 'join'):.2f} s, CPU {med(rows, 'join_cpu'):.2f} s")
    if "dask" in what:
        from bangfu.planning import distributed as dist_mod

        rows = []
        county = (hh[:, 0] // 50_000).astype(np.int64) * 100 + (hh[:, 1] // 50_000).astype(np.int64)
        with dist_mod.local_client(n_workers=2) as client:
            for _ in range(runs):
                t = time.perf_counter()
                counts = dist_mod.catchment_counts(geoms, hh, dist, client=client, partition=county)
                rows.append({"total": time.perf_counter() - t})
        res["dask"] = counts
        out["paths"]["dask"] = {"seconds": med(rows)}
        print(f"dask   counts only    {med(rows):6.2f} s (LocalCluster, 2 workers; runs {runs_of(rows)})")
    if "ours" in res:
        out["pairs"] = int(res["ours"].sum())
        for k, v in res.items():
            if k != "ours":
                out["differ"][k] = int(np.abs(np.asarray(v) - res["ours"]).sum())
                print(f"   {k} vs ours: {int(np.abs(np.asarray(v) - res['ours']).sum()):,} pairs differ of {int(res['ours'].sum()):,}"
                      + (" (buffer segmentation at the edges)" if k == "sjoin" else ""))
    return out


#: The two instances of issue 15 item 5: a dense county and a sparse province, 5,200 candidates each.
MAKERS = {"dense": lambda n: instances.dense(n, 5_200, polygons=600), "sparse": lambda n: instances.sparse(n)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--households", type=int, default=3_000_000)
    ap.add_argument("--instances", default="dense,sparse")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--what", default="ours,main,sjoin,kinds,dask")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.1f}; command: {' '.join(sys.argv)}")
    for name in args.instances.split(","):
        run_instance(name, MAKERS[name], args.households, args.runs, set(args.what.split(",")))
    print(f"\nload average at end {os.getloadavg()[0]:.1f}; process CPU {time.process_time():.1f} s")


if __name__ == "__main__":
    main()
