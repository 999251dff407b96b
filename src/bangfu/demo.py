"""Build the Kaiping (开平市, 440783) demo workspace deterministically from the sources in geodata/sources.

Real inputs (both in ``geodata/sources``, see its README for provenance): the county boundary
(Amap, GCJ-02, converted to WGS-84 with :func:`bangfu.crs.gcj02_to_wgs84`) and the 270 real
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
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree

from . import store
from .crs import convert_geometry
from .schema import LAYERS, PAIRING_TYPES, POVERTY_CAUSES, SITE_TYPES

DEFAULT_SEED = 20201231
COUNTY_CODE = "440783"
COUNTY_NAME = "开平市"
AS_OF = "2020-12-31"
SOURCES = store.REPO_ROOT / "geodata" / "sources"
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
    "440783110": TownSpec((112.520, 22.300), (112.535, 22.300), 75, 0.028, False),  # 百合镇
    "440783111": TownSpec((112.490, 22.230), (112.500, 22.240), 85, 0.040, True),  # 蚬冈镇
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


def is_community(name: str) -> bool:
    """Urban-type unit: 社区/居委会/墟/生活区 rather than a 村委会."""
    return not name.endswith("村委会")


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

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        xs = self.x0 + (np.arange(self.nx) + 0.5) * self.d
        ys = self.y1 - (np.arange(self.ny) + 0.5) * self.d
        return np.meshgrid(xs, ys)

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


def fix_connectivity(labels: np.ndarray, valid: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Make every label one 4-connected region: smaller pieces join the neighbour label they touch most.

    ``allowed`` (same shape, optional) restricts reassignment to labels whose value there matches
    (used to keep villages inside their town).
    """
    labels = labels.copy()
    for _ in range(20):
        changed = False
        for lab in np.unique(labels[valid]):
            comp, n = ndi.label(labels == lab)
            if n <= 1:
                continue
            sizes = ndi.sum_labels(np.ones_like(comp), comp, index=np.arange(1, n + 1))
            keep = int(np.argmax(sizes)) + 1
            for piece in range(1, n + 1):
                if piece == keep:
                    continue
                m = comp == piece
                ring = ndi.binary_dilation(m) & ~m & valid
                cand = labels[ring]
                if allowed is not None:
                    cand = cand[allowed[ring] == allowed[m][0]]
                cand = cand[cand != lab]
                if len(cand) == 0:
                    continue
                vals, counts = np.unique(cand, return_counts=True)
                labels[m] = vals[np.argmax(counts)]
                changed = True
        if not changed:
            break
    return labels


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
    inside: np.ndarray  # cell centre inside the county
    town_of: np.ndarray  # town index per village row
    seats: dict[str, tuple[float, float]]  # town code → seat (metres)


