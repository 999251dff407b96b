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

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.errors
from jinja2 import Template

from bangfu import indicators as ind
from bangfu.core import legend as lg
from bangfu.core import styles
from bangfu.core.labels import t
from bangfu.core.vocab import PAIRING_TYPE, ROAD_CLASS, ROAD_STATUS, SITE_TYPE, VILLAGE_FLAG, Vocabulary
from bangfu.maps.base import Basemap, esc, js_json, map_html, offline_map
from bangfu.maps.legend import LayerLink, add_legend
from bangfu.maps.tiles import TILES_JS, VECTORGRID_JS, VectorTileLayer, VectorTileSpec
from bangfu.workspace import areas

__all__ = [
    "MapOptions", "LayerSpec", "OverviewMapData", "CompactGeoJson", "prepare_overview", "prepare_geometry",
    "OverviewGeometry", "build_overview_map", "LABEL_MAX", "embedded_geojson", "payload_bytes", "coded_style", "VILLAGE_PROPS",
]


def coded_style(vocabulary: Vocabulary, code: object) -> dict[str, Any]:
    """The Leaflet line style of a coded value (road status, pairing type, village flag) from the vocabulary;
    codes outside the vocabulary are drawn thin and grey."""
    if str(code) in vocabulary:
        return vocabulary.term(str(code)).line_style()
    return {"color": styles.UNKNOWN, "weight": 1.5, "opacity": 0.9}


def _outline(code: str) -> dict[str, Any]:
    return {"fill": False, **coded_style(VILLAGE_FLAG, code)}


def _enterprise_style() -> dict[str, Any]:
    return {k: v for k, v in styles.ENTERPRISE.items() if not k.startswith("radius")}

#: The most area names a map labels (more overlap into a black mass: 1,406 towns of a province).
LABEL_MAX = 60

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
    method: str = ind.DEFAULT_METHOD
    k: int = ind.DEFAULT_K
    flag_filter: str = "all"
    town_code: str | None = None
    lang: str = "zh"
    simplify_deg: float = 0.0002  # ≈ 20 m; village borders stay shared (coverage simplification)
    precision: int = 5  # 1e-5° ≈ 1 m
    only_area: bool = False  # draw the chosen area's villages only (a big workspace), not the others faded
    overlays: bool = True  # send roads, sites, enterprises and pairing lines (bangfu.maps.units.overlays_allowed)


@dataclass
class LayerSpec:
    """One map layer as plain data: features, a shared style table and what the tooltip shows.

    Each feature's ``properties["s"]`` indexes ``styles`` (styles are sent once, not per feature) and
    ``style_labels`` (what a style stands for, e.g. a road status: the tooltip field ``"s"`` shows it,
    so the label is sent once per style, not once per feature).
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
    style_labels: list[str] = field(default_factory=list)  # escaped, one per style

    @property
    def n_features(self) -> int:
        return len(self.data["features"])


@dataclass
class OverviewMapData:
    """Everything the map needs, as plain escaped data (picklable for ``st.cache_data``)."""

    layers: list[LayerSpec]
    bounds: tuple[float, float, float, float]
    legend: lg.Legend  # the classes, no data / filtered out, 老区/key outlines, the method
    overlay_legend: list[lg.Legend] = field(default_factory=list)  # roads, pairing lines, tourism sites shown
    overlay_layers: list[LayerLink] = field(default_factory=list)  # the layer each overlay legend explains
    town_labels: list[tuple[float, float, str]] = field(default_factory=list)
    town_labels_name: str = ""
    tiles: VectorTileSpec | None = None  # every village from vector tiles (bangfu.maps.tiles), under the layers

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


def _features(geoms: Sequence[shapely.Geometry] | np.ndarray, props: Sequence[dict[str, Any]] | None = None,
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
    parts = [VILLAGE_FLAG.label("old_district", lang)] * bool(old) + [VILLAGE_FLAG.label("key_village", lang)] * bool(key)
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


def _one(geom: shapely.Geometry | None) -> dict[str, Any]:
    """A collection with one property-less feature (outlines: one feature, one style)."""
    return _fc(_features([geom], [{"s": 0}])) if geom is not None and not geom.is_empty else _fc([])


def _multi(polys: np.ndarray) -> shapely.Geometry | None:
    """The villages as one MultiPolygon (each keeps its own outline; nothing is dissolved)."""
    return shapely.multipolygons(shapely.get_parts(polys)) if len(polys) else None


def _union(geoms: np.ndarray) -> shapely.Geometry:
    """The union of polygons of a coverage (fast), or a plain union when rounding left them incorrectly noded."""
    try:
        return shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:
        return shapely.union_all(geoms)


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
        g = _union(geoms[sel])
        if not g.is_valid:
            g = shapely.make_valid(g)
        towns[str(code)] = g
        if not g.is_empty:
            p = g.representative_point()
            labels.append((round(p.y, 5), round(p.x, 5), esc(names[sel][0])))
    parts = np.asarray(list(towns.values()), dtype=object)
    county = _union(parts) if len(parts) else shapely.Polygon()
    outline = county.boundary
    edges = shapely.union_all(shapely.boundary(parts)) if len(parts) else shapely.LineString()
    inner = edges
    if not edges.is_empty:  # chains of the noded town edges whose middle is not on the county outline
        chains = shapely.get_parts(shapely.line_merge(edges))
        mids = shapely.line_interpolate_point(chains, 0.5, normalized=True)
        inner = shapely.multilinestrings(chains[~shapely.dwithin(mids, outline, 1e-9)])
    return _Boundaries(towns, inner, outline, labels)


def _roads(roads: gpd.GeoDataFrame | None, area: areas.Area, villages: gpd.GeoDataFrame,
           shapes: list[dict[str, Any] | None], lang: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """Roads with a piece in the area, one style (and label) per status: the vocabulary's."""
    if roads is None or len(roads) == 0:
        return _fc([]), [], []
    inside = areas.in_area(area, "roads", roads, villages=villages)  # roads with a piece in the area
    status = roads["status"].astype(str).to_numpy()
    rank = np.array([ROAD_STATUS.rank(s) for s in status])
    order = [i for i in np.argsort(rank, kind="stable") if inside[i]]  # hardened first, pending work on top
    names, classes = roads["name"].astype(object).tolist(), roads["road_class"].astype(object).tolist()
    kinds = sorted(set(status), key=ROAD_STATUS.rank)
    props = [{"s": kinds.index(status[i]), "n": esc(names[i]), "g": esc(ROAD_CLASS.label(classes[i], lang))}
             for i in order]
    return _fc(_feats([shapes[i] for i in order], props)), [coded_style(ROAD_STATUS, st) for st in kinds], \
        [esc(ROAD_STATUS.label(st, lang)) for st in kinds]


