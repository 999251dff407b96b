"""Roads as a routable network: nodes and metric edges, hardened flags, seats, walking legs and sparse shortest paths.

Model (docs/roads.md, "Roads as a network"):

* **Nodes** lie where roads end or meet. Every road (each part of a multi-part line) is cut where
  another road crosses it, where another road's end lies within ``tolerance_m`` of it (a T-junction
  drawn a few metres short), and at shared vertices. Piece ends closer than ``tolerance_m`` become one
  node (at their mean position); how many were joined is reported.
* **Edges** are the pieces between nodes. Length (metres, in a metric CRS: the UTM zone of the data)
  = the piece's length plus the straight connectors from its ends to their nodes, so no path is ever
  shorter than the straight line between its ends. An edge is hardened when its road's status is
  :data:`bangfu.core.vocab.HARDENED`.
* **Walking leg**: a point (household, village seat, project) walks in a straight line to the nearest
  point of the nearest usable edge; the edge is split there virtually (no graph change).
* **Shortest paths** are multi-source Dijkstra searches on a ``scipy.sparse`` graph with a distance
  limit (:func:`scipy.sparse.csgraph.dijkstra`, ``min_only=True`` for "nearest of many sources"; one
  virtual source node per catchment otherwise): never one search per household.

Data-quality problems are returned as :class:`NetworkIssue` rows (kind, road or village, distance),
never raised: disconnected pieces, dangling ends, gaps over the tolerance, duplicated and zero-length
roads, multi-part lines, villages without a road and seats outside their village.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components, dijkstra

from bangfu.core import vocab
from bangfu.geo.crs import metric_crs

__all__ = [
    "DEFAULT_TOLERANCE_M", "GAP_SEARCH_M", "Segments", "SegmentIndex", "ANCHOR_SPACING_M", "ISSUE_KINDS", "NetworkIssue", "RoadNetwork",
    "Attachment", "Anchors", "build_network", "attach", "anchors_near", "anchors_for", "node_distances", "point_distances",
    "nearest_source_distance", "catchment_pairs", "village_seats", "town_seats", "road_groups",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]
Obj = NDArray[np.object_]

#: Road ends closer than this (metres) are joined into one node; a road end this close to another road cuts it.
DEFAULT_TOLERANCE_M = 5.0
#: A dangling end within this distance of another road (but beyond the tolerance) is reported as a gap.
GAP_SEARCH_M = 25.0
#: Edge geometries are cut into straight segments at most this long (metres) for nearest-road queries. Any
#: length gives the same (exact) walking legs; 100 m makes a million walking legs about twice as fast as 20 m
#: (fewer segments to index, and the 8 nearest midpoints settle all but a few per cent of the points).
SEGMENT_M = 100.0
#: Points per block in :func:`attach` (the answer does not depend on it; smaller blocks keep the work in the cache).
ATTACH_BLOCK = 131_072
#: Roads shorter than this (metres) are zero-length: reported and left out of the network.
ZERO_LENGTH_M = 0.01
#: Spacing (metres) of the points at which a line or polygon project meets the network.
ANCHOR_SPACING_M = 50.0
#: Kinds of :class:`NetworkIssue`, most serious first (labels ``network.issue.<kind>``).
ISSUE_KINDS: tuple[str, ...] = (
    "component", "gap", "duplicate", "zero_length", "multipart", "no_road", "seat_outside", "town_seat_outside",
    "dangling", "snapped",
)


@dataclass(frozen=True)
class NetworkIssue:
    """One data-quality finding: ``kind`` (of :data:`ISSUE_KINDS`), the road or village it is about,
    a distance or length in metres where it has one (NaN otherwise) and the other road or roads involved."""

    kind: str
    subject: str
    metres: float = float("nan")
    other: str = ""


@dataclass(frozen=True)
class SegmentIndex:
    """Spatial indexes of a selection of ``segments`` (``use``): a k-d tree of their midpoints, half the
    longest segment's length, and a GEOS STR-tree (made on first use: only the rare points the k-d tree
    leaves unsure and :func:`anchors_near` need it)."""

    segments: Segments
    use: I64
    kdtree: Any
    half: float

    @cached_property
    def strtree(self) -> shapely.STRtree:
        """GEOS STR-tree over the selected segments' geometries (item ``i`` is segment ``use[i]``)."""
        return shapely.STRtree(self.segments.geometry[self.use])


@dataclass(frozen=True)
class Segments:
    """The straight segments of the edges' geometries: ends ``a``/``b``, ``edge``, and ``before`` (length
    of the edge's geometry before the segment) — nearest-point queries on segments are cheap."""

    a: F64
    b: F64
    edge: I64
    before: F64

    @cached_property
    def geometry(self) -> Obj:
        """The segments as GEOS line strings (made on first use)."""
        return np.asarray(shapely.linestrings(np.stack([self.a, self.b], axis=1)), dtype=object) if len(self.a) \
            else np.zeros(0, object)

    @cached_property
    def vectors(self) -> tuple[F64, F64, F64, F64, F64, F64]:
        """Per segment: start (x, y), direction (b − a as x, y), squared length and length."""
        ax, ay = self.a[:, 0].copy(), self.a[:, 1].copy()
        ex, ey = self.b[:, 0] - ax, self.b[:, 1] - ay
        len2 = ex * ex + ey * ey
        return ax, ay, ex, ey, len2, np.sqrt(len2)

    def nearest(self, xy: F64, index: SegmentIndex, *, k: int = 8) -> tuple[I64, F64, F64]:
        """For each point, the nearest of the indexed segments: (segment, distance, distance along its edge).

        Exact: segments are at most :data:`SEGMENT_M` long, so the nearest one has its midpoint within
        (distance + half the longest segment) of the point; the ``k`` nearest midpoints (a k-d tree) are
        measured, and the points for which the k-th midpoint is not beyond that bound go through a GEOS STR-tree.
        """
        use = index.use
        n = len(xy)
        best, d, s = np.zeros(n, np.int64), np.full(n, np.inf), np.zeros(n)
        todo = np.arange(n)
        _, _, _, _, _, seg_len = self.vectors
        for kk in (k, 4 * k, 16 * k):  # more midpoints for the points the bound leaves unsure
            kk = min(kk, len(use))
            pts = xy[todo]
            dm, im = index.kdtree.query(pts, k=kk)
            dm, im = dm.reshape(len(todo), kk), im.reshape(len(todo), kk)
            cand: I64 = use[im]
            dist, t = self._measure(cand, pts)
            j = np.argmin(dist, axis=1)
            rows = np.arange(len(todo))
            c = cand[rows, j]
            best[todo], d[todo] = c, dist[rows, j]
            s[todo] = self.before[c] + t[rows, j] * seg_len[c]
            sure = (dm[:, -1] > d[todo] + index.half + 1e-9) | (kk >= len(use))
            todo = todo[~sure]
            if len(todo) == 0:
                return best, d, s
        (pi, ti), _ = index.strtree.query_nearest(shapely.points(xy[todo]), return_distance=True, all_matches=False)
        kk_ = use[ti]
        dd, ss = self.project(kk_, xy[todo][pi])
        best[todo[pi]], d[todo[pi]], s[todo[pi]] = kk_, dd, ss
        return best, d, s

    def _measure(self, cand: I64, pts: F64) -> tuple[F64, F64]:
        """(distance, fraction along the segment of the nearest point) from each point (row of ``pts``) to each
        of its candidate segments (row of ``cand``): :meth:`project`'s arithmetic, in place on (n, k) arrays."""
        ax, ay, ex, ey, len2, _ = self.vectors
        px = pts[:, :1] - ax[cand]
        py = pts[:, 1:] - ay[cand]
        cx, cy, l2 = ex[cand], ey[cand], len2[cand]
        t = px * cx
        t += py * cy
        with np.errstate(divide="ignore", invalid="ignore"):
            t /= l2
        t[~(l2 > 0)] = 0.0
        np.clip(t, 0.0, 1.0, out=t)
        cx *= t
        cy *= t
        px -= cx
        py -= cy
        px *= px
        py *= py
        px += py
        return np.sqrt(px, out=px), t

    def project(self, k: I64, xy: F64) -> tuple[F64, F64]:
        """(distance from each point to segment ``k``, distance along its edge's geometry to the nearest point)."""
        ax, ay = self.a[k, 0], self.a[k, 1]
        ex, ey = self.b[k, 0] - ax, self.b[k, 1] - ay
        px, py = xy[:, 0] - ax, xy[:, 1] - ay
        len2 = ex * ex + ey * ey
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(len2 > 0, (px * ex + py * ey) / len2, 0.0)
        np.clip(t, 0.0, 1.0, out=t)
        qx, qy = px - t * ex, py - t * ey
        return np.sqrt(qx * qx + qy * qy), self.before[k] + t * np.sqrt(len2)


