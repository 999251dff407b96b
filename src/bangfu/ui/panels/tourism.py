"""Panels of page 乡村旅游: site filters, households reached (county and area), KPIs, map, tables and chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Sequence

import folium
import pandas as pd
import streamlit as st

from bangfu import indicators as ind
from bangfu.indicators import stored as stored_ind
from bangfu.ui import cache
from bangfu.core.vocab import SITE_TYPE
from bangfu.maps import themes as thememaps
from bangfu.maps import units as mu
from bangfu.ui.panels import overview
from bangfu.ui.shell import Context
from bangfu.indicators.search import Entry
from bangfu.ui.widgets import download_buttons, kpi_row, page_pick, suppression_note
from bangfu.workspace import display, personal
from bangfu.workspace.access import SUPPRESSED
from bangfu.workspace.schema import SITE_TYPES

#: Columns of the reach table and of the site table, in order.
REACH_COLUMNS: tuple[str, ...] = ("town_name", "households", "reached", "reached_pct", "poor_households",
                                  "poor_reached", "poor_reached_pct")
SITE_COLUMNS: tuple[str, ...] = ("name", "site_type", "a_level", "village_name", "town_name", "annual_visitors",
                                 "poor_households_employed", "households_in_reach", "poor_in_reach")
_LAYERS = ("villages", "tourism_sites")
#: Household counts of the reach table (and the shares over them), suppressed below 5 households for a reader
#: without household access (:func:`bangfu.workspace.personal.shown_counts`).
REACH_COUNTS: tuple[str, ...] = ("households", "reached", "poor_households", "poor_reached")
REACH_SHARES: dict[str, str] = {"reached_pct": "households", "poor_reached_pct": "poor_households"}
SITE_COUNTS: tuple[str, ...] = ("households_in_reach", "poor_in_reach")


def labelled(
    df: pd.DataFrame, lang: str, columns: Sequence[str] | None = None, *, prefer: str = "villages"
) -> pd.DataFrame:
    """The chosen columns with coded values and yes/no as labels, headed by ``pt.col.*`` labels, else the
    schema labels of ``prefer`` first, then villages and sites (:func:`bangfu.workspace.display.labelled`)."""
    return display.labelled(df, lang, columns=columns, layers=(prefer, *_LAYERS), prefix="pt.col.")


@dataclass(frozen=True)
class Choice:
    """What the option row chose: site types, the reach distance (metres), whether to draw the reach circles."""

    types: list[str]
    reach_m: float
    show_reach: bool


def option_widgets(ctx: Context) -> Choice:
    """Site types (those present), reach distance (km), reach circles on the map."""
    sites = ctx.layer("tourism_sites")
    c1, c2, c3 = st.columns([3, 2, 1])
    present = [s for s in SITE_TYPES if s in set(sites["site_type"])]
    types = c1.multiselect(ctx.t("tourism.types"), present, default=present, key="tourism_types",
                           placeholder=ctx.t("common.choose"), format_func=lambda s: SITE_TYPE.label(s, ctx.lang))
    reach_km = c2.slider(ctx.t("tourism.reach_km"), min_value=0.5, max_value=10.0, value=ind.DEFAULT_REACH_M / 1000,
                         step=0.5, key="tourism_reach_km")
    show_reach = c3.checkbox(ctx.t("tourism.show_reach"), value=False, key="tourism_show_reach")
    return Choice(types, reach_km * 1000, show_reach)


@dataclass(frozen=True)
class AreaView:
    """Sites and households reached, for the county and the current area (the one area rule)."""

    villages: pd.DataFrame  # every village with its metrics
    area_villages: pd.DataFrame  # the area's villages with their metrics
    households: pd.DataFrame | None  # every household point (no ids; aggregates only); None: stored counts
    sites: pd.DataFrame  # the area's sites of the chosen types
    reach: pd.DataFrame  # households reached per town, county row last (sites of every town count); as shown
    area_reach: pd.DataFrame  # the same for the area's households (``reach`` itself for the county)
    site_counts: pd.DataFrame | None = None  # stored households in reach per site (``site_id``), if used
    no_households: bool = False  # the workspace has no household points

    @property
    def is_whole(self) -> bool:
        return self.area_reach is self.reach


def _stored_reach(ctx: Context, choice: Choice) -> dict[str, pd.DataFrame] | None:
    """The stored reach counts (:mod:`bangfu.workspace.derived`, ``village_tourism``) when the choice is what they
    were computed for (every site type, the default distance), at every level (the table lists every town of the
    workspace: never read from the whole household layer in a session), else None."""
    if choice.reach_m != ind.DEFAULT_REACH_M:
        return None
    if not set(ctx.layer("tourism_sites")["site_type"].astype(str)) <= set(map(str, choice.types)):
        return None
    personal.require_aggregates(ctx.user, "households")
    return cache.derived_table(ctx.path, ctx.version, "village_tourism", lang=ctx.lang)


def area_view(ctx: Context, choice: Choice) -> AreaView:
    """The area's sites and the households within ``choice.reach_m`` of a site of the chosen types (counts as
    the signed-in user may see them: small cells suppressed). With the default choice from the stored counts per
    village and per site (no household read in the session)."""
    villages = ind.village_metrics(ctx.layer("villages"))
    stored = _stored_reach(ctx, choice)
    if stored is not None:
        area_villages = ind.village_metrics(ctx.area_layer("villages"))
        reach = _shown(ctx, stored_ind.reach_from_counts(stored["table"], villages))
        area_reach = reach if ctx.is_whole else _shown(ctx, stored_ind.reach_from_counts(stored["table"],
                                                                                          area_villages))
        sites = ind.filter_sites(ctx.area_layer("tourism_sites"), types=choice.types)
        return AreaView(villages, area_villages, None, sites, reach, area_reach, stored["sites"],
                        no_households=int(stored["table"]["households"].sum()) == 0)
    households = ctx.aggregate_layer("households")
    area_villages = ind.village_metrics(ctx.area_layer("villages"))
    typed_sites = ind.filter_sites(ctx.layer("tourism_sites"), types=choice.types)  # reach counts sites of every town
    sites = ind.filter_sites(ctx.area_layer("tourism_sites"), types=choice.types)
    with st.spinner(ctx.t("tourism.reach_title")):
        reach = _shown(ctx, ind.reach_by_town(villages, households, typed_sites, distance_m=choice.reach_m))
        # the area's row: its own households (for the whole county, the county row of the table above)
        area_reach = reach if ctx.is_whole else _shown(ctx, ind.reach_by_town(
            area_villages, ctx.area_aggregate_layer("households"), typed_sites, distance_m=choice.reach_m))
    return AreaView(villages, area_villages, households, sites, reach, area_reach, no_households=households.empty)


def _shown(ctx: Context, reach: pd.DataFrame) -> pd.DataFrame:
    return personal.shown_counts(reach, ctx.user, REACH_COUNTS, shares=REACH_SHARES)


def _count(v: Any) -> str:
    return str(v) if v == SUPPRESSED else ind.fmt_int(v)


def _pct(v: Any) -> str:
    return str(v) if v == SUPPRESSED else ind.fmt_pct(v)


def kpi_section(ctx: Context, view: AreaView) -> None:
    """Sites, poor households employed, households and poor households reached (counts and shares); notes on
    missing households or sites."""
    row = view.area_reach.iloc[-1]
    kpi_row(
        [
            (ctx.t("tourism.kpi_sites"), ind.fmt_int(len(view.sites))),
            (ctx.t("tourism.kpi_employed"), ind.fmt_int(view.sites["poor_households_employed"].fillna(0).sum())),
            (ctx.t("tourism.kpi_reached"), _count(row["reached"])),
            (ctx.t("pt.col.reached_pct"), _pct(row["reached_pct"])),
            (ctx.t("tourism.kpi_poor_reached"), _count(row["poor_reached"])),
            (ctx.t("pt.col.poor_reached_pct"), _pct(row["poor_reached_pct"])),
        ]
    )
    if view.no_households:
        st.info(ctx.t("tourism.no_households"))
    if view.sites.empty:
        st.info(ctx.t("tourism.no_sites"))


#: Widget keys of the tourism map and its search box.
MAP_KEY, SEARCH_KEY = "tourism_map", "tourism_search"


def map_key(ctx: Context) -> str:
    """The widget key of the map: :data:`MAP_KEY` for a map of villages, one per area for a map of the areas one
    level below (a new area is a new map, whose last click is not the one that led to it)."""
    return MAP_KEY if mu.theme_level(ctx.area) is None else f"{MAP_KEY}.{ctx.area.code}"


def drill_down(ctx: Context) -> Callable[[], None] | None:
    """The map's click callback at a province or a city: a click on an area opens it (as the overview's map)."""
    return None if mu.theme_level(ctx.area) is None else overview.area_drill(map_key(ctx))


def current_pick(ctx: Context, found: tuple[str, str] | None) -> tuple[Entry | None, bool]:
    """What the map highlights (found, or clicked on the map) and whether it zooms to it."""
    return page_pick(ctx, "tourism", found=found, map_key=map_key(ctx))


def area_map(ctx: Context, view: AreaView, choice: Choice) -> folium.Map:
    """Poverty density of the area's villages (classes of every village) with the area's sites and reach circles if
    asked; a province or a city: poverty density of its areas one level below (:func:`bangfu.maps.units.
    theme_level`, the overview's map of that level) with the sites — never every village of a province."""
    reach_m = choice.reach_m if choice.show_reach else None
    level = mu.theme_level(ctx.area)
    if level is not None:
        units = overview.units_map_data(ctx, overview.default_as_of(ctx.meta).isoformat(), level,
                                        mu.UnitOptions(lang=ctx.lang))
        return thememaps.tourism_units_map(units, view.villages, view.sites, lang=ctx.lang, reach_m=reach_m,
                                           basemap=ctx.basemap, tianditu_token=ctx.tianditu_token)
    return thememaps.tourism_map(view.villages, view.sites, lang=ctx.lang, shown_codes=view.area_villages["village_code"],
                                 reach_m=reach_m, basemap=ctx.basemap,
                                 tianditu_token=ctx.tianditu_token)


def map_caption(ctx: Context) -> None:
    """What the map of a province or a city shows (its areas one level below, not villages); nothing below."""
    level = mu.theme_level(ctx.area)
    if level is not None:
        st.caption(ctx.t("tourism.units_caption").format(level=ctx.t(f"sidebar.level.{level}")))


def reach_table(ctx: Context, view: AreaView) -> pd.DataFrame:
    """Households reached per town of the area and the county row, labelled."""
    table = view.reach if view.is_whole else pd.concat([view.area_reach.iloc[:-1], view.reach.iloc[[-1]]],
                                                       ignore_index=True)
    table = table.assign(town_name=table["town_name"].fillna(ctx.t("tourism.county")))
    return labelled(table, ctx.lang, REACH_COLUMNS).round(1)


def employment_chart(ctx: Context, view: AreaView) -> None:
    """Poor households employed per site type (bar chart)."""
    by_type = ind.employment_by_type(view.sites)
    by_type["site_type"] = by_type["site_type"].map(lambda s: SITE_TYPE.label(s, ctx.lang))
    st.bar_chart(by_type.set_index("site_type")[["poor_households_employed"]]
                 .rename(columns={"poor_households_employed": ctx.t("tourism.kpi_employed")}), x_label="")


def site_table(ctx: Context, view: AreaView, choice: Choice) -> None:
    """The area's sites with households and poor households in reach, and the downloads."""
    if view.site_counts is not None:  # stored per site (default distance)
        counts = view.site_counts.set_index("site_id")[list(SITE_COUNTS)]
        reach = counts.reindex(view.sites["site_id"].astype(str)).fillna(0).astype(int).set_axis(view.sites.index)
    else:
        reach = ind.site_reach(view.sites, view.households, distance_m=choice.reach_m)
    detail = personal.shown_counts(ind.site_table(view.sites, view.villages, reach=reach), ctx.user, SITE_COUNTS)
    frame = labelled(detail, ctx.lang, SITE_COLUMNS, prefer="tourism_sites")
    st.dataframe(frame, hide_index=True)
    download_buttons(frame, name=ctx.t("tourism.sites_title"), lang=ctx.lang, key="tourism_sites")
    suppression_note(ctx)
