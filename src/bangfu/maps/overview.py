"""The overview map: village choropleth, 老区/key outlines, boundaries, roads, tourism, enterprises, pairings.

Three pure steps, no Streamlit:

1. :func:`prepare_geometry` — the option-independent part (coverage-safe simplification, rounding,
   towns and county dissolved from the villages, roads simplified); cache it per workspace version;
2. :func:`prepare_overview` — classes, styles, escaped tooltip properties and legend rows as an
   :class:`OverviewMapData` (plain picklable data, no folium objects);
3. :func:`build_overview_map` — a folium map that loads nothing from the internet.

Payload: only the tooltip's properties are sent (short keys), each layer sends its styles once
(features carry an index), JSON is minified (:class:`CompactGeoJson`).
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

from bangfu import indicators as ind
from bangfu.maps.themes import SITE_COLOURS
from bangfu.core.labels import t
from bangfu.maps.base import Basemap, esc, map_html, offline_map
from bangfu.workspace import areas

__all__ = [
    "MapOptions", "LegendRow", "LayerSpec", "OverviewMapData", "CompactGeoJson", "class_colors", "prepare_overview",
    "build_overview_map", "legend_html", "overlay_legend_html", "embedded_geojson", "payload_bytes",
    "ROAD_STYLES", "VILLAGE_PROPS", "NO_DATA_COLOR", "FILTERED_OUT_COLOR",
]

NO_DATA_COLOR = "#d9d9d9"
FILTERED_OUT_COLOR = "#f2f2f2"
OLD_STYLE = {"fill": False, "color": "#1d3fbf", "weight": 3.2, "opacity": 0.95}
KEY_STYLE = {"fill": False, "color": "#00a087", "weight": 2.2, "opacity": 1.0, "dashArray": "7 6"}
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
ENTERPRISE_STYLE = {"fillColor": ENTERPRISE_COLOR, "color": "#ffffff", "weight": 1.2, "fillOpacity": 0.9}

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
class LayerSpec:
    """One map layer as plain data: features, a shared style table and what the tooltip shows.

    Each feature's ``properties["s"]`` indexes ``styles`` (styles are sent once, not per feature).
    """

    key: str
    name: str
    data: dict[str, Any]
    styles: list[dict[str, Any]]
    tooltip: list[tuple[str, str]] = field(default_factory=list)  # (property, escaped label)
    interactive: bool = True
    show: bool = True
    radius: float | None = None  # points drawn as circle markers of this radius
    highlight: dict[str, Any] | None = None

    @property
    def n_features(self) -> int:
        return len(self.data["features"])


@dataclass
class OverviewMapData:
    """Everything the map needs, as plain escaped data (picklable for ``st.cache_data``)."""

    layers: list[LayerSpec]
    bounds: tuple[float, float, float, float]
    legend_title: str
    legend: list[LegendRow]
    overlay_legend: list[tuple[str, list[LegendRow]]] = field(default_factory=list)
    town_labels: list[tuple[float, float, str]] = field(default_factory=list)
    town_labels_name: str = ""

    def layer(self, key: str) -> LayerSpec | None:
        """The layer called ``key`` (villages, old, key, towns, county, selected_town, roads, tourism,
        enterprises, pairings), or None when it has no feature."""
        return next((lyr for lyr in self.layers if lyr.key == key), None)

    @property
    def villages(self) -> dict[str, Any]:
        lyr = self.layer("villages")
        return lyr.data if lyr else _fc([])

    @property
    def village_styles(self) -> dict[str, dict[str, Any]]:
        """Village code → its style (for tests and inspection)."""
        lyr = self.layer("villages")
        if lyr is None:
            return {}
        return {f["properties"]["c"]: lyr.styles[f["properties"]["s"]] for f in lyr.data["features"]}


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


def _round_geom(geoms: np.ndarray, precision: int) -> np.ndarray:
    return shapely.set_precision(geoms, 10.0**-precision, mode="valid_output")


_GEOJSON_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon", "MULTIPOINT": "MultiPoint",
                  "MULTILINESTRING": "MultiLineString", "MULTIPOLYGON": "MultiPolygon"}


def _geometries(geoms: Sequence[shapely.Geometry], precision: int) -> list[dict[str, Any]]:
    """GeoJSON geometry dicts of non-empty geometries of one family, coordinates rounded to ``precision``.

    Built from shapely's ragged arrays (no per-feature JSON text round trip), so coordinates are
    short Python floats that serialise compactly.
    """
    if not len(geoms):
        return []
    kind, coords, offsets = shapely.to_ragged_array(np.asarray(geoms, dtype=object))
    xy = np.round(coords, precision)
    name = _GEOJSON_TYPES[kind.name]

    def span(level: int, i: int) -> range:
        o = offsets[level]
        return range(int(o[i]), int(o[i + 1]))

    def ring(i: int) -> list[Any]:
        return xy[int(offsets[0][i]):int(offsets[0][i + 1])].tolist()

    out: list[dict[str, Any]] = []
    n = len(geoms)
    for g in range(n):
        if name == "Point":
            c: Any = xy[g].tolist()
        elif name in ("LineString", "MultiPoint"):
            c = ring(g)
        elif name in ("Polygon", "MultiLineString"):
            c = [ring(r) for r in span(1, g)]
        else:  # MultiPolygon
            c = [[ring(r) for r in span(1, p)] for p in span(2, g)]
        out.append({"type": name, "coordinates": c})
    return out


def _features(geoms: Sequence[shapely.Geometry], props: Sequence[dict[str, Any]] | None = None,
              precision: int = 5) -> list[dict[str, Any]]:
    """GeoJSON features (no ids); empty or missing geometries are left out."""
    keep = [i for i, g in enumerate(geoms) if g is not None and not g.is_empty]
    shapes = _geometries([geoms[i] for i in keep], precision)
    return [{"type": "Feature", "properties": props[i] if props else {}, "geometry": shape} for i, shape in zip(keep, shapes)]


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


def _style_index(styles: list[dict[str, Any]], style: dict[str, Any]) -> int:
    """Index of ``style`` in the shared table, appended when new."""
    try:
        return styles.index(style)
    except ValueError:
        styles.append(style)
        return len(styles) - 1


def _village_props(table: gpd.GeoDataFrame, lang: str) -> list[dict[str, Any]]:
    old = table["is_old_district"].fillna(False).astype(bool).to_numpy()
    key = table["is_key_village"].fillna(False).astype(bool).to_numpy()
    return [
        {
            "c": esc(row.village_code),
            "n": esc(row.village_name),
            "t": esc(row.town_name),
            "h": _plain(row.households),
            "p": _plain(row.poor_households),
            "q": _plain(row.poor_population),
            "i": _fmt_pct(row.incidence_pct),
            "d": _plain(row.poverty_density),
            "f": esc(_flags_text(old[j], key[j], lang)),
            "a": _plain(row.active_pairings),
            "r": _fmt_pct(row.hardening_pct),
        }
        for j, row in enumerate(table.itertuples(index=False))
    ]


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


def _one(geom: shapely.Geometry | None) -> dict[str, Any]:
    """A collection with one property-less feature (outlines: one feature, one style)."""
    return _fc(_features([geom], [{"s": 0}])) if geom is not None and not geom.is_empty else _fc([])


def _multi(polys: np.ndarray) -> shapely.Geometry | None:
    """The villages as one MultiPolygon (each keeps its own outline; nothing is dissolved)."""
    return shapely.multipolygons(shapely.get_parts(polys)) if len(polys) else None


@dataclass
class _Boundaries:
    towns: dict[str, shapely.Geometry]
    inner: shapely.Geometry  # town borders inside the county, each edge once
    county: shapely.Geometry  # the county outline
    labels: list[tuple[float, float, str]]


def _boundaries(geoms: np.ndarray, groups: np.ndarray, names: np.ndarray) -> _Boundaries:
    """Towns and county dissolved from the (already simplified, coverage) village polygons."""
    towns: dict[str, shapely.Geometry] = {}
    labels: list[tuple[float, float, str]] = []
    for code in pd.unique(groups):
        sel = groups == code
        g = shapely.coverage_union_all(geoms[sel])
        if not g.is_valid:
            g = shapely.make_valid(g)
        towns[str(code)] = g
        if not g.is_empty:
            p = g.representative_point()
            labels.append((round(p.y, 5), round(p.x, 5), esc(names[sel][0])))
    parts = np.asarray(list(towns.values()), dtype=object)
    county = shapely.coverage_union_all(parts) if len(parts) else shapely.Polygon()
    outline = county.boundary
    edges = shapely.union_all(shapely.boundary(parts)) if len(parts) else shapely.LineString()
    inner = edges
    if not edges.is_empty:  # chains of the noded town edges whose middle is not on the county outline
        chains = shapely.get_parts(shapely.line_merge(edges))
        mids = shapely.line_interpolate_point(chains, 0.5, normalized=True)
        inner = shapely.multilinestrings(chains[~shapely.dwithin(mids, outline, 1e-9)])
    return _Boundaries(towns, inner, outline, labels)


def _roads(roads: gpd.GeoDataFrame | None, area: areas.Area, villages: gpd.GeoDataFrame,
           shapes: list[dict[str, Any] | None], lang: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    styles: list[dict[str, Any]] = []
    if roads is None or len(roads) == 0:
        return _fc([]), styles
    inside = areas.in_area(area, "roads", roads, villages=villages)  # roads with a piece in the area
    status = roads["status"].astype(str).to_numpy()
    rank = np.array([list(ROAD_STYLES).index(s) if s in ROAD_STYLES else len(ROAD_STYLES) for s in status])
    order = [i for i in np.argsort(rank, kind="stable") if inside[i]]  # hardened first, pending work on top
    names, classes = roads["name"].astype(object).tolist(), roads["road_class"].astype(object).tolist()
    kinds = sorted(set(status), key=lambda x: list(ROAD_STYLES).index(x) if x in ROAD_STYLES else 9)
    labels = {st: esc(t(f"overview.road_status.{st}", lang) if st in ROAD_STYLES else st) for st in kinds}
    idx = {st: _style_index(styles, dict(ROAD_STYLES.get(st, ROAD_STYLES["unhardened"]))) for st in kinds}
    props = [{"s": idx[status[i]], "n": esc(names[i]), "g": esc(classes[i]), "l": labels[status[i]]} for i in order]
    return _fc(_feats([shapes[i] for i in order], props)), styles


def _sites(sites: gpd.GeoDataFrame | None, area: areas.Area, villages: gpd.GeoDataFrame, precision: int
           ) -> tuple[dict[str, Any], list[dict[str, Any]], list[tuple[str, str]]]:
    if sites is None or len(sites) == 0:
        return _fc([]), [], []
    types = sorted(set(sites["site_type"].astype(str)))
    # The tourism page's colour per site type, so a type looks the same on every map.
    colors = {ty: SITE_COLOURS.get(ty, SITE_COLORS[i % len(SITE_COLORS)]) for i, ty in enumerate(types)}
    styles = [{"fillColor": colors[ty], "color": "#ffffff", "weight": 1.5, "fillOpacity": 0.95} for ty in types]
    s = areas.area_slice(area, "tourism_sites", sites, villages=villages)
    levels = [f"{int(a)}A" if pd.notna(a) and int(a) > 0 else "—" for a in s["a_level"]]
    props = [{"s": types.index(str(ty)), "n": esc(n), "y": esc(ty), "l": lv}
             for n, ty, lv in zip(s["name"], s["site_type"], levels)]
    return _fc(_features(_round_geom(np.asarray(s.geometry.values, dtype=object), precision), props)), styles, \
        [(esc(ty), colors[ty]) for ty in types]


@dataclass
class OverviewGeometry:
    """The option-independent, expensive part of the map: simplified villages, dissolved towns and
    county, simplified roads, as shapely objects and ready GeoJSON geometry dicts (cache per workspace)."""

    polys: np.ndarray  # simplified, rounded village polygons (table order)
    shapes: list[dict[str, Any] | None]  # their GeoJSON geometries (None when empty)
    boundaries: _Boundaries
    inner: dict[str, Any]  # town borders (one feature)
    county: dict[str, Any]  # county outline (one feature)
    road_shapes: list[dict[str, Any] | None]  # roads order
    precision: int


def _shapes(geoms: np.ndarray, precision: int) -> list[dict[str, Any] | None]:
    keep = [i for i, g in enumerate(geoms) if g is not None and not g.is_empty]
    out: list[dict[str, Any] | None] = [None] * len(geoms)
    for i, shape in zip(keep, _geometries([geoms[i] for i in keep], precision)):
        out[i] = shape
    return out


def prepare_geometry(
    table: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame | None = None,
    *,
    simplify_deg: float = MapOptions.simplify_deg,
    precision: int = MapOptions.precision,
) -> OverviewGeometry:
    """Simplify the villages as a coverage, dissolve towns and county, simplify roads (lon/lat input)."""
    table = table.reset_index(drop=True)
    if table.crs is not None and not table.crs.equals("EPSG:4326"):
        table = table.to_crs("EPSG:4326")
    if roads is not None and roads.crs is not None and not roads.crs.equals("EPSG:4326"):
        roads = roads.to_crs("EPSG:4326")
    geoms = np.asarray(table.geometry.values, dtype=object)
    if simplify_deg > 0 and len(geoms):
        geoms = shapely.coverage_simplify(geoms, simplify_deg)
    geoms = _round_geom(geoms, precision)
    bnd = _boundaries(geoms, table["town_code"].astype(str).to_numpy(), table["town_name"].astype(str).to_numpy())
    road_shapes: list[dict[str, Any] | None] = []
    if roads is not None and len(roads):
        lines = shapely.simplify(np.asarray(roads.geometry.values, dtype=object), simplify_deg / 2)
        road_shapes = _shapes(lines, precision)
    return OverviewGeometry(geoms, _shapes(geoms, precision), bnd, _one(bnd.inner), _one(bnd.county), road_shapes,
                            precision)


def _feats(shapes: Sequence[dict[str, Any] | None], props: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "Feature", "properties": p, "geometry": g} for g, p in zip(shapes, props) if g is not None]


def prepare_overview(
    table: gpd.GeoDataFrame,
    *,
    options: MapOptions,
    roads: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    enterprises: gpd.GeoDataFrame | None = None,
    active_pairings: pd.DataFrame | None = None,
    geometry: OverviewGeometry | None = None,
) -> OverviewMapData:
    """All map data for :func:`build_overview_map`; ``table`` is :func:`bangfu.indicators.overview_villages`.

    ``geometry`` is :func:`prepare_geometry` of the same table and roads (computed when not given;
    pass a cached one so that changing an option only restyles).

    Classes are computed over the whole county, so a town's colours compare with the county's.
    With a town chosen, the map is fitted to it, other towns are faded and the overlays are
    limited to the town's villages.
    """
    lang, town = options.lang, options.town_code
    spec = ind.choropleth_indicator(options.indicator)
    table = table.reset_index(drop=True)
    if table.crs is not None and not table.crs.equals("EPSG:4326"):
        table = table.to_crs("EPSG:4326")
    classes = ind.classify(pd.to_numeric(table[spec.column], errors="coerce"), method=options.method, k=options.k)
    colors = class_colors(spec.palette, max(classes.k, 1))
    passes = ind.flag_mask(table, options.flag_filter).to_numpy()
    area = areas.area_for(table, town)  # the one area rule (bangfu.workspace.areas)
    in_town = area.village_mask(table)

    geo = geometry
    if geo is None or len(geo.shapes) != len(table) or len(geo.road_shapes) != (0 if roads is None else len(roads)):
        geo = prepare_geometry(table, roads, simplify_deg=options.simplify_deg, precision=options.precision)
    geoms = geo.polys
    props = _village_props(table, lang)
    vstyles: list[dict[str, Any]] = []
    for j, p in enumerate(props):
        cls = int(classes.index[j])
        p["s"] = _style_index(vstyles, {
            "fillColor": FILTERED_OUT_COLOR if not passes[j] else (colors[cls] if cls >= 0 else NO_DATA_COLOR),
            "color": "#ffffff" if in_town[j] else "#bdbdbd",
            "weight": 0.7,
            "fillOpacity": (0.85 if passes[j] else 0.6) if in_town[j] else 0.25,
        })
    bnd = geo.boundaries
    focus = bnd.towns.get(town) if town else None
    bounds = tuple(float(v) for v in (focus.bounds if focus is not None else shapely.total_bounds(geoms)))
    old = table["is_old_district"].fillna(False).astype(bool).to_numpy() & passes & in_town
    key = table["is_key_village"].fillna(False).astype(bool).to_numpy() & passes & in_town

    def name(k: str) -> str:
        return esc(t(f"overview.layer.{k}", lang))

    tip = [(k, esc(t(VILLAGE_PROPS[k][1], lang))) for k in _TOOLTIP_ORDER]
    layers = [
        LayerSpec("villages", esc(t(spec.label, lang)), _fc(_feats(geo.shapes, props)), vstyles, tip,
                  highlight={"weight": 3, "color": "#000000", "fillOpacity": 0.9}),
        LayerSpec("towns", name("towns"), geo.inner, [TOWN_STYLE], interactive=False),
        LayerSpec("county", name("county"), geo.county, [COUNTY_STYLE], interactive=False),
    ]
    if focus is not None:
        layers.append(LayerSpec("selected_town", name("selected_town"), _one(focus.boundary), [SELECTED_TOWN_STYLE],
                                interactive=False))
    road_fc, road_styles = _roads(roads, area, table, geo.road_shapes, lang)
    layers.append(LayerSpec("roads", name("roads"), road_fc, road_styles, show=False, tooltip=[
        ("n", esc(t("overview.tt.road", lang))), ("g", esc(t("overview.tt.road_class", lang))),
        ("l", esc(t("overview.tt.road_status", lang)))]))
    layers.append(LayerSpec("old", name("old"), _one(_multi(geoms[old])), [OLD_STYLE], interactive=False))
    layers.append(LayerSpec("key", name("key"), _one(_multi(geoms[key])), [KEY_STYLE], interactive=False))

    lines, line_props, ent_fc = [], [], _fc([])
    if enterprises is not None and len(enterprises):
        pair = active_pairings if active_pairings is not None and len(active_pairings) else \
            pd.DataFrame(columns=["enterprise_id", "village_code", "pairing_type"])
        pair = areas.area_slice(area, "pairings", pair, villages=table)
        ent = enterprises
        if focus is not None:
            inside = areas.in_area(area, "enterprises", ent, villages=table)
            ent = ent[inside | ent["enterprise_id"].isin(set(pair["enterprise_id"])).to_numpy()]
        ent_fc = _fc(_features(_round_geom(np.asarray(ent.geometry.values, dtype=object), options.precision), [
            {"s": 0, "n": esc(n), "y": esc(i), "l": esc(t("overview.leading", lang)) if le is True else "—"}
            for n, i, le in zip(ent["name"], ent["industry"], ent["is_leading"].astype(object))
        ]))
        epos = dict(zip(enterprises["enterprise_id"].astype(str), enterprises.geometry))
        ename = dict(zip(enterprises["enterprise_id"].astype(str), enterprises["name"]))
        vpos = dict(zip(table["village_code"].astype(str), shapely.point_on_surface(geoms)))
        vname = dict(zip(table["village_code"].astype(str), table["village_name"]))
        for e, v, ty in zip(pair["enterprise_id"].astype(str), pair["village_code"].astype(str), pair["pairing_type"]):
            if epos.get(e) is not None and v in vpos:
                lines.append(shapely.LineString([epos[e], vpos[v]]))
                line_props.append({"s": 0, "e": esc(ename.get(e, e)), "v": esc(vname.get(v, v)), "y": esc(ty)})
    lines_fc = _fc(_features(_round_geom(np.asarray(lines, dtype=object), options.precision), line_props)) \
        if lines else _fc([])
    layers.append(LayerSpec("pairings", name("pairings"), lines_fc, [PAIRING_STYLE], show=False, tooltip=[
        ("e", esc(t("overview.tt.enterprise", lang))), ("v", esc(t("overview.tt.name", lang))),
        ("y", esc(t("overview.tt.pairing_type", lang)))]))
    site_fc, site_styles, site_legend = _sites(sites, area, table, options.precision)
    layers.append(LayerSpec("tourism", name("tourism"), site_fc, site_styles, radius=6, tooltip=[
        ("n", esc(t("overview.tt.site", lang))), ("y", esc(t("overview.tt.site_type", lang))),
        ("l", esc(t("overview.tt.a_level", lang)))]))
    layers.append(LayerSpec("enterprises", name("enterprises"), ent_fc, [ENTERPRISE_STYLE], radius=5, show=False,
                            tooltip=[("n", esc(t("overview.tt.enterprise", lang))),
                                     ("y", esc(t("overview.tt.industry", lang))),
                                     ("l", esc(t("overview.tt.leading", lang)))]))

    overlay_legend: list[tuple[str, list[LegendRow]]] = []
    if road_fc["features"]:
        overlay_legend.append((t("overview.layer.roads", lang), [
            LegendRow("line", t(f"overview.road_status.{k}", lang), v) for k, v in ROAD_STYLES.items()]))
    if site_fc["features"]:
        overlay_legend.append((t("overview.layer.tourism", lang), [
            LegendRow("dot", ty, {"fillColor": c}) for ty, c in site_legend]))
    method = next(m for m in ind.CLASS_METHODS if m.key == options.method)
    return OverviewMapData(
        layers=[lyr for lyr in layers if lyr.n_features],
        bounds=bounds,  # type: ignore[arg-type]
        legend_title=f"{t(spec.label, lang)}（{t(spec.unit, lang)}）",
        legend=_legend_rows(classes, colors, spec, has_missing=bool((classes.index < 0).any()),
                            filtered=not passes.all(), lang=lang) + [LegendRow("note", t(method.label, lang) + (t("overview.legend.county_classes", lang) if town else ""), {})],
        overlay_legend=overlay_legend,
        town_labels=bnd.labels,
        town_labels_name=name("town_labels"),
    )


# --------------------------------------------------------------------------- build


def _js_json(value: Any) -> str:
    """Compact JSON that is safe inside a <script> element (no <, >, & or ' left raw)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class CompactGeoJson(folium.map.Layer):
    """A GeoJSON layer sent compactly: minified JSON, one shared style table, a tooltip built in the
    browser from pre-escaped properties. Works with the layer control and with streamlit-folium's
    ``last_active_drawing`` (clicking returns the feature with its properties)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }}_styles = {{ this.styles_json }};
        function {{ this.get_name() }}_style(f) {
            return {{ this.get_name() }}_styles[(f.properties && f.properties.s) || 0];
        }
        var {{ this.get_name() }} = L.geoJson({{ this.data_json }}, {
            style: {{ this.get_name() }}_style,
            interactive: {{ this.interactive|tojson }},
            {%- if this.radius %}
            pointToLayer: function (f, latlng) {
                return L.circleMarker(latlng, Object.assign({radius: {{ this.radius|tojson }}},
                                                            {{ this.get_name() }}_style(f)));
            },
            {%- endif %}
            onEachFeature: function (f, layer) {
                {%- if this.tooltip %}
                layer.bindTooltip(function () {
                    var p = f.properties, h = '<table class="bangfu-tip">';
                    {{ this.tooltip_json }}.forEach(function (fl) {
                        var v = p[fl[0]];
                        if (v === null || v === undefined) { v = "—"; }
                        else if (typeof v === "number") { v = v.toLocaleString("zh-CN"); }
                        h += "<tr><th>" + fl[1] + "</th><td>" + v + "</td></tr>";
                    });
                    return h + "</table>";
                }, {sticky: true});
                {%- endif %}
                {%- if this.highlight %}
                layer.on({
                    mouseover: function (e) { e.target.setStyle({{ this.highlight_json }}); },
                    mouseout: function (e) { e.target.setStyle({{ this.get_name() }}_style(f)); }
                });
                {%- endif %}
            }
        });
        {% endmacro %}"""
    )

    def __init__(self, spec: LayerSpec) -> None:
        super().__init__(name=spec.name, overlay=True, control=True, show=spec.show)
        self._name = "CompactGeoJson"
        self.data = spec.data
        self.data_json = _js_json(spec.data)
        self.styles_json = _js_json(spec.styles)
        self.tooltip = spec.tooltip
        self.tooltip_json = _js_json([list(x) for x in spec.tooltip])
        self.interactive = spec.interactive
        self.radius = spec.radius
        self.highlight = spec.highlight
        self.highlight_json = _js_json(spec.highlight or {})


