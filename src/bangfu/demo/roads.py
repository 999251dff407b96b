"""The roads layer: a network that reaches every village from its town seat, with hardening status, years and cost.

County roads (县道) join the town seats (minimum spanning tree plus two extra links), each town
grows a tree to every village's main hamlet (trunks used by three or more villages are 乡道, the
branches 村道), and some secondary hamlets get a 组道 to the nearest point of the network. Roads
are routed on a 200 m grid over a noisy cost surface, smoothed and given gentle bends.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.ndimage as ndi
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree

from bangfu.core import vocab
from bangfu.demo.codes import checked, code, draw_code
from bangfu.demo.households import Hamlets
from bangfu.demo.layout import TOWNS, town_seat_rows
from bangfu.demo.raster import ROUTE_FACTOR, Grid, grid_graph, routing_cells
from bangfu.demo.sources import short_name
from bangfu.demo.spatial import SmoothNoise, to_wgs84
from bangfu.demo.villages import Tessellation

__all__ = ["RoadPiece", "RoadNetwork", "STATUS_FIELDS", "ROAD_CLASS_RECIPES", "build_road_network", "roads_layer"]

COUNTY_ROAD, TOWNSHIP_ROAD, VILLAGE_ROAD, HAMLET_ROAD = checked(vocab.ROAD_CLASS, ("县道", "乡道", "村道", "组道"))
ASPHALT, CONCRETE = checked(vocab.ROAD_SURFACE, ("沥青", "水泥"))


@dataclass
class RoadPiece:
    """A road as a node path on the routing grid (plus optional exact end point)."""

    nodes: list[int]
    road_class: str
    village: int  # village row it serves (−1: decide by length)
    label: str = ""


class RoadNetwork:
    """Roads grown on a 200 m routing grid; every new road starts where it meets the network."""

    def __init__(self, grid: Grid, county: shapely.Polygon, vlab: np.ndarray, town_of: np.ndarray, rng: np.random.Generator) -> None:
        f = ROUTE_FACTOR
        sl = routing_cells()
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
        """(distance, predecessor) of every node from ``source`` (leaving ``town`` costs more; None: no town)."""
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
        (dmat[a, b], a, b) for a in range(len(codes)) for b in range(a + 1, len(codes)) if (a, b) not in links
    )[:2]
    links += [(a, b) for _, a, b in extra]
    for k, (a, b) in enumerate(links):
        _, pred = net.shortest(int(seat_node[a]), None)
        path = net.chain(pred, int(seat_node[b]))
        label = f"县道X{531 + k}（{table.loc[seat_rows[codes[a]], 'town_name']}—{table.loc[seat_rows[codes[b]], 'town_name']}）"
        net.add_path(path, COUNTY_ROAD, -1, label)

    # town trees: from the seat to each village's main hamlet, nearest villages first
    for t, town_code in enumerate(codes):
        dist, pred = net.shortest(int(seat_node[t]), t)
        rows = [int(r) for r in table.index[table["town_code"] == town_code]]
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
            cls = [TOWNSHIP_ROAD if usage.get((min(a, b), max(a, b)), 0) >= 3 else VILLAGE_ROAD for a, b in zip(path[:-1], path[1:])]
            start = 0
            for i in range(1, len(cls) + 1):
                if i == len(cls) or cls[i] != cls[start]:
                    seg = path[start : i + 1]
                    if len(seg) > 1:
                        net.add_path(seg, cls[start], r if cls[start] == VILLAGE_ROAD else -1)
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
            net.add_path(path[::-1], HAMLET_ROAD, r, str(own.index(j) + 1))  # label: the hamlet's number
    return net, net.split_at_junctions()


# --------------------------------------------------------------------------- attributes

_Fields = tuple[int | None, int | None, float, str]  # planned year, completed year, progress %, surface


def _completed(rng: np.random.Generator, road_class: str, hilly: bool) -> _Fields:
    """Hardened 2014–2020 (2016– in hilly towns), planned up to a year before; asphalt on county roads, some township roads."""
    completed = int(rng.integers(2016, 2021)) if hilly else int(rng.integers(2014, 2021))
    planned = completed - int(rng.integers(0, 2))
    asphalt = road_class == COUNTY_ROAD or (road_class == TOWNSHIP_ROAD and rng.random() < 0.3)
    return planned, completed, 100.0, ASPHALT if asphalt else CONCRETE


def _under_construction(rng: np.random.Generator, road_class: str, hilly: bool) -> _Fields:
    """Planned for 2020–2021, 10–90 % done, gravel so far."""
    return int(rng.integers(2020, 2022)), None, float(rng.integers(2, 19) * 5), code(vocab.ROAD_SURFACE, "砂石")


def _planned(rng: np.random.Generator, road_class: str, hilly: bool) -> _Fields:
    """Planned for 2021–2023, not started, gravel or earth."""
    planned = int(rng.integers(2021, 2024))
    return planned, None, 0.0, draw_code(rng, vocab.ROAD_SURFACE, ("砂石", "土路"))


def _unhardened(rng: np.random.Generator, road_class: str, hilly: bool) -> _Fields:
    """No plan yet, mostly earth."""
    return None, None, 0.0, draw_code(rng, vocab.ROAD_SURFACE, {"砂石": 0.35, "土路": 0.65})


#: Hardening status → how its years, progress and surface are drawn (the status draw follows this order).
STATUS_FIELDS: dict[str, Callable[[np.random.Generator, str, bool], _Fields]] = {
    vocab.HARDENED: _completed,
    code(vocab.ROAD_STATUS, "under_construction"): _under_construction,
    code(vocab.ROAD_STATUS, "planned"): _planned,
    code(vocab.ROAD_STATUS, "unhardened"): _unhardened,
}


@dataclass(frozen=True)
class _ClassRecipe:
    """How the roads of one class are described: status shares, name and cost per km."""

    status_p: tuple[tuple[float, ...], tuple[float, ...]]  # shares in STATUS_FIELDS order: plain, hilly towns
    name: Callable[[str, str, str], str]  # (town, short village name, piece label) → road name
    cost_per_km: tuple[float, float]  # 万元, drawn uniformly

    def status_weights(self, hilly: bool) -> dict[str, float]:
        """Status code → share for a road in a plain or hilly town."""
        return dict(zip(STATUS_FIELDS, self.status_p[int(hilly)]))


#: Road class → recipe, in the order the layer lists them.
ROAD_CLASS_RECIPES: dict[str, _ClassRecipe] = {
    COUNTY_ROAD: _ClassRecipe(((1.0, 0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0)), lambda t, v, label: label, (60, 80)),
    TOWNSHIP_ROAD: _ClassRecipe(
        ((0.96, 0.04, 0.0, 0.0), (0.88, 0.08, 0.04, 0.0)), lambda t, v, label: f"{t}{v}乡道", (30, 80)
    ),
    VILLAGE_ROAD: _ClassRecipe(
        ((0.91, 0.03, 0.03, 0.03), (0.72, 0.07, 0.10, 0.11)),
        lambda t, v, label: f"{t}{v}道" if v.endswith("村") else f"{t}{v}道路",
        (30, 80),
    ),
    HAMLET_ROAD: _ClassRecipe(
        ((0.72, 0.03, 0.08, 0.17), (0.50, 0.05, 0.15, 0.30)), lambda t, v, label: f"{t}{v}{label}组道", (30, 80)
    ),
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
    polys_m: np.ndarray,
    county_m: shapely.Polygon,
    rng: np.random.Generator,
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The roads layer (WGS-84) and the metric geometries of the same rows.

    Pieces are smoothed and bent, kept inside the county, listed by class, and given a name, a
    hardening status (less often hardened in hilly towns) with consistent years, progress and
    surface, and a cost; all pieces of one county road share their years.
    """
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
        for j in np.flatnonzero(outside):
            geoms_m[j] = shapely.line_merge(shapely.intersection(geoms_m[j], county_m))
        if any(g.geom_type != "LineString" for g in geoms_m[outside]):
            raise RuntimeError("a road leaves the county")
    polys = np.asarray(polys_m, dtype=object)
    by_len = _village_by_length(geoms_m, polys)
    names = table["village_name"].map(short_name).to_numpy()
    towns = table["town_name"].to_numpy()
    town_codes = table["town_code"].to_numpy()
    class_order = list(ROAD_CLASS_RECIPES)
    order = sorted(range(len(pieces)), key=lambda i: (class_order.index(pieces[i].road_class), i))
    rows = []
    county_years: dict[str, tuple[int | None, int | None]] = {}
    lengths_km = shapely.length(geoms_m) / 1000.0
    for k, i in enumerate(order):
        p = pieces[i]
        # the village it serves (村道/组道) when it reaches it, else where most of its length lies
        v = p.village if p.village >= 0 and shapely.intersects(geoms_m[i], polys[p.village]) else int(by_len[i])
        hilly = TOWNS[town_codes[v]].hilly
        cls = p.road_class
        recipe = ROAD_CLASS_RECIPES[cls]
        status = draw_code(rng, vocab.ROAD_STATUS, recipe.status_weights(hilly))
        name = recipe.name(towns[v], names[v], p.label)
        planned, completed, progress, surface = STATUS_FIELDS[status](rng, cls, hilly)
        if status == vocab.HARDENED and cls == COUNTY_ROAD:  # all pieces of one county road were built together
            completed, planned = county_years.setdefault(p.label, (completed, planned))
        per_km = rng.uniform(*recipe.cost_per_km)
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
