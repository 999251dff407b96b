"""Road indicators: hardening rate by village/town/county, km by year against a target, RAI access share.

Pure, typed, no Streamlit. Lengths are measured in a metric CRS (the UTM zone of the villages).
Everything works on road *pieces* (:func:`bangfu.geo.overlay.road_pieces`, re-exported here): a road
that crosses village borders has its length split between the villages it runs through; a part
outside every polygon stays with the road's own ``village_code``, and a road lying exactly on a
shared border is not counted twice. An area's figures are those of its pieces
(:func:`bangfu.workspace.areas.area_pieces`), so a town counts the pieces of every road inside it.

Definitions (see docs/roads.md):

* hardening rate = hardened km (status ``completed``) / all road km of the layer, × 100;
* a village is *reached* when a hardened road runs through it (a piece longer than 1 m);
* road access share (after the World Bank Rural Access Index, SDG 9.1.1) = share of households
  (and of poor households) within ``distance_m`` (2 km) of a hardened road, distance <= d counting
  as inside, computed with :func:`bangfu.geo.proximity.points_within`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from bangfu.geo.overlay import road_pieces
from bangfu.geo.proximity import points_within
from bangfu.core import vocab
from bangfu.workspace import areas

__all__ = [
    "ROAD_STATUS_ORDER", "HARDENED", "REACHED_MIN_M", "road_pieces", "hardening_rates", "village_progress",
    "RoadTarget", "km_by_year", "progress_vs_target", "HouseholdPoints", "prepare_households",
    "access_shares", "filter_roads", "fmt_km", "AccessZone", "access_zones", "access_flags", "access_counts",
    "access_table", "ACCESS_COUNT_COLUMNS",
]

ROAD_STATUS_ORDER: tuple[str, ...] = vocab.ROAD_STATUS.codes  # km columns in the vocabulary's order
HARDENED = vocab.HARDENED
#: A hardened piece shorter than this (metres) does not make a village "reached".
REACHED_MIN_M = 1.0

Level = Literal["village", "town", "county"]


def fmt_km(v: float) -> str:
    """Kilometres for a KPI card: one decimal below 100 km, whole km above."""
    return "—" if v is None or np.isnan(v) else (f"{v:,.1f}" if abs(v) < 100 else f"{v:,.0f}")


def filter_roads(
    roads: pd.DataFrame,
    *,
    statuses: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
    years: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """The roads matching the filters (year = completed or planned year; roads without a year stay).

    The area (town) is not a filter here: take the area's roads from :mod:`bangfu.workspace.areas` first.
    """
    keep = pd.Series(True, index=roads.index)
    if statuses is not None:
        keep &= roads["status"].isin(list(statuses))
    if classes is not None:
        keep &= roads["road_class"].isin(list(classes))
    if years is not None:
        year = pd.to_numeric(roads["completed_year"], errors="coerce").fillna(
            pd.to_numeric(roads["planned_year"], errors="coerce")
        )
        keep &= year.between(years[0], years[1]) | year.isna()
    return roads[keep]


def _km_by_status(pieces: pd.DataFrame, by: str) -> pd.DataFrame:
    table = pieces.pivot_table(index=by, columns="status", values="length_km", aggfunc="sum", fill_value=0.0)
    table = table.reindex(columns=list(ROAD_STATUS_ORDER), fill_value=0.0)
    table.columns = [f"{s}_km" for s in ROAD_STATUS_ORDER]
    table["total_km"] = table.sum(axis=1)
    return table


def hardening_rates(pieces: pd.DataFrame, villages: pd.DataFrame, *, level: Level = "village") -> pd.DataFrame:
    """Road km by status and the hardening rate (``rate_pct``) per village, town or county.

    Every village (town) appears, with 0 km and rate NaN when it has no road. Villages carry
    ``reached`` (a hardened road runs through them).
    """
    v = pd.DataFrame(villages.drop(columns="geometry", errors="ignore"))
    p = pieces.merge(v[["village_code", "town_code"]], on="village_code", how="left")
    p["county"] = "county"
    key, names = {
        "village": ("village_code", ["village_code", "village_name", "town_code", "town_name"]),
        "town": ("town_code", ["town_code", "town_name"]),
        "county": ("county", []),
    }[level]
    km = _km_by_status(p, key) if not p.empty else pd.DataFrame(
        columns=[f"{s}_km" for s in ROAD_STATUS_ORDER] + ["total_km"], dtype="float64"
    )
    if level == "county":
        base = pd.DataFrame(
            {"county_code": [areas.whole_area(v).code], "county_name": [areas.whole_area(v).name], "county": ["county"]}
        )
    else:
        base = v[names].drop_duplicates(key)
    out = base.merge(km, left_on=key, right_index=True, how="left")
    out = out.drop(columns=["county"], errors="ignore")
    km_cols = [f"{s}_km" for s in ROAD_STATUS_ORDER] + ["total_km"]
    out[km_cols] = out[km_cols].astype("float64").fillna(0.0)
    rate = np.full(len(out), np.nan)
    np.divide(out["completed_km"].to_numpy(), out["total_km"].to_numpy(), out=rate, where=out["total_km"].to_numpy() > 0)
    out["rate_pct"] = rate * 100
    if level == "village":
        out["reached"] = out["completed_km"] * 1000 > REACHED_MIN_M
    return out.reset_index(drop=True)


def village_progress(pieces: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """Village rates with the villages not yet reached by a hardened road first, then by rate."""
    out = hardening_rates(pieces, villages, level="village")
    return out.sort_values(["reached", "rate_pct", "village_code"], na_position="first").reset_index(drop=True)


@dataclass(frozen=True)
class RoadTarget:
    """A target the user enters: a hardening rate (%) reached by a year, or km to complete in a year."""

    kind: Literal["rate", "km"]
    values: Mapping[int, float] = field(default_factory=dict)

    def cumulative_km(self, *, total_km: float, achieved_before: Mapping[int, float]) -> dict[int, float]:
        """Target cumulative hardened km per year.

        ``rate``: rate% × total km. ``km`` (annual): cumulative achieved at the end of the year
        before the first target year, plus the running sum of the annual targets.
        """
        years = sorted(self.values)
        if not years:
            return {}
        if self.kind == "rate":
            return {y: float(self.values[y]) / 100 * total_km for y in years}
        start = float(achieved_before.get(years[0] - 1, 0.0))
        run, out = start, {}
        for y in range(years[0], years[-1] + 1):
            run += float(self.values.get(y, 0.0))
            out[y] = run
        return out


def km_by_year(pieces: pd.DataFrame, *, years: Sequence[int] = ()) -> pd.DataFrame:
    """Hardened km completed per year, cumulative km and cumulative rate (% of all road km).

    Roads completed without a year form the baseline (counted before the first year).
    Columns: year, completed_km, cumulative_km, cumulative_rate_pct.
    """
    total = float(pieces["length_km"].sum()) if len(pieces) else 0.0
    done = pieces[pieces["status"] == HARDENED]
    year = pd.to_numeric(done["completed_year"], errors="coerce")
    baseline = float(done.loc[year.isna(), "length_km"].sum())
    per_year = done.loc[year.notna()].groupby(year[year.notna()].astype(int))["length_km"].sum()
    all_years = sorted(set(per_year.index.tolist()) | set(int(y) for y in years))
    if not all_years:
        return pd.DataFrame({"year": pd.Series([], dtype="int64"), "completed_km": [], "cumulative_km": [],
                             "cumulative_rate_pct": []})
    span = range(min(all_years), max(all_years) + 1)
    completed = per_year.reindex(span, fill_value=0.0).astype("float64")
    cumulative = baseline + completed.cumsum()
    rate = cumulative / total * 100 if total > 0 else cumulative * np.nan
    return pd.DataFrame(
        {"year": list(span), "completed_km": completed.to_numpy(), "cumulative_km": cumulative.to_numpy(),
         "cumulative_rate_pct": np.asarray(rate, dtype="float64")}
    )


def progress_vs_target(pieces: pd.DataFrame, target: RoadTarget) -> pd.DataFrame:
    """:func:`km_by_year` over the target's years too, with ``target_km`` and ``gap_km`` (achieved − target)."""
    total = float(pieces["length_km"].sum()) if len(pieces) else 0.0
    years = sorted(target.values)
    span = list(range(years[0] - 1, years[-1] + 1)) if years else []
    table = km_by_year(pieces, years=span)
    achieved = dict(zip(table["year"], table["cumulative_km"]))
    goal = target.cumulative_km(total_km=total, achieved_before=achieved)
    table["target_km"] = table["year"].map(goal).astype("float64")
    table["gap_km"] = table["cumulative_km"] - table["target_km"]
    return table


