"""Cached data for the overview page: the village table and the map data, keyed by workspace version.

Only public layers go into these shared caches (villages, roads, sites, enterprises, pairings,
projects) — never household rows.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import geopandas as gpd
import pandas as pd
import streamlit as st

from bangfu import indicators as ind
from bangfu.maps.overview import MapOptions, OverviewGeometry, OverviewMapData, prepare_geometry, prepare_overview
from bangfu.ui.cache import load_layer


def default_as_of(meta: dict[str, str]) -> dt.date:
    """The workspace's reference date (meta ``as_of``) or today (the rule of the pairings page)."""
    return ind.resolve_as_of(meta, dt.date.today())


def md_text(value: object) -> str:
    """Any text made safe for ``st.markdown``: HTML escaped, Markdown punctuation backslash-escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~>])", r"\\\1", html.escape(str(value), quote=False))


@st.cache_data(show_spinner=False, max_entries=16)
def village_table(path: str, version: str, as_of: str) -> gpd.GeoDataFrame:
    """Villages with every overview figure (see :func:`bangfu.indicators.overview_villages`)."""
    return ind.overview_villages(
        load_layer(path, version, "villages"),
        roads=load_layer(path, version, "roads"),
        pairings=load_layer(path, version, "pairings"),
        as_of=as_of,
    )


@st.cache_data(show_spinner=False, max_entries=4)
def map_geometry(path: str, version: str, simplify_deg: float, precision: int) -> OverviewGeometry:
    """Simplified villages, dissolved towns and county, simplified roads (independent of the options)."""
    return prepare_geometry(load_layer(path, version, "villages"), load_layer(path, version, "roads"),
                            simplify_deg=simplify_deg, precision=precision)


@st.cache_data(show_spinner=False, max_entries=32)
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


@st.cache_data(show_spinner=False, max_entries=16)
def town_table(path: str, version: str, as_of: str) -> pd.DataFrame:
    """The town summary (see :func:`bangfu.indicators.town_summary`)."""
    return ind.town_summary(village_table(path, version, as_of))
