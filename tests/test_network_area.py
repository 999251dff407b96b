"""The network of one area (issue 15: the roads page of a county builds only the roads its figures reach): on every
county and town of the small province, and on a hand-built detour that leaves the area far behind, 通硬化路, the
missing links of the area's roads and access along roads equal the whole network's (itself checked against
networkx in tests/test_network.py)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from bangfu.geo import network as gn
from bangfu.geo.crs import metric_crs
from bangfu.indicators import network as ni
from bangfu.indicators.roads import prepare_households
from bangfu.workspace import areas, store
from factories import UTM, village_grid

X0, Y0 = 500_000.0, 2_466_000.0


def _area_figures(data: ni.NetworkData, villages: pd.DataFrame, codes: set[str], area_roads: set[str]
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(connection rows of the area's villages, ranked missing links among the area's roads with a gain)."""
    held = villages[villages["village_code"].astype(str).isin(set(data.village_seats["village_code"]))]
    conn = ni.village_connection(data, held)
    links = ni.missing_links(data, conn)
    mine = conn[conn["village_code"].isin(codes)].reset_index(drop=True)
    return mine, links[links["road_id"].isin(area_roads) & (links["villages"] > 0)].reset_index(drop=True)


def test_every_county_and_town_of_the_province_equals_the_whole_network(province_gpkg: Path):
    layers = {n: store.read_layer(province_gpkg, n) for n in ("villages", "roads", "households")}
    v, roads = layers["villages"], layers["roads"]
    crs = metric_crs(v)
    whole = ni.network_data(roads, v, crs=crs)
    index = ni.network_index(roads, v, crs=crs)
    smaller = 0
    for level in ("county", "town"):
        for area in areas.level_areas(v, level):
            al = areas.AreaLayers(lambda n: layers[n], area)
            mine = al.layer("villages")
            codes = set(mine["village_code"].astype(str))
            area_roads = set(al.layer("roads")["road_id"].astype(str))
            pts = prepare_households(al.layer("households"), mine, crs=crs)
            lo, hi = pts.xy.min(axis=0), pts.xy.max(axis=0)
            part = ni.area_network_data(index, roads, v, codes, walk_max_m=ni.WALK_MAX_M, reach_m=2000.0,
                                        extent=(lo[0], lo[1], hi[0], hi[1]))
            smaller += part.net.n_edges < whole.net.n_edges
            got, want = _area_figures(part, v, codes, area_roads), _area_figures(whole, v, codes, area_roads)
            pd.testing.assert_frame_equal(got[0], want[0], check_exact=False, rtol=1e-9)
            pd.testing.assert_frame_equal(got[1], want[1], check_exact=False, rtol=1e-9)
            pd.testing.assert_frame_equal(ni.network_access(part, pts, mine), ni.network_access(whole, pts, mine),
                                          check_exact=False, rtol=1e-9)
    assert smaller > 0, "no area built less than the whole network"


