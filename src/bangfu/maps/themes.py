"""Thematic maps of the tourism and pairing pages: poverty choropleth, site circles, pairing lines, needy-village
status with gaps outlined, and their legends (offline, escaped).

Everything goes through :func:`bangfu.maps.base.display_frame` (text escaped, coordinates rounded) and
folium ``GeoJson`` layers; markers are Leaflet circle markers (no icon plugins, nothing from a CDN).
Classes come from :func:`bangfu.indicators.choropleth` (whole workspace), colours of coded values from
:mod:`bangfu.core.vocab`, other styles from :mod:`bangfu.core.styles`, legends from
:mod:`bangfu.core.legend` drawn by :func:`bangfu.maps.legend.add_legend`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from bangfu import indicators as ind
from bangfu.core import legend as lg
from bangfu.core import styles
from bangfu.core.labels import t
from bangfu.core.vocab import PAIRING_STATE, PAIRING_TYPE, SITE_TYPE, Vocabulary
from bangfu.maps import base as maps
from bangfu.maps.base import TooltipField, esc
from bangfu.maps.legend import add_legend
from bangfu.maps.overview import OverviewMapData, build_overview_map

__all__ = [
    "site_radius", "state_fill", "add_poverty_choropleth", "add_sites", "add_reach_circles", "add_village_status",
    "add_pairing_lines", "add_enterprises", "enterprise_item", "coded_labels", "pairing_state", "tourism_map",
    "pairing_map", "add_site_overlay", "tourism_units_map", "GAPS", "gap_choropleth", "pairing_units_map",
]


def coded_labels(values: pd.Series, vocabulary: Vocabulary, lang: str) -> pd.Series:
    """The labels of coded values in ``lang`` (for tooltips; unknown codes shown as they are)."""
    return values.map(lambda c: vocabulary.label(c, lang)).astype(object)


def state_fill(state: str) -> str:
    """Fill of a village on the pairing map: its state's outline colour (:data:`PAIRING_STATE`), lightened."""
    return styles.tint(PAIRING_STATE.color(state), 0.7)


def site_radius(a_level: object) -> float:
    """Marker radius in pixels: 6 for unrated sites, +2 per A-level (5A → 16)."""
    try:
        level = int(a_level)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        level = 0
    return 6.0 + 2.0 * max(0, min(level, 5))


def add_poverty_choropleth(
    m: folium.Map,
    villages: gpd.GeoDataFrame,
    *,
    choropleth: ind.Choropleth,
    fields: Sequence[TooltipField],
    name: str,
) -> None:
    """Villages filled by their class under ``choropleth`` (classes of the whole workspace)."""
    frame = maps.display_frame(villages, ["village_code", *[f.column for f in fields]], simplify_deg=0.0002)
    frame["_fill"] = choropleth.fills(villages)
    edge = styles.VILLAGE_EDGE
    folium.GeoJson(
        maps.geojson_dict(frame),
        name=esc(name),
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": edge["color"],
                                  "weight": edge["weight"], "fillOpacity": styles.CHOROPLETH_OPACITY},
        highlight_function=lambda _f: {"weight": styles.HIGHLIGHT["weight"], "color": styles.HIGHLIGHT["color"]},
        tooltip=maps.tooltip(fields),
    ).add_to(m)


def _points_layer(
    m: folium.Map, frame: gpd.GeoDataFrame, *, fields: Sequence[TooltipField], name: str, weight: float, opacity: float
) -> None:
    folium.GeoJson(
        maps.geojson_dict(frame),
        name=esc(name),
        marker=folium.CircleMarker(fill=True),
        style_function=lambda f: {"radius": f["properties"]["_radius"], "fill": True, "fillColor": f["properties"]["_color"],
                                  "color": "#ffffff", "weight": weight, "fillOpacity": opacity},
        tooltip=maps.tooltip(fields),
    ).add_to(m)


def add_sites(m: folium.Map, sites: gpd.GeoDataFrame, *, fields: Sequence[TooltipField], name: str,
              lang: str = "zh") -> None:
    """Tourism sites as circle markers: colour by type (:data:`bangfu.core.vocab.SITE_TYPE`), size by A-level."""
    if sites.empty:
        return
    frame = maps.display_frame(sites.assign(site_type=coded_labels(sites["site_type"], SITE_TYPE, lang)),
                               ["site_id", *[f.column for f in fields]])  # the id: a click picks the site
    frame["_color"] = [SITE_TYPE.color(c, styles.UNKNOWN) for c in sites["site_type"]]
    frame["_radius"] = [site_radius(a) for a in sites["a_level"]]
    _points_layer(m, frame, fields=fields, name=name, weight=styles.SITE_MARKER["weight"],
                  opacity=styles.SITE_MARKER["fillOpacity"])


