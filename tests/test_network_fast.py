"""Fast paths of the road network (issue 16 item 6) against the former, slower implementations they replace
(``bench/frozen_network.py``, a frozen copy of main's code) and against brute force: the same pairs and
walking legs, bit for bit."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from bangfu.geo import network as gn
from test_network import X0, Y0, brute_catchment, jittered_roads, lattice_roads, xy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import frozen_network as frozen  # noqa: E402

UTM = "EPSG:32649"


def projects_near(rng: np.random.Generator, n_points: int, n_lines: int, n_polys: int, extent: float) -> np.ndarray:
    """Point projects, winding lines (many anchors on one edge) and squares, in the local frame of ``xy``."""
    geoms = [shapely.Point(X0 + x, Y0 + y) for x, y in rng.uniform(-300, extent, (n_points, 2))]
    for _ in range(n_lines):
        start = rng.uniform(0, extent, 2)
        steps = np.cumsum(rng.normal(0, 120, (rng.integers(3, 12), 2)), axis=0)
        geoms.append(shapely.LineString([(X0 + x, Y0 + y) for x, y in start + np.vstack([[0, 0], steps])]))
    for _ in range(n_polys):
        x, y = rng.uniform(0, extent, 2)
        geoms.append(shapely.box(X0 + x, Y0 + y, X0 + x + rng.uniform(50, 400), Y0 + y + rng.uniform(50, 400)))
    return np.array(geoms, dtype=object)


@pytest.mark.parametrize(("selection", "chunk"), [("all", 256), ("all", 7), ("hardened", 64)])
def test_catchment_pairs_equal_the_former_implementation(selection: str, chunk: int):
    rng = np.random.default_rng(61)
    net = gn.build_network(jittered_roads(rng), crs=UTM)
    edges = None if selection == "all" else net.hardened
    # clustered and scattered households, some exactly on roads and at nodes
    centres = rng.uniform(0, 6600, (40, 2))
    pts = np.vstack([centres[rng.integers(0, 40, 6000)] + rng.normal(0, 150, (6000, 2)), rng.uniform(-400, 7000, (2000, 2))])
    hh = np.vstack([xy(*map(tuple, pts)), net.node_xy[:50], shapely.get_coordinates(
        shapely.line_interpolate_point(net.geometry[:50], 0.5, normalized=True))])
    att = gn.attach(net, hh, edges=edges)
    geoms = projects_near(rng, 150, 30, 10, 6600)
    anchors = gn.anchors_for(net, geoms, edges=edges)
    dist = rng.choice([0.0, 150.0, 600.0, 1000.0, 2000.0, 3000.0, 6000.0], len(geoms))
    want = frozen.catchment_pairs(net, anchors, dist, att, edges=edges, chunk=chunk)
    got = gn.catchment_pairs(net, anchors, dist, att, edges=edges, chunk=chunk)
    assert len(want[0]) > 10_000
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_catchment_pairs_whole_edges_inside_against_brute_force():
    """Distances far beyond the edges: most edges are taken whole without measuring a point."""
    rng = np.random.default_rng(7)
    net = gn.build_network(jittered_roads(rng, n=5), crs=UTM)
    hh = xy(*map(tuple, rng.uniform(-200, 2600, (150, 2))))
    att = gn.attach(net, hh)
    geoms = projects_near(rng, 3, 1, 1, 2400)
    anchors = gn.anchors_for(net, geoms)
    dist = np.array([900.0, 1500.0, 4000.0, 700.0, 2500.0])
    s, p = gn.catchment_pairs(net, anchors, dist, att, chunk=2)
    assert set(zip(s.tolist(), p.tolist())) == brute_catchment(net, anchors, len(dist), dist, att)
    assert (s == 2).sum() > 100  # the 4 km catchment holds nearly everyone


@settings(max_examples=40, deadline=None)
@given(lattice_roads(), st.lists(st.tuples(st.floats(-300, 1900), st.floats(-300, 1900)), min_size=1, max_size=30),
       st.lists(st.tuples(st.floats(-200, 1800), st.floats(-200, 1800), st.floats(0, 2500)), min_size=1, max_size=6),
       st.booleans(), st.integers(1, 4))
def test_catchment_pairs_equal_the_former_implementation_and_brute_force(roads, pts, sources, hardened, chunk):
    net = gn.build_network(roads, crs=UTM)
    edges = net.hardened if hardened else None
    if edges is not None and not edges.any():
        return
    att = gn.attach(net, xy(*pts), edges=edges)
    # sources: a point, and every second one also a short line (several anchors on one edge)
    geoms = np.array([shapely.Point(X0 + x, Y0 + y) if k % 2 == 0 else
                      shapely.LineString([(X0 + x, Y0 + y), (X0 + x + 350, Y0 + y + 20)])
                      for k, (x, y, _) in enumerate(sources)], dtype=object)
    anchors = gn.anchors_for(net, geoms, edges=edges)
    dist = np.array([d for *_, d in sources])
    got = gn.catchment_pairs(net, anchors, dist, att, edges=edges, chunk=chunk)
    want = frozen.catchment_pairs(net, anchors, dist, att, edges=edges, chunk=chunk)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    if edges is None:
        assert set(zip(got[0].tolist(), got[1].tolist())) == brute_catchment(net, anchors, len(dist), dist, att)


@pytest.mark.parametrize("selection", ["all", "hardened"])
def test_walking_legs_equal_the_former_implementation_bit_for_bit(selection: str, monkeypatch: pytest.MonkeyPatch):
    rng = np.random.default_rng(62)
    net = gn.build_network(jittered_roads(rng), crs=UTM)
    edges = None if selection == "all" else net.hardened
    pts = np.vstack([xy(*map(tuple, rng.uniform(-2000, 9000, (20_000, 2)))), net.node_xy,
                     shapely.get_coordinates(shapely.line_interpolate_point(net.geometry, 0.3, normalized=True))])
    monkeypatch.setattr(gn, "ATTACH_BLOCK", 3001)  # several blocks, the last one short
    got, want = gn.attach(net, pts, edges=edges), frozen.attach(net, pts, edges=edges)
    for field in ("edge", "pos_m", "walk_m"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
    assert (got.walk_m > 1000).sum() > 100  # points far from any road: the wider rounds ran too


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.floats(0, 800), st.floats(0, 300)), min_size=1,
                max_size=40), st.lists(st.floats(0, 800), min_size=1, max_size=20))
def test_dropping_dominated_anchors_changes_no_distance_in_any_bit(rows, positions):
    """Per source and edge, the best of the kept anchors equals the best of all anchors, bit for bit, at every
    position along the edge and at both ends (the arcs of the search)."""
    owner, edge, pos, off = (np.array(c) for c in zip(*rows))
    anchors = gn.Anchors(owner.astype(np.int64), edge.astype(np.int64), pos.astype(float), off.astype(float))
    kept = gn._undominated(anchors)
    assert len(kept.owner) >= len(set(zip(owner.tolist(), edge.tolist())))
    length = 800.0
    probe = np.array(positions + [0.0, length])
    for o in range(3):
        for e in range(2):
            mine, theirs = (anchors.owner == o) & (anchors.edge == e), (kept.owner == o) & (kept.edge == e)
            assert mine.any() == theirs.any()
            if not mine.any():
                continue
            for a, m in ((anchors, mine), (kept, theirs)):
                direct = (a.offset_m[m][:, None] + np.abs(probe[None, :] - a.pos_m[m][:, None])).min(axis=0)
                to_u = (a.offset_m[m] + a.pos_m[m]).min()
                to_v = (a.offset_m[m] + (length - a.pos_m[m])).min()
                if a is anchors:
                    want = (direct, to_u, to_v)
            np.testing.assert_array_equal(direct, want[0])
            assert (to_u, to_v) == want[1:]