# --------------------------------------------------------------------------- access (RAI)


@dataclass(frozen=True)
class HouseholdPoints:
    """Household coordinates in a metric CRS with the attributes the aggregates need (no ids)."""

    xy: NDArray[np.float64]
    is_poor: NDArray[np.bool_]
    town_code: NDArray[np.object_]
    crs: str


def prepare_households(households: gpd.GeoDataFrame, villages: pd.DataFrame, *, crs: str) -> HouseholdPoints:
    """Project household points to ``crs`` and attach each one's town: the town of the village it lies in
    (the area rule of :mod:`bangfu.workspace.areas`; outside every village: its recorded village's town)."""
    town_of = dict(zip(villages["village_code"].astype(str), villages["town_code"]))
    if households.empty:
        return HouseholdPoints(np.zeros((0, 2)), np.zeros(0, bool), np.zeros(0, object), crs)
    g = households.geometry.to_crs(crs)
    xy = np.column_stack([g.x.to_numpy(), g.y.to_numpy()])
    poor = households["is_poor"].fillna(False).astype(bool).to_numpy()
    where = areas.row_villages("households", households, villages)
    towns = np.array([town_of.get(str(c)) if c is not None else None for c in where], dtype=object)
    return HouseholdPoints(xy, poor, towns, crs)


