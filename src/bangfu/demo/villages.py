"""The synthetic village tessellation: 270 village polygons covering the real county boundary, and the villages layer.

Towns grow as an area-weighted geodesic Voronoi diagram over a noisy cost surface from their
approximate centres (:data:`bangfu.demo.layout.TOWNS`), villages likewise inside their town
(Lloyd-relaxed, smaller near the town seat). The label raster is polygonised, simplified as a
coverage, given natural irregular edges by a smooth one-to-one displacement and clipped to the
real boundary, so the result is a valid coverage of single polygons.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.ndimage as ndi
import scipy.sparse as sp
import shapely

from bangfu.demo.layout import TOWNS, URBAN_TOWNS, is_seat_type
from bangfu.demo.raster import (
    CELL,
    ROUTE_FACTOR,
    Grid,
    fix_fragments,
    geodesic_voronoi,
    grid_graph,
    nearest_cells,
    polygonise,
    routing_cells,
    weighted_geodesic_voronoi,
)
from bangfu.demo.spatial import SmoothNoise, lonlat_to_metric, to_metric

__all__ = ["Tessellation", "tessellate", "check_coverage", "village_attributes"]


@dataclass
class Tessellation:
    """The village coverage in metres plus the rasters it was made from (reused for routing)."""

    polygons: list[shapely.Polygon]  # one per row of the village table
    grid: Grid
    labels: np.ndarray  # village row index per cell (−1 outside)
    town_of: np.ndarray  # town index per village row
    seats: dict[str, tuple[float, float]]  # town code → seat (metres)


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
    sl = routing_cells()
    ins_c = inside[sl]
    idx_c = np.full(ins_c.shape, -1, dtype=np.int64)
    idx_c[ins_c] = np.arange(ins_c.sum())
    g_c = grid_graph(idx_c, cost[sl], grid.d * f)
    seeds_c = nearest_cells(X[sl][ins_c], Y[sl][ins_c], centres[:, 0], centres[:, 1])
    off, _ = _fit_offsets(g_c, seeds_c, share * ins_c.sum(), grid.d * f * float(np.median(cost)), 40)

    idx = np.full(inside.shape, -1, dtype=np.int64)
    idx[inside] = np.arange(inside.sum())
    g = grid_graph(idx, cost, grid.d)
    seeds = nearest_cells(X[inside], Y[inside], centres[:, 0], centres[:, 1])
    # refine on the fine grid (its distances differ slightly), with a small gain
    off, lab = _fit_offsets(g, seeds, share * inside.sum(), 0.3 * grid.d * float(np.median(cost)), 4, off)
    out = np.full(inside.shape, -1, dtype=np.int64)
    out[inside] = lab
    return out

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
    """Length of the border two faces share."""
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
            j = nearest_cells(X[m], Y[m], np.array([sx]), np.array([sy]))[0]
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

