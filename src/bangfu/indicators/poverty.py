"""Poverty indicators: density and incidence, totals by county and town (pure, typed, no Streamlit).

Areas are measured in a metric CRS (UTM zone of the data). Division by zero never raises:
a village with no households has incidence NaN (shown as "—"), one with zero area density NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from bangfu.geo.crs import metric_crs

__all__ = [
    "area_km2", "safe_ratio", "village_metrics", "Totals", "totals", "fmt_int", "fmt_pct",
]


def area_km2(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Area of each polygon in km², measured in the data's UTM zone."""
    if gdf.empty:
        return pd.Series([], dtype="float64", index=gdf.index)
    return gdf.to_crs(metric_crs(gdf)).area / 1e6


def safe_ratio(num: pd.Series | np.ndarray | float, den: pd.Series | np.ndarray | float) -> np.ndarray:
    """num / den with NaN where den is 0 or missing (never a ZeroDivisionError or inf)."""
    n = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(num)), errors="coerce"), dtype="float64")
    d = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(den)), errors="coerce"), dtype="float64")
    out = np.full(np.broadcast(n, d).shape, np.nan)
    np.divide(n, d, out=out, where=(d != 0) & ~np.isnan(d))
    return out


def village_metrics(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Villages with ``area_km2``, ``incidence_pct`` (poor / all households × 100) and
    ``poverty_density`` (poor households per km²)."""
    out = villages.copy()
    out["area_km2"] = area_km2(villages)
    out["incidence_pct"] = safe_ratio(out["poor_households"], out["households"]) * 100
    out["poverty_density"] = safe_ratio(out["poor_households"], out["area_km2"])
    return out


@dataclass(frozen=True)
class Totals:
    """Key figures of an area (county or town)."""

    villages: int
    towns: int
    households: int
    population: int
    poor_households: int
    poor_population: int
    old_district_villages: int
    key_villages: int
    area_km2: float

    @property
    def incidence_pct(self) -> float:
        return float(safe_ratio(self.poor_households, self.households)[0] * 100)


def _int_sum(s: pd.Series) -> int:
    return int(pd.to_numeric(s, errors="coerce").fillna(0).sum())


def totals(villages: gpd.GeoDataFrame) -> Totals:
    """Totals of the given villages (an area's slice: :mod:`bangfu.workspace.areas`)."""
    v = villages
    areas = v["area_km2"] if "area_km2" in v.columns else area_km2(v)
    return Totals(
        villages=len(v),
        towns=int(v["town_code"].nunique()),
        households=_int_sum(v["households"]),
        population=_int_sum(v["population"]),
        poor_households=_int_sum(v["poor_households"]),
        poor_population=_int_sum(v["poor_population"]),
        old_district_villages=int(v["is_old_district"].fillna(False).astype(bool).sum()),
        key_villages=int(v["is_key_village"].fillna(False).astype(bool).sum()),
        area_km2=float(pd.Series(areas).sum()),
    )


def fmt_int(v: float | int) -> str:
    """12,345 style; '—' for missing."""
    return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{int(round(v)):,}"


def fmt_pct(v: float, digits: int = 1) -> str:
    """'12.3%'; '—' for missing."""
    return "—" if v is None or np.isnan(v) else f"{v:.{digits}f}%"
