"""Tourism reach counts against a geopandas sjoin oracle; site filters, employment by type, map classes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from bangfu import indicators as ind
from bangfu.core import legend as lg
from bangfu.workspace import areas
from bangfu.maps import base as maps, themes as thememaps
from bangfu.geo.crs import metric_crs
from factories import Pairing, households

QUAD_SEGS = 512  # buffer segmentation error at 3 km: 3000·(1−cos(π/2048)) ≈ 3.5 mm
EDGE_M = 0.05  # points this close to the reach edge are left out of the comparison


def _scatter(n_households: int = 4000, n_sites: int = 6, seed: int = 3):
    """Households spread over the six test villages (by code) and a few sites, in lon/lat."""
    rng = np.random.default_rng(seed)
    v = Pairing.villages()
    minx, miny, maxx, maxy = v.total_bounds
    x = rng.uniform(minx - 0.03, maxx + 0.03, n_households)
    y = rng.uniform(miny - 0.03, maxy + 0.03, n_households)
    codes = np.asarray(v["village_code"])[rng.integers(0, len(v), n_households)]
    poor = pd.array(rng.random(n_households) < 0.3, dtype="boolean")
    hh = households(np.column_stack([x, y]), codes).assign(is_poor=poor)
    sites = Pairing.sites(v).iloc[[0, 1, 2, 3] * 2][:n_sites].copy()
    sx = rng.uniform(minx, maxx, n_sites)
    sy = rng.uniform(miny, maxy, n_sites)
    sites = sites.set_geometry(shapely.points(sx, sy)).reset_index(drop=True)
    return v, hh, sites


def _oracle(hh: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, d: float) -> tuple[np.ndarray, np.ndarray]:
    """(reached mask by sjoin with fine buffers, mask of households safely away from the edge)."""
    crs = metric_crs(sites)
    h, s = hh.to_crs(crs), sites.to_crs(crs)
    buffers = gpd.GeoDataFrame(geometry=s.buffer(d, quad_segs=QUAD_SEGS), crs=crs)
    joined = gpd.sjoin(h[["geometry"]], buffers, how="inner", predicate="intersects")
    reached = np.zeros(len(h), dtype=bool)
    reached[np.unique(h.index.get_indexer(joined.index))] = True
    nearest = gpd.sjoin_nearest(h[["geometry"]], s[["geometry"]], distance_col="dist")
    dist = nearest.groupby(level=0)["dist"].min().reindex(h.index).to_numpy()
    return reached, np.abs(dist - d) > EDGE_M


@pytest.mark.parametrize("distance_m", [0.0, 800.0, 3000.0, 5500.0])
def test_reach_by_town_equals_sjoin_oracle(distance_m: float):
    v, hh, sites = _scatter()
    reached, clear = _oracle(hh, sites, distance_m)
    assert clear.mean() > 0.99
    ours = ind.reached_mask(sites, hh, distance_m=distance_m)
    assert (ours[clear] == reached[clear]).all()
    # per-town counts on the households away from the edge
    kept = hh[clear].reset_index(drop=True)
    table = ind.reach_by_town(v, kept, sites, distance_m=distance_m).set_index("town_code", drop=False)
    # a household's town is the town of the village it lies in (sjoin), else of its recorded village
    located = gpd.sjoin(kept[["geometry"]], v[["town_code", "geometry"]], how="left", predicate="within")
    located = located[~located.index.duplicated()]["town_code"].reindex(kept.index)
    town = located.fillna(kept["village_code"].str[:9]).to_numpy()
    assert (located.notna() & (located != kept["village_code"].str[:9])).any()  # the rule matters here
    poor = kept["is_poor"].to_numpy(dtype=bool)
    r = reached[clear]
    for code in Pairing.TOWNS:
        row = table.loc[code]
        assert row["households"] == (town == code).sum()
        assert row["reached"] == (r & (town == code)).sum()
        assert row["poor_households"] == (poor & (town == code)).sum()
        assert row["poor_reached"] == (r & poor & (town == code)).sum()
    county = table.iloc[-1]
    assert county["town_code"] is None and county["reached"] == r.sum() and county["poor_reached"] == (r & poor).sum()


def test_site_reach_equals_sjoin_per_site():
    v, hh, sites = _scatter(n_households=2000)
    d = 2500.0
    crs = metric_crs(sites)
    h, s = hh.to_crs(crs), sites.to_crs(crs)
    per = ind.site_reach(sites, hh, distance_m=d)
    dist = np.stack([h.distance(g).to_numpy() for g in s.geometry])  # exact distances, sites × households
    clear = (np.abs(dist - d) > EDGE_M).all(axis=0)
    buffers = gpd.GeoDataFrame({"site": range(len(s))}, geometry=s.buffer(d, quad_segs=QUAD_SEGS), crs=crs)
    joined = gpd.sjoin(h[clear][["geometry"]], buffers, predicate="intersects")
    oracle = joined.groupby("site").size().reindex(range(len(s)), fill_value=0).to_numpy()
    inside = dist[:, clear] <= d
    assert (inside.sum(axis=1) == oracle).all()
    # our counts include the (few) edge households; compare exactly on the rest by re-running on them
    per_clear = ind.site_reach(sites, hh[clear], distance_m=d)
    assert per_clear["households_in_reach"].tolist() == oracle.tolist()
    assert (per["households_in_reach"] >= per_clear["households_in_reach"]).all()


def test_empty_inputs_and_negative_distance():
    v, hh, sites = _scatter(n_households=50)
    assert not ind.reached_mask(sites.iloc[:0], hh, distance_m=3000).any()
    table = ind.reach_by_town(v, hh.iloc[:0], sites, distance_m=3000)
    assert table["households"].sum() == 0 and np.isnan(table["reached_pct"]).all()
    with pytest.raises(ValueError, match="-1"):
        ind.reached_mask(sites, hh, distance_m=-1)


def _town_sites(s, v, town: str):
    """The town's sites by the one area rule (bangfu.workspace.areas: where they lie)."""
    return areas.area_slice(areas.town_area(v, town), "tourism_sites", s, villages=v)


