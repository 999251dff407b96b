"""Overview indicators: road/pairing rates, KPIs and town summary (classification: :mod:`bangfu.indicators.classify`).

Pure, typed, no Streamlit. The road hardening rate and pairing coverage here are the *simple*
versions the overview page needs (the roads and pairings pages own the full ones):

* ``village_road_km`` — road and hardened km per village, split at village borders by the road
  module's :func:`~bangfu.indicators.roads.road_pieces` (the road page's definition);
* ``simple_active_pairings`` — the pairings active on ``as_of``, by the app-wide rule of
  :func:`bangfu.indicators.pairings.active_mask` (started on or before ``as_of``, ``end_date``
  empty or after it);
* ``simple_pairing_coverage`` — share of needy villages with at least one active pairing, needy
  meaning key **or** 老区 (:data:`OVERVIEW_NEEDY`, a :class:`~bangfu.indicators.pairings.NeedyRule`).

Every ratio goes through :func:`bangfu.indicators.poverty.safe_ratio`: a village with no
households, no area or no roads gets NaN (shown as "—"), never an error or infinity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from bangfu.core import vocab
from bangfu.indicators.pairings import NeedyRule, active_mask, needy_mask
from bangfu.indicators.poverty import safe_ratio, totals, village_metrics
from bangfu.indicators.roads import hardening_rates, road_pieces
from bangfu.workspace import areas, display

__all__ = [
    "HARDENED_STATUS", "village_road_km", "simple_active_pairings", "OVERVIEW_NEEDY", "overview_needy",
    "simple_pairing_coverage", "overview_villages", "OverviewKpis", "overview_kpis", "town_summary",
    "FlagFilter", "FLAG_FILTERS", "flag_mask", "TOWN_SUMMARY_COLUMNS", "unit_summary", "fmt_num", "display_table",
]


# --------------------------------------------------------------------------- roads and pairings (simple)

HARDENED_STATUS = vocab.HARDENED


def village_road_km(roads: gpd.GeoDataFrame | None, villages: gpd.GeoDataFrame, *,
                    pieces: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per village_code: ``road_km`` (all roads) and ``hardened_km`` (status completed).

    Lengths are the road pieces split at village borders, aggregated by the road page's
    :func:`bangfu.indicators.roads.hardening_rates`, so both pages show the same village rates and a
    town's km (the sum over its villages) are the pieces of every road inside the town. ``pieces``: the road
    pieces already summed per village (:func:`bangfu.indicators.stored.road_pieces_table` of the stored
    ``village_roads``), used instead of splitting ``roads`` again.
    """
    if pieces is None and (roads is None or len(roads) == 0):
        return pd.DataFrame({"road_km": pd.Series(dtype="float64"), "hardened_km": pd.Series(dtype="float64")},
                            index=pd.Index([], name="village_code"))
    rates = hardening_rates(road_pieces(roads, villages) if pieces is None else pieces, villages, level="village")
    frame = pd.DataFrame({
        "village_code": rates["village_code"].astype(str).values,
        "road_km": rates["total_km"].to_numpy(dtype="float64"),
        "hardened_km": rates[f"{HARDENED_STATUS}_km"].to_numpy(dtype="float64"),
    })
    return frame.groupby("village_code")[["road_km", "hardened_km"]].sum()


def simple_active_pairings(pairings: pd.DataFrame | None, as_of: str) -> pd.DataFrame:
    """The pairings active on ``as_of`` (ISO date), by :func:`bangfu.indicators.pairings.active_mask`."""
    if pairings is None:
        return pd.DataFrame(columns=["pairing_id", "enterprise_id", "village_code", "pairing_type"])
    if len(pairings) == 0:
        return pairings
    return pairings[active_mask(pairings, dt.date.fromisoformat(str(as_of)[:10]))]


#: Needy villages on the overview (issue 3): key villages or 老区 villages.
OVERVIEW_NEEDY = NeedyRule()  # the shared default: key villages or 老区 villages


def overview_needy(villages: pd.DataFrame) -> pd.Series:
    """Needy villages for the overview's pairing coverage: key villages or 老区 villages."""
    return needy_mask(villages, OVERVIEW_NEEDY).astype(bool)


