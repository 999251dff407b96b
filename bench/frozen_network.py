"""Frozen copy of the walking legs and catchments along roads of ``bangfu.geo.network`` as on main before this
round of issue 16 item 6 (the "former code" baseline of ``bench_network.py --part b``, and the oracle of
``tests/test_network_fast.py``): ``attach`` measures the k candidate segments of every point on (n·k)
repeated points, ``catchment_pairs`` measures every (source, edge end or anchor, point) candidate and then
removes the duplicates. Same answers as today's code, bit for bit; only slower.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from bangfu.geo import network as gn

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]


def attach(net: gn.RoadNetwork, xy: Any, *, edges: Any | None = None) -> gn.Attachment:
    """``attach`` / ``Segments.nearest`` as on main: the k nearest midpoints measured with
    :meth:`Segments.project` on (n·k) repeated points, all points at once."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    seg, index = net.segments, net.segment_index(edges)
    use, n = index.use, len(xy)
    best, d, s = np.zeros(n, np.int64), np.full(n, np.inf), np.zeros(n)
    todo = np.arange(n)
    for kk in (8, 32, 128):
        kk = min(kk, len(use))
        dm, im = index.kdtree.query(xy[todo], k=kk)
        dm, im = dm.reshape(len(todo), kk), im.reshape(len(todo), kk)
        cand = use[im]
        dist, along = seg.project(cand.reshape(-1), np.repeat(xy[todo], kk, axis=0))
        dist, along = dist.reshape(len(todo), kk), along.reshape(len(todo), kk)
        j = np.argmin(dist, axis=1)
        rows = np.arange(len(todo))
        best[todo], d[todo], s[todo] = cand[rows, j], dist[rows, j], along[rows, j]
        todo = todo[~((dm[:, -1] > d[todo] + index.half + 1e-9) | (kk >= len(use)))]
        if len(todo) == 0:
            break
    if len(todo):
        (pi, ti), _ = index.strtree.query_nearest(shapely.points(xy[todo]), return_distance=True, all_matches=False)
        dd, ss = seg.project(use[ti], xy[todo][pi])
        best[todo[pi]], d[todo[pi]], s[todo[pi]] = use[ti], dd, ss
    edge = seg.edge[best]
    return gn.Attachment(edge, np.clip(net.start_m[edge] + s, 0.0, net.length_m[edge]), d)


def _min_csr(rows: I64, cols: I64, w: F64, n: int) -> sp.csr_matrix:
    """CSR matrix with the smallest weight of duplicated (row, col) entries (zeros stay edges)."""
    if len(rows):
        order = np.lexsort((w, cols, rows))
        rows, cols, w = rows[order], cols[order], w[order]
        first = np.ones(len(rows), bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, w = rows[first], cols[first], w[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return sp.csr_matrix((w, cols.astype(np.int64), indptr), shape=(n, n))


def _source_rows(net: gn.RoadNetwork, anchors: gn.Anchors, virtual: I64) -> tuple[I64, I64, F64]:
    """Arcs virtual source → both ends of each anchor's edge (directed: nothing passes through a source)."""
    e = anchors.edge
    rows = np.concatenate([virtual, virtual])
    cols = np.concatenate([net.u[e], net.v[e]])
    w = np.concatenate([anchors.offset_m + anchors.pos_m, anchors.offset_m + net.length_m[e] - anchors.pos_m])
    return rows, cols, w


def _sorted_unique(key: I64) -> I64:
    """The distinct keys in increasing order: an in-place sort and a neighbour comparison (``np.unique``
    hashes in NumPy ≥ 2.3 and then sorts the distinct values, about twice the time on millions of keys)."""
    key.sort()
    if len(key) < 2:
        return key
    keep = np.empty(len(key), dtype=bool)
    keep[0] = True
    np.not_equal(key[1:], key[:-1], out=keep[1:])
    return key[keep]


def catchment_pairs(
    net: gn.RoadNetwork,
    anchors: gn.Anchors,
    distance: F64,
    att: gn.Attachment,
    *,
    edges: Bool | None = None,
    chunk: int = 256,
) -> tuple[I64, I64]:
    """(source, point) pairs with the point's walking leg + network distance + the source's walking leg
    within ``distance[source]`` (distance <= d counts), sorted by source then point.

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
    out_s: list[I64] = []
    out_p: list[I64] = []
    for c0 in range(0, n_src, chunk):
        c1 = min(c0 + chunk, n_src)
        ai = a_order[a_ptr[c0]:a_ptr[c1]]
        ai = ai[sel[anchors.edge[ai]]]
        sub = gn.Anchors(anchors.owner[ai] - c0, anchors.edge[ai], anchors.pos_m[ai], anchors.offset_m[ai])
        rows, cols, w = _source_rows(net, sub, net.n_nodes + sub.owner)
        g = _min_csr(np.concatenate([base_rows, rows]), np.concatenate([base_cols, cols]),
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
        key = _sorted_unique((src[ok] + c0).astype(np.int64) * np.int64(len(att.edge)) + pt[ok])
        out_s.append(key // len(att.edge))
        out_p.append(key % len(att.edge))
    if not out_s:
        return empty, empty
    return np.concatenate(out_s), np.concatenate(out_p)
