"""Raster tools of the tessellation and the road router: the cell grid, its cost graph, geodesic Voronoi regions, polygonisation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
import scipy.ndimage as ndi
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

__all__ = [
    "CELL", "ROUTE_FACTOR", "Grid", "routing_cells", "nearest_cells", "grid_graph", "weighted_geodesic_voronoi",
    "geodesic_voronoi", "fix_fragments", "polygonise",
]

#: Cell size of the label raster the villages are drawn on (metres).
CELL = 50.0
#: The routing grid takes every ROUTE_FACTOR-th label cell (4 × 50 m = 200 m).
ROUTE_FACTOR = 4


@dataclass
class Grid:
    """A raster over the county in the metric CRS: cell (row, col) centre = (x0 + (c+.5)·d, y1 − (r+.5)·d)."""

    x0: float
    y1: float
    d: float
    ny: int
    nx: int

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre x of every column and y of every row."""
        return self.x0 + (np.arange(self.nx) + 0.5) * self.d, self.y1 - (np.arange(self.ny) + 0.5) * self.d

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates (X, Y) of every cell, each of shape (ny, nx)."""
        return np.meshgrid(*self.axes())

    def cell_of(self, x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of the cell holding each point, clipped to the grid."""
        c = np.floor((np.asarray(x) - self.x0) / self.d).astype(int)
        r = np.floor((self.y1 - np.asarray(y)) / self.d).astype(int)
        return np.clip(r, 0, self.ny - 1), np.clip(c, 0, self.nx - 1)


