"""Roads as a network (issue 16): the network model, walking legs, shortest paths, 通硬化路, access along roads,
missing links — against networkx, GEOS and brute force on hand-built networks, plus hypothesis properties."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from bangfu.geo import network as gn
from bangfu.indicators import network as ind
from bangfu.indicators.roads import AccessZone, HouseholdPoints
from factories import UTM, village_grid

X0, Y0 = 500_000.0, 2_466_000.0


def lines(*rows: tuple[str, str, list[tuple[float, float]]]) -> gpd.GeoDataFrame:
    """Roads (id, status, local coordinates in metres) in UTM 49N; class 村道, village code dummy."""
    return gpd.GeoDataFrame(
        {"road_id": [r[0] for r in rows], "status": [r[1] for r in rows], "road_class": "村道",
         "village_code": "440783101201", "name": [f"{r[0]}路" for r in rows]},
        geometry=[shapely.LineString([(X0 + x, Y0 + y) for x, y in r[2]]) for r in rows], crs=UTM,
    )


def xy(*pts: tuple[float, float]) -> np.ndarray:
    return np.array([(X0 + x, Y0 + y) for x, y in pts], dtype=float)


def nx_graph(net: gn.RoadNetwork, edges: np.ndarray | None = None) -> nx.MultiGraph:
    g = nx.MultiGraph()
    g.add_nodes_from(range(net.n_nodes))
    for e in range(net.n_edges):
        if edges is None or edges[e]:
            g.add_edge(int(net.u[e]), int(net.v[e]), weight=float(net.length_m[e]))
    return g


def oracle_point_distance(net: gn.RoadNetwork, edges: np.ndarray | None, src: tuple[int, float, float],
                          dst: tuple[int, float, float]) -> float:
    """networkx on the network with both points inserted as real nodes (edges split explicitly)."""
    g = nx_graph(net, edges)
    for name, (e, pos, walk) in (("s", src), ("t", dst)):
        g.add_edge(name, name + "_road", weight=walk)
        g.add_edge(name + "_road", int(net.u[e]), weight=pos)
        g.add_edge(name + "_road", int(net.v[e]), weight=float(net.length_m[e]) - pos)
    if src[0] == dst[0]:
        g.add_edge("s_road", "t_road", weight=abs(src[1] - dst[1]))
    try:
        return float(nx.dijkstra_path_length(g, "s", "t"))
    except nx.NetworkXNoPath:
        return float("inf")


# --------------------------------------------------------------------------- scenes

#: A river along y=200 between two roads; one bridge at x=1800.
RIVER = [("S", "unhardened", [(0, 0), (2000, 0)]), ("N", "completed", [(0, 400), (2000, 400)]),
         ("BR", "unhardened", [(1800, 0), (1800, 400)])]


def test_river_with_one_bridge_against_networkx_and_hand_figures():
    net = gn.build_network(lines(*RIVER), crs=UTM)
    assert net.n_nodes == 6 and net.n_edges == 5  # both banks cut at the bridge
    hh = xy((100, 50))
    att = gn.attach(net, hh)
    assert att.walk_m[0] == pytest.approx(50)
    d = gn.nearest_source_distance(net, att, net.hardened)
    assert d[0] == pytest.approx(50 + 1700 + 400)  # along the south bank, over the bridge
    # straight line says 350 m; along roads it is 2,150 m: not within 2 km
    zone = AccessZone.build(net.geometry[net.hardened], 2000)
    assert zone.contains(hh)[0]
    assert d[0] > 2000
    # oracle: networkx to the nearest hardened node
    g = nx_graph(net)
    g.add_edge("h", "r", weight=50.0)
    e = int(att.edge[0])
    g.add_edge("r", int(net.u[e]), weight=float(att.pos_m[0]))
    g.add_edge("r", int(net.v[e]), weight=float(net.length_m[e] - att.pos_m[0]))
    targets = set(net.u[net.hardened]) | set(net.v[net.hardened])
    dist = nx.single_source_dijkstra_path_length(g, "h")
    assert d[0] == pytest.approx(min(dist[int(t)] for t in targets))
    # harden the bridge: 50 + 1700 m
    roads = lines(*RIVER)
    roads.loc[roads["road_id"] == "BR", "status"] = "completed"
    net2 = gn.build_network(roads, crs=UTM)
    assert gn.nearest_source_distance(net2, gn.attach(net2, hh), net2.hardened)[0] == pytest.approx(1750)


def test_loop_distances_both_ways_against_networkx():
    square = [(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)]
    roads = lines(*[(f"L{i}", "completed", [square[i], square[i + 1]]) for i in range(4)])
    net = gn.build_network(roads, crs=UTM)
    assert net.n_nodes == 4 and net.n_edges == 4 and not [i for i in net.issues if i.kind != "snapped"]
    pts = xy((500, -10), (990, 900), (10, 400))
    att = gn.attach(net, pts)
    anchors = gn.Anchors(np.array([0]), att.edge[:1], att.pos_m[:1], att.walk_m[:1])
    nd = gn.node_distances(net, anchors, 1)[0]
    d = gn.point_distances(net, nd, att, anchors)
    for j in range(3):
        want = oracle_point_distance(net, None, (int(att.edge[0]), float(att.pos_m[0]), float(att.walk_m[0])),
                                     (int(att.edge[j]), float(att.pos_m[j]), float(att.walk_m[j])))
        assert d[j] == pytest.approx(want)
    assert d[1] == pytest.approx(10 + 500 + 900 + 10)  # round the corner (1000, 0)
    assert d[2] == pytest.approx(10 + 500 + 400 + 10)  # the other way round


def test_crossing_roads_meet_at_the_crossing_and_a_road_across_a_village_border_is_one_route():
    # X: two roads cross without a shared vertex; a third runs across the A|B border (x = 1000)
    roads = lines(("H", "completed", [(0, 500), (2000, 500)]), ("V", "unhardened", [(700, 0), (700, 1000)]))
    net = gn.build_network(roads, crs=UTM)
    assert net.n_nodes == 5 and net.n_edges == 4
    att = gn.attach(net, xy((700, 0), (2000, 500)))
    anchors = gn.Anchors(np.array([0]), att.edge[:1], att.pos_m[:1], att.walk_m[:1])
    d = gn.point_distances(net, gn.node_distances(net, anchors, 1)[0], att, anchors)
    assert d[1] == pytest.approx(500 + 1300)
    villages = village_grid({"440783101": "一镇"}, 2, origin=(X0, Y0), cell=1000.0, crs=UTM)
    data = ind.network_data(roads, villages)
    # the road H crosses the border: both villages touch a road, no "no_road" issue
    assert not [i for i in data.issues if i.kind == "no_road"]


def test_dangling_spur_snap_within_tolerance_and_gap_beyond_it():
    main = ("M", "completed", [(0, 0), (2000, 0)])
    near = gn.build_network(lines(main, ("SP", "unhardened", [(1000, 3), (1000, 800)])), crs=UTM, tolerance_m=5)
    assert near.components[0] == 1
    assert [i.kind for i in near.issues].count("snapped") == 1
    dangling = sorted(i.subject for i in near.issues if i.kind == "dangling")
    assert dangling == ["M", "M", "SP"]  # the three dead ends
    far = gn.build_network(lines(main, ("SP", "unhardened", [(1000, 20), (1000, 800)])), crs=UTM, tolerance_m=5)
    assert far.components[0] == 2
    gap = [i for i in far.issues if i.kind == "gap"]
    assert len(gap) == 1 and gap[0].subject == "SP" and gap[0].other == "M" and gap[0].metres == pytest.approx(20)
    comp = [i for i in far.issues if i.kind == "component"]
    assert len(comp) == 1 and comp[0].subject == "SP" and comp[0].metres == pytest.approx(780)


def test_two_roads_three_metres_apart_join_with_the_tolerance_and_not_without():
    roads = lines(("A", "completed", [(0, 0), (1000, 0)]), ("B", "completed", [(1000, 3), (2000, 3)]))
    joined = gn.build_network(roads, crs=UTM, tolerance_m=5)
    assert joined.components[0] == 1 and joined.n_snapped == 1
    att = gn.attach(joined, xy((0, 0), (2000, 3)))
    anchors = gn.Anchors(np.array([0]), att.edge[:1], att.pos_m[:1], att.walk_m[:1])
    d = gn.point_distances(joined, gn.node_distances(joined, anchors, 1)[0], att, anchors)
    assert d[1] == pytest.approx(2000 + 3, abs=1e-6)  # the connectors add the 3 m gap: never shorter than straight
    apart = gn.build_network(roads, crs=UTM, tolerance_m=2)
    assert apart.components[0] == 2
    assert [i.kind for i in apart.issues].count("gap") == 2  # each end lies 3 m from the other road


def test_bad_input_is_reported_by_name_never_raised():
    roads = lines(("A", "completed", [(0, 0), (1000, 0)]), ("A2", "completed", [(1000, 0), (0, 0)]),
                  ("Z", "completed", [(5, 5), (5, 5)]))
    multi = gpd.GeoDataFrame({"road_id": ["MP"], "status": ["planned"], "road_class": ["村道"],
                              "village_code": ["440783101201"], "name": ["MP路"]},
                             geometry=[shapely.MultiLineString([[(X0, Y0 + 500), (X0 + 900, Y0 + 500)],
                                                                [(X0 + 1100, Y0 + 500), (X0 + 1900, Y0 + 500)]])],
                             crs=UTM)
    roads = pd.concat([roads, multi], ignore_index=True)
    villages = village_grid({"440783101": "一镇"}, 3, origin=(X0, Y0), cell=1000.0, crs=UTM)
    seats = gpd.GeoDataFrame({"village_code": [villages["village_code"].iloc[0]]},
                             geometry=[shapely.Point(X0 + 1500, Y0 + 500)], crs=UTM)  # lies in village 2
    data = ind.network_data(roads, villages, seats)
    kinds = {(i.kind, i.subject, i.other) for i in data.issues}
    assert ("duplicate", "A2", "A") in kinds
    assert ("zero_length", "Z", "") in kinds
    assert ("multipart", "MP", "") in kinds
    assert ("no_road", villages["village_code"].iloc[2], "") in kinds
    assert ("seat_outside", villages["village_code"].iloc[0], "") in kinds
    assert set(ind.network_issues(data)["kind"]) <= set(gn.ISSUE_KINDS)
    # the imported seat is used and not estimated; the others are representative points, estimated
    assert data.village_seats["estimated"].tolist() == [False, True, True]
    # an empty roads layer gives an empty network, villages unreachable but listed
    empty = ind.network_data(roads.iloc[0:0], villages)
    conn = ind.village_connection(empty, villages)
    assert len(conn) == 3 and not conn["connected"].any() and set(conn["status"]) == {"no_road"}


# --------------------------------------------------------------------------- 通硬化路 and missing links


def connection_scene(bridge: str = "unhardened"):
    """Town 一镇 with villages A, B, C (1 km squares along x); seats at the centres (imported).

    The town seat is A (most populous). Hardened road along y=500 through A and B; C is reached only by
    an unhardened road from B (the missing link ML) and by a long hardened detour D through y=1500."""
    villages = village_grid({"440783101": "一镇"}, 3, origin=(X0, Y0), cell=1000.0, crs=UTM,
                            households=[300, 100, 50], population=[900, 300, 150], poor_households=[10, 5, 7],
                            poor_population=[20, 10, 14])
    roads = lines(("AB", "completed", [(500, 500), (1500, 500)]), ("ML", bridge, [(1500, 500), (2500, 500)]),
                  ("D1", "unhardened", [(500, 500), (500, 1500), (2500, 1500), (2500, 500)]))
    seats = gpd.GeoDataFrame({"village_code": villages["village_code"]},
                             geometry=[shapely.Point(X0 + 500 + 1000 * i, Y0 + 500) for i in range(3)], crs=UTM)
    return villages, roads, seats


def test_connection_distances_detour_and_missing_link():
    villages, roads, seats = connection_scene()
    data = ind.network_data(roads, villages, seats)
    conn = ind.village_connection(data, villages).set_index("village_name")
    assert conn.loc["测试0村", "connected"] and conn.loc["测试1村", "connected"]
    assert not conn.loc["测试2村", "connected"] and conn.loc["测试2村", "status"] == "seat_far"
    assert conn.loc["测试1村", "hardened_km"] == pytest.approx(1.0)
    assert conn.loc["测试2村", "all_km"] == pytest.approx(2.0)
    assert np.isinf(conn.loc["测试2村", "hardened_km"])  # kept, shown as unreachable on hardened road
    links = ind.missing_links(data, ind.village_connection(data, villages))
    top = links.iloc[0]
    assert top["road_id"] == "ML" and top["villages"] == 1 and top["households"] == 50 and top["poor_households"] == 7
    assert top["cost_wan"] == pytest.approx(1.0 * ind.UNIT_COST_WAN_PER_KM["村道"])
    # D1 (unhardened, 4 km) also connects C; ranked after ML on the same gain by cost
    assert links.set_index("road_id").loc["D1", "villages"] == 1
    # harden ML: C becomes connected; harden only D1: connected with a detour
    villages, roads, seats = connection_scene("completed")
    after = ind.village_connection(ind.network_data(roads, villages, seats), villages).set_index("village_name")
    assert after["connected"].all()
    roads.loc[roads["road_id"] == "ML", "status"] = "unhardened"
    roads.loc[roads["road_id"] == "D1", "status"] = "completed"
    detour = ind.village_connection(ind.network_data(roads, villages, seats), villages).set_index("village_name")
    assert detour.loc["测试2村", "hardened_km"] == pytest.approx(4.0)
    assert detour.loc["测试2村", "detour_km"] == pytest.approx(2.0)
    summary = ind.connection_summary(detour, level="county").iloc[0]
    assert summary["villages"] == 3 and summary["connected"] == 3 and summary["connected_pct"] == pytest.approx(100)
    projects = ind.missing_link_projects(links, roads, top=1)
    assert projects["project_id"].tolist() == ["ML-ML"] and projects["project_type"].iloc[0] == "road_hardening"


def test_town_seat_is_the_flagged_village_else_the_most_populous():
    villages, roads, seats = connection_scene()
    vs = gn.village_seats(villages, seats, crs=UTM)
    assert gn.town_seats(villages, vs)["village_code"].iloc[0] == villages["village_code"].iloc[0]
    flagged = villages.assign(is_town_seat=[False, False, True])
    ts = gn.town_seats(flagged, vs)
    assert ts["village_code"].iloc[0] == villages["village_code"].iloc[2] and not ts["estimated"].iloc[0]


def test_access_along_roads_beside_straight_line():
    villages, roads, seats = connection_scene()
    data = ind.network_data(roads, villages, seats)
    # H0 on AB; H1 150 m north of ML's end: 150 m straight from D1? no — nearest road D1's corner leg at x=2500
    pts = xy((800, 520), (2450, 900), (2600, 500))
    hh = HouseholdPoints(pts, np.array([True, False, True]), np.array(["440783101"] * 3, dtype=object), UTM)
    table = ind.network_access(data, hh, villages, distance_m=1000).set_index("town_code")
    county = table.loc[""]
    # straight: H0 (20 m), H1 (1,000 m from AB's end? 950 m + ...) — compute with GEOS
    hard = shapely.union_all(data.net.geometry[data.net.hardened])
    straight = shapely.distance(shapely.points(pts), hard) <= 1000
    assert county["within_straight"] == straight.sum()
    along = gn.nearest_source_distance(data.net, gn.attach(data.net, pts), data.net.hardened)
    assert county["within_along"] == (along <= 1000).sum() == 1  # only H0
    assert county["lost"] == straight.sum() - 1


# --------------------------------------------------------------------------- catchments against brute force


def brute_catchment(net, anchors, n_src, distance, att):
    out = set()
    for s in range(n_src):
        mine = np.flatnonzero(anchors.owner == s)
        for h in range(len(att.edge)):
            best = np.inf
            for a in mine:
                best = min(best, oracle_point_distance(
                    net, None, (int(anchors.edge[a]), float(anchors.pos_m[a]), float(anchors.offset_m[a])),
                    (int(att.edge[h]), float(att.pos_m[h]), float(att.walk_m[h]))))
            if best <= distance[s]:
                out.add((s, h))
    return out


def test_catchment_pairs_equal_brute_force_on_the_river():
    net = gn.build_network(lines(*RIVER), crs=UTM)
    rng = np.random.default_rng(3)
    hh = np.column_stack([X0 + rng.uniform(-200, 2200, 60), Y0 + rng.uniform(-200, 600, 60)])
    att = gn.attach(net, hh)
    geoms = np.array([shapely.Point(X0 + 100, Y0 + 450), shapely.LineString([(X0 + 1800, Y0), (X0 + 1800, Y0 + 400)]),
                      shapely.box(X0 + 900, Y0 - 50, X0 + 1100, Y0 + 50)], dtype=object)
    anchors = gn.anchors_for(net, geoms)
    dist = np.array([600.0, 400.0, 800.0])
    s, p = gn.catchment_pairs(net, anchors, dist, att, chunk=2)
    assert set(zip(s.tolist(), p.tolist())) == brute_catchment(net, anchors, 3, dist, att)
    assert len(s) > 0


# --------------------------------------------------------------------------- properties


@st.composite
def lattice_roads(draw):
    """Random roads between the points of a 5 × 5 lattice (400 m), statuses random."""
    n = draw(st.integers(3, 12))
    rows = []
    for k in range(n):
        a = draw(st.tuples(st.integers(0, 4), st.integers(0, 4)))
        b = draw(st.tuples(st.integers(0, 4), st.integers(0, 4)).filter(lambda q, a=a: q != a))
        status = draw(st.sampled_from(["completed", "unhardened", "planned"]))
        rows.append((f"R{k}", status, [(a[0] * 400.0, a[1] * 400.0), (b[0] * 400.0, b[1] * 400.0)]))
    return lines(*rows)


@settings(max_examples=40, deadline=None)
@given(lattice_roads(), st.lists(st.tuples(st.floats(-300, 1900), st.floats(-300, 1900)), min_size=1, max_size=8))
def test_network_distance_is_never_shorter_than_straight_line(roads, pts):
    net = gn.build_network(roads, crs=UTM)
    hh = xy(*pts)
    att = gn.attach(net, hh)
    # walking legs equal GEOS's distance to the nearest road
    assert np.allclose(att.walk_m, shapely.distance(shapely.points(hh), shapely.union_all(net.geometry)), atol=1e-6)
    if net.hardened.any():
        d = gn.nearest_source_distance(net, att, net.hardened)
        straight = shapely.distance(shapely.points(hh), shapely.union_all(net.geometry[net.hardened]))
        assert (d >= straight - 1e-6).all()
    # point to point: ≥ the straight distance between the points, and equal to networkx
    anchors = gn.Anchors(np.array([0]), att.edge[:1], att.pos_m[:1], att.walk_m[:1])
    pd_ = gn.point_distances(net, gn.node_distances(net, anchors, 1)[0], att, anchors)
    assert (pd_ >= np.hypot(*(hh - hh[0]).T) - 1e-6).all()
    for j in range(len(hh)):
        want = oracle_point_distance(net, None, (int(att.edge[0]), float(att.pos_m[0]), float(att.walk_m[0])),
                                     (int(att.edge[j]), float(att.pos_m[j]), float(att.walk_m[j])))
        assert pd_[j] == pytest.approx(want, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(lattice_roads(), st.integers(0, 50))
def test_hardening_one_more_road_never_disconnects_anything(roads, pick):
    villages = village_grid({"440783101": "一镇"}, 4, origin=(X0, Y0), cell=400.0, columns=2, crs=UTM,
                            households=[40, 30, 20, 10], population=[90, 80, 70, 60])
    before = ind.village_connection(ind.network_data(roads, villages), villages).set_index("village_code")
    rest = np.flatnonzero(roads["status"].to_numpy() != "completed")
    if len(rest) == 0:
        return
    harder = roads.copy()
    harder.loc[harder.index[rest[pick % len(rest)]], "status"] = "completed"
    after = ind.village_connection(ind.network_data(harder, villages), villages).set_index("village_code")
    assert (after.loc[before.index, "connected"] >= before["connected"]).all()
    hd, ha = before["hardened_km"].to_numpy(), after.loc[before.index, "hardened_km"].to_numpy()
    assert (ha <= hd + 1e-9).all()


# --------------------------------------------------------------------------- planning: catchment along roads


def river_households() -> tuple[gpd.GeoDataFrame, str, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The river scene for planning: villages, the village code, the roads, and three households — north bank
    (x=300), south bank (x=100) and far east on the south bank (x=1900)."""
    villages = village_grid({"440783101": "一镇"}, 2, origin=(X0 - 500, Y0 - 500), cell=2000.0, crs=UTM)
    code = villages["village_code"].iloc[0]
    hh = gpd.GeoDataFrame({"household_id": ["N", "S", "E"], "village_code": code, "members": 3,
                           "is_poor": [True, True, False], "is_key": False, "has_labour": True},
                          geometry=shapely.points(xy((300, 420), (100, -20), (1900, -20))), crs=UTM)
    return villages, code, lines(*RIVER), hh


