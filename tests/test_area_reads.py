"""Per-area reads (bangfu.workspace.store.read_candidates + the one area filter) equal the whole layer filtered with
geopandas, for areas of every level; the app's area slices of households never read the whole layer."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from bangfu.workspace import areas, store


@pytest.fixture(scope="module")
def province(province_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small province with 25 households moved far outside every village (they then belong to their recorded
    village) and 25 moved into another county's village (they belong where they lie)."""
    layers = store.read_workspace(province_gpkg)
    hh = layers["households"].copy()
    rng = np.random.default_rng(7)
    far = rng.choice(len(hh), 25, replace=False)
    geoms = np.array(hh.geometry.values, dtype=object)
    geoms[far] = shapely.points(np.full(25, 100.0), np.linspace(10.0, 11.0, 25))
    v = layers["villages"]
    moved = rng.choice(np.setdiff1d(np.arange(len(hh)), far), 25, replace=False)
    targets = v.geometry.values[rng.choice(len(v), 25)]
    geoms[moved] = shapely.point_on_surface(targets)
    hh = hh.set_geometry(gpd.GeoSeries(geoms, crs=hh.crs))
    layers["households"] = hh
    out = tmp_path_factory.mktemp("area_reads") / "workspace.gpkg"
    store.write_workspace(out, layers, meta=store.read_meta(province_gpkg))
    return out


def _oracle(households: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, codes: set[str]) -> list[str]:
    """The household ids in the area, by geopandas: the village a point lies in (its recorded one among several
    touching, else the lowest code), else its recorded village."""
    joined = gpd.sjoin(households[["household_id", "village_code", "geometry"]],
                       villages[["village_code", "geometry"]].rename(columns={"village_code": "in_village"}),
                       predicate="intersects", how="left")
    owner = {}
    for hid, rows in joined.groupby("household_id", sort=False):
        found = set(rows["in_village"].dropna())
        recorded = rows["village_code"].iloc[0]
        owner[hid] = recorded if not found or recorded in found else min(found)
    return [h for h in households["household_id"] if owner[h] in codes]


def _areas(villages: gpd.GeoDataFrame) -> list[areas.Area]:
    out = []
    for level in ("city", "county", "town"):
        found = areas.level_areas(villages, level)
        out.extend(found[:2])
    return out


def test_per_area_reads_equal_the_whole_layer_filtered_with_geopandas(province: Path):
    villages = store.read_layer(province, "villages")
    whole = store.read_layer(province, "households")
    chosen = _areas(villages)
    assert {a.level for a in chosen} == {"city", "county", "town"}
    for area in chosen:
        inside = villages[area.village_mask(villages)]
        candidates = store.read_candidates(province, "households", bbox=tuple(inside.total_bounds),
                                           code_prefix=area.code)
        assert len(candidates) < len(whole), "only part of the layer is read"
        got = areas.area_slice(area, "households", candidates, villages=villages)
        expected = _oracle(whole, villages, set(inside["village_code"]))
        assert list(got["household_id"]) == expected, area
        # the same rows, columns and dtypes as slicing the whole layer
        full = areas.area_slice(area, "households", whole, villages=villages).reset_index(drop=True)
        assert got.reset_index(drop=True).drop(columns="geometry").equals(full.drop(columns="geometry"))
        assert list(got.dtypes) == list(full.dtypes)
        assert shapely.equals(np.asarray(got.geometry.values), np.asarray(full.geometry.values)).all()


def test_households_far_outside_count_for_their_recorded_village(province: Path):
    villages = store.read_layer(province, "villages")
    whole = store.read_layer(province, "households")
    outside = whole[whole.geometry.x == 100.0]
    assert len(outside) == 25
    code = str(outside["village_code"].iloc[0])
    area = areas.area_by_code(villages, code[:9])
    inside = villages[area.village_mask(villages)]
    got = areas.area_slice(area, "households",
                           store.read_candidates(province, "households", bbox=tuple(inside.total_bounds),
                                                 code_prefix=area.code), villages=villages)
    assert set(outside.loc[outside["village_code"].str.startswith(area.code), "household_id"]) <= set(got["household_id"])


def test_a_code_prefix_must_be_digits(province: Path):
    with pytest.raises(ValueError):
        store.read_candidates(province, "households", bbox=None, code_prefix="21' OR 1=1 --")