def simple_pairing_coverage(villages: pd.DataFrame) -> float:
    """Share (%) of needy villages with at least one active pairing (NaN when none is needy).

    ``villages`` must carry ``active_pairings`` (see :func:`overview_villages`).
    """
    needy = overview_needy(villages)
    covered = needy & (villages["active_pairings"].fillna(0) > 0)
    return float(safe_ratio(int(covered.sum()), int(needy.sum()))[0] * 100)


def overview_villages(
    villages: gpd.GeoDataFrame,
    *,
    roads: gpd.GeoDataFrame | None = None,
    pairings: pd.DataFrame | None = None,
    as_of: str,
    road_pieces: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Villages with every figure the overview shows.

    Adds ``area_km2``, ``incidence_pct``, ``poverty_density`` (see :func:`village_metrics`),
    ``road_km``, ``hardened_km``, ``hardening_pct`` and ``active_pairings``. ``road_pieces``: the stored road km
    per village (:func:`village_road_km`), else ``roads`` are split at the village borders.
    """
    out = village_metrics(villages)
    codes = out["village_code"].astype(str)
    km = village_road_km(roads, villages, pieces=road_pieces)
    out["road_km"] = codes.map(km["road_km"]).fillna(0.0).astype("float64").values
    out["hardened_km"] = codes.map(km["hardened_km"]).fillna(0.0).astype("float64").values
    out["hardening_pct"] = safe_ratio(out["hardened_km"], out["road_km"]) * 100
    if pairings is not None and len(pairings):
        active = simple_active_pairings(pairings, as_of)
        counts = active.groupby(active["village_code"].astype(str)).size()
        out["active_pairings"] = codes.map(counts).fillna(0).astype("int64").values
    else:
        out["active_pairings"] = np.zeros(len(out), dtype="int64")
    return out


def fmt_num(v: float | None, decimals: int = 1) -> str:
    """'1,234.5' style with ``decimals``; '—' for missing or non-finite."""
    if v is None or v is pd.NA or not np.isfinite(float(v)):
        return "—"
    return f"{float(v):,.{decimals}f}"


# --------------------------------------------------------------------------- flags filter

FlagFilter = Literal["all", "old_or_key", "old", "key"]
FLAG_FILTERS: tuple[FlagFilter, ...] = ("all", "old_or_key", "old", "key")


def flag_mask(villages: pd.DataFrame, flag_filter: str) -> pd.Series:
    """Which villages pass the 老区/key filter ("all", "old_or_key", "old" or "key")."""
    old = villages["is_old_district"].fillna(False).astype(bool)
    key = villages["is_key_village"].fillna(False).astype(bool)
    table = {"all": pd.Series(True, index=villages.index), "old_or_key": old | key, "old": old, "key": key}
    if flag_filter not in table:
        raise ValueError(f"unknown filter {flag_filter!r}; allowed: {', '.join(FLAG_FILTERS)}")
    return table[flag_filter]


# --------------------------------------------------------------------------- KPIs and town table


@dataclass(frozen=True)
class OverviewKpis:
    """The overview's KPI row for the county or one town."""

    villages: int
    households: int
    poor_households: int
    poor_population: int
    old_district_villages: int
    key_villages: int
    hardening_pct: float
    pairing_coverage_pct: float
    needy_villages: int
    needy_paired: int

    @property
    def incidence_pct(self) -> float:
        return float(safe_ratio(self.poor_households, self.households)[0] * 100)


def overview_kpis(table: pd.DataFrame) -> OverviewKpis:
    """KPIs of :func:`overview_villages` rows: the area's slice of them (:mod:`bangfu.workspace.areas`).

    Village counts and totals come from :func:`bangfu.indicators.poverty.totals`; the hardening rate
    from the village road km, i.e. the sum of the road pieces inside the area's villages.
    """
    v = table
    tot = totals(v)
    needy = overview_needy(v)
    paired = needy & (v["active_pairings"] > 0)
    return OverviewKpis(
        villages=tot.villages,
        households=tot.households,
        poor_households=tot.poor_households,
        poor_population=tot.poor_population,
        old_district_villages=tot.old_district_villages,
        key_villages=tot.key_villages,
        hardening_pct=float(safe_ratio(float(v["hardened_km"].sum()), float(v["road_km"].sum()))[0] * 100),
        pairing_coverage_pct=float(safe_ratio(int(paired.sum()), int(needy.sum()))[0] * 100),
        needy_villages=int(needy.sum()),
        needy_paired=int(paired.sum()),
    )


#: Columns of :func:`town_summary`, in order (labels: ``overview.col.<name>``).
TOWN_SUMMARY_COLUMNS: tuple[str, ...] = (
    "town_code", "town_name", "villages", "households", "poor_households", "poor_population",
    "incidence_pct", "area_km2", "poverty_density", "old_district_villages", "key_villages",
    "road_km", "hardening_pct", "needy_villages", "needy_paired", "pairing_coverage_pct",
)


def town_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per town: totals and the rates recomputed from the totals (not averaged)."""
    return unit_summary(table, "town")


def unit_summary(table: pd.DataFrame, level: str = "town") -> pd.DataFrame:
    """One row per area of ``level`` (city, county, town: :data:`bangfu.workspace.areas.LEVELS`) holding villages
    of ``table``: totals and the rates recomputed from the totals (not averaged). The area's code and name
    (with its parents where names repeat, :func:`bangfu.workspace.areas.area_labels`) are in ``town_code`` /
    ``town_name`` for towns, ``area_code`` / ``area_name`` for the other levels."""
    v = pd.DataFrame(table.drop(columns="geometry", errors="ignore")).copy()
    if level != "town" or "town_name" not in v.columns:
        spec = next(lv for lv in areas.LEVELS if lv.key == level)
        names = areas.area_labels(v, level)
        v["town_code"] = v["village_code"].astype(str).str[: spec.digits]
        v["town_name"] = v["town_code"].map(names)
    v["_old"] = v["is_old_district"].fillna(False).astype(bool).astype(int)
    v["_key"] = v["is_key_village"].fillna(False).astype(bool).astype(int)
    v["_needy"] = overview_needy(v).astype(int)
    v["_paired"] = (overview_needy(v) & (v["active_pairings"] > 0)).astype(int)
    for c in ("households", "poor_households", "poor_population"):
        v[c] = pd.to_numeric(v[c], errors="coerce").fillna(0).astype("int64")
    g = v.groupby(["town_code", "town_name"], sort=True)
    out = pd.DataFrame({
        "villages": g.size(),
        "households": g["households"].sum(),
        "poor_households": g["poor_households"].sum(),
        "poor_population": g["poor_population"].sum(),
        "area_km2": g["area_km2"].sum(),
        "old_district_villages": g["_old"].sum(),
        "key_villages": g["_key"].sum(),
        "road_km": g["road_km"].sum(),
        "hardened_km": g["hardened_km"].sum(),
        "needy_villages": g["_needy"].sum(),
        "needy_paired": g["_paired"].sum(),
    }).reset_index()
    out["incidence_pct"] = safe_ratio(out["poor_households"], out["households"]) * 100
    out["poverty_density"] = safe_ratio(out["poor_households"], out["area_km2"])
    out["hardening_pct"] = safe_ratio(out["hardened_km"], out["road_km"]) * 100
    out["pairing_coverage_pct"] = safe_ratio(out["needy_paired"], out["needy_villages"]) * 100
    out = out[list(TOWN_SUMMARY_COLUMNS)]
    return out if level == "town" else out.rename(columns={"town_code": "area_code", "town_name": "area_name"})


_DECIMALS = {"incidence_pct": 1, "area_km2": 2, "poverty_density": 1, "road_km": 1, "hardened_km": 1,
             "hardening_pct": 1, "pairing_coverage_pct": 1}


def display_table(df: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
    """A copy for showing and downloading: rates rounded, yes/no flags as 是/否 (Yes/No), coded values as
    labels (:func:`bangfu.workspace.display.label_codes`), headers from the label table.

    Headers come from ``overview.col.<column>`` (columns without a label keep their name).
    """
    out = pd.DataFrame(df).copy()
    for col, d in _DECIMALS.items():
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").round(d)
    return display.labelled(out, lang, layers=("villages",), header_layers=(), prefix="overview.col.")
