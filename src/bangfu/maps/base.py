"""Map building: folium maps that load nothing from the internet, with every string escaped.

Pure functions returning folium objects; no Streamlit. The browser loads Leaflet from the app
itself (``/app/static/vendor/leaflet``, copied from the ``xstatic-leaflet`` package by
:func:`bangfu.maps.offline.install_static_assets`); the basemap is off by default.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any, Literal
from collections.abc import Iterable, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from branca.element import MacroElement
from jinja2 import Template

from bangfu.core import styles
from bangfu.maps.offline import LOCAL_TILE_URL, STATIC_URL

Basemap = Literal["none", "osm", "tianditu", "local"]
BASEMAPS: tuple[Basemap, ...] = ("none", "osm", "tianditu", "local")

#: Tile URL templates; Tianditu's vector tiles (CGCS2000 ≈ WGS-84, no GCJ-02 offset).
_TILES: dict[str, tuple[str, str]] = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"),
    "tianditu": (
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
        "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=",
        "© 天地图",
    ),
    "local": (LOCAL_TILE_URL, "本地瓦片"),
}


def esc(value: object) -> str:
    """HTML-escape any value for a popup, tooltip or legend (quotes included)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=True)


def js_json(value: Any) -> str:
    """Compact JSON that is safe inside a <script> element (no <, >, & or ' left raw; text kept as UTF-8)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class MapChrome(MacroElement):
    """What every map has, in one place: the attribution prefix as plain text (no flag image, no link), a
    metric-only scale bar (bottom left, under any legend of that corner), focusing without scrolling the page, and
    fitting the area whenever the map gets a new size before the user moved it.

    A map drawn in a hidden tab (``st.tabs``) is sized 0 × 0 when Leaflet fits it, which leaves it at zoom 0; the
    ResizeObserver fits it again once the tab is shown. Leaflet focuses the map on mouse-down (keyboard
    navigation); a plain ``focus()`` inside the iframe scrolls the page so the whole map is in view, which moved
    a village away from under the pointer between mouse-down and mouse-up (no click, no profile): the focus is
    done with ``preventScroll``. ``window.bangfuFit(bounds)`` fits and remembers other bounds (the search focus).
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            map.attributionControl.setPrefix("Leaflet");
            L.control.scale({metric: true, imperial: false, position: "bottomleft", maxWidth: 120}).addTo(map);
            var box = map.getContainer();
            box.focus = function () { HTMLElement.prototype.focus.call(box, {preventScroll: true}); };
            var target = {{ this.bounds_json }}, moved = false, size = [box.clientWidth, box.clientHeight];
            ["mousedown", "wheel", "touchstart", "keydown"].forEach(function (ev) {
                box.addEventListener(ev, function () { moved = true; }, {passive: true});
            });
            function fit() {
                if (target && box.clientWidth > 0 && box.clientHeight > 0) {
                    map.fitBounds(target, {animate: false, maxZoom: 17});
                }
            }
            window.bangfuFit = function (bounds) { target = bounds; moved = false; map.invalidateSize(false); fit(); };
            if (window.ResizeObserver) {
                new ResizeObserver(function () {
                    if (box.clientWidth === size[0] && box.clientHeight === size[1]) { return; }
                    size = [box.clientWidth, box.clientHeight];
                    map.invalidateSize(false);
                    if (!moved) { fit(); }
                }).observe(box);
            }
        })();
        {% endmacro %}"""
    )

    def __init__(self, bounds: Sequence[float] | None) -> None:
        super().__init__()
        self._name = "MapChrome"
        self.bounds_json = js_json(None if bounds is None else _latlng_bounds(bounds))


def _latlng_bounds(bounds: Sequence[float]) -> list[list[float]]:
    """(minx, miny, maxx, maxy) in lon/lat → Leaflet's [[south, west], [north, east]]."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    return [[miny, minx], [maxy, maxx]]


