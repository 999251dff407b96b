"""Planning benchmarks (issue 4), each against a baseline in the same run.

(a) standalone counts + greedy portfolio, 1,000,000 clustered households × 10,000 projects
    (90 % points, 10 % road lines), versus geopandas ``sjoin`` (buffers) + ``groupby`` for the
    counts alone;
(b) exact budgeted maximum coverage (HiGHS, merged households) versus ``spopt.locate.MCLP`` with
    CBC on 20,000 households × 500 candidates, p = 40, unit costs.

Run: ``PYTHONPATH=src python bench/bench_planning.py [--part a|b|all] [--runs 3]``
(needs ``pip install -r bench/requirements.txt`` for part b).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bangfu.geo import proximity
from bangfu.planning import coverage, project_types, solvers as planning
from instances import clustered_points, road  # the same generators as the province-scale instances

CRS = "EPSG:32649"


def instance_a(seed: int = 1):
    rng = np.random.default_rng(seed)
    extent = 120_000.0
    hh = clustered_points(rng, 1_000_000, extent=extent, clusters=4000)
    n_proj = 10_000
    kinds = np.array(list(project_types.PROJECT_TYPE_TABLE))
    near = hh[rng.integers(0, len(hh), n_proj)] + rng.normal(0, 300, (n_proj, 2))
    ptype = np.where(np.arange(n_proj) < n_proj // 10, "road_hardening", rng.choice(kinds[1:], n_proj))
    geoms = np.array([road(rng, near[i]) if ptype[i] == "road_hardening" else shapely.Point(near[i]) for i in range(n_proj)], dtype=object)
    dist = pd.Series(ptype).map(project_types.default_distances()).to_numpy(dtype="float64")
    units = {
        "households": np.ones(len(hh)),
        "poor_households": (rng.random(len(hh)) < 0.04).astype(float),
        "old_households": (rng.random(len(hh)) < 0.1).astype(float),
        "key_households": (rng.random(len(hh)) < 0.05).astype(float),
    }
    units["poor_people"] = units["poor_households"] * 3
    projects = pd.DataFrame({
        "project_id": [f"P{i}" for i in range(n_proj)], "name": "", "project_type": ptype,
        "town_code": (np.arange(n_proj) % 16).astype(str), "cost_wan": rng.uniform(20, 400, n_proj).round(1),
    })
    return hh, geoms, dist, units, projects


def ours_a(hh, geoms, dist, units, projects, budget: float) -> tuple[float, planning.Portfolio, pd.DataFrame]:
    t0 = time.perf_counter()
    pairs = proximity.pairs_within(geoms, hh, dist, sort_points=False)
    matrix = coverage._csr(pairs.feature, pairs.point, (len(geoms), len(hh)))
    cov = planning.Coverage(matrix, units, projects)
    counts = planning.standalone_counts(cov)
    port = planning.greedy(cov, {"poor": 3, "old": 2, "key": 1, "all": 1}, planning.Constraints(budget=budget))
    return time.perf_counter() - t0, port, counts


def baseline_a(hh, geoms, dist) -> tuple[float, pd.Series]:
    import geopandas as gpd

    t0 = time.perf_counter()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(hh[:, 0], hh[:, 1]), crs=CRS)
    buf = gpd.GeoDataFrame({"project": np.arange(len(geoms))}, geometry=shapely.buffer(geoms, dist), crs=CRS)
    joined = gpd.sjoin(pts, buf, predicate="intersects")
    counts = joined.groupby("project").size().reindex(np.arange(len(geoms)), fill_value=0)
    return time.perf_counter() - t0, counts


def part_a(runs: int, baseline_runs: int) -> None:
    hh, geoms, dist, units, projects = instance_a()
    budget = 20_000.0
    times = []
    for _ in range(runs):
        sec, port, counts = ours_a(hh, geoms, dist, units, projects, budget)
        times.append(sec)
    print(f"(a) ours: counts + greedy, median of {runs}: {statistics.median(times):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"    pairs {int(counts['households'].sum()):,}, greedy chose {len(port.chosen)} projects, cost {port.cost:,.0f}, "
          f"households {port.totals['households']:,.0f}")
    base = []
    for _ in range(baseline_runs):
        sec, bcounts = baseline_a(hh, geoms, dist)
        base.append(sec)
    diff = int(np.abs(bcounts.to_numpy() - counts["households"].to_numpy()).sum())
    print(f"(a) baseline geopandas sjoin(buffers) + groupby, counts only, median of {baseline_runs}: {statistics.median(base):.2f} s")
    print(f"    speed-up {statistics.median(base) / statistics.median(times):.1f}x; count difference (buffer segmentation at edges): {diff:,} of {int(bcounts.sum()):,}")


def instance_b(seed: int = 2):
    rng = np.random.default_rng(seed)
    extent = 30_000.0
    hh = clustered_points(rng, 20_000, extent=extent, clusters=120)
    cand = hh[rng.integers(0, len(hh), 500)] + rng.normal(0, 200, (500, 2))
    return hh, cand, 1500.0


def part_b(runs: int) -> None:
    import pulp
    from spopt.locate import MCLP

    hh, cand, radius = instance_b()
    p = 40
    ours, ours_obj = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        pairs = proximity.pairs_within(shapely.points(cand), hh, radius, sort_points=False)
        matrix = coverage._csr(pairs.feature, pairs.point, (len(cand), len(hh)))
        units = {m: np.ones(len(hh)) for m in planning.MEASURES}
        cov = planning.Coverage(matrix, units, pd.DataFrame({"project_id": [f"C{i}" for i in range(len(cand))], "cost_wan": 1.0}))
        res = planning.solve_exact(cov, {"all": 1}, planning.Constraints(budget=p), time_limit=600)
        ours.append(time.perf_counter() - t0)
        ours_obj = res.objective
    print(f"(b) ours: HiGHS exact after merging, median of {runs}: {statistics.median(ours):.2f} s; objective {ours_obj:,.0f}; "
          f"status {res.status}; {int(res.extra['groups']):,} merged groups, {int(res.extra['ip_groups']):,} in the IP")
    base, base_obj = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        cost = np.hypot(hh[:, None, 0] - cand[None, :, 0], hh[:, None, 1] - cand[None, :, 1])
        model = MCLP.from_cost_matrix(cost, np.ones(len(hh)), service_radius=radius, p_facilities=p, name="bench")
        model = model.solve(pulp.PULP_CBC_CMD(msg=False))
        base.append(time.perf_counter() - t0)
        base_obj = float(pulp.value(model.problem.objective))
    print(f"(b) baseline spopt MCLP + CBC, median of {runs}: {statistics.median(base):.2f} s; objective {base_obj:,.0f}")
    print(f"    same objective: {abs(base_obj - ours_obj) < 1e-6}; speed-up {statistics.median(base) / statistics.median(ours):.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--part", choices=("a", "b", "all"), default="all")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-runs", type=int, default=1)
    args = ap.parse_args()
    if args.part in ("a", "all"):
        part_a(args.runs, args.baseline_runs)
    if args.part in ("b", "all"):
        part_b(args.runs)


if __name__ == "__main__":
    main()
