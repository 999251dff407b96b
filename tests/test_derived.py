"""Stored aggregates (bangfu.workspace.derived): equal to a direct computation with geopandas (sjoin, groupby,
distances) on the small province and on the Kaiping demo, reused while nothing changed, recomputed for the layers an
edit wrote, and giving the pages' figures (access table, road figures, planning's ranking and portfolios)."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from bangfu.geo.crs import metric_crs
from bangfu.indicators import roads as ri, stored as si
from bangfu.indicators.summary import area_road_figures
from bangfu.planning import run as planning_run, stored as ps
from bangfu.planning.coverage import CANDIDATE_STATUSES
from bangfu.planning.project_types import default_distances
from bangfu.workspace import access, areas, derived, store

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "geodata" / "kaiping_demo.gpkg"


@pytest.fixture(scope="module", params=["province", "demo"])
def ws(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the small province or of the demo, with every derived table computed."""
    src = request.getfixturevalue("province_gpkg") if request.param == "province" else DEMO
    path = tmp_path_factory.mktemp(f"derived-{request.param}") / "ws.gpkg"
    shutil.copy(src, path)
    derived.derive(path)
    return path


@pytest.fixture(scope="module")
def layers(ws: Path) -> dict[str, gpd.GeoDataFrame]:
    return {n: store.read_layer(ws, n) for n in ("villages", "households", "roads", "projects", "tourism_sites")}


