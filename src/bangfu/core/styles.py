"""Map styles: the sequential class palettes, no-data colours and the styles of everything that is not a coded value.

The one place below :mod:`bangfu.maps` and :mod:`bangfu.briefing` (which may not import each other)
where a map colour is written down. Coded values (road status, site type, pairing type, project type,
老区/key village outlines, pairing state) take their colour, dash and width from
:mod:`bangfu.core.vocab`; this module holds the rest:

* :data:`SEQUENTIAL` — ColorBrewer sequential schemes for the choropleth classes, and
  :func:`class_colors` that picks ``k`` of them;
* :data:`NO_DATA` / :data:`FILTERED_OUT` — the greys of villages without a value or outside a filter;
* path styles (Leaflet option names) of borders, enterprises, pairing lines, catchments and the rest.

Class colours: for ``k`` classes we use ColorBrewer's ``k + 1``-class scheme without its lightest
colour. The lightest ColorBrewer colours are nearly white (PuRd's ``#f1eef6``) and could not be told
from the light grey of villages outside the 老区/key filter; all colours are still ColorBrewer's own.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any
from collections.abc import Mapping

__all__ = [
    "SEQUENTIAL", "MIN_CLASSES", "MAX_CLASSES", "class_colors", "NO_DATA", "FILTERED_OUT",
    "UNKNOWN", "tint", "dash_pattern", "VILLAGE_EDGE", "VILLAGE_EDGE_FADED", "UNIT_EDGE", "CHOROPLETH_OPACITY", "HIGHLIGHT",
    "TOWN_BORDER", "SELECTED_TOWN_BORDER", "COUNTY_BORDER", "VILLAGE_BACKGROUND", "ENTERPRISE",
    "PAIRING_LINE", "INACTIVE_LINE", "REACH_CIRCLE", "CATCHMENT", "SELECTED_PROJECT", "SITE_MARKER",
]

MIN_CLASSES, MAX_CLASSES = 3, 7

#: ColorBrewer sequential schemes (light → dark) by number of colours, 4–8; :func:`class_colors` picks from them.
SEQUENTIAL: Mapping[str, Mapping[int, tuple[str, ...]]] = MappingProxyType({
    "YlOrRd": {
        4: ("#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"),
        5: ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"),
        6: ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"),
        7: ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"),
        8: ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"),
    },
    "OrRd": {
        4: ("#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f"),
        5: ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"),
        6: ("#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"),
        7: ("#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000"),
        8: ("#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000"),
    },
    "YlOrBr": {
        4: ("#ffffd4", "#fed98e", "#fe9929", "#cc4c02"),
        5: ("#ffffd4", "#fed98e", "#fe9929", "#d95f0e", "#993404"),
        6: ("#ffffd4", "#fee391", "#fec44f", "#fe9929", "#d95f0e", "#993404"),
        7: ("#ffffd4", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04"),
        8: ("#ffffe5", "#fff7bc", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04"),
    },
    "PuRd": {
        4: ("#f1eef6", "#d7b5d8", "#df65b0", "#ce1256"),
        5: ("#f1eef6", "#d7b5d8", "#df65b0", "#dd1c77", "#980043"),
        6: ("#f1eef6", "#d4b9da", "#c994c7", "#df65b0", "#dd1c77", "#980043"),
        7: ("#f1eef6", "#d4b9da", "#c994c7", "#df65b0", "#e7298a", "#ce1256", "#91003f"),
        8: ("#f7f4f9", "#e7e1ef", "#d4b9da", "#c994c7", "#df65b0", "#e7298a", "#ce1256", "#91003f"),
    },
})


def class_colors(palette: str, k: int) -> tuple[str, ...]:
    """``k`` class colours, light → dark: ColorBrewer's ``(k + 1)``-class ``palette`` without its lightest.

    ``k`` is 1–7; with fewer than 3 classes (too few distinct values) the colours are taken from the
    3-class set (one class: its middle colour; two: its ends), so a class never looks lighter than
    the lightest class of a full classification.
    """
    if palette not in SEQUENTIAL:
        raise ValueError(f"unknown palette {palette!r}; allowed: {', '.join(SEQUENTIAL)}")
    k = int(k)
    if not 1 <= k <= MAX_CLASSES:
        raise ValueError(f"number of classes must be 1–{MAX_CLASSES}, got {k!r}")
    if k < MIN_CLASSES:
        three = class_colors(palette, MIN_CLASSES)
        return (three[1],) if k == 1 else (three[0], three[2])
    return SEQUENTIAL[palette][k + 1][1:]


#: Villages without a value (e.g. no area or no households).
NO_DATA = "#d9d9d9"
#: Villages outside the 老区/key filter of the overview.
FILTERED_OUT = "#f2f2f2"
#: A coded value that is not in its vocabulary.
UNKNOWN = "#666666"


def tint(color: str, amount: float) -> str:
    """``color`` mixed with white (``amount`` 0 → the colour, 1 → white); for fills under a coloured outline."""
    c = color.lstrip("#")
    rgb = [int(c[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(v + (255 - v) * amount):02x}" for v in rgb)


def dash_pattern(dash: str) -> tuple[float, ...]:
    """A Leaflet ``dashArray`` ("7 4", "7,4") as numbers (empty for a solid line)."""
    return tuple(float(x) for x in dash.replace(",", " ").split())


def _frozen(style: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(style)


#: Choropleth fill opacity on the web maps (the briefing's paper map is opaque).
CHOROPLETH_OPACITY = 0.85
#: Borders between villages of a choropleth, and of villages faded outside the chosen town.
VILLAGE_EDGE: Mapping[str, Any] = _frozen({"color": "#ffffff", "weight": 0.7})
VILLAGE_EDGE_FADED: Mapping[str, Any] = _frozen({"color": "#bdbdbd", "weight": 0.7})
#: The border of a unit of a map of the level below (cities, counties, towns: bangfu.maps.units).
UNIT_EDGE: Mapping[str, Any] = _frozen({"color": "#3b3b3b", "weight": 1.2})
#: Hover highlight of a village or a line.
HIGHLIGHT: Mapping[str, Any] = _frozen({"weight": 3, "color": "#000000", "fillOpacity": 0.9})
#: What is found or picked (search box, table row, click): a thick cyan outline (a circle around a point).
FOCUS: Mapping[str, Any] = _frozen({"color": "#00bcd4", "weight": 5, "opacity": 1.0, "fill": False, "radius": 11.0})
#: Plain village polygons under roads (road page).
VILLAGE_BACKGROUND: Mapping[str, Any] = _frozen({"fillColor": "#f7f4ea", "color": "#8c8c8c", "weight": 0.8,
                                                 "fillOpacity": 0.55})

#: Administrative borders: near-black and solid (no coded value is drawn black).
TOWN_BORDER: Mapping[str, Any] = _frozen({"fill": False, "color": "#3b3b3b", "weight": 1.6, "opacity": 0.9})
SELECTED_TOWN_BORDER: Mapping[str, Any] = _frozen({"fill": False, "color": "#111111", "weight": 3.5, "opacity": 1.0})
COUNTY_BORDER: Mapping[str, Any] = _frozen({"fill": False, "color": "#111111", "weight": 3.0, "opacity": 1.0})

#: Enterprises: dark-blue circle markers with a white rim (radius: ordinary, leading enterprise).
ENTERPRISE: Mapping[str, Any] = _frozen({"fillColor": "#08306b", "color": "#ffffff", "weight": 1.2,
                                         "fillOpacity": 0.9, "radius": 5.0, "radius_leading": 8.0})
#: Tourism sites: circle markers filled with the site type's colour, white rim.
SITE_MARKER: Mapping[str, Any] = _frozen({"color": "#ffffff", "weight": 1.5, "fillOpacity": 0.95, "radius": 6.0})
#: Enterprise → village lines (colour, dash and width: the pairing type's); pairings not active on the date: grey dashed.
PAIRING_LINE: Mapping[str, Any] = _frozen({"opacity": 0.85})
INACTIVE_LINE: Mapping[str, Any] = _frozen({"color": "#999999", "dashArray": "6 6", "weight": 2.0, "opacity": 0.85})
#: Tourism reach circles (dashed, nearly transparent).
REACH_CIRCLE: Mapping[str, Any] = _frozen({"color": "#2c7fb8", "weight": 1, "dashArray": "4 4", "fillOpacity": 0.04})
#: Planning: catchments of chosen projects, and the projects themselves (also the briefing's project marks).
CATCHMENT: Mapping[str, Any] = _frozen({"fillColor": "#2171b5", "color": "#08519c", "weight": 1, "fillOpacity": 0.18})
SELECTED_PROJECT: Mapping[str, Any] = _frozen({"color": "#1d3557", "weight": 4, "radius": 5.0})
