"""Panels of page 总览地图: map options, cached village table and map data, KPIs, village profile, summary table.

Only public layers go into the shared caches (villages, roads, sites, enterprises, pairings,
projects) — never household rows. The cache policy is :mod:`bangfu.ui.cache`'s.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
from pathlib import Path
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from bangfu import indicators as ind
from bangfu.indicators.profile import village_profile
from bangfu.maps import tiles as vt
from bangfu.maps import units as mu
from bangfu.maps.overview import (MapOptions, OverviewGeometry, OverviewMapData, build_overview_map, prepare_geometry,
                                  prepare_overview)
from bangfu.ui.area_picker import request_area
from bangfu.indicators import stored as stored_ind
from bangfu.ui.cache import area_layer, derived_ready, derived_table, load_layer, road_pieces, shared, unit_polygons
from bangfu.ui.feedback import md_text
from bangfu.ui.shell import Context, app_static_dir
from bangfu.ui.widgets import Ref, find_entry, kpi_row, map_click, page_pick
from bangfu.indicators.search import Entry
from bangfu.workspace import areas, store

__all__ = ["Choice", "option_widgets", "default_as_of", "md_text", "village_table", "map_geometry", "map_data",
           "town_table", "area_villages", "kpi_section", "overview_map", "profile_panel",
           "summary_table", "Summary", "Pick", "current_pick", "MAP_KEY", "TABLE_KEY", "SEARCH_KEY", "unit_table",
           "unit_shapes", "map_key", "drill_down", "map_notes", "tile_root", "villages_token", "village_tile_set",
           "tile_map_data", "warm_up", "warm_tasks", "area_view_step", "units_map_data", "area_drill"]

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
    """What the option row chose: the map's options, the as-of date (ISO), the units the map draws (a level of
    :data:`bangfu.workspace.areas.LEVELS` or ``"village"``) and the units it could draw."""

    map: MapOptions
    as_of: str
    unit: str = mu.VILLAGE
    units: tuple[str, ...] = (mu.VILLAGE,)
    tiles: bool = False  # the village map of an area above VILLAGE_MAP_MAX villages: drawn from vector tiles


def default_as_of(meta: dict[str, str]) -> dt.date:
    """The workspace's reference date (meta ``as_of``) or today (the rule of the pairings page)."""
    return ind.resolve_as_of(meta, dt.date.today())


def option_widgets(ctx: Context) -> Choice:
    """The option row: map units, indicator, classification, number of classes, village filter, as-of date."""
    T = ctx.t
    levels, default, n = unit_choices(ctx)
    c0, c1, c2, c3, c4, c5 = st.columns([1.0, 1.3, 1.6, 1.0, 1.4, 1.1])
    unit = c0.selectbox(T("overview.unit"), levels, index=levels.index(default), format_func=lambda k: _unit_label(ctx, k),
                        key=f"ov_unit.{ctx.area.code}")
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
    return make_choice(ctx, n, unit, indicator, method, k, flag_filter, as_of)


def unit_choices(ctx: Context) -> tuple[list[str], str, int]:
    """The map units the option row offers for the sidebar's area, the one chosen by default, and the area's number
    of villages (what both depend on)."""
    villages = ctx.layer("villages")
    n = int(ctx.area.village_mask(villages).sum())
    return list(mu.unit_levels(ctx.area, n)), mu.default_unit(ctx.area, areas.whole_area(villages), n), n


def make_choice(ctx: Context, n: int, unit: str, indicator: str, method: str, k: int, flag_filter: str,
                as_of: str) -> Choice:
    """The :class:`Choice` of the option row's values (:func:`option_widgets`; :func:`default_choice`) for an area of
    ``n`` villages (:func:`unit_choices`)."""
    big = len(ctx.layer("villages")) > mu.VILLAGE_MAP_MAX  # a province: never send villages outside the area, overlays by level
    options = MapOptions(indicator=indicator, method=method, k=k, flag_filter=flag_filter, town_code=ctx.area_code,
                         lang=ctx.lang, only_area=big, overlays=not big or mu.overlays_allowed(ctx.area, unit))
    return Choice(options, as_of, unit, tuple(mu.unit_levels(ctx.area, n)), mu.uses_tiles(unit, n))


