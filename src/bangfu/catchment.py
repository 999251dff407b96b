"""Catchments: which points (households) lie within a distance of which features, as plain tables.

Geometry stays here; everything downstream (ranking, optimisation, access shares, reach) works on
the numbers these functions return. All inputs are in one metric CRS (metres).

Edge rule: a point exactly at the service distance counts as inside (distance <= d), the same
rule as GEOS ``dwithin`` and as ``point.within(geom.buffer(d))`` up to buffer segmentation.

Speed: households are sorted into horizontal rows and by x inside a row (:mod:`bangfu.rowgrid`),
so the households of one row within an x-interval are one slice. Point features are disks, line
features the segments of the line simplified by ``eps`` (Douglas–Peucker, at most 10 m): per
feature and row, exact chord intervals give the slices surely inside and those that may be
inside; only the latter are measured, with the GEOS point–segment formula (lines: first against
the simplified line, then within ±eps of d on the original line). Polygons and anything else go
through a GEOS STR-tree ``dwithin`` query. The result is the same set of pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from .crs import metric_crs
from .rowgrid import Ranges, RowIndex, expand

__all__ = [
    "Pairs", "pairs_within", "points_within", "to_metric",
    "ProjectType", "PROJECT_TYPE_TABLE", "default_distances", "project_type",
    "CANDIDATE_STATUSES", "check_projects", "catchment_geometries", "build_coverage",
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


def _grid_height(dist: NDArray[np.float64], xy: NDArray[np.float64]) -> float:
    """Row height of the point index: 1/20 of the typical distance (at most 100,000 rows)."""
    extent = float(np.ptp(xy[:, 1])) if len(xy) else 0.0
    pos = dist[dist > 0]
    h = float(np.median(pos)) / 20 if len(pos) else max(extent / 1000, 1.0)
    return max(h, extent / 100_000, 1e-3)


def _point_pairs(index: RowIndex, geoms: NDArray[np.object_], idx: NDArray[np.int64], dist: NDArray[np.float64]):
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


def _line_segments(geoms: NDArray[np.object_]):
    """All segments (a, b) of line geometries with the position of their geometry, in order."""
    parts, part_idx = shapely.get_parts(geoms, return_index=True)
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    same = cidx[1:] == cidx[:-1]
    return coords[:-1][same], coords[1:][same], part_idx[cidx[:-1][same]].astype(np.int64)


def _segment_distance(x, y, ax, ay, bx, by):
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


def _polyline_distance(px, py, owner, a, b, seg_owner, *, within: NDArray[np.float64] | None = None):
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


def _line_pairs(index: RowIndex, geoms: NDArray[np.object_], idx: NDArray[np.int64], dist: NDArray[np.float64]):
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


def _geos_pairs(xy: NDArray[np.float64], geoms: NDArray[np.object_], idx: NDArray[np.int64], dist: NDArray[np.float64]):
    tree = shapely.STRtree(shapely.points(xy))
    f, p = tree.query(geoms[idx], predicate="dwithin", distance=dist[idx])
    return idx[f], p.astype(np.int64)


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
    blocks: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
    sel_pt, sel_ln = np.isin(kind, list(_POINT)), np.isin(kind, list(_LINES))
    if sel_pt.any() or sel_ln.any():
        index = RowIndex(xy, _grid_height(dist[sel_pt | sel_ln], xy))
        parts = []
        for select, fn in ((sel_pt, _point_pairs), (sel_ln, _line_pairs)):
            idx = np.flatnonzero(select).astype(np.int64)
            if len(idx):
                sure, f, p = fn(index, geoms, idx, dist)
                parts += [sure, Ranges(f, p, p + 1)]
        # one list of ranges sorted by feature, expanded once: pairs come out grouped by feature
        owner = np.concatenate([r.owner for r in parts])
        start = np.concatenate([r.start for r in parts])
        end = np.concatenate([r.end for r in parts])
        order = np.argsort(owner * np.int64(index.n + 1) + start, kind="stable")
        f, p = expand(Ranges(owner[order], start[order], end[order]))
        blocks.append((f, orig[index.order][p]))
    idx = np.flatnonzero(usable & ~(sel_pt | sel_ln)).astype(np.int64)
    if len(idx):
        f, p = _geos_pairs(xy, geoms, idx, dist)
        blocks.append((f, orig[p]))
    feat, pt = _by_feature(blocks, n_f)
    if sort_points and len(pt):
        key = feat * np.int64(n_p + 1) + pt
        key.sort()
        feat, pt = key // (n_p + 1), key % (n_p + 1)
    return Pairs(feat, pt, n_f, n_p)


def _by_feature(blocks, n_f: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
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


# --------------------------------------------------------------------------- coverage table

#: Project statuses that are candidates for a portfolio; ``completed`` ones count as existing facilities.
CANDIDATE_STATUSES: tuple[str, ...] = ("candidate", "approved")


def check_projects(projects: gpd.GeoDataFrame) -> None:
    """PlanningError (Chinese) listing candidate projects with unknown types, or missing/negative costs."""
    from .planning import PlanningError

    cand = projects[projects["status"].astype(str).isin(CANDIDATE_STATUSES)]
    bad_type = cand[~cand["project_type"].astype(str).isin(list(PROJECT_TYPE_TABLE))]
    if len(bad_type):
        items = "、".join(f"{i}（{t}）" for i, t in zip(bad_type["project_id"], bad_type["project_type"]))
        allowed = "、".join(f"{k}（{p.zh}）" for k, p in PROJECT_TYPE_TABLE.items())
        raise PlanningError(f"以下项目的类型未知：{items}；可用类型：{allowed}", f"unknown project types: {items}")
    cost = np.asarray(cand["cost_wan"].astype("float64"))
    bad = ~np.isfinite(cost) | (cost < 0)
    if bad.any():
        ids = "、".join(map(str, cand["project_id"].to_numpy()[bad][:20]))
        raise PlanningError(f"以下项目的投资缺失或为负数，请先在数据管理中修正：{ids}", f"missing or negative costs: {ids}")


def _flag(s: pd.Series) -> NDArray[np.float64]:
    return np.asarray(s.astype("boolean").fillna(False).astype(bool), dtype="float64")


def _existing(kind: str, *, roads: gpd.GeoDataFrame | None, projects: gpd.GeoDataFrame) -> NDArray[np.object_]:
    """Today's completed facilities of a project type (metric geometries)."""
    spec = PROJECT_TYPE_TABLE[kind]
    if spec.existing == "roads":
        if roads is None or roads.empty:
            return np.empty(0, dtype=object)
        return np.asarray(roads.geometry.values[roads["status"].astype(str).to_numpy() == "completed"], dtype=object)
    sel = (projects["status"].astype(str) == "completed") & (projects["project_type"].astype(str) == kind)
    return np.asarray(projects.geometry.values[sel.to_numpy()], dtype=object)


