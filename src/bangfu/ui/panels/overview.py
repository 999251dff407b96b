"""Panels of page 总览地图: map options, cached village table and map data, KPIs, village profile, summary table.

Only public layers go into the shared caches (villages, roads, sites, enterprises, pairings,
projects) — never household rows. The cache policy is :mod:`bangfu.ui.cache`'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from bangfu import indicators as ind
from bangfu.indicators.profile import village_profile
from bangfu.maps.overview import (MapOptions, OverviewGeometry, OverviewMapData, build_overview_map, prepare_geometry,
                                  prepare_overview)
from bangfu.ui.cache import load_layer, shared
from bangfu.ui.feedback import md_text
from bangfu.ui.shell import Context
from bangfu.ui.widgets import Ref, find_entry, kpi_row, page_pick
from bangfu.indicators.search import Entry
from bangfu.workspace import areas

__all__ = ["Choice", "option_widgets", "default_as_of", "md_text", "village_table", "map_geometry", "map_data",
           "town_table", "area_villages", "kpi_section", "overview_map", "profile_panel",
           "summary_table", "Summary", "Pick", "current_pick", "MAP_KEY", "TABLE_KEY", "SEARCH_KEY"]

#: Session key of the village whose profile is shown (set by a click on the map, the search box or a table row).
VILLAGE_KEY = "ov_village"
#: Widget keys of the map, the summary table and the search box.
MAP_KEY, TABLE_KEY, SEARCH_KEY = "overview_map", "ov_table", "ov_search"
#: Columns of the village table of a chosen town, in order.
TOWN_VILLAGE_COLUMNS: tuple[str, ...] = (
    "village_code", "village_name", "households", "poor_households", "poor_population", "incidence_pct",
    "area_km2", "poverty_density", "old_district_villages", "key_villages", "road_km", "hardening_pct",
    "active_pairings",
)


@dataclass(frozen=True)
class Choice:
    """What the option row chose: the map's options and the as-of date (ISO)."""

    map: MapOptions
    as_of: str


def default_as_of(meta: dict[str, str]) -> dt.date:
    """The workspace's reference date (meta ``as_of``) or today (the rule of the pairings page)."""
    return ind.resolve_as_of(meta, dt.date.today())


def option_widgets(ctx: Context) -> Choice:
    """The option row: indicator, classification, number of classes, village filter, as-of date."""
    T = ctx.t
    c1, c2, c3, c4, c5 = st.columns([1.3, 1.6, 1.0, 1.4, 1.1])
    indicator = c1.selectbox(
        T("overview.indicator"), [i.key for i in ind.CHOROPLETH_INDICATORS],
        format_func=lambda k: T(ind.choropleth_indicator(k).label), key="ov_indicator",
    )
    methods = [m.key for m in ind.CLASS_METHODS]
    method = c2.selectbox(
        T("overview.method"), methods, index=methods.index(ind.DEFAULT_METHOD),
        format_func=lambda k: T(ind.class_method(k).label), key="ov_method",
    )
    k = c3.slider(T("overview.k"), ind.MIN_CLASSES, ind.MAX_CLASSES, ind.DEFAULT_K, key="ov_k")
    flag_filter = c4.selectbox(T("overview.filter"), ind.FLAG_FILTERS, format_func=lambda f: T(f"overview.filter.{f}"),
                               key="ov_filter")
    as_of = c5.date_input(T("overview.as_of"), default_as_of(ctx.meta), key="ov_as_of").isoformat()
    options = MapOptions(indicator=indicator, method=method, k=k, flag_filter=flag_filter, town_code=ctx.area_code,
                         lang=ctx.lang)
    return Choice(options, as_of)


# --------------------------------------------------------------------------- cached data


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


# --------------------------------------------------------------------------- sections