def default_choice(ctx: Context) -> Choice:
    """What the option row chooses before anyone touches it (the first view of the page)."""
    _levels, unit, n = unit_choices(ctx)
    return make_choice(ctx, n, unit, ind.CHOROPLETH_INDICATORS[0].key, ind.DEFAULT_METHOD, ind.DEFAULT_K,
                       ind.FLAG_FILTERS[0], default_as_of(ctx.meta).isoformat())


def _unit_label(ctx: Context, key: str) -> str:
    return ctx.t("overview.unit.village") if key == mu.VILLAGE else ctx.t(f"sidebar.level.{key}")


# --------------------------------------------------------------------------- cached data


@shared(max_entries=16, copied=True)
def village_table(path: str, version: str, as_of: str) -> gpd.GeoDataFrame:
    """Villages with every overview figure (see :func:`bangfu.indicators.overview_villages`). The road km come from
    the stored ``village_roads`` (:mod:`bangfu.workspace.derived`) when it is stored for this content — the same
    sums without splitting every road at the village borders again (seconds on a province) — else from the roads."""
    pieces = None
    if derived_ready(path, "village_roads"):
        pieces = stored_ind.road_pieces_table(derived_table(path, version, "village_roads")["table"])
    return ind.overview_villages(
        load_layer(path, version, "villages"),
        roads=load_layer(path, version, "roads") if pieces is None else None,  # 58,000 roads not read for nothing
        pairings=load_layer(path, version, "pairings"),
        as_of=as_of,
        road_pieces=pieces,
    )


@shared(max_entries=4)
def map_geometry(path: str, version: str, simplify_deg: float, precision: int) -> OverviewGeometry:
    """Simplified villages, dissolved towns and county, simplified roads (independent of the options)."""
    return prepare_geometry(load_layer(path, version, "villages"), load_layer(path, version, "roads"),
                            simplify_deg=simplify_deg, precision=precision)


@shared(max_entries=32)
def map_data(path: str, version: str, as_of: str, options: MapOptions) -> OverviewMapData:
    """Escaped, simplified map data for one set of options (geometry shared between options).

    With ``options.only_area`` (a province workspace) only the area's villages are simplified and sent, and
    the roads are the area's (:func:`bangfu.ui.cache.area_layer`: the shared road pieces), read only when the
    options send overlays."""
    table = village_table(path, version, as_of)
    roads = load_layer(path, version, "roads") if options.overlays else None
    geometry = None
    if options.only_area:
        if options.overlays:
            roads = area_layer(path, version, areas.area_for(table, options.town_code), "roads")
    else:
        geometry = map_geometry(path, version, options.simplify_deg, options.precision)
    return prepare_overview(
        table,
        options=options,
        roads=roads,
        sites=load_layer(path, version, "tourism_sites"),
        enterprises=load_layer(path, version, "enterprises"),
        active_pairings=ind.simple_active_pairings(load_layer(path, version, "pairings"), as_of),
        geometry=geometry,
    )


@shared(max_entries=16)
def unit_table(path: str, version: str, as_of: str, level: str) -> pd.DataFrame:
    """Every area of ``level`` in the workspace with its totals and rates (:func:`bangfu.indicators.unit_summary`),
    code and name as ``area_code`` / ``area_name`` at every level: what the map of the level below colours."""
    summary = ind.unit_summary(village_table(path, version, as_of), level)
    return summary.rename(columns={"town_code": "area_code", "town_name": "area_name"})


@shared(max_entries=16, resource=True)  # read only (prepare_units copies what it sends): no unpickling per run
def unit_shapes(path: str, version: str, level: str, tolerance: float, precision: int) -> gpd.GeoDataFrame:
    """The areas of ``level`` simplified for a view (:func:`bangfu.maps.units.simplify_units`); one entry per level
    and zoom step (:func:`bangfu.maps.units.view_tolerance`), shared by every area of that size."""
    return mu.simplify_units(unit_polygons(path, version, level), tolerance, precision)


