"""Thematic map layers for the tourism and pairing pages: quantile poverty choropleth, site circles,
pairing lines, needy-village status with gaps outlined, and plain-HTML legends (offline, escaped).

Everything goes through :func:`bangfu.maps.base.display_frame` (text escaped, coordinates rounded) and
folium ``GeoJson`` layers; markers are Leaflet circle markers (no icon plugins, nothing from a CDN).
Colours and sizes come from declarative tables.
"""

from __future__ import annotations

from typing import Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement, Template

from bangfu.maps import base as maps
from bangfu.maps.base import TooltipField, esc
from bangfu.workspace.schema import PAIRING_TYPES, SITE_TYPES

__all__ = [
    "POVERTY_COLOURS", "SITE_COLOURS", "PAIRING_COLOURS", "STATUS_STYLE", "quantile_classes", "site_radius",
    "add_poverty_choropleth", "add_sites", "add_reach_circles", "add_village_status", "add_pairing_lines",
    "add_enterprises", "add_legend", "LegendItem",
]

#: Five sequential classes (low → high), ColorBrewer YlOrRd; grey for villages without a value.
POVERTY_COLOURS: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#d9d9d9"

SITE_COLOURS: dict[str, str] = dict(
    zip(SITE_TYPES, ("#6a3d9a", "#b15928", "#33a02c", "#e31a1c", "#1f78b4", "#ff7f00"))
)
PAIRING_COLOURS: dict[str, str] = dict(zip(PAIRING_TYPES, ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")))
ENTERPRISE_COLOUR = "#08306b"

#: Village style on the pairing map by status (fill colour, outline colour, outline weight).
STATUS_STYLE: dict[str, tuple[str, str, float]] = {
    "gap": ("#fcbba1", "#d7191c", 4.0),  # needy without an active pairing: thick red outline
    "paired": ("#c7e9c0", "#238b45", 1.2),  # needy with at least one active pairing
    "other": ("#f0f0f0", "#969696", 0.6),  # not needy under the current rule
}


def quantile_classes(values: pd.Series | np.ndarray, k: int = 5) -> tuple[np.ndarray, list[float]]:
    """Quantile classes 0..k-1 for each value (-1 where missing) and the upper class breaks.

    Equal breaks (many equal values) are merged, so there may be fewer than ``k`` classes.
    """
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype="float64")
    ok = ~np.isnan(x)
    if not ok.any():
        return np.full(len(x), -1), []
    breaks = sorted(set(np.quantile(x[ok], np.linspace(0, 1, k + 1)[1:]).tolist()))
    cls = np.full(len(x), -1)
    cls[ok] = np.searchsorted(np.asarray(breaks), x[ok], side="left")
    return np.minimum(cls, len(breaks) - 1), breaks


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
    value: str,
    fields: Sequence[TooltipField],
    name: str,
    k: int = 5,
) -> list[float]:
    """Villages filled by quantile class of ``value``; returns the class breaks (for the legend)."""
    cls, breaks = quantile_classes(villages[value], k)
    palette = _spread(POVERTY_COLOURS, len(breaks))
    frame = maps.display_frame(villages, [f.column for f in fields], simplify_deg=0.0002)
    frame["_fill"] = [palette[c] if c >= 0 else NO_DATA for c in cls]
    folium.GeoJson(
        maps.geojson_dict(frame),
        name=esc(name),
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#7f7f7f", "weight": 0.6,
                                  "fillOpacity": 0.6},
        highlight_function=lambda _f: {"weight": 2.0, "color": "#000000"},
        tooltip=maps.tooltip(fields),
    ).add_to(m)
    return breaks


def _spread(palette: Sequence[str], n: int) -> list[str]:
    """``n`` colours spread over a palette (keeping both ends)."""
    if n <= 1:
        return [palette[-1]] * max(n, 1)
    idx = np.round(np.linspace(0, len(palette) - 1, n)).astype(int)
    return [palette[i] for i in idx]


def _points_layer(
    m: folium.Map, frame: gpd.GeoDataFrame, *, fields: Sequence[TooltipField], name: str, weight: float = 1.0
) -> None:
    folium.GeoJson(
        maps.geojson_dict(frame),
        name=esc(name),
        marker=folium.CircleMarker(fill=True),
        style_function=lambda f: {"radius": f["properties"]["_radius"], "fill": True, "fillColor": f["properties"]["_color"],
                                  "color": "#ffffff", "weight": weight, "fillOpacity": 0.9},
        tooltip=maps.tooltip(fields),
    ).add_to(m)


def add_sites(m: folium.Map, sites: gpd.GeoDataFrame, *, fields: Sequence[TooltipField], name: str) -> None:
    """Tourism sites as circle markers: colour by type (:data:`SITE_COLOURS`), size by A-level."""
    if sites.empty:
        return
    frame = maps.display_frame(sites, [f.column for f in fields])
    frame["_color"] = [SITE_COLOURS.get(t, "#444444") for t in sites["site_type"]]
    frame["_radius"] = [site_radius(a) for a in sites["a_level"]]
    _points_layer(m, frame, fields=fields, name=name)