class _Legend(MacroElement):
    """A Leaflet control holding pre-escaped legend HTML (and a plain-text attribution prefix)."""

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


_TIP_CSS = (
    "<style>.bangfu-tip th{text-align:left;font-weight:600;padding:1px 10px 1px 0;color:#444}"
    ".bangfu-tip td{padding:1px 0}.bangfu-tip{font:13px/1.35 'Noto Sans CJK SC','Microsoft YaHei',sans-serif}</style>"
)


def _row_html(row: LegendRow) -> str:
    if row.kind == "fill":
        return f'<div><span class="sw" style="background:{row.style["fillColor"]}"></span>{esc(row.label)}</div>'
    if row.kind == "dot":
        return (f'<div><span class="sw" style="background:{row.style["fillColor"]};border-radius:50%;width:10px">'
                f'</span>{esc(row.label)}</div>')
    if row.kind == "line" and "fill" in row.style:  # polygon outline sample
        dash = "dashed" if row.style.get("dashArray") else "solid"
        return (f'<div><span class="sw" style="background:transparent;border:{max(2, round(row.style["weight"]))}px '
                f'{dash} {row.style["color"]}"></span>{esc(row.label)}</div>')
    if row.kind == "line":  # a line sample
        dash = "dashed" if row.style.get("dashArray") else "solid"
        return (f'<div><span class="sw" style="background:transparent;border:none;border-top:3px {dash} '
                f'{row.style["color"]};height:0;vertical-align:middle"></span>{esc(row.label)}</div>')
    return f'<div style="color:#555;margin-top:3px;font-size:11px">{esc(row.label)}</div>'


