"""Catchments: which points (households) lie within a distance of which features, as plain tables.

Geometry stays here; everything downstream (ranking, optimisation, access shares, reach) works on
the numbers these functions return. All inputs are in one metric CRS (metres).

Edge rule: a point exactly at the service distance counts as inside (distance <= d), the same
rule as GEOS ``dwithin`` and as ``point.within(geom.buffer(d))`` up to buffer segmentation.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from .crs import metric_crs


@dataclass(frozen=True)
class Pairs:
    """Sparse feature × point incidence: ``feature[i]`` covers ``point[i]``."""

    feature: NDArray[np.int64]
    point: NDArray[np.int64]
    n_features: int
    n_points: int


def _as_points(xy: NDArray[np.float64] | gpd.GeoSeries | NDArray[np.object_]) -> NDArray[np.object_]:
    if isinstance(xy, gpd.GeoSeries):
        return np.asarray(xy.values, dtype=object)
    arr = np.asarray(xy)
    if arr.dtype == object:
        return arr
    return shapely.points(arr[:, 0], arr[:, 1])


def pairs_within(
    features: NDArray[np.object_] | gpd.GeoSeries,
    points: NDArray[np.float64] | gpd.GeoSeries,
    distance: float | NDArray[np.float64],
) -> Pairs:
    """All (feature, point) pairs with the point within ``distance`` metres of the feature.

    ``distance`` is one number or one per feature. Uses an STR-tree on the points and GEOS
    ``dwithin`` (no buffering, so no segmentation error).
    """
    geoms = np.asarray(features.values if isinstance(features, gpd.GeoSeries) else features, dtype=object)
    pts = _as_points(points)
    n_f, n_p = len(geoms), len(pts)
    if n_f == 0 or n_p == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(empty, empty, n_f, n_p)
    dist = np.broadcast_to(np.asarray(distance, dtype="float64"), (n_f,))
    if (dist < 0).any():
        raise ValueError("distance must be >= 0")
    tree = shapely.STRtree(pts)
    feat_idx, pt_idx = tree.query(geoms, predicate="dwithin", distance=dist)
    order = np.lexsort((pt_idx, feat_idx))
    return Pairs(feat_idx[order].astype(np.int64), pt_idx[order].astype(np.int64), n_f, n_p)


def points_within(
    features: NDArray[np.object_] | gpd.GeoSeries,
    points: NDArray[np.float64] | gpd.GeoSeries,
    distance: float | NDArray[np.float64],
) -> NDArray[np.bool_]:
    """Boolean mask over points: within ``distance`` metres of at least one feature."""
    pairs = pairs_within(features, points, distance)
    mask = np.zeros(pairs.n_points, dtype=bool)
    mask[pairs.point] = True
    return mask


def to_metric(*frames: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, ...]:
    """Reproject frames to one shared metric CRS (the UTM zone of the first non-empty frame)."""
    ref = next((f for f in frames if f is not None and not f.empty), None)
    crs = metric_crs(ref) if ref is not None else "EPSG:32650"
    return tuple(f.to_crs(crs) if f is not None and not f.empty else f for f in frames)
