"""Cached data for the overview page: the village table and the map data, keyed by workspace version.

Only public layers go into these shared caches (villages, roads, sites, enterprises, pairings,
projects) — never household rows. The cache policy is :mod:`bangfu.ui.cache`'s.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd

from bangfu import indicators as ind
from bangfu.maps.overview import MapOptions, OverviewGeometry, OverviewMapData, prepare_geometry, prepare_overview
from bangfu.ui.cache import load_layer, shared
from bangfu.ui.feedback import md_text

__all__ = ["default_as_of", "md_text", "village_table", "map_geometry", "map_data", "town_table"]


def default_as_of(meta: dict[str, str]) -> dt.date:
    """The workspace's reference date (meta ``as_of``) or today (the rule of the pairings page)."""
    return ind.resolve_as_of(meta, dt.date.today())


@shared(max_entries=16)
def village_table(path: str, version: str, as_of: str) -> gpd.GeoDataFrame:
    """Villages with every overview figure (see :func:`bangfu.indicators.overview_villages`)."""
    return ind.overview_villages(
        load_layer(path, version, "villages"),
        roads=load_layer(path, version, "roads"),
        pairings=load_layer(path, version, "pairings"),
        as_of=as_of,
    )


@shared(max_entries=4)
def map_geometry(path: str, version: str, simplify_deg: float, precision: int) -> OverviewGeometry:
    """Simplified villages, dissolved towns and county, simplified roads (independent of the options)."""
    return prepare_geometry(load_layer(path, version, "villages"), load_layer(path, version, "roads"),
                            simplify_deg=simplify_deg, precision=precision)


@shared(max_entries=32)
def map_data(path: str, version: str, as_of: str, options: MapOptions) -> OverviewMapData:
    """Escaped, simplified map data for one set of options (geometry shared between options)."""
    return prepare_overview(
        village_table(path, version, as_of),
        options=options,
        roads=load_layer(path, version, "roads"),
        sites=load_layer(path, version, "tourism_sites"),
        enterprises=load_layer(path, version, "enterprises"),
        active_pairings=ind.simple_active_pairings(load_layer(path, version, "pairings"), as_of),
        geometry=map_geometry(path, version, options.simplify_deg, options.precision),
    )


@shared(max_entries=16)
def town_table(path: str, version: str, as_of: str) -> pd.DataFrame:
    """The town summary (see :func:`bangfu.indicators.town_summary`)."""
    return ind.town_summary(village_table(path, version, as_of))