def test_filter_sites_by_town_and_type():
    v = Pairing.villages()
    s = Pairing.sites(v)
    assert list(_town_sites(s, v, "440783116")["site_id"]) == ["S1", "S2"]
    assert list(ind.filter_sites(s, types=["红色旅游", "生态农业"])["site_id"]) == ["S3", "S4"]
    assert list(ind.filter_sites(_town_sites(s, v, "440783117"), types=["红色旅游"])["site_id"]) == ["S3"]
    assert ind.filter_sites(s, types=[]).empty
    with pytest.raises(ValueError, match="温泉.*allowed: 碉楼村落"):
        ind.filter_sites(s, types=["温泉"])


def test_site_table_and_employment_by_type():
    v = Pairing.villages()
    s = Pairing.sites(v)
    table = ind.site_table(s, v)
    assert table.set_index("site_id").loc["S3", ["village_name", "town_name"]].tolist() == ["测试3村", "塘口镇"]
    emp = ind.employment_by_type(s)
    assert emp["site_type"].tolist() == ["碉楼村落", "生态农业", "红色旅游", "民宿农家乐"]  # schema order
    assert emp.set_index("site_type")["poor_households_employed"].to_dict() == {
        "碉楼村落": 40, "生态农业": 0, "红色旅游": 3, "民宿农家乐": 6}


def test_quantile_classes():
    """The shared classifier (quantiles) on the tourism page's kind of data; the shared class label format."""
    c = ind.classify(pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.nan]), method="quantiles", k=5)
    cls, breaks = c.index, c.bounds
    assert cls[-1] == -1 and len(breaks) == 5
    assert (np.diff(cls[:-1]) >= 0).all() and cls[0] == 0 and cls[-2] == 4
    c2 = ind.classify([3.0, 3.0, 3.0], method="quantiles", k=5)
    assert c2.bounds == (3.0,) and (c2.index == 0).all()
    items = lg.class_items([(0.5, 1.0), (1.0, 2.5)], ["#000001", "#000002"], decimals=1)
    assert [i.label for i in items] == ["0.5 – 1.0", "1.0 – 2.5"]


def test_tourism_map_escapes_names_and_is_offline():
    v = ind.village_metrics(Pairing.villages())
    s = Pairing.sites(v)
    html = maps.map_html(thememaps.tourism_map(v, s, lang="zh", reach_m=3000))
    # the GeoJSON in the page is \\u-escaped JSON; either way the tag must only appear escaped
    assert "&lt;b&gt;" in html or "\\u0026lt;b\\u0026gt;" in html
    assert "<b>农家乐" not in html and "<b>\\u519c" not in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "贫困密度" in html and "碉楼村落" in html