def catchment_geometries(projects: gpd.GeoDataFrame, distances: dict[str, float], *, quad_segs: int = 16) -> gpd.GeoSeries:
    """Each project's catchment as a polygon (buffer by its type's distance), in the projects' CRS (metric)."""
    d = projects["project_type"].astype(str).map(distances).astype("float64").to_numpy()
    return gpd.GeoSeries(shapely.buffer(np.asarray(projects.geometry.values, dtype=object), d, quad_segs=quad_segs), crs=projects.crs, index=projects.index)


def build_coverage(
    projects: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    *,
    distances: dict[str, float] | None = None,
    new_access_only: bool = False,
    statuses: tuple[str, ...] = CANDIDATE_STATUSES,
):
    """Layers → :class:`bangfu.planning.Coverage`: the one place where geometry becomes numbers.

    Rows are the candidate projects (``statuses``), columns the households (household points:
    1 per household) or, without household points, pieces of villages cut by the catchments
    (village totals × share of the village's area; ``method == "village_area"``). With
    ``new_access_only`` a household is left out for a project type when a completed facility of
    that type (roads: a hardened road) already lies within that type's distance.
    """
    from .planning import Coverage

    check_projects(projects)
    dist = {**default_distances(), **(distances or {})}
    bad = [k for k, v in dist.items() if not np.isfinite(v) or v < 0]
    if bad:
        from .planning import PlanningError

        raise PlanningError(f"服务半径必须为非负数：{'、'.join(bad)}", f"negative distances: {bad}")
    hh = households if households is not None and not households.empty else None
    vil, proj, hh_m, roads_m = to_metric(villages, projects, hh, roads)
    cand = proj[proj["status"].astype(str).isin(statuses)].copy()
    vinfo = villages.drop(columns="geometry").drop_duplicates("village_code").set_index("village_code")
    codes = cand["village_code"].astype(str)
    table = pd.DataFrame(
        {
            "project_id": cand["project_id"].astype(str).to_numpy(),
            "name": cand["name"].astype(str).to_numpy(),
            "project_type": cand["project_type"].astype(str).to_numpy(),
            "town_code": codes.map(vinfo["town_code"]).fillna("").astype(str).to_numpy(),
            "town_name": codes.map(vinfo["town_name"]).fillna("").astype(str).to_numpy(),
            "village_code": codes.to_numpy(),
            "village_name": codes.map(vinfo["village_name"]).fillna("").astype(str).to_numpy(),
            "cost_wan": cand["cost_wan"].astype("float64").to_numpy(),
            "status": cand["status"].astype(str).to_numpy(),
            "distance_m": cand["project_type"].astype(str).map(dist).astype("float64").to_numpy(),
        }
    )
    geoms = np.asarray(cand.geometry.values, dtype=object)
    kinds = table["project_type"].to_numpy()
    if hh_m is not None:
        matrix, units = _household_units(geoms, table, hh_m, vinfo, kinds, dist, new_access_only, roads_m, proj)
        method, notes = "households", ()
    else:
        matrix, units = _village_units(geoms, table, vil, kinds, dist, new_access_only, roads_m, proj)
        method, notes = "village_area", ("no_households",)
    return Coverage(matrix, units, table, method, notes)


