"""Adapters from the briefing's calling convention (``fn(*layers)``) to the indicator and planning modules.

Each adapter is a few lines: it supplies the options the briefing uses (default needy rule, the
workspace's as-of date, 3 km tourism reach, default planning weights and distances) and returns
what the section needs (a 0–1 share, a table). The briefing's ``SECTIONS`` table points here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "stored_hardening_share", "stored_access_share", "stored_connected_share", "stored_tourism_share",
    "stored_km_by_year", "stored_project_ranking", "road_hardening_share", "road_access_share", "connected_villages_share", "road_km_completed_by_year",
    "pairing_coverage_share", "unpaired_needy_villages", "poor_tourism_reach_share", "project_ranking",
    "portfolio_table",
]


# --------------------------------------------------------------------------- from the stored tables
# (bangfu.workspace.derived; the briefing of a province or city: the same figures without the households' rows)


def stored_hardening_share(villages: pd.DataFrame, table: pd.DataFrame) -> float:
    """:func:`road_hardening_share` from the stored road km per village (``derived:village_roads``)."""
    from bangfu.indicators.stored import road_pieces_table
    from bangfu.indicators.summary import area_road_figures

    return area_road_figures(road_pieces_table(table, villages), villages)[2] / 100


def stored_km_by_year(villages: pd.DataFrame, table: pd.DataFrame) -> pd.Series:
    """:func:`road_km_completed_by_year` from the stored road km per village."""
    from bangfu.indicators.stored import road_pieces_table

    return road_km_completed_by_year(road_pieces_table(table, villages))


def stored_access_share(villages: pd.DataFrame, table: pd.DataFrame, all_villages: pd.DataFrame) -> float:
    """:func:`road_access_share` from the stored access counts per village (``derived:village_access``)."""
    from bangfu.indicators.stored import area_access_from_counts

    return area_access_from_counts(table, villages, all_villages)[0] / 100


def stored_connected_share(villages: pd.DataFrame, table: pd.DataFrame) -> float:
    """:func:`connected_villages_share` from the stored 通硬化路 per village (``derived:village_connection``)."""
    mine = table[table["village_code"].astype(str).isin(set(villages["village_code"].astype(str)))]
    return float(mine["connected"].astype(bool).mean()) if len(mine) else float("nan")


def stored_tourism_share(villages: pd.DataFrame, table: pd.DataFrame, all_villages: pd.DataFrame) -> float:
    """:func:`poor_tourism_reach_share` from the stored reach counts per village (``derived:village_tourism``)."""
    from bangfu.indicators.stored import tourism_share_from_counts

    return tourism_share_from_counts(table, villages, all_villages)


def stored_project_ranking(projects: pd.DataFrame, parts: Any) -> pd.DataFrame:
    """:func:`project_ranking` of the area's candidate projects from the stored catchment groups
    (``derived:catchments_straight``)."""
    from bangfu.planning import solvers as planning, stored

    cov = stored.subset(stored.from_parts(parts), projects["project_id"].astype(str).tolist())
    if cov.n_projects == 0:
        return pd.DataFrame(columns=["project_id", "name", "cost_wan", "households", "poor_households"])
    return planning.ranking(cov, planning.DEFAULT_WEIGHTS)


def road_hardening_share(pieces: pd.DataFrame, villages: pd.DataFrame) -> float:
    """Hardening rate (0–1) of the area: hardened km ÷ all road km of the road pieces inside it
    (:func:`bangfu.indicators.summary.area_road_figures`, the road page's and the CLI's definition)."""
    from bangfu.indicators.summary import area_road_figures

    return area_road_figures(pieces, villages)[2] / 100


def road_access_share(villages: pd.DataFrame, households: pd.DataFrame, roads: pd.DataFrame,
                      all_villages: pd.DataFrame) -> float:
    """Road access share (0–1) after the Rural Access Index: the area's households within 2 km of a
    hardened road (roads anywhere in the county count), measured as on the road page and in the CLI
    (:func:`bangfu.indicators.summary.area_access_figures`)."""
    from bangfu.geo.crs import metric_crs
    from bangfu.indicators.roads import prepare_households
    from bangfu.indicators.summary import area_access_figures

    points = prepare_households(households, villages, crs=metric_crs(all_villages))
    return area_access_figures(points, roads, villages)[0] / 100


def connected_villages_share(villages: pd.DataFrame, roads: pd.DataFrame, all_villages: pd.DataFrame,
                             seats: pd.DataFrame | None = None) -> float:
    """Share (0–1) of the area's villages 通硬化路 — seat to town seat on hardened roads only, walking leg at
    most :data:`bangfu.indicators.network.WALK_MAX_M` (the road page's network tab; the whole county's
    network, so a route through a neighbouring town counts; the imported seats where there are any)."""
    from bangfu.indicators import network as ni

    table = ni.village_connection(ni.network_data(roads, all_villages, seats), all_villages)
    mine = table[table["village_code"].isin(villages["village_code"].astype(str))]
    return float(mine["connected"].mean()) if len(mine) else float("nan")


def road_km_completed_by_year(pieces: pd.DataFrame) -> pd.Series:
    """Hardened km completed per year in the area (:func:`bangfu.indicators.roads.km_by_year` of its road pieces)."""
    from bangfu.indicators import roads as ri

    table = ri.km_by_year(pieces)
    return pd.Series(table["completed_km"].to_numpy(), index=table["year"].astype(int).to_numpy(), name="km")


def _pairing_table(villages: pd.DataFrame, pairings: pd.DataFrame, enterprises: pd.DataFrame,
                   meta: Mapping[str, str]) -> pd.DataFrame:
    from bangfu.indicators import pairings as pi

    as_of = pi.resolve_as_of(meta, dt.date.today())
    return pi.village_pairing_table(villages, pairings, enterprises, rule=pi.NeedyRule(), as_of=as_of)


def pairing_coverage_share(villages: pd.DataFrame, pairings: pd.DataFrame, enterprises: pd.DataFrame, *,
                           meta: Mapping[str, str]) -> float:
    """Share (0–1) of needy villages (default rule: key or 老区 villages) with an active pairing on the as-of date."""
    from bangfu.indicators import pairings as pi

    cov = pi.coverage(_pairing_table(villages, pairings, enterprises, meta))
    return cov.rate_pct / 100


def unpaired_needy_villages(villages: pd.DataFrame, pairings: pd.DataFrame, enterprises: pd.DataFrame, *,
                            meta: Mapping[str, str]) -> pd.DataFrame:
    """Needy villages without an active pairing, most poor households first."""
    from bangfu.indicators import pairings as pi

    return pi.unpaired_needy(_pairing_table(villages, pairings, enterprises, meta))


def poor_tourism_reach_share(villages: pd.DataFrame, households: pd.DataFrame, tourism_sites: pd.DataFrame) -> float:
    """Share (0–1) of the area's poor households within 3 km of any tourism site (sites anywhere count)."""
    from bangfu.indicators import tourism as ti

    table = ti.reach_by_town(villages, households, tourism_sites, distance_m=ti.DEFAULT_REACH_M)
    total = table[table["town_code"].isna()].iloc[-1]
    return float(total["poor_reached_pct"]) / 100


