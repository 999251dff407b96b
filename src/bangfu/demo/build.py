"""Build the Kaiping (开平市, 440783) demo workspace deterministically from the sources in geodata/sources.

Run ``python -m bangfu.demo build [--out PATH] [--seed N]``; the same seed gives the same file.
``--region liaoning --out PATH`` builds a synthetic province instead (:mod:`bangfu.demo.province`).

Real inputs (:mod:`bangfu.demo.sources`): the county boundary and the 270 village-level units
with their 12-digit codes; the planning-document facts (:mod:`bangfu.demo.facts`) are reproduced
exactly. Everything else is synthetic but plausible, one module per thing it builds:

* :mod:`~bangfu.demo.villages` — the village tessellation of the real boundary and the villages layer;
* :mod:`~bangfu.demo.households` — about 100,000 household points clustered in hamlets;
* :mod:`~bangfu.demo.roads` — a road network reaching every village from its town seat;
* :mod:`~bangfu.demo.tourism`, :mod:`~bangfu.demo.enterprises` (and pairings), :mod:`~bangfu.demo.projects`.

This module only puts them together: every step gets its own random stream
(``default_rng([seed, step])``), so a change inside one builder leaves the others' draws alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from bangfu.core import fileio
from bangfu.core.resources import DEMO_PATH
from bangfu.demo.enterprises import enterprises_layer, pairings_table
from bangfu.demo.facts import AS_OF, COUNTY_CODE, COUNTY_NAME, village_flags
from bangfu.demo.households import households_layer, household_attributes, make_hamlets, make_household_points
from bangfu.demo.layout import town_seat_rows
from bangfu.demo.projects import projects_layer
from bangfu.demo.province import FULL_SIZE, REGIONS, ProvinceSize, build_province_layers, province_meta
from bangfu.demo.roads import build_road_network, roads_layer
from bangfu.demo.sources import load_county_boundary, load_village_table
from bangfu.demo.spatial import to_metric, to_wgs84
from bangfu.demo.tourism import tourism_sites_layer
from bangfu.demo.villages import check_coverage, tessellate, village_attributes
from bangfu.workspace import store
from bangfu.workspace.schema import LAYERS

__all__ = ["DEFAULT_SEED", "SYNTHETIC_NOTE", "build_layers", "demo_meta", "build", "build_province", "main"]

DEFAULT_SEED = 20201231

SYNTHETIC_NOTE = (
    "示例数据：开平市县界、镇街与村（居）名称和代码为真实数据；村界多边形、农户点、贫困户与贫困人口"
    "（赤水镇种子数据除外）、道路、企业、结对、候选项目和游客人数均为合成数据；"
    "碉楼景点名称真实、位置为近似位置。"
)


def build_layers(seed: int = DEFAULT_SEED, *, verbose: bool = False) -> dict[str, pd.DataFrame]:
    """Every schema layer of the Kaiping demo (EPSG:4326), deterministic for a given ``seed``."""
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        if verbose:
            print(f"[{time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr)

    def rng(step: int) -> np.random.Generator:
        return np.random.default_rng([seed, step])

    county_wgs = load_county_boundary()
    county_m = to_metric([county_wgs])[0]
    table = load_village_table()
    tes = tessellate(county_wgs, table, rng(1))
    log("village tessellation")
    polys_m = np.asarray(tes.polygons, dtype=object)
    polys_wgs = to_wgs84(polys_m)
    check_coverage(polys_wgs, county_wgs)
    old, key = village_flags(table)

    hamlets = make_hamlets(table, polys_m, rng(2))
    xy, hv = make_household_points(table, polys_m, hamlets, rng(3))
    households = households_layer(household_attributes(table, hv, old, key, rng(4)), xy, hv, polys_wgs)
    villages = village_attributes(table, households, old, key, rng(5))
    villages = gpd.GeoDataFrame(villages, geometry=list(polys_wgs), crs="EPSG:4326")
    log(f"{len(households)} households")

    net, pieces = build_road_network(table, tes, county_m, hamlets, rng(6))
    roads, roads_m = roads_layer(table, net, pieces, polys_m, county_m, rng(7))
    log(f"{len(roads)} roads")
    sites, _ = tourism_sites_layer(table, polys_m, villages["poor_households"].to_numpy(), rng(8))
    seats_xy = {c: (float(hamlets.x[hamlets.main[r]]), float(hamlets.y[hamlets.main[r]])) for c, r in town_seat_rows(table).items()}
    enterprises = enterprises_layer(seats_xy, county_m, rng(9))
    pairings = pairings_table(villages, enterprises, rng(10))
    projects = projects_layer(table, villages, polys_m, roads, roads_m, hamlets, rng(11))
    log("sites, enterprises, pairings, projects")
    built: dict[str, pd.DataFrame] = {
        "villages": villages,
        "households": households,
        "roads": roads,
        "tourism_sites": sites,
        "enterprises": enterprises,
        "pairings": pairings,
        "projects": projects,
    }
    # every other schema layer (road_progress and the edit histories) starts empty; optional layers the demo
    # has no data for (seats: the network estimates them, docs/roads.md) are left out of the file
    return {name: store.coerce(name, built[name]) if name in built else store.empty_layer(name)
            for name, layer in LAYERS.items() if name in built or not layer.optional}


def demo_meta(seed: int = DEFAULT_SEED) -> dict[str, str]:
    """The ``bangfu_meta`` entries of the demo workspace."""
    return {
        "source": "demo",
        "county_code": COUNTY_CODE,
        "county_name": COUNTY_NAME,
        "synthetic_note": SYNTHETIC_NOTE,
        "as_of": AS_OF,
        "seed": str(seed),
    }


def build(out: Path | str = DEMO_PATH, seed: int = DEFAULT_SEED, *, verbose: bool = False) -> Path:
    """Build the demo GeoPackage at ``out`` (replaced) and return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    layers = build_layers(seed, verbose=verbose)
    with fileio.atomic_path(out) as tmp:
        store.write_gpkg(tmp, layers, meta=demo_meta(seed))
    return out


