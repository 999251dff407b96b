"""The one area filter (bangfu.workspace.areas) against independent geopandas overlays and joins.

Hand-built layers (``factories.Network`` with ``extra=True``: villages A, B in town T1 and C, D in town
T2, 1 km squares side by side along x, metric CRS) with a road crossing the T1|T2 border (R7), a road
leaving the county (R8), a household lying in another village than its recorded one (H5), points on
borders (H7, H8) and outside every village (H6).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from bangfu import indicators as ind
from bangfu.geo.overlay import locate_points, road_pieces
from bangfu.workspace import areas
from bangfu.workspace.schema import LAYERS
from factories import Network, enterprises, pairings, projects

CODES, CRS, T1, T2 = Network.CODES, Network.CRS, Network.T1, Network.T2


def _oracle_town_km(roads: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """Road km per (town, status) by geopandas: overlay with the villages, plus each road's part outside
    every village counted in its recorded village's town."""
    cols = ["road_id", "status", "village_code", "geometry"]
    r = roads[cols].rename(columns={"village_code": "recorded"})
    inside = gpd.overlay(r, villages[["town_code", "geometry"]], how="intersection", keep_geom_type=True)
    outside = gpd.overlay(r, villages[["geometry"]].dissolve(), how="difference", keep_geom_type=True)
    town_of = dict(zip(villages["village_code"], villages["town_code"]))
    outside["town_code"] = outside["recorded"].map(town_of)
    parts = pd.concat([inside, outside], ignore_index=True)
    parts["km"] = parts.length / 1000
    return parts[parts["km"] > 1e-9].groupby(["town_code", "status"])["km"].sum().unstack(fill_value=0.0)


def test_every_layer_has_exactly_one_rule():
    assert set(areas.AREA_RULES) == set(LAYERS)
    for name, rule in areas.AREA_RULES.items():
        if rule.kind == "parent":
            assert rule.parent in LAYERS and rule.key in LAYERS[name].column_names, name


def test_areas_of_the_workspace():
    v = Network.villages()
    whole = areas.area_for(v, None)
    assert (whole.level, whole.code, whole.name) == ("county", "440783", "开平市") and whole.holds_all(v)
    t1 = areas.area_for(v, T1)
    assert (t1.level, t1.code, t1.name, t1.town_code) == ("town", T1, "一镇", T1)
    assert list(t1.village_mask(v)) == [True, True, False, False] and not t1.holds_all(v)
    assert [a.code for a in areas.town_areas(v)] == [T1, T2]
    # without the code column, the area code is the prefix of the 12-digit village code
    assert list(t1.village_mask(v.drop(columns="town_code"))) == [True, True, False, False]
    with pytest.raises(areas.AreaError, match="440783999") as err:
        areas.area_for(v, "440783999")
    assert T1 in err.value.message_en and isinstance(err.value, ValueError)
    with pytest.raises(ValueError, match="unknown area level"):
        areas.Area("hamlet", "1", "x")


def test_roads_belong_by_their_pieces_and_match_the_overlay():
    v, r = Network.villages(), Network.roads(extra=True)
    pieces = road_pieces(r, v)
    oracle = _oracle_town_km(r, v)
    for town in (T1, T2):
        area = areas.town_area(v, town)
        inside = areas.area_pieces(area, pieces, v)
        km = inside.groupby("status")["length_km"].sum()
        expected = oracle.loc[town]
        assert km.reindex(expected.index, fill_value=0.0).to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-9)
        rates = ind.hardening_rates(inside, areas.area_slice(area, "villages", v), level="county").iloc[0]
        assert rates["rate_pct"] == pytest.approx(expected.get("completed", 0.0) / expected.sum() * 100, abs=1e-9)
    t1 = areas.town_area(v, T1)
    # R7 (recorded in C, town T2) runs 700 m in B: it belongs to both towns, its km are split
    assert set(areas.area_slice(t1, "roads", r, villages=v)["road_id"]) == {"R1", "R3", "R4", "R7"}
    assert set(areas.area_slice(areas.town_area(v, T2), "roads", r, villages=v)["road_id"]) == {"R2", "R5", "R6",
                                                                                              "R7", "R8"}
    r7 = areas.area_pieces(t1, pieces, v).query("road_id == 'R7'")["length_km"].sum()
    assert r7 == pytest.approx(0.7)
    # hardened km of T1: R1 (1.0 km in A and B) and R7's 0.7 km in B; the old rule (the road's own
    # village_code) gave T1 none of R7 and T2 all of it
    assert oracle.loc[T1, "completed"] == pytest.approx(1.0 + 0.7)
    assert areas.area_pieces(t1, pieces, v).query("status == 'completed'")["length_km"].sum() == pytest.approx(1.7)


