"""The overview's map of the level below (bangfu.maps.units) on the small synthetic province: dissolved and
simplified units against geopandas ``dissolve``, totals and rates against a groupby of the villages, classes over
every unit of the level, payload bounded, and the village map of an area sending that area's villages only."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from bangfu import indicators as ind
from bangfu.maps import overview as om
from bangfu.maps import units as mu
from bangfu.workspace import areas, store

METRIC = "EPSG:32651"  # UTM 51N: Liaoning, for areas in m²


@pytest.fixture(scope="module")
def layers(province_gpkg: Path) -> dict[str, gpd.GeoDataFrame]:
    return {n: store.read_layer(province_gpkg, n) for n in ("villages", "roads", "pairings", "tourism_sites",
                                                             "enterprises")}


@pytest.fixture(scope="module")
def table(layers) -> gpd.GeoDataFrame:
    return ind.overview_villages(layers["villages"], roads=layers["roads"], pairings=layers["pairings"],
                                 as_of="2020-12-31")


def _summary(table: pd.DataFrame, level: str) -> pd.DataFrame:
    return ind.unit_summary(table, level).rename(columns={"town_code": "area_code", "town_name": "area_name"})


@pytest.mark.parametrize("level", ["city", "county", "town"])
def test_units_cover_their_villages_like_geopandas_dissolve(layers, level: str):
    v = layers["villages"]
    spec = next(lv for lv in areas.LEVELS if lv.key == level)
    oracle = v.assign(_u=v["village_code"].astype(str).str[: spec.digits]).dissolve("_u").to_crs(METRIC)
    units = areas.unit_polygons(v, level).set_index("code")
    assert sorted(units.index) == sorted(oracle.index)
    exact = units.to_crs(METRIC).area
    assert np.allclose(exact.loc[oracle.index], oracle.area, rtol=1e-6)
    # simplified for the province view: every unit keeps its area within 2 %, the units still tile the province
    tol, precision = mu.view_tolerance(shapely.total_bounds(v.geometry.values))
    simple = mu.simplify_units(areas.unit_polygons(v, level), tol, precision).set_index("code").to_crs(METRIC)
    assert simple.geometry.is_valid.all()
    assert np.allclose(simple.area.loc[oracle.index], oracle.area, rtol=0.02)
    union = shapely.union_all(simple.geometry.values).area
    assert simple.area.sum() == pytest.approx(union, rel=1e-3)  # no overlaps between neighbours
    assert union == pytest.approx(oracle.area.sum(), rel=0.01)  # and no gaps
    coords = shapely.get_coordinates(simple.to_crs("EPSG:4326").geometry.values)
    assert np.allclose(coords, np.round(coords, precision))
    assert shapely.get_num_coordinates(simple.geometry.values).sum() < shapely.get_num_coordinates(
        units.geometry.values).sum()


def test_view_tolerance_follows_the_extent():
    province, county = mu.view_tolerance((118.8, 38.7, 125.8, 43.5)), mu.view_tolerance((123.0, 41.0, 123.5, 41.4))
    assert province[0] > county[0] and province[1] <= county[1]
    for tol, _ in (province, county):
        assert np.log2(tol) == int(np.log2(tol))  # one value per zoom step
    assert 0.001 < province[0] < 0.005 and 0.0001 < county[0] < 0.0005


def test_levels_and_defaults(layers):
    v = layers["villages"]
    whole = areas.whole_area(v)
    assert whole.level == "province"
    city, county, town = areas.area_by_code(v, "2101"), areas.area_by_code(v, "210102"), \
        areas.level_areas(v, "town")[0]
    assert mu.unit_levels(whole, 16727) == ("city", "village")  # a whole province: its villages from tiles
    assert mu.uses_tiles("village", 16727) and not mu.uses_tiles("city", 16727)
    assert mu.unit_levels(whole, len(v)) == ("city", "village") and not mu.uses_tiles("village", len(v))
    assert mu.town_of("210102001203") == "210102001"
    assert mu.default_unit(whole, whole, len(v)) == "city"
    assert mu.default_unit(city, whole, 100) == "county"
    assert mu.default_unit(county, whole, 100) == "town"
    assert mu.default_unit(town, whole, 10) == "village"
    kaiping = areas.Area("county", "440783", "开平市")
    assert mu.default_unit(kaiping, kaiping, 250) == "village"  # a one-county workspace keeps its village map
    assert not mu.overlays_allowed(whole, "village") and not mu.overlays_allowed(county, "town")
    assert mu.overlays_allowed(county, "village") and mu.overlays_allowed(town, "village")


@pytest.mark.parametrize("code,level", [("", "city"), ("2101", "county"), ("210202", "town")])
def test_unit_map_shows_the_units_with_totals_and_rates_from_totals(layers, table, code: str, level: str):
    v = layers["villages"]
    area = areas.area_by_code(v, code) if code else areas.whole_area(v)
    summary = _summary(table, level)
    tol, precision = mu.view_tolerance(shapely.total_bounds(v.geometry.values[area.village_mask(v)]))
    shapes = mu.simplify_units(areas.unit_polygons(v, level), tol, precision)
    data = mu.prepare_units(summary, shapes, area, level=level, options=mu.UnitOptions(), precision=precision)
    units = data.layer("units")
    assert units is not None
    props = {f["properties"]["u"]: f["properties"] for f in units.data["features"]}
    # oracle: a plain groupby of the area's villages by the code prefix
    spec = next(lv for lv in areas.LEVELS if lv.key == level)
    mine = pd.DataFrame(table[area.village_mask(table)].drop(columns="geometry"))
    g = mine.assign(_u=mine["village_code"].astype(str).str[: spec.digits]).groupby("_u")
    assert set(props) == set(g.groups)
    for u, rows in g:
        p = props[u]
        assert p["v"] == len(rows) and p["h"] == int(rows["households"].sum())
        assert p["p"] == int(rows["poor_households"].sum())
        assert p["d"] == pytest.approx(rows["poor_households"].sum() / rows["area_km2"].sum(), abs=0.051)
        assert p["i"] == f"{100 * rows['poor_households'].sum() / rows['households'].sum():.1f}%"
    # classes over every unit of the level in the workspace (not only the ones drawn)
    choro = ind.choropleth(summary, "poverty_density")
    fills = dict(zip(summary["area_code"].astype(str), choro.fills(summary)))
    for f in units.data["features"]:
        assert units.styles[f["properties"]["s"]]["fillColor"] == fills[f["properties"]["u"]]
    assert mu.unit_ref(f["properties"]) == f["properties"]["u"]
    # labels: one per unit drawn (at most LABEL_MAX)
    assert len(data.town_labels) == min(len(props), om.LABEL_MAX) or len(props) > om.LABEL_MAX
    legend_title = data.legend.title
    assert "贫困密度" in legend_title


def test_province_map_payload_is_bounded(layers, table):
    """The province view of the small fixture sends a few tens of kB; every village of it (the old map) sends more
    than five times as much."""
    v = layers["villages"]
    whole = areas.whole_area(v)
    tol, precision = mu.view_tolerance(shapely.total_bounds(v.geometry.values))
    shapes = mu.simplify_units(areas.unit_polygons(v, "city"), tol, precision)
    units = om.build_overview_map(mu.prepare_units(_summary(table, "city"), shapes, whole, level="city",
                                                   options=mu.UnitOptions(), precision=precision))
    villages = om.build_overview_map(om.prepare_overview(table, options=om.MapOptions(), roads=layers["roads"],
                                                         sites=layers["tourism_sites"]))
    small, big = om.payload_bytes(units), om.payload_bytes(villages)
    assert small < 100_000, small
    assert small * 5 < big, (small, big)
    assert '"u":"2101"' in om.map_html(units)  # each unit carries its code (a click drills down)


def test_village_map_of_an_area_sends_its_villages_only(layers, table):
    """``only_area`` (a province workspace): the county's villages only, each with its colour of the whole map."""
    county = "210102"
    full = om.prepare_overview(table, options=om.MapOptions())
    part = om.prepare_overview(table, options=om.MapOptions(town_code=county, only_area=True, overlays=False),
                               roads=layers["roads"], sites=layers["tourism_sites"], enterprises=layers["enterprises"])
    codes = set(part.village_styles)
    assert codes == set(table.loc[table["county_code"].astype(str) == county, "village_code"].astype(str))
    whole_fill = {c: s["fillColor"] for c, s in full.village_styles.items()}
    assert all(part.village_styles[c]["fillColor"] == whole_fill[c] for c in codes)
    assert part.layer("roads") is None and part.layer("tourism") is None and part.layer("enterprises") is None
    minx, miny, maxx, maxy = part.bounds
    inside = table[table["county_code"].astype(str) == county].total_bounds
    assert minx >= inside[0] - 1e-3 and maxx <= inside[2] + 1e-3


def test_village_map_of_an_area_sends_its_overlays_only(layers, table):
    """With overlays (a county of a big workspace): the county's roads, sites and enterprises (and those paired with
    its villages), by the one area rule over every village — not the whole layer."""
    county = "210102"
    area = areas.area_for(table, county)
    roads, sites, ents = layers["roads"], layers["tourism_sites"], layers["enterprises"]
    part = om.prepare_overview(table, options=om.MapOptions(town_code=county, only_area=True), roads=roads,
                               sites=sites, enterprises=ents,
                               active_pairings=ind.simple_active_pairings(layers["pairings"], "2020-12-31"))
    n_roads = int(areas.in_area(area, "roads", roads, villages=table).sum())
    assert 0 < n_roads < len(roads)
    assert part.layer("roads").n_features == n_roads
    n_sites = len(areas.area_slice(area, "tourism_sites", sites, villages=table))
    assert (part.layer("tourism").n_features if part.layer("tourism") else 0) == n_sites < len(sites)
    inside = int(areas.in_area(area, "enterprises", ents, villages=table).sum())
    shown = part.layer("enterprises").n_features if part.layer("enterprises") else 0
    assert inside <= shown < len(ents)
