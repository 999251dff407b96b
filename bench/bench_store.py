"""Issue 17: the same workspace on GeoPackage and on PostGIS, same run — page load (the layers a page reads, and
per-area reads of the personal layer) and edit throughput (road edits through bangfu.editing.engine).

    PYTHONPATH=src python bench/bench_store.py [--pg URL] [--province /work/data_prov/province.gpkg | --no-province]
                                               [--runs 3] [--edits 200]

Each workspace (the shipped Kaiping demo; the synthetic province, 16,727 villages and 3,000,000 households, copied
first and never changed) is copied once into a temporary GeoPackage and once into a fresh schema of a PostGIS
database with ``bangfu.workspace.transfer.copy_workspace`` (the same code as ``python -m bangfu copy``). Then, on
each store, the median of ``--runs`` runs of:

* open: ``store.open_workspace`` + ``store.workspace_version`` (what every page run does first);
* page layers: ``store.read_layer`` of the public layers a map page reads whole (villages, roads, tourism sites,
  enterprises, pairings, projects);
* households of a county / a town: ``store.read_candidates`` by the area's bounds and code prefix (how a page
  reads the personal layer of an area, bangfu.ui.cache.area_candidates);
* households, whole layer (what an aggregate over the whole workspace reads);
* edits/s: ``--edits`` road edits one after another (``bangfu.editing.roads.edit_road``: one transaction that
  checks the row's version, writes it, its history and the audit row), to random roads not yet hardened, with the
  version the page had from the layer it showed.

Without ``--pg`` a private PostgreSQL cluster is started for the run (tests/pgcluster.py) and removed after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # pgcluster: the private cluster of the test fixtures

from bangfu.core.resources import DEMO_PATH
from bangfu.editing import roads as road_edits
from bangfu.workspace import pgconnect, store, transfer
from bangfu.workspace.access import Principal

PAGE_LAYERS = ("villages", "roads", "tourism_sites", "enterprises", "pairings", "projects")
EDITOR = Principal("bench", "admin", display_name="基准测试", source="cli")


def timed(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _areas(ws: Path | str) -> tuple[tuple[str, tuple[float, ...]], tuple[str, tuple[float, ...]]]:
    """(code, bounds) of the county and the town with the most villages."""
    villages = store.read_layer(ws, "villages")
    county = villages["county_code"].value_counts().index[0]
    in_county = villages[villages["county_code"] == county]
    town = in_county["town_code"].value_counts().index[0]
    in_town = in_county[in_county["town_code"] == town]
    return ((str(county), tuple(float(b) for b in in_county.total_bounds)),
            (str(town), tuple(float(b) for b in in_town.total_bounds)))


def _edits(ws: Path | str, n: int, seed: int = 0) -> float:
    """Road edits per second over ``n`` sequential edits."""
    roads = store.read_layer(ws, "roads")
    open_roads = roads[roads["status"].isin(["planned", "unhardened", "under_construction"])
                       & roads["completed_year"].isna()]  # an edit to 在建 is valid for these
    ids = open_roads["road_id"].astype(str).to_numpy()
    versions = dict(zip(ids, open_roads["version"].astype(int)))  # as the page has them from the layer it shows
    rng = np.random.default_rng(seed)
    picks = rng.choice(ids, size=n)
    t0 = time.perf_counter()
    for i, road_id in enumerate(picks):
        changes = {"status": "under_construction", "progress_pct": float(10 + (i % 80))}
        versions[road_id] = road_edits.edit_road(ws, str(road_id), changes, expected_version=versions[road_id],
                                                 user=EDITOR)
    return n / (time.perf_counter() - t0)


def measure(ws: Path | str, runs: int, edits: int, areas: tuple) -> dict[str, float]:
    (county, county_box), (town, town_box) = areas
    out: dict[str, float] = {}
    out["open"], _ = timed(lambda: (store.open_workspace(ws), store.workspace_version(ws)), runs)
    out["page layers"], _ = timed(lambda: [store.read_layer(ws, n) for n in PAGE_LAYERS], runs)
    out["households of a county"], rows = timed(
        lambda: store.read_candidates(ws, "households", bbox=county_box, code_prefix=county), runs)
    out["county rows"] = float(len(rows))  # type: ignore[arg-type]
    out["households of a town"], rows = timed(
        lambda: store.read_candidates(ws, "households", bbox=town_box, code_prefix=town), runs)
    out["town rows"] = float(len(rows))  # type: ignore[arg-type]
    out["households, whole layer"], rows = timed(lambda: store.read_layer(ws, "households"), max(1, runs - 1))
    out["household rows"] = float(len(rows))  # type: ignore[arg-type]
    out["edits/s"] = _edits(ws, edits)
    return out


def _fmt(key: str, v: float) -> str:
    if key == "edits/s":
        return f"{v:.0f}"
    return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"


def bench(name: str, source: Path, server: str, tmp: Path, runs: int, edits: int) -> None:
    gpkg = tmp / f"{name}.gpkg"
    t0 = time.perf_counter()
    shutil.copyfile(source, gpkg)
    copy_file = time.perf_counter() - t0
    pg = pgconnect.parse(server).with_schema(f"bench_{name}_{uuid.uuid4().hex[:6]}")
    url = pg.url(pg.url_password)
    t0 = time.perf_counter()
    counts = transfer.copy_workspace(gpkg, url)
    copy_pg = time.perf_counter() - t0
    print(f"\n## {name}: {counts.get('villages', 0):,} villages, {counts.get('households', 0):,} households, "
          f"{counts.get('roads', 0):,} roads  (file copy {copy_file:.1f} s; copy into PostGIS {copy_pg:.1f} s)")
    areas = _areas(gpkg)
    print(f"county {areas[0][0]}, town {areas[1][0]}; load before: {os.getloadavg()[0]:.1f}")
    try:
        results = {"GeoPackage": measure(gpkg, runs, edits, areas), "PostGIS": measure(url, runs, edits, areas)}
    finally:
        with pgconnect.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(pg.schema)))
    print(f"load after: {os.getloadavg()[0]:.1f}")
    keys = [k for k in results["GeoPackage"] if not k.endswith("rows")]
    print("\n| | GeoPackage | PostGIS |\n|---|---|---|")
    for k in keys:
        rows = {"households of a county": "county rows", "households of a town": "town rows",
                "households, whole layer": "household rows"}.get(k)
        label = f"{k} ({results['GeoPackage'][rows]:,.0f} rows)" if rows else k
        print(f"| {label} | {_fmt(k, results['GeoPackage'][k])} | {_fmt(k, results['PostGIS'][k])} |")
    for k in ("county rows", "town rows", "household rows"):
        assert results["GeoPackage"][k] == results["PostGIS"][k], f"{k} differ between the stores"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default=os.environ.get("BANGFU_BENCH_PG"), help="PostgreSQL server URL (PostGIS installed)")
    ap.add_argument("--province", type=Path, default=Path("/work/data_prov/province.gpkg"))
    ap.add_argument("--no-province", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--edits", type=int, default=200)
    args = ap.parse_args()
    cluster = None
    if not args.pg:
        from pgcluster import PrivateCluster

        cluster = PrivateCluster().start()
        args.pg = cluster.url
    print(f"machine: {os.cpu_count()} cores, load {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"server {pgconnect.parse(args.pg).display()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        bench("demo", DEMO_PATH, args.pg, tmp, args.runs, args.edits)
        if not args.no_province and args.province.exists():
            bench("province", args.province, args.pg, tmp, args.runs, args.edits)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