def test_pieces_given_or_computed_give_the_same_slice():
    v, r = Network.villages(), Network.roads(extra=True)
    t2 = areas.town_area(v, T2)
    computed = areas.area_slice(t2, "roads", r, villages=v)
    given_ = areas.area_slice(t2, "roads", r, villages=v, pieces=road_pieces(r, v))
    assert computed["road_id"].tolist() == given_["road_id"].tolist()


def _sjoin_villages(points: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> np.ndarray:
    """Independent point rule: the village whose polygon contains the point (sjoin), else the recorded one."""
    j = gpd.sjoin(points[["geometry"]], villages[["village_code", "geometry"]], how="left", predicate="within")
    j = j[~j.index.duplicated()]["village_code"].reindex(points.index)
    return j.fillna(points["village_code"]).to_numpy(dtype=object)


def test_points_belong_where_they_lie():
    v, h = Network.villages(), Network.households(extra=True)
    got = locate_points(h, v, recorded=h["village_code"])
    expected = dict(zip(h["household_id"], _sjoin_villages(h, v)))
    # strictly inside or outside: the sjoin oracle
    for hid in ("H0", "H1", "H2", "H3", "H4", "H5", "H6"):
        assert got[h.index[h["household_id"] == hid][0]] == expected[hid], hid
    assert got[5] == CODES["C"] and got[6] == CODES["D"]  # H5 lies in C; H6 is outside: recorded D
    # on the A|B border: the recorded village when it touches the point (H7: B), else the lowest code (H8: A)
    assert (got[7], got[8]) == (CODES["B"], CODES["A"])
    t1, t2 = areas.town_area(v, T1), areas.town_area(v, T2)
    assert set(areas.area_slice(t1, "households", h, villages=v)["household_id"]) == {"H0", "H1", "H7", "H8"}
    assert set(areas.area_slice(t2, "households", h, villages=v)["household_id"]) == {"H2", "H3", "H4", "H5", "H6"}
    # other CRS, missing geometry, no recorded code
    moved = h.to_crs("EPSG:4326")
    moved.loc[0, "geometry"] = None
    out = locate_points(moved, v, recorded=None)
    assert out[0] is None and out[5] == CODES["C"] and out[6] is None


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-500, 4500), st.floats(-500, 1500), st.sampled_from(sorted(CODES))),
                min_size=1, max_size=40))
def test_point_rule_equals_sjoin(spec):
    v = Network.villages()
    pts = gpd.GeoDataFrame({"village_code": [CODES[c] for _, _, c in spec]},
                           geometry=[shapely.Point(Network.xy(x, y)) for x, y, _ in spec], crs=CRS)
    edges = shapely.union_all(shapely.boundary(np.asarray(v.geometry.values, dtype=object)))
    on_edge = shapely.distance(np.asarray(pts.geometry.values, dtype=object), edges) < 1e-6  # ties: other test
    got = locate_points(pts, v, recorded=pts["village_code"])
    assert (got[~on_edge] == _sjoin_villages(pts, v)[~on_edge]).all()