@dataclass(frozen=True)
class RoadNetwork:
    """A routable road network in a metric CRS (see the module docstring for the model).

    Edge arrays are aligned: edge ``e`` runs from node ``u[e]`` to node ``v[e]``; ``start_m[e]`` is the
    connector from ``u[e]`` to the start of its geometry, so a point at distance ``s`` along the geometry
    is ``start_m[e] + s`` from ``u[e]`` and ``length_m[e] - start_m[e] - s`` from ``v[e]``.
    """

    crs: str
    tolerance_m: float
    node_xy: F64
    u: I64
    v: I64
    length_m: F64
    start_m: F64
    hardened: Bool
    road_id: Obj
    road_class: Obj
    status: Obj
    geometry: Obj
    issues: tuple[NetworkIssue, ...]
    n_snapped: int

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return len(self.u)

    def graph(self, edges: Bool | None = None, *, extra: int = 0) -> sp.csr_matrix:
        """The (directed, both ways) sparse adjacency of the ``edges`` selected (all by default), with
        ``extra`` empty rows/columns after the nodes for virtual sources. Parallel edges keep the shortest."""
        sel = np.ones(self.n_edges, bool) if edges is None else np.asarray(edges, bool)
        rows = np.concatenate([self.u[sel], self.v[sel]])
        cols = np.concatenate([self.v[sel], self.u[sel]])
        w = np.concatenate([self.length_m[sel], self.length_m[sel]])
        return _min_csr(rows, cols, w, self.n_nodes + extra)

    @cached_property
    def components(self) -> tuple[int, I64]:
        """(number of components, component label per node) of the whole network."""
        n, labels = connected_components(self.graph(), directed=False)
        return int(n), labels.astype(np.int64)

    @cached_property
    def segments(self) -> Segments:
        """The edges' straight segments (for walking legs)."""
        coords, idx = shapely.get_coordinates(shapely.segmentize(self.geometry, SEGMENT_M), return_index=True)
        same = idx[1:] == idx[:-1]
        a, b, e = coords[:-1][same], coords[1:][same], idx[:-1][same].astype(np.int64)
        seg = np.sqrt(((b - a) ** 2).sum(axis=1))
        cum = np.cumsum(seg)
        first = np.zeros(self.n_edges, np.float64)
        starts = np.flatnonzero(np.r_[True, e[1:] != e[:-1]]) if len(e) else np.zeros(0, np.int64)
        first[e[starts]] = cum[starts] - seg[starts]
        before = cum - seg - first[e]
        return Segments(a, b, e, before)

    @cached_property
    def _indexes(self) -> dict[bytes, SegmentIndex]:
        return {}

    def segment_index(self, edges: Bool | None = None) -> SegmentIndex:
        """The spatial indexes of the segments of the selected edges, built once per selection."""
        from scipy.spatial import cKDTree

        sel = np.ones(self.n_edges, bool) if edges is None else np.asarray(edges, bool)
        key = np.packbits(sel).tobytes() + bytes([len(sel) % 8])
        hit = self._indexes.get(key)
        if hit is None:
            seg = self.segments
            use = np.flatnonzero(sel[seg.edge]).astype(np.int64)
            mid = (seg.a[use] + seg.b[use]) / 2
            lengths = np.sqrt(((seg.b[use] - seg.a[use]) ** 2).sum(axis=1))
            hit = SegmentIndex(seg, use, cKDTree(mid) if len(use) else None, float(lengths.max() / 2) if len(use) else 0.0)
            if len(self._indexes) >= 8:
                self._indexes.clear()
            self._indexes[key] = hit
        return hit

    def edge_tree(self, edges: Bool | None = None) -> tuple[shapely.STRtree, I64]:
        """An STR-tree over the selected edges' geometries and the edge numbers of its items."""
        idx = np.arange(self.n_edges, dtype=np.int64) if edges is None else np.flatnonzero(edges).astype(np.int64)
        return shapely.STRtree(self.geometry[idx]), idx


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


# --------------------------------------------------------------------------- building


def _split_line(coords: F64, cuts: F64) -> list[F64]:
    """Pieces of a polyline (``coords``) cut at the distances ``cuts`` along it (sorted, inside (0, L))."""
    seg = np.sqrt((np.diff(coords, axis=0) ** 2).sum(axis=1))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    bounds = np.concatenate([[0.0], cuts, [cum[-1]]])

    def at(s: float) -> F64:
        return np.array([np.interp(s, cum, coords[:, 0]), np.interp(s, cum, coords[:, 1])])

    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        inner = coords[(cum > a) & (cum < b)]
        out.append(np.vstack([at(float(a)), inner, at(float(b))]))
    return out