_QUAD_SEGS = 16
_MARGIN_M = 0.5


@dataclass(frozen=True)
class AccessZone:
    """The area within ``distance`` metres of some roads, for fast and exact point tests.

    Two unions of buffers bracket the true zone: ``inner`` (buffer at d − 0.5 m; GEOS buffer
    vertices lie on the arcs, so the polygon is inside the true zone) and ``outer`` (buffer large
    enough that its chords stay beyond d). A point inside ``inner`` is within d, a point outside
    ``outer`` is not; the few points in between are decided exactly with
    :func:`bangfu.geo.proximity.points_within` (GEOS ``dwithin``). The result equals
    ``points_within(geoms, points, distance)`` but costs two prepared point-in-polygon passes.
    Road geometry only — safe to cache and share between users.
    """

    geoms: NDArray[np.object_]
    distance: float
    inner: shapely.Geometry | None
    outer: shapely.Geometry | None

    @classmethod
    def build(cls, geoms: Sequence[shapely.Geometry] | NDArray[np.object_], distance: float) -> AccessZone:
        """Buffer and union the (metric) road geometries once."""
        g = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object)
        g = g[~shapely.is_missing(g)] if len(g) else g
        if distance < 0:
            raise ValueError(f"distance must be >= 0, got {distance}")
        if len(g) == 0:
            return cls(g, float(distance), None, None)
        inner = None
        if distance > _MARGIN_M:
            inner = shapely.union_all(shapely.buffer(g, distance - _MARGIN_M, quad_segs=_QUAD_SEGS))
            shapely.prepare(inner)
        reach = (distance + _MARGIN_M) / np.cos(np.pi / (4 * _QUAD_SEGS)) + _MARGIN_M
        outer = shapely.union_all(shapely.buffer(g, reach, quad_segs=_QUAD_SEGS))
        shapely.prepare(outer)
        return cls(g, float(distance), inner, outer)

    def contains(self, xy: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Boolean mask: point i is within ``distance`` of a road (distance <= d)."""
        xy = np.asarray(xy, dtype="float64").reshape(-1, 2)
        if self.outer is None or len(xy) == 0:
            return np.zeros(len(xy), dtype=bool)
        sure = (
            shapely.contains_xy(self.inner, xy[:, 0], xy[:, 1]) if self.inner is not None else np.zeros(len(xy), bool)
        )
        rest = np.flatnonzero(~sure)
        maybe = rest[shapely.contains_xy(self.outer, xy[rest, 0], xy[rest, 1])] if len(rest) else rest
        if len(maybe):
            sure[maybe] = points_within(self.geoms, xy[maybe], self.distance)
        return sure


def access_zones(
    roads: gpd.GeoDataFrame, *, crs: str, distance_m: float = 2000.0,
    extent: tuple[float, float, float, float] | None = None,
) -> tuple[AccessZone, AccessZone]:
    """(zone of the hardened roads, zone of the roads under construction) in ``crs``. ``extent`` (metric bounds of
    the points to be tested, e.g. an area's households) builds the zones of the roads near it only: a point there is
    within ``distance_m`` of a road exactly when it is with every road (the roads further away cannot reach it)."""
    if extent is not None and len(roads):
        roads = roads.iloc[_near_extent(roads, crs, extent, distance_m)]
    rm = roads.to_crs(crs) if len(roads) else roads
    geoms = np.asarray(rm.geometry.values, dtype=object) if len(rm) else np.array([], object)
    status = rm["status"].to_numpy(dtype=object) if len(rm) else np.array([], object)
    return (
        AccessZone.build(geoms[status == HARDENED], distance_m),
        AccessZone.build(geoms[status == "under_construction"], distance_m),
    )


def _near_extent(roads: gpd.GeoDataFrame, crs: str, extent: tuple[float, float, float, float],
                 distance_m: float) -> NDArray[np.int64]:
    """Positions of the roads that may come within ``distance_m`` of ``extent`` (metric bounds in ``crs``): the
    box grown by the distance and a margin, densified every 1 km, taken to the roads' CRS (its bounds grown by a
    further 1 %), then the roads' spatial index."""
    pad = distance_m + 10.0 * _MARGIN_M + 1.0
    x0, y0, x1, y1 = extent
    box = shapely.segmentize(shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad), 1000.0)
    there = gpd.GeoSeries([box], crs=crs).to_crs(roads.crs).total_bounds if roads.crs is not None else box.bounds
    w, h = there[2] - there[0], there[3] - there[1]
    grown = shapely.box(there[0] - 0.01 * w, there[1] - 0.01 * h, there[2] + 0.01 * w, there[3] + 0.01 * h)
    return np.asarray(np.sort(roads.sindex.query(grown, predicate="intersects")), dtype=np.int64)


