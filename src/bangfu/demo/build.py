"""Build the Kaiping (开平市, 440783) demo workspace deterministically from the sources in geodata/sources.

Real inputs (both in ``geodata/sources``, see its README for provenance): the county boundary
(Amap, GCJ-02, converted to WGS-84 with :func:`bangfu.geo.crs.gcj02_to_wgs84`) and the 270 real
village-level units with their 12-digit codes. Everything else is synthetic but plausible:

* village polygons: a tessellation of the real county boundary — towns grow as a geodesic,
  area-weighted Voronoi diagram over a noisy cost surface from approximate town positions,
  villages likewise inside their town (Lloyd-relaxed), the label raster is polygonised,
  simplified as a coverage, given natural irregular edges and clipped to the real boundary;
* about 100,000 household points clustered in hamlets, with poverty higher in the hilly west
  and the published 赤水镇 seed facts reproduced exactly;
* a road network that reaches every village from its town seat, tourism sites (the real
  diaolou at approximate positions plus examples), enterprises, pairings and candidate projects.

Run ``python -m bangfu.demo build [--out PATH]``; the same seed gives the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.ndimage as ndi
import scipy.sparse as sp
import shapely
import shapely.ops
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree

from bangfu.core import fileio
from bangfu.core.resources import DEMO_PATH, SOURCES_DIR
from bangfu.workspace import store
from bangfu.geo.crs import convert_geometry
from bangfu.workspace.schema import LAYERS, PAIRING_TYPES, POVERTY_CAUSES, SITE_TYPES

DEFAULT_SEED = 20201231
COUNTY_CODE = "440783"
COUNTY_NAME = "开平市"
AS_OF = "2020-12-31"
SOURCES = SOURCES_DIR
BOUNDARY_FILE = SOURCES / "admin_boundaries_gcj02.geojson"
VILLAGE_FILE = SOURCES / "villages_liaoning_kaiping.csv"
METRIC_CRS = "EPSG:32649"  # UTM zone 49N: Kaiping lies at 112.2–112.8°E

SYNTHETIC_NOTE = (
    "示例数据：开平市县界、镇街与村（居）名称和代码为真实数据；村界多边形、农户点、贫困户与贫困人口"
    "（赤水镇种子数据除外）、道路、企业、结对、候选项目和游客人数均为合成数据；"
    "碉楼景点名称真实、位置为近似位置。"
)

TOTAL_HOUSEHOLDS = 100_000
CELL = 50.0  # metres, label raster
ROUTE_FACTOR = 4  # routing grid = 4 label cells = 200 m

# --------------------------------------------------------------------------- fixed facts


@dataclass(frozen=True)
class TownSpec:
    """Approximate layout of one town-level unit (positions WGS-84, synthetic but plausible)."""

    centre: tuple[float, float]  # where its territory grows from
    seat: tuple[float, float]  # the town seat (镇墟/街道中心)
    area_km2: float  # rough target area before scaling to the county
    poverty: float  # base share of registered poor households
    hilly: bool


TOWNS: dict[str, TownSpec] = {
    "440783001": TownSpec((112.690, 22.345), (112.693, 22.372), 62, 0.006, False),  # 三埠街道
    "440783002": TownSpec((112.640, 22.400), (112.668, 22.379), 75, 0.008, False),  # 长沙街道
    "440783103": TownSpec((112.610, 22.465), (112.600, 22.470), 68, 0.022, False),  # 沙塘镇
    "440783104": TownSpec((112.540, 22.530), (112.550, 22.530), 85, 0.025, False),  # 苍城镇
    "440783105": TownSpec((112.640, 22.590), (112.640, 22.580), 110, 0.028, False),  # 龙胜镇
    "440783106": TownSpec((112.450, 22.590), (112.430, 22.600), 215, 0.046, True),  # 大沙镇
    "440783107": TownSpec((112.570, 22.080), (112.570, 22.120), 160, 0.038, True),  # 马冈镇
    "440783108": TownSpec((112.540, 22.390), (112.545, 22.375), 70, 0.024, False),  # 塘口镇
    "440783109": TownSpec((112.610, 22.310), (112.590, 22.315), 70, 0.022, False),  # 赤坎镇
    "440783110": TownSpec((112.535, 22.305), (112.535, 22.300), 75, 0.028, False),  # 百合镇
    "440783111": TownSpec((112.480, 22.255), (112.500, 22.240), 85, 0.040, True),  # 蚬冈镇
    "440783112": TownSpec((112.440, 22.160), (112.450, 22.160), 130, 0.045, True),  # 金鸡镇
    "440783115": TownSpec((112.720, 22.510), (112.710, 22.500), 95, 0.020, False),  # 月山镇
    "440783116": TownSpec((112.310, 22.450), (112.310, 22.460), 150, 0.043, True),  # 赤水镇
    "440783117": TownSpec((112.770, 22.460), (112.765, 22.458), 95, 0.015, False),  # 水口镇
    "440783400": TownSpec((112.728, 22.410), (112.725, 22.410), 15, 0.005, False),  # 翠山湖新区
}
URBAN_TOWNS = ("440783001", "440783002")  # 三埠街道, 长沙街道: the city centre

CHISHUI = "440783116"
CHISHUI_OLD_DISTRICT = ("步栏", "林屋", "三合", "长塘", "松南", "高龙", "高山")
CHISHUI_POOR = (325, 915)  # households, people (低保 target group)
CHISHUI_KEY = (71, 251)  # of which key households with labour capacity
#: The other 10 of Kaiping's 17 老区 villages: a synthetic choice in hilly towns.
OTHER_OLD_DISTRICT = {
    "440783106": ("联山", "夹水", "黎雄"),  # 大沙镇
    "440783112": ("石迳", "锦湖"),  # 金鸡镇
    "440783111": ("春山", "横石"),  # 蚬冈镇
    "440783107": ("牛山", "虎山"),  # 马冈镇
    "440783105": ("齐洞",),  # 龙胜镇
}
#: Key villages (重点帮扶村) that are not 老区 villages: synthetic.
OTHER_KEY_VILLAGES = {
    "440783106": ("西湾",),
    "440783107": ("长间", "蒲冈"),
    "440783111": ("风洞",),
    "440783112": ("五联",),
    "440783110": ("厚山",),
    "440783104": ("潭碧",),
    "440783103": ("台洞",),
}

#: Kaiping's best-known diaolou sites; coordinates are approximate WGS-84 positions.
DIAOLOU_SITES = (
    ("自力村碉楼群", "440783108", (112.5513, 22.3633), 5, 420_000),
    ("立园", "440783108", (112.5665, 22.3640), 5, 380_000),
    ("马降龙碉楼群", "440783110", (112.5370, 22.2990), 5, 160_000),
    ("锦江里碉楼群", "440783111", (112.4790, 22.2840), 5, 60_000),
    ("赤坎古镇", "440783109", (112.5880, 22.3200), 4, 520_000),
)

INDUSTRIES = ("农产品加工", "乡村旅游", "电子商务", "建材", "水产养殖", "家具制造", "五金卫浴", "纺织服装", "物流", "食品饮料")

MEMBER_P = np.array([0.09, 0.18, 0.22, 0.22, 0.15, 0.09, 0.05])  # 1..7 persons
POOR_MEMBER_P = np.array([0.20, 0.27, 0.22, 0.15, 0.09, 0.05, 0.02])


# --------------------------------------------------------------------------- inputs


def load_county_boundary() -> shapely.Polygon:
    """The real Kaiping boundary (adcode 440783) converted from GCJ-02 to WGS-84."""
    data = json.loads(BOUNDARY_FILE.read_text(encoding="utf-8"))
    feats = [f for f in data["features"] if str(f["properties"].get("adcode")) == COUNTY_CODE]
    if not feats:
        raise ValueError(f"{BOUNDARY_FILE.name} has no feature with adcode {COUNTY_CODE}")
    geom = shapely.geometry.shape(feats[0]["geometry"])
    wgs = convert_geometry([geom], "gcj02", "wgs84")[0]
    parts = list(getattr(wgs, "geoms", [wgs]))
    poly = max(parts, key=lambda p: p.area)
    return shapely.make_valid(poly) if not poly.is_valid else poly


def load_village_table() -> pd.DataFrame:
    """The 270 real village-level units of Kaiping (codes read as text)."""
    df = pd.read_csv(VILLAGE_FILE, dtype=str, keep_default_na=False)
    df = df[df["county_code"] == COUNTY_CODE].reset_index(drop=True)
    cols = ["village_code", "village_name", "town_code", "town_name", "county_code", "county_name"]
    df = df[cols].copy()
    df["county_name"] = COUNTY_NAME
    missing = sorted(set(df["town_code"]) - set(TOWNS))
    if missing:
        raise ValueError(f"towns without a layout: {missing}")
    return df


def short_name(name: str) -> str:
    """``步栏村委会`` → ``步栏村``; ``东河社区居委会`` → ``东河社区``."""
    for suffix, repl in (("社区居委会", "社区"), ("村委会", "村"), ("居委会", "社区")):
        if name.endswith(suffix):
            return name[: -len(suffix)] + repl
    return name


# --------------------------------------------------------------------------- smooth noise


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
        return (np.cos(ay) * self.amp) @ np.sin(ax).T + (np.sin(ay) * self.amp) @ np.cos(ax).T

    def max_slope(self) -> float:
        """Upper bound of the gradient norm (per unit of amplitude)."""
        return float((self.amp * np.hypot(self.kx, self.ky)).sum())


# --------------------------------------------------------------------------- grid helpers


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
        return np.meshgrid(*self.axes())

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = np.floor((np.asarray(x) - self.x0) / self.d).astype(int)
        r = np.floor((self.y1 - np.asarray(y)) / self.d).astype(int)
        return np.clip(r, 0, self.ny - 1), np.clip(c, 0, self.nx - 1)


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
    out = src[:n].astype(np.int64) - n
    out[src[:n] < 0] = -1
    return out


def _windows(labels: np.ndarray) -> list[tuple[int, tuple[slice, slice]]]:
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


# --------------------------------------------------------------------------- projection helpers

_TO_METRIC = pyproj.Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
_TO_WGS84 = pyproj.Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def to_metric(geoms: object) -> np.ndarray:
    """WGS-84 lon/lat geometries → metres (UTM 49N)."""
    return shapely.transform(np.asarray(geoms, dtype=object), lambda c: np.column_stack(_TO_METRIC.transform(c[:, 0], c[:, 1])))


def to_wgs84(geoms: object) -> np.ndarray:
    """Metric (UTM 49N) geometries → WGS-84 lon/lat."""
    return shapely.transform(np.asarray(geoms, dtype=object), lambda c: np.column_stack(_TO_WGS84.transform(c[:, 0], c[:, 1])))


def lonlat_to_metric(lon: float, lat: float) -> tuple[float, float]:
    x, y = _TO_METRIC.transform(lon, lat)
    return float(x), float(y)


# --------------------------------------------------------------------------- tessellation


@dataclass
class Tessellation:
    """The village coverage in metres plus the rasters it was made from (reused for routing)."""

    polygons: list[shapely.Polygon]  # one per row of the village table
    grid: Grid
    labels: np.ndarray  # village row index per cell (−1 outside)
    town_of: np.ndarray  # town index per village row
    seats: dict[str, tuple[float, float]]  # town code → seat (metres)


def _nearest_cells(xs: np.ndarray, ys: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Index (into xs/ys) of the cell nearest to each point (px, py)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(np.c_[xs, ys])
    _, i = tree.query(np.c_[px, py])
    return np.asarray(i)


def _fit_offsets(
    graph: sp.csr_matrix, seeds: np.ndarray, target: np.ndarray, step: float, iters: int, off: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Additive weights so that the geodesic regions of ``seeds`` approach the ``target`` cell counts.

    The gain decays (regions competing across a bottleneck otherwise flip back and forth); the
    best iteration (smallest worst relative error) wins. Returns (offsets, labels).
    """
    off = np.zeros(len(seeds)) if off is None else off.copy()
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for it in range(iters):
        lab = weighted_geodesic_voronoi(graph, seeds, off)
        cnt = np.bincount(lab[lab >= 0], minlength=len(seeds)).astype(float)
        err = float(np.max(np.abs(np.log(np.maximum(cnt, 1) / target))))
        if best is None or err < best[0]:
            best = (err, off.copy(), lab)
        gain = 0.6 / (1.0 + it / 6.0)
        off += gain * (np.sqrt(cnt) - np.sqrt(target)) * step / np.sqrt(np.pi)
        off -= off.min()
    assert best is not None
    return best[1], best[2]