def test_enterprises_without_a_village_belong_to_no_town_but_to_the_whole_workspace():
    v = Network.villages()
    ent = enterprises([{"enterprise_id": "E1", "xy": Network.xy(2500, 500)},  # in C
                       {"enterprise_id": "E2", "xy": Network.xy(9000, 500)}], crs=CRS)  # outside every village
    assert areas.area_slice(areas.town_area(v, T2), "enterprises", ent, villages=v)["enterprise_id"].tolist() == ["E1"]
    assert areas.area_slice(areas.town_area(v, T1), "enterprises", ent, villages=v).empty
    assert len(areas.area_slice(areas.whole_area(v), "enterprises", ent, villages=v)) == 2


def test_pairings_and_projects_belong_by_their_village():
    v = Network.villages()
    pair = pairings([{"pairing_id": "P1", "enterprise_id": "E1", "village_code": CODES["A"]},
                     {"pairing_id": "P2", "enterprise_id": "E1", "village_code": CODES["D"]}])
    proj = projects([  # J1 recorded in A but drawn in C: it stays A's (one budget item of A)
        {"project_id": "J1", "village_code": CODES["A"], "xy": Network.xy(2500, 500)},
        {"project_id": "J2", "village_code": CODES["C"], "xy": Network.xy(2500, 600)},
    ], crs=CRS, project_type="bridge", cost_wan=10.0)
    t1 = areas.town_area(v, T1)
    assert areas.area_slice(t1, "pairings", pair, villages=v)["pairing_id"].tolist() == ["P1"]
    assert areas.area_slice(t1, "projects", proj, villages=v)["project_id"].tolist() == ["J1"]


def test_histories_follow_their_road_or_pairing():
    v, r = Network.villages(), Network.roads(extra=True)
    progress = pd.DataFrame({"change_id": [1, 2, 3], "road_id": ["R7", "R2", "R3"]})
    t1 = areas.town_area(v, T1)
    assert areas.area_slice(t1, "road_progress", progress, villages=v, parent=r)["road_id"].tolist() == ["R7", "R3"]
    with pytest.raises(ValueError, match="parent="):
        areas.area_slice(t1, "road_progress", progress, villages=v)
    with pytest.raises(ValueError, match="villages="):
        areas.area_slice(t1, "roads", r)


def test_whole_workspace_keeps_every_row():
    v, r, h = Network.villages(), Network.roads(extra=True), Network.households(extra=True)
    whole = areas.whole_area(v)
    assert areas.area_slice(whole, "households", h, villages=v) is h  # also H6, outside every village
    assert areas.area_slice(whole, "roads", r, villages=v) is r
    pieces = road_pieces(r, v)
    assert areas.area_pieces(whole, pieces, v) is pieces


def test_area_layers_slice_lazily_and_consistently():
    v, r, h = Network.villages(), Network.roads(extra=True), Network.households(extra=True)
    data = {"villages": v, "roads": r, "households": h}
    calls: list[str] = []

    def loader(name: str) -> pd.DataFrame:
        calls.append(name)
        return data[name]

    sl = areas.AreaLayers(loader, areas.town_area(v, T1))
    assert set(sl.layer("roads")["road_id"]) == {"R1", "R3", "R4", "R7"}
    assert set(sl.layer(areas.PIECES)["road_id"]) == {"R1", "R3", "R4", "R7"}
    assert set(sl.layer("households")["household_id"]) == {"H0", "H1", "H7", "H8"}
    assert len(sl.full("roads")) == 8 and calls.count("roads") == 1  # read once
    # a table that is no layer (a portfolio, a list of villages) belongs by its village_code
    portfolio = pd.DataFrame({"project_id": ["J1", "J2"], "village_code": [CODES["B"], CODES["C"]]})
    assert sl.restrict("portfolio", portfolio)["project_id"].tolist() == ["J1"]
    with pytest.raises(KeyError, match="no area rule"):
        sl.restrict("portfolio", portfolio.drop(columns="village_code"))
    whole = areas.AreaLayers(loader)
    assert whole.area == areas.whole_area(v) and whole.layer("households") is h
