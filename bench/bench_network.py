"""Road-network benchmarks (issue 16), each against networkx in the same run.

(a) Kaiping demo (1,205 roads, 270 villages, 100,000 households): building the network (cold), the
    households' walking legs (once per session), then every network indicator warm — 通硬化路 and
    distances per village, town/county summaries, access along roads, missing links — versus the same
    distances with networkx (one multi-source Dijkstra per town seat, and one for the access share).
(b) Catchments along roads versus straight line: the households and projects of
    ``bench_planning.instance_a`` (clustered households, 90 % point projects, 10 % winding road lines;
    per-type distances) on a generated road network (a jittered grid with 1.5 km spacing over the
    120 km square), at ``--households`` × ``--projects``; straight line = ``bangfu.geo.proximity.pairs_within``.
    Along roads cold (a fresh copy of the network: its segment index built in the timing) and with the segment
    index kept, the parts, the former code (``frozen_network.py``) and the network build, each in wall and CPU
    seconds; same pairs as the former code and as networkx on 20 projects.

Run: ``PYTHONPATH=src python bench/bench_network.py [--part a|b|all] [--runs 3] [--households N] [--projects N]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import median_time

from bangfu.core.resources import DEMO_PATH
from bangfu.geo import network as gn
from bangfu.geo.proximity import pairs_within
from bangfu.indicators import network as ni
from bangfu.indicators.roads import AccessZone, prepare_households

T = TypeVar("T")


def part_a(runs: int) -> None:
    roads = gpd.read_file(DEMO_PATH, layer="roads")
    villages = gpd.read_file(DEMO_PATH, layer="villages")
    households = gpd.read_file(DEMO_PATH, layer="households")
    t0 = time.perf_counter()
    data = ni.network_data(roads, villages)
    cold = time.perf_counter() - t0
    net = data.net
    hh = prepare_households(households, villages, crs=net.crs)
    zone = AccessZone.build(net.geometry[net.hardened], 2000.0)
    t_att, att = median_time(lambda: gn.attach(net, hh.xy), runs)

    def indicators():
        conn = ni.village_connection(data, villages)
        ni.connection_summary(conn, level="town")
        ni.connection_summary(conn, level="county")
        acc = ni.network_access(data, hh, villages, zone=zone, att=att)
        links = ni.missing_links(data, conn)
        return conn, acc, links

    t_warm, (conn, acc, links) = median_time(indicators, runs)
    print(f"(a) network: {net.n_nodes:,} nodes, {net.n_edges:,} edges, {len(data.issues):,} issues; build (cold) {cold:.2f} s")
    print(f"    walking legs of {len(hh.xy):,} households (once per session): {t_att:.2f} s (median of {runs})")
    print(f"    all indicators warm: {t_warm:.3f} s (median of {runs}); connected {int(conn['connected'].sum())} of "
          f"{len(conn)}; along {acc['along_pct'].iloc[-1]:.2f} % vs straight {acc['straight_pct'].iloc[-1]:.2f} %; "
          f"{int((links['villages'] > 0).sum())} links with a gain")

    # networkx: seat-to-town-seat over hardened roads (one multi-source search per town) + access share
    def with_networkx():
        g = nx.Graph()
        for e in np.flatnonzero(net.hardened):
            u, v, w = int(net.u[e]), int(net.v[e]), float(net.length_m[e])
            if not g.has_edge(u, v) or g[u][v]["weight"] > w:
                g.add_edge(u, v, weight=w)
        vx = data.village_seats[["x", "y"]].to_numpy()
        tx = data.town_seats[["x", "y"]].to_numpy()
        va = gn.anchors_near(net, vx, ni.WALK_MAX_M, edges=net.hardened)
        ta = gn.anchors_near(net, tx, ni.WALK_MAX_M, edges=net.hardened)
        town_of = {c: i for i, c in enumerate(data.town_seats["town_code"])}
        out = np.full(len(vx), np.inf)
        for t in range(len(tx)):
            h = g.copy()
            for k in np.flatnonzero(ta.owner == t):
                e = int(ta.edge[k])
                for node, w in ((int(net.u[e]), ta.offset_m[k] + ta.pos_m[k]),
                                (int(net.v[e]), ta.offset_m[k] + net.length_m[e] - ta.pos_m[k])):
                    if not h.has_edge("src", node) or h["src"][node]["weight"] > w:
                        h.add_edge("src", node, weight=float(w))
            if "src" not in h:
                continue
            dist = nx.single_source_dijkstra_path_length(h, "src")
            for k in range(len(va.owner)):
                v = int(va.owner[k])
                if town_of.get(data.village_seats["town_code"].iloc[v]) != t:
                    continue
                e = int(va.edge[k])
                best = min(va.pos_m[k] + dist.get(int(net.u[e]), np.inf),
                           net.length_m[e] - va.pos_m[k] + dist.get(int(net.v[e]), np.inf))
                for j in np.flatnonzero((ta.owner == t) & (ta.edge == e)):  # same edge as the town seat
                    best = min(best, ta.offset_m[j] + abs(va.pos_m[k] - ta.pos_m[j]))
                out[v] = min(out[v], va.offset_m[k] + best)
        src = set(net.u[net.hardened].tolist()) | set(net.v[net.hardened].tolist())
        ga = nx.Graph()
        for e in range(net.n_edges):
            ga.add_edge(int(net.u[e]), int(net.v[e]), weight=float(net.length_m[e]))
        near = nx.multi_source_dijkstra_path_length(ga, src, cutoff=2000.0)
        return out, near

    t_nx, (nx_d, _) = median_time(with_networkx, runs)
    ours = conn.set_index("village_code").loc[data.village_seats["village_code"], "hardened_km"].to_numpy() * 1000
    same = np.allclose(np.where(np.isfinite(ours), ours, -1), np.where(np.isfinite(nx_d), nx_d, -1), atol=1e-6)
    print(f"(a) networkx, seat distances (one search per town) + access search only: {t_nx:.2f} s (median of {runs}); "
          f"same distances: {same}")


def grid_network(extent: float, spacing: float, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """A jittered grid of roads (each cell side one road with a bend), 30 % hardened."""
    n = int(extent // spacing) + 1
    xs = np.arange(n) * spacing
    pts = np.stack(np.meshgrid(xs, xs), axis=-1) + rng.normal(0, spacing * 0.1, (n, n, 2))
    lines = []
    for i in range(n):
        for j in range(n):
            for di, dj in ((0, 1), (1, 0)):
                if i + di < n and j + dj < n:
                    a, b = pts[i, j], pts[i + di, j + dj]
                    mid = (a + b) / 2 + rng.normal(0, spacing * 0.08, 2)
                    lines.append(shapely.LineString([a, mid, b]))
    status = np.where(rng.random(len(lines)) < 0.3, "completed", "unhardened")
    return gpd.GeoDataFrame({"road_id": [f"G{k}" for k in range(len(lines))], "status": status, "road_class": "村道"},
                            geometry=lines, crs="EPSG:32649")


def timed(fn: Callable[[], T], runs: int) -> tuple[float, float, T]:
    """(median wall-clock seconds, median process CPU seconds, the last result) over ``runs`` calls."""
    wall, cpu = [], []
    out: T
    for _ in range(max(1, runs)):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu), out


def part_b(runs: int, n_households: int, n_projects: int) -> None:
    import bench_planning as bp
    import frozen_network as frozen

    rng = np.random.default_rng(1)
    extent = 120_000.0
    hh = bp.clustered_points(rng, n_households, extent=extent, clusters=max(4, n_households // 250))
    kinds = np.array(list(bp.project_types.PROJECT_TYPE_TABLE))
    near = hh[rng.integers(0, len(hh), n_projects)] + rng.normal(0, 300, (n_projects, 2))
    ptype = np.where(np.arange(n_projects) < n_projects // 10, "road_hardening", rng.choice(kinds[1:], n_projects))
    geoms = np.array([bp.road(rng, near[i]) if ptype[i] == "road_hardening" else shapely.Point(near[i])
                      for i in range(n_projects)], dtype=object)
    dist = pd.Series(ptype).map(bp.project_types.default_distances()).to_numpy(dtype="float64")
    roads = grid_network(extent, 1500.0, rng)
    build_w, build_c, net = timed(lambda: gn.build_network(roads, crs="EPSG:32649"), 1)
    print(f"(b) {n_households:,} households × {n_projects:,} projects; network {net.n_nodes:,} nodes / {net.n_edges:,} "
          f"edges, built once per workspace version (cached for all users) in {build_w:.2f} s wall, {build_c:.2f} s CPU: "
          f"not in the rows below except the last")
    rows: list[tuple[str, float, float]] = []

    def row(label: str, wall: float, cpu: float) -> None:
        rows.append((label, wall, cpu))
        base_w, base_c = rows[0][1], rows[0][2]
        print(f"    {label:<62} {wall:6.2f} s wall ({wall / base_w:4.1f}×)  {cpu:6.2f} s CPU ({cpu / base_c:4.1f}×)",
              flush=True)

    # straight line: pairs_within keeps nothing between calls (its row index is built inside every call)
    w, c, pairs = timed(lambda: pairs_within(geoms, hh, dist, sort_points=False), runs)
    row(f"straight line, pairs_within ({len(pairs.point):,} pairs)", w, c)

    def along(network: gn.RoadNetwork) -> tuple[np.ndarray, np.ndarray]:
        att = gn.attach(network, hh)
        return gn.catchment_pairs(network, gn.anchors_for(network, geoms), dist, att)

    # cold: a fresh copy of the network each run, so its segments and their k-d tree are built inside the timing
    w, c, (s, p) = timed(lambda: along(replace(net)), runs)
    row(f"along roads, cold: segment index + legs + anchors + searches ({len(s):,} pairs)", w, c)
    along(net)
    w, c, _ = timed(lambda: along(net), runs)
    row("along roads, the network's segment index kept (as the app's cache)", w, c)
    w, c, att = timed(lambda: gn.attach(net, hh), runs)
    row("  of which walking legs of the households", w, c)
    w, c, anchors = timed(lambda: gn.anchors_for(net, geoms), runs)
    row("  of which anchors of the projects", w, c)
    w, c, _ = timed(lambda: gn.catchment_pairs(net, anchors, dist, att), runs)
    row("  of which searches + pairs (walking legs kept, as a session does)", w, c)
    # the former code (bench/frozen_network.py, main before this round) on the same network and anchors
    w, c, (fs, fp) = timed(lambda: frozen.catchment_pairs(net, anchors, dist, frozen.attach(net, hh)), runs)
    row("former code: walking legs + searches (frozen copy of main)", w, c)
    w, c, _ = timed(lambda: frozen.catchment_pairs(net, anchors, dist, att), runs)
    row("former code: searches + pairs only", w, c)
    row("along roads, cold, plus building the network itself", rows[1][1] + build_w, rows[1][2] + build_c)
    print(f"    same pairs as the former code: {np.array_equal(fs, s) and np.array_equal(fp, p)}")
    # networkx oracle on a sample of projects: same pairs
    sample = np.arange(0, n_projects, max(1, n_projects // 20))
    g = nx.Graph()
    for e in range(net.n_edges):
        u, v, wt = int(net.u[e]), int(net.v[e]), float(net.length_m[e])
        if not g.has_edge(u, v) or g[u][v]["weight"] > wt:
            g.add_edge(u, v, weight=wt)
    t0 = time.perf_counter()
    ok = True
    for q in sample:
        h = g.copy()
        for k in np.flatnonzero(anchors.owner == q):
            e = int(anchors.edge[k])
            for node, wt in ((int(net.u[e]), anchors.offset_m[k] + anchors.pos_m[k]),
                             (int(net.v[e]), anchors.offset_m[k] + net.length_m[e] - anchors.pos_m[k])):
                if not h.has_edge("src", node) or h["src"][node]["weight"] > wt:
                    h.add_edge("src", node, weight=float(wt))
        d = nx.single_source_dijkstra_path_length(h, "src", cutoff=float(dist[q]))
        node_d = np.full(net.n_nodes, np.inf)
        for node, val in d.items():
            if node != "src":
                node_d[node] = val
        mine = anchors.owner == q
        one = gn.Anchors(np.zeros(int(mine.sum()), np.int64), anchors.edge[mine], anchors.pos_m[mine], anchors.offset_m[mine])
        want = np.flatnonzero(gn.point_distances(net, node_d, att, one) <= dist[q])
        ok &= set(p[s == q].tolist()) == set(want.tolist())
    print(f"    networkx check on {len(sample)} projects (one search each, {time.perf_counter() - t0:.1f} s): "
          f"same pairs as the full run: {ok}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--part", choices=("a", "b", "all"), default="all")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--projects", type=int, default=10_000)
    args = ap.parse_args()
    if args.part in ("a", "all"):
        part_a(args.runs)
    if args.part in ("b", "all"):
        part_b(args.runs, args.households, args.projects)
    import os

    print(f"load average at end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; process CPU {time.process_time():.1f} s")


if __name__ == "__main__":
    main()
