"""An area's key figures in one record (villages, households, roads, access, pairings) — for the CLI and checks.

Every figure comes from the function the pages and the briefing use, applied to the area's slice
(:class:`bangfu.workspace.areas.AreaLayers`):

* villages, households, poor households, poor people — :func:`bangfu.indicators.poverty.totals`;
* road km, hardened km, hardening rate — :func:`bangfu.indicators.roads.hardening_rates` of the road
  pieces inside the area (the road page's KPI row, the overview's and the briefing's rate);
* access shares — :func:`bangfu.indicators.roads.access_shares` of the area's households against
  every hardened road (the road page's KPI row and the briefing's card);
* pairing coverage — :func:`bangfu.indicators.pairings.coverage` with the default needy rule (key or
  老区 villages) on the as-of date (the overview's and the briefing's card).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from bangfu.core.labels import t
from bangfu.geo.crs import metric_crs
from bangfu.indicators import pairings as pi
from bangfu.indicators.poverty import fmt_int, fmt_pct, totals
from bangfu.indicators.roads import (
    AccessZone, HouseholdPoints, access_shares, fmt_km, hardening_rates, prepare_households,
)
from bangfu.workspace.areas import PIECES, Area, AreaLayers

__all__ = ["AreaSummary", "SummaryField", "SUMMARY_FIELDS", "ACCESS_DISTANCE_M", "area_summary",
           "area_road_figures", "area_access_figures", "summary_table"]

#: Default distance of the road access share (metres), as on the road page (RAI: 2 km).
ACCESS_DISTANCE_M = 2000.0


@dataclass(frozen=True)
class AreaSummary:
    """The key figures of one area."""

    area: Area
    villages: int
    households: int
    poor_households: int
    poor_population: int
    road_km: float
    hardened_km: float
    hardening_pct: float
    access_pct: float
    poor_access_pct: float
    needy_villages: int
    needy_paired: int
    pairing_coverage_pct: float


Fmt = Literal["int", "km", "pct"]


@dataclass(frozen=True)
class SummaryField:
    """A line of the printed summary: the attribute, its label (the pages' label) and its format."""

    attr: str
    label: str  # key in bangfu.core.labels
    fmt: Fmt


#: The printed summary, in order (labels shared with the pages' KPI rows).
SUMMARY_FIELDS: tuple[SummaryField, ...] = (
    SummaryField("villages", "kpi.villages", "int"),
    SummaryField("households", "kpi.households", "int"),
    SummaryField("poor_households", "kpi.poor_households", "int"),
    SummaryField("poor_population", "kpi.poor_population", "int"),
    SummaryField("road_km", "roads.kpi.total_km", "km"),
    SummaryField("hardened_km", "roads.kpi.hardened_km", "km"),
    SummaryField("hardening_pct", "kpi.hardening_rate", "pct"),
    SummaryField("access_pct", "roads.kpi.access", "pct"),
    SummaryField("poor_access_pct", "roads.kpi.poor_access", "pct"),
    SummaryField("pairing_coverage_pct", "kpi.pairing_coverage", "pct"),
)

_FORMATS = {"int": fmt_int, "km": fmt_km, "pct": fmt_pct}


def area_road_figures(pieces: pd.DataFrame, villages: pd.DataFrame) -> tuple[float, float, float]:
    """(all km, hardened km, hardening rate %) of an area's road pieces and villages."""
    row = hardening_rates(pieces, villages, level="county").iloc[0]
    return float(row["total_km"]), float(row["completed_km"]), float(row["rate_pct"])


def area_access_figures(
    points: HouseholdPoints, roads: pd.DataFrame, villages: pd.DataFrame, *,
    distance_m: float = ACCESS_DISTANCE_M, zones: tuple[AccessZone, AccessZone] | None = None,
) -> tuple[float, float]:
    """(household, poor household) access share % of an area's households (``points``, from
    :func:`bangfu.indicators.roads.prepare_households`) against ``roads`` (every road counts)."""
    if len(points.xy) == 0:
        return math.nan, math.nan
    row = access_shares(points, roads, villages, distance_m=distance_m, zones=zones).iloc[-1]
    return float(row["share_pct"]), float(row["poor_share_pct"])


def area_summary(
    data: AreaLayers, *, as_of: dt.date, distance_m: float = ACCESS_DISTANCE_M,
    zones: tuple[AccessZone, AccessZone] | None = None,
) -> AreaSummary:
    """The key figures of ``data.area`` (see the module docstring for where each comes from).

    ``zones`` (:func:`bangfu.indicators.roads.access_zones` of the whole roads layer at ``distance_m``
    in the workspace's metric CRS) may be passed in when several areas are summarised.
    """
    assert data.area is not None
    villages = data.layer("villages")
    tot = totals(villages)
    road_km, hardened_km, rate = area_road_figures(data.layer(PIECES), villages)
    points = prepare_households(data.layer("households"), villages, crs=metric_crs(data.full("villages")))
    access, poor_access = area_access_figures(points, data.full("roads"), villages, distance_m=distance_m,
                                              zones=zones)
    cov = pi.coverage(pi.village_pairing_table(villages, data.layer("pairings"), data.full("enterprises"),
                                               rule=pi.NeedyRule(), as_of=as_of))
    return AreaSummary(
        area=data.area, villages=tot.villages, households=tot.households, poor_households=tot.poor_households,
        poor_population=tot.poor_population, road_km=road_km, hardened_km=hardened_km, hardening_pct=rate,
        access_pct=access, poor_access_pct=poor_access, needy_villages=cov.needy, needy_paired=cov.paired,
        pairing_coverage_pct=cov.rate_pct,
    )


def summary_table(summary: AreaSummary, *, lang: str = "zh") -> pd.DataFrame:
    """The summary as two text columns (figure, value), labels and formats as on the pages."""
    return pd.DataFrame({
        t("summary.col.item", lang): [t(f.label, lang) for f in SUMMARY_FIELDS],
        t("summary.col.value", lang): [_FORMATS[f.fmt](getattr(summary, f.attr)) for f in SUMMARY_FIELDS],
    })