def add_reach_circles(m: folium.Map, sites: gpd.GeoDataFrame, *, distance_m: float, name: str) -> None:
    """A dashed, non-interactive circle of radius ``distance_m`` around each site (its reach)."""
    group = folium.FeatureGroup(name=esc(name))
    for g in sites.to_crs("EPSG:4326").geometry:
        folium.Circle([g.y, g.x], radius=float(distance_m), color="#2c7fb8", weight=1, dash_array="4 4",
                      fill=True, fill_opacity=0.04, interactive=False).add_to(group)
    group.add_to(m)


def add_village_status(
    m: folium.Map, villages: gpd.GeoDataFrame, *, status: pd.Series, fields: Sequence[TooltipField], name: str
) -> None:
    """Villages styled by pairing status (:data:`STATUS_STYLE`); gaps are drawn last, on top."""
    frame = maps.display_frame(villages, [f.column for f in fields], simplify_deg=0.0002)
    frame["_status"] = status.to_numpy()
    order = {"other": 0, "paired": 1, "gap": 2}
    frame = frame.iloc[np.argsort(frame["_status"].map(order).to_numpy(), kind="stable")]

    def style(f: dict) -> dict:
        fill, line, weight = STATUS_STYLE[f["properties"]["_status"]]
        return {"fillColor": fill, "color": line, "weight": weight, "fillOpacity": 0.55}

    folium.GeoJson(
        maps.geojson_dict(frame), name=esc(name), style_function=style,
        highlight_function=lambda _f: {"weight": 5, "color": "#000000"}, tooltip=maps.tooltip(fields),
    ).add_to(m)


def add_pairing_lines(m: folium.Map, lines: gpd.GeoDataFrame, *, fields: Sequence[TooltipField], name: str) -> None:
    """Pairing lines coloured by type (:data:`PAIRING_COLOURS`); ended or future pairings dashed grey."""
    if lines.empty:
        return
    frame = maps.display_frame(lines, [f.column for f in fields])
    frame["_color"] = [PAIRING_COLOURS.get(t, "#444444") if a else "#999999"
                       for t, a in zip(lines["pairing_type"], lines["active"])]
    frame["_dash"] = ["" if a else "6 6" for a in lines["active"]]
    folium.GeoJson(
        maps.geojson_dict(frame), name=esc(name),
        style_function=lambda f: {"color": f["properties"]["_color"], "weight": 2.5, "opacity": 0.85,
                                  "dashArray": f["properties"]["_dash"] or None},
        highlight_function=lambda _f: {"weight": 5},
        tooltip=maps.tooltip(fields),
    ).add_to(m)


def add_enterprises(m: folium.Map, enterprises: gpd.GeoDataFrame, *, fields: Sequence[TooltipField], name: str) -> None:
    """Enterprises as dark-blue circle markers (larger for leading enterprises)."""
    if enterprises.empty:
        return
    frame = maps.display_frame(enterprises, [f.column for f in fields])
    frame["_color"] = ENTERPRISE_COLOUR
    frame["_radius"] = [9.0 if bool(x) else 6.0 for x in enterprises["is_leading"].fillna(False)]
    _points_layer(m, frame, fields=fields, name=name, weight=1.5)


class LegendItem:
    """One legend row: a swatch (``fill``/``line``; ``shape`` "box", "circle" or "line") and its label."""

    def __init__(self, label: str, fill: str, *, line: str = "#666666", shape: str = "box", weight: float = 1.0):
        self.label, self.fill, self.line, self.shape, self.weight = label, fill, line, shape, weight

    def html(self) -> str:
        radius = "50%" if self.shape == "circle" else "2px"
        if self.shape == "line":
            swatch = f'<span class="sw" style="border:0;height:{max(self.weight, 2):g}px;background:{esc(self.fill)}"></span>'
        else:
            swatch = (f'<span class="sw" style="background:{esc(self.fill)};border:{self.weight:g}px solid '
                      f'{esc(self.line)};border-radius:{radius}"></span>')
        return f"<div>{swatch}{esc(self.label)}</div>"


_LEGEND = Template(
    """
    {% macro html(this, kwargs) %}
    <div class="bangfu-legend" style="position:absolute;z-index:9999;{{ this.position }}">{{ this.body }}</div>
    {% endmacro %}
    """
)


def add_legend(m: folium.Map, title: str, items: Sequence[LegendItem], *, corner: str = "bottomleft") -> None:
    """A legend box of escaped plain HTML in a corner of the map (no scripts, nothing remote)."""
    positions = {"bottomleft": "left:10px;bottom:24px", "bottomright": "right:10px;bottom:24px",
                 "topright": "right:10px;top:10px", "topleft": "left:50px;top:10px"}
    if corner not in positions:
        raise ValueError(f"corner must be one of {', '.join(positions)}, not {corner!r}")
    el = MacroElement()
    el._template = _LEGEND
    el.position = positions[corner]  # type: ignore[attr-defined]
    el.body = f"<b>{esc(title)}</b>" + "".join(i.html() for i in items)  # type: ignore[attr-defined]
    m.get_root().add_child(el)