def _share_table(groups: NDArray[np.object_], weights: dict[str, NDArray[np.bool_]]) -> pd.DataFrame:
    codes, uniques = pd.factorize(pd.Series(groups, dtype=object).fillna(""), sort=True)
    n = len(uniques)
    data = {k: np.bincount(codes, weights=v, minlength=n).astype(np.int64) for k, v in weights.items()}
    return pd.DataFrame(data, index=pd.Index(uniques, dtype=object, name="town_code"))


def access_shares(
    hh: HouseholdPoints,
    roads: gpd.GeoDataFrame,
    villages: pd.DataFrame,
    *,
    distance_m: float = 2000.0,
    zones: tuple[AccessZone, AccessZone] | None = None,
) -> pd.DataFrame:
    """Share of households and of poor households within ``distance_m`` of a hardened road.

    One row per town and a last county row (town_code ``""``). ``*_if_pct`` columns give the
    shares if every road under construction were completed; ``gain_pct`` the difference.
    ``zones`` (from :func:`access_zones` at the same distance and CRS) may be passed in from a cache.
    """
    if zones is None:
        zones = access_zones(roads, crs=hh.crs, distance_m=distance_m)
    near, near_if = access_flags(hh.xy, zones)
    table = _share_table(hh.town_code, access_counts(hh.is_poor, near, near_if))
    return access_table(table, villages)


def access_flags(xy: NDArray[np.float64], zones: tuple[AccessZone, AccessZone]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(within the distance of a hardened road, within it if the roads under construction were done) per point."""
    hardened, building = zones
    near = hardened.contains(xy)
    near_if = near.copy()
    rest = np.flatnonzero(~near)
    if len(rest):
        near_if[rest] = building.contains(xy[rest])
    return near, near_if


def access_counts(is_poor: NDArray[np.bool_], near: NDArray[np.bool_],
                  near_if: NDArray[np.bool_]) -> dict[str, NDArray[np.bool_]]:
    """The six household flags the access table counts (:data:`ACCESS_COUNT_COLUMNS`)."""
    return {"households": np.ones(len(near), bool), "households_within": near, "households_within_if": near_if,
            "poor": is_poor, "poor_within": near & is_poor, "poor_within_if": near_if & is_poor}


#: The household counts of the access table, in order.
ACCESS_COUNT_COLUMNS: tuple[str, ...] = ("households", "households_within", "households_within_if", "poor",
                                         "poor_within", "poor_within_if")


def access_table(table: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """The access table of :func:`access_shares` from its counts per town (index ``town_code``, ``""`` for
    households of no known town; columns :data:`ACCESS_COUNT_COLUMNS`): one row per town of ``villages`` and a
    last county row counting every household, with the shares in per cent."""
    table = table[list(ACCESS_COUNT_COLUMNS)].astype(np.int64)
    names = villages[["town_code", "town_name"]].drop_duplicates("town_code").set_index("town_code")["town_name"]
    county = table.sum()  # every household, also those whose village is unknown
    table = table.reindex(names.index, fill_value=0)
    table.loc[""] = county
    table = table.reset_index().rename(columns={"index": "town_code"})
    county_name = areas.whole_area(villages).name  # the whole area's own name, not its first row's county
    table["town_name"] = table["town_code"].map(names).fillna(county_name)

    def pct(a: str, b: str) -> NDArray[np.float64]:
        out = np.full(len(table), np.nan)
        den = table[b].to_numpy(dtype="float64")
        np.divide(table[a].to_numpy(dtype="float64"), den, out=out, where=den > 0)
        return out * 100

    table["share_pct"] = pct("households_within", "households")
    table["poor_share_pct"] = pct("poor_within", "poor")
    table["share_if_pct"] = pct("households_within_if", "households")
    table["poor_share_if_pct"] = pct("poor_within_if", "poor")
    table["gain_pct"] = table["share_if_pct"] - table["share_pct"]
    first = ["town_code", "town_name"]
    return table[first + [c for c in table.columns if c not in first]]