def _cut_positions(parts: Obj, tol: float) -> list[F64]:
    """Per part: distances along it where another part crosses it, touches it or ends within ``tol``."""
    n = len(parts)
    lengths = shapely.length(parts)
    cuts: list[list[float]] = [[] for _ in range(n)]
    if n == 0:
        return []
    tree = shapely.STRtree(parts)
    # ends of other parts within tol of a part's interior (T-junctions, also drawn a little short)
    ends = np.concatenate([shapely.get_point(parts, 0), shapely.get_point(parts, -1)])
    ei, pj = tree.query(ends, predicate="dwithin", distance=tol)
    locs = shapely.line_locate_point(parts[pj], ends[ei]) if len(ei) else np.zeros(0)
    inner = (locs > tol) & (locs < lengths[pj] - tol)
    for p, s in zip(pj[inner], locs[inner]):
        cuts[p].append(float(s))
    # crossings and shared points between parts (and a part with itself: loops)
    a, b = tree.query(parts, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if len(a):
        inter = shapely.intersection(parts[a], parts[b])
        pts, which = shapely.get_parts(inter, return_index=True)
        # overlapping stretches (lines) are cut at their ends
        coords, cidx = shapely.get_coordinates(pts, return_index=True)
        w = which[cidx]
        pt = shapely.points(coords)
        for side in (a, b):
            s = shapely.line_locate_point(parts[side[w]], pt)
            for p, val in zip(side[w], s):
                cuts[p].append(float(val))
    out = []
    for p in range(n):
        c = np.unique(np.asarray(cuts[p], dtype=np.float64))
        out.append(c[(c > 1e-6) & (c < lengths[p] - 1e-6)])
    return out


def _cluster(points: F64, tol: float) -> tuple[I64, int]:
    """Cluster label per point (points within ``tol`` of each other, transitively) and the number of clusters."""
    n = len(points)
    if n == 0:
        return np.zeros(0, np.int64), 0
    # identical coordinates first (exact joins), then the tolerance
    _, first, inv = np.unique(points, axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    uniq = points[first]
    geoms = shapely.points(uniq)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=tol)
    adj = sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(len(uniq), len(uniq)))
    k, lab = connected_components(adj, directed=False)
    return lab[inv].astype(np.int64), int(k)


def road_groups(geoms: Obj, tolerance_m: float = DEFAULT_TOLERANCE_M) -> I64:
    """A group number per road (metric geometries): roads within ``tolerance_m`` of each other, transitively,
    share one; a missing or empty geometry is a group of its own.

    Everything :func:`build_network` joins lies within the tolerance (a crossing or touch cuts both roads, an
    end within the tolerance of another road cuts it, ends within the tolerance become one node), so the
    network of the roads of a union of groups is the whole layer's network restricted to those roads, piece for
    piece and node for node: what an area needs can be built from its groups alone (:func:`bangfu.indicators.
    network.area_network_data`)."""
    n = len(geoms)
    if n == 0:
        return np.zeros(0, np.int64)
    ok = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    a, b = shapely.STRtree(geoms[ok]).query(geoms[ok], predicate="dwithin", distance=tolerance_m * (1 + 1e-9) + 1e-6)
    adj = sp.csr_matrix((np.ones(len(a)), (ok[a], ok[b])), shape=(n, n))
    _, lab = connected_components(adj, directed=False)
    return np.asarray(lab, dtype=np.int64)


def _road_issues(ids: Obj, geoms: Obj) -> tuple[list[NetworkIssue], Bool]:
    """Per-road issues (zero-length, multi-part, duplicated) and which roads are usable."""
    issues: list[NetworkIssue] = []
    missing = shapely.is_missing(geoms)
    safe = np.where(missing, shapely.LineString(), geoms)
    length = shapely.length(safe)
    usable = ~missing & (length >= ZERO_LENGTH_M)
    for k in np.flatnonzero(~usable):
        issues.append(NetworkIssue("zero_length", str(ids[k]), float(length[k])))
    nparts = shapely.get_num_geometries(safe)
    for k in np.flatnonzero(usable & (nparts > 1)):
        issues.append(NetworkIssue("multipart", str(ids[k]), float(nparts[k])))
    if usable.any():
        wkb = pd.Series(shapely.to_wkb(shapely.normalize(safe[usable])), index=np.flatnonzero(usable))
        for _, grp in wkb.groupby(wkb, sort=False):
            if len(grp) > 1:
                first, *rest = [str(ids[k]) for k in grp.index]
                for r in rest:
                    issues.append(NetworkIssue("duplicate", r, float(length[grp.index[0]]), first))
    return issues, usable


def build_network(
    roads: gpd.GeoDataFrame, *, crs: str | None = None, tolerance_m: float = DEFAULT_TOLERANCE_M
) -> RoadNetwork:
    """The routable network of a roads layer (``road_id``, ``status``, optional ``road_class``; any CRS).

    Measured in ``crs`` (default: the UTM zone of the roads). Issues are collected in ``issues``.
    """
    if tolerance_m < 0:
        raise ValueError(f"tolerance_m must be >= 0, got {tolerance_m}")
    crs = crs or (metric_crs(roads) if not roads.empty else "EPSG:32650")
    rm = roads.to_crs(crs) if not roads.empty and roads.crs is not None else roads
    ids = rm["road_id"].astype(str).to_numpy(dtype=object) if len(rm) else np.zeros(0, object)
    geoms = np.asarray(rm.geometry.values, dtype=object) if len(rm) else np.zeros(0, object)
    issues, usable = _road_issues(ids, geoms)
    rows = np.flatnonzero(usable)
    parts, pidx = shapely.get_parts(geoms[rows], return_index=True)
    plen = shapely.length(parts)
    ok = plen >= ZERO_LENGTH_M
    parts, proad = parts[ok], rows[pidx[ok]]
    cuts = _cut_positions(parts, tolerance_m)
    pieces: list[F64] = []
    piece_road: list[int] = []
    for p, c in zip(parts, cuts):
        pieces_p = _split_line(shapely.get_coordinates(p), c)
        pieces += pieces_p
    for r, c in zip(proad, cuts):
        piece_road += [int(r)] * (len(c) + 1)
    road_of = np.asarray(piece_road, dtype=np.int64)
    starts = np.array([q[0] for q in pieces]).reshape(-1, 2)
    ends = np.array([q[-1] for q in pieces]).reshape(-1, 2)
    label, n_nodes = _cluster(np.vstack([starts, ends]), tolerance_m)
    m = len(pieces)
    u, v = label[:m], label[m:]
    ends_all = np.vstack([starts, ends])
    node_xy = np.zeros((n_nodes, 2))
    if n_nodes:
        cnt = np.bincount(label, minlength=n_nodes)
        node_xy[:, 0] = np.bincount(label, weights=ends_all[:, 0], minlength=n_nodes) / cnt
        node_xy[:, 1] = np.bincount(label, weights=ends_all[:, 1], minlength=n_nodes) / cnt
    moved = np.sqrt(((ends_all - node_xy[label]) ** 2).sum(axis=1)) if n_nodes else np.zeros(0)
    start_m, end_m = moved[:m], moved[m:]
    sizes = np.array([len(q) for q in pieces], dtype=np.int64)
    geom = (
        np.asarray(shapely.linestrings(np.vstack(pieces), indices=np.repeat(np.arange(m), sizes)), dtype=object)
        if m else np.zeros(0, object)
    )
    glen = shapely.length(geom) if m else np.zeros(0)
    status = rm["status"].astype(str).to_numpy(dtype=object)[road_of] if m else np.zeros(0, object)
    rclass = (
        rm["road_class"].astype(object).to_numpy(dtype=object)[road_of]
        if m and "road_class" in rm.columns else np.full(m, None, dtype=object)
    )
    net = RoadNetwork(
        crs=str(crs), tolerance_m=float(tolerance_m), node_xy=node_xy, u=u, v=v,
        length_m=start_m + glen + end_m, start_m=start_m, hardened=status == vocab.HARDENED,
        road_id=ids[road_of] if m else np.zeros(0, object), road_class=rclass, status=status, geometry=geom,
        issues=(), n_snapped=0,
    )
    snapped = _snap_issues(net, label, moved, m)
    found = issues + snapped + _topology_issues(net)
    order = {k: i for i, k in enumerate(ISSUE_KINDS)}
    found.sort(key=lambda x: (order.get(x.kind, 99), x.subject))
    return replace(net, issues=tuple(found), n_snapped=len(snapped))