def test_build_coverage_along_roads_leaves_out_the_far_bank():
    from bangfu.planning.coverage import build_coverage

    villages, code, roads, hh = river_households()
    # a clinic on the north bank at x=100
    projects = gpd.GeoDataFrame({"project_id": ["P1"], "name": ["卫生室"], "project_type": ["clinic"],
                                 "cost_wan": [10.0], "village_code": [code], "status": ["candidate"]},
                                geometry=[shapely.Point(X0 + 100, Y0 + 410)], crs=UTM)
    straight = build_coverage(projects, villages, hh, roads, distances={"clinic": 1000.0})
    along = build_coverage(projects, villages, hh, roads, distances={"clinic": 1000.0}, catchment="network")
    assert straight.matrix.toarray().tolist() == [[1.0, 1.0, 0.0]]
    assert along.matrix.toarray().tolist() == [[1.0, 0.0, 0.0]]  # S is 430 m away in a line, 3,900 m by road
    far = build_coverage(projects, villages, hh, roads, distances={"clinic": 4000.0}, catchment="network")
    # S: 20 + 1700 + 400 + 1700 + 10 + 10 (project's walking leg) = 3,840 m; E: 20 + 100 + 400 + 1700 + 20 = 2,240 m
    assert far.matrix.toarray().tolist() == [[1.0, 1.0, 1.0]]
    assert "network" in along.notes