def project_ranking(projects: pd.DataFrame, villages: pd.DataFrame, households: pd.DataFrame,
                    roads: pd.DataFrame) -> pd.DataFrame:
    """Standalone ranking of the candidate projects (default service distances and weights)."""
    from bangfu.planning import coverage, solvers as planning
    from bangfu.planning.project_types import default_distances

    cov = coverage.build_coverage(projects, villages, households, roads, distances=default_distances())
    if cov.n_projects == 0:
        return pd.DataFrame(columns=["project_id", "name", "cost_wan", "households", "poor_households"])
    return planning.ranking(cov, planning.DEFAULT_WEIGHTS)


def _briefed(result: Any) -> Any:
    """The portfolio the briefing shows: the exact one unless the greedy one scores higher (a time-limited solve)."""
    return result.exact if result.exact.objective >= result.greedy.objective else result.greedy


def portfolio_facts(result: Any) -> dict[str, Any]:
    """Budget, number of projects and cost of the portfolio :func:`portfolio_table` lists (named in the briefing)."""
    best = _briefed(result)
    return {"budget": float(result.options.budget), "projects": len(best.chosen), "cost": float(best.cost)}


def portfolio_table(result: Any) -> pd.DataFrame:
    """The projects of a planning run's portfolio (the exact one when it is better, else greedy), best
    standalone score first, with the ranking's columns (cost, households, poor households...)."""
    best = _briefed(result)
    chosen = np.asarray(best.chosen, dtype=np.int64)
    ids = set(result.coverage.projects.iloc[chosen]["project_id"].astype(str))
    ranking = result.ranking
    return ranking[ranking["project_id"].astype(str).isin(ids)].reset_index(drop=True)
