"""The shipped Kaiping demo workspace (geodata/kaiping_demo.gpkg): geometry, seed facts, schema, rebuild."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from bangfu.core.resources import DEMO_PATH
from bangfu.demo import build as demo
from bangfu.demo.sources import load_county_boundary, load_village_table
from bangfu.demo.spatial import METRIC_CRS
from bangfu.workspace import store
from bangfu.workspace.schema import LAYERS, PROJECT_TYPES

DEMO = DEMO_PATH
CHISHUI = "440783116"
CHISHUI_OLD = ("步栏", "林屋", "三合", "长塘", "松南", "高龙", "高山")
DIAOLOU = {"自力村碉楼群": "塘口镇", "立园": "塘口镇", "马降龙碉楼群": "百合镇", "锦江里碉楼群": "蚬冈镇", "赤坎古镇": "赤坎镇"}
HILLY_WEST = ("赤水镇", "大沙镇", "金鸡镇", "蚬冈镇", "马冈镇")


@pytest.fixture(scope="module")
def layers() -> dict[str, pd.DataFrame]:
    if not DEMO.exists():
        pytest.fail("geodata/kaiping_demo.gpkg is missing: run `python -m bangfu.demo build`")
    return store.read_workspace(DEMO)


@pytest.fixture(scope="module")
def villages(layers: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return layers["villages"]


@pytest.fixture(scope="module")
def polygons(villages: pd.DataFrame) -> np.ndarray:
    """One shapely Polygon per village (the file stores single-part MultiPolygons)."""
    geoms = []
    for g in villages.geometry:
        parts = shapely.get_parts(g)
        assert len(parts) == 1, "a village has several parts"
        geoms.append(parts[0])
    return np.asarray(geoms, dtype=object)


@pytest.fixture(scope="module")
def county() -> shapely.Polygon:
    return load_county_boundary()


# --------------------------------------------------------------------------- file and schema


def test_meta_names_the_demo_and_what_is_synthetic():
    meta = store.read_meta(DEMO)
    assert meta["source"] == "demo"
    assert meta["county_code"] == "440783"
    assert meta["county_name"] == "开平市"
    assert meta["as_of"] == "2020-12-31"
    note = meta["synthetic_note"]
    for word in ("村界", "农户", "道路", "企业", "结对", "项目", "游客", "赤水镇", "近似"):
        assert word in note, word


def test_every_schema_layer_is_present(layers):
    required = {name for name, layer in LAYERS.items() if not layer.optional}
    assert set(store.list_layers(DEMO)) >= required
    assert "seats" not in store.list_layers(DEMO)  # optional: the demo's seats are estimated (docs/roads.md)
    for name, layer in LAYERS.items():
        assert list(layers[name].columns[: len(layer.columns)]) == list(layer.column_names), name
    assert len(layers["road_progress"]) == 0


def _check_layer(name: str, df: pd.DataFrame, layers: dict[str, pd.DataFrame]) -> list[str]:
    """Problems of one layer against the declarative schema (types, required, ranges, choices, refs, rules)."""
    layer = LAYERS[name]
    bad: list[str] = []
    for col in layer.columns:
        s = df[col.name]
        present = s.notna()
        if col.required and not present.all():
            bad.append(f"{name}.{col.name}: {int((~present).sum())} missing")
        vals = s[present]
        if col.unique and vals.duplicated().any():
            bad.append(f"{name}.{col.name}: duplicates")
        if col.pattern and not vals.astype(str).str.fullmatch(col.pattern.strip("^$")).all():
            bad.append(f"{name}.{col.name}: pattern")
        if col.choices and not vals.isin(col.choices).all():
            bad.append(f"{name}.{col.name}: {sorted(set(vals) - set(col.choices))}")
        if col.min is not None and (pd.to_numeric(vals) < col.min).any():
            bad.append(f"{name}.{col.name}: below {col.min}")
        if col.max is not None and (pd.to_numeric(vals) > col.max).any():
            bad.append(f"{name}.{col.name}: above {col.max}")
        if col.dtype == "date" and not vals.astype(str).str.fullmatch(r"\d{4}-\d{2}-\d{2}").all():
            bad.append(f"{name}.{col.name}: not ISO dates")
        if col.ref:
            tl, tc = col.ref.split(".")
            if not vals.isin(set(layers[tl][tc])).all():
                bad.append(f"{name}.{col.name}: dangling reference")
    for rule in layer.rules:
        both = df[rule.left].notna() & df[rule.right].notna()
        left, right = df.loc[both, rule.left], df.loc[both, rule.right]
        ok = left <= right if rule.op == "<=" else left >= right
        if not ok.all():
            bad.append(f"{name}: {rule.en}")
    return bad


def test_every_layer_conforms_to_the_schema(layers):
    problems = [p for name in LAYERS for p in _check_layer(name, layers[name], layers)]
    assert not problems, problems


def test_geometry_types(layers):
    assert set(layers["villages"].geom_type) == {"MultiPolygon"}
    assert set(layers["households"].geom_type) == {"Point"}
    assert set(layers["roads"].geom_type) == {"LineString"}
    assert set(layers["tourism_sites"].geom_type) == {"Point"}
    assert set(layers["enterprises"].geom_type) == {"Point"}
    for name in ("villages", "households", "roads", "tourism_sites", "enterprises", "projects"):
        assert layers[name].crs.to_epsg() == 4326, name
        assert layers[name].geometry.is_valid.all(), name


# --------------------------------------------------------------------------- villages


def test_270_real_villages_with_real_codes(villages):
    src = load_village_table()
    assert len(villages) == 270
    assert villages["village_code"].is_unique
    assert villages["village_code"].str.fullmatch(r"\d{12}").all()
    merged = villages.merge(src, on="village_code", suffixes=("", "_src"))
    assert len(merged) == 270
    for col in ("village_name", "town_code", "town_name"):
        assert (merged[col] == merged[f"{col}_src"]).all(), col
    assert (villages["county_code"] == "440783").all() and (villages["county_name"] == "开平市").all()
    assert villages["town_code"].nunique() == 16  # 15 towns + 翠山湖新区


def test_villages_form_a_valid_coverage_of_the_county(polygons, county):
    assert all(p.geom_type == "Polygon" and p.is_valid for p in polygons)
    assert all(len(p.interiors) == 0 for p in polygons)
    assert shapely.coverage_is_valid(polygons)
    union = shapely.coverage_union_all(polygons)
    assert abs(union.area - county.area) / county.area < 1e-3
    assert shapely.symmetric_difference(union, county).area / county.area < 1e-3


def test_each_town_is_one_connected_region(villages, polygons):
    for town, idx in villages.groupby("town_name").indices.items():
        geom = shapely.coverage_union_all(polygons[idx])
        assert geom.geom_type == "Polygon", town


def test_village_edges_are_detailed(polygons):
    assert shapely.get_num_coordinates(polygons).mean() >= 150


def test_village_areas_are_plausible(villages):
    km2 = villages.to_crs(METRIC_CRS).area / 1e6
    assert 1500 < km2.sum() < 1800
    assert km2.min() > 0.1 and km2.max() < 40
    urban = villages["town_name"].isin(["三埠街道", "长沙街道"]) & villages["village_name"].str.endswith("社区居委会")
    assert km2[urban].median() < 0.5 * km2[~urban].median()


def test_village_figures_equal_their_household_points(villages, layers):
    hh = layers["households"]
    agg = hh.assign(pm=hh["members"].where(hh["is_poor"], 0)).groupby("village_code").agg(
        households=("household_id", "size"),
        population=("members", "sum"),
        poor_households=("is_poor", "sum"),
        poor_population=("pm", "sum"),
    )
    v = villages.set_index("village_code")
    for col in agg.columns:
        assert (v[col].astype(int) == agg[col].reindex(v.index).fillna(0).astype(int)).all(), col


# --------------------------------------------------------------------------- households


def test_households(layers):
    hh = layers["households"]
    assert 90_000 <= len(hh) <= 110_000
    assert hh["household_id"].is_unique
    assert (hh["household_id"].str[:12] == hh["village_code"]).all()
    assert hh["members"].between(1, 7).all()
    assert (hh["is_key"] == (hh["is_poor"] & hh["has_labour"])).all()
    assert hh.loc[hh["is_poor"], "poverty_cause"].notna().all()
    assert hh.loc[~hh["is_poor"], "poverty_cause"].isna().all()


def test_household_points_lie_in_their_own_village(villages, polygons, layers):
    hh = layers["households"]
    x, y = hh.geometry.x.to_numpy(), hh.geometry.y.to_numpy()
    groups = hh.groupby("village_code").indices
    for code, poly in zip(villages["village_code"], polygons):
        idx = groups[code]
        assert shapely.contains_xy(poly, x[idx], y[idx]).all(), code


def test_households_cluster_in_hamlets(villages, layers):
    """Points are clustered: most of a village's households sit in a small part of its area."""
    hh = layers["households"].to_crs(METRIC_CRS)
    code = villages.loc[villages["village_name"] == "步栏村委会", "village_code"].iloc[0]
    pts = hh[hh["village_code"] == code].geometry
    cells = set(zip((pts.x // 200).astype(int), (pts.y // 200).astype(int)))
    area = villages.loc[villages["village_code"] == code].to_crs(METRIC_CRS).area.iloc[0]
    assert len(cells) * 200 * 200 < 0.6 * area


# --------------------------------------------------------------------------- seed facts


def test_chishui_old_district_villages(villages):
    cs = villages[villages["town_code"] == CHISHUI]
    old = cs[cs["is_old_district"]]
    assert sorted(old["village_name"]) == sorted(f"{n}村委会" for n in CHISHUI_OLD)
    assert old["is_key_village"].all()
    assert int(villages["is_old_district"].sum()) == 17
    assert 20 <= int(villages["is_key_village"].sum()) <= 30


def test_chishui_poor_and_key_households(villages, layers):
    cs = villages[villages["town_code"] == CHISHUI]
    assert int(cs["poor_households"].sum()) == 325
    assert int(cs["poor_population"].sum()) == 915
    hh = layers["households"]
    key = hh[hh["village_code"].str.startswith(CHISHUI) & hh["is_key"]]
    assert len(key) == 71
    assert int(key["members"].sum()) == 251
    assert key["has_labour"].all()


def test_poverty_is_higher_in_the_hilly_west(villages):
    by_town = villages.groupby("town_name")[["poor_households", "households"]].sum()
    rate = by_town["poor_households"] / by_town["households"]
    assert rate[list(HILLY_WEST)].min() > rate[["三埠街道", "长沙街道"]].max()
    assert 0.01 < villages["poor_households"].sum() / villages["households"].sum() < 0.05


# --------------------------------------------------------------------------- roads


def _components(lines: pd.Series) -> np.ndarray:
    """Connected component of every line, joining lines that share an end point."""
    parent = list(range(len(lines)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[float, float], int] = {}
    for i, g in enumerate(lines):
        coords = shapely.get_coordinates(g)
        for end in (tuple(coords[0]), tuple(coords[-1])):
            if end in owner:
                parent[find(i)] = find(owner[end])
            else:
                owner[end] = i
    return np.array([find(i) for i in range(len(lines))])


def test_every_village_is_reached_from_its_town_seat(villages, polygons, layers):
    roads = layers["roads"]
    comp = _components(roads.geometry)
    # one network: all county, township and village roads hang together
    assert len(set(comp)) == 1
    hit = shapely.STRtree(roads.geometry.values).query(polygons, predicate="intersects")
    reached = set(hit[0])
    assert reached == set(range(len(villages)))
    # and each village has a road of its own
    assert set(roads["village_code"]) == set(villages["village_code"])


def test_roads_lie_in_the_county(layers, county):
    assert shapely.covered_by(layers["roads"].geometry.values, shapely.buffer(county, 1e-6)).all()


def test_road_status_fields_are_consistent(layers):
    r = layers["roads"]
    assert r["road_id"].str.fullmatch(r"R\d{4}").all() and (r["version"] == 1).all()
    done = r[r["status"] == "completed"]
    assert (done["progress_pct"] == 100).all() and done["completed_year"].between(2014, 2020).all()
    uc = r[r["status"] == "under_construction"]
    assert uc["progress_pct"].between(10, 90).all() and uc["planned_year"].between(2020, 2021).all()
    assert uc["completed_year"].isna().all()
    planned = r[r["status"] == "planned"]
    assert (planned["progress_pct"] == 0).all() and planned["planned_year"].between(2021, 2023).all()
    un = r[r["status"] == "unhardened"]
    assert (un["progress_pct"] == 0).all() and un["planned_year"].isna().all() and un["completed_year"].isna().all()
    assert set(r["road_class"]) == {"县道", "乡道", "村道", "组道"}


def test_hardening_rate_is_realistic(layers, villages):
    r = layers["roads"].to_crs(METRIC_CRS)
    km = r.length / 1000
    hard = r["status"] == "completed"
    rate = km[hard].sum() / km.sum()
    assert 0.75 <= rate <= 0.85
    town = r["village_code"].map(villages.set_index("village_code")["town_name"])
    west = town.isin(HILLY_WEST)
    assert km[hard & west].sum() / km[west].sum() < km[hard & ~west].sum() / km[~west].sum()


def test_roads_are_not_straight(layers):
    r = layers["roads"].to_crs(METRIC_CRS)
    long = r[r.length > 1500]
    straight = [shapely.distance(shapely.get_point(g, 0), shapely.get_point(g, -1)) / g.length for g in long.geometry]
    assert np.median(straight) < 0.99


# --------------------------------------------------------------------------- sites, enterprises, pairings, projects


def test_diaolou_sites_lie_in_their_towns(layers, villages, polygons):
    sites = layers["tourism_sites"]
    town = sites["village_code"].map(villages.set_index("village_code")["town_name"])
    code_idx = {c: i for i, c in enumerate(villages["village_code"])}
    for name, want in DIAOLOU.items():
        row = sites[sites["name"] == name]
        assert len(row) == 1, name
        assert town[row.index[0]] == want, name
        assert bool(row["approximate_location"].iloc[0]) and not bool(row["synthetic"].iloc[0])
        assert row["a_level"].iloc[0] >= 4
        assert polygons[code_idx[row["village_code"].iloc[0]]].contains(row.geometry.iloc[0])
    examples = sites[sites["synthetic"].astype(bool)]
    assert 15 <= len(examples) <= 25
    assert examples["name"].str.fullmatch(r"示例景点\d{2}").all()
    for _, s in sites.iterrows():
        assert polygons[code_idx[s["village_code"]]].contains(s.geometry), s["name"]


def test_enterprises_are_obviously_synthetic(layers, county):
    ent = layers["enterprises"]
    assert 35 <= len(ent) <= 45
    assert ent["name"].str.fullmatch(r"示例企业\d{3}").all()
    assert 5 <= int(ent["is_leading"].sum()) <= 10
    assert shapely.contains(county, ent.geometry.values).all()


def test_pairings_leave_interesting_gaps(layers, villages):
    p = layers["pairings"]
    assert 45 <= len(p) <= 65
    assert p["pairing_id"].str.fullmatch(r"P\d{3}").all()
    assert p["start_date"].between("2016-01-01", "2020-12-31").all()
    ended = p[p["end_date"].notna()]
    assert 1 <= len(ended) and (ended["end_date"] < "2020-12-31").all()
    active = p[p["end_date"].isna()]
    needy = villages.loc[villages["is_key_village"] | villages["is_old_district"], "village_code"]
    unpaired = needy[~needy.isin(active["village_code"])]
    assert 4 <= len(unpaired) <= 6
    assert (active["village_code"].value_counts() > 1).sum() >= 2
    assert active["enterprise_id"].value_counts().max() >= 3
    # 一村一企业 in 赤水镇: each 老区 village its own enterprise
    old = villages.loc[(villages["town_code"] == CHISHUI) & villages["is_old_district"], "village_code"]
    cs = p[p["village_code"].isin(old)]
    assert set(cs["village_code"]) == set(old) and cs["enterprise_id"].is_unique
    assert not p.loc[~p["village_code"].isin(old), "enterprise_id"].isin(cs["enterprise_id"]).any()


def test_projects(layers, villages, polygons):
    pr = layers["projects"]
    assert 50 <= len(pr) <= 70
    assert pr["project_id"].str.fullmatch(r"J\d{3}").all()
    assert set(pr["project_type"]) == set(PROJECT_TYPES)
    kinds = pr.groupby("project_type").apply(lambda d: set(d.geom_type), include_groups=False)
    assert kinds["road_hardening"] == {"LineString"}
    assert kinds["irrigation"] == {"Polygon"}
    for t in ("drinking_water", "bridge", "clinic", "school", "broadband"):
        assert kinds[t] == {"Point"}, t
    assert (pr["status"] == "candidate").mean() > 0.8
    code_idx = {c: i for i, c in enumerate(villages["village_code"])}
    for _, row in pr.iterrows():
        assert polygons[code_idx[row["village_code"]]].intersects(row.geometry), row["name"]
    west = pr["village_code"].map(villages.set_index("village_code")["town_name"]).isin(HILLY_WEST)
    west_villages = villages["town_name"].isin(HILLY_WEST).mean()
    assert west.mean() > west_villages  # more projects in the poorer west


# --------------------------------------------------------------------------- rebuild


@pytest.mark.slow
def test_rebuild_gives_the_committed_file(tmp_path: Path, layers):
    out = tmp_path / "kaiping_demo.gpkg"
    assert demo.main(["build", "--out", str(out), "-q"]) == 0
    assert store.read_meta(out) == store.read_meta(DEMO)
    for name in LAYERS:
        new = store.read_layer(out, name)
        old = layers[name]
        if "geometry" in old.columns:
            assert (shapely.to_wkb(new.geometry.values) == shapely.to_wkb(old.geometry.values)).all(), name
            new, old = new.drop(columns="geometry"), old.drop(columns="geometry")
        pd.testing.assert_frame_equal(pd.DataFrame(new), pd.DataFrame(old), obj=name)


def test_builder_entry_points():
    """``build_layers(seed=20201231)`` and the documented command (the rebuild test runs them)."""
    import inspect

    sig = inspect.signature(demo.build_layers)
    assert sig.parameters["seed"].default == demo.DEFAULT_SEED == 20201231
    assert re.search(r"python -m bangfu\.demo build", demo.__doc__ or "")


# --------------------------------------------------------------------------- coded values


def test_demo_draws_only_vocabulary_codes():
    """A code the vocabulary does not know is refused before anything is drawn."""
    from bangfu.core import vocab
    from bangfu.demo.codes import code, draw_code

    assert code(vocab.ROAD_STATUS, "planned") == "planned"
    with pytest.raises(KeyError, match="allowed"):
        code(vocab.ROAD_STATUS, "paved")
    rng = np.random.default_rng(0)
    with pytest.raises(KeyError):
        draw_code(rng, vocab.SITE_TYPE, {"碉楼村落": 0.5, "海滩": 0.5})
    assert rng.random() == np.random.default_rng(0).random()  # the refused draw consumed nothing


def test_demo_draws_follow_the_given_order_and_weights():
    """``draw_codes`` is ``rng.choice`` over the options in their order: same seed, same codes, as weighted."""
    from bangfu.core import vocab
    from bangfu.demo.codes import draw_codes

    weights = {"因病": 0.42, "因残": 0.3, "缺劳力": 0.22, "其他": 0.06}
    got = draw_codes(np.random.default_rng(5), vocab.POVERTY_CAUSE, weights, 20_000)
    expected = np.random.default_rng(5).choice(list(weights), 20_000, p=list(weights.values()))
    assert (got == expected).all()
    shares = pd.Series(got).value_counts(normalize=True)
    for c, w in weights.items():
        assert abs(shares[c] - w) < 0.02, c
    uniform = draw_codes(np.random.default_rng(5), vocab.ROAD_SURFACE, ("砂石", "土路"), 1000)
    assert set(uniform) == {"砂石", "土路"}
    assert (uniform == np.random.default_rng(5).choice(["砂石", "土路"], 1000)).all()
