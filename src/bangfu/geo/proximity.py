"""Catchments: which points (households) lie within a distance of which features, as plain tables.

Geometry stays here; everything downstream (ranking, optimisation, access shares, reach) works on
the numbers these functions return. All inputs are in one metric CRS (metres).

Edge rule: a point exactly at the service distance counts as inside (distance <= d), the same
rule as GEOS ``dwithin`` and as ``point.within(geom.buffer(d))`` up to buffer segmentation.

Speed: households are sorted into horizontal rows and by x inside a row (:mod:`bangfu.geo.rowgrid`),
so the households of one row within an x-interval are one slice. Point features are disks, line
features the segments of the line simplified by ``eps`` (Douglas–Peucker, at most 10 m): per
feature and row, exact chord intervals give the slices surely inside and those that may be
inside; only the latter are measured, with the GEOS point–segment formula (lines: first against
the simplified line, then within ±eps of d on the original line). Polygons and anything else:
inside (prepared point-in-polygon on the points of the bounding box) or near the boundary (its
lines, as above) — no buffers, no tree over the points. The result is the same set of pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from bangfu.geo.crs import metric_crs
from bangfu.geo.rowgrid import Ranges, RowIndex, expand

__all__ = ["Pairs", "pairs_within", "points_within", "to_metric"]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]



@dataclass(frozen=True)
class Pairs:
    """Sparse feature × point incidence: ``feature[i]`` covers ``point[i]``."""

    feature: NDArray[np.int64]
    point: NDArray[np.int64]
    n_features: int
    n_points: int


def _as_points(xy: NDArray[np.float64] | gpd.GeoSeries | NDArray[np.object_]) -> NDArray[np.object_]:
    if isinstance(xy, gpd.GeoSeries):
        return np.asarray(xy.values, dtype=object)
    arr = np.asarray(xy)
    if arr.dtype == object:
        return arr
    return np.asarray(shapely.points(arr[:, 0], arr[:, 1]), dtype=object)


def _point_coords(points: NDArray[np.float64] | gpd.GeoSeries | NDArray[np.object_]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """(xy of the usable points, their original positions); missing or empty points are dropped."""
    if not isinstance(points, gpd.GeoSeries):
        arr = np.asarray(points)
        if arr.dtype != object:
            xy = np.asarray(arr, dtype="float64").reshape(-1, 2)
            ok = np.isfinite(xy).all(axis=1)
            return xy[ok], np.flatnonzero(ok).astype(np.int64)
    geoms = _as_points(points)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    xy = np.column_stack([shapely.get_x(geoms[ok]), shapely.get_y(geoms[ok])]) if ok.any() else np.zeros((0, 2))
    return xy, np.flatnonzero(ok).astype(np.int64)


def _grid_height(dist: NDArray[np.float64], xy: NDArray[np.float64]) -> float:
    """Row height of the point index: 1/20 of the typical distance (at most 100,000 rows)."""
    extent = float(np.ptp(xy[:, 1])) if len(xy) else 0.0
    pos = dist[dist > 0]
    h = float(np.median(pos)) / 20 if len(pos) else max(extent / 1000, 1.0)
    return max(h, extent / 100_000, 1e-3)


def _point_pairs(
    index: RowIndex, geoms: NDArray[np.object_], idx: Ints, dist: Floats
) -> tuple[Ranges, Ints, Ints]:
    """Point features: (sure ranges, ambiguous pairs kept) — row-index slices, with the exact GEOS
    distance computed in numpy only for the points near the circle's edge."""
    px, py = shapely.get_x(geoms[idx]), shapely.get_y(geoms[idx])
    d = dist[idx]
    sure, amb = index.capsule_ranges(px, py, px, py, np.arange(len(idx), dtype=np.int64), d - _R_MARGIN(d), d + _R_MARGIN(d))
    af, ap = expand(amb)
    dx = index.x[ap] - px[af]
    dy = index.y[ap] - py[af]
    hit = np.sqrt(dx * dx + dy * dy) <= d[af]  # GEOS Coordinate::distance, distance <= d
    return Ranges(idx[sure.owner], sure.start, sure.end), idx[af[hit]], ap[hit]