def _detour_scene() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Two towns of three 1 km villages in a row (seats at the squares' centres, town seats the first village of
    each); the area is town A. Its third village reaches the town seat on hardened road only by a 42 km detour far
    north of the area (H1); the direct road is unhardened (U1) and hardening it connects the middle village; town B
    has hardened roads of its own east of it (H2, H3: more than the access reach from town A)."""
    villages = village_grid({"440783101": "甲镇", "440783102": "乙镇"}, 3, origin=(X0, Y0), cell=1000.0, crs=UTM)

    def line(*pts: tuple[float, float]) -> shapely.LineString:
        return shapely.LineString([(X0 + x, Y0 + y) for x, y in pts])

    roads = gpd.GeoDataFrame({
        "road_id": ["H1", "U1", "H2", "H3"], "status": ["completed", "unhardened", "completed", "completed"],
        "road_class": "村道", "village_code": [villages["village_code"].iloc[i] for i in (0, 1, 3, 5)],
        "name": ["绕行路", "直路", "乙路", "远路"],
    }, geometry=[
        line((500, 500), (500, 20_500), (2500, 20_500), (2500, 500)),
        line((500, 500), (2500, 500)),
        line((5600, 500), (8000, 500)),
        line((8000, 500), (8000, 60_000)),
    ], crs=UTM)
    return villages, roads


def test_a_detour_far_outside_the_area_is_followed():
    villages, roads = _detour_scene()
    codes = set(villages.loc[villages["town_code"] == "440783101", "village_code"].astype(str))
    index = ni.network_index(roads, villages)
    part = ni.area_network_data(index, roads, villages, codes, reach_m=2000.0)
    whole = ni.network_data(roads, villages)
    got, want = _area_figures(part, villages, codes, {"H1", "U1"}), _area_figures(whole, villages, codes, {"H1", "U1"})
    pd.testing.assert_frame_equal(got[0], want[0], check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(got[1], want[1], check_exact=False, rtol=1e-9)
    far = got[0].set_index("village_code").loc[villages["village_code"].iloc[2]]
    assert far["connected"] and far["hardened_km"] == pytest.approx(42.0) and far["all_km"] == pytest.approx(2.0)
    assert got[1]["road_id"].tolist() == ["U1"] and got[1]["villages"].tolist() == [1]
    # town B's roads are not part of town A's network: nothing of them reaches A's figures
    assert not {"H2", "H3"} & set(part.net.road_id) and part.net.n_edges < whole.net.n_edges


def test_road_groups_join_exactly_what_the_network_joins():
    """Two roads share a group when the network joins them (a crossing, an end within the tolerance) and not
    when they are further apart — 6 m, just beyond the 5 m tolerance: the groups are the network's components."""
    _, roads = _detour_scene()
    near = roads.iloc[[1]].assign(road_id="N", geometry=[shapely.LineString([(X0 + 2500, Y0 + 504),
                                                                                (X0 + 3000, Y0 + 900)])])
    far = roads.iloc[[1]].assign(road_id="F", geometry=[shapely.LineString([(X0 + 2506, Y0 + 500),
                                                                               (X0 + 3000, Y0 + 100)])])
    both = pd.concat([roads, near, far], ignore_index=True)
    geoms = np.asarray(both.geometry.values, dtype=object)
    groups = gn.road_groups(geoms, gn.DEFAULT_TOLERANCE_M)
    net = gn.build_network(both, crs=UTM)
    from scipy.sparse.csgraph import connected_components

    _, label = connected_components(net.graph(), directed=False)
    ids = both["road_id"].tolist()
    assert groups[ids.index("N")] == groups[ids.index("U1")] != groups[ids.index("F")]
    comp = {r: label[net.u[np.flatnonzero(net.road_id == r)[0]]] for r in ids}
    for i, a in enumerate(ids):
        for j, b in enumerate(ids):
            assert (groups[i] == groups[j]) == (comp[a] == comp[b]), (a, b)


def test_access_zones_near_an_area_answer_as_the_whole_workspace_s(province_gpkg: Path):
    """The straight-line access zones built from the roads near an area's households (``extent``) flag every
    household of the area as the zones of every road do (GEOS ``dwithin`` through bangfu.indicators.roads)."""
    from bangfu.indicators.roads import access_flags, access_zones

    layers = {n: store.read_layer(province_gpkg, n) for n in ("villages", "roads", "households")}
    v, roads = layers["villages"], layers["roads"]
    crs = metric_crs(v)
    fewer, mixed = 0, 0
    for distance in (300.0, 2000.0):
        whole = access_zones(roads, crs=crs, distance_m=distance)
        for area in areas.level_areas(v, "county"):
            al = areas.AreaLayers(lambda n: layers[n], area)
            pts = prepare_households(al.layer("households"), al.layer("villages"), crs=crs)
            lo, hi = pts.xy.min(axis=0), pts.xy.max(axis=0)
            near = access_zones(roads, crs=crs, distance_m=distance, extent=(lo[0], lo[1], hi[0], hi[1]))
            fewer += len(near[0].geoms) < len(whole[0].geoms)
            got, want = access_flags(pts.xy, near), access_flags(pts.xy, whole)
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
            mixed += got[0].any() and not got[0].all()
    assert fewer > 0 and mixed > 0  # fewer roads, and households on both sides of the line: a test that can fail