def _town_labels(grid: Grid, inside: np.ndarray, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Town index per cell (−1 outside): a warped, area-weighted geodesic Voronoi of the town centres."""
    codes = list(TOWNS)
    noise = SmoothNoise(rng, (1200.0, 12000.0), n=32)
    cost = np.exp(0.6 * noise.grid(*grid.axes()))
    centres = np.array([lonlat_to_metric(*TOWNS[c].centre) for c in codes])
    share = np.array([TOWNS[c].area_km2 for c in codes])
    share = share / share.sum()

    f = ROUTE_FACTOR
    sl = (slice(f // 2, None, f), slice(f // 2, None, f))
    ins_c = inside[sl]
    idx_c = np.full(ins_c.shape, -1, dtype=np.int64)
    idx_c[ins_c] = np.arange(ins_c.sum())
    g_c = grid_graph(idx_c, cost[sl], grid.d * f)
    seeds_c = _nearest_cells(X[sl][ins_c], Y[sl][ins_c], centres[:, 0], centres[:, 1])
    off, _ = _fit_offsets(g_c, seeds_c, share * ins_c.sum(), grid.d * f * float(np.median(cost)), 40)

    idx = np.full(inside.shape, -1, dtype=np.int64)
    idx[inside] = np.arange(inside.sum())
    g = grid_graph(idx, cost, grid.d)
    seeds = _nearest_cells(X[inside], Y[inside], centres[:, 0], centres[:, 1])
    # refine on the fine grid (its distances differ slightly), with a small gain
    off, lab = _fit_offsets(g, seeds, share * inside.sum(), 0.3 * grid.d * float(np.median(cost)), 4, off)
    out = np.full(inside.shape, -1, dtype=np.int64)
    out[inside] = lab
    return out


def is_seat_type(name: str) -> bool:
    """A 墟/社区 unit (the town seat is the first of these); not the 虚拟社区 of 翠山湖新区."""
    return ("社区" in name or "墟" in name) and "虚拟" not in name


def _village_labels(
    town_lab: np.ndarray,
    table: pd.DataFrame,
    X: np.ndarray,
    Y: np.ndarray,
    seats: dict[str, tuple[float, float]],
    grid: Grid,
    rng: np.random.Generator,
) -> np.ndarray:
    """Village row index per cell: inside each town a Lloyd-relaxed geodesic Voronoi on a density field.

    The density is higher around the town seat, so the regions there come out small; the 墟/社区
    units take the regions nearest the seat (the first of them the one containing the seat).
    """
    codes = list(TOWNS)
    cost = np.exp(0.45 * SmoothNoise(rng, (500.0, 4000.0)).grid(*grid.axes()))
    var = np.exp(0.45 * SmoothNoise(rng, (2000.0, 8000.0)).grid(*grid.axes()))
    inside = town_lab >= 0
    idx = np.full(inside.shape, -1, dtype=np.int64)
    idx[inside] = np.arange(inside.sum())
    g = grid_graph(idx, cost, grid.d)
    flat_town = town_lab[inside]
    xs_all, ys_all, var_all = X[inside], Y[inside], var[inside]
    lab_flat = np.full(len(flat_town), -1, dtype=np.int64)
    for t, code in enumerate(codes):
        cells = np.flatnonzero(flat_town == t)
        units = table[table["town_code"] == code]
        rows = units.index.to_numpy()
        n = len(units)
        if n == 1:
            lab_flat[cells] = rows[0]
            continue
        xs, ys = xs_all[cells], ys_all[cells]
        sub = g[cells][:, cells]
        sx, sy = seats[code]
        seat_type = np.array([is_seat_type(nm) for nm in units["village_name"]])
        urban = code in URBAN_TOWNS
        radius = 2200.0 if urban else 700.0 * np.sqrt(max(seat_type.sum(), 1))
        boost = 25.0 if urban else 10.0
        dens = var_all[cells] * (1.0 + boost * np.exp(-((xs - sx) ** 2 + (ys - sy) ** 2) / radius**2))
        # initial seeds: density-weighted random cells, spread by farthest-point sampling
        cand = rng.choice(len(cells), size=min(4000, len(cells)), replace=False, p=dens / dens.sum())
        seeds = [int(cand[0])]
        dmin = np.hypot(xs[cand] - xs[seeds[0]], ys[cand] - ys[seeds[0]]) * np.sqrt(dens[cand])
        for _ in range(n - 1):
            j = int(cand[int(np.argmax(dmin))])
            seeds.append(j)
            dmin = np.minimum(dmin, np.hypot(xs[cand] - xs[j], ys[cand] - ys[j]) * np.sqrt(dens[cand]))
        seed_arr = np.array(seeds, dtype=np.int64)
        for _ in range(8):
            lab = geodesic_voronoi(sub, seed_arr)
            ok = lab >= 0
            wsum = np.bincount(lab[ok], weights=dens[ok], minlength=n)
            cx = np.bincount(lab[ok], weights=dens[ok] * xs[ok], minlength=n) / np.maximum(wsum, 1e-9)
            cy = np.bincount(lab[ok], weights=dens[ok] * ys[ok], minlength=n) / np.maximum(wsum, 1e-9)
            moved = np.empty(n, dtype=np.int64)
            for i in range(n):
                mine = np.flatnonzero(lab == i)
                k = int(np.argmin((xs[mine] - cx[i]) ** 2 + (ys[mine] - cy[i]) ** 2))
                moved[i] = mine[k]
            seed_arr = moved
        lab = geodesic_voronoi(sub, seed_arr)
        ok = lab >= 0  # cells cut off from the seeds (specks) are filled in later
        if len(np.unique(lab[ok])) != n:
            raise RuntimeError(f"town {code}: village tessellation lost a village")
        # which region goes to which unit: seat-type units nearest the seat, the first one at the seat
        cnt = np.bincount(lab[ok], minlength=n)
        rx = np.bincount(lab[ok], weights=xs[ok], minlength=n) / cnt
        ry = np.bincount(lab[ok], weights=ys[ok], minlength=n) / cnt
        dist = np.hypot(rx - sx, ry - sy)
        seat_region = int(lab[ok][int(np.argmin((xs[ok] - sx) ** 2 + (ys[ok] - sy) ** 2))])
        order = [seat_region] + [int(r) for r in np.argsort(dist, kind="stable") if r != seat_region]
        unit_order = list(np.flatnonzero(seat_type)) + list(rng.permutation(np.flatnonzero(~seat_type)))
        region_to_row = np.empty(n, dtype=np.int64)
        for region, unit in zip(order, unit_order):
            region_to_row[region] = rows[unit]
        lab_flat[cells] = np.where(ok, region_to_row[np.maximum(lab, 0)], -1)
    out = np.full(inside.shape, -1, dtype=np.int64)
    out[inside] = lab_flat
    return out


def _extend_labels(labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Give unlabelled cells of ``mask`` the label of the nearest labelled cell."""
    out = labels.copy()
    _, (ri, ci) = ndi.distance_transform_edt(labels < 0, return_indices=True)
    fill = mask & (labels < 0)
    out[fill] = labels[ri[fill], ci[fill]]
    return out


def _coverage_edges(polys: Sequence[shapely.Geometry]) -> np.ndarray:
    """The unique edges of a polygon coverage (each shared border once, merged between nodes)."""
    lines = shapely.union_all(shapely.boundary(np.asarray(polys, dtype=object)))
    merged = shapely.line_merge(lines)
    return np.asarray(shapely.get_parts(merged))


def _displace(geoms: np.ndarray, nx_: SmoothNoise, ny_: SmoothNoise, amp: float) -> np.ndarray:
    """Move every vertex by a smooth displacement field (same point → same move)."""

    def fn(c: np.ndarray) -> np.ndarray:
        return np.column_stack([c[:, 0] + amp * nx_(c[:, 0], c[:, 1]), c[:, 1] + amp * ny_(c[:, 0], c[:, 1])])

    return shapely.transform(geoms, fn)


def _faces_with_labels(
    edges: np.ndarray, county: shapely.Polygon, label_polys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Polygonize ``edges`` together with the county boundary; label each face inside the county."""
    lines = shapely.union_all(np.concatenate([edges, shapely.get_parts(shapely.boundary(county))]))
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))))
    pts = shapely.point_on_surface(faces)
    keep = shapely.contains(county, pts)
    faces, pts = faces[keep], pts[keep]
    tree = shapely.STRtree(label_polys)
    hit_pt, hit_poly = tree.query(pts, predicate="within")
    lab = np.full(len(faces), -1, dtype=np.int64)
    lab[hit_pt] = hit_poly
    if (lab < 0).any():  # slivers outside every label polygon (should not happen): nearest
        miss = np.flatnonzero(lab < 0)
        lab[miss] = tree.nearest(pts[miss])
    return faces, lab


def _enclosed(background: np.ndarray) -> np.ndarray:
    """Background cells not connected to the raster's border (holes to fill)."""
    comp, _ = ndi.label(background)
    border = np.unique(np.concatenate([comp[0], comp[-1], comp[:, 0], comp[:, -1]]))
    return background & ~np.isin(comp, border)


def _lookup(points: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Index of the polygon containing each point (the nearest one when none does)."""
    tree = shapely.STRtree(polys)
    p_idx, g_idx = tree.query(points, predicate="within")
    out = np.full(len(points), -1, dtype=np.int64)
    out[p_idx] = g_idx
    miss = np.flatnonzero(out < 0)
    if len(miss):
        out[miss] = tree.nearest(points[miss])
    return out


def _shared_length(a: shapely.Geometry, b: shapely.Geometry) -> float:
    return float(shapely.length(shapely.intersection(shapely.boundary(a), shapely.boundary(b))))


def _single_parts(faces: np.ndarray, lab: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Relabel faces so that every label is one polygon: detached parts join the neighbour sharing most border."""
    lab = lab.copy()
    for _ in range(10):
        changed = False
        for v in np.unique(lab):
            idx = np.flatnonzero(lab == v)
            geom = shapely.coverage_union_all(faces[idx])
            parts = list(shapely.get_parts(geom))
            if len(parts) <= 1:
                continue
            main = max(parts, key=lambda p: p.area)
            for i in idx:
                if shapely.intersects(main, shapely.point_on_surface(faces[i])):
                    continue
                nb = shapely.STRtree(faces).query(faces[i], predicate="touches")
                nb = [j for j in nb if lab[j] != v]
                if not nb:
                    continue
                same = [j for j in nb if group[lab[j]] == group[v]]
                pool = same or nb
                best = max(pool, key=lambda j: _shared_length(faces[i], faces[j]))
                lab[i] = lab[best]
                changed = True
        if not changed:
            break
    return lab


def tessellate(county_wgs: shapely.Polygon, table: pd.DataFrame, rng: np.random.Generator) -> Tessellation:
    """Villages as a valid polygon coverage of the county (metres), one Polygon per table row."""
    county = to_metric([county_wgs])[0]
    shapely.prepare(county)
    minx, miny, maxx, maxy = county.bounds
    margin = 1000.0
    x0 = np.floor((minx - margin) / CELL) * CELL
    y1 = np.ceil((maxy + margin) / CELL) * CELL
    nx_ = int(np.ceil((maxx + margin - x0) / CELL))
    ny_ = int(np.ceil((y1 - (miny - margin)) / CELL))
    grid = Grid(x0, y1, CELL, ny_, nx_)
    X, Y = grid.centres()
    inside = shapely.contains_xy(county, X, Y)
    near = shapely.contains_xy(shapely.buffer(county, 400.0), X, Y)

    codes = list(TOWNS)
    town_lab = _town_labels(grid, inside, X, Y, rng)
    town_lab = fix_fragments(_extend_labels(town_lab, inside), None)
    seats: dict[str, tuple[float, float]] = {}
    for t, code in enumerate(codes):
        sx, sy = lonlat_to_metric(*TOWNS[code].seat)
        r, c = grid.cell_of(sx, sy)
        if town_lab[r, c] != t:
            m = town_lab == t
            j = _nearest_cells(X[m], Y[m], np.array([sx]), np.array([sy]))[0]
            sx, sy = float(X[m][j]), float(Y[m][j])
        seats[code] = (sx, sy)

    town_of = np.array([codes.index(c) for c in table["town_code"]])
    vlab = _village_labels(town_lab, table, X, Y, seats, grid, rng)
    vlab = fix_fragments(vlab, town_of)
    vlab = _extend_labels(vlab, near)
    vlab = fix_fragments(_extend_labels(vlab, _enclosed(vlab < 0)), town_of)

    polys = polygonise(vlab, grid)
    if sorted(polys) != list(range(len(table))):
        raise RuntimeError("polygonisation lost a village")
    raw = np.array([polys[i] for i in range(len(table))], dtype=object)
    simple = shapely.coverage_simplify(raw, 1.3 * CELL)
    edges = shapely.segmentize(_coverage_edges(simple), 35.0)
    nx_noise = SmoothNoise(rng, (300.0, 3000.0))
    ny_noise = SmoothNoise(rng, (300.0, 3000.0))
    # the slope bound keeps the displacement a one-to-one map, so the coverage stays valid
    amp = min(35.0, 0.9 / max(nx_noise.max_slope(), ny_noise.max_slope()))
    moved = _displace(edges, nx_noise, ny_noise, amp)

    # label the displaced faces: move a point of each face back and look it up in the simplified coverage
    faces0 = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(moved)))))
    pts = shapely.point_on_surface(faces0)
    back = _displace(pts, nx_noise, ny_noise, -amp)
    face_label = _lookup(back, simple)
    if len(np.unique(face_label)) != len(table):
        raise RuntimeError("displacement lost a village")
    displaced = np.array([shapely.coverage_union_all(faces0[face_label == i]) for i in range(len(table))], dtype=object)

    faces, lab = _faces_with_labels(moved, county, displaced)
    lab = _single_parts(faces, lab, town_of)
    out = []
    for i in range(len(table)):
        parts = faces[lab == i]
        if len(parts) == 0:
            raise RuntimeError(f"village {table.loc[i, 'village_name']} vanished when clipping")
        out.append(shapely.coverage_union_all(parts))
    return Tessellation(out, grid, vlab, town_of, seats)