def legend_html(data: OverviewMapData) -> str:
    """The choropleth legend as HTML; every text is escaped, colours come from our own tables."""
    title = f'<div style="font-weight:600;font-size:13px;margin-bottom:4px">{esc(data.legend_title)}</div>'
    return title + "".join(_row_html(r) for r in data.legend)


def overlay_legend_html(data: OverviewMapData) -> str:
    """The small legend of the overlays (road status lines, tourism site types)."""
    parts = []
    for title, rows in data.overlay_legend:
        parts.append(f'<div style="font-weight:600;margin-top:2px">{esc(title)}</div>')
        parts.extend(_row_html(r) for r in rows)
    return f'<div style="font-size:11px">{"".join(parts)}</div>' if parts else ""


def build_overview_map(
    data: OverviewMapData,
    *,
    basemap: Basemap = "none",
    tianditu_token: str = "",
) -> folium.Map:
    """The folium map of :func:`prepare_overview` data: villages first, overlays in a layer control."""
    m = offline_map(data.bounds, basemap=basemap, tianditu_token=tianditu_token)
    m.get_root().header.add_child(folium.Element(_TIP_CSS))
    for spec in data.layers:
        CompactGeoJson(spec).add_to(m)
        if spec.key == "county" and data.town_labels:
            fg = folium.FeatureGroup(name=data.town_labels_name, show=True)
            for lat, lon, label in data.town_labels:  # label escaped in prepare_overview
                folium.Marker(
                    [lat, lon],
                    icon=folium.DivIcon(
                        html=f'<div style="transform:translate(-50%,-50%);white-space:nowrap;font:600 13px '
                        f'\'Noto Sans CJK SC\',\'Microsoft YaHei\',sans-serif;color:#222;'
                        f'text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff">{label}</div>',
                        icon_size=(0, 0), class_name="bangfu-town-label",
                    ),
                    interactive=False,
                ).add_to(fg)
            fg.add_to(m)
    m.add_child(_Legend(legend_html(data), plain_prefix=True))
    overlay = overlay_legend_html(data)
    if overlay:
        m.add_child(_Legend(overlay, "bottomleft"))
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return m


def embedded_geojson(m: folium.Map) -> list[dict[str, Any]]:
    """The GeoJSON dicts a map embeds, in drawing order (for tests and payload measurements)."""
    return [child.data for child in m._children.values() if isinstance(child, (CompactGeoJson, folium.GeoJson))]


def payload_bytes(m: folium.Map) -> int:
    """Bytes of the map's standalone HTML (what the browser receives)."""
    return len(map_html(m).encode("utf-8"))
