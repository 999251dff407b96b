"""Benchmark: building the overview map (warm: layers loaded) against plain ``folium.GeoJson(gdf)`` with a tooltip.

Run from the repository root:

    PYTHONPATH=src:tests python bench/bench_overview_map.py [--runs 7] [--workspace PATH]

Uses ``geodata/kaiping_demo.gpkg`` when present, otherwise a Kaiping-sized stand-in (real
boundary, names and codes, Voronoi villages) from ``tests/factories.py``. Both builders
get the same village table with the same tooltip fields; times are medians, the rendered HTML is
what streamlit-folium sends to the browser.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

import folium  # noqa: E402
from timing import median_time  # noqa: E402
import pandas as pd  # noqa: E402

from bangfu.core.resources import DEMO_PATH
from bangfu import indicators as ind
from bangfu.maps import overview as om
from bangfu.workspace import store

AS_OF = "2020-12-31"
TOOLTIP = ["village_name", "village_code", "town_name", "households", "poor_households", "poor_population",
           "incidence_pct", "poverty_density", "is_old_district", "is_key_village", "active_pairings", "hardening_pct"]


def load(workspace: str | None) -> tuple[str, dict[str, pd.DataFrame]]:
    path = Path(workspace) if workspace else DEMO_PATH
    if path.exists():
        names = ("villages", "roads", "tourism_sites", "enterprises", "pairings")
        shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        return str(shown), {n: store.read_layer(path, n) for n in names}
    from factories import county_like

    return "stand-in (tests/factories.county_like)", county_like()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--workspace", default=None)
    args = ap.parse_args(argv)
    source, L = load(args.workspace)
    table = ind.overview_villages(L["villages"], roads=L["roads"], pairings=L["pairings"], as_of=AS_OF)
    active = ind.simple_active_pairings(L["pairings"], AS_OF)
    opts = om.MapOptions()

    def ours_prepare(geometry=None):
        return om.prepare_overview(table, options=opts, roads=L["roads"], sites=L["tourism_sites"],
                                   enterprises=L["enterprises"], active_pairings=active, geometry=geometry)

    def ours_restyle():  # what the app does when an option changes: geometry cached per workspace version
        m = om.build_overview_map(ours_prepare(geometry))
        return m, om.map_html(m)

    def ours_full():
        m = om.build_overview_map(ours_prepare())
        return m, om.map_html(m)

    def plain():
        m = folium.Map(tiles=None)
        folium.GeoJson(table, tooltip=folium.GeoJsonTooltip(TOOLTIP)).add_to(m)
        return m, m.get_root().render()

    ours_full()  # warm imports and caches of matplotlib/mapclassify
    plain()
    t_geom, geometry = median_time(lambda: om.prepare_geometry(table, L["roads"]), args.runs)
    t_restyle, _ = median_time(ours_restyle, args.runs)
    t_prep, data = median_time(ours_prepare, args.runs)
    t_ours, (m_ours, html_ours) = median_time(ours_full, args.runs)
    t_build = statistics.median(
        [(lambda t0: (om.map_html(om.build_overview_map(data)), time.perf_counter() - t0)[1])(time.perf_counter())
         for _ in range(args.runs)]
    )
    t_plain, (m_plain, html_plain) = median_time(plain, args.runs)

    # bytes as embedded: ours minified (om.CompactGeoJson), plain as folium's tojson writes it
    layers = [c for c in m_ours._children.values() if isinstance(c, om.CompactGeoJson)]
    village_bytes = len(layers[0].data_json.encode())
    all_bytes = sum(len(c.data_json.encode()) for c in layers)
    plain_bytes = len(json.dumps(om.embedded_geojson(m_plain)[0], sort_keys=True).encode())
    rows = [
        ("overview map (ours, all overlays)", t_ours, len(html_ours.encode()), all_bytes),
        ("  of which prepare_overview", t_prep, None, None),
        ("    of which prepare_geometry", t_geom, None, None),
        ("overview map, geometry cached (option change)", t_restyle, None, None),
        ("  of which build + render (cached data)", t_build, None, None),
        ("  village layer only", None, None, village_bytes),
        ("plain folium.GeoJson(gdf) + GeoJsonTooltip", t_plain, len(html_plain.encode()), plain_bytes),
    ]
    print(f"data: {source}; villages: {len(table)}; roads: {len(L['roads'])}; runs: {args.runs} (median); "
          f"load average at end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'variant':45s} {'time s':>8s} {'HTML bytes':>12s} {'GeoJSON bytes':>14s}")
    for name, t, h, g in rows:
        print(f"{name:45s} {'' if t is None else f'{t:8.3f}':>8s} {'' if h is None else f'{h:,}':>12s} "
              f"{'' if g is None else f'{g:,}':>14s}")
    print(f"payload ratio (ours/plain HTML): {len(html_ours.encode()) / len(html_plain.encode()):.2f}")


if __name__ == "__main__":
    main()