def jittered_roads(rng: np.random.Generator, n: int = 12, spacing: float = 600.0) -> gpd.GeoDataFrame:
    """A jittered grid of bent roads (edges much longer than a segment), about a third hardened."""
    pts = np.stack(np.meshgrid(np.arange(n), np.arange(n)), axis=-1) * spacing + rng.normal(0, 60, (n, n, 2))
    rows = []
    for i in range(n):
        for j in range(n):
            for di, dj in ((0, 1), (1, 0)):
                if i + di < n and j + dj < n:
                    a, b = pts[i, j], pts[i + di, j + dj]
                    mid = (a + b) / 2 + rng.normal(0, 50, 2)
                    status = "completed" if rng.random() < 0.35 else "unhardened"
                    rows.append((f"J{len(rows)}", status, [tuple(a), tuple(mid), tuple(b)]))
    return lines(*rows)


@pytest.mark.parametrize("selection", ["all", "hardened"])
def test_walking_legs_equal_geos_nearest_and_do_not_depend_on_the_segment_length(selection: str,
                                                                                  monkeypatch: pytest.MonkeyPatch):
    rng = np.random.default_rng(16)
    roads = jittered_roads(rng)
    net = gn.build_network(roads, crs=UTM)
    edges = None if selection == "all" else net.hardened
    pts = xy(*[tuple(p) for p in rng.uniform(-500, 7000, (4000, 2))])
    att = gn.attach(net, pts, edges=edges)
    # brute force: GEOS distance to every selected edge
    sel = np.flatnonzero(np.ones(net.n_edges, bool) if edges is None else edges)
    geoms = net.geometry[sel]
    p = shapely.points(pts)
    dist = shapely.distance(p[:, None], geoms[None, :])
    want = dist.min(axis=1)
    np.testing.assert_allclose(att.walk_m, want, atol=1e-6)
    # the edge is one of the nearest, and the position on it is the nearest point
    assert np.isin(att.edge, sel).all()
    on_edge = shapely.distance(p, net.geometry[att.edge])
    np.testing.assert_allclose(on_edge, want, atol=1e-6)
    spot = shapely.line_interpolate_point(net.geometry[att.edge], att.pos_m - net.start_m[att.edge])
    np.testing.assert_allclose(shapely.distance(p, spot), want, atol=1e-6)
    # the former 20 m segments give the same legs (the segment length only changes the speed)
    monkeypatch.setattr(gn, "SEGMENT_M", 20.0)
    fine = gn.attach(gn.build_network(roads, crs=UTM), pts, edges=edges)
    np.testing.assert_allclose(fine.walk_m, att.walk_m, atol=1e-9)
    same = fine.edge == att.edge
    assert same.mean() > 0.99  # others are ties at a shared node
    np.testing.assert_allclose(fine.pos_m[same], att.pos_m[same], atol=1e-6)