def _oracle_village(hh: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> pd.Series:
    """The village each household lies in, by geopandas sjoin (its recorded village outside every village)."""
    joined = gpd.sjoin(hh[["geometry"]], villages[["village_code", "geometry"]], predicate="within", how="left")
    joined = joined[~joined.index.duplicated()]
    return joined["village_code"].fillna(hh["village_code"]).astype(str)


def _stored(ws: Path, name: str) -> pd.DataFrame:
    parts = derived.stored_table(ws, name)
    assert parts is not None, f"{name} was not stored"
    return parts["table"].set_index("village_code")


def test_household_counts_equal_sjoin_groupby(ws: Path, layers):
    hh, villages = layers["households"], layers["villages"]
    where = _oracle_village(hh, villages)
    poor = hh["is_poor"].astype(bool)
    expected = pd.DataFrame({"households": hh.groupby(where).size(),
                             "poor_households": poor.groupby(where).sum(),
                             "poor_people": (hh["members"] * poor).groupby(where).sum()}).astype("int64")
    got = _stored(ws, "village_households")
    assert len(hh) > 0
    pd.testing.assert_frame_equal(got.loc[expected.index, expected.columns], expected, check_names=False)
    by_cause = hh[poor].groupby([where[poor], hh.loc[poor, "poverty_cause"]]).size()
    for (code, cause), n in by_cause.items():
        assert got.loc[code, f"poor_cause_{cause}"] == n
    assert got["households"].sum() == len(hh)


def test_road_km_equal_overlay_groupby(ws: Path, layers):
    roads, villages = layers["roads"], layers["villages"]
    crs = metric_crs(villages)
    pieces = gpd.overlay(roads[["road_id", "status", "geometry"]].to_crs(crs),
                         villages[["village_code", "geometry"]].to_crs(crs), how="intersection", keep_geom_type=True)
    pieces["km"] = pieces.length / 1000
    expected = pieces.groupby(["village_code", "status"])["km"].sum()
    got = _stored(ws, "village_roads").reset_index().groupby(["village_code", "status"])["length_km"].sum()
    joined = pd.concat([expected.rename("oracle"), got.rename("stored")], axis=1).fillna(0.0)
    assert len(joined) > 10
    # a road along a shared border is counted once (split between the two villages), by the overlay twice
    close = np.isclose(joined["oracle"], joined["stored"], rtol=1e-6, atol=1e-6)
    assert close.mean() > 0.97, joined[~close].head()
    total_roads = roads.to_crs(crs).length.sum() / 1000
    assert got.sum() == pytest.approx(total_roads, rel=1e-9)


def test_access_counts_equal_distances(ws: Path, layers):
    hh, roads, villages = layers["households"], layers["roads"], layers["villages"]
    crs = metric_crs(villages)
    hard = roads[roads["status"] == "completed"].to_crs(crs)
    pts = hh.to_crs(crs)
    near = gpd.sjoin_nearest(pts[["geometry"]], hard[["geometry"]], distance_col="d", how="left")
    d = near.groupby(level=0)["d"].min().reindex(pts.index)
    within = (d <= si.ACCESS_DISTANCE_M).to_numpy()
    where = _oracle_village(hh, villages)
    expected = pd.Series(within, index=hh.index).groupby(where).sum().astype("int64")
    got = _stored(ws, "village_access")
    assert 0 < expected.sum() < len(hh)
    pd.testing.assert_series_equal(got.loc[expected.index, "households_within"], expected, check_names=False)


def test_tourism_counts_equal_distances(ws: Path, layers):
    hh, sites, villages = layers["households"], layers["tourism_sites"], layers["villages"]
    crs = metric_crs(villages)
    near = gpd.sjoin_nearest(hh.to_crs(crs)[["geometry"]], sites.to_crs(crs)[["geometry"]], distance_col="d")
    d = near.groupby(level=0)["d"].min().reindex(hh.index)
    reached = (d <= 3000).to_numpy() & hh["is_poor"].astype(bool).to_numpy()
    where = _oracle_village(hh, villages)
    expected = pd.Series(reached, index=hh.index).groupby(where).sum().astype("int64")
    got = _stored(ws, "village_tourism")
    pd.testing.assert_series_equal(got.loc[expected.index, "poor_reached"], expected, check_names=False)


def test_catchment_counts_equal_sjoin_buffers(ws: Path, layers):
    hh, projects, villages = layers["households"], layers["projects"], layers["villages"]
    crs = metric_crs(villages)
    cand = projects[projects["status"].isin(CANDIDATE_STATUSES)].to_crs(crs)
    dist = cand["project_type"].map(default_distances())
    buffers = gpd.GeoDataFrame({"project_id": cand["project_id"]}, geometry=cand.buffer(dist, quad_segs=64), crs=crs)
    pts = hh.to_crs(crs)[["geometry", "is_poor"]]
    joined = gpd.sjoin(pts, buffers, predicate="within")
    expected = joined.groupby("project_id").agg(households=("is_poor", "size"), poor=("is_poor", "sum"))
    cov = ps.from_parts(derived.stored_table(ws, "catchments_straight"))
    ranking = planning_run.planning.ranking(cov, planning_run.planning.DEFAULT_WEIGHTS).set_index("project_id")
    both = expected.join(ranking[["households", "poor_households"]].rename(columns=lambda c: f"stored_{c}"),
                         how="outer").fillna(0)
    assert len(both) > 5 and both["stored_households"].sum() > 0
    # a 64-segment buffer stands for the exact distance: a household within a metre of the edge may differ
    assert np.abs(both["households"] - both["stored_households"]).sum() <= max(2, 0.001 * len(pts))
    assert np.abs(both["poor"] - both["stored_poor_households"]).sum() <= max(2, 0.001 * len(pts))
    assert cov.matrix.shape[1] < max(len(hh), 1)  # groups, not households


@pytest.mark.parametrize("catchment", ["straight", "network"])
def test_planning_on_stored_groups_equals_the_run_on_households(ws: Path, layers, catchment: str):
    """Ranking, greedy and exact portfolio from the stored groups equal the run on the household points (the
    same area rule: a town's projects, households across the border count)."""
    villages = layers["villages"]
    cov = ps.from_parts(derived.stored_table(ws, ps.STORED_TABLE[catchment]))
    town = sorted(villages["town_code"].astype(str).unique())[0]
    for town_code in (None, town):
        opts = planning_run.PlanOptions(budget=800.0, catchment=catchment, town_code=town_code, must_in=())
        base = {n: layers[n] for n in ("villages", "households", "roads", "projects")}
        try:
            direct = planning_run.run(base, opts)
        except planning_run.planning.PlanningError:
            continue  # a town without candidate projects
        stored = planning_run.run({**base, "households": None}, opts, coverage=cov)
        cols = ["project_id", "households", "poor_households", "poor_people", "score"]
        pd.testing.assert_frame_equal(stored.ranking[cols].reset_index(drop=True),
                                      direct.ranking[cols].reset_index(drop=True))
        assert list(stored.greedy.chosen) == list(direct.greedy.chosen)
        assert stored.exact.objective == pytest.approx(direct.exact.objective)
        assert stored.exact.totals["households"] == pytest.approx(direct.exact.totals["households"])


def test_access_table_from_counts_equals_access_shares(ws: Path, layers):
    hh, roads, villages = layers["households"], layers["roads"], layers["villages"]
    counts = derived.stored_table(ws, "village_access")["table"]
    direct = ri.access_shares(ri.prepare_households(hh, villages, crs=metric_crs(villages)), roads, villages)
    got = si.access_from_counts(counts, villages, villages)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), direct.reset_index(drop=True), check_dtype=False)
    for area in areas.town_areas(villages)[:3]:
        mine = villages[area.village_mask(villages)]
        data = areas.AreaLayers(lambda n: layers[n] if n in layers else store.read_layer(ws, n), area)
        pts = ri.prepare_households(data.layer("households"), mine, crs=metric_crs(villages))
        expected = ri.access_shares(pts, roads, mine).iloc[-1]
        row = si.access_from_counts(counts, mine, villages).iloc[-1]
        assert row["households"] == expected["households"]
        assert row["share_pct"] == pytest.approx(expected["share_pct"], nan_ok=True)


