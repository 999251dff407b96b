"""Fast paths of the road network (issue 16 item 6) against the former, slower implementations they replace
(kept here verbatim as oracles) and against brute force: the same pairs and walking legs, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from bangfu.geo import network as gn
from test_network import X0, Y0, brute_catchment, jittered_roads, lattice_roads, xy

UTM = "EPSG:32649"


def reference_catchment_pairs(
    net: gn.RoadNetwork,
    anchors: gn.Anchors,
    distance: np.ndarray,
    att: gn.Attachment,
    *,
    edges: np.ndarray | None = None,
    chunk: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """The former ``bangfu.geo.network.catchment_pairs`` (before 2026-11-30 23:00 UTC), kept as the slow
    path the fast one must match exactly: every (source, edge end / anchor, point) candidate measured, then
    de-duplicated.

    Sources go through :func:`scipy.sparse.csgraph.dijkstra` ``chunk`` at a time, each from its own
    virtual node (arcs to its anchors' edge ends) with the chunk's largest distance as the limit; the
    points are then read off the edges incident to the nodes reached.
    """
    distance = np.asarray(distance, dtype=np.float64)
    n_src = len(distance)
    empty = np.zeros(0, np.int64)
    has = np.flatnonzero(att.edge >= 0)
    if n_src == 0 or len(has) == 0 or len(anchors.owner) == 0:
        return empty, empty
    # points grouped by edge (CSR edge → points)
    order = has[np.argsort(att.edge[has], kind="stable")]
    p_ptr = np.zeros(net.n_edges + 1, np.int64)
    np.cumsum(np.bincount(att.edge[order], minlength=net.n_edges), out=p_ptr[1:])
    # node → (edge, side) incidence; side 0 = the node is u (distance along = pos), 1 = v (length − pos)
    sel = np.ones(net.n_edges, bool) if edges is None else np.asarray(edges, bool)
    se = np.flatnonzero(sel)
    inc_node = np.concatenate([net.u[se], net.v[se]])
    inc_edge = np.concatenate([se, se])
    inc_side = np.concatenate([np.zeros(len(se), np.int64), np.ones(len(se), np.int64)])
    io = np.argsort(inc_node, kind="stable")
    inc_edge, inc_side = inc_edge[io], inc_side[io]
    n_ptr = np.zeros(net.n_nodes + 1, np.int64)
    np.cumsum(np.bincount(inc_node, minlength=net.n_nodes), out=n_ptr[1:])
    a_order = np.argsort(anchors.owner, kind="stable")
    a_ptr = np.zeros(n_src + 1, np.int64)
    np.cumsum(np.bincount(anchors.owner, minlength=n_src), out=a_ptr[1:])
    base_rows = np.concatenate([net.u[se], net.v[se]])
    base_cols = np.concatenate([net.v[se], net.u[se]])
    base_w = np.concatenate([net.length_m[se], net.length_m[se]])
    out_s: list[np.ndarray] = []
    out_p: list[np.ndarray] = []
    for c0 in range(0, n_src, chunk):
        c1 = min(c0 + chunk, n_src)
        ai = a_order[a_ptr[c0]:a_ptr[c1]]
        ai = ai[sel[anchors.edge[ai]]]
        sub = gn.Anchors(anchors.owner[ai] - c0, anchors.edge[ai], anchors.pos_m[ai], anchors.offset_m[ai])
        rows, cols, w = gn._source_rows(net, sub, net.n_nodes + sub.owner)
        g = gn._min_csr(np.concatenate([base_rows, rows]), np.concatenate([base_cols, cols]),
                     np.concatenate([base_w, w]), net.n_nodes + (c1 - c0))
        dmax = distance[c0:c1]
        lim = float(dmax.max()) if len(dmax) else 0.0
        d = np.asarray(
            dijkstra(g, directed=True, indices=net.n_nodes + np.arange(c1 - c0), limit=lim), dtype=np.float64
        )[:, : net.n_nodes]
        si, ni = np.nonzero(d <= dmax[:, None])
        dn = d[si, ni]
        # (source, node) → (source, edge, side, distance at the edge's end)
        cnt = n_ptr[ni + 1] - n_ptr[ni]
        rep = np.repeat(np.arange(len(si)), cnt)
        k = np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt) + n_ptr[ni][rep]
        s_e, e_e, side, d_e = si[rep], inc_edge[k], inc_side[k], dn[rep]
        # the anchors' own edges: straight along the edge from the anchor
        s_a = sub.owner
        s_all = np.concatenate([s_e, s_a])
        e_all = np.concatenate([e_e, sub.edge])
        kind = np.concatenate([side, np.full(len(s_a), 2, np.int64)])
        base = np.concatenate([d_e, sub.offset_m])
        apos = np.concatenate([np.zeros(len(s_e)), sub.pos_m])
        # expand to the points on those edges
        pc = p_ptr[e_all + 1] - p_ptr[e_all]
        rep = np.repeat(np.arange(len(s_all)), pc)
        if len(rep) == 0:
            continue
        k = np.arange(len(rep)) - np.repeat(np.cumsum(pc) - pc, pc) + p_ptr[e_all][rep]
        pt = order[k]
        e = e_all[rep]
        pos = att.pos_m[pt]
        along = np.select([kind[rep] == 0, kind[rep] == 1], [pos, net.length_m[e] - pos], np.abs(pos - apos[rep]))
        total = base[rep] + along + att.walk_m[pt]
        src = s_all[rep]
        ok = total <= dmax[src]
        key = gn._sorted_unique((src[ok] + c0).astype(np.int64) * np.int64(len(att.edge)) + pt[ok])
        out_s.append(key // len(att.edge))
        out_p.append(key % len(att.edge))
    if not out_s:
        return empty, empty
    return np.concatenate(out_s), np.concatenate(out_p)


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
    want = reference_catchment_pairs(net, anchors, dist, att, edges=edges, chunk=chunk)
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
    want = reference_catchment_pairs(net, anchors, dist, att, edges=edges, chunk=chunk)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    if edges is None:
        assert set(zip(got[0].tolist(), got[1].tolist())) == brute_catchment(net, anchors, len(dist), dist, att)


def reference_attach(net: gn.RoadNetwork, xy_: np.ndarray, edges: np.ndarray | None = None) -> gn.Attachment:
    """The former ``attach`` / ``Segments.nearest`` (before 2026-11-30 23:00 UTC): the k nearest midpoints
    measured with :meth:`Segments.project` on (n·k) repeated points, all points at once."""
    seg, index = net.segments, net.segment_index(edges)
    use, n = index.use, len(xy_)
    best, d, s = np.zeros(n, np.int64), np.full(n, np.inf), np.zeros(n)
    todo = np.arange(n)
    for kk in (8, 32, 128):
        kk = min(kk, len(use))
        dm, im = index.kdtree.query(xy_[todo], k=kk)
        dm, im = dm.reshape(len(todo), kk), im.reshape(len(todo), kk)
        cand = use[im]
        dist, along = seg.project(cand.reshape(-1), np.repeat(xy_[todo], kk, axis=0))
        dist, along = dist.reshape(len(todo), kk), along.reshape(len(todo), kk)
        j = np.argmin(dist, axis=1)
        rows = np.arange(len(todo))
        best[todo], d[todo], s[todo] = cand[rows, j], dist[rows, j], along[rows, j]
        todo = todo[~((dm[:, -1] > d[todo] + index.half + 1e-9) | (kk >= len(use)))]
        if len(todo) == 0:
            break
    if len(todo):
        (pi, ti), _ = index.strtree.query_nearest(shapely.points(xy_[todo]), return_distance=True, all_matches=False)
        dd, ss = seg.project(use[ti], xy_[todo][pi])
        best[todo[pi]], d[todo[pi]], s[todo[pi]] = use[ti], dd, ss
    edge = seg.edge[best]
    return gn.Attachment(edge, np.clip(net.start_m[edge] + s, 0.0, net.length_m[edge]), d)


@pytest.mark.parametrize("selection", ["all", "hardened"])
def test_walking_legs_equal_the_former_implementation_bit_for_bit(selection: str, monkeypatch: pytest.MonkeyPatch):
    rng = np.random.default_rng(62)
    net = gn.build_network(jittered_roads(rng), crs=UTM)
    edges = None if selection == "all" else net.hardened
    pts = np.vstack([xy(*map(tuple, rng.uniform(-2000, 9000, (20_000, 2)))), net.node_xy,
                     shapely.get_coordinates(shapely.line_interpolate_point(net.geometry, 0.3, normalized=True))])
    monkeypatch.setattr(gn, "ATTACH_BLOCK", 3001)  # several blocks, the last one short
    got, want = gn.attach(net, pts, edges=edges), reference_attach(net, pts, edges)
    for field in ("edge", "pos_m", "walk_m"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
    assert (got.walk_m > 1000).sum() > 100  # points far from any road: the wider rounds ran too
