"""Panels of page 道路硬化: filters, KPIs, map, progress, access share, editing, bulk update.

Logic lives in :mod:`bangfu.indicators.roads` and :mod:`bangfu.editing.roads`; this module only reads
widgets, calls them and renders. Caches (policy of :mod:`bangfu.ui.cache`): road pieces (public)
shared; the access zones (road geometry only) shared by reference; projected households and nothing
else household-level in this session's state only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from bangfu.core import formats
from bangfu.core.errors import BangfuError
from bangfu.core.labels import LABELS
from bangfu.editing import engine as edits, roads
from bangfu import indicators as ind
from bangfu.core.vocab import ROAD_CLASS, ROAD_STATUS, ROAD_SURFACE
from bangfu.geo.crs import metric_crs
from bangfu.maps import base as maps
from bangfu.indicators import network as net_ind
from bangfu.indicators import stored as stored_ind
from bangfu.maps import units
from bangfu.maps.roads import add_missing_links, road_map
from bangfu.workspace import derived, display, personal
from bangfu.workspace import areas
from bangfu.workspace.areas import Area
from bangfu.workspace.schema import column_labels
from bangfu.workspace.schema import ROAD_CLASSES, ROAD_STATUSES, ROAD_SURFACES
from bangfu.ui import cache as data
from bangfu.ui.feedback import flash, guard, md_text, show_error, show_flash
from bangfu.ui.progress import run_cancellable
from bangfu.ui.shell import Context
from bangfu.indicators import search as search_ind
from bangfu.indicators.search import Entry
from bangfu.ui.widgets import download_buttons, editor_notice, kpi_row, page_pick, suppression_note

#: Flash slot of this page's messages (saved, undone, bulk update applied); the page shows it under its title.
FLASH_SLOT = "roads"
#: Messages shown next to what caused them (the edit form's save button, the history's undo, the bulk upload),
#: not at the top of a long page.
EDIT_SLOT, BULK_SLOT = "roads.edit", "roads.bulk"
#: Session key of the access distance (km), shared by the KPI row and the access tab's input.
DISTANCE_KEY = "roads.distance"
#: The page's tabs (labels ``roads.tab.<key>``), in order.
TABS: tuple[str, ...] = ("progress", "access", "network", "edit", "bulk", "history")
#: Session key of the longest walk (metres) from a seat to a hardened road (the network tab's input).
WALK_KEY = "roads.network_walk"
#: How many of the ranked missing links the network tab draws on its map.
LINKS_ON_MAP = 10
#: Widget keys of the road map, the search box and the editor's road choice.
MAP_KEY, SEARCH_KEY, EDIT_ROAD_KEY = "roads_map", "roads_search", "roads.edit_road"
_LOADED = "roads.loaded"
_CONFLICT = "roads.conflict"


# --------------------------------------------------------------------------- cached data


@data.shared(max_entries=4, resource=True)
def _zones(path: str, version: str, distance_m: float, crs: str) -> tuple[ind.AccessZone, ind.AccessZone]:
    return ind.access_zones(data.load_layer(path, version, "roads"), crs=crs, distance_m=distance_m)


@data.shared(max_entries=8, resource=True)
def _area_zones(path: str, version: str, distance_m: float, crs: str,
                extent: tuple[float, float, float, float]) -> tuple[ind.AccessZone, ind.AccessZone]:
    """The access zones of the roads near ``extent`` (an area's households, metric bounds rounded out to 1 km): the
    same answers there as :func:`_zones`, built from a county's roads instead of a province's (16 s)."""
    return ind.access_zones(data.load_layer(path, version, "roads"), crs=crs, distance_m=distance_m, extent=extent)


def _extent(hh: ind.HouseholdPoints) -> tuple[float, float, float, float] | None:
    """The households' metric bounds rounded out to whole kilometres (a cache key that does not move with one
    household), None without any."""
    if len(hh.xy) == 0:
        return None
    lo, hi = np.floor(hh.xy.min(axis=0) / 1000) * 1000, np.ceil(hh.xy.max(axis=0) / 1000) * 1000
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def _zones_for(ctx: Context, hh: ind.HouseholdPoints, distance_m: float, crs: str) -> tuple[ind.AccessZone,
                                                                                              ind.AccessZone]:
    """The access zones that answer for the households ``hh`` of the current area: the whole workspace's for the
    whole workspace, else those of the roads near them (:func:`_area_zones`)."""
    extent = _extent(hh)
    if ctx.is_whole or extent is None:
        return _zones(ctx.path, ctx.version, float(distance_m), crs)
    return _area_zones(ctx.path, ctx.version, float(distance_m), crs, extent)


def _households(ctx: Context, crs: str, *, area: bool = False) -> ind.HouseholdPoints:
    """Projected household points (all, or the current area's; no ids) for the access aggregates, kept in
    this session only (personal data; the page shows only the aggregates)."""
    def compute() -> ind.HouseholdPoints:
        hh = ctx.area_aggregate_layer("households") if area else ctx.aggregate_layer("households")
        villages = ctx.area_layer("villages") if area else ctx.layer("villages")
        return ind.prepare_households(hh, villages, crs=crs)

    return data.session_value("roads.households", ctx.path, ctx.version, key=(crs, ctx.area if area else None),
                              compute=compute)


#: Household counts of the access table and the shares computed over them (suppressed below 5 households
#: for a reader without household access: :func:`bangfu.workspace.personal.shown_counts`).
ACCESS_COUNTS: tuple[str, ...] = ("households", "households_within", "households_within_if", "poor", "poor_within",
                                  "poor_within_if")
ACCESS_SHARES: dict[str, str] = {"share_pct": "households", "share_if_pct": "households", "gain_pct": "households",
                                 "poor_share_pct": "poor", "poor_share_if_pct": "poor"}


def stored_level(ctx: Context) -> bool:
    """True at a province or city (:func:`bangfu.workspace.derived.uses_stored`): the page reads the stored
    per-village tables (road km, access counts) instead of splitting every road and reading every household."""
    return derived.uses_stored(ctx.area.level)


def _stored_access(ctx: Context, distance_km: float, *, any_level: bool = False) -> pd.DataFrame | None:
    """The stored access counts per village when they answer ``distance_km`` (at a province or city, or at any
    level with ``any_level``: the whole workspace's table by town), else None."""
    if not (stored_level(ctx) or any_level) or float(distance_km) * 1000 != stored_ind.ACCESS_DISTANCE_M:
        return None
    personal.require_aggregates(ctx.user, "households")
    return data.derived_table(ctx.path, ctx.version, "village_access", lang=ctx.lang)["table"]


def access_table(ctx: Context, distance_km: float) -> pd.DataFrame | None:
    """Access shares per town and county (aggregates only, small counts suppressed for the signed-in user),
    or None without households. At the default distance from the stored counts per village (every level: the table
    lists every town of the workspace)."""
    villages = ctx.layer("villages")
    counts = _stored_access(ctx, distance_km, any_level=True)  # the whole workspace's towns: never its households
    if counts is not None:
        if int(counts["households"].sum()) == 0:
            return None
        table = stored_ind.access_from_counts(counts, villages, villages)
        return personal.shown_counts(table, ctx.user, ACCESS_COUNTS, shares=ACCESS_SHARES)
    crs = metric_crs(villages)
    hh = _households(ctx, crs)
    if len(hh.xy) == 0:
        return None
    zones = _zones(ctx.path, ctx.version, float(distance_km) * 1000, crs)
    table = ind.access_shares(hh, ctx.layer("roads"), villages, distance_m=distance_km * 1000, zones=zones)
    return personal.shown_counts(table, ctx.user, ACCESS_COUNTS, shares=ACCESS_SHARES)


def area_access(ctx: Context, distance_km: float) -> tuple[float, float]:
    """(household, poor household) access share % of the current area (NaN without households): the
    figures of :func:`bangfu.indicators.summary.area_access_figures`, as in the briefing and the CLI (at a province
    or city from the stored counts per village)."""
    counts = _stored_access(ctx, distance_km)
    if counts is not None:
        return stored_ind.area_access_from_counts(counts, ctx.area_layer("villages"), ctx.layer("villages"))
    crs = metric_crs(ctx.layer("villages"))
    hh = _households(ctx, crs, area=True)
    zones = _zones_for(ctx, hh, float(distance_km) * 1000, crs)
    return ind.area_access_figures(hh, ctx.layer("roads"), ctx.area_layer("villages"),
                                   distance_m=distance_km * 1000, zones=zones)


# --------------------------------------------------------------------------- helpers


def labelled(df: pd.DataFrame, ctx: Context, extra: dict[str, str] | None = None) -> pd.DataFrame:
    """Coded values and yes/no as labels, floats to 2 decimals, headers: ``extra``, then ``roads.col.*``, then
    the schema labels of roads and villages (:func:`bangfu.workspace.display.labelled`)."""
    floats = [c for c in df.columns if pd.api.types.is_float_dtype(df[c])]
    rounded = df.assign(**{c: df[c].round(2) for c in floats})
    return display.labelled(rounded, ctx.lang, layers=("roads", "villages"), prefix="roads.col.", headers=extra)


def filters(ctx: Context, road_layer: pd.DataFrame) -> dict[str, Any]:
    """The status / class / year filters (the area comes from the sidebar: ``ctx.area_layer``)."""
    c1, c2, c3 = st.columns([2, 2, 3])
    statuses = c1.multiselect(ctx.t("roads.filter.status"), list(ROAD_STATUSES), default=list(ROAD_STATUSES),
                              format_func=lambda s: ROAD_STATUS.label(s, ctx.lang), key="roads.f_status",
                              placeholder=ctx.t("common.choose"))
    classes = c2.multiselect(ctx.t("roads.filter.class"), list(ROAD_CLASSES), default=list(ROAD_CLASSES),
                             key="roads.f_class", placeholder=ctx.t("common.choose"),
                             format_func=lambda c: ROAD_CLASS.label(c, ctx.lang))
    years = pd.concat([road_layer["completed_year"], road_layer["planned_year"]]).dropna()
    span = None
    if len(years) and years.min() < years.max():
        lo, hi = int(years.min()), int(years.max())
        span = c3.slider(ctx.t("roads.filter.year"), lo, hi, (lo, hi), key="roads.f_year")
        if span == (lo, hi):
            span = None
    return {"statuses": statuses, "classes": classes, "years": span}


@dataclass(frozen=True)
class AreaView:
    """The roads of the current area (the one area rule) under the page's filters."""

    villages: pd.DataFrame  # the area's villages
    roads: pd.DataFrame  # roads with a piece in the area
    stat_roads: pd.DataFrame  # those of the chosen classes: what the figures count
    pieces: pd.DataFrame  # the pieces of stat_roads inside the area
    rates: pd.DataFrame  # hardening per village (:func:`bangfu.indicators.village_progress`)


def area_view(ctx: Context, f: dict[str, Any]) -> AreaView:
    """The area's villages, roads and road pieces: figures count the chosen classes, the map every filter.

    At a province or city (:func:`stored_level`) the pieces are the stored road km per village, status, class and
    year (:func:`bangfu.indicators.stored.road_pieces_table`: the same sums, no road split in the session), and the
    roads are those recorded in the area's villages (the editor's list; no map of them is drawn at that level)."""
    villages = ctx.area_layer("villages")
    if stored_level(ctx):
        table = data.derived_table(ctx.path, ctx.version, "village_roads", lang=ctx.lang)["table"]
        pieces = stored_ind.road_pieces_table(table, villages)
        pieces = pieces[pieces["road_class"].isin([str(c) for c in f["classes"]])]
        roads_ = ctx.layer("roads")
        if not ctx.area.holds_all(ctx.layer("villages")):
            roads_ = roads_[roads_["village_code"].astype(str).isin(set(villages["village_code"].astype(str)))]
        return AreaView(villages, roads_, ind.filter_roads(roads_, classes=f["classes"]), pieces,
                        ind.village_progress(pieces, villages))
    area_roads = ctx.area_layer("roads")
    stat_roads = ind.filter_roads(area_roads, classes=f["classes"])
    pieces = ctx.area_layer("road_pieces")
    pieces = pieces[pieces["road_id"].isin(stat_roads["road_id"])]
    return AreaView(villages, area_roads, stat_roads, pieces, ind.village_progress(pieces, villages))


def access_distance() -> float:
    """The access distance (km) of this session: 2 km until the access tab's input changes it."""
    st.session_state.setdefault(DISTANCE_KEY, 2.0)
    return float(st.session_state[DISTANCE_KEY])


def kpi_section(ctx: Context, view: AreaView) -> None:
    """The KPI row: km, hardened km and rate, villages not reached, household and poor household access."""
    total_km, hardened_km, rate_pct = ind.area_road_figures(view.pieces, view.villages)
    access, poor_access = area_access(ctx, access_distance())
    kpi_row(
        [
            (ctx.t("roads.kpi.total_km"), ind.fmt_km(total_km)),
            (ctx.t("roads.kpi.hardened_km"), ind.fmt_km(hardened_km)),
            (ctx.t("kpi.hardening_rate"), ind.fmt_pct(rate_pct)),
            (ctx.t("roads.kpi.unreached"), ind.fmt_int(int((~view.rates["reached"]).sum()))),
            (ctx.t("roads.kpi.access"), ind.fmt_pct(access)),
            (ctx.t("roads.kpi.poor_access"), ind.fmt_pct(poor_access)),
        ]
    )


def too_big_for_roads(ctx: Context) -> bool:
    """True above a county in a workspace of more than :data:`bangfu.maps.units.VILLAGE_MAP_MAX` villages: the
    area's roads and villages are too many to send to the browser (the maps draw a county or town)."""
    return len(ctx.layer("villages")) > units.VILLAGE_MAP_MAX and not units.overlays_allowed(ctx.area, units.VILLAGE)


def area_map(ctx: Context, view: AreaView, f: dict[str, Any]) -> folium.Map | None:
    """Roads by status (every filter applied) over the area's villages, each with its hardening rate; None above
    a county in a workspace too big to draw every road (a province's 58,000 roads are ~100 MB: the map is drawn
    for a county or town, :func:`bangfu.maps.units.overlays_allowed`)."""
    if too_big_for_roads(ctx):
        return None
    vlabels = column_labels("villages", ctx.lang)
    with_rate = view.villages.merge(view.rates[["village_code", "rate_pct"]], on="village_code", how="left")
    fields = [maps.TooltipField(c, vlabels[c]) for c in ("village_name", "village_code", "town_name")]
    fields.append(maps.TooltipField("rate_pct", ctx.t("roads.col.rate_pct")))
    return road_map(ind.filter_roads(view.roads, **f), with_rate, lang=ctx.lang, basemap=ctx.basemap,
                    tianditu_token=ctx.tianditu_token, village_fields=fields)


def current_pick(ctx: Context, found: tuple[str, str] | None) -> tuple[Entry | None, bool]:
    """What the map highlights (the search box's result or what was last clicked on the map) and whether it zooms
    to it; a road chosen so is also the one the editor tab opens."""
    entry, fit = page_pick(ctx, "roads", found=found, map_key=MAP_KEY)
    if entry is not None and entry.kind == "road" and st.session_state.get("roads.picked") != entry.key:
        st.session_state[EDIT_ROAD_KEY] = st.session_state["roads.picked"] = entry.key  # once: the list may change it
    return entry, fit


def tab_labels(ctx: Context) -> list[str]:
    """The labels of :data:`TABS`."""
    return [ctx.t(f"roads.tab.{k}") for k in TABS]


# --------------------------------------------------------------------------- progress


def _target_input(ctx: Context, total_km: float) -> ind.RoadTarget:
    kind: Literal["rate", "km"] = st.radio(ctx.t("roads.target.kind"), ["rate", "km"], horizontal=True, key="roads.target_kind",
                    format_func=lambda k: ctx.t(f"roads.target.{k}"))
    default = {"rate": [70.0, 85.0, 100.0], "km": [round(total_km * 0.1, 1)] * 3}[kind]
    table = pd.DataFrame({ctx.t("roads.col.year"): [2018, 2019, 2020], ctx.t("roads.col.value"): default})
    edited = st.data_editor(table, num_rows="dynamic", key=f"roads.target_{kind}", hide_index=True)
    st.caption(ctx.t("roads.target.hint"))
    values: dict[int, float] = {}
    for year, value in edited.itertuples(index=False):
        if pd.notna(year) and pd.notna(value):
            values[int(year)] = float(value)
    return ind.RoadTarget(kind, values)


def progress_chart(ctx: Context, table: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """Bars: km hardened per year; lines: cumulative km and cumulative target."""
    year, km = ctx.t("roads.chart.year"), ctx.t("roads.chart.km")
    series = {"completed_km": "roads.chart.completed", "cumulative_km": "roads.chart.cumulative",
              "target_km": "roads.chart.target"}
    cols = [c for c in series if c in table.columns]
    long = table.melt(id_vars="year", value_vars=cols, var_name="series", value_name="km").dropna()
    long["series"] = long["series"].map(lambda s: ctx.t(series[s]))
    long = long.rename(columns={"year": year, "km": km})
    colors = alt.Scale(domain=[ctx.t(series[c]) for c in series], range=["#74c476", "#1a9641", "#d7191c"])
    base = alt.Chart(long).encode(x=alt.X(f"{year}:O", title=year), color=alt.Color("series:N", scale=colors, title=""))
    bars = base.transform_filter(alt.datum.series == ctx.t(series["completed_km"])).mark_bar().encode(
        y=alt.Y(f"{km}:Q", title=km))
    lines = base.transform_filter(alt.datum.series != ctx.t(series["completed_km"])).mark_line(point=True).encode(
        y=f"{km}:Q", strokeDash=alt.condition(alt.datum.series == ctx.t(series["target_km"]), alt.value([6, 4]),
                                              alt.value([1, 0])))
    return alt.layer(bars, lines).properties(title=ctx.t("roads.chart.title"), height=320)


def progress_panel(ctx: Context, p: pd.DataFrame, villages: pd.DataFrame) -> None:
    """Rates by town and village (unreached first), km per year against the user's target."""
    total = float(p["length_km"].sum())
    target = _target_input(ctx, total)
    table = ind.progress_vs_target(p, target) if target.values else ind.km_by_year(p)
    st.altair_chart(progress_chart(ctx, table), width="stretch")
    st.dataframe(labelled(table, ctx), hide_index=True, width="stretch")
    st.subheader(ctx.t("roads.by_town"))
    towns = ind.hardening_rates(p, villages, level="town")
    st.dataframe(labelled(towns, ctx), hide_index=True, width="stretch")
    st.subheader(ctx.t("roads.by_village"))
    vt = ind.village_progress(p, villages)
    vt = labelled(vt, ctx)
    st.dataframe(vt, hide_index=True, width="stretch")
    download_buttons(vt, name="village_road_hardening", lang=ctx.lang, key="roads_villages",
                     deferred=stored_level(ctx))  # a province's 16,727 villages: written when asked for


def access_panel(ctx: Context, distance_km: float) -> None:
    """Access shares per town and county, now and if the roads under construction were completed."""
    table = access_table(ctx, distance_km)
    st.caption(ctx.t("roads.access.caption"))
    if table is None:
        st.info(ctx.t("roads.access.no_households"))
        return
    shown = table.drop(columns=["town_code", "households_within_if", "poor_within_if"])
    st.dataframe(labelled(shown, ctx, {"town_name": ctx.t("sidebar.town")}), hide_index=True,
                 width="stretch")
    suppression_note(ctx)


# --------------------------------------------------------------------------- roads as a network (issue 16)


@data.shared(max_entries=1, resource=True)
def _network_index(path: str, version: str) -> net_ind.NetworkIndex:
    """The whole workspace's :class:`bangfu.indicators.network.NetworkIndex` (road groups, trees, seats: about a
    second on a province, no network built), shared by reference."""
    return net_ind.network_index(data.load_layer(path, version, "roads"), data.load_layer(path, version, "villages"),
                                 data.load_layer(path, version, "seats"))


@data.shared(max_entries=8, resource=True, per_area=True)
def network(path: str, version: str, area: Area, walk_m: float = net_ind.WALK_MAX_M,
            reach_m: float = net_ind.ACCESS_ALONG_M,
            extent: tuple[float, float, float, float] | None = None) -> net_ind.NetworkData:
    """The road network and the seats an area's figures depend on (public data, shared by reference): the whole
    workspace's when the area holds it, else only the road groups and towns its figures reach
    (:func:`bangfu.indicators.network.area_network_data`: the same figures as on the whole network). The seats layer
    where the office imported one, else estimated seats."""
    roads_, villages = data.load_layer(path, version, "roads"), data.load_layer(path, version, "villages")
    seats = data.load_layer(path, version, "seats")
    if area.holds_all(villages):
        return net_ind.network_data(roads_, villages, seats)
    codes = set(villages.loc[area.village_mask(villages), "village_code"].astype(str))
    return net_ind.area_network_data(_network_index(path, version), roads_, villages, codes, seats,
                                     walk_max_m=walk_m, reach_m=reach_m, extent=extent)


@data.shared(max_entries=8, per_area=True)
def _connection(path: str, version: str, area: Area, walk_m: float, reach_m: float,
                extent: tuple[float, float, float, float] | None) -> pd.DataFrame:
    net = network(path, version, area, walk_m, reach_m, extent)
    villages = data.load_layer(path, version, "villages")
    held = villages[villages["village_code"].astype(str).isin(set(net.village_seats["village_code"].astype(str)))]
    return net_ind.village_connection(net, held, walk_max_m=walk_m)


#: The arguments of :func:`network` (path, version, area, walking limit m, reach m, extent).
NetKey = tuple[str, str, Area, float, float, "tuple[float, float, float, float] | None"]


def _key(ctx: Context, walk_m: float, distance_km: float, hh: ind.HouseholdPoints | None) -> NetKey:
    """The arguments of :func:`network` for the current area: ``hh`` (the area's households, projected) widens the
    box of roads to every household (their bounds, rounded out to 1 km)."""
    extent = _extent(hh) if hh is not None else None
    return (ctx.path, ctx.version, ctx.area, float(walk_m), max(float(distance_km) * 1000, 0.0), extent)


@data.shared(max_entries=8, per_area=True)
def links_cached(path: str, version: str, area: Area, walk_m: float, reach_m: float,
                 extent: tuple[float, float, float, float] | None,
                 costs: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    """Missing links on the area's network (:func:`bangfu.indicators.network.missing_links`), shared."""
    return net_ind.missing_links(network(path, version, area, walk_m, reach_m, extent),
                                 _connection(path, version, area, walk_m, reach_m, extent), walk_max_m=walk_m,
                                 unit_costs=dict(costs))


def whole_key(ctx: Context, walk_m: float) -> NetKey:
    """The arguments of :func:`network` for the whole workspace (the planning page's network and missing links)."""
    return (ctx.path, ctx.version, areas.whole_area(ctx.layer("villages")), float(walk_m), net_ind.ACCESS_ALONG_M, None)


def connection_table(ctx: Context, key: NetKey) -> pd.DataFrame:
    """通硬化路 per village of the current area (on the area's network, cached)."""
    table = _connection(*key)
    return table[table["village_code"].isin(ctx.area_layer("villages")["village_code"].astype(str))]


def _area_households(ctx: Context) -> ind.HouseholdPoints | None:
    """The area's projected households (this session only), None without any."""
    hh = _households(ctx, metric_crs(ctx.layer("villages")), area=True)
    return hh if len(hh.xy) else None


def network_access_table(ctx: Context, distance_km: float, key: NetKey,
                         hh: ind.HouseholdPoints | None) -> pd.DataFrame | None:
    """Access along roads beside straight line, per town of the current area and its total row (aggregates of the
    area's households, read for the area only; this session only)."""
    if hh is None:
        return None
    crs = metric_crs(ctx.layer("villages"))
    villages = ctx.area_layer("villages")
    zone = _zones_for(ctx, hh, float(distance_km) * 1000, crs)[0]
    return data.session_value(
        "roads.network_access", ctx.path, ctx.version, key=(crs, float(distance_km), ctx.area),
        compute=lambda: net_ind.network_access(network(*key), hh, villages, distance_m=distance_km * 1000, zone=zone))


def unit_costs(ctx: Context) -> tuple[tuple[str, float], ...]:
    """The per-class hardening costs (万元/km) the user sets (defaults: ``UNIT_COST_WAN_PER_KM``)."""
    cols = st.columns(len(ROAD_CLASSES))
    return tuple(
        (c, float(col.number_input(ctx.t("network.unit_cost").format(cls=ROAD_CLASS.label(c, ctx.lang)), 0.0,
                                   10_000.0, float(net_ind.UNIT_COST_WAN_PER_KM.get(c, 50.0)), step=10.0,
                                   key=f"roads.unit_cost.{c}")))
        for c, col in zip(ROAD_CLASSES, cols)
    )


def links_table(ctx: Context, view: AreaView, key: NetKey, costs: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    """Missing links among the roads of the current area, ranked (``rank`` from 1)."""
    links = links_cached(*key, costs)
    links = links[links["road_id"].isin(view.roads["road_id"].astype(str)) & (links["villages"] > 0)]
    return links.reset_index(drop=True).assign(rank=lambda d: np.arange(1, len(d) + 1))


def network_kpis(ctx: Context, conn: pd.DataFrame, access: pd.DataFrame | None) -> None:
    """Villages 通硬化路 (count, share), their households' share, access along roads beside straight line."""
    summary = net_ind.connection_summary(conn, level="county").iloc[0] if len(conn) else None
    row = None
    if access is not None:
        key = ctx.town_code or ""
        hit = access[access["town_code"] == key]
        row = hit.iloc[0] if len(hit) else None
    kpi_row([
        (ctx.t("network.kpi.connected"),
         f"{ind.fmt_int(int(summary['connected']))} / {ind.fmt_int(int(summary['villages']))}" if summary is not None
         else "—"),
        (ctx.t("network.kpi.connected_pct"), ind.fmt_pct(summary["connected_pct"]) if summary is not None else "—"),
        (ctx.t("network.kpi.households_pct"), ind.fmt_pct(summary["households_pct"]) if summary is not None else "—"),
        (ctx.t("network.kpi.along"), ind.fmt_pct(row["along_pct"]) if row is not None else "—"),
        (ctx.t("network.kpi.straight"), ind.fmt_pct(row["straight_pct"]) if row is not None else "—"),
    ])


def connected_chart(ctx: Context, towns: pd.DataFrame) -> alt.Chart:
    """Bars: share of villages on hardened road per town."""
    town, pct = ctx.t("sidebar.town"), ctx.t("network.col.connected_pct")
    frame = pd.DataFrame({town: towns["town_name"].astype(str), pct: towns["connected_pct"].astype(float)})
    return alt.Chart(frame).mark_bar(color="#1a9641").encode(
        x=alt.X(f"{pct}:Q", scale=alt.Scale(domain=[0, 100])), y=alt.Y(f"{town}:N", sort="-x"),
        tooltip=[town, alt.Tooltip(f"{pct}:Q", format=".1f")],
    ).properties(title=ctx.t("network.chart.title"), height=max(120, 22 * len(frame)))


def issues_table(ctx: Context, net: net_ind.NetworkData, view: AreaView) -> pd.DataFrame:
    """The data-quality findings of the area's network about its roads, villages and towns (the whole workspace's
    when the area holds it), with what to do, in the page's language."""
    raw = net_ind.network_issues(net)
    if not ctx.is_whole:
        mine = set(view.roads["road_id"].astype(str)) | set(view.villages["village_code"].astype(str)) | set(
            view.villages["town_code"].astype(str))
        raw = raw[raw["subject"].astype(str).isin(mine)].reset_index(drop=True)
    return formats.readable(pd.DataFrame({
        ctx.t("network.issue_col.what"): [ctx.t(f"network.issue.{k}") for k in raw["kind"]],
        ctx.t("network.issue_col.subject"): raw["subject"].astype(str),
        ctx.t("network.issue_col.metres"): raw["metres"].round(1),
        ctx.t("network.issue_col.other"): raw["other"].astype(str),
        ctx.t("network.issue_col.fix"): [ctx.t(f"network.fix.{k}") for k in raw["kind"]],
    }), ctx.lang)  # a finding without a length shows "—", not nan


def links_map(ctx: Context, view: AreaView, links: pd.DataFrame) -> folium.Map:
    """The area's roads by status with the top missing links drawn over them (above a county of a big workspace:
    the top links' roads only, :func:`too_big_for_roads`)."""
    top = links.head(LINKS_ON_MAP)
    geo = view.roads.set_index(view.roads["road_id"].astype(str)).loc[top["road_id"], ["geometry"]]
    frame = gpd.GeoDataFrame(top.reset_index(drop=True), geometry=list(geo.geometry), crs=view.roads.crs)
    roads_, villages_ = view.roads, view.villages
    if too_big_for_roads(ctx):
        roads_ = roads_[roads_["road_id"].astype(str).isin(set(top["road_id"].astype(str)))]
        villages_ = villages_.iloc[:0]
    m = road_map(roads_, villages_, lang=ctx.lang, basemap=ctx.basemap, tianditu_token=ctx.tianditu_token)
    return add_missing_links(m, frame.to_crs("EPSG:4326"), lang=ctx.lang)


def network_panel(ctx: Context, view: AreaView, distance_km: float) -> folium.Map | None:
    """The network tab: settings, KPIs, town chart and table, village table, access along roads, missing
    links (table, download; the map is returned for the page to show), data check."""
    st.caption(ctx.t("network.caption"))
    if stored_level(ctx):  # a province's network is built per county or town, not in a session
        st.info(ctx.t("roads.network.per_county"))
        return None
    walk = float(st.number_input(ctx.t("network.walk_max"), 0.0, 5000.0, net_ind.WALK_MAX_M, step=100.0,
                                 key=WALK_KEY))
    hh = _area_households(ctx)
    key = _key(ctx, walk, distance_km, hh)
    data_ = network(*key)
    conn = connection_table(ctx, key)
    access = network_access_table(ctx, distance_km, key, hh)
    network_kpis(ctx, conn, access)
    est_v = int(conn["seat_estimated"].sum())
    towns = set(ctx.area_layer("villages")["town_code"].astype(str))
    est_t = int(data_.town_seats.loc[data_.town_seats["town_code"].astype(str).isin(towns), "estimated"].sum())
    if est_v or est_t:
        st.caption(ctx.t("network.seats_estimated").format(n=est_v, m=est_t))
    st.subheader(ctx.t("network.by_town"))
    towns = net_ind.connection_summary(conn, level="town")
    st.altair_chart(connected_chart(ctx, towns), width="stretch")
    st.dataframe(labelled(towns.drop(columns=["town_code"]), ctx, _network_heads(ctx, towns)), hide_index=True,
                 width="stretch")
    st.subheader(ctx.t("network.by_village"))
    shown = conn.assign(status=conn["status"].map(lambda k: ctx.t(f"network.status.{k}")))
    shown = shown.replace({np.inf: np.nan})
    vt = labelled(shown.drop(columns=["town_code", "town_seat_village", "walk_any_m"]), ctx, _network_heads(ctx, shown))
    st.dataframe(vt, hide_index=True, width="stretch")
    download_buttons(vt, name="village_network", lang=ctx.lang, key="roads_network_villages")
    st.subheader(ctx.t("network.access"))
    st.caption(ctx.t("network.access.caption").format(d=f"{distance_km:g}"))
    if access is None:
        st.info(ctx.t("roads.access.no_households"))
    else:
        st.dataframe(labelled(access.drop(columns=["town_code"]), ctx, _network_heads(ctx, access)),
                     hide_index=True, width="stretch")
    st.subheader(ctx.t("network.links"))
    st.caption(ctx.t("network.links.caption"))
    links = links_table(ctx, view, key, unit_costs(ctx))
    lt = labelled(links[["rank", *[c for c in links.columns if c != "rank"]]], ctx, _network_heads(ctx, links))
    st.dataframe(lt, hide_index=True, width="stretch")
    download_buttons(lt, name="missing_links", lang=ctx.lang, key="roads_missing_links")
    issues = issues_table(ctx, data_, view)
    with st.expander(ctx.t("network.issues").format(n=len(issues)) if len(issues) else ctx.t("network.issues.none")):
        st.dataframe(issues, hide_index=True, width="stretch")
    if links.empty:
        return None
    st.caption(ctx.t("network.links.map").format(n=min(LINKS_ON_MAP, len(links))))
    return links_map(ctx, view, links)


def _network_heads(ctx: Context, frame: pd.DataFrame) -> dict[str, str]:
    """Headers of the network tables: ``network.col.<column>`` where there is one, the town column's name."""
    heads = {c: ctx.t(f"network.col.{c}") for c in frame.columns if f"network.col.{c}" in LABELS}
    heads["town_name"] = ctx.t("sidebar.town")
    heads["rank"] = "#"
    return heads


# --------------------------------------------------------------------------- editing


def _load(ctx: Context, road_id: str) -> dict[str, Any] | None:
    row = roads.road_row(ctx.path, road_id)
    st.session_state[_LOADED] = row
    return row


def _year(v: Any) -> int | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v)


def edit_panel(ctx: Context, view: AreaView) -> None:
    """Pick a road (of the area and classes shown, else any road), change its values in a form; the version
    loaded is kept so a stale form is refused. The editor is the signed-in user; the data layer refuses a
    road outside the towns the user may edit."""
    if not editor_notice(ctx):
        return
    road_layer = view.stat_roads if len(view.stat_roads) else ctx.layer("roads")
    ids = sorted(road_layer["road_id"].astype(str))
    if not ids:
        return
    villages = ctx.layer("villages")
    road_names = search_ind.road_labels(  # the listed roads only: never the whole workspace's search index
        road_layer, villages[villages["village_code"].isin(road_layer["village_code"])], lang=ctx.lang)
    if st.session_state.get(EDIT_ROAD_KEY) not in ids:  # a road picked outside the classes shown
        st.session_state.pop(EDIT_ROAD_KEY, None)
    st.caption(ctx.t("roads.edit.pick_hint"))
    rid = st.selectbox(ctx.t("roads.edit.road"), ids, key=EDIT_ROAD_KEY, format_func=lambda r: road_names.get(r, r))
    loaded = st.session_state.get(_LOADED)
    if loaded is None or loaded.get("road_id") != rid:
        loaded = _load(ctx, rid)
    if loaded is None:
        return
    ver = int(loaded["version"])
    st.caption(ctx.t("roads.edit.loaded").format(v=ver) + " · " + ctx.t("roads.edit.rules"))
    k = f"{rid}.{ver}"
    with st.form(key="roads.edit_form"):
        c1, c2, c3 = st.columns(3)
        status = c1.selectbox(ctx.t("roads.filter.status"), list(ROAD_STATUSES), key=f"roads.e_status.{k}",
                              index=list(ROAD_STATUSES).index(loaded["status"]) if loaded["status"] in ROAD_STATUSES else 0,
                              format_func=lambda s: ROAD_STATUS.label(s, ctx.lang))
        labels = column_labels("roads", ctx.lang)
        progress = c2.number_input(labels["progress_pct"], 0.0, 100.0, float(loaded["progress_pct"] or 0), 5.0,
                                   key=f"roads.e_progress.{k}")
        cost = c3.number_input(labels["cost_wan"], min_value=0.0, value=loaded["cost_wan"], step=1.0,
                               key=f"roads.e_cost.{k}")
        planned = c1.number_input(labels["planned_year"], 2000, 2100, _year(loaded["planned_year"]), 1,
                                  key=f"roads.e_planned.{k}")
        completed = c2.number_input(labels["completed_year"], 2000, 2100, _year(loaded["completed_year"]), 1,
                                    key=f"roads.e_completed.{k}")
        surfaces = [None, *ROAD_SURFACES]
        surface = c3.selectbox(labels["surface"], surfaces, key=f"roads.e_surface.{k}",
                               index=surfaces.index(loaded["surface"]) if loaded["surface"] in surfaces else 0,
                               format_func=lambda s: ROAD_SURFACE.label(s, ctx.lang))
        submitted = st.form_submit_button(ctx.t("roads.edit.submit"), type="primary")
    if submitted:
        new = {"status": status, "progress_pct": progress, "planned_year": planned, "completed_year": completed,
               "cost_wan": cost, "surface": surface}
        _save(ctx, rid, ver, loaded, new)
    show_flash(EDIT_SLOT)  # "saved"/"undone", right under the form
    _conflict(ctx, rid, ver)
    _history(ctx, rid)


def _save(ctx: Context, rid: str, ver: int, loaded: dict[str, Any], new: dict[str, Any]) -> None:
    changes = edits.changed_fields(loaded, new)
    if not changes:
        st.info(ctx.t("roads.edit.no_change"))
        return
    try:
        v = roads.edit_road(ctx.path, rid, changes, expected_version=ver, user=ctx.user)
    except edits.ConflictError as exc:
        st.session_state[_CONFLICT] = (rid, ver, exc)
        return
    except BangfuError as exc:
        show_error(exc, ctx.lang)
        return
    st.session_state.pop(_LOADED, None)
    flash(ctx.t("roads.edit.saved").format(road=rid, v=v), slot=EDIT_SLOT)
    st.rerun()


def _conflict(ctx: Context, rid: str, ver: int) -> None:
    """The refusal of a stale form (kept until the user reloads) with the button that loads the newer values."""
    conflict = st.session_state.get(_CONFLICT)
    if not conflict or conflict[:2] != (rid, ver):
        return
    show_error(conflict[2], ctx.lang)
    if st.button(ctx.t("roads.edit.reload"), key="roads.reload"):
        st.session_state.pop(_CONFLICT, None)
        st.session_state.pop(_LOADED, None)
        st.rerun()


def _history(ctx: Context, rid: str) -> None:
    st.markdown(f"**{ctx.t('roads.edit.history')}**")
    h = roads.road_history(ctx.path, rid, lang=ctx.lang)
    if h.empty:
        st.caption(ctx.t("roads.edit.no_history"))
        return
    st.dataframe(labelled(h.drop(columns=["road_id"]), ctx), hide_index=True, width="stretch")
    if st.button(ctx.t("roads.edit.undo"), key="roads.undo"):
        with guard(ctx.lang):
            v = roads.undo_road(ctx.path, rid, user=ctx.user)
            st.session_state.pop(_LOADED, None)
            flash(ctx.t("roads.edit.undone").format(road=rid, v=v), slot=EDIT_SLOT)
            st.rerun()


def recent_history(ctx: Context) -> None:
    """The latest changes of all roads."""
    st.markdown(f"**{ctx.t('roads.history.recent')}**")
    h = roads.road_history(ctx.path, lang=ctx.lang).head(200)
    st.dataframe(labelled(h, ctx), hide_index=True, width="stretch")
    if len(h):
        download_buttons(labelled(h, ctx), name="road_progress", lang=ctx.lang, key="roads_history")


# --------------------------------------------------------------------------- bulk update


_BULK_SHEET = "roads.bulk_sheet"  # (file hash, the sheet as read): read once per uploaded file


def bulk_panel(ctx: Context) -> None:
    """Upload a sheet, show problems or a dry-run preview, apply all-or-nothing on confirmation (as the
    signed-in user; a sheet touching a town the user may not edit is refused whole by the data layer)."""
    if not editor_notice(ctx):
        return
    st.caption(ctx.t("roads.bulk.help"))
    download_buttons(roads.bulk_template(ctx.lang), name="road_update_template", lang=ctx.lang, key="roads_tpl")
    up = st.file_uploader(ctx.t("roads.bulk.upload"), type=["xlsx", "csv"], key="roads.bulk_file")
    show_flash(BULK_SLOT)
    if up is None:
        return
    with guard(ctx.lang):
        data = up.getvalue()
        key = hashlib.sha1(up.name.encode("utf-8") + data).hexdigest()[:12]
        cached = st.session_state.get(_BULK_SHEET)
        if cached is not None and cached[0] == key:
            sheet = cached[1]
        else:
            sheet = run_cancellable(ctx.lang, f"upload:bulk:{key}", roads.read_bulk_table, data, up.name)
            if sheet is None:  # cancelled
                return
            st.session_state[_BULK_SHEET] = (key, sheet)
        bulk_review(ctx, roads.parse_bulk(sheet))


def bulk_review(ctx: Context, parsed: roads.BulkParse) -> None:
    """Preview (dry run) and the apply button for a parsed sheet."""
    if parsed.ignored_columns:
        st.caption(ctx.t("roads.bulk.ignored").format(cols=md_text("、".join(parsed.ignored_columns))))
    dry = roads.bulk_apply(ctx.path, parsed, user=ctx.user, dry_run=True)
    if not dry.ok:
        _bulk_refused(ctx, dry.problems)
        return
    preview = roads.preview_frame(dry, lang=ctx.lang)
    if preview.empty:
        st.info(ctx.t("roads.bulk.nothing"))
        return
    st.markdown(f"**{ctx.t('roads.bulk.preview')}**")
    st.dataframe(labelled(preview, ctx), hide_index=True, width="stretch")
    n = preview["road_id"].nunique()
    if st.button(ctx.t("roads.bulk.apply").format(n=n), type="primary", key="roads.bulk_apply"):
        res = roads.bulk_apply(ctx.path, parsed, user=ctx.user, dry_run=False)
        if not res.ok:
            _bulk_refused(ctx, res.problems)
            return
        st.session_state.pop(_LOADED, None)
        flash(ctx.t("roads.bulk.applied").format(n=res.applied), slot=BULK_SLOT)
        st.rerun()


def _bulk_refused(ctx: Context, problems: list[str]) -> None:
    """The sheet's problems (rows and values from the file: shown as plain text)."""
    show_error(BangfuError(ctx.t("roads.bulk.refused"), details=problems), ctx.lang)
