"""Overview indicators on hand-built villages: known areas and counts, classes equal to mapclassify's."""

from __future__ import annotations

import warnings

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from bangfu import indicators as ind
from bangfu.workspace import areas
from bangfu.indicators.profile import village_profile
from factories import Overview

AS_OF = "2020-12-31"


@pytest.fixture
def layers() -> dict[str, pd.DataFrame]:
    return Overview.layers(3)


@pytest.fixture
def table(layers) -> gpd.GeoDataFrame:
    return ind.overview_villages(layers["villages"], roads=layers["roads"], pairings=layers["pairings"], as_of=AS_OF)


def test_village_figures_known(table):
    # 1 km² squares; households 100·(j+1), poor 10·(j+1)
    np.testing.assert_allclose(table["area_km2"], 1.0, rtol=1e-6)
    np.testing.assert_allclose(table["poverty_density"], [10, 20, 30, 40, 50, 60], rtol=1e-6)
    np.testing.assert_allclose(table["incidence_pct"], 10.0)
    np.testing.assert_allclose(table["road_km"], 1.0, rtol=1e-4)
    np.testing.assert_allclose(table["hardening_pct"], 60.0, rtol=1e-4)
    # P1 (village 0) active on 2020-12-31; P2 ended 2019; P3 open-ended from 2020-06; P4 starts 2021.
    assert table["active_pairings"].tolist() == [1, 0, 0, 0, 1, 0]


def test_kpis_and_town_summary(table):
    k = ind.overview_kpis(table)
    assert (k.villages, k.households, k.poor_households, k.poor_population) == (6, 2100, 210, 525)
    assert (k.old_district_villages, k.key_villages) == (2, 2)
    assert k.hardening_pct == pytest.approx(60.0, rel=1e-4)
    # needy = villages 0,1 (town 116) and 3,4 (town 117); active on 0 and 4
    assert (k.needy_villages, k.needy_paired) == (4, 2)
    assert k.pairing_coverage_pct == pytest.approx(50.0)
    kt = ind.overview_kpis(areas.area_slice(areas.town_area(table, "440783117"), "villages", table))
    assert (kt.villages, kt.households, kt.needy_paired) == (3, 1500, 1)

    s = ind.town_summary(table).set_index("town_code")
    assert s.loc["440783116", "households"] == 600 and s.loc["440783117", "poor_households"] == 150
    assert s.loc["440783116", "poverty_density"] == pytest.approx(20.0, rel=1e-6)  # 60 poor / 3 km²
    assert s.loc["440783117", "pairing_coverage_pct"] == pytest.approx(50.0)
    # totals of the town table add up to the county
    assert s["households"].sum() == k.households and s["villages"].sum() == k.villages


def test_later_as_of_changes_active_pairings(layers):
    t = ind.overview_villages(layers["villages"], roads=layers["roads"], pairings=layers["pairings"], as_of="2023-06-01")
    # P1 ended 2022-12-31; P3 and P4 open-ended and started
    assert t["active_pairings"].tolist() == [0, 1, 0, 0, 1, 0]


def test_zero_households_and_zero_area_do_not_divide_by_zero():
    v = Overview.villages(2)
    v.loc[0, ["households", "population", "poor_households", "poor_population"]] = 0
    v.loc[1, "geometry"] = shapely.Polygon()  # zero area
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        t = ind.overview_villages(v, roads=None, pairings=None, as_of=AS_OF)
        assert np.isnan(t.loc[0, "incidence_pct"]) and t.loc[0, "poverty_density"] == 0
        assert np.isnan(t.loc[1, "poverty_density"])
        assert t["hardening_pct"].isna().all()  # no roads at all
        k = ind.overview_kpis(t)
        assert np.isnan(k.hardening_pct)
        s = ind.town_summary(t)
        assert np.isfinite(s["incidence_pct"]).all()
    empty = ind.overview_kpis(t.iloc[0:0])
    assert empty.villages == 0 and np.isnan(empty.pairing_coverage_pct) and np.isnan(empty.incidence_pct)
    assert ind.fmt_pct(empty.pairing_coverage_pct) == "—" and ind.fmt_num(float("nan")) == "—"