def add_reach_circles(m: folium.Map, sites: gpd.GeoDataFrame, *, distance_m: float, name: str) -> None:
    """A dashed, non-interactive circle of radius ``distance_m`` around each site (its reach)."""
    group = folium.FeatureGroup(name=esc(name))
    st = styles.REACH_CIRCLE
    for g in sites.to_crs("EPSG:4326").geometry:
        folium.Circle([g.y, g.x], radius=float(distance_m), color=st["color"], weight=st["weight"],
                      dash_array=st["dashArray"], fill=True, fill_opacity=st["fillOpacity"],
                      interactive=False).add_to(group)
    group.add_to(m)


def add_village_status(
    m: folium.Map, villages: gpd.GeoDataFrame, *, status: pd.Series, fields: Sequence[TooltipField], name: str
) -> None:
    """Villages styled by pairing state (:data:`bangfu.core.vocab.PAIRING_STATE`: outline colour and width,
    a light fill of the same colour); gaps are drawn last, on top."""
    frame = maps.display_frame(villages, ["village_code", *[f.column for f in fields]], simplify_deg=0.0002)
    frame["_status"] = status.to_numpy()
    order = {code: -PAIRING_STATE.rank(code) for code in PAIRING_STATE.codes}  # first term (gap) on top
    frame = frame.iloc[np.argsort(frame["_status"].map(order).to_numpy(), kind="stable")]

    def style(f: dict) -> dict:
        term = PAIRING_STATE.term(f["properties"]["_status"])
        return {"fillColor": state_fill(term.code), "color": term.color, "weight": term.weight, "fillOpacity": 0.55}

    folium.GeoJson(
        maps.geojson_dict(frame), name=esc(name), style_function=style,
        highlight_function=lambda _f: {"weight": 5, "color": styles.HIGHLIGHT["color"]}, tooltip=maps.tooltip(fields),
    ).add_to(m)


def add_pairing_lines(m: folium.Map, lines: gpd.GeoDataFrame, *, fields: Sequence[TooltipField], name: str,
                      lang: str = "zh") -> None:
    """Pairing lines coloured by type (:data:`bangfu.core.vocab.PAIRING_TYPE`); ended or future pairings
    grey and dashed (:data:`bangfu.core.styles.INACTIVE_LINE`)."""
    if lines.empty:
        return
    frame = maps.display_frame(lines.assign(pairing_type=coded_labels(lines["pairing_type"], PAIRING_TYPE, lang)),
                               [f.column for f in fields])
    inactive = styles.INACTIVE_LINE
    frame["_color"] = [PAIRING_TYPE.color(c, styles.UNKNOWN) if a else inactive["color"]
                       for c, a in zip(lines["pairing_type"], lines["active"])]
    frame["_dash"] = [PAIRING_TYPE.term(c).dash if a and c in PAIRING_TYPE else "" if a else inactive["dashArray"]
                      for c, a in zip(lines["pairing_type"], lines["active"])]
    frame["_weight"] = [PAIRING_TYPE.term(c).weight if a and c in PAIRING_TYPE else inactive["weight"]
                        for c, a in zip(lines["pairing_type"], lines["active"])]
    folium.GeoJson(
        maps.geojson_dict(frame), name=esc(name),
        style_function=lambda f: {"color": f["properties"]["_color"], "weight": f["properties"]["_weight"],
                                  "opacity": styles.PAIRING_LINE["opacity"], "dashArray": f["properties"]["_dash"] or None},
        highlight_function=lambda _f: {"weight": 5},
        tooltip=maps.tooltip(fields),
    ).add_to(m)


def add_enterprises(m: folium.Map, enterprises: gpd.GeoDataFrame, *, fields: Sequence[TooltipField], name: str) -> None:
    """Enterprises as dark-blue circle markers (:data:`bangfu.core.styles.ENTERPRISE`; larger when leading)."""
    if enterprises.empty:
        return
    st = styles.ENTERPRISE
    frame = maps.display_frame(enterprises, ["enterprise_id", *[f.column for f in fields]])  # a click picks it
    frame["_color"] = st["fillColor"]
    frame["_radius"] = [st["radius_leading"] if bool(x) else st["radius"] for x in enterprises["is_leading"].fillna(False)]
    _points_layer(m, frame, fields=fields, name=name, weight=st["weight"], opacity=st["fillOpacity"])