def class_labels(breaks: Sequence[float], *, digits: int = 1) -> list[str]:
    """Legend labels for quantile classes: "≤ 3.2", "3.2 – 7.5", ..."""
    out, lo = [], None
    for b in breaks:
        out.append(f"≤ {b:.{digits}f}" if lo is None else f"{lo:.{digits}f} – {b:.{digits}f}")
        lo = b
    return out


__all__.append("class_labels")


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
    reach_m: float | None = None,
    basemap: maps.Basemap = "none",
    tianditu_token: str = "",
) -> folium.Map:
    """Poverty-density choropleth (quantiles) with tourism sites by type and A-level; optional reach circles.

    ``villages`` must carry ``poverty_density`` (see :func:`bangfu.indicators.village_metrics`).
    """
    from bangfu.core.labels import t

    m = maps.offline_map(villages.total_bounds, basemap=basemap, tianditu_token=tianditu_token)
    vfields = _fields("villages", ("village_name", "town_name", "households", "poor_households", "poverty_density"),
                      lang, {"poverty_density": t("pt.col.poverty_density", lang)})
    breaks = add_poverty_choropleth(m, villages, value="poverty_density", fields=vfields, name=t("map.villages", lang))
    if reach_m is not None and not sites.empty:
        add_reach_circles(m, sites, distance_m=reach_m, name=t("tourism.map_reach", lang))
    sfields = _fields("tourism_sites", ("name", "site_type", "a_level", "village_name", "annual_visitors",
                                        "poor_households_employed"), lang, {"village_name": t("map.villages", lang)})
    vnames = dict(zip(villages["village_code"], villages["village_name"]))
    add_sites(m, sites.assign(village_name=sites["village_code"].map(vnames)), fields=sfields,
              name=t("tourism.map_sites", lang))
    palette = _spread(POVERTY_COLOURS, len(breaks))
    add_legend(m, t("tourism.legend_density", lang),
               [LegendItem(lbl, c) for lbl, c in zip(class_labels(breaks), palette)], corner="bottomleft")
    present = [s for s in SITE_TYPES if s in set(sites["site_type"])]
    add_legend(m, t("tourism.legend_types", lang),
               [LegendItem(s, SITE_COLOURS[s], line="#ffffff", shape="circle") for s in present], corner="bottomright")
    return m


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
    """Villages by pairing status (gaps with a thick red outline), pairing lines and enterprises.

    ``status_table`` is a :func:`bangfu.indicators.village_pairing_table` (same villages, same order
    by ``village_code``).
    """
    from bangfu.core.labels import t

    v = villages.merge(pd.DataFrame(status_table[["village_code", "needy", "paired", "active_pairings", "enterprises"]]),
                       on="village_code", how="left")
    needy = v["needy"].fillna(False).astype(bool)
    paired = v["paired"].fillna(False).astype(bool)
    status = pd.Series(np.where(needy & ~paired, "gap", np.where(needy, "paired", "other")), index=v.index)
    m = maps.offline_map(villages.total_bounds, basemap=basemap, tianditu_token=tianditu_token)
    extra = {c: t(f"pt.col.{c}", lang) for c in ("active_pairings", "enterprises")}
    vfields = _fields("villages", ("village_name", "town_name", "poor_households", "is_key_village",
                                   "is_old_district", "active_pairings", "enterprises"), lang, extra)
    for flag in ("is_key_village", "is_old_district"):
        v[flag] = v[flag].astype("boolean").fillna(False).map(lambda x: "✓" if bool(x) else "—").astype(object)
    add_village_status(m, v, status=status, fields=vfields, name=t("pairings.map_villages", lang))
    lfields = _fields("pairings", ("pairing_id", "pairing_type", "start_date", "end_date", "committed_wan"), lang,
                      {"enterprise_name": t("pt.col.enterprise_name", lang)})
    lfields = [TooltipField("enterprise_name", t("pt.col.enterprise_name", lang)),
               TooltipField("village_name", t("map.villages", lang)), *lfields]
    add_pairing_lines(m, lines, fields=lfields, name=t("pairings.map_lines", lang))
    add_enterprises(m, enterprises, fields=_fields("enterprises", ("name", "industry", "employees"), lang),
                    name=t("pairings.map_enterprises", lang))
    items = [LegendItem(t(f"pairings.status_{s}", lang), STATUS_STYLE[s][0], line=STATUS_STYLE[s][1],
                        weight=min(STATUS_STYLE[s][2], 3)) for s in ("gap", "paired", "other")]
    items.append(LegendItem(t("pairings.map_enterprises", lang), ENTERPRISE_COLOUR, shape="circle"))
    add_legend(m, t("pairings.legend_status", lang), items, corner="bottomleft")
    types = [p for p in PAIRING_TYPES if p in set(lines.get("pairing_type", pd.Series(dtype=object)))]
    line_items = [LegendItem(p, PAIRING_COLOURS[p], shape="line", weight=3) for p in types]
    if len(lines) and not lines["active"].all():
        line_items.append(LegendItem(t("pairings.line_inactive", lang), "#999999", shape="line", weight=3))
    if line_items:
        add_legend(m, t("pairings.legend_lines", lang), line_items, corner="bottomright")
    return m
