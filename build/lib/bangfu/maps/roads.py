"""The road hardening map: roads coloured by status over the village boundaries, with an escaped legend.

Pure folium (no Streamlit); everything offline (:func:`bangfu.maps.base.offline_map`), every value
that reaches HTML escaped (:func:`bangfu.maps.base.display_frame`, :func:`bangfu.maps.base.esc`).
"""

from __future__ import annotations

import json
from typing import Sequence

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from bangfu.maps import base as maps
from bangfu.core.labels import column_labels, t
from bangfu.editing.roads import STATUS_COLORS, STATUS_LABELS, status_label

#: Line widths by road class (county roads thicker).
CLASS_WEIGHTS: dict[str, float] = {"县道": 4.5, "乡道": 3.5, "村道": 2.5, "组道": 1.8}
#: Statuses drawn last come out on top: hardened roads over the rest.
DRAW_ORDER: tuple[str, ...] = ("unhardened", "planned", "under_construction", "completed")


class Legend(MacroElement):
    """A bottom-right Leaflet control holding pre-escaped HTML (no external script)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: "bottomright"});
{{ this.get_name() }}.onAdd = function () {
  var div = L.DomUtil.create("div", "bangfu-legend");
  div.innerHTML = {{ this.html_json }};
  return div;
};
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}"""
    )

    def __init__(self, title: str, items: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "Legend"
        rows = "".join(
            f'<div><span class="sw" style="background:{maps.esc(color)}"></span>{maps.esc(label)}</div>'
            for color, label in items
        )
        body = f"<b>{maps.esc(title)}</b>{rows}"
        self.html_json = json.dumps(body, ensure_ascii=False).replace("</", "<\\/")


def status_legend(lang: str) -> Legend:
    """The legend of the four statuses in ``lang``."""
    items = [(STATUS_COLORS[s], STATUS_LABELS[s][1 if lang == "en" else 0]) for s in reversed(DRAW_ORDER)]
    return Legend(t("roads.legend", lang), items)


def _road_frame(roads: gpd.GeoDataFrame, villages: pd.DataFrame, lang: str) -> gpd.GeoDataFrame:
    names = dict(zip(villages["village_code"], villages["village_name"]))
    out = roads.copy()
    out["status_label"] = out["status"].map(lambda s: status_label(s, lang))
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
        maps.add_village_outlines(m, villages, fields=fields, name=t("roads.map.villages", lang), fill="#f7f4ea",
                                  line="#8c8c8c")
    rlabels = column_labels("roads", lang)
    shown = ("name", "road_id", "village_name", "road_class", "status_label", "progress_pct", "planned_year",
             "completed_year", "cost_wan")
    tips = [maps.TooltipField(c, rlabels.get(c, vlabels.get(c, c))) for c in shown]
    tips[4] = maps.TooltipField("status_label", rlabels["status"])
    frame = _road_frame(roads, villages, lang) if len(roads) else roads
    for status in DRAW_ORDER:
        part = frame[frame["status"] == status] if len(frame) else frame
        if part.empty:
            continue
        disp = maps.display_frame(part, [*shown, "status"], simplify_deg=0.00002)
        color = STATUS_COLORS[status]
        folium.GeoJson(
            maps.geojson_dict(disp),
            name=maps.esc(status_label(status, lang)),
            style_function=lambda f, c=color: {
                "color": c, "weight": CLASS_WEIGHTS.get(str(f["properties"].get("road_class")), 2.5), "opacity": 0.95,
                "dashArray": "6 4" if f["properties"].get("status") == "planned" else None,
            },
            highlight_function=lambda _f: {"weight": 6, "color": "#000000"},
            tooltip=maps.tooltip(tips),
        ).add_to(m)
    status_legend(lang).add_to(m)
    return m