def build_province(
    out: Path | str, region: str = "liaoning", size: ProvinceSize = FULL_SIZE, seed: int = DEFAULT_SEED,
    *, verbose: bool = False,
) -> Path:
    """Build a synthetic province GeoPackage (:mod:`bangfu.demo.province`) at ``out`` (replaced) and return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    spec = REGIONS[region]
    layers = build_province_layers(spec, size, seed, verbose=verbose)
    with fileio.atomic_path(out) as tmp:
        store.write_gpkg(tmp, layers, meta=province_meta(spec, size, seed))
    return out


def prepare_workspace(path: Path, *, verbose: bool = False) -> bool:
    """Check a built workspace and store its validation and aggregate tables beside it (what the app and
    ``python -m bangfu derive`` would otherwise do on the first open: tens of seconds on a province), so it opens in
    a fraction of a second. Returns whether it passed its checks (aggregates are stored only then)."""
    from bangfu.workspace import checked, derived

    t0 = time.perf_counter()
    result = checked.check_workspace(path)
    if verbose:
        print(f"[{time.perf_counter() - t0:7.1f}s] checked: {len(result.report.errors)} errors, "
              f"{len(result.report.warnings)} warnings", flush=True)
    if not result.report.ok:
        return False
    report = derived.derive(path)
    if verbose:
        print(f"[{time.perf_counter() - t0:7.1f}s] aggregate tables stored: {', '.join(report.computed)}", flush=True)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bangfu.demo build [--out PATH] [--seed N] [--region liaoning --villages N --households N …]``."""
    parser = argparse.ArgumentParser(prog="python -m bangfu.demo", description="示例工作空间 / demo workspaces")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build geodata/kaiping_demo.gpkg (or a synthetic province) from geodata/sources")
    b.add_argument("--out", type=Path, default=None, help=f"output GeoPackage (default: {DEMO_PATH}; required with --region)")
    b.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default: %(default)s)")
    b.add_argument("--region", choices=sorted(REGIONS), default=None, help="build a synthetic province instead of Kaiping")
    b.add_argument("--villages", type=int, default=None, help="province: at least N villages, whole counties (default: all)")
    b.add_argument("--households", type=int, default=FULL_SIZE.households, help="province: households (%(default)s)")
    b.add_argument("--roads", type=int, default=FULL_SIZE.roads, help="province: roads (%(default)s)")
    b.add_argument("--projects", type=int, default=FULL_SIZE.projects, help="province: candidate projects (%(default)s)")
    b.add_argument("--no-prepare", dest="prepare", action="store_false",
                   help="province: do not check it and store its aggregate tables (the app then does it on first open)")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    if args.region:
        if args.out is None:
            parser.error("--out is required with --region")
        size = ProvinceSize(args.villages, args.households, args.roads, args.projects)
        path = build_province(args.out, args.region, size, args.seed, verbose=not args.quiet)
        if args.prepare and not prepare_workspace(path, verbose=not args.quiet):
            print("工作空间未通过检查，汇总表未保存 / the workspace failed its checks: no aggregate tables stored "
                  "(the app's 开始使用 page lists the problems)", file=sys.stderr)
    else:
        path = build(args.out or DEMO_PATH, args.seed, verbose=not args.quiet)
    mb = path.stat().st_size / 1e6
    print(f"wrote {path} ({mb:.1f} MB) in {time.perf_counter() - t0:.1f} s")
    if args.region:
        print(f"在应用中打开 / open it in the app: BANGFU_WORKSPACE={path.parent} streamlit run serve.py"
              if path.name == store.WORKSPACE_FILE else
              f"在应用中打开 / to open it in the app, build it as FOLDER/{store.WORKSPACE_FILE} "
              f"(--out FOLDER/{store.WORKSPACE_FILE}), then BANGFU_WORKSPACE=FOLDER streamlit run serve.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