def _csr(feat: NDArray[np.int64], pt: NDArray[np.int64], shape: tuple[int, int]):
    import scipy.sparse as sp

    indptr = np.concatenate([[0], np.cumsum(np.bincount(feat, minlength=shape[0]))]).astype(np.int64)
    m = sp.csr_matrix((np.ones(len(pt), dtype=np.float64), np.asarray(pt, dtype=np.int64), indptr), shape=shape)
    return m


def _household_units(geoms, table, hh, vinfo, kinds, dist, new_only, roads, proj):
    pairs = pairs_within(geoms, hh.geometry, table["distance_m"].to_numpy(), sort_points=False)
    feat, pt = pairs.feature, pairs.point
    if new_only and len(feat):
        keep = np.ones(len(feat), dtype=bool)
        for kind in np.unique(kinds):
            ex = _existing(str(kind), roads=roads, projects=proj)
            if len(ex) == 0:
                continue
            served = points_within(ex, hh.geometry, dist[str(kind)])
            sel = kinds[feat] == kind
            keep[sel] = ~served[pt[sel]]
        feat, pt = feat[keep], pt[keep]
    matrix = _csr(feat, pt, (len(table), len(hh)))
    codes = hh["village_code"].astype(str)
    poor = _flag(hh["is_poor"])
    members = pd.to_numeric(hh["members"], errors="coerce").fillna(1).to_numpy(dtype="float64")
    units = {
        "households": np.ones(len(hh)),
        "poor_households": poor,
        "poor_people": poor * members,
        "old_households": _flag(codes.map(vinfo["is_old_district"])),
        "key_households": _flag(codes.map(vinfo["is_key_village"])),
    }
    return matrix, units


def _village_units(geoms, table, vil, kinds, dist, new_only, roads, proj):
    """Village pieces cut by catchment (and existing-service) boundaries, with area-share totals."""
    buffers = shapely.buffer(geoms, table["distance_m"].to_numpy(), quad_segs=16) if len(geoms) else np.empty(0, object)
    served_polys: dict[str, shapely.Geometry] = {}
    if new_only:
        for kind in np.unique(kinds):
            ex = _existing(str(kind), roads=roads, projects=proj)
            if len(ex):
                served_polys[str(kind)] = shapely.union_all(shapely.buffer(ex, dist[str(kind)], quad_segs=16))
    cut_lines = list(shapely.boundary(buffers)) + [shapely.boundary(g) for g in served_polys.values()]
    tree = shapely.STRtree(buffers) if len(buffers) else None
    feats, units_idx, rows = [], [], []
    vg = np.asarray(vil.geometry.values, dtype=object)
    for v, poly in enumerate(vg):
        if poly is None or poly.is_empty or tree is None:
            continue
        hits = tree.query(poly, predicate="intersects")
        if len(hits) == 0:
            continue
        lines = [shapely.boundary(poly)] + [cut_lines[i] for i in hits] + [
            shapely.boundary(g) for g in served_polys.values() if g.intersects(poly)
        ]
        faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines)))), dtype=object)
        if len(faces) == 0:
            continue
        rep = shapely.point_on_surface(faces)
        inside = shapely.contains(poly, rep)
        faces, rep = faces[inside], rep[inside]
        share = shapely.area(faces) / max(poly.area, 1e-12)
        fi, bi = tree.query(rep, predicate="within")
        if new_only and len(fi):
            keep = np.ones(len(fi), dtype=bool)
            for kind, served in served_polys.items():
                sel = kinds[bi] == kind
                keep[sel] = ~shapely.contains(served, rep[fi[sel]])
            fi, bi = fi[keep], bi[keep]
        used = np.unique(fi)
        base = len(rows)
        pos = {int(f): base + j for j, f in enumerate(used)}
        for f in used:
            rows.append((v, float(share[f])))
        feats.append(bi)
        units_idx.append(np.array([pos[int(f)] for f in fi], dtype=np.int64))
    feat = np.concatenate(feats) if feats else np.zeros(0, np.int64)
    unit = np.concatenate(units_idx) if units_idx else np.zeros(0, np.int64)
    order = np.argsort(feat, kind="stable")
    matrix = _csr(feat[order].astype(np.int64), unit[order], (len(table), len(rows)))
    v_of = np.array([r[0] for r in rows], dtype=np.int64)
    share = np.array([r[1] for r in rows], dtype="float64")

    def total(col: str) -> NDArray[np.float64]:
        vals = pd.to_numeric(vil[col], errors="coerce").fillna(0).to_numpy(dtype="float64")
        return vals[v_of] * share

    hh_total = total("households")
    units = {
        "households": hh_total,
        "poor_households": total("poor_households"),
        "poor_people": total("poor_population"),
        "old_households": hh_total * _flag(vil["is_old_district"])[v_of],
        "key_households": hh_total * _flag(vil["is_key_village"])[v_of],
    }
    return matrix, units