# --------------------------------------------------------------------------- villages and households


def _rows_named(table: pd.DataFrame, town: str, names: Sequence[str]) -> list[int]:
    """Row indices of the villages called ``<name>村委会`` in ``town`` (KeyError if one is missing)."""
    out = []
    for name in names:
        hit = table.index[(table["town_code"] == town) & (table["village_name"] == f"{name}村委会")]
        if len(hit) != 1:
            raise KeyError(f"no village {name}村委会 in town {town}")
        out.append(int(hit[0]))
    return out


def village_flags(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(is_old_district, is_key_village) per row: the 赤水 seed facts plus the synthetic choices."""
    old = np.zeros(len(table), dtype=bool)
    key = np.zeros(len(table), dtype=bool)
    chishui = _rows_named(table, CHISHUI, CHISHUI_OLD_DISTRICT)
    old[chishui] = True
    for town, names in OTHER_OLD_DISTRICT.items():
        old[_rows_named(table, town, names)] = True
    key |= old
    for town, names in OTHER_KEY_VILLAGES.items():
        key[_rows_named(table, town, names)] = True
    return old, key


@dataclass
class Hamlets:
    """Hamlet centres (metres) of every village; ``main[i]`` is the index of village i's largest."""

    x: np.ndarray
    y: np.ndarray
    village: np.ndarray
    weight: np.ndarray
    main: np.ndarray


def _sample_inside(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points (x, y) inside ``poly``."""
    minx, miny, maxx, maxy = poly.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        cand = np.c_[rng.uniform(minx, maxx, 4 * n + 16), rng.uniform(miny, maxy, 4 * n + 16)]
        out = np.vstack([out, cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]])
    return out[:n]


def _household_counts(table: pd.DataFrame, areas_km2: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Household points per village, summing to :data:`TOTAL_HOUSEHOLDS`."""
    base = np.empty(len(table))
    for i, (name, town) in enumerate(zip(table["village_name"], table["town_code"])):
        if "虚拟" in name:
            base[i] = 300
        elif is_seat_type(name):
            base[i] = 950 if town in URBAN_TOWNS else 560
        else:
            dens = 30.0 if TOWNS[town].hilly else 45.0
            base[i] = 230 + dens * min(areas_km2[i], 16.0)
    w = base * np.exp(rng.normal(0, 0.22, len(table)))
    raw = w / w.sum() * TOTAL_HOUSEHOLDS
    counts = np.floor(raw).astype(int)
    rest = TOTAL_HOUSEHOLDS - counts.sum()
    counts[np.argsort(-(raw - counts), kind="stable")[:rest]] += 1
    return counts


def make_hamlets(table: pd.DataFrame, polys: Sequence[shapely.Polygon], rng: np.random.Generator) -> Hamlets:
    """3–8 hamlet centres per village, away from the village edge where possible."""
    xs, ys, vil, wts, main = [], [], [], [], []
    for i, poly in enumerate(polys):
        k = int(rng.integers(5, 9)) if is_seat_type(table.loc[i, "village_name"]) else int(rng.integers(3, 9))
        core = shapely.buffer(poly, -150.0)
        if core.is_empty or core.area < 0.15 * poly.area:
            core = shapely.buffer(poly, -40.0)
        if core.is_empty:
            core = poly
        pts = _sample_inside(core, k, rng)
        w = rng.dirichlet(np.full(k, 1.6))
        main.append(len(xs) + int(np.argmax(w)))
        xs += list(pts[:, 0])
        ys += list(pts[:, 1])
        vil += [i] * k
        wts += list(w)
    return Hamlets(np.array(xs), np.array(ys), np.array(vil), np.array(wts), np.array(main))


def make_household_points(
    table: pd.DataFrame, polys: Sequence[shapely.Polygon], hamlets: Hamlets, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Household positions (metres) clustered around the hamlets; returns (xy, village row per point)."""
    areas = np.array([p.area for p in polys]) / 1e6
    counts = _household_counts(table, areas, rng)
    out_xy, out_v = [], []
    for i, poly in enumerate(polys):
        inner = shapely.buffer(poly, -5.0)
        if inner.is_empty:
            inner = poly
        shapely.prepare(inner)
        h = np.flatnonzero(hamlets.village == i)
        per = rng.multinomial(counts[i], hamlets.weight[h])
        urban = is_seat_type(table.loc[i, "village_name"])
        scale = np.sqrt(poly.area) * (0.16 if urban and table.loc[i, "town_code"] in URBAN_TOWNS else 0.1 if urban else 0.07)
        pts_v = []
        for j, n in zip(h, per):
            sigma = scale * rng.uniform(0.7, 1.3)
            got = np.empty((0, 2))
            for _ in range(60):
                if len(got) >= n:
                    break
                cand = np.c_[rng.normal(hamlets.x[j], sigma, 2 * n + 8), rng.normal(hamlets.y[j], sigma, 2 * n + 8)]
                got = np.vstack([got, cand[shapely.contains_xy(inner, cand[:, 0], cand[:, 1])]])
                sigma *= 0.9  # near an edge: tighten
            if len(got) < n:
                got = np.vstack([got, _sample_inside(inner, n - len(got), rng)])
            pts_v.append(got[:n])
        pts = np.vstack(pts_v)
        out_xy.append(pts)
        out_v.append(np.full(len(pts), i))
    return np.vstack(out_xy), np.concatenate(out_v)


def _fix_sum(values: np.ndarray, target: int, rng: np.random.Generator, lo: int = 1, hi: int = 7) -> np.ndarray:
    """Nudge integers in [lo, hi] by ±1 until they sum to ``target``."""
    v = values.copy()
    if not (lo * len(v) <= target <= hi * len(v)):
        raise ValueError(f"cannot reach {target} with {len(v)} values in [{lo}, {hi}]")
    while v.sum() != target:
        if v.sum() > target:
            cand = np.flatnonzero(v > lo)
            v[cand[rng.integers(len(cand))]] -= 1
        else:
            cand = np.flatnonzero(v < hi)
            v[cand[rng.integers(len(cand))]] += 1
    return v


def household_attributes(
    table: pd.DataFrame, hv: np.ndarray, old: np.ndarray, key: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Members, poverty, labour and cause for every household point (``hv``: village row per point)."""
    n = len(hv)
    towns = table["town_code"].to_numpy()
    names = table["village_name"].to_numpy()
    # village poverty incidence: town base × variation; higher in key villages, low in town centres
    inc = np.array([TOWNS[t].poverty for t in towns]) * np.exp(rng.normal(0, 0.35, len(table)))
    inc *= np.where(key, 1.9, 1.0) * np.where([is_seat_type(x) for x in names], 0.35, 1.0)
    inc = np.clip(inc, 0.0, 0.2)
    urban = np.array([t in URBAN_TOWNS for t in towns])[hv]
    members = np.where(
        urban,
        rng.choice(np.arange(1, 8), n, p=[0.13, 0.23, 0.25, 0.2, 0.11, 0.05, 0.03]),
        rng.choice(np.arange(1, 8), n, p=MEMBER_P),
    )
    poor = rng.random(n) < inc[hv]
    in_chishui = towns[hv] == CHISHUI
    poor[in_chishui] = False
    cs = np.flatnonzero(in_chishui)
    pick = rng.choice(cs, CHISHUI_POOR[0], replace=False, p=inc[hv[cs]] / inc[hv[cs]].sum())
    poor[pick] = True
    members[poor] = rng.choice(np.arange(1, 8), int(poor.sum()), p=POOR_MEMBER_P)
    labour = np.where(poor, rng.random(n) < 0.27, rng.random(n) < 0.93)
    # 赤水镇: exactly 325 poor households (915 people), of which 71 (251 people) key with labour
    pick = np.sort(pick)
    key_pick = np.sort(rng.choice(pick, CHISHUI_KEY[0], replace=False))
    rest = np.setdiff1d(pick, key_pick)
    labour[pick] = False
    labour[key_pick] = True
    members[key_pick] = _fix_sum(rng.choice(np.arange(1, 8), len(key_pick), p=MEMBER_P), CHISHUI_KEY[1], rng)
    members[rest] = _fix_sum(members[rest], CHISHUI_POOR[1] - CHISHUI_KEY[1], rng)
    is_key = poor & labour
    cause = np.full(n, None, dtype=object)
    with_l = ("缺技术", "缺资金", "因病", "因学", "因灾")
    without = ("因病", "因残", "缺劳力", "其他")
    idx = np.flatnonzero(poor & labour)
    cause[idx] = rng.choice(with_l, len(idx), p=[0.3, 0.28, 0.17, 0.15, 0.1])
    idx = np.flatnonzero(poor & ~labour)
    cause[idx] = rng.choice(without, len(idx), p=[0.42, 0.3, 0.22, 0.06])
    assert set(cause[poor]) <= set(POVERTY_CAUSES)
    codes = table["village_code"].to_numpy()[hv]
    serial = np.zeros(n, dtype=int)
    for v in np.unique(hv):  # hv is grouped by village already
        m = np.flatnonzero(hv == v)
        serial[m] = np.arange(1, len(m) + 1)
    ids = [f"{c}{s:04d}" for c, s in zip(codes, serial)]
    return pd.DataFrame(
        {
            "household_id": ids,
            "village_code": codes,
            "members": members.astype(int),
            "is_poor": poor,
            "is_key": is_key,
            "poverty_cause": cause,
            "has_labour": labour,
        }
    )


def village_attributes(
    table: pd.DataFrame, households: pd.DataFrame, old: np.ndarray, key: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """The villages table: real names and codes, aggregates of the household points, synthetic income."""
    hh = households.assign(poor_members=households["members"].where(households["is_poor"], 0))
    agg = hh.groupby("village_code").agg(
        households=("household_id", "size"),
        population=("members", "sum"),
        poor_households=("is_poor", "sum"),
        poor_population=("poor_members", "sum"),
    )
    out = table.copy()
    for col in agg.columns:
        out[col] = out["village_code"].map(agg[col]).fillna(0).astype(int).to_numpy()
    out["is_old_district"] = old
    out["is_key_village"] = key
    income = np.empty(len(out))
    for i, (name, town) in enumerate(zip(out["village_name"], out["town_code"])):
        if is_seat_type(name):
            lo, hi = (80, 400) if town in URBAN_TOWNS else (30, 150)
            income[i] = np.exp(rng.uniform(np.log(lo), np.log(hi)))
        else:
            med = 8.0 if key[i] else (12.0 if TOWNS[town].hilly else 20.0)
            income[i] = med * np.exp(rng.normal(0, 0.5))
    out["collective_income_wan"] = np.round(income, 1)
    return out


# --------------------------------------------------------------------------- roads


def town_seat_rows(table: pd.DataFrame) -> dict[str, int]:
    """Town code → row of its seat unit: the first 墟/社区 unit, else the first unit."""
    out: dict[str, int] = {}
    for code in TOWNS:
        rows = table.index[table["town_code"] == code]
        seat = [r for r in rows if is_seat_type(table.loc[r, "village_name"])]
        out[code] = int((seat or list(rows))[0])
    return out


@dataclass
class RoadPiece:
    """A road as a node path on the routing grid (plus optional exact end point)."""

    nodes: list[int]
    road_class: str
    village: int  # village row it serves (−1: decide by length)
    label: str = ""


class RoadNetwork:
    """Roads grown on a 200 m routing grid; every new road starts where it meets the network."""

    def __init__(self, grid: Grid, county: shapely.Polygon, vlab: np.ndarray, town_of: np.ndarray, rng: np.random.Generator):
        f = ROUTE_FACTOR
        sl = (slice(f // 2, None, f), slice(f // 2, None, f))
        X, Y = grid.centres()
        X, Y = X[sl], Y[sl]
        inner = shapely.buffer(county, -120.0)
        ok = shapely.contains_xy(inner, X, Y) & (vlab[sl] >= 0)
        # keep the largest connected piece of the routing mask
        comp, n = ndi.label(ok, structure=np.ones((3, 3)))
        sizes = np.bincount(comp.ravel())
        sizes[0] = 0
        ok = comp == int(np.argmax(sizes))
        idx = np.full(ok.shape, -1, dtype=np.int64)
        idx[ok] = np.arange(ok.sum())
        noise = SmoothNoise(rng, (600.0, 6000.0))
        hill = np.array([TOWNS[c].hilly for c in TOWNS])[town_of[np.maximum(vlab[sl], 0)]]
        cost = np.exp(0.5 * noise(X, Y)) * np.where(hill, 1.25, 1.0)
        self.graph = grid_graph(idx, cost, grid.d * f)
        self.x = list(X[ok])
        self.y = list(Y[ok])
        self.village = vlab[sl][ok]
        self.town = town_of[self.village]
        self.n_grid = int(ok.sum())
        self.on_net = np.zeros(self.n_grid, dtype=bool)
        self.net_edges: set[tuple[int, int]] = set()
        self.pieces: list[RoadPiece] = []
        self._tree = shapely.STRtree(shapely.points(np.c_[X[ok], Y[ok]]))
        self._coo = self.graph.tocoo()
        lo = np.minimum(self._coo.row, self._coo.col).astype(np.int64)
        hi = np.maximum(self._coo.row, self._coo.col).astype(np.int64)
        self._keys = lo * self.n_grid + hi

    # -- nodes
    def add_point(self, x: float, y: float) -> int:
        """A free-standing node at (x, y) (a hamlet), returns its id."""
        self.x.append(float(x))
        self.y.append(float(y))
        return len(self.x) - 1

    def nearest_node(self, x: float, y: float, village: int | None = None, polys: Sequence[shapely.Geometry] | None = None) -> int:
        """Nearest grid node to (x, y), inside ``polys[village]`` when one is."""
        if village is not None and polys is not None:
            hits = self._tree.query(polys[village], predicate="contains")
            if len(hits):
                d = (np.asarray(self.x)[hits] - x) ** 2 + (np.asarray(self.y)[hits] - y) ** 2
                return int(hits[int(np.argmin(d))])
        return int(self._tree.nearest(shapely.Point(x, y)))

    # -- growing
    def _weighted(self, town: int | None) -> sp.csr_matrix:
        """Graph weights: network edges cheaper; leaving ``town`` dearer."""
        g = self._coo
        w = g.data.copy()
        if self.net_edges:
            keys = np.array([a * self.n_grid + b for a, b in self.net_edges if b < self.n_grid], dtype=np.int64)
            w[np.isin(self._keys, keys)] *= 0.35
        if town is not None:
            out = (self.town[g.row] != town) | (self.town[g.col] != town)
            w[out] *= 3.0
        return sp.csr_matrix((w, (g.row, g.col)), shape=g.shape)

    def add_path(self, path: list[int], road_class: str, village: int, label: str = "") -> list[RoadPiece]:
        """Add the parts of ``path`` that are not yet on the network (cut at every network node)."""
        added: list[RoadPiece] = []
        cur: list[int] = [path[0]]
        for a, b in zip(path[:-1], path[1:]):
            if (min(a, b), max(a, b)) in self.net_edges:
                cur = [b]
                continue
            cur.append(b)
            if b < self.n_grid and self.on_net[b]:
                added.append(RoadPiece(cur, road_class, village, label))
                cur = [b]
        if len(cur) > 1:
            added.append(RoadPiece(cur, road_class, village, label))
        for piece in added:
            for a, b in zip(piece.nodes[:-1], piece.nodes[1:]):
                self.net_edges.add((min(a, b), max(a, b)))
            for nd in piece.nodes:
                if nd < self.n_grid:
                    self.on_net[nd] = True
        self.pieces += added
        return added

    def shortest(self, source: int, town: int | None) -> tuple[np.ndarray, np.ndarray]:
        dist, pred = dijkstra(self._weighted(town), directed=True, indices=source, return_predecessors=True)
        return dist, pred

    @staticmethod
    def chain(pred: np.ndarray, target: int) -> list[int]:
        """Node path from the dijkstra source to ``target``."""
        out = [target]
        while pred[out[-1]] >= 0:
            out.append(int(pred[out[-1]]))
        return out[::-1]

    def split_at_junctions(self) -> list[RoadPiece]:
        """Split pieces at interior nodes where another piece ends or passes (junctions become endpoints)."""
        count: dict[int, int] = {}
        ends: set[int] = set()
        for p in self.pieces:
            ends.add(p.nodes[0])
            ends.add(p.nodes[-1])
            for nd in p.nodes:
                count[nd] = count.get(nd, 0) + 1
        out: list[RoadPiece] = []
        for p in self.pieces:
            cur = [p.nodes[0]]
            for nd in p.nodes[1:]:
                cur.append(nd)
                if nd != p.nodes[-1] and (nd in ends or count[nd] > 1):
                    out.append(RoadPiece(cur, p.road_class, p.village, p.label))
                    cur = [nd]
            out.append(RoadPiece(cur, p.road_class, p.village, p.label))
        return out


def _chaikin(xy: np.ndarray, rounds: int = 2) -> np.ndarray:
    """Corner cutting that keeps both end points."""
    for _ in range(rounds):
        if len(xy) < 3:
            return xy
        q = 0.75 * xy[:-1] + 0.25 * xy[1:]
        r = 0.25 * xy[:-1] + 0.75 * xy[1:]
        mid = np.empty((2 * (len(xy) - 1), 2))
        mid[0::2] = q
        mid[1::2] = r
        xy = np.vstack([xy[:1], mid[1:-1], xy[-1:]])
    return xy


def build_road_network(
    table: pd.DataFrame,
    tes: Tessellation,
    county_m: shapely.Polygon,
    hamlets: Hamlets,
    rng: np.random.Generator,
) -> tuple[RoadNetwork, list[RoadPiece]]:
    """County roads between town seats (MST), per-town trees to every village, 组道 to some hamlets."""
    net = RoadNetwork(tes.grid, county_m, tes.labels, tes.town_of, rng)
    polys = tes.polygons
    codes = list(TOWNS)
    seat_rows = town_seat_rows(table)
    # a grid node and an exact end node for every hamlet
    h_grid = np.array(
        [net.nearest_node(hamlets.x[j], hamlets.y[j], int(hamlets.village[j]), polys) for j in range(len(hamlets.x))]
    )
    h_node = np.array([net.add_point(hamlets.x[j], hamlets.y[j]) for j in range(len(hamlets.x))])
    main_of = {int(hamlets.village[j]): int(j) for j in hamlets.main}
    seat_node = np.array([h_grid[main_of[seat_rows[c]]] for c in codes])

    # county roads: minimum spanning tree over the seats plus the two shortest extra links
    sx, sy = np.asarray(net.x)[seat_node], np.asarray(net.y)[seat_node]
    dmat = np.hypot(sx[:, None] - sx[None, :], sy[:, None] - sy[None, :])
    mst = minimum_spanning_tree(sp.csr_matrix(np.triu(dmat))).tocoo()
    links = sorted((int(min(a, b)), int(max(a, b))) for a, b in zip(mst.row, mst.col))
    extra = sorted(
        ((dmat[a, b], a, b) for a in range(len(codes)) for b in range(a + 1, len(codes)) if (a, b) not in links)
    )[:2]
    links += [(a, b) for _, a, b in extra]
    for k, (a, b) in enumerate(links):
        _, pred = net.shortest(int(seat_node[a]), None)
        path = net.chain(pred, int(seat_node[b]))
        label = f"县道X{531 + k}（{table.loc[seat_rows[codes[a]], 'town_name']}—{table.loc[seat_rows[codes[b]], 'town_name']}）"
        net.add_path(path, "县道", -1, label)

    # town trees: from the seat to each village's main hamlet, nearest villages first
    for t, code in enumerate(codes):
        dist, pred = net.shortest(int(seat_node[t]), t)
        rows = [int(r) for r in table.index[table["town_code"] == code]]
        targets = {r: int(h_grid[main_of[r]]) for r in rows}
        usage: dict[tuple[int, int], int] = {}
        paths = {r: net.chain(pred, targets[r]) for r in rows}
        for path in paths.values():
            for a, b in zip(path[:-1], path[1:]):
                e = (min(a, b), max(a, b))
                usage[e] = usage.get(e, 0) + 1
        for r in sorted(rows, key=lambda r: (dist[targets[r]], r)):
            path = paths[r] + [int(h_node[main_of[r]])]
            # split where the trunk (used by ≥3 villages: 乡道) turns into a village branch (村道)
            cls = ["乡道" if usage.get((min(a, b), max(a, b)), 0) >= 3 else "村道" for a, b in zip(path[:-1], path[1:])]
            start = 0
            for i in range(1, len(cls) + 1):
                if i == len(cls) or cls[i] != cls[start]:
                    seg = path[start : i + 1]
                    if len(seg) > 1:
                        net.add_path(seg, cls[start], r if cls[start] == "村道" else -1)
                    start = i

    # 组道: from some secondary hamlets to the nearest point of the network
    on = np.flatnonzero(net.on_net)
    g = net._weighted(None)
    _, pred, _ = dijkstra(g, directed=True, indices=on, min_only=True, return_predecessors=True)
    for r in range(len(table)):
        own = [int(j) for j in np.flatnonzero(hamlets.village == r)]
        hs = sorted((j for j in own if j != main_of[r]), key=lambda j: -hamlets.weight[j])[: int(rng.integers(1, 3))]
        for j in hs:
            start = int(h_grid[j])
            path = [int(h_node[j]), start]
            while not net.on_net[path[-1]] and pred[path[-1]] >= 0:
                path.append(int(pred[path[-1]]))
            if not net.on_net[path[-1]]:
                continue
            length = sum(np.hypot(net.x[a] - net.x[b], net.y[a] - net.y[b]) for a, b in zip(path[:-1], path[1:]))
            if length < 150.0:
                continue
            net.add_path(path[::-1], "组道", r, str(own.index(j) + 1))  # label: the hamlet's number
    return net, net.split_at_junctions()


_ROAD_STATUS_P = {  # (completed, under_construction, planned, unhardened) by class, for plain / hilly towns
    "县道": ((1.0, 0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0)),
    "乡道": ((0.96, 0.04, 0.0, 0.0), (0.88, 0.08, 0.04, 0.0)),
    "村道": ((0.91, 0.03, 0.03, 0.03), (0.72, 0.07, 0.10, 0.11)),
    "组道": ((0.72, 0.03, 0.08, 0.17), (0.50, 0.05, 0.15, 0.30)),
}


def _village_by_length(lines: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Row of the village holding the largest share of each line's length."""
    tree = shapely.STRtree(polys)
    li, pi = tree.query(lines, predicate="intersects")
    lengths = shapely.length(shapely.intersection(lines[li], polys[pi]))
    best = np.full(len(lines), -1, dtype=np.int64)
    best_len = np.full(len(lines), -1.0)
    for l_, p_, ln in zip(li, pi, lengths):
        if ln > best_len[l_]:
            best_len[l_] = ln
            best[l_] = p_
    return best


def roads_layer(
    table: pd.DataFrame,
    net: RoadNetwork,
    pieces: list[RoadPiece],
    polys_m: Sequence[shapely.Polygon],
    county_m: shapely.Polygon,
    rng: np.random.Generator,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The roads layer (WGS-84) and the metric geometries of the same rows."""
    xs, ys = np.asarray(net.x), np.asarray(net.y)
    wig_x = SmoothNoise(rng, (200.0, 2000.0))
    wig_y = SmoothNoise(rng, (200.0, 2000.0))
    amp = min(25.0, 0.5 / max(wig_x.max_slope(), wig_y.max_slope()))
    geoms = []
    for p in pieces:
        xy = _chaikin(np.c_[xs[p.nodes], ys[p.nodes]], 3)
        xy = xy + amp * np.c_[wig_x(xy[:, 0], xy[:, 1]), wig_y(xy[:, 0], xy[:, 1])]
        geoms.append(shapely.linestrings(xy))
    geoms_m = np.asarray(geoms, dtype=object)
    outside = ~shapely.covered_by(geoms_m, county_m)
    if outside.any():  # keep them inside the county (clip, keep the part that carries both ends)
        for i in np.flatnonzero(outside):
            geoms_m[i] = shapely.line_merge(shapely.intersection(geoms_m[i], county_m))
        if any(g.geom_type != "LineString" for g in geoms_m[outside]):
            raise RuntimeError("a road leaves the county")
    polys = np.asarray(polys_m, dtype=object)
    by_len = _village_by_length(geoms_m, polys)
    names = table["village_name"].map(short_name).to_numpy()
    towns = table["town_name"].to_numpy()
    town_codes = table["town_code"].to_numpy()
    order = sorted(range(len(pieces)), key=lambda i: (["县道", "乡道", "村道", "组道"].index(pieces[i].road_class), i))
    rows = []
    county_years: dict[str, tuple[int, int]] = {}
    lengths_km = shapely.length(geoms_m) / 1000.0
    for k, i in enumerate(order):
        p = pieces[i]
        # the village it serves (村道/组道) when it reaches it, else where most of its length lies
        v = p.village if p.village >= 0 and shapely.intersects(geoms_m[i], polys[p.village]) else int(by_len[i])
        hilly = TOWNS[town_codes[v]].hilly
        status = str(rng.choice(list(("completed", "under_construction", "planned", "unhardened")), p=_ROAD_STATUS_P[p.road_class][int(hilly)]))
        cls = p.road_class
        if cls == "县道":
            name = p.label
        elif cls == "乡道":
            name = f"{towns[v]}{names[v]}乡道"
        elif cls == "村道":
            name = f"{towns[v]}{names[v]}道" if names[v].endswith("村") else f"{towns[v]}{names[v]}道路"
        else:
            name = f"{towns[v]}{names[v]}{p.label}组道"
        planned = completed = None
        if status == "completed":
            completed = int(rng.integers(2014, 2021)) if not hilly else int(rng.integers(2016, 2021))
            planned = completed - int(rng.integers(0, 2))
            if cls == "县道":  # all pieces of one county road were built together
                completed, planned = county_years.setdefault(p.label, (completed, planned))
            progress = 100.0
            surface = "沥青" if cls == "县道" or (cls == "乡道" and rng.random() < 0.3) else "水泥"
        elif status == "under_construction":
            planned = int(rng.integers(2020, 2022))
            progress = float(rng.integers(2, 19) * 5)
            surface = "砂石"
        elif status == "planned":
            planned = int(rng.integers(2021, 2024))
            progress = 0.0
            surface = str(rng.choice(["砂石", "土路"]))
        else:
            progress = 0.0
            surface = str(rng.choice(["砂石", "土路"], p=[0.35, 0.65]))
        per_km = rng.uniform(60, 80) if cls == "县道" else rng.uniform(30, 80)
        rows.append(
            {
                "road_id": f"R{k + 1:04d}",
                "name": name,
                "village_code": table.loc[v, "village_code"],
                "road_class": cls,
                "surface": surface,
                "status": status,
                "planned_year": planned,
                "completed_year": completed,
                "progress_pct": progress,
                "cost_wan": round(float(max(lengths_km[i], 0.05) * per_km), 1),
                "version": 1,
            }
        )
    ordered_m = geoms_m[order]
    gdf = gpd.GeoDataFrame(rows, geometry=list(to_wgs84(ordered_m)), crs="EPSG:4326")
    for col in ("planned_year", "completed_year"):
        gdf[col] = gdf[col].astype("Int64")
    return gdf, ordered_m


# --------------------------------------------------------------------------- sites, enterprises, pairings, projects


def _point_inside(poly: shapely.Geometry, x: float, y: float, margin: float = 150.0) -> tuple[float, float]:
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


def tourism_sites_layer(
    table: pd.DataFrame, polys_m: np.ndarray, poor_hh: np.ndarray, rng: np.random.Generator
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The real diaolou sites (approximate positions, synthetic figures) plus synthetic example sites."""
    rows, pts = [], []
    tree = shapely.STRtree(polys_m)
    towns = table["town_code"].to_numpy()
    for name, town, (lon, lat), level, visitors in DIAOLOU_SITES:
        x, y = lonlat_to_metric(lon, lat)
        hit = [int(i) for i in tree.query(shapely.Point(x, y), predicate="within") if towns[i] == town]
        if hit:
            v = hit[0]
        else:  # nearest village of the right town
            cand = np.flatnonzero(towns == town)
            v = int(cand[int(np.argmin(shapely.distance(polys_m[cand], shapely.Point(x, y))))])
        x, y = _point_inside(polys_m[v], x, y, 60.0)
        rows.append(
            {
                "name": name,
                "site_type": "古镇古村" if name.endswith("古镇") else "碉楼村落",
                "a_level": level,
                "village_code": table.loc[v, "village_code"],
                "annual_visitors": int(visitors * rng.uniform(0.85, 1.15) // 100 * 100),
                "poor_households_employed": int(rng.integers(min(12, int(poor_hh[v])), max(min(40, int(poor_hh[v])), 12) + 1)),
                "approximate_location": True,
                "synthetic": False,
            }
        )
        pts.append((x, y))
    # synthetic example sites: more in the hilly west and the diaolou belt
    weight = np.array([3.0 if TOWNS[t].hilly else (2.0 if t in ("440783108", "440783109", "440783110") else 1.0) for t in towns])
    weight *= np.array([0.2 if is_seat_type(n) else 1.0 for n in table["village_name"]])
    chosen = rng.choice(len(table), 20, replace=False, p=weight / weight.sum())
    types = [t for t in SITE_TYPES]
    for k, v in enumerate(sorted(int(c) for c in chosen)):
        xy = _sample_inside(shapely.buffer(polys_m[v], -100.0) if not shapely.buffer(polys_m[v], -100.0).is_empty else polys_m[v], 1, rng)[0]
        st = str(rng.choice(types, p=[0.1, 0.15, 0.3, 0.1, 0.2, 0.15]))
        rows.append(
            {
                "name": f"示例景点{k + 1:02d}",
                "site_type": st,
                "a_level": int(rng.choice([0, 0, 1, 2, 2, 3, 3, 4])),
                "village_code": table.loc[v, "village_code"],
                "annual_visitors": int(rng.integers(30, 1500) * 100),
                "poor_households_employed": int(rng.integers(0, min(int(poor_hh[v]), 15) + 1)),
                "approximate_location": False,
                "synthetic": True,
            }
        )
        pts.append((float(xy[0]), float(xy[1])))
    for k, r in enumerate(rows):
        r["site_id"] = f"S{k + 1:03d}"
    geoms_m = shapely.points(np.asarray(pts))
    gdf = gpd.GeoDataFrame(rows, geometry=list(to_wgs84(geoms_m)), crs="EPSG:4326")
    return gdf[["site_id", *[c for c in gdf.columns if c not in ("site_id", "geometry")], "geometry"]], geoms_m


def enterprises_layer(
    seats_xy: dict[str, tuple[float, float]], county_m: shapely.Polygon, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """40 obviously synthetic enterprises (示例企业001…) near the city centre and the town seats."""
    n = 40
    codes = list(TOWNS)
    city = ["440783001", "440783002", "440783400", "440783117"]
    others = [c for c in codes if c not in city]
    where = [city[i % len(city)] for i in range(16)] + [others[i % len(others)] for i in range(n - 16)]
    leading = set(int(i) for i in rng.choice(n, 8, replace=False))
    inner = shapely.buffer(county_m, -200.0)
    shapely.prepare(inner)
    rows, pts = [], []
    for i in range(n):
        sx, sy = seats_xy[where[i]]
        spread = 1800.0 if where[i] in city else 900.0
        while True:
            x, y = sx + rng.normal(0, spread), sy + rng.normal(0, spread)
            if shapely.contains_xy(inner, x, y):
                break
        lead = i in leading
        rows.append(
            {
                "enterprise_id": f"E{i + 1:03d}",
                "name": f"示例企业{i + 1:03d}",
                "industry": str(rng.choice(INDUSTRIES)),
                "is_leading": lead,
                "employees": int(rng.integers(300, 2001) if lead else rng.integers(15, 301)),
            }
        )
        pts.append((x, y))
    return gpd.GeoDataFrame(rows, geometry=list(to_wgs84(shapely.points(np.asarray(pts)))), crs="EPSG:4326")


def _iso(day: np.datetime64) -> str:
    return str(np.datetime_as_string(day, unit="D"))


def pairings_table(villages: pd.DataFrame, enterprises: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """About 55 enterprise–village pairings; most but deliberately not all needy villages are covered."""
    needy = villages.index[villages["is_key_village"] | villages["is_old_district"]].tolist()
    chishui = [r for r in needy if villages.loc[r, "town_code"] == CHISHUI and villages.loc[r, "is_old_district"]]
    others = [r for r in needy if r not in chishui]
    ent = enterprises["enterprise_id"].tolist()
    leading = enterprises.loc[enterprises["is_leading"], "enterprise_id"].tolist()
    free = [e for e in ent if e not in leading]
    order = list(rng.permutation(len(free)))
    pool = [free[i] for i in order]  # non-leading enterprises, shuffled
    big = leading[0]  # one leading enterprise pairs with several villages
    start_lo, start_hi = np.datetime64("2016-01-01"), np.datetime64("2020-06-30")
    span = int((start_hi - start_lo).astype(int))
    rows: list[dict[str, object]] = []

    def add(ent_id: str, r: int, *, ended: bool = False) -> None:
        start = start_lo + np.timedelta64(int(rng.integers(0, span)), "D")
        end = None
        if ended:
            end_day = start + np.timedelta64(int(rng.integers(365, 3 * 365)), "D")
            end_day = min(end_day, np.datetime64("2020-11-30"))
            end = _iso(end_day)
        poor = int(villages.loc[r, "poor_households"])
        rows.append(
            {
                "enterprise_id": ent_id,
                "village_code": villages.loc[r, "village_code"],
                "pairing_type": str(rng.choice(PAIRING_TYPES, p=[0.35, 0.25, 0.15, 0.1, 0.15])),
                "start_date": _iso(start),
                "end_date": end,
                "committed_wan": round(float(rng.uniform(20, 200) if ent_id in leading else rng.uniform(5, 80)), 1),
                "poor_households_employed": int(rng.integers(0, min(poor, 30) + 1)),
                "version": 1,
            }
        )

    # 赤水镇: 一村一企业 — each 老区 village its own enterprise
    chishui_ents = []
    for r in chishui:
        chishui_ents.append(pool.pop())
        add(chishui_ents[-1], r)
    # other needy villages: five stay unpaired (one of them only by an ended pairing)
    perm = [others[i] for i in rng.permutation(len(others))]
    unpaired, paired = perm[:5], perm[5:]
    add(pool.pop(), unpaired[0], ended=True)
    for j, r in enumerate(paired):
        add(big if j < 4 else leading[1 + (j - 4) % (len(leading) - 1)] if j % 3 == 0 else pool[j % len(pool)], r)
    for r in paired[-3:]:  # three needy villages with a second partner
        add(leading[-1], r)
    # the rest: ordinary villages, weighted towards the poorer ones
    rest = [r for r in villages.index if r not in needy]
    w = villages.loc[rest, "poor_households"].to_numpy(dtype=float) + 1.0
    n_rest = 55 - len(rows)
    picks = rng.choice(rest, n_rest, replace=False, p=w / w.sum())
    others_ent = [e for e in ent if e not in chishui_ents]
    for k, r in enumerate(sorted(int(p) for p in picks)):
        add(others_ent[int(rng.integers(len(others_ent)))], r, ended=k % 10 == 3)
    out = pd.DataFrame(rows)
    out = out.sort_values(["start_date", "village_code", "enterprise_id"], kind="stable").reset_index(drop=True)
    out.insert(0, "pairing_id", [f"P{i + 1:03d}" for i in range(len(out))])
    return out


_PROJECT_PLAN = (  # type, count, name suffix, cost range (万元)
    ("drinking_water", 10, "饮水安全工程", (50, 300)),
    ("bridge", 7, "桥梁建设", (80, 500)),
    ("irrigation", 8, "农田水利灌溉工程", (30, 200)),
    ("clinic", 5, "村卫生站建设", (30, 120)),
    ("school", 4, "学校改造", (80, 300)),
    ("broadband", 6, "宽带网络覆盖", (20, 100)),
)


def _blob(x: float, y: float, radius: float, rng: np.random.Generator) -> shapely.Polygon:
    """A small irregular polygon (an irrigation area) around (x, y)."""
    ang = np.linspace(0, 2 * np.pi, 25)[:-1]
    r = radius * np.exp(0.25 * np.sin(2 * ang + rng.uniform(0, 6)) + 0.15 * np.sin(3 * ang + rng.uniform(0, 6)))
    return shapely.Polygon(np.c_[x + r * np.cos(ang), y + r * np.sin(ang)])


def projects_layer(
    table: pd.DataFrame,
    villages: pd.DataFrame,
    polys_m: np.ndarray,
    roads: gpd.GeoDataFrame,
    roads_m: np.ndarray,
    hamlets: Hamlets,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """About 60 candidate projects, more in the poorer west: road hardening (lines), points, irrigation areas."""
    names = table["village_name"].map(short_name).to_numpy()
    towns = table["town_name"].to_numpy()
    code_to_row = {c: i for i, c in enumerate(table["village_code"])}
    hilly = np.array([TOWNS[t].hilly for t in table["town_code"]])
    need = (villages["poor_households"].to_numpy(dtype=float) + 2.0) * np.where(hilly, 2.0, 1.0)
    need *= np.where(villages["is_key_village"].to_numpy(dtype=bool), 1.5, 1.0)
    items: list[tuple[int, str, str, float, shapely.Geometry]] = []
    # road hardening: the planned or unhardened village roads, poorer villages first
    cand = roads.index[roads["status"].isin(["planned", "unhardened"]) & roads["road_class"].isin(["村道", "组道", "乡道"])]
    score = np.array([need[code_to_row[roads.loc[i, "village_code"]]] * rng.uniform(0.5, 1.5) for i in cand])
    for i in [cand[j] for j in np.argsort(-score, kind="stable")[:20]]:
        r = code_to_row[roads.loc[i, "village_code"]]
        km = float(shapely.length(roads_m[i])) / 1000.0
        cost = float(np.clip(km * rng.uniform(55, 90), 40, 400))
        items.append((r, "road_hardening", "道路硬化", cost, roads_m[i]))
    p = need / need.sum()
    for ptype, count, suffix, (lo, hi) in _PROJECT_PLAN:
        for r in rng.choice(len(table), count, replace=False, p=p):
            r = int(r)
            hs = np.flatnonzero(hamlets.village == r)
            j = int(rng.choice(hs))
            poly = polys_m[r]
            if ptype == "irrigation":
                geom = None
                for _ in range(20):
                    x, y = _sample_inside(poly, 1, rng)[0]
                    blob = _blob(x, y, rng.uniform(60, 130), rng)
                    if shapely.contains(poly, blob):
                        geom = blob
                        break
                if geom is None:
                    geom = shapely.intersection(shapely.buffer(shapely.point_on_surface(poly), 60.0), poly)
            else:
                x, y = hamlets.x[j] + rng.normal(0, 120), hamlets.y[j] + rng.normal(0, 120)
                x, y = _point_inside(poly, x, y, 30.0)
                geom = shapely.Point(x, y)
            items.append((r, ptype, suffix, float(rng.uniform(lo, hi)), geom))
    # A few small projects are already approved this year (must-in by default), leaving most of a
    # 500 万元 budget free for the portfolio.
    cheap = [k for k, item in enumerate(items) if item[3] < 100.0]
    approved = set(int(i) for i in rng.choice(cheap, min(3, len(cheap)), replace=False))
    order = sorted(range(len(items)), key=lambda k: (table.loc[items[k][0], "village_code"], items[k][1], k))
    rows, geoms, seen = [], [], {}
    for n, k in enumerate(order):
        r, ptype, suffix, cost, geom = items[k]
        name = f"{towns[r]}{names[r]}{suffix}"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name += f"（{'一二三四五六七八九'[seen[name] - 1]}期）"
        rows.append(
            {
                "project_id": f"J{n + 1:03d}",
                "name": name,
                "project_type": ptype,
                "cost_wan": round(cost, 1),
                "village_code": table.loc[r, "village_code"],
                "status": "approved" if k in approved else "candidate",
            }
        )
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=list(to_wgs84(np.asarray(geoms, dtype=object))), crs="EPSG:4326")


# --------------------------------------------------------------------------- assembly


def build_layers(seed: int = DEFAULT_SEED, *, verbose: bool = False) -> dict[str, pd.DataFrame]:
    """Every schema layer of the Kaiping demo (EPSG:4326), deterministic for a given ``seed``."""
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        if verbose:
            print(f"[{time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr)

    rng = np.random.default_rng(seed)
    county_wgs = load_county_boundary()
    county_m = to_metric([county_wgs])[0]
    table = load_village_table()
    tes = tessellate(county_wgs, table, np.random.default_rng([seed, 1]))
    log("village tessellation")
    polys_m = np.asarray(tes.polygons, dtype=object)
    polys_wgs = to_wgs84(polys_m)
    check_coverage(polys_wgs, county_wgs)
    old, key = village_flags(table)

    hamlets = make_hamlets(table, polys_m, np.random.default_rng([seed, 2]))
    xy, hv = make_household_points(table, polys_m, hamlets, np.random.default_rng([seed, 3]))
    households = household_attributes(table, hv, old, key, np.random.default_rng([seed, 4]))
    hh_pts = to_wgs84(shapely.points(xy))
    inside = np.zeros(len(hv), dtype=bool)
    for v in range(len(table)):
        m = hv == v
        inside[m] = shapely.contains_xy(polys_wgs[v], shapely.get_x(hh_pts[m]), shapely.get_y(hh_pts[m]))
    if not inside.all():
        raise RuntimeError(f"{int((~inside).sum())} household points fell outside their village")
    households = gpd.GeoDataFrame(households, geometry=list(hh_pts), crs="EPSG:4326")
    villages = village_attributes(table, households, old, key, np.random.default_rng([seed, 5]))
    villages = gpd.GeoDataFrame(villages, geometry=list(polys_wgs), crs="EPSG:4326")
    log(f"{len(households)} households")

    net, pieces = build_road_network(table, tes, county_m, hamlets, np.random.default_rng([seed, 6]))
    roads, roads_m = roads_layer(table, net, pieces, polys_m, county_m, np.random.default_rng([seed, 7]))
    log(f"{len(roads)} roads")
    sites, _ = tourism_sites_layer(
        table, polys_m, villages["poor_households"].to_numpy(), np.random.default_rng([seed, 8])
    )
    seats_xy = {c: (float(hamlets.x[hamlets.main[r]]), float(hamlets.y[hamlets.main[r]])) for c, r in town_seat_rows(table).items()}
    enterprises = enterprises_layer(seats_xy, county_m, np.random.default_rng([seed, 9]))
    pairings = pairings_table(villages, enterprises, np.random.default_rng([seed, 10]))
    projects = projects_layer(table, villages, polys_m, roads, roads_m, hamlets, np.random.default_rng([seed, 11]))
    log("sites, enterprises, pairings, projects")
    del rng
    built: dict[str, pd.DataFrame] = {
        "villages": villages,
        "households": households,
        "roads": roads,
        "tourism_sites": sites,
        "enterprises": enterprises,
        "pairings": pairings,
        "projects": projects,
    }
    # every other schema layer (road_progress and the edit histories) starts empty
    return {name: store.coerce(name, built.get(name, _empty(name))) for name in LAYERS}


def _empty(name: str) -> pd.DataFrame:
    """An empty frame with the columns of layer ``name``."""
    layer = LAYERS[name]
    df = pd.DataFrame({c.name: pd.Series([], dtype=object) for c in layer.columns})
    if layer.geometry is None:
        return df
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def check_coverage(polys: np.ndarray, county: shapely.Polygon) -> None:
    """Raise if the villages are not a valid coverage of the county made of single polygons."""
    if not all(g.geom_type == "Polygon" and g.is_valid for g in polys):
        raise RuntimeError("a village is not a single valid polygon")
    if not shapely.coverage_is_valid(polys):
        raise RuntimeError("the village polygons are not a valid coverage")
    union = shapely.coverage_union_all(polys)
    diff = shapely.symmetric_difference(union, county).area / county.area
    if diff > 1e-6:
        raise RuntimeError(f"villages differ from the county boundary by {diff:.2e} of its area")


def demo_meta(seed: int = DEFAULT_SEED) -> dict[str, str]:
    """The ``bangfu_meta`` entries of the demo workspace."""
    return {
        "source": "demo",
        "county_code": COUNTY_CODE,
        "county_name": COUNTY_NAME,
        "synthetic_note": SYNTHETIC_NOTE,
        "as_of": AS_OF,
        "seed": str(seed),
    }


def build(out: Path | str = DEMO_PATH, seed: int = DEFAULT_SEED, *, verbose: bool = False) -> Path:
    """Build the demo GeoPackage at ``out`` (replaced) and return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    layers = build_layers(seed, verbose=verbose)
    with fileio.atomic_path(out) as tmp:
        store.write_gpkg(tmp, layers, meta=demo_meta(seed))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bangfu.demo build [--out PATH] [--seed N]``."""
    parser = argparse.ArgumentParser(prog="python -m bangfu.demo", description="开平市示例工作空间 / Kaiping demo workspace")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build geodata/kaiping_demo.gpkg from geodata/sources")
    b.add_argument("--out", type=Path, default=DEMO_PATH, help=f"output GeoPackage (default: {DEMO_PATH})")
    b.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default: %(default)s)")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    path = build(args.out, args.seed, verbose=not args.quiet)
    size = path.stat().st_size / 1e6
    print(f"wrote {path} ({size:.1f} MB) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