def _sites(sites: gpd.GeoDataFrame | None, area: areas.Area, villages: gpd.GeoDataFrame, precision: int
           ) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """Sites of the area, one style per site type (the type's vocabulary colour); the types shown."""
    if sites is None or len(sites) == 0:
        return _fc([]), [], []
    s = areas.area_slice(area, "tourism_sites", sites, villages=villages)
    types = sorted(set(s["site_type"].astype(str)), key=SITE_TYPE.rank)
    marker = {k: v for k, v in styles.SITE_MARKER.items() if k != "radius"}
    site_styles = [{"fillColor": SITE_TYPE.color(ty, styles.UNKNOWN), **marker} for ty in types]
    levels = [f"{int(a)}A" if pd.notna(a) and int(a) > 0 else "—" for a in s["a_level"]]
    props = [{"s": types.index(str(ty)), "n": esc(n), "l": lv} for n, ty, lv in zip(s["name"], s["site_type"], levels)]
    return _fc(_features(_round_geom(np.asarray(s.geometry.values, dtype=object), precision), props)), site_styles, \
        types


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

    Classes are computed over the whole ``table`` (:func:`bangfu.indicators.choropleth`; pass every
    village of the workspace), so a town's colours compare with the county's and, with the default
    method and k, every village has the class and colour it has on the other maps and in the briefing.
    With a town chosen, the map is fitted to it, other towns are faded and the overlays are
    limited to the town's villages.
    """
    lang, town = options.lang, options.town_code
    table = table.reset_index(drop=True)
    if table.crs is not None and not table.crs.equals("EPSG:4326"):
        table = table.to_crs("EPSG:4326")
    choro = ind.choropleth(table, options.indicator, method=options.method, k=options.k)
    spec, classes = choro.indicator, choro.classes
    passes = ind.flag_mask(table, options.flag_filter).to_numpy()
    area = areas.area_for(table, town)  # the one area rule (bangfu.workspace.areas)
    in_town = area.village_mask(table)
    cls_index = np.asarray(classes.index)
    everyone = table  # every village: the area rules need them all (a slice would be "the whole workspace")
    if options.only_area and not in_town.all():  # the area's villages only, classed as in the whole workspace
        table, passes, cls_index = table[in_town].reset_index(drop=True), passes[in_town], cls_index[in_town]
        in_town = np.ones(len(table), dtype=bool)
        if geometry is not None and len(geometry.shapes) != len(table):
            geometry = None
    if not options.overlays:
        roads = sites = enterprises = None

    geo = geometry
    if geo is None or len(geo.shapes) != len(table) or len(geo.road_shapes) != (0 if roads is None else len(roads)):
        geo = prepare_geometry(table, roads, simplify_deg=options.simplify_deg, precision=options.precision)
    geoms = geo.polys
    props = _village_props(table, lang)
    vstyles: list[dict[str, Any]] = []
    for j, p in enumerate(props):
        edge = styles.VILLAGE_EDGE if in_town[j] else styles.VILLAGE_EDGE_FADED
        p["s"] = _style_index(vstyles, {
            "fillColor": choro.color(int(cls_index[j])) if passes[j] else styles.FILTERED_OUT,
            "color": edge["color"],
            "weight": edge["weight"],
            "fillOpacity": (styles.CHOROPLETH_OPACITY if passes[j] else 0.6) if in_town[j] else 0.25,
        })
    bnd = geo.boundaries
    focus = bnd.towns.get(town) if town else None
    bounds = tuple(float(v) for v in (focus.bounds if focus is not None else shapely.total_bounds(geoms)))
    old = table["is_old_district"].fillna(False).astype(bool).to_numpy() & passes & in_town
    key = table["is_key_village"].fillna(False).astype(bool).to_numpy() & passes & in_town

    def name_plain(k: str) -> str:
        return t(f"overview.layer.{k}", lang)

    def name(k: str) -> str:
        return esc(name_plain(k))

    tip = [(k, esc(t(VILLAGE_PROPS[k][1], lang))) for k in _TOOLTIP_ORDER]
    layers = [
        LayerSpec("villages", esc(t(spec.label, lang)), _fc(_feats(geo.shapes, props)), vstyles, tip,
                  highlight=dict(styles.HIGHLIGHT)),
        LayerSpec("towns", name("towns"), geo.inner, [dict(styles.TOWN_BORDER)], interactive=False),
        LayerSpec("county", name("county"), geo.county, [dict(styles.COUNTY_BORDER)], interactive=False),
    ]
    if focus is not None:
        layers.append(LayerSpec("selected_town", name("selected_town"), _one(focus.boundary),
                                [dict(styles.SELECTED_TOWN_BORDER)], interactive=False))
    road_fc, road_styles, road_labels = _roads(roads, area, everyone, geo.road_shapes, lang)
    layers.append(LayerSpec("roads", name("roads"), road_fc, road_styles, show=False, style_labels=road_labels, tooltip=[
        ("n", esc(t("overview.tt.road", lang))), ("g", esc(t("overview.tt.road_class", lang))),
        ("s", esc(t("overview.tt.road_status", lang)))]))
    layers.append(LayerSpec("old", name("old"), _one(_multi(geoms[old])), [_outline("old_district")],
                            interactive=False))
    layers.append(LayerSpec("key", name("key"), _one(_multi(geoms[key])), [_outline("key_village")],
                            interactive=False))

    lines: list[shapely.LineString] = []
    line_props: list[dict[str, Any]] = []
    line_types: list[str] = []
    ent_fc = _fc([])
    if enterprises is not None and len(enterprises):
        pair = active_pairings if active_pairings is not None and len(active_pairings) else \
            pd.DataFrame(columns=["enterprise_id", "village_code", "pairing_type"])
        pair = areas.area_slice(area, "pairings", pair, villages=everyone)
        ent = enterprises
        if focus is not None or options.only_area:  # the area's enterprises and those paired with its villages
            inside = areas.in_area(area, "enterprises", ent, villages=everyone)
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
                line_types.append(str(ty))
                line_props.append({"e": esc(ename.get(e, e)), "v": esc(vname.get(v, v))})
    kinds = sorted(set(line_types), key=PAIRING_TYPE.rank)
    line_styles = [{**coded_style(PAIRING_TYPE, ty), **styles.PAIRING_LINE} for ty in kinds]
    for p, ty in zip(line_props, line_types):
        p["s"] = kinds.index(ty)
    lines_fc = _fc(_features(_round_geom(np.asarray(lines, dtype=object), options.precision), line_props)) \
        if lines else _fc([])
    layers.append(LayerSpec("pairings", name("pairings"), lines_fc, line_styles, show=False,
                            style_labels=[esc(PAIRING_TYPE.label(ty, lang)) for ty in kinds], tooltip=[
        ("e", esc(t("overview.tt.enterprise", lang))), ("v", esc(t("overview.tt.name", lang))),
        ("s", esc(t("overview.tt.pairing_type", lang)))]))
    site_fc, site_styles, site_types = _sites(sites, area, everyone, options.precision)
    layers.append(LayerSpec("tourism", name("tourism"), site_fc, site_styles, radius=styles.SITE_MARKER["radius"],
                            style_labels=[esc(SITE_TYPE.label(ty, lang)) for ty in site_types], tooltip=[
        ("n", esc(t("overview.tt.site", lang))), ("s", esc(t("overview.tt.site_type", lang))),
        ("l", esc(t("overview.tt.a_level", lang)))]))
    layers.append(LayerSpec("enterprises", name("enterprises"), ent_fc, [_enterprise_style()],
                            radius=styles.ENTERPRISE["radius"], show=False,
                            tooltip=[("n", esc(t("overview.tt.enterprise", lang))),
                                     ("y", esc(t("overview.tt.industry", lang))),
                                     ("l", esc(t("overview.tt.leading", lang)))]))

    overlay_legend: list[lg.Legend] = []
    overlay_layers: list[LayerLink] = []
    by_key = {lyr.key: lyr for lyr in layers}
    for key_, legend_ in (
        ("roads", lg.vocab_legend(ROAD_STATUS, lang, title=t("roads.legend", lang))),
        ("pairings", lg.vocab_legend(PAIRING_TYPE, lang, codes=kinds, title=name_plain("pairings"))),
        ("tourism", lg.vocab_legend(SITE_TYPE, lang, kind="dot", codes=site_types, title=name_plain("tourism"))),
    ):
        if by_key[key_].n_features:  # one legend group per overlay, shown while the overlay is on
            overlay_legend.append(legend_)
            overlay_layers.append(LayerLink(by_key[key_].name, by_key[key_].show))
    extra = ((lg.filtered_out_item(lang),) if not passes.all() else ()) + lg.flag_items(lang)
    return OverviewMapData(
        layers=[lyr for lyr in layers if lyr.n_features],
        bounds=bounds,  # type: ignore[arg-type]
        legend=choro.legend(lang, counts=True, no_data=bool((cls_index < 0).any()), part=bool(town), extra=extra),
        overlay_legend=overlay_legend,
        overlay_layers=overlay_layers,
        town_labels=bnd.labels if len(bnd.labels) <= LABEL_MAX else [],  # more would overlap into a black mass
        town_labels_name=name("town_labels"),
    )


# --------------------------------------------------------------------------- build


class CompactGeoJson(folium.map.Layer):
    """A GeoJSON layer sent compactly: minified JSON, one shared style table, a tooltip built in the
    browser from pre-escaped properties. Works with the layer control and with streamlit-folium's
    ``last_active_drawing`` (clicking returns the feature with its properties)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }}_styles = {{ this.styles_json }};
        var {{ this.get_name() }}_labels = {{ this.labels_json }};
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
                        var v = fl[0] === "s" ? {{ this.get_name() }}_labels[p.s || 0] : p[fl[0]];
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
        self.data_json = js_json(spec.data)
        self.styles_json = js_json(spec.styles)
        self.labels_json = js_json(spec.style_labels)
        self.tooltip = spec.tooltip
        self.tooltip_json = js_json([list(x) for x in spec.tooltip])
        self.interactive = spec.interactive
        self.radius = spec.radius
        self.highlight = spec.highlight
        self.highlight_json = js_json(spec.highlight or {})