def test_road_figures_from_stored_equal_road_pieces(ws: Path, layers):
    roads, villages = layers["roads"], layers["villages"]
    pieces = ri.road_pieces(roads, villages)
    table = derived.stored_table(ws, "village_roads")["table"]
    for area in [areas.whole_area(villages), *areas.town_areas(villages)[:3]]:
        mine = villages[area.village_mask(villages)]
        sel = pieces[pieces["village_code"].isin(mine["village_code"])]
        assert area_road_figures(si.road_pieces_table(table, mine), mine) == pytest.approx(area_road_figures(sel, mine))
        pd.testing.assert_frame_equal(ri.km_by_year(si.road_pieces_table(table, mine)), ri.km_by_year(sel),
                                      check_exact=False)
        stored_rates = ri.village_progress(si.road_pieces_table(table, mine), mine)
        pd.testing.assert_frame_equal(stored_rates, ri.village_progress(sel, mine), check_exact=False)


def test_reused_while_unchanged_and_recomputed_for_what_an_edit_wrote(tmp_path: Path, province_gpkg: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    from bangfu.editing import roads as road_edits

    path = tmp_path / "ws.gpkg"
    shutil.copy(province_gpkg, path)
    first = derived.derive(path)
    assert set(first.computed) == {d.name for d in derived.DERIVED} and not first.reused
    calls: list[str] = []
    real = derived.Derived.compute

    def counting(self, read):
        calls.append(self.name)
        return real(self, read)

    monkeypatch.setattr(derived.Derived, "compute", counting)
    again = derived.derive(path)
    assert not again.computed and not calls  # nothing changed: nothing computed, in a new call
    assert derived.table(path, "village_households")["table"].equals(
        derived.stored_table(path, "village_households")["table"])
    assert not calls

    all_roads = store.read_layer(path, "roads")
    road = all_roads[all_roads["status"] == "unhardened"].iloc[0]
    before = derived.stored_table(path, "village_roads")["table"]
    year = int(road["planned_year"]) if pd.notna(road["planned_year"]) else 2020
    road_edits.edit_road(path, str(road["road_id"]), {"status": "completed", "completed_year": year,
                                                      "progress_pct": 100.0},
                         expected_version=int(road["version"]), user=access.cli_principal())
    assert not derived.is_stored(path, "village_roads") and derived.is_stored(path, "village_households")
    after_edit = derived.derive(path)
    assert derived.is_stored(path, "village_roads")
    wrote_roads = {d.name for d in derived.DERIVED if "roads" in d.depends}
    assert set(after_edit.computed) == wrote_roads
    assert set(after_edit.reused) == {d.name for d in derived.DERIVED} - wrote_roads
    after = derived.stored_table(path, "village_roads")["table"]
    expected = si.village_roads(lambda n: store.read_layer(path, n))["table"]
    pd.testing.assert_frame_equal(after, expected)
    assert not after.equals(before)


def test_cli_derive(tmp_path: Path, province_gpkg: Path, capsys: pytest.CaptureFixture[str]):
    from bangfu.cli.commands import main

    path = tmp_path / "ws.gpkg"
    shutil.copy(province_gpkg, path)
    assert main(["derive", "--workspace", str(path), "--table", "village_roads"]) == 0
    out = capsys.readouterr().out
    assert "village_roads" in out and derived.stored_table(path, "village_roads") is not None
    assert derived.stored_table(path, "village_access") is None
    assert main(["derive", "--workspace", str(path), "--table", "village_roads"]) == 0
    assert "沿用 1 张" in capsys.readouterr().out
    assert main(["derive", "--workspace", str(path), "--table", "nonsense"]) == 2


def test_tourism_reach_from_counts_equals_reach_by_town_and_site_reach(ws: Path, layers):
    from bangfu.indicators import tourism as ti

    hh, sites, villages = layers["households"], layers["tourism_sites"], layers["villages"]
    parts = derived.stored_table(ws, "village_tourism")
    pd.testing.assert_frame_equal(si.reach_from_counts(parts["table"], villages),
                                  ti.reach_by_town(villages, hh, sites), check_dtype=False)
    town = areas.town_areas(villages)[1]
    mine = villages[town.village_mask(villages)]
    data = areas.AreaLayers(lambda n: layers[n] if n in layers else store.read_layer(ws, n), town)
    pd.testing.assert_frame_equal(si.reach_from_counts(parts["table"], mine),
                                  ti.reach_by_town(mine, data.layer("households"), sites), check_dtype=False)
    per_site = ti.site_reach(sites, hh, distance_m=ti.DEFAULT_REACH_M)
    assert parts["sites"]["site_id"].tolist() == sites["site_id"].astype(str).tolist()
    assert parts["sites"]["households_in_reach"].tolist() == per_site["households_in_reach"].tolist()
    assert parts["sites"]["poor_in_reach"].tolist() == per_site["poor_in_reach"].tolist()