class _Focus(MacroElement):
    """The highlight of one geometry (not clickable: a click reaches the feature below) in a feature group,
    and, when ``fit``, the map fitted to it (``window.bangfuFit`` of :class:`MapChrome`)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var style = {{ this.style_json }};
            L.geoJson({{ this.data_json }}, {
                interactive: false, style: function () { return style; },
                pointToLayer: function (f, latlng) { return L.circleMarker(latlng, style); }
            }).addTo({{ this._parent.get_name() }});
            {%- if this.fit %}
            if (window.bangfuFit) { window.bangfuFit({{ this.bounds_json }}); }
            {%- endif %}
        })();
        {% endmacro %}"""
    )

    def __init__(self, geometry: shapely.Geometry, fit: bool) -> None:
        super().__init__()
        self._name = "Focus"
        rounded = shapely.set_precision(geometry, 1e-5, mode="valid_output")
        self.data_json = js_json({"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(rounded)})
        self.style_json = js_json(dict(styles.FOCUS))
        minx, miny, maxx, maxy = geometry.bounds
        pad = max(0.0, FOCUS_MIN_SPAN - (maxx - minx)) / 2, max(0.0, FOCUS_MIN_SPAN - (maxy - miny)) / 2
        self.bounds_json = js_json(_latlng_bounds((minx - pad[0], miny - pad[1], maxx + pad[0], maxy + pad[1])))
        self.fit = fit


#: The smallest extent (degrees, ≈ 1 km) a focus zooms to: a point or a short road is shown with its surroundings.
FOCUS_MIN_SPAN = 0.01


def focus_layer(geometry: shapely.Geometry, *, fit: bool = True) -> folium.FeatureGroup:
    """A feature group highlighting ``geometry`` (lon/lat) and, when ``fit``, zooming the map to it.

    Given to ``st_folium(feature_group_to_add=…)`` (:func:`bangfu.ui.widgets.show_map`) it is drawn on the map
    already shown, without building the map anew (the view and the layer choices stay)."""
    group = folium.FeatureGroup(name="focus", control=False)
    group.add_child(_Focus(geometry, fit))
    return group


def offline_map(
    bounds: Sequence[float] | None = None,
    *,
    basemap: Basemap = "none",
    tianditu_token: str = "",
    static_url: str = STATIC_URL,
) -> folium.Map:
    """A folium map whose scripts and stylesheets all come from the app's own static folder.

    ``bounds`` is (minx, miny, maxx, maxy) in lon/lat; the map is fitted to it.
    """
    m = folium.Map(tiles=None, control_scale=False, zoom_control=True)
    # Replace folium's CDN assets (leaflet, jquery, bootstrap, font-awesome...) by the local Leaflet.
    m.default_js = [("leaflet", f"{static_url}/leaflet/leaflet.js")]
    m.default_css = [
        ("leaflet_css", f"{static_url}/leaflet/leaflet.css"),
        ("bangfu_css", f"{static_url}/bangfu.css"),
    ]
    if basemap != "none":
        url, attr = _TILES[basemap]
        if basemap == "tianditu":
            url = url + html.escape(tianditu_token.strip(), quote=True)
            folium.TileLayer(url, attr=attr, name=attr, subdomains="01234567", max_zoom=18).add_to(m)
        else:
            folium.TileLayer(url, attr=attr, name=attr, max_zoom=19).add_to(m)
    m.add_child(MapChrome(bounds))
    if bounds is not None:
        m.fit_bounds(_latlng_bounds(bounds))
    return m


def display_frame(
    gdf: gpd.GeoDataFrame,
    columns: Iterable[str],
    *,
    simplify_deg: float = 0.0,
    precision: int = 5,
) -> gpd.GeoDataFrame:
    """A lightweight, escaped copy for the browser: chosen columns, text escaped, coords rounded.

    Numbers stay numbers; text (including names from user files) is HTML-escaped so that a
    tooltip or popup can never run a script. Geometry is optionally simplified (coverage-safe)
    and rounded to ``precision`` decimals (1e-5° ≈ 1 m).
    """
    cols = [c for c in dict.fromkeys(columns) if c in gdf.columns]
    out = gpd.GeoDataFrame(gdf[cols].copy(), geometry=gdf.geometry.values, crs=gdf.crs)
    if out.crs is not None and not out.crs.equals("EPSG:4326"):
        out = out.to_crs("EPSG:4326")
    for c in cols:
        s = out[c]
        if pd.api.types.is_bool_dtype(s):
            out[c] = s.astype(object).map(lambda v: None if v is pd.NA or v is None else bool(v))
        elif pd.api.types.is_integer_dtype(s):
            out[c] = s.astype(object).map(lambda v: None if v is pd.NA or v is None else int(v))
        elif pd.api.types.is_float_dtype(s):
            out[c] = s.map(lambda v: None if pd.isna(v) else round(float(v), 4)).astype(object)
        else:
            out[c] = s.astype(object).map(esc)
    geoms = out.geometry.values
    if simplify_deg > 0:
        kinds = set(shapely.get_type_id(geoms).tolist())
        if kinds <= {3, 6}:  # polygons: keep shared borders shared
            geoms = shapely.coverage_simplify(geoms, simplify_deg)
        else:
            geoms = shapely.simplify(geoms, simplify_deg, preserve_topology=True)
    out = out.set_geometry(shapely.set_precision(geoms, 10.0**-precision, mode="valid_output"), crs="EPSG:4326")
    return out


def geojson_dict(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """Compact GeoJSON FeatureCollection (no ids, no bbox) of a display frame."""
    return json.loads(gdf.to_json(drop_id=True, na="null", show_bbox=False))


@dataclass(frozen=True)
class TooltipField:
    """A property shown in a tooltip, with its label."""

    column: str
    label: str


def tooltip(fields: Sequence[TooltipField]) -> folium.GeoJsonTooltip:
    """A folium tooltip whose labels are escaped (values are escaped by :func:`display_frame`)."""
    return folium.GeoJsonTooltip(
        fields=[f.column for f in fields],
        aliases=[esc(f.label) for f in fields],
        sticky=True,
        localize=True,
    )


def add_village_outlines(
    m: folium.Map,
    villages: gpd.GeoDataFrame,
    *,
    fields: Sequence[TooltipField],
    name: str,
    fill: str = "#fdd49e",
    line: str = "#7f2704",
    simplify_deg: float = 0.0002,
) -> folium.GeoJson:
    """Villages as light polygons with a tooltip; returns the folium layer."""
    frame = display_frame(villages, [f.column for f in fields], simplify_deg=simplify_deg)
    layer = folium.GeoJson(
        geojson_dict(frame),
        name=esc(name),
        style_function=lambda _f: {"fillColor": fill, "color": line, "weight": 0.8, "fillOpacity": 0.55},
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        tooltip=tooltip(fields),
        smooth_factor=0.5,
    )
    layer.add_to(m)
    return layer


def map_html(m: folium.Map) -> str:
    """The full standalone HTML of a map (for tests and exports)."""
    return m.get_root().render()