def tile_root() -> Path:
    """Where the village tile sets are written: ``static/vtiles`` beside ``app.py`` (served at ``/app/static``),
    a temporary folder when the page runs without a served static folder (AppTest)."""
    static = app_static_dir()
    base = static if static.is_dir() else Path(tempfile.gettempdir()) / "bangfu-static"
    return base / vt.TILE_FOLDER


@shared(max_entries=8)
def villages_token(path: str, version: str) -> str:
    """The content token of the villages layer (:func:`bangfu.workspace.store.content_tokens`): the tiles' key."""
    return store.content_tokens(path)["villages"]


def _tile_table(path: str, version: str) -> gpd.GeoDataFrame:
    return ind.village_metrics(load_layer(path, version, "villages"))


def village_tile_set(path: str, version: str, *, progress: Callable[[float], None] | None = None
                     ) -> tuple[str, vt.TilePlan]:
    """(key, plan) of the workspace's village tiles, written first when this content of the villages has none
    (:func:`bangfu.maps.tiles.ensure_tiles`; old sets are pruned)."""
    root = tile_root()
    key = vt.tile_key(path, villages_token(path, version))
    plan = vt.ensure_tiles(root, key, lambda: _tile_table(path, version), progress)
    vt.prune_tiles(root, keep=[key])
    return key, plan


@shared(max_entries=16)
def tile_map_data(path: str, version: str, as_of: str, options: mu.UnitOptions, key: str,
                  zooms: tuple[int, int]) -> OverviewMapData:
    """Map data of every village from tile set ``key`` (:func:`bangfu.maps.units.prepare_tile_map`: classes over the
    whole workspace, one character per village), per options; the area is added per run (``tile_map_for_area``)."""
    return mu.prepare_tile_map(village_table(path, version, as_of), options=options, url=vt.tile_url(key),
                               zooms=zooms)


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
    """The overview map for the chosen options: the villages (map data cached per options) or the areas of the
    level below, simplified for the area's extent (:mod:`bangfu.maps.units`)."""
    if choice.unit == mu.VILLAGE and not choice.tiles:
        mdata = map_data(ctx.path, ctx.version, choice.as_of, choice.map)
    else:
        bounds, tolerance, precision = area_view_step(ctx)
        options = mu.UnitOptions(choice.map.indicator, choice.map.method, choice.map.k, ctx.lang)
    if choice.tiles:
        key, plan = _tile_set_with_progress(ctx)
        below = mu.below(ctx.area)
        outline = unit_shapes(ctx.path, ctx.version, below, tolerance, precision) if below != mu.VILLAGE else None
        mdata = mu.tile_map_for_area(
            tile_map_data(ctx.path, ctx.version, choice.as_of, options, key, (plan.min_zoom, plan.max_zoom)),
            ctx.area, bounds=bounds, outline=outline, lang=ctx.lang, precision=precision)
    elif choice.unit != mu.VILLAGE:
        mdata = units_map_data(ctx, choice.as_of, choice.unit, options)
    return build_overview_map(mdata, basemap=ctx.basemap, tianditu_token=ctx.tianditu_token)


def area_view_step(ctx: Context) -> tuple[tuple[float, ...], float, int]:
    """(bounds, tolerance, precision) of a map fitted to the sidebar's area (:func:`bangfu.maps.units.view_tolerance`)."""
    villages = ctx.layer("villages")
    mask = ctx.area.village_mask(villages)
    bounds = tuple(float(v) for v in shapely.total_bounds(villages.geometry.values[mask]))
    tolerance, precision = mu.view_tolerance(bounds)
    return bounds, tolerance, precision


def units_map_data(ctx: Context, as_of: str, level: str, options: mu.UnitOptions, *,
                   adjust: Callable[[pd.DataFrame], tuple[pd.DataFrame, ind.Choropleth | None]] | None = None
                   ) -> OverviewMapData:
    """The map data of the areas of ``level`` inside the sidebar's area (:func:`bangfu.maps.units.prepare_units`; the
    shared unit table and the shapes simplified for the area's zoom step): the overview's map of the level below,
    and the tourism and pairing maps of a province or a city. ``adjust``: a page's own figures for the units (the
    summary with its columns replaced, and the classes to colour by), applied to a copy of the shared table."""
    _bounds, tolerance, precision = area_view_step(ctx)
    summary = unit_table(ctx.path, ctx.version, as_of, level)
    choro = None
    if adjust is not None:
        summary, choro = adjust(summary.copy())
    return mu.prepare_units(summary, unit_shapes(ctx.path, ctx.version, level, tolerance, precision), ctx.area,
                            level=level, options=options, precision=precision, choro=choro)


