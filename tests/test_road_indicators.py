"""Road indicators against a hand-computed network: length split by village, rates, years, access share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from bangfu import indicators as ind
from bangfu.geo.proximity import points_within
from bangfu.workspace import areas
from factories import Network

CODES, CRS, T1, T2 = Network.CODES, Network.CRS, Network.T1, Network.T2


@pytest.fixture(scope="module")
def pieces() -> pd.DataFrame:
    return ind.road_pieces(Network.roads(), Network.villages())


def test_crossing_road_is_split_by_village(pieces: pd.DataFrame):
    r1 = pieces[pieces.road_id == "R1"].set_index("village_code")["length_km"]
    assert r1.to_dict() == pytest.approx({CODES["A"]: 0.5, CODES["B"]: 0.5}, abs=1e-9)
    by_road = pieces.groupby("road_id")["length_km"].sum()
    expected = {"R1": 1.0, "R2": 0.6, "R3": 0.8, "R4": 0.6, "R5": 0.3, "R6": 0.8}
    assert by_road.to_dict() == pytest.approx(expected, abs=1e-9)


def test_village_town_county_rates(pieces: pd.DataFrame):
    v = ind.hardening_rates(pieces, Network.villages(), level="village").set_index("village_code")
    assert v.loc[CODES["A"], "total_km"] == pytest.approx(1.3)
    assert v.loc[CODES["A"], "rate_pct"] == pytest.approx(50 / 1.3)
    assert v.loc[CODES["B"], "rate_pct"] == pytest.approx(50 / 1.1)
    assert v.loc[CODES["C"], "rate_pct"] == pytest.approx(30 / 0.9)
    assert v.loc[CODES["C"], "under_construction_km"] == pytest.approx(0.6)
    assert v.loc[CODES["D"], "rate_pct"] == 0.0
    assert v["reached"].to_dict() == {CODES["A"]: True, CODES["B"]: True, CODES["C"]: True, CODES["D"]: False}
    t = ind.hardening_rates(pieces, Network.villages(), level="town").set_index("town_code")
    assert t.loc[T1, "rate_pct"] == pytest.approx(100 / 2.4)
    assert t.loc[T2, "rate_pct"] == pytest.approx(30 / 1.7)
    c = ind.hardening_rates(pieces, Network.villages(), level="county")
    assert len(c) == 1 and c.loc[0, "total_km"] == pytest.approx(4.1)
    assert c.loc[0, "rate_pct"] == pytest.approx(130 / 4.1)


def test_unreached_villages_come_first_and_roadless_village_has_no_rate():
    villages = Network.villages()
    extra = villages.iloc[[3]].copy()
    extra["village_code"] = f"{T2}203"
    extra["geometry"] = [shapely.box(*Network.xy(4000, 0), *Network.xy(5000, 1000))]
    vs = pd.concat([villages, extra], ignore_index=True)
    table = ind.village_progress(ind.road_pieces(Network.roads(), vs), vs)
    assert list(table["village_code"][:2]) == [f"{T2}203", CODES["D"]]
    assert np.isnan(table.loc[0, "rate_pct"]) and not table.loc[:1, "reached"].any()
    assert table.loc[2:, "reached"].all()


def test_road_on_a_shared_border_is_not_counted_twice():
    roads = Network.roads().iloc[[0]].copy()
    roads["geometry"] = [shapely.LineString([Network.xy(1000, 100), Network.xy(1000, 900)])]
    p = ind.road_pieces(roads, Network.villages())
    assert p["length_km"].sum() == pytest.approx(0.8)


def test_road_leaving_the_county_keeps_its_outside_part():
    roads = Network.roads().iloc[[0]].copy()
    roads["geometry"] = [shapely.LineString([Network.xy(500, 500), Network.xy(500, -700)])]
    p = ind.road_pieces(roads, Network.villages()).set_index("village_code")["length_km"]
    assert p.sum() == pytest.approx(1.2) and p[CODES["A"]].sum() == pytest.approx(1.2)


def test_km_by_year_and_targets(pieces: pd.DataFrame):
    by = ind.km_by_year(pieces).set_index("year")
    assert by.loc[2019, "completed_km"] == pytest.approx(1.0) and by.loc[2020, "completed_km"] == pytest.approx(0.3)
    assert by.loc[2020, "cumulative_rate_pct"] == pytest.approx(130 / 4.1)
    rate = ind.progress_vs_target(pieces, ind.RoadTarget("rate", {2020: 50, 2021: 100})).set_index("year")
    assert rate.loc[2020, "target_km"] == pytest.approx(2.05) and rate.loc[2021, "target_km"] == pytest.approx(4.1)
    assert rate.loc[2020, "gap_km"] == pytest.approx(1.3 - 2.05)
    km = ind.progress_vs_target(pieces, ind.RoadTarget("km", {2020: 1.0, 2021: 1.0})).set_index("year")
    assert km.loc[2020, "target_km"] == pytest.approx(2.0) and km.loc[2021, "target_km"] == pytest.approx(3.0)
    assert km.loc[2021, "cumulative_km"] == pytest.approx(1.3)


def test_filter_roads_by_town_status_class_year():
    r, v = Network.roads(), Network.villages()
    # the town is the area slice (bangfu.workspace.areas), the other filters are filter_roads
    assert set(areas.area_slice(areas.town_area(v, T1), "roads", r, villages=v)["road_id"]) == {"R1", "R3", "R4"}
    assert set(ind.filter_roads(r, statuses=["completed"])["road_id"]) == {"R1", "R5"}
    assert ind.filter_roads(r, classes=["县道"]).empty
    assert set(ind.filter_roads(r, years=(2020, 2021))["road_id"]) == {"R2", "R3", "R4", "R5", "R6"}


def test_access_shares_hand_computed():
    v = Network.villages()
    hh = ind.prepare_households(Network.households(), v, crs=CRS)
    t = ind.access_shares(hh, Network.roads(), v, distance_m=200).set_index("town_code")
    assert t.loc[T1, ["households", "households_within", "poor", "poor_within"]].tolist() == [2, 1, 1, 1]
    assert t.loc[T2, ["households", "households_within", "poor", "poor_within"]].tolist() == [3, 1, 2, 0]
    # H2 at exactly 200 m from the road under construction counts (distance <= d)
    assert t.loc[T2, ["households_within_if", "poor_within_if"]].tolist() == [2, 1]
    county = t.loc[""]
    assert county["share_pct"] == pytest.approx(40.0) and county["poor_share_pct"] == pytest.approx(100 / 3)
    assert county["share_if_pct"] == pytest.approx(60.0) and county["poor_share_if_pct"] == pytest.approx(200 / 3)
    assert county["gain_pct"] == pytest.approx(20.0)
    assert county["town_name"] == "开平市"
    wide = ind.access_shares(hh, Network.roads(), v, distance_m=2000).set_index("town_code")
    assert wide.loc["", "share_pct"] == pytest.approx(100.0)


def test_access_share_with_no_households_or_roads():
    v = Network.villages()
    hh = ind.prepare_households(Network.households().iloc[:0], v, crs=CRS)
    t = ind.access_shares(hh, Network.roads(), v)
    assert t["share_pct"].isna().all()
    hh = ind.prepare_households(Network.households(), v, crs=CRS)
    t = ind.access_shares(hh, Network.roads().iloc[:0], v)
    assert (t["households_within"] == 0).all()


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    distance=st.sampled_from([0.0, 0.3, 50.0, 333.3, 2000.0]),
)
def test_access_zone_equals_dwithin_oracle(seed: int, distance: float):
    rng = np.random.default_rng(seed)
    lines = [shapely.LineString(rng.uniform(0, 5000, (rng.integers(2, 5), 2))) for _ in range(rng.integers(1, 8))]
    pts = rng.uniform(-500, 5500, (400, 2))
    # put some points at exactly the distance from a vertex
    pts[:20] = np.asarray(lines[0].coords)[0] + np.column_stack([np.full(20, distance), np.zeros(20)])
    zone = ind.AccessZone.build(lines, distance)
    got = zone.contains(pts)
    oracle = points_within(np.array(lines, dtype=object), pts, distance)
    dist = np.array([min(ln.distance(shapely.Point(p)) for ln in lines) for p in pts])
    assert (got == oracle).all()
    # brute force agrees away from the last float bit of the boundary (there GEOS dwithin decides)
    clear = np.abs(dist - distance) > 1e-6
    assert (got[clear] == (dist[clear] <= distance)).all()
