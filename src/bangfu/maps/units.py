"""The map of the level below: cities of a province, counties of a city, towns of a county, as a choropleth.

What a map of a big area sends to the browser is the units one level below the area, not its villages
(a province of 16,727 villages is drawn as its 14 cities). Three pure steps, no Streamlit:

1. :func:`view_tolerance` — the simplification tolerance and the coordinate precision of a view, from the
   area's extent (about half a screen pixel at the zoom that fits the area, rounded down to a power of
   two so that a few cached geometries serve every area of a level);
2. :func:`simplify_units` — the units of one level (villages dissolved:
   :func:`bangfu.workspace.areas.unit_polygons`) simplified *as a coverage* (shared borders stay shared,
   no gaps or slivers: ``shapely.coverage_simplify``) and rounded; cache it per level and tolerance;
3. :func:`prepare_units` — the units inside the chosen area, classified over every unit of the level in
   the workspace (:func:`bangfu.indicators.choropleth`: a county has the same colour whichever city is
   shown), styled, with escaped tooltips, as :class:`bangfu.maps.overview.OverviewMapData` drawn by
   :func:`bangfu.maps.overview.build_overview_map` (the same legend, layer control and chrome).

Which levels a map may draw (:func:`unit_levels`) follows the area: the level below it, then villages — sent as
GeoJSON when the area holds at most :data:`VILLAGE_MAP_MAX` of them, drawn from vector tiles above that
(:func:`uses_tiles`, :func:`prepare_tile_map`, :mod:`bangfu.maps.tiles`: a whole province of 16,727 villages).
Overlays (roads, sites, enterprises, pairing lines) are sent only with villages at county level and below
(:func:`overlays_allowed`). See docs/maps.md.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.errors

from bangfu import indicators as ind
from bangfu.core import legend as lg
from bangfu.core import styles
from bangfu.core.labels import t
from bangfu.maps import tiles as vt
from bangfu.maps.base import esc
from bangfu.maps.overview import (LABEL_MAX, LayerSpec, OverviewMapData, _features, _fc, _fmt_pct, _plain,
                                  _style_index)
from bangfu.workspace import areas

__all__ = [
    "VILLAGE", "VILLAGE_MAP_MAX", "LABEL_MAX", "VIEW_PIXELS", "OVERLAY_LEVELS", "UNIT_PROPS",
    "below", "unit_levels", "default_unit", "overlays_allowed", "theme_level", "view_tolerance", "simplify_units",
    "UnitOptions", "prepare_units", "unit_ref", "uses_tiles", "prepare_tile_map", "tile_map_for_area", "town_of",
]

#: The unit key of the village map (the levels of :data:`bangfu.workspace.areas.LEVELS` are the others).
VILLAGE = "village"
#: The most villages a map sends as GeoJSON (a county or a city of Liaoning; a province's 16,727 villages as
#: simplified polygons are tens of MB). Above it the village map is drawn from vector tiles (:func:`uses_tiles`).
#: An administrator may move the threshold with the environment variable :data:`VILLAGE_MAP_MAX_ENV` (the tests
#: use it to draw a small province from tiles).
VILLAGE_MAP_MAX_ENV = "BANGFU_VILLAGE_MAP_MAX"
VILLAGE_MAP_MAX = int(os.environ.get(VILLAGE_MAP_MAX_ENV, "").strip() or 3000)
#: The width in screen pixels a map is assumed to have when its tolerance is chosen (a wide page: 1,000–1,400).
VIEW_PIXELS = 1200
#: The area levels whose village map also gets the overlays (roads, sites, enterprises, pairing lines).
OVERLAY_LEVELS = frozenset({"county", "town"})

#: Unit property key → (column of :func:`bangfu.indicators.unit_summary`, tooltip label, formatter kind).
UNIT_PROPS: dict[str, tuple[str, str, str]] = {
    "n": ("area_name", "overview.col.area_name", "text"),  # its tooltip label is the level (市, 镇街)
    "u": ("area_code", "overview.col.area_code", "text"),
    "v": ("villages", "overview.col.villages", "num"),
    "h": ("households", "overview.col.households", "num"),
    "p": ("poor_households", "overview.col.poor_households", "num"),
    "q": ("poor_population", "overview.col.poor_population", "num"),
    "i": ("incidence_pct", "overview.col.incidence_pct", "pct"),
    "d": ("poverty_density", "overview.col.poverty_density", "num"),
    "o": ("old_district_villages", "overview.col.old_district_villages", "num"),
    "k": ("key_villages", "overview.col.key_villages", "num"),
    "r": ("hardening_pct", "overview.col.hardening_pct", "pct"),
    "g": ("pairing_coverage_pct", "overview.col.pairing_coverage_pct", "pct"),
}


# --------------------------------------------------------------------------- which units


def below(area: areas.Area) -> str:
    """The level one below ``area`` (a province's cities, a city's counties, a county's towns, a town's villages)."""
    code = area.code
    if not code:  # a workspace of several counties without a common city: its counties
        return "county"
    return next((lv.key for lv in areas.LEVELS if lv.digits > len(code)), VILLAGE)


def unit_levels(area: areas.Area, n_villages: int) -> tuple[str, ...]:
    """The units a map of ``area`` (holding ``n_villages``) may draw: the level below, then villages (a town:
    villages only). Above :data:`VILLAGE_MAP_MAX` villages the village map is drawn from tiles (:func:`uses_tiles`)."""
    del n_villages  # every size has a village map now (GeoJSON or tiles)
    first = below(area)
    return (VILLAGE,) if first == VILLAGE else (first, VILLAGE)


def uses_tiles(unit: str, n_villages: int) -> bool:
    """Whether the village map of an area of ``n_villages`` is drawn from vector tiles (more than
    :data:`VILLAGE_MAP_MAX`; fewer go as GeoJSON, which is quicker for them: no tile requests)."""
    return unit == VILLAGE and n_villages > VILLAGE_MAP_MAX


def town_of(village_code: str) -> str:
    """The town code of a village code (its first digits: the town level of :data:`bangfu.workspace.areas.LEVELS`)."""
    digits = next(lv.digits for lv in areas.LEVELS if lv.key == "town")
    return str(village_code)[:digits]


def default_unit(area: areas.Area, whole: areas.Area, n_villages: int) -> str:
    """What a map of ``area`` draws first: villages in a town and in the home view of a one-county workspace (its
    village map as it always was), else the level below (cities of the province, counties of a city, towns of a
    county)."""
    levels = unit_levels(area, n_villages)
    home_county = whole.level == "county" and bool(whole.code) and area.code in ("", whole.code)
    return VILLAGE if VILLAGE in levels and (home_county or levels == (VILLAGE,)) else levels[0]


def overlays_allowed(area: areas.Area, unit: str) -> bool:
    """Whether the map sends the overlays (roads, sites, enterprises, pairing lines): with villages of a county or
    town only (a province's 58,000 roads would be ~100 MB, hidden or not)."""
    return unit == VILLAGE and area.level in OVERLAY_LEVELS and bool(area.code)


def theme_level(area: areas.Area) -> str | None:
    """The units a thematic map (tourism, pairings) of ``area`` draws instead of villages: the level below a
    province or a city (its cities or counties, like the overview's first view and the briefing's map); None for a
    county or a town, whose villages are drawn with the overlays (:func:`overlays_allowed`)."""
    return None if overlays_allowed(area, VILLAGE) else below(area)


# --------------------------------------------------------------------------- geometry per view


def view_tolerance(bounds: Sequence[float], *, pixels: int = VIEW_PIXELS) -> tuple[float, int]:
    """(tolerance in degrees, decimals to round to) for a map fitted to ``bounds`` (minx, miny, maxx, maxy, lon/lat).

    The tolerance is about half a screen pixel at the fitting zoom (the longer side over ``pixels`` / 2), rounded
    down to a power of two (one value per zoom step, so few cached geometries serve all areas); coordinates keep
    one more decimal than the tolerance needs. A province of 7° gets ≈ 0.002° (≈ 200 m) and 4 decimals, a
    county of 0.5° ≈ 0.0002° (≈ 20 m) and 5 decimals."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    span = max(maxx - minx, maxy - miny, 1e-4)
    tol = 2.0 ** math.floor(math.log2(span / pixels / 2))
    precision = max(0, min(6, math.ceil(-math.log10(tol)) + 1))
    return tol, precision


def simplify_units(units: gpd.GeoDataFrame, tolerance: float, precision: int) -> gpd.GeoDataFrame:
    """``units`` (one polygon per area) simplified to ``tolerance`` with shared borders kept shared, rounded to
    ``precision`` decimals (valid output). A coverage (the units of a workspace whose villages form one) is
    simplified with ``shapely.coverage_simplify``; otherwise each unit on its own, topology preserved."""
    geoms = np.asarray(units.geometry.values, dtype=object)
    if len(geoms) and tolerance > 0:
        try:
            coverage = bool(shapely.coverage_is_valid(geoms))
        except shapely.errors.GEOSException:
            coverage = False
        geoms = shapely.coverage_simplify(geoms, tolerance) if coverage else \
            shapely.simplify(geoms, tolerance, preserve_topology=True)
    geoms = shapely.set_precision(geoms, 10.0 ** -precision, mode="valid_output")
    return gpd.GeoDataFrame(units.drop(columns="geometry"), geometry=geoms, crs=units.crs)


# --------------------------------------------------------------------------- map data


@dataclass(frozen=True)
class UnitOptions:
    """The options of a map of units: indicator, classification, language (the overview's choices)."""

    indicator: str = "poverty_density"
    method: str = ind.DEFAULT_METHOD
    k: int = ind.DEFAULT_K
    lang: str = "zh"


def _props(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (column, _label, kind) in UNIT_PROPS.items():
        value = getattr(row, column)
        out[key] = esc(value) if kind == "text" else _fmt_pct(value) if kind == "pct" else _plain(value)
    return out


def _outline(geoms: np.ndarray) -> shapely.Geometry:
    """The outer boundary of the drawn units (their union's boundary)."""
    try:
        union = shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:
        union = shapely.union_all(geoms)
    return union.boundary


def prepare_units(
    summary: pd.DataFrame,
    units: gpd.GeoDataFrame,
    area: areas.Area,
    *,
    level: str,
    options: UnitOptions,
    precision: int = 5,
    choro: ind.Choropleth | None = None,
) -> OverviewMapData:
    """Map data of the units of ``level`` inside ``area``, coloured by ``options.indicator``.

    ``summary`` is :func:`bangfu.indicators.unit_summary` of **every** village of the workspace at ``level``
    (its rates recomputed from totals; classes are computed over all its rows, like the village map's over all
    villages); ``units`` is :func:`simplify_units` of the level's polygons (``code`` column), rounded to
    ``precision`` decimals (:func:`view_tolerance`). Each feature
    carries its area code as property ``u`` (:func:`unit_ref`: a click drills down). ``choro``: the classes to
    colour by instead of ``options.indicator``'s (a page's own figure, e.g. the pairing page's gaps, classified
    over the same rows of ``summary``)."""
    lang = options.lang
    summary = summary.reset_index(drop=True)
    if choro is None:
        choro = ind.choropleth(summary, options.indicator, method=options.method, k=options.k)
    cls = np.asarray(choro.classes.index)
    codes = summary["area_code"].astype(str)
    inside = codes.str.startswith(area.code).to_numpy() if area.code else np.ones(len(summary), dtype=bool)
    geom_of = dict(zip(units["code"].astype(str), units.geometry.values))
    rows = summary[inside]
    geoms = np.asarray([geom_of.get(c) for c in rows["area_code"].astype(str)], dtype=object)
    props = [_props(r) for r in rows.itertuples(index=False)]
    ustyles: list[dict[str, Any]] = []
    edge = styles.UNIT_EDGE
    for p, c in zip(props, cls[inside]):
        style = {"fillColor": choro.color(int(c)), "color": edge["color"], "weight": edge["weight"],
                 "fillOpacity": styles.CHOROPLETH_OPACITY}
        p["s"] = _style_index(ustyles, style)
    feats = _features(geoms, props, precision=precision)
    present = np.asarray([g is not None and not g.is_empty for g in geoms], dtype=bool)
    drawn = geoms[present]
    bounds = tuple(float(v) for v in shapely.total_bounds(drawn)) if len(drawn) else (0.0, 0.0, 0.0, 0.0)
    level_name = t(f"sidebar.level.{level}", lang)
    tip = [(k, esc(t(UNIT_PROPS[k][1], lang) if k != "n" else level_name)) for k in UNIT_PROPS]
    layers = [LayerSpec("units", esc(t(choro.indicator.label, lang)), _fc(feats), ustyles, tip,
                        highlight=dict(styles.HIGHLIGHT))]
    if len(drawn):
        layers.append(LayerSpec("county", esc(t("overview.units.outline", lang)),
                                _fc(_features([_outline(drawn)], [{"s": 0}], precision=precision)),
                                [dict(styles.COUNTY_BORDER)], interactive=False))
    labels: list[tuple[float, float, str]] = []
    if 0 < len(drawn) <= LABEL_MAX:  # more names than that overlap into a black mass
        names = rows["area_name"].astype(str).to_numpy()[present]
        for g, n in zip(drawn, names):
            p = g.representative_point()
            labels.append((round(p.y, precision), round(p.x, precision), esc(n)))
    extra = (lg.note_item(t("overview.units.legend_note", lang).format(level=level_name)),)
    return OverviewMapData(
        layers=[lyr for lyr in layers if lyr.n_features],
        bounds=bounds,  # type: ignore[arg-type]
        legend=choro.legend(lang, counts=True, no_data=bool((cls < 0).any()), part=False, extra=extra),
        town_labels=labels,
        town_labels_name=esc(t("overview.units.labels", lang).format(level=level_name)),
    )


def unit_ref(props: dict[str, Any] | Any) -> str | None:
    """The area code of a clicked unit (its ``u`` property), None for anything else (a village, a road)."""
    code = props.get("u") if hasattr(props, "get") else None
    return str(code) if code else None


def prepare_tile_map(table: pd.DataFrame, *, options: UnitOptions, url: str, zooms: tuple[int, int]
                     ) -> OverviewMapData:
    """Map data of every village drawn from vector tiles (:mod:`bangfu.maps.tiles`), for the whole workspace (add
    the area with :func:`tile_map_for_area`; cache this part per options, it does not depend on the area).

    ``table`` holds **every** village of the workspace with the indicator columns (:func:`bangfu.indicators.
    village_metrics`); the classes are computed over all of them (:func:`bangfu.indicators.choropleth`, the same
    classes, colours and legend as the GeoJSON village map) and sent as one character per village
    (:func:`bangfu.maps.tiles.class_string`). ``url`` / ``zooms`` are the tile set's (:func:`bangfu.maps.tiles.
    tile_url`, its plan's native zoom levels)."""
    lang = options.lang
    choro = ind.choropleth(table, options.indicator, method=options.method, k=options.k)
    cls = np.asarray(choro.classes_of(table))
    spec = choro.indicator
    tiles = vt.VectorTileSpec(
        url=url, min_zoom=int(zooms[0]), max_zoom=int(zooms[1]), classes=vt.class_string(cls, table["village_code"]),
        colors=tuple(choro.colors), no_data=styles.NO_DATA, edge=str(styles.VILLAGE_EDGE["color"]),
        opacity=styles.CHOROPLETH_OPACITY, name=esc(t("overview.tiles.layer", lang)),
        value_prop=vt.INDICATOR_PROPS[spec.key], value_label=spec.title(lang), decimals=int(spec.decimals),
        name_label=t("overview.col.village_name", lang), code_label=t("overview.col.village_code", lang),
        hint=t("overview.tiles.hint", lang),
    )
    extra = (lg.note_item(t("overview.tiles.legend_note", lang).format(n=f"{len(table):,}")),)
    bounds = tuple(float(v) for v in shapely.total_bounds(np.asarray(table.geometry.values, dtype=object)))
    return OverviewMapData(
        layers=[], bounds=bounds,  # type: ignore[arg-type]
        legend=choro.legend(lang, counts=True, no_data=bool((cls < 0).any()), part=False, extra=extra),
        tiles=tiles,
    )


def tile_map_for_area(data: OverviewMapData, area: areas.Area, *, bounds: Sequence[float],
                      outline: gpd.GeoDataFrame | None = None, lang: str = "zh", precision: int = 4
                      ) -> OverviewMapData:
    """:func:`prepare_tile_map` data fitted to ``bounds`` (the area's villages), with the borders of ``outline``'s
    units inside ``area`` (``code``/``name`` columns, e.g. the cities of a province, simplified for the view) drawn
    over the villages, and their names when there are few."""
    layers: list[LayerSpec] = []
    labels: list[tuple[float, float, str]] = []
    labels_name = ""
    if outline is not None and len(outline):
        geoms = np.asarray(outline.geometry.values, dtype=object)
        codes = outline["code"].astype(str)
        inside = codes.str.startswith(area.code).to_numpy() if area.code else np.ones(len(outline), dtype=bool)
        lines = shapely.boundary(geoms[inside])
        layers.append(LayerSpec("county", esc(t("overview.units.outline", lang)),
                                _fc(_features(lines, [{"s": 0}] * len(lines), precision=precision)),
                                [dict(styles.COUNTY_BORDER)], interactive=False))
        level_name = t(f"sidebar.level.{below(area)}", lang)
        labels_name = esc(t("overview.units.labels", lang).format(level=level_name))
        if 0 < int(inside.sum()) <= LABEL_MAX and "name" in outline.columns:
            for g, n in zip(geoms[inside], outline["name"].astype(str).to_numpy()[inside]):
                p = g.representative_point()
                labels.append((round(p.y, precision), round(p.x, precision), esc(n)))
    return OverviewMapData(
        layers=[lyr for lyr in layers if lyr.n_features], bounds=tuple(float(v) for v in bounds),  # type: ignore[arg-type]
        legend=data.legend, town_labels=labels, town_labels_name=labels_name, tiles=data.tiles,
    )
