"""The synthetic province builder (``python -m bangfu.demo build --region liaoning``): valid, real names, codes and
county boundaries, the asked sizes, deterministic, households where their village says."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from bangfu.demo import province as prov
from bangfu.demo.build import main
from bangfu.demo.sources import VILLAGE_FILE
from bangfu.workspace import store, validate

LIAONING = prov.REGIONS["liaoning"]


@pytest.fixture(scope="module")
def layers(province_gpkg: Path) -> dict[str, pd.DataFrame]:
    return store.read_workspace(province_gpkg)


def test_valid_and_sized(layers, province_gpkg: Path):
    report = validate.validate_workspace(layers)
    assert not list(validate.iter_lines(report))
    size = prov.SMALL_SIZE
    assert len(layers["households"]) == size.households
    assert len(layers["roads"]) == size.roads
    assert len(layers["projects"]) == size.projects
    v = layers["villages"]
    assert len(v) >= size.villages and v["village_code"].str[:4].nunique() == 2  # two cities
    meta = store.read_meta(province_gpkg)
    assert meta["source"] == "demo_province" and "合成" in meta["synthetic_note"]


def test_real_names_and_codes(layers):
    """The villages are exactly the official rows of their counties (an independent read of the CSV)."""
    official = pd.read_csv(VILLAGE_FILE, dtype=str, keep_default_na=False)
    v = layers["villages"]
    cols = ["village_code", "village_name", "town_code", "town_name", "county_code", "county_name"]
    want = official[official["county_code"].isin(set(v["county_code"]))][cols].sort_values("village_code")
    got = pd.DataFrame(v[cols]).astype(str).sort_values("village_code")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


def test_villages_fill_their_real_county(layers):
    """Each county's villages lie in its real boundary and cover it (less what an earlier county holds)."""
    v = layers["villages"]
    bounds = prov.load_boundaries(sorted(v["county_code"].unique()))
    taken = None
    for code, geom in bounds.items():
        own = v[v["county_code"] == code].geometry.values
        union = shapely.union_all(own)
        expect = geom if taken is None else shapely.difference(geom, taken)
        assert shapely.area(shapely.symmetric_difference(union, expect)) <= 1e-6 * shapely.area(expect)
        taken = geom if taken is None else shapely.union(taken, geom)


def test_households_agree_with_their_villages(layers):
    """Counts per village equal the household points (groupby), and every point lies in its village (sjoin)."""
    v, h = layers["villages"], layers["households"]
    by = h.groupby("village_code").agg(households=("household_id", "size"), population=("members", "sum"))
    merged = v.set_index("village_code")[["households", "population"]].astype(int)
    pd.testing.assert_frame_equal(by.reindex(merged.index).fillna(0).astype(int), merged, check_names=False)
    hit = gpd.sjoin(gpd.GeoDataFrame(h[["village_code"]], geometry=h.geometry.values, crs=h.crs),
                    v[["village_code", "geometry"]], predicate="within")
    assert (hit["village_code_left"] == hit["village_code_right"]).sum() == len(h)


def test_deterministic_and_seeded():
    size = prov.ProvinceSize(villages=1, households=300, roads=60, projects=20)
    a = prov.build_province_layers(LIAONING, size, seed=5)
    b = prov.build_province_layers(LIAONING, size, seed=5)
    c = prov.build_province_layers(LIAONING, size, seed=6)
    for name in ("villages", "households", "roads", "projects", "pairings"):
        pd.testing.assert_frame_equal(pd.DataFrame(a[name]), pd.DataFrame(b[name]))
    assert not a["households"].geometry.geom_equals(c["households"].geometry).all()
    assert a["villages"]["county_code"].nunique() == 1  # villages=1: the first county, whole


def test_select_counties_takes_two_per_city():
    table = prov.load_region_table(LIAONING)
    assert len(table) == 16727 and table["town_code"].nunique() == 1406
    sel = prov.select_counties(table, 300)
    counties = sel.drop_duplicates("county_code")
    assert counties["city_code"].value_counts().max() <= 2 and len(sel) >= 300
    assert prov.select_counties(table, None) is table


def test_cli(tmp_path: Path, capsys):
    out = tmp_path / "p.gpkg"
    assert main(["build", "--region", "liaoning", "--out", str(out), "--villages", "1", "--households", "200",
                 "--roads", "30", "--projects", "10", "-q"]) == 0
    assert len(store.read_layer(out, "households")) == 200 and "wrote" in capsys.readouterr().out
    # prepared: checked and its aggregate tables stored, so opening it reuses every stored result
    from bangfu.workspace import checked, derived

    again = checked.check_workspace(out)
    assert again.report.ok and not again.checked and again.reused
    assert all(derived.is_stored(out, d.name) for d in derived.DERIVED)
    bare = tmp_path / "workspace.gpkg"
    assert main(["build", "--region", "liaoning", "--out", str(bare), "--villages", "1", "--households", "200",
                 "--roads", "30", "--projects", "10", "-q", "--no-prepare"]) == 0
    assert not derived.sidecar_path(bare).exists() and not checked.sidecar_path(bare).exists()
    assert f"BANGFU_WORKSPACE={tmp_path}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["build", "--region", "liaoning"])  # --out is required


def test_spread_keeps_totals():
    w = np.random.default_rng(0).random(50)
    for total in (0, 49, 50, 1234):
        got = prov._spread(total, w, minimum=1)
        assert got.sum() == total and (got >= (1 if total >= 50 else 0)).all()


def test_roads_of_a_village_too_small_to_sample_are_not_zero_length():
    """An islet village (two of Liaoning's, in the full build) gave both road ends on one spot: a zero-length road
    that validation refuses, so the built workspace would not open."""
    import numpy as np
    import pandas as pd
    import shapely

    from bangfu.demo.province import _roads

    x, y = 122.8632, 39.0594  # a diagonal sliver: random points in its bounding box never fall inside it
    tiny = shapely.Polygon([(x, y), (x + 0.01, y + 0.01), (x + 0.01, y + 0.01 + 1e-9), (x, y + 1e-9)])
    wide = shapely.box(121.0, 41.0, 121.05, 41.05)
    table = pd.DataFrame({"village_code": ["210224101002", "210102001001"], "village_name": ["东獐子社区", "甲村"],
                          "town_name": ["獐子岛镇", "乙街道"]})
    df, geoms = _roads(table, np.array([tiny, wide], dtype=object), 12, np.random.default_rng(1))
    assert len(df) == 12
    assert shapely.is_valid(geoms).all()
    assert (shapely.length(geoms) > 0).all()
