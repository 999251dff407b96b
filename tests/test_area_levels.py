"""Province → city → county → town: areas at every level, names with their parents where they repeat, titles,
summaries one level below, the planning default budget — against brute-force pandas oracles."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bangfu import indicators as ind
from bangfu.demo.sources import VILLAGE_FILE
from bangfu.planning import run as planning_run
from bangfu.workspace import areas, store


@pytest.fixture(scope="module")
def official() -> pd.DataFrame:
    df = pd.read_csv(VILLAGE_FILE, dtype=str, keep_default_na=False)
    return df[df["province_code"] == "21"].reset_index(drop=True)


@pytest.fixture(scope="module")
def layers(province_gpkg: Path) -> dict[str, pd.DataFrame]:
    return store.read_workspace(province_gpkg)


@pytest.mark.parametrize("level,column,n", [("city", "city_code", 14), ("county", "county_code", 100),
                                           ("town", "town_code", 1406)])
def test_level_areas_match_the_official_list(official, level, column, n):
    got = areas.level_areas(official, level)
    assert [a.code for a in got] == sorted(official[column].unique()) and len(got) == n
    name_col = column.replace("_code", "_name")
    names = dict(zip(official[column], official[name_col]))
    assert all(a.name == names[a.code] for a in got)


def test_whole_province_and_codes_of_any_level(official):
    whole = areas.whole_area(official)
    assert (whole.level, whole.code, whole.name) == ("province", "21", "辽宁省")
    for code, level in (("2103", "city"), ("210303", "county"), ("210303002", "town")):
        a = areas.area_for(official, code)
        assert a.level == level and a.code == code
        assert a.village_mask(official).sum() == (official["village_code"].str[: len(code)] == code).sum()
    with pytest.raises(areas.AreaError):
        areas.area_by_code(official, "2199")
    with pytest.raises(areas.AreaError):
        areas.area_by_code(official, "12345")


def test_repeated_names_carry_their_parents(official):
    """152 towns share 66 names; with county and city every label of a level is unique, unique names stay bare."""
    labels = areas.area_labels(official, "town")
    assert len(set(labels.values())) == len(labels) == 1406
    towns = official.drop_duplicates("town_code")
    counts = towns["town_name"].value_counts()
    repeated = towns[towns["town_name"].map(counts) > 1]
    assert len(repeated) == 152 and repeated["town_name"].nunique() == 66
    for row in towns.itertuples():
        want = (f"{row.town_name} · {row.county_name} · {row.city_name}" if counts[row.town_name] > 1
                else row.town_name)
        assert labels[row.town_code] == want
    assert sum(v.startswith("站前街道 ·") for v in labels.values()) == 7


def test_titles(official):
    t = official[(official["town_name"] == "站前街道") & (official["county_name"] == "铁东区")].iloc[0]
    assert areas.area_title(areas.area_for(official, t["town_code"]), official) == f"{t['city_name']}铁东区站前街道"
    assert areas.area_title(areas.whole_area(official), official) == "辽宁省"
    assert areas.area_title(areas.area_for(official, "2101"), official) == "沈阳市"
    kaiping = pd.read_csv(VILLAGE_FILE, dtype=str, keep_default_na=False).query("county_code == '440783'")
    town = areas.area_for(kaiping, "440783116")
    assert areas.area_title(town, kaiping) == "开平市赤水镇"  # a one-county workspace: county + town, as before


def test_area_slices_by_location_at_city_level(layers):
    """Households of a city by the location rule equal the brute-force prefix of the village they lie in."""
    v, h = layers["villages"], layers["households"]
    city = areas.level_areas(v, "city")[1]
    got = areas.area_slice(city, "households", h, villages=v)
    assert set(got["household_id"]) == set(h.loc[h["village_code"].str[:4] == city.code, "household_id"])


def test_unit_summary_at_every_level(layers):
    table = ind.overview_villages(layers["villages"], roads=layers["roads"], pairings=layers["pairings"],
                                  as_of="2020-12-31")
    plain = pd.DataFrame(table.drop(columns="geometry"))
    for level, digits in (("city", 4), ("county", 6), ("town", 9)):
        got = ind.unit_summary(table, level)
        code = "town_code" if level == "town" else "area_code"
        oracle = plain.groupby(plain["village_code"].str[:digits]).agg(
            villages=("village_code", "size"), households=("households", "sum"), poor=("poor_households", "sum"))
        got = got.set_index(code)
        assert list(got.index) == list(oracle.index)
        assert (got["villages"] == oracle["villages"]).all() and (got["households"] == oracle["households"]).all()
        assert (got["poor_households"] == oracle["poor"]).all()
    towns = ind.town_summary(table)
    assert list(towns.columns[:2]) == ["town_code", "town_name"]


def test_default_budget_fits_the_approved_projects(layers):
    p = layers["projects"]
    approved = planning_run.default_must_in(p)
    need = float(p.loc[p["project_id"].isin(approved), "cost_wan"].sum())
    assert need > planning_run.DEFAULT_BUDGET  # the province's approved projects exceed the old default
    budget = planning_run.default_budget(p, approved)
    assert need <= budget < need * 1.2 + 50 and budget % 50 == 0
    assert planning_run.default_budget(p, ()) == planning_run.DEFAULT_BUDGET


def test_unit_polygons_dissolve_the_villages(layers):
    """Counties of the province workspace against geopandas ``dissolve`` (same area, same count)."""
    v = layers["villages"]
    got = areas.unit_polygons(v, "county").set_index("code")
    oracle = v.assign(c=v["village_code"].str[:6]).dissolve("c")
    assert list(got.index) == list(oracle.index)
    assert (got.geometry.area - oracle.geometry.area).abs().max() <= 1e-9 * oracle.geometry.area.max()
    assert (got["villages"] == v["village_code"].str[:6].value_counts().reindex(got.index)).all()
    assert got.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
