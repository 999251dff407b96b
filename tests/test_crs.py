"""GCJ-02 / BD-09 conversions against reference pairs from public implementations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bangfu.geo import crs

# (wgs_lat, wgs_lng, gcj_lat, gcj_lng): test vectors of googollee/eviltransform (python/test.py)
EVILTRANSFORM_WGS_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize("wlat,wlng,glat,glng", EVILTRANSFORM_WGS_GCJ)
def test_forward_matches_eviltransform(wlat, wlng, glat, glng):
    lng, lat = crs.wgs84_to_gcj02(wlng, wlat)
    assert lng == pytest.approx(glng, abs=1e-6)
    assert lat == pytest.approx(glat, abs=1e-6)


def test_forward_matches_gcoord():
    # hujiulong/gcoord test/unit/crs/WGS84.spec.js: WGS84 → GCJ02 and → BD09 of (123, 45)
    lng, lat = crs.wgs84_to_gcj02(123, 45)
    assert (float(lng), float(lat)) == pytest.approx((123.00607541, 45.00197815), abs=1e-5)
    lng, lat = crs.wgs84_to_bd09(123, 45)
    assert (float(lng), float(lat)) == pytest.approx((123.0124491, 45.0083293), abs=1e-5)
    # GCJ02.spec.js
    lng, lat = crs.gcj02_to_bd09(123, 45)
    assert (float(lng), float(lat)) == pytest.approx((123.00636499, 45.00636899), abs=1e-5)
    lng, lat = crs.gcj02_to_wgs84(123, 45)
    assert (float(lng), float(lat)) == pytest.approx((122.99395597, 44.99804071), abs=1e-5)


@pytest.mark.parametrize("wlat,wlng,glat,glng", EVILTRANSFORM_WGS_GCJ)
def test_inverse_recovers_wgs(wlat, wlng, glat, glng):
    lng, lat = crs.gcj02_to_wgs84(glng, glat)
    assert crs.haversine_m(lng, lat, wlng, wlat) < 0.5


@settings(max_examples=200, deadline=None)
@given(st.floats(73.6, 134.7), st.floats(18.2, 53.5))
def test_round_trip_below_half_metre(lng, lat):
    g = crs.wgs84_to_gcj02(lng, lat)
    back = crs.gcj02_to_wgs84(*g)
    assert crs.haversine_m(back[0], back[1], lng, lat) < 0.5
    b = crs.wgs84_to_bd09(lng, lat)
    back = crs.bd09_to_wgs84(*b)
    assert crs.haversine_m(back[0], back[1], lng, lat) < 0.5


def test_offset_is_hundreds_of_metres_in_kaiping_and_zero_abroad():
    lng, lat = crs.wgs84_to_gcj02(112.68, 22.37)
    d = crs.haversine_m(lng, lat, 112.68, 22.37)
    assert 200 < d < 900
    lng, lat = crs.wgs84_to_gcj02(2.35, 48.85)  # Paris
    assert (float(lng), float(lat)) == (2.35, 48.85)


def test_vectorised_and_geometry():
    import shapely

    xs = np.array([112.6, 112.7])
    ys = np.array([22.3, 22.4])
    gx, gy = crs.wgs84_to_gcj02(xs, ys)
    line = shapely.LineString(np.column_stack([xs, ys]))
    out = crs.convert_geometry([line], "wgs84", "gcj02")[0]
    np.testing.assert_allclose(np.asarray(out.coords), np.column_stack([gx, gy]))
    with pytest.raises(ValueError, match="unknown conversion"):
        crs.convert_coords(xs, ys, "wgs84", "utm")  # type: ignore[arg-type]


def test_metric_crs_picks_utm_zone():
    assert crs.utm_epsg(112.6, 22.3) == 32649
    assert crs.utm_epsg(122.0, 41.0) == 32651


def test_metric_crs_of_a_single_point_or_a_line_of_points_in_any_crs():
    """A layer whose bounding box has no width or height (one tourism site in a town, sites due north of each
    other) gets the UTM zone of its centre, in lon/lat or already projected (GEOS refused to densify such a box)."""
    import geopandas as gpd
    import shapely

    from bangfu.geo.crs import metric_crs

    one = gpd.GeoDataFrame(geometry=[shapely.Point(112.6, 22.3)], crs="EPSG:4326")
    column = gpd.GeoDataFrame(geometry=[shapely.Point(112.6, 22.3), shapely.Point(112.6, 23.0)], crs="EPSG:4326")
    east = gpd.GeoDataFrame(geometry=[shapely.Point(114.1, 22.3)], crs="EPSG:4326")
    for frame, zone in ((one, "EPSG:32649"), (column, "EPSG:32649"), (east, "EPSG:32650")):
        assert metric_crs(frame) == zone
        assert metric_crs(frame.to_crs("EPSG:3857")) == zone
        assert metric_crs(frame.to_crs("EPSG:32649")) == zone
    assert metric_crs(gpd.GeoDataFrame(geometry=[None], crs="EPSG:4326")) == "EPSG:32650"
