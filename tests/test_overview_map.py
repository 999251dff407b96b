"""The overview map builder: embedded GeoJSON, styles, legend, overlays, and escaping of hostile names."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import shapely
import shapely.geometry

from bangfu import indicators as ind
from bangfu.core import styles
from bangfu.core.labels import t
from bangfu.maps import overview as om
from bangfu.maps.legend import legend_html
from factories import HOSTILE_IMG, Overview, rename
from factories import HOSTILE_SCRIPT as HOSTILE

AS_OF = "2020-12-31"


def _data(options: om.MapOptions | None = None, *, names: dict[int, str] | None = None) -> om.OverviewMapData:
    L = Overview.layers(3)
    v = rename(L["villages"], names or {})
    table = ind.overview_villages(v, roads=L["roads"], pairings=L["pairings"], as_of=AS_OF)
    return om.prepare_overview(
        table, options=options or om.MapOptions(), roads=L["roads"], sites=L["tourism_sites"],
        enterprises=L["enterprises"], active_pairings=ind.simple_active_pairings(L["pairings"], AS_OF),
    )


def test_village_features_and_properties():
    data = _data()
    feats = data.villages["features"]
    assert len(feats) == 6
    assert set(feats[0]["properties"]) == set(om.VILLAGE_PROPS) | {"s"}
    p = {f["properties"]["c"]: f["properties"] for f in feats}["440783116200"]
    assert p["n"] == "赤水0村" and p["t"] == "赤水镇" and p["h"] == 100 and p["p"] == 10
    assert p["i"] == "10.0%" and p["d"] == pytest.approx(10.0) and p["f"] == "老区村" and p["a"] == 1 and p["r"] == "60.0%"
    # every village gets its class colour (density 10..60 in 5 Fisher–Jenks classes)
    colors = styles.class_colors("YlOrRd", 5)
    assert {s["fillColor"] for s in data.village_styles.values()} <= set(colors)
    # 老区 / key outlines: one multi-polygon feature each, covering exactly the flagged villages
    old = shapely.geometry.shape(data.layer("old").data["features"][0]["geometry"])
    assert old.area == pytest.approx(sum(shapely.geometry.shape(f["geometry"]).area for f in feats
                                         if f["properties"]["f"].startswith("老区村")), rel=1e-6)
    assert data.layer("key").n_features == 1
    assert data.layer("roads").n_features == 12 and not data.layer("roads").show
    assert data.layer("tourism").n_features == 2 and data.layer("enterprises").n_features == 2
    assert data.layer("pairings").n_features == 1  # P1 only (P3's enterprise sits in its own village: a point)
    # one internal town border (between the 3rd and 4th squares), the county outline as one ring
    inner = shapely.geometry.shape(data.layer("towns").data["features"][0]["geometry"])
    assert inner.length == pytest.approx(1000 / 110_750, rel=0.02)  # 1 km north–south, in degrees
    assert data.layer("county").n_features == 1


def test_legend_bounds_match_classes():
    data = _data(om.MapOptions(indicator="poverty_density", method="equal_interval", k=5))
    fills = [r.label for r in data.legend.items if r.kind == "fill"]
    assert fills[0].startswith("10.0 – 20.0") and fills[-1].startswith("50.0 – 60.0")
    assert data.legend.title == "贫困密度（户/km²）"
    html = legend_html(data.legend) + legend_html(data.overlay_legend)
    assert "老区村" in html and "重点帮扶村" in html and "等间距法" in html and "已硬化" in html and "碉楼村落" in html


@pytest.mark.parametrize("indicator", [i.key for i in ind.CHOROPLETH_INDICATORS])
def test_each_indicator_builds(indicator):
    data = _data(om.MapOptions(indicator=indicator, method="quantiles", k=3))
    html = om.map_html(om.build_overview_map(data))
    assert "bangfu-legend" in html and "L.control.layers" in html
    spec = ind.choropleth_indicator(indicator)
    assert data.legend.title.startswith(t(spec.label, "zh"))
    assert "分位数法" in legend_html(data.legend) and "分位数法" in html
    # three quantile classes of the six villages' values (fewer when the values are fewer)
    values = ind.village_metrics(Overview.layers(3)["villages"])[spec.column].round(9)
    fills = [r for r in data.legend.items if r.kind == "fill"]
    assert len(fills) == min(3, values.nunique()), ([r.label for r in fills], values.tolist())


def test_town_selection_fits_and_limits_overlays():
    county = _data()
    town = _data(om.MapOptions(town_code="440783117"))
    assert town.bounds[0] > county.bounds[0] and town.bounds[2] == pytest.approx(county.bounds[2], abs=1e-4)
    assert town.layer("roads").n_features == 6 and town.layer("selected_town") is not None
    faded = [s for c, s in town.village_styles.items() if c.startswith("440783116")]
    assert all(s["fillOpacity"] < 0.5 for s in faded)


def test_flag_filter_greys_out_others():
    data = _data(om.MapOptions(flag_filter="old"))
    grey = [c for c, s in data.village_styles.items() if s["fillColor"] == styles.FILTERED_OUT]
    assert sorted(grey) == ["440783116201", "440783116202", "440783117201", "440783117202"]
    assert any(r.label == "不在筛选范围" for r in data.legend.items)


def test_hostile_village_name_is_escaped_everywhere():
    data = _data(names={0: HOSTILE, 1: HOSTILE_IMG})
    m = om.build_overview_map(data)
    for fc in om.embedded_geojson(m):
        for f in fc["features"]:
            for v in f["properties"].values():
                if isinstance(v, str):
                    assert not re.search(r"[<>\"']", v), v
    names = {f["properties"]["n"] for f in data.villages["features"]}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in names
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;" in names
    html = om.map_html(m)
    assert HOSTILE not in html and "<img src=x" not in html and "onerror=alert(1)>" not in html
    # the site named <b>农家乐</b> is escaped too
    assert "&lt;b&gt;农家乐&lt;/b&gt;" in json.dumps(data.layer("tourism").data, ensure_ascii=False)


def test_payload_smaller_than_plain_folium():
    import folium

    L = Overview.layers(3)
    table = ind.overview_villages(L["villages"], roads=L["roads"], pairings=L["pairings"], as_of=AS_OF)
    plain = folium.Map()
    folium.GeoJson(table[["village_code", "village_name", "households", "geometry"]],
                   tooltip=folium.GeoJsonTooltip(["village_name"])).add_to(plain)
    ours = om.build_overview_map(_data())
    village_json = len(json.dumps(om.embedded_geojson(ours)[0]))
    plain_json = len(json.dumps(om.embedded_geojson(plain)[0]))
    assert village_json < plain_json * 2  # six squares: the bound that matters is the demo's, below
    assert "cdn" not in om.map_html(ours).lower()


@pytest.fixture(scope="module")
def demo_layers() -> dict[str, pd.DataFrame]:
    from bangfu.core.resources import DEMO_PATH
    from bangfu.workspace import store

    if not DEMO_PATH.exists():
        pytest.fail("geodata/kaiping_demo.gpkg is missing: run `python -m bangfu.demo build`")
    return {n: store.read_layer(DEMO_PATH, n) for n in ("villages", "roads", "tourism_sites", "enterprises", "pairings")}


#: What one village costs at most beyond its vertices: the GeoJSON feature wrapping (~80 bytes) and its
#: tooltip values under one-letter keys (name, town, code, figures, flags; ~140 bytes on the demo).
FEATURE_BYTES = 300
#: One vertex rounded to 1e-5° (≈ 1 m) in Kaiping, minified: ``[112.12345,22.12345],``.
VERTEX_BYTES = 21


def test_demo_village_layer_carries_what_the_map_needs_and_no_more(demo_layers):
    """The bytes of the demo's village layer, bounded by what the map must carry: 270 outlines at ≈ 20 m
    detail and 1 m precision, and a short tooltip per village (plain folium writes the same villages
    in ≈ 3.4 MB; the compact layer is ≈ 0.45 MB)."""
    import folium

    L = demo_layers
    table = ind.overview_villages(L["villages"], roads=L["roads"], pairings=L["pairings"], as_of=AS_OF)
    data = om.prepare_overview(table, options=om.MapOptions(), roads=L["roads"], sites=L["tourism_sites"],
                               enterprises=L["enterprises"], active_pairings=ind.simple_active_pairings(L["pairings"], AS_OF))
    m = om.build_overview_map(data)
    layer = next(c for c in m._children.values() if isinstance(c, om.CompactGeoJson))
    sent = len(layer.data_json.encode())  # as written into the page
    feats = json.loads(layer.data_json)["features"]
    assert len(feats) == len(L["villages"]) == 270
    # detail: no more vertices than 1.5 × what shapely keeps of each outline at 0.0002° (≈ 20 m); the
    # coverage simplification keeps shared borders identical on both sides, which costs some
    vertices = sum(len(shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))) for f in feats)
    simplified = sum(len(shapely.get_coordinates(shapely.simplify(g, 0.0002))) for g in L["villages"].geometry)
    assert vertices <= 1.5 * simplified, (vertices, simplified)
    # encoding: every vertex rounded and minified, short keys, one shared style table
    assert sent <= VERTEX_BYTES * vertices + FEATURE_BYTES * len(feats), (sent, vertices)
    # and against plain folium.GeoJson of the same villages (three columns, a one-field tooltip)
    plain = folium.Map()
    folium.GeoJson(table[["village_code", "village_name", "households", "geometry"]],
                   tooltip=folium.GeoJsonTooltip(["village_name"])).add_to(plain)
    plain_bytes = len(json.dumps(om.embedded_geojson(plain)[0]).encode())
    assert plain_bytes > 3_000_000 and sent <= 0.2 * plain_bytes, (sent, plain_bytes)


def test_empty_overlays_are_skipped():
    L = Overview.layers(3)
    table = ind.overview_villages(L["villages"], roads=None, pairings=None, as_of=AS_OF)
    data = om.prepare_overview(table, options=om.MapOptions(), roads=None, sites=None, enterprises=None,
                               active_pairings=pd.DataFrame())
    assert [lyr.key for lyr in data.layers] == ["villages", "towns", "county", "old", "key"]
    om.map_html(om.build_overview_map(data))