def routing_cells() -> tuple[slice, slice]:
    """The label-raster cells that make up the coarse routing grid (every ROUTE_FACTOR-th, centred)."""
    f = ROUTE_FACTOR
    return slice(f // 2, None, f), slice(f // 2, None, f)


def nearest_cells(xs: np.ndarray, ys: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Index (into xs/ys) of the cell nearest to each point (px, py)."""
    tree = cKDTree(np.c_[xs, ys])
    _, i = tree.query(np.c_[px, py])
    return np.asarray(i)

_NEIGHBOURS = ((0, 1, 1.0), (1, 0, 1.0), (1, 1, np.sqrt(2)), (1, -1, np.sqrt(2)))


def grid_graph(index: np.ndarray, cost: np.ndarray, d: float) -> sp.csr_matrix:
    """8-neighbour graph of the cells with ``index >= 0``; edge weight = length × mean cost."""
    ny, nx = index.shape
    rows, cols, wts = [], [], []
    for dy, dx, step in _NEIGHBOURS:
        a = index[0 : ny - dy, max(0, -dx) : nx - max(0, dx)]
        b = index[dy:ny, max(0, dx) : nx - max(0, -dx)]
        ca = cost[0 : ny - dy, max(0, -dx) : nx - max(0, dx)]
        cb = cost[dy:ny, max(0, dx) : nx - max(0, -dx)]
        ok = (a >= 0) & (b >= 0)
        w = step * d * 0.5 * (ca[ok] + cb[ok])
        rows += [a[ok], b[ok]]
        cols += [b[ok], a[ok]]
        wts += [w, w]
    n = int(index.max()) + 1
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    return sp.csr_matrix((np.concatenate(wts), (r, c)), shape=(n, n))


def weighted_geodesic_voronoi(graph: sp.csr_matrix, seeds: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """For every node the index of the seed minimising ``offset + geodesic distance`` (−1: unreachable)."""
    n = graph.shape[0]
    k = len(seeds)
    virt = sp.csr_matrix(
        (offsets - offsets.min() + 1.0, (np.arange(k), np.asarray(seeds))), shape=(k, n)
    )
    full = sp.bmat([[graph, None], [virt, sp.csr_matrix((k, k))]], format="csr")
    _, _, src = dijkstra(full, directed=True, indices=np.arange(n, n + k), min_only=True, return_predecessors=True)
    out: np.ndarray = src[:n].astype(np.int64) - n
    out[src[:n] < 0] = -1
    return out


def _windows(labels: np.ndarray) -> list[tuple[int, tuple[slice, ...]]]:
    """(label, bounding window grown by one cell) for every label >= 0."""
    out = []
    objs = ndi.find_objects(labels + 1)
    for lab, sl in enumerate(objs):
        if sl is None:
            continue
        win = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in sl)
        out.append((lab, win))
    return out


def geodesic_voronoi(graph: sp.csr_matrix, seeds: np.ndarray) -> np.ndarray:
    """For every node the index of the nearest seed along the graph (−1: unreachable)."""
    _, _, src = dijkstra(graph, directed=True, indices=seeds, min_only=True, return_predecessors=True)
    lookup = np.full(graph.shape[0], -1, dtype=np.int64)
    lookup[seeds] = np.arange(len(seeds))
    out = np.full(graph.shape[0], -1, dtype=np.int64)
    ok = src >= 0
    out[ok] = lookup[src[ok]]
    return out


def fix_fragments(labels: np.ndarray, group: np.ndarray | None = None) -> np.ndarray:
    """Make every label (>= 0) one 4-connected region: detached pieces join the label they touch most.

    With ``group`` (one value per label), pieces only join labels of the same group when they can
    (villages stay in their town). −1 is background and never changes.
    """
    labels = labels.copy()
    for _ in range(10):
        changed = False
        for lab, win in _windows(labels):
            sub = labels[win]
            comp, n = ndi.label(sub == lab)
            if n <= 1:
                continue
            sizes = np.bincount(comp.ravel())[1:]
            keep = int(np.argmax(sizes)) + 1
            for piece in range(1, n + 1):
                if piece == keep:
                    continue
                m = comp == piece
                ring = ndi.binary_dilation(m) & ~m
                cand = sub[ring]
                cand = cand[(cand >= 0) & (cand != lab)]
                if group is not None and len(cand):
                    same = cand[group[cand] == group[lab]]
                    cand = same if len(same) else cand
                if len(cand) == 0:
                    continue
                vals, counts = np.unique(cand, return_counts=True)
                sub[m] = vals[np.argmax(counts)]
                changed = True
        if not changed:
            break
    return labels


def polygonise(labels: np.ndarray, grid: Grid) -> dict[int, shapely.Geometry]:
    """Polygons of the label raster (label −1 is background): cell edges → polygonize → faces by label."""
    pad = np.pad(labels, 1, constant_values=-1)
    h = np.argwhere(pad[:-1, :] != pad[1:, :])  # horizontal edge below padded row r, padded col c
    v = np.argwhere(pad[:, :-1] != pad[:, 1:])  # vertical edge right of padded col c
    # grid vertex (i, j) in padded coordinates: x = x0 + (j - 1)·d, y = y1 − (i − 1)·d
    a = np.concatenate([np.c_[h[:, 0] + 1, h[:, 1]], np.c_[v[:, 0], v[:, 1] + 1]])
    b = np.concatenate([np.c_[h[:, 0] + 1, h[:, 1] + 1], np.c_[v[:, 0] + 1, v[:, 1] + 1]])
    xy_a = np.c_[grid.x0 + (a[:, 1] - 1) * grid.d, grid.y1 - (a[:, 0] - 1) * grid.d]
    xy_b = np.c_[grid.x0 + (b[:, 1] - 1) * grid.d, grid.y1 - (b[:, 0] - 1) * grid.d]
    lines = shapely.linestrings(np.stack([xy_a, xy_b], axis=1))
    faces = np.asarray(shapely.get_parts(shapely.polygonize(lines)))
    pts = shapely.point_on_surface(faces)
    r, c = grid.cell_of(shapely.get_x(pts), shapely.get_y(pts))
    face_lab = labels[r, c]
    out: dict[int, shapely.Geometry] = {}
    for lab in np.unique(face_lab):
        if lab < 0:
            continue
        parts = faces[face_lab == lab]
        out[int(lab)] = parts[0] if len(parts) == 1 else shapely.coverage_union_all(parts)
    return out