def _tile_set_with_progress(ctx: Context) -> tuple[str, vt.TilePlan]:
    """:func:`village_tile_set` with a progress bar while the tiles are written (once per villages content)."""
    if vt.tiles_ready(tile_root(), vt.tile_key(ctx.path, villages_token(ctx.path, ctx.version))):
        return village_tile_set(ctx.path, ctx.version)
    text = ctx.t("overview.tiles.building")
    bar = st.progress(0.0, text=text)
    try:

        def step(f: float) -> None:
            bar.progress(min(1.0, max(0.0, f)), text=text)

        return village_tile_set(ctx.path, ctx.version, progress=step)
    finally:
        bar.empty()


def map_key(ctx: Context, choice: Choice) -> str:
    """The widget key of the map: one per area and level for a map of areas (a new area is a new map whose
    last click is not the one that led to it), :data:`MAP_KEY` for the village map."""
    if choice.tiles:
        return f"{MAP_KEY}.tiles.{ctx.area.code}"
    return MAP_KEY if choice.unit == mu.VILLAGE else f"{MAP_KEY}.{choice.unit}.{ctx.area.code}"


def drill_down(ctx: Context, choice: Choice) -> Callable[[], None] | None:
    """The map's click callback (:func:`bangfu.ui.widgets.show_map` ``on_change``) of a map of areas: a click on an
    area chooses it as the sidebar would (``?area=``) before the rerun the click causes, so the next run draws the
    area (one run; a remembered old click never drills). The village map from tiles: a click opens the village's
    town, with the village's profile. None for the GeoJSON village map (a click opens a profile)."""
    key = map_key(ctx, choice)
    if choice.tiles:
        def to_town() -> None:
            clicked = map_click(key)
            if clicked is not None and clicked[0] == "village":
                st.session_state[VILLAGE_KEY] = clicked[1]
                request_area(mu.town_of(clicked[1]))

        return to_town
    if choice.unit == mu.VILLAGE:
        return None
    return area_drill(key)


def area_drill(key: str) -> Callable[[], None]:
    """The click callback of a map of areas under widget ``key``: a click on an area chooses it as the sidebar
    would (``?area=``) before the rerun the click causes; a click on anything else (a site, an enterprise) does not."""

    def drill() -> None:
        clicked = map_click(key, ref_of=_area_ref)
        if clicked is not None:
            request_area(clicked[1])

    return drill


def _area_ref(props: Mapping[str, Any]) -> Ref | None:
    code = mu.unit_ref(props)
    return ("area", code) if code else None


def map_notes(ctx: Context, choice: Choice) -> None:
    """The caption under the map: how to use it, and what it leaves out at this level (villages, overlays)."""
    T = ctx.t
    if choice.tiles:
        st.caption(T("overview.tiles.caption").format(n=f"{mu.VILLAGE_MAP_MAX:,}"))
    elif choice.unit == mu.VILLAGE:
        st.caption(T("overview.map_caption"))
    else:
        st.caption(T("overview.units.caption"))
    if not choice.map.overlays:
        st.caption(T("overview.units.overlays_note"))


@dataclass(frozen=True)
class Pick:
    """What the map highlights (None: nothing), whether it zooms to it, and the village whose profile is shown."""

    entry: Entry | None
    fit: bool
    village: str | None


def current_pick(ctx: Context, found: Ref | None, table_refs: list[Ref], key: str = MAP_KEY) -> Pick:
    """The thing last chosen by the search box, a click on the map or a ticked summary-table row (the last action
    wins); a chosen village is also the one whose profile is shown (kept in the session)."""
    entry, fit = page_pick(ctx, "ov", found=found, map_key=key, table_key=TABLE_KEY, table_refs=table_refs)
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


# --------------------------------------------------------------------------- warming the shared caches


_WARMED: set[tuple[str, str, str]] = set()
_WARM_LOCK = threading.Lock()
_log = logging.getLogger(__name__)


