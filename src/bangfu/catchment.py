"""Catchments: which points (households) lie within a distance of which features, as plain tables.

Geometry stays here; everything downstream (ranking, optimisation, access shares, reach) works on
the numbers these functions return. All inputs are in one metric CRS (metres).

Edge rule: a point exactly at the service distance counts as inside (distance <= d), the same
rule as GEOS ``dwithin`` and as ``point.within(geom.buffer(d))`` up to buffer segmentation.

Speed: point features use a KD-tree ball query (one per distinct distance); line features are
simplified (Douglas–Peucker, tolerance ``eps``), cut into short segments, queried with a KD-tree
and measured exactly in numpy; only pairs whose distance lies within ``eps`` of ``d`` (where the
simplification could change the answer) are decided by GEOS on the original line. Polygons and
anything else go through a GEOS STR-tree ``dwithin`` query. The result is the same set of pairs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from .crs import metric_crs

__all__ = [
    "Pairs", "pairs_within", "points_within", "to_metric",
    "ProjectType", "PROJECT_TYPE_TABLE", "default_distances", "project_type",
]


# --------------------------------------------------------------------------- project types


@dataclass(frozen=True)
class ProjectType:
    """A kind of infrastructure project and how far it serves households.

    ``existing`` says where today's completed facilities of this type are found (for the
    "new access only" option): ``"roads"`` = roads layer with status completed (hardened),
    ``"projects"`` = projects layer rows of this type with status completed.
    """

    key: str
    zh: str
    en: str
    distance_m: float
    existing: Literal["roads", "projects"]
    basis_zh: str
    basis_en: str


#: One row per project type in :data:`bangfu.schema.PROJECT_TYPES`; distances are defaults the page can change.
PROJECT_TYPE_TABLE: dict[str, ProjectType] = {
    p.key: p
    for p in (
        ProjectType("road_hardening", "道路硬化", "Road hardening", 2000, "roads",
                    "世界银行农村可达性指数(RAI)：2 公里内有全天候道路", "World Bank Rural Access Index: all-season road within 2 km"),
        ProjectType("drinking_water", "饮水安全", "Drinking water", 1000, "projects",
                    "集中供水管网就近覆盖，约 1 公里", "piped supply reaches nearby hamlets, about 1 km"),
        ProjectType("bridge", "桥梁", "Bridge", 3000, "projects",
                    "桥梁缩短两岸出行，约 3 公里", "a bridge shortens trips on both banks, about 3 km"),
        ProjectType("irrigation", "农田水利", "Irrigation", 1000, "projects",
                    "灌区渠系两侧约 1 公里农田", "fields about 1 km either side of the canal"),
        ProjectType("clinic", "村卫生室", "Village clinic", 2500, "projects",
                    "步行约 30 分钟的基层医疗服务半径", "primary care within about 30 minutes' walk"),
        ProjectType("school", "学校", "School", 2500, "projects",
                    "农村小学服务半径约 2.5 公里", "rural primary school catchment about 2.5 km"),
        ProjectType("broadband", "宽带网络", "Broadband", 1500, "projects",
                    "光纤接入点覆盖约 1.5 公里", "fibre access point reach about 1.5 km"),
    )
}


def project_type(key: str) -> ProjectType:
    """The project type ``key`` (ValueError quoting the allowed ones otherwise)."""
    try:
        return PROJECT_TYPE_TABLE[key]
    except KeyError:
        raise ValueError(
            f"未知的项目类型 {key!r}；可用类型：{'、'.join(f'{k}（{p.zh}）' for k, p in PROJECT_TYPE_TABLE.items())}"
        ) from None


def default_distances() -> dict[str, float]:
    """Project type → default service distance in metres."""
    return {k: float(p.distance_m) for k, p in PROJECT_TYPE_TABLE.items()}


# --------------------------------------------------------------------------- pairs


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
    return shapely.points(arr[:, 0], arr[:, 1])


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


def _flatten(res: NDArray[np.object_], owners: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """KD-tree ball query results (lists of point indices) → (owner, point) arrays."""
    lens = np.fromiter(map(len, res), dtype=np.int64, count=len(res))
    pts = np.fromiter(itertools.chain.from_iterable(res), dtype=np.int64, count=int(lens.sum()))
    return np.repeat(owners, lens), pts


def _ball(tree: cKDTree, centres: NDArray[np.float64], radius: NDArray[np.float64]) -> NDArray[np.object_]:
    if len(centres) == 0:
        return np.empty(0, dtype=object)
    return tree.query_ball_point(centres, radius, workers=-1, return_sorted=False)


def _point_pairs(tree: cKDTree, geoms: NDArray[np.object_], idx: NDArray[np.int64], dist: NDArray[np.float64]):
    """Pairs for point features (KD-tree ball query; squared distance <= d², inclusive)."""
    centres = np.column_stack([shapely.get_x(geoms[idx]), shapely.get_y(geoms[idx])])
    res = _ball(tree, centres, dist[idx])
    return _flatten(res, idx)


def _segments(geoms: NDArray[np.object_], owners: NDArray[np.int64], max_len: NDArray[np.float64]):
    """Segments (a, b, owner) of line geometries, long ones cut into pieces no longer than ``max_len``."""
    parts, part_idx = shapely.get_parts(geoms, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    same = cidx[1:] == cidx[:-1]
    a = coords[:-1][same]
    b = coords[1:][same]
    owner = owners[part_idx[cidx[:-1][same]]]
    length = np.hypot(*(b - a).T)
    n = np.maximum(np.ceil(length / np.maximum(max_len[owner], 1e-9)), 1).astype(np.int64)
    if (n > 1).any():
        rep = np.repeat(np.arange(len(a)), n)
        k = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
        t0 = (k / n[rep])[:, None]
        t1 = ((k + 1) / n[rep])[:, None]
        d = (b - a)[rep]
        a, b, owner = a[rep] + t0 * d, a[rep] + t1 * d, owner[rep]
    return a, b, owner


def _line_pairs(
    tree: cKDTree,
    xy: NDArray[np.float64],
    geoms: NDArray[np.object_],
    idx: NDArray[np.int64],
    dist: NDArray[np.float64],
):
    """Pairs for line features: KD-tree candidates around simplified segments, exact numpy distance,
    GEOS on the original geometry only inside the ±eps band around d."""
    d = dist[idx]
    eps = np.where(d > 0, d * EPS_FRACTION, 0.0)
    simple = shapely.simplify(geoms[idx], eps, preserve_topology=False)
    eps_f = np.zeros(len(geoms))
    eps_f[idx] = eps
    a, b, owner = _segments(simple, idx, np.maximum(dist, 1.0))
    if len(a) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    mid = (a + b) / 2
    half = np.hypot(*(b - a).T) / 2
    seg, pt = _flatten(_ball(tree, mid, dist[owner] + eps_f[owner] + half + 1e-9), np.arange(len(a), dtype=np.int64))
    ab = b[seg] - a[seg]
    ap = xy[pt] - a[seg]
    den = (ab * ab).sum(axis=1)
    t = np.clip(np.divide((ap * ab).sum(axis=1), den, out=np.zeros(len(den)), where=den > 0), 0.0, 1.0)
    diff = ap - t[:, None] * ab
    d2 = (diff * diff).sum(axis=1)
    f = owner[seg]
    dd, ee = dist[f], eps_f[f]
    n_pts = len(xy)
    sure = d2 <= np.where(ee > 0, np.square(np.maximum(dd - ee, 0.0)), dd * dd)
    maybe = ~sure & (d2 <= np.square(dd + ee)) & (ee > 0)
    key_in = np.unique(f[sure] * n_pts + pt[sure])
    key_maybe = np.setdiff1d(np.unique(f[maybe] * n_pts + pt[maybe]), key_in, assume_unique=True)
    if len(key_maybe):
        mf, mp = key_maybe // n_pts, key_maybe % n_pts
        hit = shapely.dwithin(geoms[mf], shapely.points(xy[mp]), dist[mf])
        key_in = np.union1d(key_in, key_maybe[hit])
    return key_in // n_pts, key_in % n_pts


def _geos_pairs(xy: NDArray[np.float64], geoms: NDArray[np.object_], idx: NDArray[np.int64], dist: NDArray[np.float64]):
    tree = shapely.STRtree(shapely.points(xy))
    f, p = tree.query(geoms[idx], predicate="dwithin", distance=dist[idx])
    return idx[f], p.astype(np.int64)


_POINT, _LINES = {0}, {1, 2, 5}
#: Line simplification tolerance as a share of the distance; pairs within ±eps of d are checked by GEOS.
EPS_FRACTION = 0.05


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
    tree = cKDTree(xy)
    out_f, out_p = [empty], [empty]
    for select, fn in (
        (np.isin(kind, list(_POINT)), lambda i: _point_pairs(tree, geoms, i, dist)),
        (np.isin(kind, list(_LINES)), lambda i: _line_pairs(tree, xy, geoms, i, dist)),
        (usable & ~np.isin(kind, list(_POINT | _LINES)), lambda i: _geos_pairs(xy, geoms, i, dist)),
    ):
        idx = np.flatnonzero(select).astype(np.int64)
        if len(idx):
            f, p = fn(idx)
            out_f.append(np.asarray(f, dtype=np.int64))
            out_p.append(np.asarray(p, dtype=np.int64))
    feat = np.concatenate(out_f)
    pt = orig[np.concatenate(out_p)]
    order = np.lexsort((pt, feat)) if sort_points else np.argsort(feat, kind="stable")
    return Pairs(feat[order], pt[order], n_f, n_p)


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
