"""The overview map: village choropleth, 老区/key outlines, boundaries, roads, tourism, enterprises, pairings.

Two pure steps, no Streamlit:

1. :func:`prepare_overview` turns layers into an :class:`OverviewMapData` of plain, escaped,
   simplified GeoJSON dicts plus styles and legend rows (cacheable: picklable, no folium objects);
2. :func:`build_overview_map` turns that into a folium map that loads nothing from the internet.

Payload: village polygons are coverage-simplified and rounded (see :func:`bangfu.maps.display_frame`),
only the tooltip's properties are sent (short keys), and styles are shared between features
(folium maps each distinct style to the list of feature ids using it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template
from matplotlib import colormaps
from matplotlib.colors import to_hex

from . import indicators as ind
from .labels import t
from .maps import Basemap, esc, map_html, offline_map

__all__ = [
    "MapOptions", "LegendRow", "OverviewMapData", "class_colors", "prepare_overview", "build_overview_map",
    "embedded_geojson", "ROAD_STYLES", "VILLAGE_PROPS", "NO_DATA_COLOR",
]

NO_DATA_COLOR = "#d9d9d9"
FILTERED_OUT_COLOR = "#f2f2f2"
OLD_STYLE = {"fill": False, "color": "#1d3fbf", "weight": 3.2, "opacity": 0.95}
KEY_STYLE = {"fill": False, "color": "#00a087", "weight": 2.4, "opacity": 1.0, "dashArray": "6 4"}
TOWN_STYLE = {"fill": False, "color": "#3b3b3b", "weight": 1.6, "opacity": 0.9}
SELECTED_TOWN_STYLE = {"fill": False, "color": "#111111", "weight": 3.5, "opacity": 1.0}
COUNTY_STYLE = {"fill": False, "color": "#111111", "weight": 3.0, "opacity": 1.0}
PAIRING_STYLE = {"color": "#6a3d9a", "weight": 1.4, "opacity": 0.75, "dashArray": "4 3"}

#: Road hardening status → line style (key of the schema's ROAD_STATUSES).
ROAD_STYLES: dict[str, dict[str, Any]] = {
    "completed": {"color": "#1a1a1a", "weight": 2.2, "opacity": 0.9},
    "under_construction": {"color": "#2166ac", "weight": 2.6, "opacity": 0.95, "dashArray": "7 4"},
    "planned": {"color": "#7b3294", "weight": 2.2, "opacity": 0.9, "dashArray": "2 4"},
    "unhardened": {"color": "#8c510a", "weight": 1.8, "opacity": 0.9, "dashArray": "8 3 2 3"},
}
#: Tourism site type → marker colour (categorical, readable on the sequential fills).
SITE_COLORS: Sequence[str] = ("#1f78b4", "#33a02c", "#6a3d9a", "#e31a1c", "#17becf", "#b15928", "#ff7f00")
ENTERPRISE_COLOR = "#08306b"

#: Village property key → (what it holds, label key). Short keys keep the payload small.
VILLAGE_PROPS: dict[str, tuple[str, str]] = {
    "c": ("village_code", "overview.tt.code"),
    "n": ("village_name", "overview.tt.name"),
    "t": ("town_name", "overview.tt.town"),
    "h": ("households", "overview.tt.households"),
    "p": ("poor_households", "overview.tt.poor_households"),
    "q": ("poor_population", "overview.tt.poor_population"),
    "i": ("incidence_pct", "overview.tt.incidence"),
    "d": ("poverty_density", "overview.tt.density"),
    "f": ("flags", "overview.tt.flags"),
    "a": ("active_pairings", "overview.tt.pairings"),
    "r": ("hardening_pct", "overview.tt.hardening"),
}
_TOOLTIP_ORDER = ("n", "c", "t", "h", "p", "q", "i", "d", "f", "a", "r")


@dataclass(frozen=True)
class MapOptions:
    """What the user chose: indicator, classification, 老区/key filter, town, language."""

    indicator: str = "poverty_density"
    method: str = "fisher_jenks"
    k: int = 5
    flag_filter: str = "all"
    town_code: str | None = None
    lang: str = "zh"
    simplify_deg: float = 0.0002  # ≈ 20 m; village borders stay shared (coverage simplification)
    precision: int = 5  # 1e-5° ≈ 1 m


@dataclass(frozen=True)
class LegendRow:
    """One legend row: a fill swatch, a line sample or a dot."""

    kind: str  # "fill" | "line" | "dot"
    label: str  # plain text (escaped when rendered)
    style: Mapping[str, Any]


@dataclass
class OverviewMapData:
    """Everything the map needs, as plain escaped data (picklable for ``st.cache_data``)."""

    villages: dict[str, Any]
    village_styles: dict[str, dict[str, Any]]  # village code → style
    tooltip: list[tuple[str, str]]  # (property, label)
    bounds: tuple[float, float, float, float]
    legend_title: str
    legend: list[LegendRow]
    names: dict[str, str]  # layer key → display name
    old: dict[str, Any] | None = None
    key: dict[str, Any] | None = None
    towns: dict[str, Any] | None = None
    town_labels: list[tuple[float, float, str]] = field(default_factory=list)
    county: dict[str, Any] | None = None
    roads: dict[str, Any] | None = None
    sites: dict[str, Any] | None = None
    site_colors: dict[str, str] = field(default_factory=dict)
    enterprises: dict[str, Any] | None = None
    pairing_lines: dict[str, Any] | None = None
    selected_town: str | None = None


# --------------------------------------------------------------------------- helpers


def class_colors(palette: str, k: int) -> list[str]:
    """``k`` sequential colours from a ColorBrewer-style colormap, light to dark (no near-white)."""
    cmap = colormaps[palette]
    return [to_hex(cmap(x)) for x in np.linspace(0.15, 0.95, k)]


def _fmt_num(v: float, decimals: int) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:,.{decimals}f}"


def _fmt_pct(v: float) -> str | None:
    return None if v is None or not np.isfinite(v) else f"{v:.1f}%"


def _fc(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _nonempty(fc: dict[str, Any] | None) -> dict[str, Any] | None:
    """The collection, or None when it has no feature (folium cannot style or tooltip an empty one)."""
    return fc if fc and fc["features"] else None


def _round_geom(geoms: np.ndarray, precision: int) -> np.ndarray:
    return shapely.set_precision(geoms, 10.0**-precision, mode="valid_output")


def _features(geoms: Sequence[shapely.Geometry], props: Sequence[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """GeoJSON features (geometry via shapely's writer, compact, no ids)."""
    out = []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        out.append({"type": "Feature", "properties": props[i] if props else {}, "geometry": json.loads(shapely.to_geojson(g))})
    return out


def _plain(v: Any) -> Any:
    """JSON-ready scalar: numbers stay numbers, missing → None, text escaped."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else round(float(v), 1)
    return esc(v)


def _flags_text(old: bool, key: bool, lang: str) -> str:
    parts = [t("overview.flag.old", lang)] * bool(old) + [t("overview.flag.key", lang)] * bool(key)
    return "、".join(parts) if parts else "—"


# --------------------------------------------------------------------------- prepare


def _village_layer(table: gpd.GeoDataFrame, opts: MapOptions) -> tuple[np.ndarray, list[dict[str, Any]]]:
    geoms = np.asarray(table.geometry.values, dtype=object)
    if opts.simplify_deg > 0 and len(geoms):
        geoms = shapely.coverage_simplify(geoms, opts.simplify_deg)
    geoms = _round_geom(geoms, opts.precision)
    old = table["is_old_district"].fillna(False).astype(bool).to_numpy()
    key = table["is_key_village"].fillna(False).astype(bool).to_numpy()
    props = []
    for j, row in enumerate(table.itertuples(index=False)):
        props.append({
            "c": esc(row.village_code),
            "n": esc(row.village_name),
            "t": esc(row.town_name),
            "h": _plain(row.households),
            "p": _plain(row.poor_households),
            "q": _plain(row.poor_population),
            "i": _fmt_pct(row.incidence_pct),
            "d": _plain(row.poverty_density),
            "f": esc(_flags_text(old[j], key[j], opts.lang)),
            "a": _plain(row.active_pairings),
            "r": _fmt_pct(row.hardening_pct),
        })
    return geoms, props


def _legend_rows(classes: ind.Classes, colors: list[str], spec: ind.ChoroplethIndicator, *, has_missing: bool,
                 filtered: bool, lang: str) -> list[LegendRow]:
    rows = [
        LegendRow("fill", f"{_fmt_num(lo, spec.decimals)} – {_fmt_num(hi, spec.decimals)}（{n}）",
                  {"fillColor": colors[i]})
        for i, ((lo, hi), n) in enumerate(zip(classes.intervals(), classes.counts))
    ]
    if has_missing:
        rows.append(LegendRow("fill", t("overview.legend.no_data", lang), {"fillColor": NO_DATA_COLOR}))
    if filtered:
        rows.append(LegendRow("fill", t("overview.legend.filtered_out", lang), {"fillColor": FILTERED_OUT_COLOR}))
    rows.append(LegendRow("line", t("overview.flag.old", lang), OLD_STYLE))
    rows.append(LegendRow("line", t("overview.flag.key", lang), KEY_STYLE))
    return rows


def _boundaries(geoms: np.ndarray, groups: np.ndarray, names: np.ndarray, precision: int
                ) -> tuple[dict[str, Any], list[tuple[float, float, str]], dict[str, Any], dict[str, shapely.Geometry]]:
    grid = 10.0**-precision
    towns: dict[str, shapely.Geometry] = {}
    labels: list[tuple[float, float, str]] = []
    feats_geoms, feats_props = [], []
    for code in pd.unique(groups):
        sel = groups == code
        g = shapely.union_all(geoms[sel], grid_size=grid)
        towns[str(code)] = g
        feats_geoms.append(g)
        feats_props.append({"c": esc(code)})
        p = g.representative_point() if not g.is_empty else None
        if p is not None:
            labels.append((round(p.y, 5), round(p.x, 5), esc(names[sel][0])))
    county = shapely.union_all(np.asarray(list(towns.values()), dtype=object), grid_size=grid)
    return _fc(_features(feats_geoms, feats_props)), labels, _fc(_features([county])), towns


def _roads_layer(roads: gpd.GeoDataFrame, codes: set[str], opts: MapOptions) -> dict[str, Any] | None:
    if roads is None or len(roads) == 0:
        return None
    r = roads[roads["village_code"].astype(str).isin(codes)]
    if r.empty:
        return None
    geoms = shapely.simplify(np.asarray(r.geometry.values, dtype=object), opts.simplify_deg / 2, preserve_topology=False)
    geoms = _round_geom(geoms, opts.precision)
    props = [
        {"n": esc(n), "g": esc(g), "s": esc(t(f"overview.road_status.{s}", opts.lang) if s in ROAD_STYLES else s), "k": esc(s)}
        for n, g, s in zip(r["name"], r["road_class"], r["status"].astype(str))
    ]
    # Draw hardened roads first so pending work stays visible on top.
    order = sorted(range(len(props)), key=lambda i: list(ROAD_STYLES).index(props[i]["k"]) if props[i]["k"] in ROAD_STYLES else 9)
    return _fc(_features([geoms[i] for i in order], [props[i] for i in order]))


def _points(frame: gpd.GeoDataFrame, props: list[dict[str, Any]], precision: int) -> dict[str, Any]:
    geoms = _round_geom(np.asarray(frame.geometry.values, dtype=object), precision)
    return _fc(_features(geoms, props))


def prepare_overview(
    table: gpd.GeoDataFrame,
    *,
    options: MapOptions,
    roads: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    enterprises: gpd.GeoDataFrame | None = None,
    active_pairings: pd.DataFrame | None = None,
) -> OverviewMapData:
    """All map data for :func:`build_overview_map`; ``table`` is :func:`bangfu.indicators.overview_villages`.

    Classes are computed over the whole county, so a town's colours compare with the county's.
    With a town chosen, the map is fitted to it, other towns are faded and the overlays are
    limited to the town's villages.
    """
    lang = options.lang
    spec = ind.choropleth_indicator(options.indicator)
    table = table.reset_index(drop=True)
    if table.crs is not None and not table.crs.equals("EPSG:4326"):
        table = table.to_crs("EPSG:4326")
    values = pd.to_numeric(table[spec.column], errors="coerce").astype("float64")
    classes = ind.classify(values, method=options.method, k=options.k)
    colors = class_colors(spec.palette, max(classes.k, 1))
    passes = ind.flag_mask(table, options.flag_filter).to_numpy()
    town = options.town_code
    in_town = (table["town_code"] == town).to_numpy() if town else np.ones(len(table), dtype=bool)

    geoms, props = _village_layer(table, options)
    styles: dict[str, dict[str, Any]] = {}
    for j, p in enumerate(props):
        cls = int(classes.index[j])
        fill = FILTERED_OUT_COLOR if not passes[j] else (colors[cls] if cls >= 0 else NO_DATA_COLOR)
        styles[p["c"]] = {
            "fillColor": fill,
            "color": "#ffffff" if in_town[j] else "#bdbdbd",
            "weight": 0.7,
            "fillOpacity": (0.85 if passes[j] else 0.6) if in_town[j] else 0.25,
        }
    villages = _fc(_features(geoms, props))

    old = table["is_old_district"].fillna(False).astype(bool).to_numpy() & passes & in_town
    key = table["is_key_village"].fillna(False).astype(bool).to_numpy() & passes & in_town
    towns_fc, town_labels, county_fc, town_geoms = _boundaries(
        geoms, table["town_code"].astype(str).to_numpy(), table["town_name"].astype(str).to_numpy(), options.precision)

    sel = table[in_town]
    codes = set(sel["village_code"].astype(str))
    bounds = tuple(float(v) for v in (town_geoms[town].bounds if town and town in town_geoms else shapely.total_bounds(geoms)))

    sites_fc, site_colors = None, {}
    if sites is not None and len(sites):
        s = sites[sites["village_code"].astype(str).isin(codes)]
        types = sorted(set(sites["site_type"].astype(str)))
        site_colors = {esc(ty): SITE_COLORS[i % len(SITE_COLORS)] for i, ty in enumerate(types)}
        if len(s):
            a_level = [f"{int(a)}A" if a is not None and a is not pd.NA and pd.notna(a) and int(a) > 0 else "—" for a in s["a_level"]]
            sites_fc = _points(s, [{"n": esc(n), "y": esc(ty), "l": lv} for n, ty, lv in zip(s["name"], s["site_type"], a_level)],
                               options.precision)

    ent_fc, lines_fc = None, None
    if enterprises is not None and len(enterprises):
        ent = enterprises
        pair = active_pairings if active_pairings is not None else pd.DataFrame(columns=["enterprise_id", "village_code"])
        pair = pair[pair["village_code"].astype(str).isin(codes)]
        if town:
            inside = shapely.contains_xy(town_geoms.get(town, shapely.Polygon()), ent.geometry.x, ent.geometry.y) \
                if len(ent) else np.zeros(0, bool)
            ent = ent[inside | ent["enterprise_id"].isin(set(pair["enterprise_id"]))]
        if len(ent):
            ent_fc = _points(ent, [
                {"n": esc(n), "y": esc(i), "l": t("overview.leading", lang) if bool(le) else "—"}
                for n, i, le in zip(ent["name"], ent["industry"], ent["is_leading"].fillna(False))
            ], options.precision)
        if len(pair):
            epos = {str(e): g for e, g in zip(enterprises["enterprise_id"], enterprises.geometry)}
            vpos = dict(zip(table["village_code"].astype(str), shapely.point_on_surface(geoms)))
            vname = dict(zip(table["village_code"].astype(str), table["village_name"]))
            ename = dict(zip(enterprises["enterprise_id"].astype(str), enterprises["name"]))
            lg, lp = [], []
            for e, v, ty in zip(pair["enterprise_id"].astype(str), pair["village_code"].astype(str), pair["pairing_type"]):
                if e in epos and v in vpos and epos[e] is not None:
                    lg.append(shapely.LineString([epos[e], vpos[v]]))
                    lp.append({"e": esc(ename.get(e, e)), "v": esc(vname.get(v, v)), "y": esc(ty)})
            if lg:
                lines_fc = _fc(_features(_round_geom(np.asarray(lg, dtype=object), options.precision), lp))

    names = {k: t(f"overview.layer.{k}", lang) for k in
             ("choropleth", "old", "key", "towns", "county", "roads", "tourism", "enterprises", "pairings")}
    names["choropleth"] = t(spec.label, lang)
    method = next(m for m in ind.CLASS_METHODS if m.key == options.method)
    return OverviewMapData(
        villages=villages,
        village_styles=styles,
        tooltip=[(k, t(VILLAGE_PROPS[k][1], lang)) for k in _TOOLTIP_ORDER],
        bounds=bounds,  # type: ignore[arg-type]
        legend_title=f"{t(spec.label, lang)}（{t(spec.unit, lang)}）",
        legend=_legend_rows(classes, colors, spec, has_missing=bool((classes.index < 0).any()),
                            filtered=not passes.all(), lang=lang)
        + [LegendRow("note", t(method.label, lang), {})],
        names=names,
        old=_fc(_features(geoms[old])) if old.any() else None,
        key=_fc(_features(geoms[key])) if key.any() else None,
        towns=_nonempty(towns_fc),
        town_labels=town_labels,
        county=_nonempty(county_fc),
        roads=_nonempty(_roads_layer(roads, codes, options) if roads is not None else None),
        sites=_nonempty(sites_fc),
        site_colors=site_colors,
        enterprises=_nonempty(ent_fc),
        pairing_lines=_nonempty(lines_fc),
        selected_town=esc(town) if town else None,
    )


# --------------------------------------------------------------------------- build


class _Legend(MacroElement):
    """A Leaflet control in the bottom-right corner holding pre-escaped legend HTML."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "bangfu-legend");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
            {%- if this.plain_prefix %}
            {{ this._parent.get_name() }}.attributionControl.setPrefix("Leaflet");
            {%- endif %}
        })();
        {% endmacro %}"""
    )

    def __init__(self, html: str, position: str = "bottomright", *, plain_prefix: bool = False) -> None:
        super().__init__()
        self._name = "BangfuLegend"
        self.html = html
        self.position = position
        self.plain_prefix = plain_prefix  # attribution prefix as plain text (no flag image, no link)


def _css(style: Mapping[str, Any]) -> str:
    return ";".join(f"{k}:{v}" for k, v in style.items())


def legend_html(data: OverviewMapData) -> str:
    """The choropleth legend as HTML; every text is escaped, colours come from our own tables."""
    parts = [f'<div style="font-weight:600;font-size:13px;margin-bottom:4px">{esc(data.legend_title)}</div>']
    for row in data.legend:
        if row.kind == "fill":
            parts.append(f'<div><span class="sw" style="background:{row.style["fillColor"]}"></span>{esc(row.label)}</div>')
        elif row.kind == "line":
            dash = " dashed" if row.style.get("dashArray") else " solid"
            parts.append(
                f'<div><span class="sw" style="background:transparent;border:{max(2, round(row.style["weight"]))}px'
                f'{dash} {row.style["color"]}"></span>{esc(row.label)}</div>'
            )
        elif row.kind == "note":
            parts.append(f'<div style="color:#555;margin-top:3px;font-size:11px">{esc(row.label)}</div>')
    return "".join(parts)


def overlay_legend_html(data: OverviewMapData, road_rows: Sequence[LegendRow]) -> str:
    """The small legend of the overlays (road status lines, tourism site types)."""
    parts = []
    if road_rows:
        parts.append(f'<div style="font-weight:600">{esc(data.names["roads"])}</div>')
        for row in road_rows:
            dash = "dashed" if row.style.get("dashArray") else "solid"
            parts.append(f'<div><span class="sw" style="background:transparent;border:none;border-top:3px {dash} '
                         f'{row.style["color"]};height:0;vertical-align:middle"></span>{esc(row.label)}</div>')
    if data.sites and data.site_colors:
        parts.append(f'<div style="font-weight:600;margin-top:4px">{esc(data.names["tourism"])}</div>')
        parts.extend(  # type names are escaped in prepare_overview
            f'<div><span class="sw" style="background:{c};border-radius:50%;width:10px"></span>{ty}</div>'
            for ty, c in data.site_colors.items()
        )
    return f'<div style="font-size:11px">{"".join(parts)}</div>' if parts else ""


def _outline_layer(fc: dict[str, Any] | None, style: Mapping[str, Any], name: str, m: folium.Map, *, show: bool = True) -> None:
    if not fc or not fc["features"]:
        return
    st = dict(style)
    folium.GeoJson(fc, name=esc(name), style_function=lambda _f: st, interactive=False, show=show).add_to(m)


def build_overview_map(
    data: OverviewMapData,
    *,
    basemap: Basemap = "none",
    tianditu_token: str = "",
    lang: str = "zh",
) -> folium.Map:
    """The folium map of :func:`prepare_overview` data (village layer first, overlays in a layer control)."""
    m = offline_map(data.bounds, basemap=basemap, tianditu_token=tianditu_token)
    styles = data.village_styles
    folium.GeoJson(
        data.villages,
        name=esc(data.names["choropleth"]),
        style_function=lambda f: styles[f["properties"]["c"]],
        highlight_function=lambda _f: {"weight": 3, "color": "#000000", "fillOpacity": 0.9},
        tooltip=folium.GeoJsonTooltip(
            fields=[k for k, _ in data.tooltip], aliases=[esc(label) for _, label in data.tooltip],
            sticky=True, localize=True, labels=True,
            style="font-size:13px;font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif",
        ),
        smooth_factor=0.5,
    ).add_to(m)

    _outline_layer(data.towns, TOWN_STYLE, data.names["towns"], m)
    if data.town_labels:
        fg = folium.FeatureGroup(name=esc(t("overview.layer.town_labels", lang)), show=True)
        for lat, lon, name in data.town_labels:
            folium.Marker(
                [lat, lon],
                icon=folium.DivIcon(
                    html=f'<div class="bangfu-town-label" style="transform:translate(-50%,-50%);white-space:nowrap;'
                    f'font:600 13px \'Noto Sans CJK SC\',\'Microsoft YaHei\',sans-serif;color:#222;'
                    f'text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff">{esc(name)}</div>',
                    icon_size=(0, 0), class_name="bangfu-town-label-icon",
                ),
                interactive=False,
            ).add_to(fg)
        fg.add_to(m)
    _outline_layer(data.county, COUNTY_STYLE, data.names["county"], m)
    if data.selected_town and data.towns:
        sel = _fc([f for f in data.towns["features"] if f["properties"].get("c") == data.selected_town])
        _outline_layer(sel, SELECTED_TOWN_STYLE, t("overview.layer.selected_town", lang), m)

    road_rows: list[LegendRow] = []
    if data.roads:
        rs = {k: dict(v) for k, v in ROAD_STYLES.items()}
        folium.GeoJson(
            data.roads, name=esc(data.names["roads"]),
            style_function=lambda f: rs.get(f["properties"]["k"], rs["completed"]),
            tooltip=folium.GeoJsonTooltip(["n", "g", "s"], aliases=[esc(t(k, lang)) for k in
                                          ("overview.tt.road", "overview.tt.road_class", "overview.tt.road_status")]),
            show=False,
        ).add_to(m)
        road_rows = [LegendRow("line", t(f"overview.road_status.{k}", lang), v) for k, v in ROAD_STYLES.items()]
    _outline_layer(data.old, OLD_STYLE, data.names["old"], m)
    _outline_layer(data.key, KEY_STYLE, data.names["key"], m)
    if data.pairing_lines:
        ps = dict(PAIRING_STYLE)
        folium.GeoJson(
            data.pairing_lines, name=esc(data.names["pairings"]), style_function=lambda _f: ps,
            tooltip=folium.GeoJsonTooltip(["e", "v", "y"], aliases=[esc(t(k, lang)) for k in
                                          ("overview.tt.enterprise", "overview.tt.name", "overview.tt.pairing_type")]),
            show=False,
        ).add_to(m)
    if data.sites:
        sc = dict(data.site_colors)
        folium.GeoJson(
            data.sites, name=esc(data.names["tourism"]),
            marker=folium.CircleMarker(radius=6, fill=True),
            style_function=lambda f: {"fillColor": sc.get(f["properties"]["y"], "#1f78b4"), "color": "#ffffff",
                                      "weight": 1.5, "fillOpacity": 0.95},
            tooltip=folium.GeoJsonTooltip(["n", "y", "l"], aliases=[esc(t(k, lang)) for k in
                                          ("overview.tt.site", "overview.tt.site_type", "overview.tt.a_level")]),
            show=True,
        ).add_to(m)
    if data.enterprises:
        folium.GeoJson(
            data.enterprises, name=esc(data.names["enterprises"]),
            marker=folium.CircleMarker(radius=5, fill=True),
            style_function=lambda _f: {"fillColor": ENTERPRISE_COLOR, "color": "#ffffff", "weight": 1.2, "fillOpacity": 0.9},
            tooltip=folium.GeoJsonTooltip(["n", "y", "l"], aliases=[esc(t(k, lang)) for k in
                                          ("overview.tt.enterprise", "overview.tt.industry", "overview.tt.leading")]),
            show=False,
        ).add_to(m)
    m.add_child(_Legend(legend_html(data), plain_prefix=True))
    overlay = overlay_legend_html(data, road_rows)
    if overlay:
        m.add_child(_Legend(overlay, "bottomleft"))
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return m


def embedded_geojson(m: folium.Map) -> list[dict[str, Any]]:
    """The GeoJSON dicts a rendered map embeds (for tests and payload measurements)."""
    return [child.data for child in m._children.values() if isinstance(child, folium.GeoJson)]


def payload_bytes(m: folium.Map) -> int:
    """Bytes of the map's standalone HTML (what the browser receives)."""
    return len(map_html(m).encode("utf-8"))