def warm_tasks(ctx: Context, as_of: str) -> list[tuple[str, Callable[[], object]]]:
    """What a later click or a later visitor would otherwise wait for, in the order it is likely needed: the map of
    every level for every area (the units' table and their simplified shapes per zoom step: a drill-down then
    only reads caches), the roads split at village borders (the overlays of a town's map) and the village tiles of a
    workspace above :data:`bangfu.maps.units.VILLAGE_MAP_MAX`. Each task fills a shared cache (public data only).
    Not the search index: on a province it is 15–30 s of pure Python (pinyin of 62,506 names) that would slow every
    page of the first minutes (one GIL); it is built on the first search instead."""
    path, version = ctx.path, ctx.version
    villages = ctx.layer("villages")
    tasks: list[tuple[str, Callable[[], object]]] = [("village_table", partial(village_table, path, version, as_of))]
    whole = areas.whole_area(villages)
    geoms = villages.geometry.values
    steps: dict[str, set[tuple[float, int]]] = {}
    for parent in [whole, *(a for lv in areas.LEVELS for a in areas.level_areas(villages, lv.key))]:
        level = mu.below(parent)
        mask = parent.village_mask(villages)
        if level != mu.VILLAGE and mask.any():  # the view of this area: its level below at its zoom step
            steps.setdefault(level, set()).add(mu.view_tolerance(shapely.total_bounds(geoms[mask])))
    levels = [lv.key for lv in areas.LEVELS if lv.key in steps]
    later: list[tuple[str, Callable[[], object]]] = []
    for n, level in enumerate(levels):
        tasks.append((f"unit_table.{level}", partial(unit_table, path, version, as_of, level)))
        for tol, prec in sorted(steps[level], reverse=True):  # the two levels at the top first, the rest later
            (tasks if n < 2 else later).append(
                (f"unit_shapes.{level}.{tol}", partial(unit_shapes, path, version, level, tol, prec)))
    tasks.append(("road_pieces", partial(road_pieces, path, version)))  # the first village map with overlays
    if len(villages) > mu.VILLAGE_MAP_MAX:
        tasks.append(("tiles", lambda: village_tile_set(path, version)))
    tasks += later
    return tasks


def warm_up(ctx: Context, *, block: bool = False) -> None:
    """Run :func:`warm_tasks` once per workspace version in this server process, in a background thread (daemon:
    it never holds up a page or the server's stop; a failure is logged and the page computes it when asked), or in
    this thread when ``block`` (the server's start-up, before it takes connections: no page competes with it)."""
    as_of = default_as_of(ctx.meta).isoformat()
    key = (ctx.path, ctx.version, as_of)
    with _WARM_LOCK:
        if key in _WARMED:
            return
        _WARMED.add(key)

    def run() -> None:  # the task list too is made in the thread: the masks of every area are not the page's work
        try:
            tasks = warm_tasks(ctx, as_of)
        except Exception:  # noqa: BLE001 - best effort, as every task
            _log.warning("warming failed", exc_info=True)
            return
        for name, task in tasks:
            try:
                task()
            except Exception:  # noqa: BLE001 - warming is best effort; the page computes what failed when needed
                _log.warning("warming %s failed", name, exc_info=True)

    if block:
        run()
    else:
        threading.Thread(target=run, name="bangfu-warm-up", daemon=True).start()


def warm_first_view(ctx: Context) -> None:
    """Compute what the first visitor's overview of ``ctx``'s area needs (the village table, the table of the level
    below and the map at the default options: every shared cache a page run reads), then, in this thread, everything
    :func:`warm_up` fills (the other levels, the roads split at village borders, the village tiles): in the background
    it would slow the first pages visited after the start (one GIL). Called by the server at start
    (:mod:`bangfu.ui.server`), before it takes its first connection."""
    choice = default_choice(ctx)
    table = village_table(ctx.path, ctx.version, choice.as_of)
    if table.empty:
        return
    summary_table(ctx, area_villages(ctx, table), choice.as_of)
    if not choice.tiles:  # a tile map writes its tiles with a progress bar on the page; warm_up writes them too
        overview_map(ctx, choice)
    warm_up(ctx, block=True)