def _snap_issues(net: RoadNetwork, label: I64, moved: F64, m: int) -> list[NetworkIssue]:
    """One issue per node that joined road ends which did not meet exactly."""
    out: list[NetworkIssue] = []
    if len(moved) == 0:
        return out
    edge_of = np.concatenate([np.arange(m), np.arange(m)])
    frame = pd.DataFrame({"node": label, "moved": moved, "road": net.road_id[edge_of]})
    for _, grp in frame[frame.groupby("node")["moved"].transform("max") > 1e-6].groupby("node"):
        roads = sorted(set(map(str, grp["road"])))
        out.append(NetworkIssue("snapped", roads[0], float(2 * grp["moved"].max()), "、".join(roads[1:])))
    return out


def _topology_issues(net: RoadNetwork) -> list[NetworkIssue]:
    """Disconnected pieces (all but the largest), gaps over the tolerance and dangling ends."""
    out: list[NetworkIssue] = []
    if net.n_edges == 0:
        return out
    n_comp, lab = net.components
    if n_comp > 1:
        edge_lab = lab[net.u]
        size = np.bincount(edge_lab, weights=net.length_m, minlength=n_comp)
        main = int(np.argmax(size))
        for c in np.argsort(-size):
            if c == main or size[c] == 0:
                continue
            roads = sorted(set(map(str, net.road_id[edge_lab == c])))
            out.append(NetworkIssue("component", roads[0], float(size[c]), "、".join(roads[1:])))
    degree = np.bincount(np.concatenate([net.u, net.v]), minlength=net.n_nodes)
    dangling = np.flatnonzero(degree == 1)
    if len(dangling) == 0:
        return out
    tree, idx = net.edge_tree()
    pts = shapely.points(net.node_xy[dangling])
    pi, ej = tree.query(pts, predicate="dwithin", distance=GAP_SEARCH_M)
    ej = idx[ej]
    node = dangling[pi]
    other = (net.u[ej] != node) & (net.v[ej] != node)
    gap: dict[int, tuple[float, str]] = {}
    if other.any():
        d = shapely.distance(pts[pi[other]], net.geometry[ej[other]])
        for n_, e_, dd in zip(node[other], ej[other], d):
            if dd > net.tolerance_m and (n_ not in gap or dd < gap[n_][0]):
                gap[int(n_)] = (float(dd), str(net.road_id[e_]))
    own = pd.Series(np.concatenate([net.road_id, net.road_id]), index=np.concatenate([net.u, net.v]))
    own = own[~own.index.duplicated()]
    for n_ in dangling:
        road = str(own.get(n_, ""))
        if int(n_) in gap:
            dd, other_road = gap[int(n_)]
            if other_road != road:
                out.append(NetworkIssue("gap", road, dd, other_road))
                continue
        out.append(NetworkIssue("dangling", road))
    return out


# --------------------------------------------------------------------------- walking legs


@dataclass(frozen=True)
class Attachment:
    """Where points meet the network: nearest ``edge`` (−1: none), distance ``pos_m`` from its ``u`` node
    along the edge, and the straight walking leg ``walk_m`` (inf when there is no usable edge)."""

    edge: I64
    pos_m: F64
    walk_m: F64