def enterprise_item(lang: str = "zh") -> lg.LegendItem:
    """The legend row of enterprises."""
    return lg.LegendItem("dot", t("pairings.map_enterprises", lang), styles.ENTERPRISE["fillColor"],
                         edge=styles.ENTERPRISE["color"])


# ----------------------------------------------------------------------------- whole maps


def _fields(layer: str, columns: Sequence[str], lang: str, extra: dict[str, str] | None = None) -> list[TooltipField]:
    from bangfu.workspace.schema import column_labels

    names = {**column_labels(layer, lang), **(extra or {})}
    return [TooltipField(c, names.get(c, c)) for c in columns]


def tourism_map(
    villages: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    lang: str,
    shown_codes: Collection[str] | None = None,
    reach_m: float | None = None,
    basemap: maps.Basemap = "none",
    tianditu_token: str = "",
) -> folium.Map:
    """Poverty-density choropleth with tourism sites by type and A-level; optional reach circles.

    ``villages`` are **all** villages of the workspace with ``poverty_density`` (see
    :func:`bangfu.indicators.village_metrics`): the classes are computed on them (the default
    classification, as on every map); ``shown_codes`` limits the villages drawn (e.g. one town's).
    """
    choro = ind.choropleth(villages, "poverty_density")
    shown = villages if shown_codes is None else villages[villages["village_code"].isin(set(shown_codes))]
    bounds = shown.total_bounds if len(shown) else villages.total_bounds
    m = maps.offline_map(bounds, basemap=basemap, tianditu_token=tianditu_token)
    vfields = _fields("villages", ("village_name", "town_name", "households", "poor_households", "poverty_density"),
                      lang, {"poverty_density": choro.indicator.title(lang)})
    add_poverty_choropleth(m, shown, choropleth=choro, fields=vfields, name=t("map.villages", lang))
    no_data = bool((choro.classes_of(shown) < 0).any())
    add_legend(m, choro.legend(lang, no_data=no_data, part=len(shown) < len(villages)), "bottomleft")
    add_site_overlay(m, villages, sites, lang=lang, reach_m=reach_m, legend_at="bottomright")
    return m


def add_site_overlay(m: folium.Map, villages: pd.DataFrame, sites: gpd.GeoDataFrame, *, lang: str,
                     reach_m: float | None = None, legend_at: str = "bottomright") -> None:
    """The tourism sites of a map (with their village's name, ``villages``: codes and names), reach circles of
    ``reach_m`` when given, and the legend of the site types at ``legend_at``."""
    if reach_m is not None and not sites.empty:
        add_reach_circles(m, sites, distance_m=reach_m, name=t("tourism.map_reach", lang))
    sfields = _fields("tourism_sites", ("name", "site_type", "a_level", "village_name", "annual_visitors",
                                        "poor_households_employed"), lang, {"village_name": t("map.villages", lang)})
    vnames = dict(zip(villages["village_code"], villages["village_name"]))
    add_sites(m, sites.assign(village_name=sites["village_code"].map(vnames)), fields=sfields,
              name=t("tourism.map_sites", lang), lang=lang)
    add_legend(m, lg.vocab_legend(SITE_TYPE, lang, kind="dot", codes=sites["site_type"],
                                  title=t("tourism.legend_types", lang)), legend_at)


def tourism_units_map(units: OverviewMapData, villages: pd.DataFrame, sites: gpd.GeoDataFrame, *, lang: str,
                      reach_m: float | None = None, basemap: maps.Basemap = "none", tianditu_token: str = ""
                      ) -> folium.Map:
    """The tourism map of a province or a city: the areas one level below as the poverty-density choropleth
    (``units``: :func:`bangfu.maps.units.prepare_units`, the overview's map of the level below) with the area's
    sites (a province holds a few hundred; never its 16,727 villages)."""
    m = build_overview_map(units, basemap=basemap, tianditu_token=tianditu_token)
    add_site_overlay(m, villages, sites, lang=lang, reach_m=reach_m, legend_at="bottomleft")
    return m


#: The pairing page's map of a province or a city colours its areas by the needy villages without an active
#: pairing (the page's gap list, counted per area).
GAPS = ind.ChoroplethIndicator("gaps", "needy_unpaired", "pairings.map_gaps", "pairings.unit_villages", 0, "OrRd")


def gap_choropleth(summary: pd.DataFrame) -> ind.Choropleth:
    """:data:`GAPS` classified over every area of ``summary`` (a ``needy_unpaired`` column, one row per area)."""
    classes = ind.classify(summary[GAPS.column].astype(float), method=GAPS.method, k=GAPS.k)
    return ind.Choropleth(GAPS, classes, styles.class_colors(GAPS.palette, max(classes.k, 1)))


