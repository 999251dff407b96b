"""Rural tourism: sites with their villages, households reached within a distance, employment by type.

Reach: a household is **reached** when it lies within ``distance_m`` metres (straight line, measured
in the data's UTM zone, distance <= d counts) of at least one of the chosen sites. Counting uses
:func:`bangfu.geo.proximity.points_within` (GEOS ``dwithin``, no buffer segmentation). A household's
town is the town of the village it lies in (the area rule of :mod:`bangfu.workspace.areas`; outside
every village: its recorded village's town).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from bangfu.geo.proximity import pairs_within, points_within, to_metric
from bangfu.workspace.schema import SITE_TYPES
from bangfu.indicators.poverty import safe_ratio
from bangfu.workspace import areas

__all__ = [
    "DEFAULT_REACH_M", "filter_sites", "site_table", "reached_mask", "reach_by_town", "site_reach",
    "employment_by_type",
]

#: Default reach distance of a tourism site (metres).
DEFAULT_REACH_M = 3000.0


def filter_sites(sites: gpd.GeoDataFrame, *, types: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Sites of the given types (all when ``None``).

    The area (town) is not a filter here: take the area's sites from :mod:`bangfu.workspace.areas` first.
    """
    unknown = [t for t in (types or ()) if t not in SITE_TYPES]
    if unknown:
        raise ValueError(f"unknown site type(s) {unknown!r}; allowed: {', '.join(SITE_TYPES)}")
    if types is None:
        return sites
    return sites[sites["site_type"].isin(list(types))]


def site_table(sites: pd.DataFrame, villages: pd.DataFrame, *, reach: pd.DataFrame | None = None) -> pd.DataFrame:
    """Sites with their village and town names (no geometry), by town then visitors; with the
    columns of ``reach`` (e.g. :func:`site_reach`, indexed like ``sites``) when given."""
    v = pd.DataFrame(villages[["village_code", "village_name", "town_code", "town_name"]])
    cols = ["site_id", "name", "site_type", "a_level", "village_code", "annual_visitors", "poor_households_employed"]
    base = pd.DataFrame(sites[cols])
    if reach is not None:
        base = base.join(reach)
    out = base.merge(v, on="village_code", how="left")
    return out.sort_values(["town_code", "annual_visitors", "site_id"], ascending=[True, False, True],
                           na_position="last").reset_index(drop=True)


def reached_mask(sites: gpd.GeoDataFrame, households: gpd.GeoDataFrame, *, distance_m: float) -> np.ndarray:
    """Boolean array over households: within ``distance_m`` metres of at least one site."""
    if distance_m < 0:
        raise ValueError(f"distance_m must be >= 0, not {distance_m!r}")
    if sites.empty or households.empty:
        return np.zeros(len(households), dtype=bool)
    s, h = to_metric(sites, households)
    return points_within(s.geometry, h.geometry, distance_m)


def _poor(households: pd.DataFrame) -> np.ndarray:
    return np.asarray(households["is_poor"].astype("boolean").fillna(False), dtype=bool)


def reach_by_town(
    villages: pd.DataFrame,
    households: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    distance_m: float = DEFAULT_REACH_M,
) -> pd.DataFrame:
    """Per town, and a last county row (``town_code`` ``None``): households and poor households,
    how many of each are reached by the sites, and the shares in percent.

    ``sites`` are all sites that count (they may lie in another town than the households they reach).
    """
    reached = reached_mask(sites, households, distance_m=distance_m)
    town_of = dict(zip(villages["village_code"].astype(str), villages["town_code"]))
    where = areas.row_villages("households", households, villages)
    frame = pd.DataFrame(
        {
            "town_code": np.array([town_of.get(str(c)) if c is not None else None for c in where], dtype=object),
            "households": 1,
            "poor_households": _poor(households).astype(int),
            "reached": reached.astype(int),
            "poor_reached": (reached & _poor(households)).astype(int),
        }
    )
    towns = pd.DataFrame(villages[["town_code", "town_name"]]).drop_duplicates("town_code").set_index("town_code")
    sums = frame.groupby("town_code")[["households", "poor_households", "reached", "poor_reached"]].sum()
    out = towns.join(sums).fillna(0).reset_index()
    total = {"town_code": None, "town_name": None, **{c: out[c].sum() for c in sums.columns}}
    out = pd.concat([out.sort_values("town_code"), pd.DataFrame([total])], ignore_index=True)
    for c in ("households", "poor_households", "reached", "poor_reached"):
        out[c] = out[c].astype(int)
    out["reached_pct"] = safe_ratio(out["reached"], out["households"]) * 100
    out["poor_reached_pct"] = safe_ratio(out["poor_reached"], out["poor_households"]) * 100
    return out


def site_reach(sites: gpd.GeoDataFrame, households: gpd.GeoDataFrame, *, distance_m: float) -> pd.DataFrame:
    """Per site (index of ``sites``): households and poor households within ``distance_m`` of it."""
    out = pd.DataFrame({"households_in_reach": 0, "poor_in_reach": 0}, index=sites.index)
    if sites.empty or households.empty:
        return out
    s, h = to_metric(sites, households)
    pairs = pairs_within(s.geometry, h.geometry, distance_m)
    poor = _poor(households)
    out["households_in_reach"] = np.bincount(pairs.feature, minlength=len(sites))
    out["poor_in_reach"] = np.bincount(pairs.feature, weights=poor[pairs.point], minlength=len(sites)).astype(int)
    return out


def employment_by_type(sites: pd.DataFrame) -> pd.DataFrame:
    """Per site type (schema order, types without sites left out): sites, poor households employed, visitors."""
    g = sites.groupby("site_type")
    out = pd.DataFrame(
        {
            "sites": g.size(),
            "poor_households_employed": g["poor_households_employed"].sum(min_count=1),
            "annual_visitors": g["annual_visitors"].sum(min_count=1),
        }
    )
    out = out.reindex([t for t in SITE_TYPES if t in out.index])
    out["poor_households_employed"] = out["poor_households_employed"].fillna(0).astype(int)
    out["annual_visitors"] = out["annual_visitors"].fillna(0).astype(int)
    return out.rename_axis("site_type").reset_index()