_TIP_CSS = (
    "<style>.bangfu-tip th{text-align:left;font-weight:600;padding:1px 10px 1px 0;color:#444}"
    ".bangfu-tip td{padding:1px 0}.bangfu-tip{font:13px/1.35 'Noto Sans CJK SC','Microsoft YaHei',sans-serif}</style>"
)


def build_overview_map(
    data: OverviewMapData,
    *,
    basemap: Basemap = "none",
    tianditu_token: str = "",
) -> folium.Map:
    """The folium map of :func:`prepare_overview` data: villages first, overlays in a layer control."""
    m = offline_map(data.bounds, basemap=basemap, tianditu_token=tianditu_token)
    root = m.get_root()
    assert isinstance(root, folium.Figure)  # a map's root is its figure (branca types it as an Element)
    root.header.add_child(folium.Element(_TIP_CSS))
    if data.tiles is not None:
        m.default_js = [*m.default_js, ("vectorgrid", VECTORGRID_JS), ("bangfu_vtiles", TILES_JS)]
        VectorTileLayer(data.tiles).add_to(m)
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
    add_legend(m, data.legend, "bottomright")
    add_legend(m, data.overlay_legend, "bottomleft", small=True, layers=data.overlay_layers)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return m


def embedded_geojson(m: folium.Map) -> list[dict[str, Any]]:
    """The GeoJSON dicts a map embeds, in drawing order (for tests and payload measurements)."""
    return [child.data for child in m._children.values() if isinstance(child, (CompactGeoJson, folium.GeoJson))]


def payload_bytes(m: folium.Map) -> int:
    """Bytes of the map's standalone HTML (what the browser receives)."""
    return len(map_html(m).encode("utf-8"))
