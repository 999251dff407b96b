"""The road hardening map: roads coloured by status over the village boundaries, with the status legend.

Pure folium (no Streamlit); everything offline (:func:`bangfu.maps.base.offline_map`), every value
that reaches HTML escaped (:func:`bangfu.maps.base.display_frame`, :func:`bangfu.maps.base.esc`).
A status is drawn as everywhere else: colour, dash and label from :data:`bangfu.core.vocab.ROAD_STATUS`
(the overview map draws the same); the line width follows the road class
(:data:`bangfu.core.vocab.ROAD_CLASS`), thicker than on the overview because roads are this map's subject.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
import pandas as pd

from bangfu.core import legend as lg
from bangfu.core import styles
from bangfu.core.labels import t
from bangfu.core.vocab import ROAD_CLASS, ROAD_STATUS
from bangfu.maps import base as maps
from bangfu.maps.legend import add_legend
from bangfu.workspace.schema import column_labels

__all__ = ["WIDTH_SCALE", "DRAW_ORDER", "MISSING_LINK_STYLE", "road_style", "status_legend", "road_map", "add_missing_links"]

#: Road widths on this map: the road class's width (vocabulary) times this.
WIDTH_SCALE = 1.5
#: Statuses drawn last come out on top: hardened roads over the rest.
DRAW_ORDER: tuple[str, ...] = tuple(reversed(ROAD_STATUS.codes))


#: Missing links (roads whose hardening would connect villages) drawn over the status layers.
MISSING_LINK_STYLE: dict[str, object] = {"color": "#d7191c", "weight": 7, "opacity": 0.85}


def road_style(status: object, road_class: object) -> dict[str, object]:
    """The Leaflet style of a road: its status's colour and dash, its class's width (× :data:`WIDTH_SCALE`)."""
    style: dict[str, object] = {"color": ROAD_STATUS.color(status, styles.UNKNOWN), "opacity": 0.95,
                                "weight": (ROAD_CLASS.term(str(road_class)).weight if str(road_class) in ROAD_CLASS
                                           else 2.0) * WIDTH_SCALE}
    if str(status) in ROAD_STATUS and ROAD_STATUS.term(str(status)).dash:
        style["dashArray"] = ROAD_STATUS.term(str(status)).dash
    return style


def status_legend(lang: str) -> lg.Legend:
    """The legend of the four statuses in ``lang`` (the same on the overview map)."""
    return lg.vocab_legend(ROAD_STATUS, lang, title=t("roads.legend", lang))


def _road_frame(roads: gpd.GeoDataFrame, villages: pd.DataFrame, lang: str) -> gpd.GeoDataFrame:
    names = dict(zip(villages["village_code"], villages["village_name"]))
    out = roads.copy()
    out["status_label"] = out["status"].map(lambda s: ROAD_STATUS.label(s, lang))
    out["class_label"] = out["road_class"].map(lambda c: ROAD_CLASS.label(c, lang))
    out["village_name"] = out["village_code"].map(names)
    return out


def road_map(
    roads: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    basemap: maps.Basemap = "none",
    tianditu_token: str = "",
    village_fields: Sequence[maps.TooltipField] | None = None,
) -> folium.Map:
    """Villages as light outlines, roads coloured by status (one layer per status) and a legend."""
    bounds = villages.total_bounds if len(villages) else (roads.total_bounds if len(roads) else None)
    m = maps.offline_map(bounds, basemap=basemap, tianditu_token=tianditu_token)
    vlabels = column_labels("villages", lang)
    fields = village_fields or [maps.TooltipField(c, vlabels[c]) for c in ("village_name", "village_code", "town_name")]
    if len(villages):
        bg = styles.VILLAGE_BACKGROUND
        maps.add_village_outlines(m, villages, fields=fields, name=t("roads.map.villages", lang), fill=bg["fillColor"],
                                  line=bg["color"])
    rlabels = column_labels("roads", lang)
    shown = ("name", "road_id", "village_name", "class_label", "status_label", "progress_pct", "planned_year",
             "completed_year", "cost_wan")
    tips = [maps.TooltipField(c, rlabels.get(c, vlabels.get(c, c))) for c in shown]
    tips[3] = maps.TooltipField("class_label", rlabels["road_class"])
    tips[4] = maps.TooltipField("status_label", rlabels["status"])
    frame = _road_frame(roads, villages, lang) if len(roads) else roads
    for status in DRAW_ORDER:
        part = frame[frame["status"] == status] if len(frame) else frame
        if part.empty:
            continue
        disp = maps.display_frame(part, [*shown, "status", "road_class"], simplify_deg=0.00002)
        folium.GeoJson(
            maps.geojson_dict(disp),
            name=maps.esc(ROAD_STATUS.label(status, lang)),
            style_function=lambda f: road_style(f["properties"].get("status"), f["properties"].get("road_class")),
            highlight_function=lambda _f: {"weight": 6, "color": styles.HIGHLIGHT["color"]},
            tooltip=maps.tooltip(tips),
        ).add_to(m)
    add_legend(m, status_legend(lang), "bottomright")
    return m


def add_missing_links(m: folium.Map, links: gpd.GeoDataFrame, *, lang: str = "zh") -> folium.Map:
    """Draw ranked missing links (``rank``, ``road_id``, ``villages``, ``households``, ``poor_households``,
    ``cost_wan`` and a line geometry in EPSG:4326) as thick red lines on top, every value escaped."""
    if links.empty:
        return m
    cols = ("rank", "road_id", "villages", "households", "poor_households", "cost_wan")
    disp = maps.display_frame(links, list(cols), simplify_deg=0.00002)
    vl = column_labels("villages", lang)
    heads = {"rank": "#", "road_id": column_labels("roads", lang)["road_id"], "villages": t("network.col.villages", lang),
             "households": vl["households"], "poor_households": vl["poor_households"],
             "cost_wan": t("network.col.cost_wan", lang)}
    tips = [maps.TooltipField(c, heads[c]) for c in cols]
    folium.GeoJson(
        maps.geojson_dict(disp), name=maps.esc(t("network.links.layer", lang)),
        style_function=lambda _f: dict(MISSING_LINK_STYLE), tooltip=maps.tooltip(tips),
    ).add_to(m)
    return m
