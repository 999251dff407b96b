"""Simple stand-ins for road indicators the briefing needs before the roads module lands (issue 5).

Only what is trivial and correct: lengths measured in the data's UTM zone, each road counted
whole for the village it belongs to (``village_code``), "hardened" meaning ``status == "completed"``.
The roads module replaces these with length split by village borders; then the briefing's
:data:`bangfu.briefing.sources.SECTIONS` table points to it and these are no longer used.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ..crs import metric_crs

__all__ = ["road_lengths_km", "completed_km_share", "completed_road_km_by_year"]


def road_lengths_km(roads: gpd.GeoDataFrame) -> pd.Series:
    """Length of each road in km, measured in the data's UTM zone (0 for a missing geometry)."""
    if roads.empty:
        return pd.Series([], dtype="float64", index=roads.index)
    return (roads.to_crs(metric_crs(roads)).length / 1000.0).fillna(0.0)


def completed_km_share(roads: gpd.GeoDataFrame) -> float:
    """Hardening rate as a 0–1 share: km of roads with status ``completed`` ÷ km of all roads (NaN if none)."""
    km = road_lengths_km(roads)
    total = float(km.sum())
    if total <= 0:
        return float("nan")
    return float(km[roads["status"] == "completed"].sum()) / total


def completed_road_km_by_year(roads: gpd.GeoDataFrame) -> pd.Series:
    """km of completed roads by ``completed_year`` (int index, ascending); completed roads without a year are left out."""
    km = road_lengths_km(roads)
    done = (roads["status"] == "completed").to_numpy() & pd.notna(pd.to_numeric(roads["completed_year"], errors="coerce")).to_numpy()
    if not done.any():
        return pd.Series([], dtype="float64", name="km")
    years = pd.to_numeric(roads.loc[done, "completed_year"]).astype(np.int64)
    out = km[done].groupby(years.to_numpy()).sum().sort_index()
    out.index = out.index.astype(int)
    return out.rename("km")