def area_villages(ctx: Context, table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the village table in the current area (the one area rule, :mod:`bangfu.workspace.areas`)."""
    return areas.area_slice(ctx.area, "villages", table)


def kpi_section(ctx: Context, area_table: pd.DataFrame) -> None:
    """The KPI row of the area and the line explaining the hardening rate and pairing coverage."""
    T = ctx.t
    kp = ind.overview_kpis(area_table)
    kpi_row([
        (T("kpi.villages"), ind.fmt_int(kp.villages)),
        (T("kpi.households"), ind.fmt_int(kp.households)),
        (T("kpi.poor_households"), ind.fmt_int(kp.poor_households)),
        (T("kpi.poor_population"), ind.fmt_int(kp.poor_population)),
        (T("kpi.old_district"), ind.fmt_int(kp.old_district_villages)),
        (T("kpi.hardening_rate"), ind.fmt_pct(kp.hardening_pct)),
        (T("kpi.pairing_coverage"), ind.fmt_pct(kp.pairing_coverage_pct)),
    ])
    st.caption(f"{T('kpi.hardening_rate')}：{T('overview.kpi.hardening_help')}。{T('kpi.pairing_coverage')}："
               + T("overview.kpi.coverage_value").format(paired=kp.needy_paired, needy=kp.needy_villages))


def overview_map(ctx: Context, choice: Choice) -> folium.Map:
    """The overview map for the chosen options (map data cached per options)."""
    mdata = map_data(ctx.path, ctx.version, choice.as_of, choice.map)
    return build_overview_map(mdata, basemap=ctx.basemap, tianditu_token=ctx.tianditu_token)


@dataclass(frozen=True)
class Pick:
    """What the map highlights (None: nothing), whether it zooms to it, and the village whose profile is shown."""

    entry: Entry | None
    fit: bool
    village: str | None


def current_pick(ctx: Context, found: Ref | None, table_refs: list[Ref]) -> Pick:
    """The thing last chosen by the search box, a click on the map or a ticked summary-table row (the last action
    wins); a chosen village is also the one whose profile is shown (kept in the session)."""
    entry, fit = page_pick(ctx, "ov", found=found, map_key=MAP_KEY, table_key=TABLE_KEY, table_refs=table_refs)
    if entry is not None and entry.kind == "village":
        st.session_state[VILLAGE_KEY] = entry.key
    village = st.session_state.get(VILLAGE_KEY)
    if entry is None and village:  # a profile opened otherwise (e.g. a link): highlight its village
        entry, fit = find_entry(ctx, ("village", str(village))), False
    return Pick(entry, fit, village)


def profile_panel(ctx: Context, table: pd.DataFrame, as_of: str, code: str | None) -> None:
    """The profile of village ``code`` (figures, roads, sites, pairings, projects), or a hint to click one."""
    T = ctx.t
    prof = village_profile(
        code, table, roads=ctx.layer("roads"), sites=ctx.layer("tourism_sites"), pairings=ctx.layer("pairings"),
        enterprises=ctx.layer("enterprises"), projects=ctx.layer("projects"), as_of=as_of, lang=ctx.lang,
    ) if code else None
    if prof is None:
        st.info(T("overview.profile.hint"))
        return
    st.markdown(f"**{md_text(prof.name)}** · {md_text(prof.town)} · `{prof.code}`")
    st.caption(f"{T('overview.tt.flags')}：{md_text(prof.flags)}")
    st.dataframe(
        {T("overview.profile.item"): [f for f, _ in prof.figures], T("overview.profile.value"): [v for _, v in prof.figures]},
        hide_index=True, width="stretch",
    )
    for title, frame in ((T("overview.profile.roads"), prof.roads), (T("overview.profile.sites"), prof.sites),
                         (T("overview.profile.pairings"), prof.pairings), (T("overview.profile.projects"), prof.projects)):
        st.markdown(f"**{title}**")
        if frame.empty:
            st.caption(T("overview.profile.none"))
        else:
            st.dataframe(frame, hide_index=True, width="stretch")


@dataclass(frozen=True)
class Summary:
    """The summary table under the map: title, labelled table, download name and each row's search ref."""

    title: str
    table: pd.DataFrame
    file_name: str
    refs: list[Ref]


def summary_table(ctx: Context, area_table: pd.DataFrame, as_of: str) -> Summary:
    """The towns of the county, the areas one level below a city or province, or the villages of the chosen town
    (a ticked row is shown on the map: towns and villages; a county or city row has nothing to zoom to yet)."""
    below = next((lv.key for lv in areas.LEVELS if lv.digits > len(ctx.area.code)), "town") if ctx.area.code else "town"
    if ctx.town_code is None and below == "town" and ctx.is_whole:
        summary = town_table(ctx.path, ctx.version, as_of)[list(ind.TOWN_SUMMARY_COLUMNS)]
        return Summary(ctx.t("overview.table.towns"), ind.display_table(summary, lang=ctx.lang),
                       ctx.t("overview.file.towns"), [("town", str(c)) for c in summary["town_code"]])
    if ctx.town_code is None:
        summary = ind.unit_summary(area_table, below)
        title = f"{ctx.area_label} · {ctx.t('sidebar.level.' + below)}"
        kind, column = ("town", "town_code") if below == "town" else ("area", "area_code")  # unit_summary's names
        return Summary(title, ind.display_table(summary, lang=ctx.lang), f"{ctx.area.name}{ctx.t('overview.file.towns')}",
                       [(kind, str(c)) for c in summary[column]])
    summary = area_table.drop(columns="geometry")
    summary = summary.rename(columns={"is_old_district": "old_district_villages", "is_key_village": "key_villages"})
    shown = ind.display_table(summary[list(TOWN_VILLAGE_COLUMNS)], lang=ctx.lang)
    return Summary(f"{ctx.town_name} · {ctx.t('overview.table.villages')}", shown,
                   f"{ctx.town_name}{ctx.t('overview.file.villages')}",
                   [("village", str(c)) for c in summary["village_code"]])