def _nearest_cells(xs: np.ndarray, ys: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Index (into xs/ys) of the cell nearest to each point (px, py)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(np.c_[xs, ys])
    _, i = tree.query(np.c_[px, py])
    return np.asarray(i)


def _fit_offsets(graph: sp.csr_matrix, seeds: np.ndarray, target: np.ndarray, step: float, iters: int) -> np.ndarray:
    """Additive weights so that the geodesic regions of ``seeds`` approach the ``target`` cell counts."""
    off = np.zeros(len(seeds))
    for _ in range(iters):
        lab = weighted_geodesic_voronoi(graph, seeds, off)
        cnt = np.bincount(lab[lab >= 0], minlength=len(seeds)).astype(float)
        off += 0.8 * (np.sqrt(cnt) - np.sqrt(target)) * step / np.sqrt(np.pi)
        off -= off.min()
    return off


def _town_labels(grid: Grid, inside: np.ndarray, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Town index per cell (−1 outside): a warped, area-weighted geodesic Voronoi of the town centres."""
    codes = list(TOWNS)
    noise = SmoothNoise(rng, (2500.0, 14000.0))
    cost = np.exp(0.35 * noise(X, Y))
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
    off = _fit_offsets(g_c, seeds_c, share * ins_c.sum(), grid.d * f * float(np.median(cost)), 30)

    idx = np.full(inside.shape, -1, dtype=np.int64)
    idx[inside] = np.arange(inside.sum())
    g = grid_graph(idx, cost, grid.d)
    seeds = _nearest_cells(X[inside], Y[inside], centres[:, 0], centres[:, 1])
    lab = weighted_geodesic_voronoi(g, seeds, off)
    out = np.full(inside.shape, -1, dtype=np.int64)
    out[inside] = lab
    return out


def _unit_targets(units: pd.DataFrame, town: str, n_cells: int, rng: np.random.Generator) -> np.ndarray:
    """Target cell counts of the units of one town: communities small, villages varied."""
    cell_km2 = CELL * CELL / 1e6
    w = np.exp(rng.normal(0.0, 0.35, len(units)))
    fixed = np.zeros(len(units))
    for i, name in enumerate(units["village_name"]):
        if name.endswith("社区居委会") and town in URBAN_TOWNS:
            fixed[i] = rng.uniform(0.7, 1.8) / cell_km2
        elif is_community(name) and "虚拟社区" not in name:
            fixed[i] = rng.uniform(1.2, 2.8) / cell_km2
    free = fixed == 0
    if free.any():
        rest = max(n_cells - fixed.sum(), 0.3 * n_cells)
        fixed[free] = w[free] / w[free].sum() * rest
    return fixed / fixed.sum() * n_cells


def _village_labels(
    town_lab: np.ndarray,
    table: pd.DataFrame,
    X: np.ndarray,
    Y: np.ndarray,
    seats: dict[str, tuple[float, float]],
    grid: Grid,
    rng: np.random.Generator,
) -> np.ndarray:
    """Village row index per cell: inside each town a Lloyd-relaxed, area-weighted geodesic Voronoi."""
    codes = list(TOWNS)
    noise = SmoothNoise(rng, (500.0, 4000.0))
    cost = np.exp(0.45 * noise(X, Y))
    inside = town_lab >= 0
    idx = np.full(inside.shape, -1, dtype=np.int64)
    idx[inside] = np.arange(inside.sum())
    g = grid_graph(idx, cost, grid.d)
    flat_town = town_lab[inside]
    xs_all, ys_all = X[inside], Y[inside]
    lab_flat = np.full(len(flat_town), -1, dtype=np.int64)
    for t, code in enumerate(codes):
        cells = np.flatnonzero(flat_town == t)
        units = table[table["town_code"] == code]
        rows = units.index.to_numpy()
        xs, ys = xs_all[cells], ys_all[cells]
        sub = g[cells][:, cells]
        n = len(units)
        if n == 1:
            lab_flat[cells] = rows[0]
            continue
        target = _unit_targets(units, code, len(cells), rng)
        comm = np.array([is_community(nm) and "虚拟" not in nm for nm in units["village_name"]])
        sx, sy = seats[code]
        spread = 1400.0 if code in URBAN_TOWNS else 700.0
        px = np.where(comm, sx + rng.normal(0, spread, n), np.nan)
        py = np.where(comm, sy + rng.normal(0, spread, n), np.nan)
        seeds = np.full(n, -1, dtype=np.int64)
        if comm.any():
            seeds[comm] = _nearest_cells(xs, ys, px[comm], py[comm])
        # farthest-point sampling for the villages, starting from the communities
        cand = rng.choice(len(cells), size=min(3000, len(cells)), replace=False)
        chosen = [s for s in seeds if s >= 0]
        dmin = np.full(len(cand), np.inf)
        for s in chosen:
            dmin = np.minimum(dmin, np.hypot(xs[cand] - xs[s], ys[cand] - ys[s]))
        if not chosen:
            dmin = np.hypot(xs[cand] - xs.mean(), ys[cand] - ys.mean())
        for i in np.flatnonzero(~comm):
            j = cand[int(np.argmax(dmin))]
            seeds[i] = j
            dmin = np.minimum(dmin, np.hypot(xs[cand] - xs[j], ys[cand] - ys[j]))
        seeds = _dedupe_seeds(seeds, len(cells), rng)
        off = np.zeros(n)
        step = grid.d * float(np.median(cost))
        for it in range(12):
            lab = weighted_geodesic_voronoi(sub, seeds, off)
            cnt = np.bincount(lab[lab >= 0], minlength=n).astype(float)
            if it < 8:  # Lloyd: move seeds towards their region's centroid
                sumx = np.bincount(lab[lab >= 0], weights=xs[lab >= 0], minlength=n)
                sumy = np.bincount(lab[lab >= 0], weights=ys[lab >= 0], minlength=n)
                has = cnt > 0
                cx = np.where(has, sumx / np.maximum(cnt, 1), xs[seeds])
                cy = np.where(has, sumy / np.maximum(cnt, 1), ys[seeds])
                mix = np.where(comm, 0.4, 1.0)
                tx = xs[seeds] + mix * (cx - xs[seeds])
                ty = ys[seeds] + mix * (cy - ys[seeds])
                seeds = _dedupe_seeds(_nearest_cells(xs, ys, tx, ty), len(cells), rng)
            off += 0.8 * (np.sqrt(cnt) - np.sqrt(target)) * step / np.sqrt(np.pi)
            off -= off.min()
        lab = weighted_geodesic_voronoi(sub, seeds, off)
        if (lab < 0).any() or len(np.unique(lab)) != n:
            raise RuntimeError(f"town {code}: village tessellation lost a village")
        lab_flat[cells] = rows[lab]
    out = np.full(inside.shape, -1, dtype=np.int64)
    out[inside] = lab_flat
    return out


def _dedupe_seeds(seeds: np.ndarray, n_cells: int, rng: np.random.Generator) -> np.ndarray:
    """Make seed cells distinct (a duplicate moves to a random free cell)."""
    seeds = seeds.copy()
    seen: set[int] = set()
    for i, s in enumerate(seeds):
        while int(s) in seen:
            s = int(rng.integers(n_cells))
        seeds[i] = s
        seen.add(int(s))
    return seeds


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
    lines = shapely.union_all(np.concatenate([edges, [county.exterior]]))
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
    vlab = fix_fragments(_extend_labels(vlab, near), town_of)

    polys = polygonise(vlab, grid)
    if sorted(polys) != list(range(len(table))):
        raise RuntimeError("polygonisation lost a village")
    raw = np.array([polys[i] for i in range(len(table))], dtype=object)
    simple = shapely.coverage_simplify(raw, 1.3 * CELL)
    edges = shapely.segmentize(_coverage_edges(simple), 35.0)
    nx_noise = SmoothNoise(rng, (250.0, 2500.0))
    ny_noise = SmoothNoise(rng, (250.0, 2500.0))
    amp = min(30.0, 0.35 / max(nx_noise.max_slope(), ny_noise.max_slope()))
    moved = _displace(edges, nx_noise, ny_noise, amp)

    # label the displaced faces by displaced interior points of the simplified polygons
    faces0 = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(moved)))))
    anchors = _displace(shapely.point_on_surface(simple), nx_noise, ny_noise, amp)
    tree = shapely.STRtree(faces0)
    a_idx, f_idx = tree.query(anchors, predicate="within")
    if len(np.unique(a_idx)) != len(table):
        raise RuntimeError("displacement lost a village")
    face_label = np.full(len(faces0), -1, dtype=np.int64)
    face_label[f_idx] = a_idx
    if (face_label < 0).any():
        raise RuntimeError("displacement created an unlabelled face")
    displaced = np.array([shapely.coverage_union_all(faces0[face_label == i]) for i in range(len(table))], dtype=object)

    faces, lab = _faces_with_labels(moved, county, displaced)
    lab = _single_parts(faces, lab, town_of)
    out = []
    for i in range(len(table)):
        parts = faces[lab == i]
        if len(parts) == 0:
            raise RuntimeError(f"village {table.loc[i, 'village_name']} vanished when clipping")
        out.append(shapely.coverage_union_all(parts))
    return Tessellation(out, grid, vlab, inside, town_of, seats)