def attach(net: RoadNetwork, xy: F64, *, edges: Bool | None = None) -> Attachment:
    """Each point's walking leg to the nearest point of the nearest selected edge (all edges by default)."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    n = len(xy)
    edge = np.full(n, -1, dtype=np.int64)
    pos = np.zeros(n)
    walk = np.full(n, np.inf)
    seg = net.segments
    index = net.segment_index(edges)
    if n == 0 or len(index.use) == 0:
        return Attachment(edge, pos, walk)
    for b0 in range(0, n, ATTACH_BLOCK):  # blocks: the (block, k) work arrays stay in the cache
        b1 = min(b0 + ATTACH_BLOCK, n)
        k, d, along = seg.nearest(xy[b0:b1], index)
        e = seg.edge[k]
        edge[b0:b1], walk[b0:b1] = e, d
        pos[b0:b1] = np.clip(net.start_m[e] + along, 0.0, net.length_m[e])
    return Attachment(edge, pos, walk)


@dataclass(frozen=True)
class Anchors:
    """Points where sources (projects, seats) meet the network: ``owner`` (source number), attachment
    (``edge``, ``pos_m``) and ``offset_m`` (the source's own walking leg, 0 for a point on a road)."""

    owner: I64
    edge: I64
    pos_m: F64
    offset_m: F64


def anchors_near(net: RoadNetwork, xy: F64, radius_m: float, *, edges: Bool | None = None) -> Anchors:
    """Anchors of points on every selected edge within ``radius_m`` (owner = point number), at the
    nearest point of each edge with the straight distance as the offset."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    seg = net.segments
    index = net.segment_index(edges)
    if len(xy) == 0 or len(index.use) == 0:
        z = np.zeros(0, np.int64)
        return Anchors(z, z, np.zeros(0), np.zeros(0))
    pi, ti = index.strtree.query(shapely.points(xy), predicate="dwithin", distance=radius_m)
    k = index.use[ti]
    d, s = seg.project(k, xy[pi])
    frame = pd.DataFrame({"p": pi, "e": seg.edge[k], "d": d, "s": s}).sort_values(["p", "e", "d", "s"])
    frame = frame.drop_duplicates(["p", "e"])
    e = frame["e"].to_numpy(np.int64)
    pos = np.clip(net.start_m[e] + frame["s"].to_numpy(np.float64), 0.0, net.length_m[e])
    return Anchors(frame["p"].to_numpy(np.int64), e, pos,
                   frame["d"].to_numpy(np.float64))


def anchors_for(
    net: RoadNetwork, geoms: Obj, *, edges: Bool | None = None, spacing_m: float = ANCHOR_SPACING_M
) -> Anchors:
    """Anchors of metric geometries: a point meets the network once; a line at its vertices after
    densifying to ``spacing_m``; a polygon at its boundary's (same) and at a point inside it."""
    geoms = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    idx = np.flatnonzero(ok)
    g = geoms[idx]
    kind = shapely.get_type_id(g)
    poly = np.isin(kind, [3, 6])
    shapes = np.where(poly, shapely.boundary(g), g) if len(g) else g
    dense = shapely.segmentize(shapes, spacing_m) if len(g) else g
    coords, cidx = shapely.get_coordinates(dense, return_index=True)
    if poly.any():
        inner = shapely.point_on_surface(g[poly])
        coords = np.vstack([coords, shapely.get_coordinates(inner)])
        cidx = np.concatenate([cidx, np.flatnonzero(poly)])
    owner = idx[cidx].astype(np.int64)
    att = attach(net, coords, edges=edges)
    keep = att.edge >= 0
    return Anchors(owner[keep], att.edge[keep], att.pos_m[keep], att.walk_m[keep])


# --------------------------------------------------------------------------- shortest paths


def _source_rows(net: RoadNetwork, anchors: Anchors, virtual: I64) -> tuple[I64, I64, F64]:
    """Arcs virtual source → both ends of each anchor's edge (directed: nothing passes through a source)."""
    e = anchors.edge
    rows = np.concatenate([virtual, virtual])
    cols = np.concatenate([net.u[e], net.v[e]])
    w = np.concatenate([anchors.offset_m + anchors.pos_m, anchors.offset_m + net.length_m[e] - anchors.pos_m])
    return rows, cols, w


def _directed(net: RoadNetwork, edges: Bool | None, extra: tuple[I64, I64, F64], n_extra: int) -> sp.csr_matrix:
    sel = np.ones(net.n_edges, bool) if edges is None else np.asarray(edges, bool)
    rows = np.concatenate([net.u[sel], net.v[sel], extra[0]])
    cols = np.concatenate([net.v[sel], net.u[sel], extra[1]])
    w = np.concatenate([net.length_m[sel], net.length_m[sel], extra[2]])
    return _min_csr(rows.astype(np.int64), cols.astype(np.int64), w, net.n_nodes + n_extra)


def node_distances(
    net: RoadNetwork, anchors: Anchors, n_sources: int, *, edges: Bool | None = None, limit: float = np.inf
) -> F64:
    """Network distance (metres) from each source (the anchors of one owner, nearest of them) to every
    node, over the selected edges: array (n_sources, n_nodes), inf beyond ``limit`` or unreachable."""
    virtual = net.n_nodes + anchors.owner
    g = _directed(net, edges, _source_rows(net, anchors, virtual), n_sources)
    if n_sources == 0:
        return np.zeros((0, net.n_nodes))
    d = dijkstra(g, directed=True, indices=net.n_nodes + np.arange(n_sources), limit=limit)
    return np.asarray(d, dtype=np.float64).reshape(n_sources, -1)[:, : net.n_nodes]


def point_distances(net: RoadNetwork, node_dist: F64, att: Attachment, anchors: Anchors | None = None) -> F64:
    """Walking leg + network distance from each attached point to the source of ``node_dist`` (one row
    of :func:`node_distances`); ``anchors`` (of that source) adds the direct way along a shared edge."""
    e = att.edge
    out = np.full(len(e), np.inf)
    has = e >= 0
    ee, pp = e[has], att.pos_m[has]
    via = np.minimum(pp + node_dist[net.u[ee]], net.length_m[ee] - pp + node_dist[net.v[ee]])
    out[has] = att.walk_m[has] + via
    if anchors is not None and len(anchors.edge):
        frame = pd.DataFrame({"edge": anchors.edge, "apos": anchors.pos_m, "off": anchors.offset_m})
        pts = pd.DataFrame({"i": np.flatnonzero(has), "edge": ee, "pos": pp})
        both = pts.merge(frame, on="edge")
        if len(both):
            direct = both["off"].to_numpy() + np.abs(both["pos"].to_numpy() - both["apos"].to_numpy())
            best = pd.Series(direct).groupby(both["i"].to_numpy()).min()
            i = best.index.to_numpy()
            out[i] = np.minimum(out[i], att.walk_m[i] + best.to_numpy())
    return out


def nearest_source_distance(
    net: RoadNetwork, att: Attachment, source_edges: Bool, *, edges: Bool | None = None, limit: float = np.inf
) -> F64:
    """Walking leg + network distance from each point to the nearest point of any ``source_edges``
    (e.g. hardened roads), travelling on the selected ``edges``: one multi-source search
    (``min_only=True``). A point attached to a source edge is at its walking leg."""
    src = np.asarray(source_edges, bool)
    nodes = np.unique(np.concatenate([net.u[src], net.v[src]]))
    out = np.full(len(att.edge), np.inf)
    has = att.edge >= 0
    if len(nodes) == 0 or not has.any():
        return out
    g = net.graph(edges)
    d = np.asarray(dijkstra(g, directed=True, indices=nodes, limit=limit, min_only=True), dtype=np.float64)
    e, p = att.edge[has], att.pos_m[has]
    via = np.minimum(p + d[net.u[e]], net.length_m[e] - p + d[net.v[e]])
    out[has] = att.walk_m[has] + np.where(src[e], 0.0, via)
    return out


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


def _runs(start: I64, count: I64) -> I64:
    """The positions ``start[i] .. start[i] + count[i] - 1`` of every run, concatenated in run order."""
    total = int(count.sum())
    pos = np.arange(total, dtype=np.int64)
    pos += np.repeat(start - (np.cumsum(count) - count), count)
    return pos


#: Resolution of the integer sort keys of :class:`_EdgePoints` (1/1024 m) and the band (m) around a one-sided
#: pair's threshold inside which points are measured one by one: far wider than the key resolution and the
#: rounding of distances, so the points outside it are surely in or surely out.
_KEY_SCALE, _KEY_BAND = 1024.0, 0.01
_KEY_BITS = 31
#: One-sided pairs use the sorted keys only for distances well inside their range (1,000 km).
_ONE_SIDED_MAX_M = 2.0**30 / _KEY_SCALE


@dataclass(frozen=True)
class _EdgePoints:
    """Attached points grouped by edge: ``order`` (point numbers, by edge then number), ``ptr`` (CSR
    edge → slice of ``order``), their ``edge``/``pos``/``walk`` in that order, each edge's longest walking
    leg, and per end of the edge (``u``, ``v``) the points sorted by how far they are from that end
    (along the edge + walking leg): ``by[end]`` = positions in ``order``, ``key[end]`` = edge · 2³¹ +
    ⌊1024 · distance⌋, sorted (one binary search finds the points within a distance of an end)."""

    order: I64
    ptr: I64
    edge: I64
    pos: F64
    walk: F64
    max_walk: F64
    by: tuple[I64, I64]
    key: tuple[I64, I64]

    @classmethod
    def build(cls, net: RoadNetwork, att: Attachment, sel: Bool) -> _EdgePoints:
        has = np.flatnonzero(att.edge >= 0)
        has = has[sel[att.edge[has]]]
        order = has[np.argsort(att.edge[has], kind="stable")]
        edge = att.edge[order]
        ptr = np.zeros(net.n_edges + 1, np.int64)
        np.cumsum(np.bincount(edge, minlength=net.n_edges), out=ptr[1:])
        pos, walk = att.pos_m[order], att.walk_m[order]
        max_walk = np.full(net.n_edges, -np.inf)
        np.maximum.at(max_walk, edge, walk)
        by, key = [], []
        for along in (pos, net.length_m[edge] - pos):
            k = cls.quantize(along + walk)
            k += edge << _KEY_BITS
            o = np.argsort(k)
            by.append(o)
            key.append(k[o])
        return cls(order, ptr, edge, pos, walk, max_walk, (by[0], by[1]), (key[0], key[1]))

    @staticmethod
    def quantize(metres: F64) -> I64:
        """⌊1024 · metres⌋, clipped to [0, 2³¹ − 1] (about 2,000 km)."""
        q: I64 = np.floor(np.clip(metres, 0.0, (2**_KEY_BITS - 1) / _KEY_SCALE) * _KEY_SCALE).astype(np.int64)
        return q

    def split(self, end: int, e: I64, room: F64) -> tuple[I64, I64]:
        """For pairs reached from one ``end`` (0: u, 1: v) of edge ``e`` with ``room`` = distance − the end's
        distance: the positions in ``by[end]`` up to which points are surely in, and up to which they may be."""
        base = e << _KEY_BITS
        low = room - _KEY_BAND
        sure = np.searchsorted(self.key[end], np.where(low < 0, base - 1, base + self.quantize(low)), side="right")
        maybe = np.searchsorted(self.key[end], base + self.quantize(room + _KEY_BAND), side="right")
        return sure.astype(np.int64), maybe.astype(np.int64)


def _segmented_min(v: F64, group: I64) -> F64:
    """Running minimum of ``v`` restarting at every change of ``group`` (contiguous groups): a log-step scan."""
    v = v.copy()
    step = 1
    while step < len(v):
        same = group[step:] == group[:-step]
        if not same.any():
            break
        v[step:] = np.where(same, np.minimum(v[step:], v[:-step]), v[step:])
        step *= 2
    return v


def _undominated(anchors: Anchors) -> Anchors:
    """The anchors without those another anchor of the same source on the same edge beats everywhere by more
    than 1 µm (``offset_a + |pos_b − pos_a| <= offset_b − 1e-6``): then its arcs to the edge's ends and its
    direct way along the edge are longer than that anchor's for every point, so no distance changes, not even
    in the last bit (the rounding of these sums is far below 1 µm)."""
    if len(anchors.owner) < 2:
        return anchors
    o = np.lexsort((anchors.pos_m, anchors.edge, anchors.owner))
    owner, edge, pos, off = anchors.owner[o], anchors.edge[o], anchors.pos_m[o], anchors.offset_m[o]
    new = np.r_[True, (owner[1:] != owner[:-1]) | (edge[1:] != edge[:-1])]
    group = np.cumsum(new)
    # best other anchor before (to the u side of) and after each anchor, by a running minimum per group
    before = np.full(len(o), np.inf)
    before[1:] = np.where(new[1:], np.inf, _segmented_min(off - pos, group)[:-1])
    after = np.full(len(o), np.inf)
    after[:-1] = np.where(new[1:], np.inf, _segmented_min((off + pos)[::-1], group[::-1])[::-1][1:])
    keep = np.sort(o[~(np.minimum(before + pos, after - pos) <= off - 1e-6)])
    return Anchors(anchors.owner[keep], anchors.edge[keep], anchors.pos_m[keep], anchors.offset_m[keep])


def _chunk_distances(net: RoadNetwork, base: sp.csr_matrix, sub: Anchors, n_src: int, limit: float) -> F64:
    """Network distances (n_src, n_nodes) from ``n_src`` virtual sources (``sub.owner``) within ``limit``:
    the graph ``base`` with the sources' rows appended (arcs to both ends of each anchor's edge)."""
    n = net.n_nodes
    rows, cols, w = _source_rows(net, sub, sub.owner)
    vg = _min_csr(rows, cols, w, n_src)
    g = sp.csr_matrix((np.concatenate([base.data, vg.data]), np.concatenate([base.indices, vg.indices]),
                       np.concatenate([base.indptr, vg.indptr[1:] + base.indptr[-1]])), shape=(n + n_src, n + n_src))
    d = dijkstra(g, directed=True, indices=n + np.arange(n_src), limit=limit)
    return np.asarray(d, dtype=np.float64)[:, :n]


def _reached_edges(net: RoadNetwork, reach: Bool, sub: Anchors, pts: _EdgePoints,
                   inc: tuple[I64, I64, Bool]) -> tuple[I64, I64]:
    """The distinct (source, edge) pairs whose points may be in a catchment, sorted: edges with points
    incident to a node within the source's distance (``reach``), and the anchors' own edges."""
    n_ptr, inc_e, inc_u = inc
    flat = np.flatnonzero(reach)  # (a 2-D np.nonzero takes ten times as long)
    si, ni = flat // reach.shape[1], flat % reach.shape[1]
    k = _runs(n_ptr[ni], n_ptr[ni + 1] - n_ptr[ni])
    s_r, e_r = np.repeat(si, n_ptr[ni + 1] - n_ptr[ni]), inc_e[k]
    # an edge reached from both ends once: from u, or from v when u is not reached
    keep = inc_u[k] | ~reach[s_r, net.u[e_r]]
    ae = sub.edge
    extra = (pts.ptr[ae + 1] > pts.ptr[ae]) & ~reach[sub.owner, net.u[ae]] & ~reach[sub.owner, net.v[ae]]
    key = np.concatenate([s_r[keep], sub.owner[extra]]) * np.int64(net.n_edges)
    key += np.concatenate([e_r[keep], ae[extra]])
    key = _sorted_unique(key)
    return key // net.n_edges, key % net.n_edges


def catchment_pairs(
    net: RoadNetwork,
    anchors: Anchors,
    distance: F64,
    att: Attachment,
    *,
    edges: Bool | None = None,
    chunk: int = 256,
) -> tuple[I64, I64]:
    """(source, point) pairs with the point's walking leg + network distance + the source's walking leg
    within ``distance[source]`` (distance <= d counts), sorted by source then point.

    Sources go through :func:`scipy.sparse.csgraph.dijkstra` ``chunk`` at a time, each from its own
    virtual node (arcs to its anchors' edge ends) with the chunk's largest distance as the limit. Then per
    (source, edge) pair — an edge at a node reached, or an anchor's own edge — with the distances
    ``du``/``dv`` of its ends: a point at ``pos`` with walking leg ``w`` is in when
    ``min(du + pos, dv + (L - pos), offset + |pos - anchor pos| for the source's anchors on the edge) + w``
    is within the distance. An edge whose farthest point is surely in (its longest walking leg plus
    ``min(min(du, dv) + L, (du + dv + L) / 2)`` at least 1 µm inside) gives all its points without measuring
    any; an edge reached from one end only (and holding no anchor of the source) gives the points surely in
    as a prefix of its points sorted by distance from that end (:meth:`_EdgePoints.split`) and measures only
    a 1 cm band; the others are measured point by point. Each point lies on one edge, so no pair comes twice.
    Anchors another anchor of the same source and edge beats everywhere are dropped first
    (:func:`_undominated`). The sums measured are the former ones in the same order (minimum first, then the
    walking leg: rounding is monotonic), so the pairs equal measuring every candidate, bit for bit.
    """
    distance = np.asarray(distance, dtype=np.float64)
    n_src, n_pts = len(distance), len(att.edge)
    empty = np.zeros(0, np.int64)
    sel = np.ones(net.n_edges, bool) if edges is None else np.asarray(edges, bool)
    pts = _EdgePoints.build(net, att, sel)
    if n_src == 0 or len(pts.order) == 0 or len(anchors.owner) == 0:
        return empty, empty
    # node → incident selected edges that hold points (and whether the node is the edge's u)
    se = np.flatnonzero(sel & (pts.ptr[1:] > pts.ptr[:-1]))
    inc_node = np.concatenate([net.u[se], net.v[se]])
    io = np.argsort(inc_node, kind="stable")
    n_ptr = np.zeros(net.n_nodes + 1, np.int64)
    np.cumsum(np.bincount(inc_node, minlength=net.n_nodes), out=n_ptr[1:])
    inc = (n_ptr, np.concatenate([se, se])[io], np.repeat(np.array([True, False]), len(se))[io])
    base = net.graph(sel)
    anchors = _undominated(anchors)
    a_order = np.argsort(anchors.owner, kind="stable")
    a_ptr = np.zeros(n_src + 1, np.int64)
    np.cumsum(np.bincount(anchors.owner, minlength=n_src), out=a_ptr[1:])
    out: list[I64] = []
    for c0 in range(0, n_src, chunk):
        c1 = min(c0 + chunk, n_src)
        ai = a_order[a_ptr[c0]:a_ptr[c1]]
        ai = ai[sel[anchors.edge[ai]]]
        sub = Anchors(anchors.owner[ai] - c0, anchors.edge[ai], anchors.pos_m[ai], anchors.offset_m[ai])
        dmax = distance[c0:c1]
        d = _chunk_distances(net, base, sub, c1 - c0, float(dmax.max()))
        s_p, e_p = _reached_edges(net, d <= dmax[:, None], sub, pts, inc)
        if len(s_p) == 0:
            continue
        du, dv, lp, dp = d[s_p, net.u[e_p]], d[s_p, net.v[e_p]], net.length_m[e_p], dmax[s_p]
        far = np.minimum(np.minimum(du, dv) + lp, (du + dv + lp) / 2)
        inside = pts.max_walk[e_p] + far <= dp - 1e-6
        # pairs of a source with an anchor on the edge: the direct way along it needs every point measured
        pkey = s_p * np.int64(net.n_edges) + e_p
        akey = sub.owner * np.int64(net.n_edges) + sub.edge
        at = np.minimum(np.searchsorted(pkey, akey), len(pkey) - 1)
        anchored = np.zeros(len(pkey), bool)
        anchored[at[pkey[at] == akey]] = True
        reach_u, reach_v, small = du <= dp, dv <= dp, (dp - np.minimum(du, dv)) < _ONE_SIDED_MAX_M
        one = (~inside & ~anchored & small & reach_u & ~reach_v, ~inside & ~anchored & small & reach_v & ~reach_u)
        # edges surely inside: all their points
        ii = np.flatnonzero(inside)
        cnt = pts.ptr[e_p[ii] + 1] - pts.ptr[e_p[ii]]
        got_s, got_p = [np.repeat(s_p[ii], cnt)], [pts.order[_runs(pts.ptr[e_p[ii]], cnt)]]
        # edges reached from one end only: the points surely in are a prefix in that end's order; the
        # narrow band after it is measured
        band_k, band_pair = [], []
        for end, (mine, d_end) in enumerate(zip(one, (du, dv))):
            j = np.flatnonzero(mine)
            lo = pts.ptr[e_p[j]]
            sure, maybe = pts.split(end, e_p[j], dp[j] - d_end[j])
            got_s.append(np.repeat(s_p[j], sure - lo))
            got_p.append(pts.order[pts.by[end][_runs(lo, sure - lo)]])
            band_k.append(pts.by[end][_runs(sure, maybe - sure)])
            band_pair.append(np.repeat(j, maybe - sure))
        # the others point by point (their blocks first, for the anchors), then the bands
        pp = np.flatnonzero(~inside & ~one[0] & ~one[1])
        cnt = pts.ptr[e_p[pp] + 1] - pts.ptr[e_p[pp]]
        k = np.concatenate([_runs(pts.ptr[e_p[pp]], cnt), *band_k])
        pq = np.concatenate([np.repeat(pp, cnt), *band_pair])
        pos = pts.pos[k]
        best = np.minimum(du[pq] + pos, dv[pq] + (lp[pq] - pos))
        _along_anchor_edges(best, pos, sub, s_p, e_p, pp, cnt, net.n_edges)
        ok = best + pts.walk[k] <= dp[pq]
        key = np.concatenate([*got_s, s_p[pq[ok]]]) + c0
        key *= n_pts
        key += np.concatenate([*got_p, pts.order[k[ok]]])
        key.sort()
        out.append(key)
    if not out:
        return empty, empty
    key = np.concatenate(out)
    return key // n_pts, key % n_pts


def _along_anchor_edges(best: F64, pos: F64, sub: Anchors, s_p: I64, e_p: I64, pp: I64, cnt: I64, n_edges: int) -> None:
    """Lower ``best`` (the points of the measured pairs ``pp``, ``cnt`` each, in order) in place by the
    direct way from each anchor along its own edge: offset + |pos − anchor pos|."""
    if len(sub.owner) == 0 or len(pp) == 0:
        return
    pkey = s_p * np.int64(n_edges) + e_p  # sorted (pairs come sorted by source, then edge)
    measured = np.full(len(pkey), -1, np.int64)
    measured[pp] = np.arange(len(pp))
    akey = sub.owner * np.int64(n_edges) + sub.edge
    at = np.minimum(np.searchsorted(pkey, akey), len(pkey) - 1)
    ap = np.where(pkey[at] == akey, measured[at], -1)
    mine = ap >= 0
    ap = ap[mine]
    acnt = cnt[ap]
    idx = _runs((np.cumsum(cnt) - cnt)[ap], acnt)
    val = np.repeat(sub.offset_m[mine], acnt) + np.abs(pos[idx] - np.repeat(sub.pos_m[mine], acnt))
    np.minimum.at(best, idx, val)


# --------------------------------------------------------------------------- seats


def village_seats(villages: gpd.GeoDataFrame, seats: gpd.GeoDataFrame | None = None, *, crs: str) -> pd.DataFrame:
    """Each village's seat (村委会驻地) in ``crs``: the imported point (``seats``: ``village_code`` + point)
    when there is one, else the representative point of the village polygon, flagged ``estimated``.

    Columns: village_code, village_name, town_code, x, y, estimated, outside (an imported seat not
    inside its village polygon).
    """
    vm = villages.to_crs(crs)
    rep = shapely.point_on_surface(np.asarray(vm.geometry.values, dtype=object))
    codes = vm["village_code"].astype(str).to_numpy(dtype=object)
    x, y = shapely.get_x(rep), shapely.get_y(rep)
    estimated = np.ones(len(vm), bool)
    outside = np.zeros(len(vm), bool)
    if seats is not None and len(seats):
        sm = seats.to_crs(crs)
        sm = sm[~(sm.geometry.is_empty | sm.geometry.isna())]
        given = dict(zip(sm["village_code"].astype(str), np.asarray(sm.geometry.values, dtype=object)))
        for i, c in enumerate(codes):
            g = given.get(str(c))
            if g is not None:
                x[i], y[i], estimated[i] = g.x, g.y, False
                outside[i] = not shapely.covers(vm.geometry.values[i], g)
    return pd.DataFrame({
        "village_code": codes, "village_name": vm["village_name"].astype(str).to_numpy(dtype=object),
        "town_code": vm["town_code"].astype(str).to_numpy(dtype=object), "x": x, "y": y,
        "estimated": estimated, "outside": outside,
    })


def town_seats(
    villages: pd.DataFrame,
    vseats: pd.DataFrame,
    *,
    seat_column: str = "is_town_seat",
    imported: gpd.GeoDataFrame | None = None,
    crs: str | None = None,
) -> pd.DataFrame:
    """Each town's seat (镇政府驻地): the imported point (``imported``: ``town_code`` + point, taken to ``crs``)
    when there is one; else the seat of its village flagged in ``seat_column`` (when the column exists), else
    of its most populous village (population, then households, then lowest code), flagged ``estimated``.

    Columns: town_code, town_name, village_code (the village whose seat is used; for an imported point the
    village whose polygon holds it, "" if none), x, y, estimated, outside (an imported point in none of the
    town's villages).
    """
    v = pd.DataFrame(villages.drop(columns="geometry", errors="ignore")).copy()
    v["village_code"] = v["village_code"].astype(str)
    v["town_code"] = v["town_code"].astype(str)
    flag = (
        v[seat_column].astype("boolean").fillna(False).astype(bool)
        if seat_column in v.columns else pd.Series(False, index=v.index)
    )
    v["_flag"] = flag.to_numpy()
    v["_pop"] = pd.to_numeric(v.get("population", 0), errors="coerce").fillna(0)
    v["_hh"] = pd.to_numeric(v.get("households", 0), errors="coerce").fillna(0)
    v = v.sort_values(["town_code", "_flag", "_pop", "_hh", "village_code"], ascending=[True, False, False, False, True])
    first = v.drop_duplicates("town_code")
    seat = vseats.set_index("village_code")
    out = pd.DataFrame({
        "town_code": first["town_code"].to_numpy(dtype=object),
        "town_name": first["town_name"].astype(str).to_numpy(dtype=object),
        "village_code": first["village_code"].to_numpy(dtype=object),
    })
    out["x"] = out["village_code"].map(seat["x"]).astype("float64")
    out["y"] = out["village_code"].map(seat["y"]).astype("float64")
    est = out["village_code"].map(seat["estimated"]).fillna(True).astype(bool)
    out["estimated"] = (~first["_flag"].to_numpy()) | est.to_numpy()
    out["outside"] = False
    if imported is not None and len(imported) and isinstance(villages, gpd.GeoDataFrame):
        _use_imported_town_seats(out, villages, imported, crs or str(villages.crs))
    return out.reset_index(drop=True)


def _use_imported_town_seats(out: pd.DataFrame, villages: gpd.GeoDataFrame, imported: gpd.GeoDataFrame,
                             crs: str) -> None:
    """Put the imported town seats into ``out`` (:func:`town_seats`' table), in place."""
    sm = imported.to_crs(crs)
    sm = sm[~(sm.geometry.is_empty | sm.geometry.isna())]
    given = dict(zip(sm["town_code"].astype(str), np.asarray(sm.geometry.values, dtype=object)))
    vm = villages.to_crs(crs)
    vgeom = np.asarray(vm.geometry.values, dtype=object)
    vcode = vm["village_code"].astype(str).to_numpy(dtype=object)
    vtown = vm["town_code"].astype(str).to_numpy(dtype=object)
    for i, town in enumerate(out["town_code"].astype(str)):
        g = given.get(town)
        if g is None:
            continue
        hold = np.flatnonzero(shapely.covers(vgeom, g))
        mine = hold[vtown[hold] == town]
        out.loc[i, ["x", "y"]] = [g.x, g.y]
        out.loc[i, "estimated"] = False
        out.loc[i, "outside"] = not len(mine)
        out.loc[i, "village_code"] = str(vcode[mine[0]] if len(mine) else vcode[hold[0]] if len(hold) else "")