def pairing_state(needy: pd.Series, paired: pd.Series) -> pd.Series:
    """The :data:`bangfu.core.vocab.PAIRING_STATE` code of each village: needy without an active pairing
    ("gap"), needy and paired ("paired"), not needy ("other")."""
    needy, paired = needy.fillna(False).astype(bool), paired.fillna(False).astype(bool)
    return pd.Series(np.where(needy & ~paired, "gap", np.where(needy, "paired", "other")), index=needy.index)


def pairing_map(
    villages: gpd.GeoDataFrame,
    status_table: pd.DataFrame,
    lines: gpd.GeoDataFrame,
    enterprises: gpd.GeoDataFrame,
    *,
    lang: str,
    basemap: maps.Basemap = "none",
    tianditu_token: str = "",
) -> folium.Map:
    """Villages by pairing state (gaps with a thick red outline), pairing lines and enterprises.

    ``status_table`` is a :func:`bangfu.indicators.village_pairing_table` (same villages, same order
    by ``village_code``).
    """
    v = villages.merge(pd.DataFrame(status_table[["village_code", "needy", "paired", "active_pairings", "enterprises"]]),
                       on="village_code", how="left")
    status = pairing_state(v["needy"], v["paired"])
    m = maps.offline_map(villages.total_bounds, basemap=basemap, tianditu_token=tianditu_token)
    extra = {c: t(f"pt.col.{c}", lang) for c in ("active_pairings", "enterprises")}
    vfields = _fields("villages", ("village_name", "town_name", "poor_households", "is_key_village",
                                   "is_old_district", "active_pairings", "enterprises"), lang, extra)
    for flag in ("is_key_village", "is_old_district"):
        v[flag] = v[flag].astype("boolean").fillna(False).map(lambda x: "✓" if bool(x) else "—").astype(object)
    add_village_status(m, v, status=status, fields=vfields, name=t("pairings.map_villages", lang))
    _add_pairing_overlay(m, lines, enterprises, lang=lang)
    states = tuple(lg.LegendItem("fill", term.label(lang), state_fill(term.code), edge=term.color, weight=term.weight)
                   for term in PAIRING_STATE)
    add_legend(m, lg.Legend(PAIRING_STATE.name(lang), states + (enterprise_item(lang),)), "bottomleft")
    add_legend(m, _line_legend(lines, lang), "bottomright")
    return m


def _add_pairing_overlay(m: folium.Map, lines: gpd.GeoDataFrame, enterprises: gpd.GeoDataFrame, *, lang: str) -> None:
    lfields = _fields("pairings", ("pairing_id", "pairing_type", "start_date", "end_date", "committed_wan"), lang,
                      {"enterprise_name": t("pt.col.enterprise_name", lang)})
    lfields = [TooltipField("enterprise_name", t("pt.col.enterprise_name", lang)),
               TooltipField("village_name", t("map.villages", lang)), *lfields]
    add_pairing_lines(m, lines, fields=lfields, name=t("pairings.map_lines", lang), lang=lang)
    add_enterprises(m, enterprises, fields=_fields("enterprises", ("name", "industry", "employees"), lang),
                    name=t("pairings.map_enterprises", lang))


def _line_legend(lines: gpd.GeoDataFrame, lang: str) -> lg.Legend:
    active = lines["active"].astype(bool) if len(lines) else pd.Series(dtype=bool)
    line_legend = lg.vocab_legend(PAIRING_TYPE, lang, codes=lines.loc[active, "pairing_type"] if len(lines) else ())
    if len(lines) and not active.all():
        ina = styles.INACTIVE_LINE
        line_legend += (lg.LegendItem("line", t("pairings.line_inactive", lang), ina["color"], ina["dashArray"],
                                      ina["weight"]),)
    return line_legend


def pairing_units_map(units: OverviewMapData, lines: gpd.GeoDataFrame, enterprises: gpd.GeoDataFrame, *, lang: str,
                      basemap: maps.Basemap = "none", tianditu_token: str = "") -> folium.Map:
    """The pairing map of a province or a city: the areas one level below coloured by their needy villages without
    an active pairing (``units``: :func:`bangfu.maps.units.prepare_units` with :func:`gap_choropleth`), the pairing
    lines given (the page sends those of the thing found unless every line is asked for) and the enterprises."""
    m = build_overview_map(units, basemap=basemap, tianditu_token=tianditu_token)
    _add_pairing_overlay(m, lines, enterprises, lang=lang)
    legend = _line_legend(lines, lang)
    add_legend(m, lg.Legend(legend.title, (enterprise_item(lang), *legend.items)), "bottomleft")
    return m
