"""The one legend renderer of the folium maps: a :class:`bangfu.core.legend.Legend` as escaped HTML in a Leaflet control.

Every map (overview, tourism, pairings, roads, planning) adds its legends with :func:`add_legend`; the
HTML comes from :func:`legend_html` only, so a legend looks the same and says the same on every map.
Every label and style value is escaped; swatches are inline CSS boxes and small inline SVG lines
(dashes drawn exactly as on the map); nothing is loaded from anywhere. Styling: the ``.bangfu-legend``
rules of :data:`bangfu.maps.offline.BANGFU_CSS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import folium
from branca.element import MacroElement
from jinja2 import Template

from bangfu.core.legend import Legend, LegendItem
from bangfu.maps.base import esc, js_json

__all__ = ["POSITIONS", "item_html", "legend_html", "LayerLink", "LegendControl", "add_legend"]

#: Leaflet control corners.
POSITIONS: tuple[str, ...] = ("bottomright", "bottomleft", "topright", "topleft")


def _num(v: float) -> str:
    return f"{float(v):g}"


def _svg(body: str, width: int = 22, height: int = 12) -> str:
    return f'<svg class="sw-svg" width="{width}" height="{height}">{body}</svg>'


def _stroke(item: LegendItem, cap: float) -> str:
    dash = f' stroke-dasharray="{esc(item.dash)}"' if item.dash else ""
    return f'stroke="{esc(item.color)}" stroke-width="{_num(min(max(item.weight, 1.0), cap))}"{dash}'


def item_html(item: LegendItem) -> str:
    """One legend row as HTML: the swatch of its kind and the escaped label."""
    label = esc(item.label)
    if item.kind == "note":
        return f'<div class="lg-note">{label}</div>'
    if item.kind == "line":
        swatch = _svg(f'<line x1="1" y1="6" x2="21" y2="6" {_stroke(item, 4)}/>')
    elif item.kind == "outline":
        swatch = _svg(f'<rect x="2" y="2" width="14" height="8" fill="none" {_stroke(item, 3)}/>', 18)
    elif item.kind == "dot":
        rim = f' stroke="{esc(item.edge)}" stroke-width="1"' if item.edge else ""
        swatch = _svg(f'<circle cx="7" cy="6" r="5" fill="{esc(item.color)}"{rim}/>', 14)
    elif item.kind == "fill":
        rim = (f";border:{_num(min(max(item.weight, 1.0), 3))}px solid {esc(item.edge)}" if item.edge else "")
        swatch = f'<span class="sw" style="background:{esc(item.color)}{rim}"></span>'
    else:
        raise ValueError(f"unknown legend item kind {item.kind!r}")
    return f"<div>{swatch}{label}</div>"


def legend_html(legends: Legend | Sequence[Legend], layers: Sequence[LayerLink | None] = ()) -> str:
    """One legend box's HTML: each legend's title and rows, in order (all text escaped).

    ``layers[i]`` ties legend ``i`` to a map layer (its layer-control name, and whether it is shown at start):
    the legend is a group that is shown only while that layer is on (the layer control toggles it)."""
    parts = []
    for i, lg in enumerate([legends] if isinstance(legends, Legend) else legends):
        link = layers[i] if i < len(layers) else None
        rows = f'<div class="lg-title">{esc(lg.title)}</div>' + "".join(item_html(it) for it in lg.items)
        if link is None:
            parts.append(rows)
        else:
            hidden = "" if link.shown else ' style="display:none"'
            parts.append(f'<div class="lg-group" data-layer="{esc(link.name)}"{hidden}>{rows}</div>')
    return "".join(parts)


@dataclass(frozen=True)
class LayerLink:
    """The map layer a legend explains: its name in the layer control and whether it is on at start."""

    name: str
    shown: bool = True


class LegendControl(MacroElement):
    """A Leaflet control (CSS class ``bangfu-legend``) holding the pre-escaped HTML of one legend box."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html_json }};
                var groups = Array.prototype.slice.call(div.querySelectorAll(".lg-group"));
                function sync() {
                    var open = div.children.length > groups.length || groups.some(function (g) {
                        return g.style.display !== "none"; });
                    div.style.display = open ? "" : "none";
                }
                if (groups.length) {
                    map.on("overlayadd overlayremove", function (e) {
                        groups.forEach(function (g) {
                            if (g.getAttribute("data-layer") === e.name) {
                                g.style.display = e.type === "overlayadd" ? "" : "none";
                            }
                        });
                        sync();
                    });
                }
                sync();
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
        })();
        {% endmacro %}"""
    )

    def __init__(self, legends: Legend | Sequence[Legend], position: str = "bottomright", *,
                 small: bool = False, layers: Sequence[LayerLink | None] = ()) -> None:
        super().__init__()
        if position not in POSITIONS:
            raise ValueError(f"position must be one of {', '.join(POSITIONS)}, not {position!r}")
        self._name = "BangfuLegend"
        self.legends = [legends] if isinstance(legends, Legend) else list(legends)
        self.layers = list(layers)
        self.html = legend_html(self.legends, self.layers)
        self.html_json = js_json(self.html)
        self.position = position
        self.css_class = "bangfu-legend small" if small else "bangfu-legend"


def add_legend(m: folium.Map, legends: Legend | Sequence[Legend], position: str = "bottomright", *,
               small: bool = False, layers: Sequence[LayerLink | None] = ()) -> LegendControl | None:
    """Add one legend box (one or more legends, stacked) to a corner of ``m``; nothing when all are empty.

    ``small`` uses smaller text (secondary legends); ``layers[i]`` ties legend ``i`` to the map layer it
    explains (shown only while that layer is on, :func:`legend_html`). The attribution prefix and the scale bar are every map's
    (:class:`bangfu.maps.base.MapChrome`)."""
    pairs = [(legends, None)] if isinstance(legends, Legend) else \
        [(lg, layers[i] if i < len(layers) else None) for i, lg in enumerate(legends) if lg.items]
    if not pairs:
        return None
    control = LegendControl([lg for lg, _ in pairs], position, small=small, layers=[link for _, link in pairs])
    m.add_child(control)
    return control
