"""The coverage table: which households (or village shares) each candidate project would serve.

Geometry stops here: :func:`build_coverage` turns projects, villages and households into a sparse
project × unit matrix with per-unit weights (:class:`bangfu.planning.solvers.Coverage`); ranking and
the portfolio solvers work on those numbers only. Pairs come from :mod:`bangfu.geo.proximity`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from bangfu.geo import network as gn
from bangfu.geo.crs import metric_crs
from bangfu.geo.proximity import Pairs, pairs_within, points_within
from bangfu.planning.project_types import PROJECT_TYPE_TABLE, default_distances

if TYPE_CHECKING:  # imported where used, as at run time
    import scipy.sparse as sp

    from bangfu.planning.solvers import Coverage

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
#: Per-unit measures of a coverage table (households, poor_households, …).
Units = dict[str, Floats]

__all__ = ["CANDIDATE_STATUSES", "CATCHMENTS", "check_projects", "catchment_geometries", "build_coverage"]

#: How a catchment is measured: ``straight`` (straight-line distance from the project) or ``network``
#: (walking leg to the nearest road + distance along roads + the project's own walking leg, docs/roads.md).
CATCHMENTS: tuple[str, ...] = ("straight", "network")

#: Project statuses that are candidates for a portfolio; ``completed`` ones count as existing facilities.
CANDIDATE_STATUSES: tuple[str, ...] = ("candidate", "approved")


def check_projects(projects: gpd.GeoDataFrame) -> None:
    """PlanningError (Chinese) listing candidate projects with unknown types, or missing/negative costs."""
    from bangfu.planning.solvers import PlanningError

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
    catchment: str = "straight",
    network: gn.RoadNetwork | None = None,
) -> Coverage:
    """Layers → :class:`bangfu.planning.solvers.Coverage`: the one place where geometry becomes numbers.

    Rows are the candidate projects (``statuses``), columns the households (household points:
    1 per household) or, without household points, pieces of villages cut by the catchments
    (village totals × share of the village's area; ``method == "village_area"``). With
    ``new_access_only`` a household is left out for a project type when a completed facility of
    that type (roads: a hardened road) already lies within that type's distance.

    ``catchment="network"`` measures every distance along the roads (``network``, else built from
    ``roads`` in the same metric CRS); it needs household points — without them the village-area
    fallback stays straight-line and the note ``network_needs_households`` says so.
    """
    from bangfu.planning.solvers import Coverage

    check_projects(projects)
    dist = {**default_distances(), **(distances or {})}
    bad = [k for k, v in dist.items() if not np.isfinite(v) or v < 0]
    if bad:
        from bangfu.planning.solvers import PlanningError

        raise PlanningError(f"服务半径必须为非负数：{'、'.join(bad)}", f"negative distances: {bad}")
    if catchment not in CATCHMENTS:
        raise ValueError(f"catchment must be one of {CATCHMENTS}, got {catchment!r}")
    hh = households if households is not None and not households.empty else None
    # only what the chosen path measures is reprojected: with household points the villages give
    # attributes only, and roads matter only for "new access only" or the network
    crs = metric_crs(next((f for f in (villages, projects, hh, roads) if f is not None and not f.empty), villages))
    need_vil = hh is None
    need_roads = roads is not None and not roads.empty and (new_access_only or catchment == "network" or hh is None)
    proj = projects.to_crs(crs) if not projects.empty else projects
    hh_m = hh.to_crs(crs) if hh is not None else None
    vil = villages.to_crs(crs) if need_vil and not villages.empty else villages
    roads_m = roads.to_crs(crs) if need_roads and roads is not None else None
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
    kinds: NDArray[np.object_] = table["project_type"].to_numpy()
    notes: tuple[str, ...]
    if hh_m is not None and catchment == "network":
        net = network if network is not None else gn.build_network(
            roads_m if roads_m is not None else gpd.GeoDataFrame({"road_id": [], "status": []}, geometry=[], crs=crs),
            crs=crs)
        matrix, units = _network_units(net, geoms, table, hh_m, vinfo, kinds, dist, new_access_only, proj)
        method, notes = "households", ("network",)
    elif hh_m is not None:
        matrix, units = _household_units(geoms, table, hh_m, vinfo, kinds, dist, new_access_only, roads_m, proj)
        method, notes = "households", ()
    else:
        matrix, units = _village_units(geoms, table, vil, kinds, dist, new_access_only, roads_m, proj)
        method = "village_area"
        notes = ("no_households", "network_needs_households") if catchment == "network" else ("no_households",)
    return Coverage(matrix, units, table, method, notes)


def _csr(feat: Ints, pt: Ints, shape: tuple[int, int]) -> sp.csr_matrix:
    import scipy.sparse as sp

    indptr = np.concatenate([[0], np.cumsum(np.bincount(feat, minlength=shape[0]))]).astype(np.int64)
    m = sp.csr_matrix((np.ones(len(pt), dtype=np.float64), np.asarray(pt, dtype=np.int64), indptr), shape=shape)
    return m


def _network_units(
    net: gn.RoadNetwork,
    geoms: NDArray[np.object_],
    table: pd.DataFrame,
    hh: gpd.GeoDataFrame,
    vinfo: pd.DataFrame,
    kinds: NDArray[np.object_],
    dist: dict[str, float],
    new_only: bool,
    proj: gpd.GeoDataFrame,
) -> tuple[sp.csr_matrix, Units]:
    """:func:`_household_units` with catchments along roads (:func:`bangfu.geo.network.catchment_pairs`)."""
    xy = np.column_stack([hh.geometry.x.to_numpy(), hh.geometry.y.to_numpy()])
    att = gn.attach(net, xy)
    feat, pt = gn.catchment_pairs(net, gn.anchors_for(net, geoms), table["distance_m"].to_numpy(), att)
    def served(kind: str) -> NDArray[np.bool_] | None:
        if PROJECT_TYPE_TABLE[kind].existing == "roads":
            within: NDArray[np.bool_] = gn.nearest_source_distance(net, att, net.hardened, limit=dist[kind]) <= dist[kind]
            return within
        ex = _existing(kind, roads=None, projects=proj)
        if not len(ex):
            return None
        mask = np.zeros(len(xy), dtype=bool)
        _, p = gn.catchment_pairs(net, gn.anchors_for(net, ex), np.full(len(ex), dist[kind]), att)
        mask[p] = True
        return mask

    if new_only:
        feat, pt = _drop_served(feat, pt, kinds, served)
    return _csr(feat, pt, (len(table), len(hh))), _household_measures(hh, vinfo)


def _drop_served(feat: Ints, pt: Ints, kinds: NDArray[np.object_],
                 served: Callable[[str], NDArray[np.bool_] | None]) -> tuple[Ints, Ints]:
    """The (project, household) pairs left when households already served by an existing facility of the
    project's type are dropped ("new access only"); ``served(kind)`` is that mask over households, or None
    when no such facility exists."""
    if not len(feat):
        return feat, pt
    keep = np.ones(len(feat), dtype=bool)
    for kind in np.unique(kinds):
        mask = served(str(kind))
        if mask is None:
            continue
        sel = kinds[feat] == kind
        keep[sel] = ~mask[pt[sel]]
    return feat[keep], pt[keep]


def _pairs(geoms: NDArray[np.object_], hh: gpd.GeoDataFrame, d: Floats) -> Pairs:
    """Project × household pairs: on the Dask cluster when one is configured and the workspace is big
    enough (:func:`bangfu.planning.distributed.choose_path`), partitioned by county; else on this machine."""
    from bangfu.planning import distributed

    if distributed.choose_path(len(hh)) == "local":
        return pairs_within(geoms, hh.geometry, d, sort_points=False)
    xy = np.column_stack([hh.geometry.x.to_numpy(), hh.geometry.y.to_numpy()])
    county = hh["village_code"].astype(str).str[:6].to_numpy() if "village_code" in hh else None
    with distributed.connect() as client:
        return distributed.pairs_within_dask(geoms, xy, d, client=client, partition=county)


def _household_units(
    geoms: NDArray[np.object_],
    table: pd.DataFrame,
    hh: gpd.GeoDataFrame,
    vinfo: pd.DataFrame,
    kinds: NDArray[np.object_],
    dist: dict[str, float],
    new_only: bool,
    roads: gpd.GeoDataFrame | None,
    proj: gpd.GeoDataFrame,
) -> tuple[sp.csr_matrix, Units]:
    pairs = _pairs(geoms, hh, table["distance_m"].to_numpy())
    feat, pt = pairs.feature, pairs.point

    def served(kind: str) -> NDArray[np.bool_] | None:
        ex = _existing(kind, roads=roads, projects=proj)
        return np.asarray(points_within(ex, hh.geometry, dist[kind]), dtype=bool) if len(ex) else None

    if new_only:
        feat, pt = _drop_served(feat, pt, kinds, served)
    return _csr(feat, pt, (len(table), len(hh))), _household_measures(hh, vinfo)


def _household_measures(hh: gpd.GeoDataFrame, vinfo: pd.DataFrame) -> Units:
    """The five measures per household (all, poor, poor people, in 老区 villages, in key villages)."""
    pos, uniq = pd.factorize(hh["village_code"], use_na_sentinel=False)
    codes = pd.Index(uniq).astype(str)  # one lookup per village, then spread to its households
    poor = _flag(hh["is_poor"])
    members = pd.to_numeric(hh["members"], errors="coerce").fillna(1).to_numpy(dtype="float64")
    return {
        "households": np.ones(len(hh), dtype=np.float64),
        "poor_households": poor,
        "poor_people": poor * members,
        "old_households": _flag(pd.Series(codes.map(vinfo["is_old_district"])))[pos],
        "key_households": _flag(pd.Series(codes.map(vinfo["is_key_village"])))[pos],
    }


def _village_units(
    geoms: NDArray[np.object_],
    table: pd.DataFrame,
    vil: gpd.GeoDataFrame,
    kinds: NDArray[np.object_],
    dist: dict[str, float],
    new_only: bool,
    roads: gpd.GeoDataFrame | None,
    proj: gpd.GeoDataFrame,
) -> tuple[sp.csr_matrix, Units]:
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
    feats: list[Ints] = []
    units_idx: list[Ints] = []
    rows: list[tuple[int, float]] = []  # (village position, share of its area) per unit
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
        vals: Floats = pd.to_numeric(vil[col], errors="coerce").fillna(0).to_numpy(dtype="float64")
        out: Floats = vals[v_of] * share
        return out

    hh_total = total("households")
    units = {
        "households": hh_total,
        "poor_households": total("poor_households"),
        "poor_people": total("poor_population"),
        "old_households": hh_total * _flag(vil["is_old_district"])[v_of],
        "key_households": hh_total * _flag(vil["is_key_village"])[v_of],
    }
    return matrix, units