def _R_MARGIN(d: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1e-4 + 1e-9 * d


def _line_segments(geoms: NDArray[np.object_]) -> tuple[Floats, Floats, Ints]:
    """All segments (a, b) of line geometries with the position of their geometry, in order."""
    parts, part_idx = shapely.get_parts(geoms, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    same = cidx[1:] == cidx[:-1]
    return coords[:-1][same], coords[1:][same], part_idx[cidx[:-1][same]].astype(np.int64)


def _segment_distance(x: Floats, y: Floats, ax: Floats, ay: Floats, bx: Floats, by: Floats) -> Floats:
    """Point–segment distance computed as GEOS ``Distance::pointToSegment`` does."""
    ex, ey = bx - ax, by - ay
    len2 = ex * ex + ey * ey
    with np.errstate(divide="ignore", invalid="ignore"):
        r = ((x - ax) * ex + (y - ay) * ey) / len2
        perp = np.abs(((ay - y) * ex - (ax - x) * ey) / len2) * np.sqrt(len2)
    dxa, dya, dxb, dyb = x - ax, y - ay, x - bx, y - by
    dist_a = np.sqrt(dxa * dxa + dya * dya)
    dist_b = np.sqrt(dxb * dxb + dyb * dyb)
    return np.where((len2 == 0) | (r <= 0.0), dist_a, np.where(r >= 1.0, dist_b, perp))


@overload
def _polyline_distance(px: Floats, py: Floats, owner: Ints, a: Floats, b: Floats, seg_owner: Ints) -> Floats: ...
@overload
def _polyline_distance(
    px: Floats, py: Floats, owner: Ints, a: Floats, b: Floats, seg_owner: Ints, *, within: Floats
) -> Bools: ...
def _polyline_distance(
    px: Floats, py: Floats, owner: Ints, a: Floats, b: Floats, seg_owner: Ints, *, within: Floats | None = None
) -> Floats | Bools:
    """Distance from each point to the line of its ``owner`` (segments ``a``–``b`` of ``seg_owner``),
    vectorised over (point, line) pairs, one segment slot at a time.

    With ``within`` (a distance per pair) returns instead whether distance <= within, stopping
    early for the pairs already inside — the GEOS ``dwithin`` rule.
    """
    n_own = max(int(owner.max()) + 1 if len(owner) else 0, int(seg_owner.max()) + 1 if len(seg_owner) else 0)
    cnt = np.bincount(seg_owner, minlength=n_own)
    first = np.cumsum(cnt) - cnt
    best = np.full(len(px), np.inf)
    hit = np.zeros(len(px), dtype=bool)
    todo = np.flatnonzero(cnt[owner] > 0)
    k = 0
    while len(todo):
        f = owner[todo]
        sg = first[f] + k
        dd = _segment_distance(px[todo], py[todo], a[sg, 0], a[sg, 1], b[sg, 0], b[sg, 1])
        k += 1
        if within is None:
            best[todo] = np.minimum(best[todo], dd)
            todo = todo[cnt[f] > k]
        else:
            ok = dd <= within[todo]
            hit[todo[ok]] = True
            todo = todo[~ok & (cnt[f] > k)]
    return best if within is None else hit


def _line_pairs(
    index: RowIndex, geoms: NDArray[np.object_], idx: Ints, dist: Floats
) -> tuple[Ranges, Ints, Ints]:
    """Pairs for line features: row-index slices around the segments of the simplified line (tolerance
    eps); points within d − eps of it are in, the band up to d + eps is decided exactly (GEOS rule) on
    the original line."""
    d = dist[idx]
    eps = np.minimum(d * EPS_FRACTION, EPS_MAX)
    simple = shapely.simplify(geoms[idx], eps, preserve_topology=False)
    a, b, own = _line_segments(simple)
    # a line simplified to nothing (or one point) keeps its first coordinate as a zero-length segment
    lonely = np.setdiff1d(np.arange(len(idx)), own)
    if len(lonely):
        # fall back: every segment of those originals
        oa, ob, oo = _line_segments(geoms[idx][lonely])
        a, b, own = np.concatenate([a, oa]), np.concatenate([b, ob]), np.concatenate([own, lonely[oo]])
    e = eps[own]
    dd = d[own]
    sure, amb = index.capsule_ranges(
        a[:, 0], a[:, 1], b[:, 0], b[:, 1], own, dd - e - _R_MARGIN(dd), dd + e + _R_MARGIN(dd)
    )
    af, ap = expand(amb)
    x, y = index.x[ap], index.y[ap]
    # first against the few simplified segments (|distance to it − distance to the line| <= eps) ...
    ds = _polyline_distance(x, y, af, a, b, own)
    m = _R_MARGIN(d)[af]
    hit = ds <= d[af] - eps[af] - m
    band = np.flatnonzero(~hit & (ds <= d[af] + eps[af] + m))
    # ... then exactly (the GEOS rule) against the original segments, only inside the ±eps band
    oa, ob, oo = _line_segments(geoms[idx])
    hit[band] = _polyline_distance(x[band], y[band], af[band], oa, ob, oo, within=d[af[band]])
    return Ranges(idx[sure.owner], sure.start, sure.end), idx[af[hit]], ap[hit]


def _in_pairs(key: Ints, start: Ints, end: Ints) -> Bools:
    """Whether each key lies in one of the sorted, disjoint half-open key intervals [start, end)."""
    if not len(start):
        return np.zeros(len(key), dtype=bool)
    at = np.searchsorted(start, key, side="right") - 1
    return (at >= 0) & (key < end[np.maximum(at, 0)])


def _area_pairs(
    index: RowIndex, geoms: NDArray[np.object_], idx: Ints, dist: Floats
) -> tuple[Ranges, Ints, Ints]:
    """Pairs for polygons (and anything not a point or line), without buffers: a point is within d of
    an area when it is within d of its boundary (the boundary's lines through :func:`_line_pairs`) or
    lies inside it (prepared point-in-polygon on the points of its bounding box, minus the points the
    boundary already gave, found by binary search in its sorted ranges)."""
    g = geoms[idx]
    n1 = np.int64(index.n + 1)
    edge = shapely.boundary(g)  # GeometryCollections have none: their parts' distance is measured below
    has_edge = ~shapely.is_missing(edge) & ~shapely.is_empty(edge)
    lines = np.flatnonzero(has_edge).astype(np.int64)
    empty = np.zeros(0, np.int64)
    sure, bf, bp = Ranges(empty, empty, empty), empty, empty
    if len(lines):
        sure, bf, bp = _line_pairs(index, edge, lines, dist[idx])
    s_key, e_key = sure.owner * n1 + sure.start, sure.owner * n1 + sure.end
    b_key = bf * n1 + bp
    b = shapely.bounds(g)
    box = index.box_ranges(b[lines, 0], b[lines, 1], b[lines, 2], b[lines, 3], lines)
    shapely.prepare(g)
    fs, ps = [bf], [bp]
    # chunks of boxes keep the candidate arrays small (a big area may span many rows)
    cuts = np.searchsorted(np.cumsum(box.end - box.start), np.arange(1, 1 + box.total // 2_000_000) * 2_000_000)
    for sel in np.split(np.arange(len(box.owner)), cuts):
        af, ap = expand(Ranges(box.owner[sel], box.start[sel], box.end[sel]))
        inside = shapely.intersects_xy(g[af], index.x[ap], index.y[ap])
        af, ap = af[inside], ap[inside]
        k = af * n1 + ap
        new = ~_in_pairs(k, s_key, e_key) & ~_in_pairs(k, b_key, b_key + 1)
        fs.append(af[new])
        ps.append(ap[new])
    rest = np.flatnonzero(~has_edge)
    if len(rest):  # no boundary (collections, …): GEOS distance on the points of the widened box
        d = dist[idx[rest]]
        far = index.box_ranges(b[rest, 0] - d, b[rest, 1] - d, b[rest, 2] + d, b[rest, 3] + d, rest.astype(np.int64))
        af, ap = expand(far)
        near = shapely.distance(g[af], shapely.points(index.x[ap], index.y[ap])) <= dist[idx[af]]
        fs.append(af[near])
        ps.append(ap[near])
    shapely.destroy_prepared(g)
    f, p = np.concatenate(fs), np.concatenate(ps)
    return Ranges(idx[sure.owner], sure.start, sure.end), idx[f], p


_POINT, _LINES = {0}, {1, 2, 5}
#: Line simplification tolerance as a share of the distance; pairs within ±eps of d are checked by GEOS.
EPS_FRACTION = 0.05
#: Upper bound of the simplification tolerance in metres (keeps the exactly decided band thin).
EPS_MAX = 10.0


def pairs_within(
    features: NDArray[np.object_] | gpd.GeoSeries,
    points: NDArray[np.float64] | gpd.GeoSeries,
    distance: float | NDArray[np.float64],
    *,
    sort_points: bool = True,
) -> Pairs:
    """All (feature, point) pairs with the point within ``distance`` metres of the feature.

    ``distance`` is one number or one per feature (>= 0). ``points`` is an (n, 2) array of
    coordinates or point geometries; missing or empty geometries never match. Pairs come
    sorted by feature, then point (``sort_points=False``: by feature only, faster).
    """
    geoms = np.asarray(features.values if isinstance(features, gpd.GeoSeries) else features, dtype=object)
    n_f = len(geoms)
    xy, orig = _point_coords(points)
    n_p = len(points)
    empty = np.zeros(0, dtype=np.int64)
    if n_f == 0 or n_p == 0 or len(xy) == 0:
        return Pairs(empty, empty, n_f, n_p)
    dist = np.array(np.broadcast_to(np.asarray(distance, dtype="float64"), (n_f,)))
    if np.isnan(dist).any() or (dist < 0).any():
        raise ValueError("distance must be >= 0")
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kind = np.where(usable, shapely.get_type_id(geoms), -1)
    sel_pt, sel_ln = np.isin(kind, list(_POINT)), np.isin(kind, list(_LINES))
    sel_area = usable & ~(sel_pt | sel_ln)
    index = RowIndex(xy, _grid_height(dist[usable], xy))
    parts = []
    for select, fn in ((sel_pt, _point_pairs), (sel_ln, _line_pairs)):
        idx = np.flatnonzero(select).astype(np.int64)
        if len(idx):
            sure, f, p = fn(index, geoms, idx, dist)
            parts += [sure, Ranges(f, p, p + 1)]
    idx = np.flatnonzero(sel_area).astype(np.int64)
    if len(idx):
        sure, f, p = _area_pairs(index, geoms, idx, dist)
        parts += [sure, Ranges(f, p, p + 1)]
    blocks: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
    if parts:
        # one list of ranges sorted by feature, expanded once: pairs come out grouped by feature
        owner = np.concatenate([r.owner for r in parts])
        start = np.concatenate([r.start for r in parts])
        end = np.concatenate([r.end for r in parts])
        order = np.argsort(owner * np.int64(index.n + 1) + start, kind="stable")
        f, p = expand(Ranges(owner[order], start[order], end[order]))
        blocks.append((f, orig[index.order][p]))
    feat, pt = _by_feature(blocks, n_f)
    if sort_points and len(pt):
        key = feat * np.int64(n_p + 1) + pt
        key.sort()
        feat, pt = key // (n_p + 1), key % (n_p + 1)
    return Pairs(feat, pt, n_f, n_p)


def _by_feature(blocks: list[tuple[Ints, Ints]], n_f: int) -> tuple[Ints, Ints]:
    """Concatenate (feature, point) blocks, each grouped by feature in increasing order, into one
    pair list grouped by feature (a counting sort: no comparison sort of millions of pairs)."""
    blocks = [(np.asarray(f, np.int64), np.asarray(p, np.int64)) for f, p in blocks if len(f)]
    if not blocks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if len(blocks) == 1:
        f, p = blocks[0]
        if len(f) < 2 or (f[1:] >= f[:-1]).all():
            return f, p
    counts = [np.bincount(f, minlength=n_f) for f, _ in blocks]
    total = np.sum(counts, axis=0)
    indptr = np.cumsum(total) - total
    feat = np.repeat(np.arange(n_f, dtype=np.int64), total)
    pt = np.empty(int(total.sum()), dtype=np.int64)
    done = np.zeros(n_f, dtype=np.int64)
    for (f, p), c in zip(blocks, counts):
        order = np.argsort(f, kind="stable") if len(f) > 1 and not (f[1:] >= f[:-1]).all() else None
        if order is not None:
            f, p = f[order], p[order]
        first = np.cumsum(c) - c  # first position of each feature inside this block
        pos = np.arange(len(f), dtype=np.int64) - first[f] + indptr[f] + done[f]
        pt[pos] = p
        done += c
    return feat, pt


def points_within(
    features: NDArray[np.object_] | gpd.GeoSeries,
    points: NDArray[np.float64] | gpd.GeoSeries,
    distance: float | NDArray[np.float64],
) -> NDArray[np.bool_]:
    """Boolean mask over points: within ``distance`` metres of at least one feature."""
    pairs = pairs_within(features, points, distance)
    mask = np.zeros(pairs.n_points, dtype=bool)
    mask[pairs.point] = True
    return mask


def to_metric(*frames: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, ...]:
    """Reproject frames to one shared metric CRS (the UTM zone of the first non-empty frame)."""
    ref = next((f for f in frames if f is not None and not f.empty), None)
    crs = metric_crs(ref) if ref is not None else "EPSG:32650"
    return tuple(f.to_crs(crs) if f is not None and not f.empty else f for f in frames)
