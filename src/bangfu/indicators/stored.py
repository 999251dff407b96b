"""Per-village aggregates stored beside a workspace (:mod:`bangfu.workspace.derived`), and the figures read from them.

Computed once per content of the layers they depend on: households per village, road km per village, households
within reach of a hardened road or a tourism site per village, 通硬化路 per village. Each compute function takes a
reader of workspace layers and returns ``{"table": DataFrame}`` (counts and sums only, no household rows). The
figure functions below turn the area's rows of these tables into the same numbers the pages compute from the
layers themselves (:func:`access_from_counts` = :func:`bangfu.indicators.roads.access_shares`,
:func:`road_pieces_table` works in every road function that takes road pieces, …); tests hold them equal.

A household belongs to the village it lies in (the area rule of :mod:`bangfu.workspace.areas`); one outside every
village to its recorded village.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bangfu.core import vocab
from bangfu.geo.crs import metric_crs
from bangfu.geo.overlay import road_pieces
from bangfu.indicators import network as net_ind
from bangfu.indicators.poverty import safe_ratio
from bangfu.indicators.roads import ACCESS_COUNT_COLUMNS, access_counts, access_flags, access_table, access_zones
from bangfu.indicators.tourism import DEFAULT_REACH_M, reached_mask, site_reach
from bangfu.workspace import areas

__all__ = ["ACCESS_DISTANCE_M", "CAUSE_COLUMNS", "village_households", "village_roads", "village_access",
           "village_tourism", "village_connection", "reach_from_counts", "road_pieces_table", "access_from_counts",
           "area_access_from_counts", "tourism_share_from_counts", "rows_of_area"]

Reader = Callable[[str], pd.DataFrame]
Parts = dict[str, pd.DataFrame]

#: The distance of the stored access counts (the pages' default, the Rural Access Index's 2 km).
ACCESS_DISTANCE_M = 2000.0
#: Poor households by poverty cause: one column per code of :data:`bangfu.core.vocab.POVERTY_CAUSE`.
CAUSE_COLUMNS: tuple[str, ...] = tuple(f"poor_cause_{c}" for c in vocab.POVERTY_CAUSE.codes)


def _located(read: Reader) -> tuple[pd.DataFrame, NDArray[np.object_]]:
    """The households and the village each lies in (its recorded one outside every village), as text codes."""
    households, villages = read("households"), read("villages")
    if households.empty:
        return households, np.zeros(0, dtype=object)
    where = areas.row_villages("households", households, villages)
    codes = np.asarray(pd.Series(where, dtype=object).fillna("").astype(str).to_numpy(), dtype=object)
    return households, codes


def _flags(frame: pd.DataFrame, column: str) -> NDArray[np.bool_]:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    return np.asarray(frame[column].astype("boolean").fillna(False).astype(bool).to_numpy(), dtype=bool)


def _per_village(codes: NDArray[np.object_], columns: dict[str, NDArray[np.float64] | NDArray[np.bool_]]) -> pd.DataFrame:
    pos, uniq = pd.factorize(pd.Series(codes, dtype=object), sort=True)
    data = {k: np.bincount(pos, weights=np.asarray(v, dtype="float64"), minlength=len(uniq)).round().astype(np.int64)
            for k, v in columns.items()}
    return pd.DataFrame({"village_code": np.asarray(uniq, dtype=object).astype(str), **data})


def village_households(read: Reader) -> Parts:
    """Households per village (where they lie): ``households``, ``poor_households``, ``key_households``, ``people``,
    ``poor_people``, ``labour_households`` and poor households per poverty cause (:data:`CAUSE_COLUMNS`)."""
    hh, codes = _located(read)
    poor = _flags(hh, "is_poor")
    members = (pd.to_numeric(hh["members"], errors="coerce").fillna(1).to_numpy(dtype="float64")
               if "members" in hh else np.ones(len(hh)))
    cause = hh["poverty_cause"].astype(object).to_numpy() if "poverty_cause" in hh else np.full(len(hh), None)
    columns: dict[str, NDArray[np.float64] | NDArray[np.bool_]] = {
        "households": np.ones(len(hh), dtype=bool), "poor_households": poor, "key_households": _flags(hh, "is_key"),
        "people": members, "poor_people": members * poor, "labour_households": _flags(hh, "has_labour"),
    }
    for code, col in zip(vocab.POVERTY_CAUSE.codes, CAUSE_COLUMNS):
        columns[col] = poor & (cause == code)
    return {"table": _per_village(codes, columns)}


def village_roads(read: Reader) -> Parts:
    """Road km per village by status, class and year completed: the sums of the road pieces (every road split at
    the village borders, :func:`bangfu.geo.overlay.road_pieces`). Columns ``village_code``, ``status``,
    ``road_class``, ``completed_year`` (nullable), ``length_km``, ``roads`` (pieces summed)."""
    pieces = road_pieces(read("roads"), read("villages"))
    keys = ["village_code", "status", "road_class", "completed_year"]
    frame = pieces[keys + ["length_km"]].astype({"village_code": str, "status": str, "road_class": str})
    table = frame.groupby(keys, dropna=False, sort=True).agg(length_km=("length_km", "sum"),
                                                               roads=("length_km", "size")).reset_index()
    table["completed_year"] = pd.array(pd.to_numeric(table["completed_year"], errors="coerce"), dtype="Int64")
    return {"table": table}


def village_access(read: Reader) -> Parts:
    """Per village (where the households lie): the six household counts of the access table
    (:data:`bangfu.indicators.roads.ACCESS_COUNT_COLUMNS`) at :data:`ACCESS_DISTANCE_M` — within reach of a
    hardened road, and if the roads under construction were done."""
    hh, codes = _located(read)
    villages = read("villages")
    crs = metric_crs(villages)
    if hh.empty:
        return {"table": pd.DataFrame({"village_code": pd.Series([], dtype=str),
                                       **{c: pd.Series([], dtype=np.int64) for c in ACCESS_COUNT_COLUMNS}})}
    g = hh.geometry.to_crs(crs)
    xy = np.column_stack([g.x.to_numpy(), g.y.to_numpy()])
    near, near_if = access_flags(xy, access_zones(read("roads"), crs=crs, distance_m=ACCESS_DISTANCE_M))
    return {"table": _per_village(codes, dict(access_counts(_flags(hh, "is_poor"), near, near_if)))}


def village_tourism(read: Reader) -> Parts:
    """Per village (where the households lie): households and poor households, and how many of each lie within
    :data:`bangfu.indicators.tourism.DEFAULT_REACH_M` of a tourism site (sites anywhere count); and (part
    ``sites``) per site its households and poor households within that distance
    (:func:`bangfu.indicators.tourism.site_reach`)."""
    hh, codes = _located(read)
    sites = read("tourism_sites")
    reached = reached_mask(sites, hh, distance_m=DEFAULT_REACH_M) if len(hh) else np.zeros(0, bool)
    poor = _flags(hh, "is_poor")
    per_site = site_reach(sites, hh, distance_m=DEFAULT_REACH_M).astype(np.int64)
    per_site.insert(0, "site_id", sites["site_id"].astype(str).to_numpy() if len(sites) else [])
    return {"table": _per_village(codes, {"households": np.ones(len(hh), dtype=bool), "poor_households": poor,
                                          "reached": reached, "poor_reached": reached & poor}),
            "sites": per_site.reset_index(drop=True)}


def reach_from_counts(table: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """:func:`bangfu.indicators.tourism.reach_by_town` (per town of ``villages``, total row last) from the stored
    per-village reach counts at the default distance, every site type counting."""
    rows = rows_of_area(table, villages)
    town_of = dict(zip(villages["village_code"].astype(str), villages["town_code"]))
    cols = ["households", "poor_households", "reached", "poor_reached"]
    sums = rows[cols].groupby(rows["village_code"].astype(str).map(town_of).to_numpy()).sum()
    towns = pd.DataFrame(villages[["town_code", "town_name"]]).drop_duplicates("town_code").set_index("town_code")
    out = towns.join(sums).fillna(0).reset_index()
    total = {"town_code": None, "town_name": None, **{c: out[c].sum() for c in cols}}
    out = pd.concat([out.sort_values("town_code"), pd.DataFrame([total])], ignore_index=True)
    for c in cols:
        out[c] = out[c].astype(int)
    out["reached_pct"] = safe_ratio(out["reached"], out["households"]) * 100
    out["poor_reached_pct"] = safe_ratio(out["poor_reached"], out["poor_households"]) * 100
    return out


def village_connection(read: Reader) -> Parts:
    """通硬化路 per village at the default walking limit (:func:`bangfu.indicators.network.village_connection` of the
    whole workspace's network)."""
    villages = read("villages")
    seats = read("seats")
    data = net_ind.network_data(read("roads"), villages, seats if len(seats) else None)
    table = net_ind.village_connection(data, villages)
    return {"table": pd.DataFrame(table.drop(columns="geometry", errors="ignore")).reset_index(drop=True)}


# --------------------------------------------------------------------------- figures from the stored tables


def rows_of_area(table: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """The rows of a per-village table whose village is one of ``villages`` (an area's villages)."""
    return table[table["village_code"].astype(str).isin(set(villages["village_code"].astype(str)))]


def road_pieces_table(table: pd.DataFrame, villages: pd.DataFrame | None = None) -> pd.DataFrame:
    """The stored road km per village as road pieces (one row per village, status, class and year; columns of
    :func:`bangfu.geo.overlay.road_pieces` but ``road_id``): what :func:`bangfu.indicators.roads.hardening_rates`,
    :func:`~bangfu.indicators.roads.km_by_year` and :func:`~bangfu.indicators.summary.area_road_figures` sum.
    Restricted to ``villages`` when given."""
    rows = table if villages is None else rows_of_area(table, villages)
    return rows.reset_index(drop=True)


def access_from_counts(table: pd.DataFrame, villages: pd.DataFrame, all_villages: pd.DataFrame) -> pd.DataFrame:
    """:func:`bangfu.indicators.roads.access_shares` (per town of ``villages`` and a last row for them all) from the
    stored per-village counts of ``all_villages``' workspace: the households of ``villages`` when they are not the
    whole workspace, every household when they are."""
    whole = len(villages) == len(all_villages)
    rows = table if whole else rows_of_area(table, villages)
    town_of = dict(zip(all_villages["village_code"].astype(str), all_villages["town_code"].astype(str)))
    towns = rows["village_code"].astype(str).map(town_of).fillna("")
    counts = rows[list(ACCESS_COUNT_COLUMNS)].groupby(towns.to_numpy()).sum()
    counts.index = pd.Index(counts.index, dtype=object, name="town_code")
    return access_table(counts, villages)


def area_access_from_counts(table: pd.DataFrame, villages: pd.DataFrame, all_villages: pd.DataFrame) -> tuple[float, float]:
    """(household, poor household) access share % of an area (:func:`bangfu.indicators.summary.area_access_figures`)
    from the stored counts; NaN without households."""
    row = access_from_counts(table, villages, all_villages).iloc[-1]
    if int(row["households"]) == 0:
        return math.nan, math.nan
    return float(row["share_pct"]), float(row["poor_share_pct"])


def tourism_share_from_counts(table: pd.DataFrame, villages: pd.DataFrame, all_villages: pd.DataFrame) -> float:
    """Share (0–1) of the area's poor households within reach of a tourism site, from the stored counts (NaN
    without poor households)."""
    rows = table if len(villages) == len(all_villages) else rows_of_area(table, villages)
    poor = float(rows["poor_households"].sum())
    return float(rows["poor_reached"].sum()) / poor if poor > 0 else math.nan
