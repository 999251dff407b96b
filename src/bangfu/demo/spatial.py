"""Spatial helpers shared by the demo builders: the metric projection, smooth random fields, random points in polygons."""

from __future__ import annotations

import functools
import numpy as np
import pyproj
import shapely
import shapely.ops

__all__ = [
    "METRIC_CRS", "to_metric", "to_wgs84", "lonlat_to_metric", "SmoothNoise", "sample_inside", "point_inside",
]

#: UTM zone 49N: Kaiping lies at 112.2–112.8°E. Every synthetic geometry is made in metres here.
METRIC_CRS = "EPSG:32649"

_TO_METRIC = pyproj.Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
_TO_WGS84 = pyproj.Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


@functools.cache
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def to_metric(geoms: object, crs: str = METRIC_CRS) -> np.ndarray:
    """WGS-84 lon/lat geometries → metres (UTM 49N, or the metric ``crs``)."""
    tr = _TO_METRIC if crs == METRIC_CRS else _transformer("EPSG:4326", crs)
    out: np.ndarray = shapely.transform(
        np.asarray(geoms, dtype=object), lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1]))
    )
    return out


def to_wgs84(geoms: object, crs: str = METRIC_CRS) -> np.ndarray:
    """Metric (UTM 49N, or ``crs``) geometries → WGS-84 lon/lat."""
    tr = _TO_WGS84 if crs == METRIC_CRS else _transformer(crs, "EPSG:4326")
    out: np.ndarray = shapely.transform(
        np.asarray(geoms, dtype=object), lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1]))
    )
    return out


def lonlat_to_metric(lon: float, lat: float) -> tuple[float, float]:
    """One WGS-84 position → (x, y) in metres (UTM 49N)."""
    x, y = _TO_METRIC.transform(lon, lat)
    return float(x), float(y)


class SmoothNoise:
    """A smooth random field: a sum of plane waves with random directions, wavelengths and phases.

    Deterministic for a given seed and evaluable anywhere, so the same point always gets the same
    value (shared vertices of neighbouring polygons move together).
    """

    def __init__(self, rng: np.random.Generator, wavelengths: tuple[float, float], n: int = 24) -> None:
        lam = np.exp(rng.uniform(np.log(wavelengths[0]), np.log(wavelengths[1]), n))
        theta = rng.uniform(0, 2 * np.pi, n)
        self.kx = 2 * np.pi / lam * np.cos(theta)
        self.ky = 2 * np.pi / lam * np.sin(theta)
        self.phase = rng.uniform(0, 2 * np.pi, n)
        amp = lam / lam.max()  # longer waves carry more energy
        self.amp = amp / np.sqrt((amp**2).sum() / 2)  # unit standard deviation

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Values at the points (x, y) (any broadcastable shapes)."""
        x = np.asarray(x, dtype="float64")
        y = np.asarray(y, dtype="float64")
        out = np.zeros(np.broadcast(x, y).shape)
        for kx, ky, ph, a in zip(self.kx, self.ky, self.phase, self.amp):
            out += a * np.sin(kx * x + ky * y + ph)
        return out

    def grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Values on the grid ``ys × xs`` (rows × columns), by two matrix products."""
        ax = np.outer(np.asarray(xs, dtype="float64"), self.kx) + self.phase  # nx × modes
        ay = np.outer(np.asarray(ys, dtype="float64"), self.ky)  # ny × modes
        values: np.ndarray = (np.cos(ay) * self.amp) @ np.sin(ax).T + (np.sin(ay) * self.amp) @ np.cos(ax).T
        return values

    def max_slope(self) -> float:
        """Upper bound of the gradient norm (per unit of amplitude)."""
        return float((self.amp * np.hypot(self.kx, self.ky)).sum())


def sample_inside(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points (x, y) inside ``poly`` (rejection sampling in its bounding box)."""
    minx, miny, maxx, maxy = poly.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        cand = np.c_[rng.uniform(minx, maxx, 4 * n + 16), rng.uniform(miny, maxy, 4 * n + 16)]
        out = np.vstack([out, cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]])
    return out[:n]


def point_inside(poly: shapely.Geometry, x: float, y: float, margin: float = 150.0) -> tuple[float, float]:
    """(x, y) if it lies inside ``poly`` (with ``margin``), else the nearest such point."""
    core = shapely.buffer(poly, -margin)
    if core.is_empty:
        core = shapely.buffer(poly, -margin / 5)
    if core.is_empty:
        core = poly
    pt = shapely.Point(x, y)
    if shapely.contains(core, pt):
        return x, y
    q = shapely.ops.nearest_points(core, pt)[0]
    # step a little further in so the point is strictly inside
    cx, cy = q.x + 0.02 * (q.x - x), q.y + 0.02 * (q.y - y)
    if not shapely.contains(core, shapely.Point(cx, cy)):
        p = shapely.point_on_surface(core)
        return p.x, p.y
    return cx, cy