def test_new_access_only_along_roads_drops_households_an_existing_facility_reaches_by_road():
    from bangfu.planning.coverage import build_coverage

    villages, code, roads, hh = river_households()
    # the new clinic on the north bank at x=100; an existing (completed) clinic on the south bank at x=1900
    projects = gpd.GeoDataFrame({"project_id": ["P1", "OLD"], "name": ["卫生室", "旧卫生室"],
                                 "project_type": ["clinic", "clinic"], "cost_wan": [10.0, 5.0],
                                 "village_code": [code, code], "status": ["candidate", "completed"]},
                                geometry=[shapely.Point(X0 + 100, Y0 + 410), shapely.Point(X0 + 1900, Y0 - 10)],
                                crs=UTM)
    def matrix(catchment: str, d: float, new_only: bool) -> list[list[float]]:
        return build_coverage(projects, villages, hh, roads, distances={"clinic": d}, catchment=catchment,
                              new_access_only=new_only).matrix.toarray().tolist()

    # 2 km along roads: the new clinic reaches N (10 + 200 + 20 m) only (S: 3,900 m, E: 2,230 m); the old one
    # reaches E (30 m) and S (1,830 m) but not N (10 + 100 + 400 + 1,500 + 20 = 2,030 m): N stays new access
    assert matrix("network", 2000.0, False) == [[1.0, 0.0, 0.0]]
    assert matrix("network", 2000.0, True) == [[1.0, 0.0, 0.0]]
    # in a straight line the old clinic is 1,657 m from N, so there N counts as already served
    assert matrix("straight", 2000.0, True) == [[0.0, 0.0, 0.0]]
    # 4 km: the new clinic reaches all three by road, and so does the old one: nothing new is left
    assert matrix("network", 4000.0, False) == [[1.0, 1.0, 1.0]]
    assert matrix("network", 4000.0, True) == [[0.0, 0.0, 0.0]]