@pytest.mark.parametrize("method,cls", [("quantiles", "Quantiles"), ("fisher_jenks", "FisherJenks"),
                                        ("equal_interval", "EqualInterval")])
@pytest.mark.parametrize("k", [3, 5, 7])
def test_classes_match_mapclassify(method, cls, k):
    rng = np.random.default_rng(k)
    y = rng.lognormal(2, 1, 270)
    got = ind.classify(y, method=method, k=k)
    ref = getattr(mapclassify, cls)(y, k=k)
    np.testing.assert_allclose(got.bounds, ref.bins)
    assert list(got.index) == list(ref.yb) and got.counts == tuple(ref.counts)
    assert got.lower == y.min() and got.k == k


def test_classify_missing_values_and_few_distinct():
    y = np.array([1.0, np.nan, 2.0, 2.0, np.inf])
    c = ind.classify(y, method="quantiles", k=5)
    assert c.index[1] == -1 and c.index[4] == -1
    assert c.k <= 2 and sum(c.counts) == 3
    assert ind.classify([np.nan, np.nan], k=3).k == 0
    with pytest.raises(ValueError, match="3–7"):
        ind.classify(y, k=9)
    with pytest.raises(ValueError, match="fisher_jenks"):
        ind.classify(y, method="natural")
    with pytest.raises(ValueError, match="poverty_density"):
        ind.choropleth_indicator("wealth")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=60), st.integers(3, 7),
       st.sampled_from([m.key for m in ind.CLASS_METHODS]))
def test_classes_cover_every_value(values, k, method):
    c = ind.classify(values, method=method, k=k)
    y = np.asarray(values)
    assert (c.index >= 0).all() and sum(c.counts) == len(y)
    assert (c.assign(values) == c.index).all()  # the bounds give every value its own class back
    bounds = np.asarray(c.bounds)
    assert bounds[-1] >= y.max() - 1e-9
    # every value lies at or below its class's upper bound and above the previous one
    for v, i in zip(y, c.index):
        assert v <= bounds[i] + 1e-9
        if i > 0:
            assert v > bounds[i - 1] - 1e-9


def test_flag_filter(table):
    assert ind.flag_mask(table, "old").tolist() == [True, False, False, True, False, False]
    assert ind.flag_mask(table, "old_or_key").sum() == 4
    with pytest.raises(ValueError, match="old_or_key"):
        ind.flag_mask(table, "poorest")


def test_display_table_headers(table):
    s = ind.display_table(ind.town_summary(table))
    assert {"镇街", "村数", "贫困发生率(%)", "道路硬化率(%)", "结对覆盖率(%)"} <= set(s.columns)


def test_village_profile(layers, table):
    code = table["village_code"].iloc[0]
    p = village_profile(code, table, roads=layers["roads"], sites=layers["tourism_sites"], pairings=layers["pairings"],
                        enterprises=layers["enterprises"], projects=layers["projects"], as_of=AS_OF)
    assert p is not None and p.flags == "老区村"
    assert sorted(p.roads["硬化状态"]) == ["已硬化", "未硬化"]
    assert p.sites["名称"].tolist() == ["自力村碉楼群"]
    assert p.pairings["企业"].tolist() == ["开平农业公司"] and p.pairings["状态"].tolist() == ["在结对"]
    # J1 registered here; J2 registered to village 1 but its line crosses into village 0; J3 completed
    assert sorted(p.projects["项目名称"]) == ["村道硬化", "饮水工程"]
    assert village_profile("000000000000", table, as_of=AS_OF) is None


@pytest.mark.parametrize("seed", range(8))
def test_fast_fisher_jenks_equals_mapclassify_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = np.round(rng.lognormal(2, 1, int(rng.integers(30, 280))))  # many ties
    k = 3 + seed % 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = mapclassify.FisherJenks(y, k=k)
    np.testing.assert_allclose(ind.fisher_jenks_bins(y, k), ref.bins)
    got = ind.classify(y, method="fisher_jenks", k=k)
    assert list(got.index) == list(ref.yb)
