"""Network road indicators: 通硬化路 (seat to town seat on hardened road), network distances and detours, access along roads, missing links.

Pure, typed, no Streamlit; definitions in docs/roads.md ("Roads as a network"). Built on
:mod:`bangfu.geo.network`:

* **通硬化路** (connected): some hardened road lies within ``walk_max_m`` of the village seat, another
  within ``walk_max_m`` of its town seat, and the two are joined by hardened roads only;
* **distance to the town seat** over hardened roads (within the walking limit at both seats) and over
  all roads (nearest road at both seats), walking legs included, and the **detour** between them;
* **access along roads**: households whose walking leg + network distance to the nearest point of a
  hardened road is at most ``distance_m`` (2 km, the Rural Access Index), beside the straight-line
  share of :mod:`bangfu.indicators.roads`;
* **missing links**: not-hardened roads whose hardening alone would connect the most villages not yet
  connected (and their households and poor households), with a cost from length × unit cost per class.

A village that cannot be reached keeps its row (distance ``inf`` shown as "—", status says why).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from bangfu.core import vocab
from bangfu.geo import network as gn
from bangfu.geo.crs import metric_crs
from bangfu.indicators.roads import AccessZone, HouseholdPoints
from bangfu.workspace import areas

__all__ = [
    "WALK_MAX_M", "ACCESS_ALONG_M", "UNIT_COST_WAN_PER_KM", "CONNECTION_STATUS", "NetworkData", "network_data", "split_seats",
    "NetworkIndex", "network_index", "area_network_data", "network_issues", "village_connection", "connection_summary", "network_access", "missing_links",
    "missing_link_projects",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]
Obj = NDArray[np.object_]

#: Longest walking leg (metres) from a seat to a hardened road for the village to count as 通硬化路.
WALK_MAX_M = 500.0
#: Distance along roads of the access share (metres): the Rural Access Index's 2 km.
ACCESS_ALONG_M = 2000.0
#: Default hardening cost per km (万元/km) by road class — placeholders the user sets on the page.
UNIT_COST_WAN_PER_KM: dict[str, float] = {"县道": 150.0, "乡道": 100.0, "村道": 60.0, "组道": 40.0}
#: Status codes of a village's connection (labels ``network.status.<code>``), in display order.
CONNECTION_STATUS: tuple[str, ...] = ("no_road", "seat_far", "town_seat_far", "not_linked", "connected")


@dataclass(frozen=True)
class NetworkData:
    """Road network, village and town seats (public data only: safe to cache for every user)."""

    net: gn.RoadNetwork
    village_seats: pd.DataFrame
    town_seats: pd.DataFrame
    issues: tuple[gn.NetworkIssue, ...]


def network_data(
    roads: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    seats: gpd.GeoDataFrame | None = None,
    *,
    tolerance_m: float = gn.DEFAULT_TOLERANCE_M,
    crs: str | None = None,
) -> NetworkData:
    """The network of the roads (metric CRS of the villages), the seats, and every data-quality issue
    (the network's, villages without a road, imported seats outside their village or town).

    ``seats`` is the optional ``seats`` layer (``code``, ``kind`` village/town, point): its points replace
    the estimated seats of their villages and towns and are not flagged estimated; None or empty (the
    demo) keeps every seat estimated (docs/roads.md)."""
    crs = crs or metric_crs(villages if not villages.empty else roads)
    net = gn.build_network(roads, crs=crs, tolerance_m=tolerance_m)
    v_imported, t_imported = split_seats(seats)
    vs = gn.village_seats(villages, v_imported, crs=crs)
    ts = gn.town_seats(villages, vs, imported=t_imported, crs=crs)
    return NetworkData(net, vs, ts, net.issues + _village_issues(net, villages, vs, crs) + tuple(
        gn.NetworkIssue("town_seat_outside", str(c)) for c, bad in zip(ts["town_code"], ts["outside"]) if bad))


@dataclass(frozen=True)
class NetworkIndex:
    """What choosing an area's part of the network needs, for the whole workspace, without building a network:
    the roads in the metric ``crs`` (row order of the roads layer), their groups
    (:func:`bangfu.geo.network.road_groups`), STR-trees of every road and of the hardened ones (``hard_rows``: their
    rows), and every village's seat (:func:`bangfu.geo.network.village_seats`, row order of the villages layer)."""

    crs: str
    tolerance_m: float
    geoms: Obj
    groups: I64
    tree: shapely.STRtree
    hard_rows: I64
    hard_tree: shapely.STRtree
    village_seats: pd.DataFrame


def network_index(
    roads: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    seats: gpd.GeoDataFrame | None = None,
    *,
    tolerance_m: float = gn.DEFAULT_TOLERANCE_M,
    crs: str | None = None,
) -> NetworkIndex:
    """The :class:`NetworkIndex` of a workspace (about a second for a province's 58,000 roads, where building
    its network takes 20 s)."""
    crs = crs or metric_crs(villages if not villages.empty else roads)
    geoms = np.asarray(roads.to_crs(crs).geometry.values, dtype=object) if len(roads) else np.zeros(0, object)
    hard_rows = np.flatnonzero(roads["status"].astype(str).to_numpy() == vocab.HARDENED).astype(np.int64)
    v_imported, _ = split_seats(seats)
    return NetworkIndex(crs, float(tolerance_m), geoms, gn.road_groups(geoms, tolerance_m), shapely.STRtree(geoms),
                        hard_rows, shapely.STRtree(geoms[hard_rows]), gn.village_seats(villages, v_imported, crs=crs))


def _grow(rows: I64, groups: I64, chosen: Bool) -> bool:
    """Mark the groups of ``rows`` in ``chosen`` (per road, in place): True when a road was added."""
    new = np.setdiff1d(groups[rows], groups[chosen]) if len(rows) else np.zeros(0, np.int64)
    if len(new) == 0:
        return False
    chosen |= np.isin(groups, new)
    return True


def area_network_data(
    index: NetworkIndex,
    roads: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    area_codes: set[str] | frozenset[str],
    seats: gpd.GeoDataFrame | None = None,
    *,
    walk_max_m: float = WALK_MAX_M,
    reach_m: float = ACCESS_ALONG_M,
    extent: tuple[float, float, float, float] | None = None,
) -> NetworkData:
    """The part of the workspace's network an area's figures depend on, and the villages they need: on it
    :func:`village_connection`, :func:`missing_links` and :func:`network_access` give for the area's villages,
    roads and households the figures of the whole network (docs/roads.md, "The network of one area").

    Roads are taken by whole groups (:func:`bangfu.geo.network.road_groups`: the pieces and nodes are the whole
    network's) — the groups of every road within ``reach_m`` of the area's box (its villages, and ``extent``,
    metric, e.g. its households: every path of ``reach_m`` or less starts and ends there), and of every road
    within ``walk_max_m`` of a seat or nearest to it (any road, any hardened road). The villages are the whole
    towns of the area and of every village whose seat lies within ``walk_max_m`` of the groups of the area's roads
    (a missing link of the area can connect them); a network path never leaves its group,
    so distances, components and nearest roads on the result are the whole network's. Where the roads form one
    big connected network this grows towards the whole workspace (still exact, as slow as the whole)."""
    codes = villages["village_code"].astype(str).to_numpy()
    towns_all = villages["town_code"].astype(str).to_numpy()
    in_area = np.isin(codes, np.asarray(sorted(area_codes), dtype=object))
    if in_area.all() or not in_area.any() or len(index.geoms) == 0:
        return network_data(roads, villages, seats, tolerance_m=index.tolerance_m, crs=index.crs)
    crs, eps = index.crs, 1e-6
    _, t_imported = split_seats(seats)
    vs = index.village_seats
    vxy = _xy(vs)
    box = villages[in_area].to_crs(crs).total_bounds
    # the area's roads (in its box or recorded in its villages) and the villages a missing link of the area can
    # connect: seats within the walking limit of their groups (a link's components lie in its group), with their
    # whole towns (a town's seat)
    own = np.zeros(len(index.geoms), bool)
    recorded = np.flatnonzero(roads["village_code"].astype(str).isin(area_codes).to_numpy()) \
        if "village_code" in roads.columns else np.zeros(0, np.int64)
    _grow(np.concatenate([index.tree.query(shapely.box(*box), predicate="intersects"), recorded]).astype(np.int64),
          index.groups, own)
    seat_pts = shapely.points(vxy)
    near_v = shapely.STRtree(index.geoms[own]).query(seat_pts, predicate="dwithin", distance=walk_max_m + eps)[0]
    use = np.isin(towns_all, np.union1d(towns_all[in_area], towns_all[near_v]))
    ts = gn.town_seats(villages[use], vs[use], imported=t_imported, crs=crs)
    pts = np.concatenate([seat_pts[use], shapely.points(_xy(ts))])
    pts = pts[~shapely.is_missing(pts) & ~shapely.is_empty(pts) & np.isfinite(shapely.get_x(pts))]
    # every seat's roads: within the walking limit, the nearest road and the nearest hardened road
    seeds = [index.tree.query(pts, predicate="dwithin", distance=walk_max_m + eps)[1],
             index.tree.query_nearest(pts, all_matches=True)[1]]
    if len(index.hard_rows):
        seeds.append(index.hard_rows[index.hard_tree.query_nearest(pts, all_matches=True)[1]])
    # every road within ``reach_m`` of the area's box and of ``extent``
    x0, y0, x1, y1 = box
    if extent is not None:
        x0, y0, x1, y1 = min(x0, extent[0]), min(y0, extent[1]), max(x1, extent[2]), max(y1, extent[3])
    g = float(reach_m) + eps
    chosen = own.copy()
    seeds.append(index.tree.query(shapely.box(x0 - g, y0 - g, x1 + g, y1 + g), predicate="intersects"))
    _grow(np.concatenate(seeds).astype(np.int64), index.groups, chosen)
    while True:
        data = network_data(roads.iloc[np.flatnonzero(chosen)], villages[use], seats, tolerance_m=index.tolerance_m,
                            crs=crs)
        # a nearest road that is no edge (zero-length, broken): nothing closer may be left out
        if not _grow(_closer_roads(data, pts, index, chosen), index.groups, chosen):
            return data


def _closer_roads(data: NetworkData, pts: Obj, index: NetworkIndex, chosen: Bool) -> I64:
    """Roads not ``chosen`` that are closer to a point of ``pts`` than its nearest road (or hardened road) on
    ``data``'s network."""
    net, xy = data.net, np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
    out: list[I64] = []
    for edges, rows in ((None, None), (net.hardened, index.hard_rows)):
        walk = gn.attach(net, xy, edges=edges).walk_m
        far = np.isfinite(walk)
        if not far.all():  # no road (or hardened road) at all on this network: every one may be closer
            walk = np.where(far, walk, np.inf)
        tree = index.tree if rows is None else index.hard_tree
        _, hit_r = tree.query(pts, predicate="dwithin", distance=np.where(np.isfinite(walk), walk, 1e12))
        r = hit_r if rows is None else rows[hit_r]
        out.append(r[~chosen[r]].astype(np.int64))
    return np.concatenate(out)


def split_seats(seats: gpd.GeoDataFrame | None) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    """The ``seats`` layer as (village seats with ``village_code``, town seats with ``town_code``).

    A row's kind is its ``kind`` (:data:`bangfu.core.vocab.SEAT_KIND`), or its code's length (12 digits:
    village, 9: town) where the kind is missing; a frame that already has ``village_code`` (and no ``code``)
    is taken as village seats."""
    if seats is None or seats.empty:
        return None, None
    if "code" not in seats.columns:
        return (seats, None) if "village_code" in seats.columns else (None, None)
    code = seats["code"].astype(object).map(lambda v: "" if v is None or v != v else str(v).strip())
    kind = seats["kind"].astype(object) if "kind" in seats.columns else pd.Series(None, index=seats.index)
    by_len = code.str.len().map({12: "village", 9: "town"})
    kind = kind.where(kind.notna() & kind.isin(vocab.SEAT_KIND.codes), by_len)
    village = seats[(kind == "village").to_numpy()].assign(village_code=code[(kind == "village").to_numpy()])
    town = seats[(kind == "town").to_numpy()].assign(town_code=code[(kind == "town").to_numpy()])
    return (village if len(village) else None), (town if len(town) else None)


def _village_issues(net: gn.RoadNetwork, villages: gpd.GeoDataFrame, vs: pd.DataFrame, crs: str) -> tuple[
        gn.NetworkIssue, ...]:
    out: list[gn.NetworkIssue] = []
    if net.n_edges and len(villages):
        vg = np.asarray(villages.to_crs(crs).geometry.values, dtype=object)
        vi, _ = shapely.STRtree(net.geometry).query(vg, predicate="intersects")
        touched = np.zeros(len(vg), bool)
        touched[vi] = True
    else:
        touched = np.zeros(len(villages), bool)
    codes = villages["village_code"].astype(str).to_numpy()
    out += [gn.NetworkIssue("no_road", str(c)) for c in codes[~touched]]
    for c, bad in zip(vs["village_code"], vs["outside"]):
        if bad:
            out.append(gn.NetworkIssue("seat_outside", str(c)))
    return tuple(out)


def network_issues(data: NetworkData, lang: str = "zh") -> pd.DataFrame:
    """The issues as a table (kind code, subject, metres, other) — the page labels the kinds."""
    return pd.DataFrame({
        "kind": [i.kind for i in data.issues], "subject": [i.subject for i in data.issues],
        "metres": np.array([i.metres for i in data.issues], dtype=np.float64),
        "other": [i.other for i in data.issues],
    })


def _xy(frame: pd.DataFrame) -> F64:
    return np.asarray(frame[["x", "y"]].to_numpy(dtype=np.float64), dtype=np.float64)


def _seat_to_town(
    net: gn.RoadNetwork, v_anch: gn.Anchors, v_town: I64, t_anch: gn.Anchors, n_towns: int, n_vil: int, edges: Bool
) -> F64:
    """Distance from each village (its anchors) to its town seat (the town's anchors) on ``edges``."""
    out = np.full(n_vil, np.inf)
    if len(v_anch.owner) == 0 or len(t_anch.owner) == 0:
        return out
    d = gn.node_distances(net, t_anch, n_towns, edges=edges)
    t = v_town[v_anch.owner]
    ok = t >= 0
    a = np.flatnonzero(ok)
    e, p, tt = v_anch.edge[a], v_anch.pos_m[a], t[a]
    via = v_anch.offset_m[a] + np.minimum(p + d[tt, net.u[e]], net.length_m[e] - p + d[tt, net.v[e]])
    # the same edge as a town anchor: straight along it
    va = pd.DataFrame({"a": a, "town": tt, "edge": e, "pos": p, "off": v_anch.offset_m[a]})
    ta = pd.DataFrame({"town": t_anch.owner, "edge": t_anch.edge, "tpos": t_anch.pos_m, "toff": t_anch.offset_m})
    both = va.merge(ta, on=["town", "edge"])
    best = pd.Series(via, index=a)
    if len(both):
        direct = both["off"] + both["toff"] + (both["pos"] - both["tpos"]).abs()
        direct.index = both["a"].to_numpy()
        best = pd.concat([best, direct]).groupby(level=0).min()
    per = best.groupby(v_anch.owner[best.index.to_numpy()]).min()
    out[per.index.to_numpy()] = per.to_numpy()
    return out


def _with_nearest(near: gn.Anchors, att: gn.Attachment) -> gn.Anchors:
    """``near`` plus each point's nearest-road attachment."""
    ok = np.flatnonzero(att.edge >= 0)
    return gn.Anchors(
        np.concatenate([near.owner, ok]), np.concatenate([near.edge, att.edge[ok]]),
        np.concatenate([near.pos_m, att.pos_m[ok]]), np.concatenate([near.offset_m, att.walk_m[ok]]),
    )


def village_connection(data: NetworkData, villages: pd.DataFrame, *, walk_max_m: float = WALK_MAX_M) -> pd.DataFrame:
    """One row per village: whether it is 通硬化路, its seat-to-town-seat distance over hardened roads and
    over all roads (km, walking legs included; inf = cannot reach), the detour (km and %), the walking
    legs and a ``status`` code of :data:`CONNECTION_STATUS`. Villages not connected come first."""
    net, vs, ts = data.net, data.village_seats, data.town_seats
    v = pd.DataFrame(villages.drop(columns="geometry", errors="ignore"))
    info = v.drop_duplicates("village_code").set_index(v["village_code"].astype(str).drop_duplicates())
    town_pos = {str(c): i for i, c in enumerate(ts["town_code"])}
    v_town = np.array([town_pos.get(str(c), -1) for c in vs["town_code"]], dtype=np.int64)
    hard = net.hardened
    vx, tx = _xy(vs), _xy(ts)
    # hardened: every hardened edge within the walking limit at both seats
    vh = gn.anchors_near(net, vx, walk_max_m, edges=hard)
    th = gn.anchors_near(net, tx, walk_max_m, edges=hard)
    d_hard = _seat_to_town(net, vh, v_town, th, len(ts), len(vs), hard)
    # all roads: every road within the walking limit and the nearest road, at both seats (a superset of
    # the hardened anchors on a supergraph: the all-roads distance is never longer than the hardened one)
    va, ta = gn.attach(net, vx), gn.attach(net, tx)
    v_any = _with_nearest(gn.anchors_near(net, vx, walk_max_m), va)
    t_any = _with_nearest(gn.anchors_near(net, tx, walk_max_m), ta)
    d_all = _seat_to_town(net, v_any, v_town, t_any, len(ts), len(vs), np.ones(net.n_edges, bool))
    walk_h = gn.attach(net, vx, edges=hard).walk_m
    t_walk_h = gn.attach(net, tx, edges=hard).walk_m
    connected = np.isfinite(d_hard)
    status = np.where(
        connected, "connected",
        np.where(va.walk_m > walk_max_m, "no_road",
                 np.where(walk_h > walk_max_m, "seat_far",
                          np.where(v_town >= 0, np.where(t_walk_h[np.maximum(v_town, 0)] > walk_max_m,
                                                         "town_seat_far", "not_linked"), "not_linked"))))
    codes = vs["village_code"].astype(str)
    out = pd.DataFrame({
        "village_code": codes.to_numpy(), "village_name": vs["village_name"].to_numpy(),
        "town_code": vs["town_code"].to_numpy(),
        "town_name": codes.map(info["town_name"]).to_numpy(),
        "households": pd.to_numeric(codes.map(info["households"]), errors="coerce").fillna(0).astype(np.int64).to_numpy(),
        "poor_households": pd.to_numeric(codes.map(info["poor_households"]), errors="coerce").fillna(0)
        .astype(np.int64).to_numpy(),
        "connected": connected, "status": status,
        "hardened_km": d_hard / 1000.0, "all_km": d_all / 1000.0,
        "walk_hardened_m": walk_h, "walk_any_m": va.walk_m,
        "seat_estimated": vs["estimated"].to_numpy(dtype=bool),
        "town_seat_village": [ts["village_code"].iloc[t] if t >= 0 else "" for t in v_town],
    })
    with np.errstate(invalid="ignore"):
        out["detour_km"] = np.where(np.isfinite(d_hard) & np.isfinite(d_all), (d_hard - d_all) / 1000.0, np.nan)
        pct = np.full(len(out), np.nan)
        ok = np.isfinite(out["detour_km"].to_numpy()) & (d_all > 0)
        pct[ok] = (d_hard[ok] - d_all[ok]) / d_all[ok] * 100
    out["detour_pct"] = pct
    return out.sort_values(["connected", "poor_households", "village_code"], ascending=[True, False, True],
                           kind="stable").reset_index(drop=True)


def connection_summary(table: pd.DataFrame, *, level: str = "town") -> pd.DataFrame:
    """Per town (``level="town"``) or for the whole table (``"county"``): villages, villages 通硬化路 and
    the share (%), households and poor households in connected villages and their shares, the median
    detour (km) of the connected villages and the villages that cannot be reached at all by road."""
    t = table.copy()
    t["_key"] = t["town_code"] if level == "town" else ""
    t["conn_hh"] = np.where(t["connected"], t["households"], 0)
    t["conn_poor"] = np.where(t["connected"], t["poor_households"], 0)
    t["unreachable"] = ~np.isfinite(t["all_km"].to_numpy(dtype=np.float64))
    g = t.groupby("_key", sort=True)
    out = pd.DataFrame({
        "villages": g.size(), "connected": g["connected"].sum().astype(np.int64),
        "households": g["households"].sum(), "connected_households": g["conn_hh"].sum(),
        "poor_households": g["poor_households"].sum(), "connected_poor": g["conn_poor"].sum(),
        "unreachable": g["unreachable"].sum().astype(np.int64),
        "median_detour_km": g["detour_km"].median(),
    })
    out["connected_pct"] = out["connected"] / out["villages"].where(out["villages"] > 0) * 100
    out["households_pct"] = out["connected_households"] / out["households"].where(out["households"] > 0) * 100
    out["poor_pct"] = out["connected_poor"] / out["poor_households"].where(out["poor_households"] > 0) * 100
    names = t.drop_duplicates("_key").set_index("_key")["town_name"] if level == "town" else None
    out = out.reset_index().rename(columns={"_key": "town_code"})
    out.insert(1, "town_name", out["town_code"].map(names) if names is not None else "")
    return out


def network_access(
    data: NetworkData,
    hh: HouseholdPoints,
    villages: pd.DataFrame,
    *,
    distance_m: float = ACCESS_ALONG_M,
    zone: AccessZone | None = None,
    att: gn.Attachment | None = None,
) -> pd.DataFrame:
    """Share of households (and poor households) within ``distance_m`` of a hardened road, straight line
    (as :func:`bangfu.indicators.roads.access_shares`) and along roads (walking leg + network distance),
    per town and a last county row (town_code ``""``). ``lost`` (``lost_poor``) counts the households within
    the straight-line distance that are not within it along roads (the network distance is never
    shorter): the road from their nearest road to the hardened one winds, crosses a river at a bridge
    further away, or does not exist. ``zone`` (the hardened roads' straight-line zone) and ``att`` (the
    households' walking legs, :func:`bangfu.geo.network.attach`) may come from a cache."""
    net = data.net
    hard = net.hardened
    if zone is None:
        zone = AccessZone.build(net.geometry[hard], distance_m)
    straight = zone.contains(hh.xy)
    att = att if att is not None else gn.attach(net, hh.xy)
    along = gn.nearest_source_distance(net, att, hard, limit=distance_m) <= distance_m
    lost = straight & ~along
    codes, found = pd.factorize(hh.town_code, sort=True)  # unknown town (None): -1 → the group ""
    uniq = pd.Index(list(found) + [""], dtype=object)
    codes = np.where(codes < 0, len(found), codes)
    n = len(uniq)

    def count(mask: Bool) -> I64:
        return np.bincount(codes, weights=mask.astype(np.float64), minlength=n).astype(np.int64)

    ones = np.ones(len(hh.xy), bool)
    table = pd.DataFrame({
        "households": count(ones), "within_straight": count(straight), "within_along": count(along),
        "poor": count(hh.is_poor), "poor_straight": count(straight & hh.is_poor), "poor_along": count(along & hh.is_poor),
        "lost": count(lost), "lost_poor": count(lost & hh.is_poor),
    }, index=pd.Index(uniq, dtype=object, name="town_code"))
    names = villages[["town_code", "town_name"]].drop_duplicates("town_code").set_index("town_code")["town_name"]
    county = table.sum()
    table = table.reindex(names.index, fill_value=0)
    table.loc[""] = county
    table = table.reset_index().rename(columns={"index": "town_code"})
    county_name = areas.whole_area(villages).name  # the whole area's own name, not its first row's county
    table.insert(1, "town_name", table["town_code"].map(names).fillna(county_name))

    def pct(a: str, b: str) -> F64:
        out = np.full(len(table), np.nan)
        den = table[b].to_numpy(dtype=np.float64)
        np.divide(table[a].to_numpy(dtype=np.float64), den, out=out, where=den > 0)
        return out * 100

    table["straight_pct"] = pct("within_straight", "households")
    table["along_pct"] = pct("within_along", "households")
    table["poor_straight_pct"] = pct("poor_straight", "poor")
    table["poor_along_pct"] = pct("poor_along", "poor")
    table["difference_pct"] = table["along_pct"] - table["straight_pct"]
    return table


def _component_sets(net: gn.RoadNetwork, anchors: gn.Anchors, n: int, labels: I64, n_lab: int) -> sp.csr_matrix:
    """Owner × hardened-component incidence: the components of the anchors' edges."""
    lab = labels[net.u[anchors.edge]]
    m = sp.csr_matrix((np.ones(len(lab)), (anchors.owner, lab)), shape=(n, n_lab))
    m.data[:] = 1.0
    return m


def missing_links(
    data: NetworkData,
    connection: pd.DataFrame,
    *,
    walk_max_m: float = WALK_MAX_M,
    unit_costs: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Not-hardened roads ranked by the villages their hardening alone would make 通硬化路.

    For road r let M be the hardened components its pieces touch. A village not yet connected becomes
    connected when (its seat is near a component of M, or near r itself) and (so is its town seat).
    Columns: road_id, name-less figures — status, road_class, length_km, villages (count), households,
    poor_households, village_codes, cost_wan (length × ``unit_costs`` of its class, 万元/km),
    poor_per_wan; ranked by villages, poor households, households, then cost. Roads that connect
    nothing are kept at the end (gain 0).
    """
    net = data.net
    costs = {**UNIT_COST_WAN_PER_KM, **(unit_costs or {})}
    hard = net.hardened
    n_lab, labels = connected_components(net.graph(hard), directed=False)
    labels = labels.astype(np.int64)
    vs, ts = data.village_seats, data.town_seats
    conn = connection.set_index("village_code")
    codes = vs["village_code"].astype(str).to_numpy()
    todo = ~conn.loc[codes, "connected"].to_numpy(dtype=bool)
    town_pos = {str(c): i for i, c in enumerate(ts["town_code"])}
    v_town = np.array([town_pos.get(str(c), -1) for c in vs["town_code"]], dtype=np.int64)
    todo &= v_town >= 0
    cand = ~hard
    roads = pd.Series(net.road_id[cand]).unique()
    empty = pd.DataFrame(columns=["road_id", "status", "road_class", "length_km", "villages", "households",
                                  "poor_households", "village_codes", "cost_wan", "poor_per_wan"])
    if len(roads) == 0:
        return empty
    r_pos = {str(r): i for i, r in enumerate(roads)}
    edge_r = np.array([r_pos.get(str(x), -1) if c else -1 for x, c in zip(net.road_id, cand)], dtype=np.int64)
    ce = np.flatnonzero(edge_r >= 0)
    n_r = len(roads)
    # components each candidate road touches (through its end nodes)
    rm = sp.csr_matrix((np.ones(2 * len(ce)), (np.concatenate([edge_r[ce], edge_r[ce]]),
                                               np.concatenate([labels[net.u[ce]], labels[net.v[ce]]]))),
                       shape=(n_r, n_lab))
    rm.data[:] = 1.0
    vx, tx = _xy(vs), _xy(ts)
    v_comp = _component_sets(net, gn.anchors_near(net, vx, walk_max_m, edges=hard), len(vs), labels, n_lab)
    t_comp = _component_sets(net, gn.anchors_near(net, tx, walk_max_m, edges=hard), len(ts), labels, n_lab)

    def near_road(xy: F64, n: int) -> sp.csr_matrix:
        a = gn.anchors_near(net, xy, walk_max_m, edges=edge_r >= 0)
        m = sp.csr_matrix((np.ones(len(a.owner)), (edge_r[a.edge], a.owner)), shape=(n_r, n))
        m.data[:] = 1.0
        return m

    touch_v = ((rm @ v_comp.T) + near_road(vx, len(vs))).toarray() > 0  # road × village
    touch_t = ((rm @ t_comp.T) + near_road(tx, len(ts))).toarray() > 0  # road × town
    gain = touch_v & touch_t[:, np.maximum(v_town, 0)] & todo[None, :]
    hh = conn.loc[codes, "households"].to_numpy(dtype=np.float64)
    poor = conn.loc[codes, "poor_households"].to_numpy(dtype=np.float64)
    length = np.bincount(edge_r[ce], weights=shapely.length(net.geometry[ce]), minlength=n_r) / 1000.0
    first = pd.Series(ce).groupby(edge_r[ce]).first()
    cls = net.road_class[first.reindex(range(n_r)).to_numpy()]
    status = net.status[first.reindex(range(n_r)).to_numpy()]
    cost = length * np.array([costs.get(str(c), np.nan) for c in cls], dtype=np.float64)
    out = pd.DataFrame({
        "road_id": roads.astype(str), "status": status, "road_class": cls, "length_km": length,
        "villages": gain.sum(axis=1).astype(np.int64), "households": (gain @ hh).astype(np.int64),
        "poor_households": (gain @ poor).astype(np.int64),
        "village_codes": ["、".join(codes[row]) for row in gain], "cost_wan": cost,
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        out["poor_per_wan"] = np.where(out["cost_wan"] > 0, out["poor_households"] / out["cost_wan"], np.nan)
    return out.sort_values(["villages", "poor_households", "households", "cost_wan", "road_id"],
                           ascending=[False, False, False, True, True], kind="stable").reset_index(drop=True)


def missing_link_projects(links: pd.DataFrame, roads: gpd.GeoDataFrame, *, top: int | None = None) -> gpd.GeoDataFrame:
    """Missing links with a gain as candidate road-hardening projects (the projects layer's columns):
    id ``ML-<road_id>``, the road's geometry, village and cost (``cost_wan`` of the link), status
    ``candidate``. ``top`` keeps the first ``top`` links of the ranking."""
    use = links[links["villages"] > 0]
    if top is not None:
        use = use.head(top)
    geo = roads.set_index(roads["road_id"].astype(str))
    rows = geo.loc[use["road_id"].astype(str)]
    return gpd.GeoDataFrame({
        "project_id": ("ML-" + use["road_id"].astype(str)).to_numpy(),
        "name": (rows["name"].astype(str) + "（硬化）").to_numpy() if "name" in rows else use["road_id"].to_numpy(),
        "project_type": "road_hardening",
        "cost_wan": use["cost_wan"].fillna(0.0).to_numpy(dtype=np.float64),
        "village_code": rows["village_code"].astype(str).to_numpy(),
        "status": "candidate",
    }, geometry=np.asarray(rows.geometry.values, dtype=object), crs=roads.crs)
