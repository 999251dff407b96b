"""Coordinate systems: GCJ-02 and BD-09 conversions (which PROJ does not know) and metric CRS choice.

WGS-84 (EPSG:4326) and CGCS2000 (EPSG:4490) differ by centimetres and are treated as the same.
GCJ-02 is the obfuscated datum used by Amap/Tencent; BD-09 is Baidu's further offset of GCJ-02.
The forward GCJ-02 formula is the widely published one (Krasovsky 1940 ellipsoid constants);
the inverse is solved by fixed-point iteration to well below a millimetre.
Outside mainland China the GCJ-02 offset is not applied (the published convention).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal
from collections.abc import Callable

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    import geopandas as gpd

_A = 6378245.0  # semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323  # eccentricity squared used by the GCJ-02 formula
_X_PI = np.pi * 3000.0 / 180.0

CrsName = Literal["wgs84", "gcj02", "bd09"]
#: Names users can declare for coordinates; EPSG codes are handled by PROJ.
CUSTOM_CRS: tuple[CrsName, ...] = ("wgs84", "gcj02", "bd09")

Arr = NDArray[np.float64]


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Rough mainland-China box in which the GCJ-02 offset applies."""
    x, y = _arrays(lon, lat)
    return (x > 72.004) & (x < 137.8347) & (y > 0.8293) & (y < 55.8271)


def _transform_lat(x: Arr, y: Arr) -> Arr:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: Arr, y: Arr) -> Arr:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: Arr, lat: Arr) -> tuple[Arr, Arr]:
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    """WGS-84 → GCJ-02 (the published forward formula)."""
    x, y = _arrays(lon, lat)
    dx, dy = _gcj_offset(x, y)
    return x + dx, y + dy


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, iterations: int = 8) -> tuple[Arr, Arr]:
    """GCJ-02 → WGS-84 by fixed-point iteration of the forward formula (error far below 1 mm)."""
    gx, gy = _arrays(lon, lat)
    x, y = gx.copy(), gy.copy()
    for _ in range(iterations):
        fx, fy = wgs84_to_gcj02(x, y)
        x = x - (fx - gx)
        y = y - (fy - gy)
    return x, y


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    """GCJ-02 → BD-09 (Baidu)."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    """BD-09 (Baidu) → GCJ-02."""
    x, y = _arrays(lon, lat)
    x = x - 0.0065
    y = y - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    """WGS-84 → BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    """BD-09 → WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_CONVERTERS: dict[tuple[str, str], Callable[[ArrayLike, ArrayLike], tuple[Arr, Arr]]] = {
    ("gcj02", "wgs84"): gcj02_to_wgs84,
    ("wgs84", "gcj02"): wgs84_to_gcj02,
    ("bd09", "gcj02"): bd09_to_gcj02,
    ("gcj02", "bd09"): gcj02_to_bd09,
    ("bd09", "wgs84"): bd09_to_wgs84,
    ("wgs84", "bd09"): wgs84_to_bd09,
}


def convert_coords(lon: ArrayLike, lat: ArrayLike, src: CrsName, dst: CrsName) -> tuple[Arr, Arr]:
    """Convert longitude/latitude arrays between ``wgs84``, ``gcj02`` and ``bd09``."""
    if src == dst:
        return _arrays(lon, lat)
    try:
        fn = _CONVERTERS[(src, dst)]
    except KeyError:
        raise ValueError(f"unknown conversion {src!r} → {dst!r}; known: {', '.join(CUSTOM_CRS)}") from None
    return fn(lon, lat)


def convert_geometry(geoms: ArrayLike, src: CrsName, dst: CrsName) -> NDArray[np.object_]:
    """Convert shapely geometries (array-like) between ``wgs84``, ``gcj02`` and ``bd09``."""

    def _fn(coords: Arr) -> Arr:
        x, y = convert_coords(coords[:, 0], coords[:, 1], src, dst)
        return np.column_stack([x, y])

    out: NDArray[np.object_] = shapely.transform(np.asarray(geoms, dtype=object), _fn)
    return out


def convert_gdf(gdf: gpd.GeoDataFrame, src: CrsName, dst: CrsName) -> gpd.GeoDataFrame:
    """A copy of a lon/lat GeoDataFrame with its geometry converted from ``src`` to ``dst``."""
    out = gdf.copy()
    out.geometry = convert_geometry(gdf.geometry.values, src, dst)
    return out.set_crs("EPSG:4326", allow_override=True)


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS-84 UTM zone containing (lon, lat)."""
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


def metric_crs(gdf: gpd.GeoDataFrame) -> str:
    """A metric CRS (UTM zone of the data's centre) for lengths, areas and buffers."""
    if gdf.empty:
        return "EPSG:32650"
    import geopandas as gpd

    x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
    if not all(np.isfinite([x0, y0, x1, y1])):  # only empty geometries
        return "EPSG:32650"
    if gdf.crs is None or gdf.crs.is_geographic:
        return f"EPSG:{utm_epsg((x0 + x1) / 2, (y0 + y1) / 2)}"
    # only the bounding box is reprojected (its edges densified), not every geometry of the layer; a box of no
    # width or height (one point, points on a line) is reprojected as its corners
    if x1 > x0 and y1 > y0:
        shape = shapely.box(x0, y0, x1, y1).segmentize(max(x1 - x0, y1 - y0) / 16)
    else:
        shape = shapely.MultiPoint([(x0, y0), (x1, y1)])
    b = gpd.GeoSeries([shape], crs=gdf.crs).to_crs("EPSG:4326").total_bounds
    return f"EPSG:{utm_epsg((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)}"


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> Arr:
    """Great-circle distance in metres (for sanity checks of offsets)."""
    x1, y1 = _arrays(lon1, lat1)
    x2, y2 = _arrays(lon2, lat2)
    r = 6371008.8
    p1, p2 = np.radians(y1), np.radians(y2)
    dp, dl = p2 - p1, np.radians(x2 - x1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    distance: Arr = 2 * r * np.arcsin(np.sqrt(a))
    return distance
