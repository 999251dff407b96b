"""Catchments against an independent oracle (geopandas sjoin with buffers), the edge rule, fallbacks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings, strategies as st

from bangfu.geo import proximity
from bangfu.planning import coverage, project_types
from bangfu.planning import solvers as pl
from factories import planning_layers

CRS = "EPSG:32649"


def _random_features(rng: np.random.Generator, n: int) -> np.ndarray:
    out = []
    for i in range(n):
        x, y = rng.uniform(0, 5000, 2)
        kind = i % 4
        if kind == 0:
            out.append(shapely.Point(x, y))
        elif kind == 1:
            steps = np.cumsum(rng.normal(0, 300, (int(rng.integers(2, 30)), 2)), axis=0)
            out.append(shapely.LineString(steps + [x, y]))
        elif kind == 2:
            out.append(shapely.MultiLineString([[(x, y), (x + 500, y + 80)], [(x, y + 900), (x - 300, y + 1500)]]))
        else:
            out.append(shapely.Point(x, y).buffer(rng.uniform(50, 600), quad_segs=3))
    return np.array(out, dtype=object)


def _oracle(features: np.ndarray, points: np.ndarray, d: np.ndarray) -> set[tuple[int, int]]:
    """geopandas sjoin of the points with finely segmented buffers."""
    buf = gpd.GeoDataFrame({"f": np.arange(len(features))}, geometry=shapely.buffer(features, d, quad_segs=256), crs=CRS)
    pts = gpd.GeoDataFrame({"p": np.arange(len(points))}, geometry=shapely.points(points), crs=CRS)
    j = gpd.sjoin(pts, buf, predicate="intersects")
    return set(zip(j["f"].tolist(), j["p"].tolist()))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), n_f=st.integers(1, 12), n_p=st.integers(0, 400), d=st.sampled_from([0.0, 150.0, 1000.0, 2000.0]))
def test_pairs_equal_sjoin_oracle(seed, n_f, n_p, d):
    rng = np.random.default_rng(seed)
    feats = _random_features(rng, n_f)
    pts = rng.uniform(-2000, 7000, (n_p, 2))
    dist = np.where(rng.random(n_f) < 0.5, d, d / 2)
    pairs = proximity.pairs_within(feats, pts, dist)
    got = set(zip(pairs.feature.tolist(), pairs.point.tolist()))
    # households within a hair of a catchment edge are decided by the rule test below (buffers are polygons)
    true_d = shapely.distance(feats[:, None], shapely.points(pts)[None, :]) if n_p else np.zeros((n_f, 0))
    near = np.abs(true_d - dist[:, None]) <= 1e-3 * np.maximum(dist[:, None], 1.0)
    fuzzy = {(int(f), int(p)) for f, p in zip(*np.nonzero(near))}
    assert got - fuzzy == _oracle(feats, pts, dist) - fuzzy
    assert got == {(int(f), int(p)) for f, p in zip(*np.nonzero(true_d <= dist[:, None]))} | (got & fuzzy)
    assert list(zip(pairs.feature, pairs.point)) == sorted(zip(pairs.feature, pairs.point))


@pytest.mark.parametrize("d", [1.0, 250.0, 2000.0, 2500.0])
def test_edge_rule_distance_equal_counts(d):
    """Points placed exactly at distance d along each axis count; a millimetre further does not."""
    proj = np.array([shapely.Point(1000.0, 1000.0), shapely.LineString([(0, 50000), (3000, 50000)])], dtype=object)
    on_edge = [(1000 + d, 1000), (1000 - d, 1000), (1000, 1000 + d), (1000, 1000 - d), (1500, 50000 + d), (1500, 50000 - d), (3000 + d, 50000)]
    outside = [(1000 + d + 1e-3, 1000), (1000, 1000 - d - 1e-3), (1500, 50000 + d + 1e-3), (3000 + d + 1e-3, 50000)]
    pairs = proximity.pairs_within(proj, np.array(on_edge + outside), d)
    got = set(zip(pairs.feature.tolist(), pairs.point.tolist()))
    assert got == {(0, 0), (0, 1), (0, 2), (0, 3), (1, 4), (1, 5), (1, 6)}


def test_pairs_accept_geoseries_and_missing_points():
    pts = gpd.GeoSeries([shapely.Point(0, 0), None, shapely.Point(5, 0), shapely.Point()], crs=CRS)
    pairs = proximity.pairs_within(np.array([shapely.Point(0, 0)]), pts, 5.0)
    assert pairs.point.tolist() == [0, 2]
    assert proximity.points_within(np.array([shapely.Point(0, 0)]), pts, 1.0).tolist() == [True, False, False, False]
    with pytest.raises(ValueError):
        proximity.pairs_within(np.array([shapely.Point(0, 0)]), pts, -1.0)


def test_project_type_table_matches_schema():
    from bangfu.workspace.schema import PROJECT_TYPES

    assert tuple(project_types.PROJECT_TYPE_TABLE) == PROJECT_TYPES
    assert project_types.PROJECT_TYPE_TABLE["road_hardening"].distance_m == 2000
    with pytest.raises(ValueError, match="road_hardening"):
        project_types.project_type("airport")


# --------------------------------------------------------------------------- layers → coverage


def _layers(rng: np.random.Generator, n_hh: int = 600):
    """(villages, households, projects, roads) of :func:`factories.planning_layers`."""
    layers = planning_layers(rng, n_hh)
    return layers["villages"], layers["households"], layers["projects"], layers["roads"]


DIST = {"drinking_water": 400.0, "road_hardening": 600.0, "bridge": 700.0, "irrigation": 300.0}


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), new_only=st.booleans())
def test_coverage_counts_equal_sjoin_oracle(seed, new_only):
    villages, hh, projects, roads = _layers(np.random.default_rng(seed))
    cov = coverage.build_coverage(projects, villages, hh, roads, distances=DIST, new_access_only=new_only)
    assert list(cov.projects["project_id"]) == ["W1", "R1", "B1", "D1"]  # the completed one is not a candidate
    counts = pl.standalone_counts(cov).set_index(cov.projects["project_id"])
    # oracle: buffers + sjoin in the same metric CRS, computed independently
    vm, pm, hm, rm = proximity.to_metric(villages, projects, hh, roads)
    cand = pm[pm["status"] != "completed"].copy()
    cand["geometry"] = cand.buffer(cand["project_type"].map(DIST).to_numpy(), quad_segs=256)
    j = gpd.sjoin(hm, cand[["project_id", "project_type", "geometry"]], predicate="intersects")
    if new_only:
        served_water = gpd.sjoin(hm, gpd.GeoDataFrame(geometry=pm[pm["status"] == "completed"].buffer(DIST["drinking_water"], quad_segs=256)), predicate="intersects").index
        served_road = gpd.sjoin(hm, gpd.GeoDataFrame(geometry=rm[rm["status"] == "completed"].buffer(DIST["road_hardening"], quad_segs=256)), predicate="intersects").index
        drop = ((j["project_type"] == "drinking_water") & j.index.isin(served_water)) | ((j["project_type"] == "road_hardening") & j.index.isin(served_road))
        j = j[~drop]
    old = hm["village_code"].map(villages.set_index("village_code")["is_old_district"]).astype(bool)
    key = hm["village_code"].map(villages.set_index("village_code")["is_key_village"]).astype(bool)
    j = j.assign(poor=hm.loc[j.index, "is_poor"].astype(int), people=(hm["members"] * hm["is_poor"]).loc[j.index], old=old.loc[j.index].astype(int), key=key.loc[j.index].astype(int))
    expect = j.groupby("project_id").agg(households=("poor", "size"), poor_households=("poor", "sum"), poor_people=("people", "sum"), old_households=("old", "sum"), key_households=("key", "sum"))
    expect = expect.reindex(counts.index, fill_value=0)
    # households within a hair of an edge (buffers are polygons) may differ: allow only those
    edge = np.zeros(len(cov.projects))
    for i, row in cand.reset_index(drop=True).iterrows():
        geom = pm[pm["project_id"] == row["project_id"]].geometry.iloc[0]
        dd = hm.distance(geom)
        edge[i] = (np.abs(dd - DIST[row["project_type"]]) < 0.5).sum()
    diff = (counts["households"].to_numpy() - expect["households"].to_numpy())
    assert (np.abs(diff) <= edge).all(), (counts, expect)
    if edge.sum() == 0:
        pd.testing.assert_frame_equal(counts.astype(float), expect.astype(float), check_names=False)


def test_village_area_fallback_uses_area_shares():
    villages, _hh, projects, roads = _layers(np.random.default_rng(1))
    cov = coverage.build_coverage(projects, villages, None, roads, distances=DIST)
    assert cov.method == "village_area"
    counts = pl.standalone_counts(cov).set_index(cov.projects["project_id"])
    vm, pm = proximity.to_metric(villages, projects)
    for pid in ["W1", "B1", "R1", "D1"]:
        p = pm[pm["project_id"] == pid].iloc[0]
        buf = shapely.buffer(p.geometry, DIST[p["project_type"]], quad_segs=16)
        share = shapely.area(shapely.intersection(vm.geometry.values, buf)) / vm.area.to_numpy()
        assert counts.loc[pid, "households"] == pytest.approx(float((share * vm["households"]).sum()), rel=1e-6)
        assert counts.loc[pid, "poor_households"] == pytest.approx(float((share * vm["poor_households"]).sum()), rel=1e-6)
    # a portfolio counts each piece once: all four projects cover at most the county
    g = pl.greedy(cov, {"all": 1}, pl.Constraints(budget=1000))
    assert g.totals["households"] <= villages["households"].sum() + 1e-6


def test_bad_layers_give_chinese_messages():
    villages, hh, projects, roads = _layers(np.random.default_rng(2))
    bad = projects.copy()
    bad.loc[0, "project_type"] = "airport"
    with pytest.raises(pl.PlanningError, match="类型未知"):
        coverage.build_coverage(bad, villages, hh, roads)
    bad = projects.copy()
    bad.loc[1, "cost_wan"] = np.nan
    with pytest.raises(pl.PlanningError, match="R1"):
        coverage.build_coverage(bad, villages, hh, roads)
    far = projects.copy()
    far["geometry"] = [shapely.Point(100, 40)] * len(far)
    cov = coverage.build_coverage(far, villages, hh, roads, distances=DIST)
    assert pl.standalone_counts(cov)["households"].sum() == 0


# --------------------------------------------------------------------------- fast path = GEOS dwithin


def _edge_points(feats: np.ndarray, d: np.ndarray) -> list[tuple[float, float]]:
    """Points exactly at distance d (and a hair inside/outside) of point features and line vertices."""
    out = []
    for g, dd in zip(feats, d):
        for x, y in shapely.get_coordinates(g)[:3]:
            for ox, oy in ((dd, 0.0), (0.0, -dd), (-dd, 0.0), (0.0, dd), (0.6 * dd, 0.8 * dd)):
                out += [(x + ox, y + oy), (x + ox * (1 + 1e-12), y + oy), (x + ox * (1 - 1e-12), y + oy)]
    return out


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 1_000_000),
    n_f=st.integers(1, 10),
    n_p=st.integers(1, 300),
    scale=st.sampled_from([1.0, 50.0, 1000.0, 30000.0]),
    origin=st.sampled_from([0.0, 5e5, 4.4e6]),
)
def test_fast_pairs_equal_geos_dwithin_exactly(seed, n_f, n_p, scale, origin):
    """Row-index pairs = brute-force GEOS dwithin on every (feature, point), edge points included."""
    rng = np.random.default_rng(seed)
    feats = []
    for i in range(n_f):
        x, y = origin + rng.uniform(0, 5 * scale, 2)
        if i % 3 == 0:
            feats.append(shapely.Point(x, y))
        elif i % 3 == 1:
            steps = np.cumsum(rng.normal(0, scale, (int(rng.integers(2, 40)), 2)), axis=0)
            if rng.random() < 0.3:  # axis-aligned pieces and a repeated vertex
                steps = np.round(steps / scale) * scale
            feats.append(shapely.LineString(steps + [x, y]))
        else:
            feats.append(shapely.MultiLineString([[(x, y), (x + scale, y)], [(x, y + 2 * scale), (x, y + 3 * scale)]]))
    feats = np.array(feats, dtype=object)
    d = rng.choice([0.0, 0.01 * scale, 0.5 * scale, 2 * scale, 20 * scale], n_f)
    pts = origin + rng.uniform(-3 * scale, 8 * scale, (n_p, 2))
    pts = np.concatenate([pts, np.array(_edge_points(feats, d)).reshape(-1, 2)])
    pairs = proximity.pairs_within(feats, pts, d)
    got = set(zip(pairs.feature.tolist(), pairs.point.tolist()))
    geos = shapely.dwithin(feats[:, None], shapely.points(pts)[None, :], d[:, None])
    rule = shapely.distance(feats[:, None], shapely.points(pts)[None, :]) <= d[:, None]
    # the rule distance <= d, bit for bit as GEOS computes the distance ...
    assert got == {(int(f), int(p)) for f, p in zip(*np.nonzero(rule))}
    # ... which is GEOS dwithin except where GEOS's own envelope shortcut rounds a point at exactly d out
    assert got - {(int(f), int(p)) for f, p in zip(*np.nonzero(rule & ~geos))} == {(int(f), int(p)) for f, p in zip(*np.nonzero(geos))}
    assert list(zip(pairs.feature, pairs.point)) == sorted(zip(pairs.feature, pairs.point))
    fast = proximity.pairs_within(feats, pts, d, sort_points=False)
    assert (np.diff(fast.feature) >= 0).all()
    assert sorted(zip(fast.feature.tolist(), fast.point.tolist())) == sorted(got)


def _areas(rng: np.random.Generator, n: int, scale: float, origin: float) -> np.ndarray:
    """Irregular polygons (some with a hole), multi-polygons and a collection, as irrigation areas are drawn."""
    out = []
    for i in range(n):
        c = origin + rng.uniform(0, 5 * scale, 2)
        k = int(rng.integers(3, 40))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = scale * rng.uniform(0.2, 1.0, k)
        shell = c + np.c_[np.cos(ang), np.sin(ang)] * r[:, None]
        a = np.linspace(0, 2 * np.pi, 7)[:-1]
        hole = c + np.c_[np.cos(a), np.sin(a)] * 0.1 * r.min()
        poly = shapely.make_valid(shapely.Polygon(shell, [hole] if i % 2 else None))
        if i % 5 == 4:
            poly = shapely.MultiPolygon([shapely.box(*(c - scale), *c), shapely.box(*(c + scale), *(c + 1.5 * scale))])
        if i % 7 == 6:
            poly = shapely.GeometryCollection([shapely.box(*c, *(c + scale)), shapely.LineString([c - scale, c - 2 * scale])])
        out.append(poly)
    return np.array(out, dtype=object)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 1_000_000),
    n_f=st.integers(1, 8),
    n_p=st.integers(1, 300),
    scale=st.sampled_from([1.0, 1000.0, 30000.0]),
    origin=st.sampled_from([0.0, 4.4e6]),
)
def test_area_pairs_equal_the_distance_rule_exactly(seed, n_f, n_p, scale, origin):
    """Polygon projects (inside, or within d of the boundary; holes; multi-parts; collections) = brute force."""
    rng = np.random.default_rng(seed)
    feats = _areas(rng, n_f, scale, origin)
    d = rng.choice([0.0, 0.01 * scale, 0.5 * scale, 2 * scale], n_f)
    pts = origin + rng.uniform(-3 * scale, 8 * scale, (n_p, 2))
    inside = shapely.get_coordinates(shapely.point_on_surface(feats))
    pts = np.concatenate([pts, inside, np.array(_edge_points(feats, d)).reshape(-1, 2)])
    pairs = proximity.pairs_within(feats, pts, d)
    got = list(zip(pairs.feature.tolist(), pairs.point.tolist()))
    rule = shapely.distance(feats[:, None], shapely.points(pts)[None, :]) <= d[:, None]
    assert got == sorted(zip(*(a.tolist() for a in np.nonzero(rule))))


def test_sparse_province_pairs_equal_main_and_geos():
    """The bench's sparse province (small): the same pairs as GEOS dwithin, polygons included."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import instances

    hh, geoms, dist, _, _ = instances.sparse(40_000, 300, polygons=40)
    pairs = proximity.pairs_within(geoms, hh, dist)
    f, p = shapely.STRtree(shapely.points(hh)).query(geoms, predicate="dwithin", distance=dist)
    rule = shapely.distance(geoms[f], shapely.points(hh[p])) <= dist[f]
    assert set(zip(pairs.feature.tolist(), pairs.point.tolist())) == set(zip(f[rule].tolist(), p[rule].tolist()))
    assert len(pairs.feature) > 1_000 and (shapely.get_type_id(geoms[pairs.feature]) == 3).sum() > 100
