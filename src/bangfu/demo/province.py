"""Build a synthetic-but-honest province workspace (Liaoning: real names, codes and county boundaries) deterministically.

Run ``python -m bangfu.demo build --region liaoning --out PATH [--villages N --households N --roads N
--projects N --seed S]``. Real inputs: the official 12-digit codes and names of the province's
villages (:data:`bangfu.demo.sources.VILLAGE_FILE`) and its county boundaries
(:data:`bangfu.demo.sources.BOUNDARY_FILE`, GCJ-02 → WGS-84 with :mod:`bangfu.geo.crs`). Synthetic,
and labelled so in the workspace meta (``synthetic_note``) and docs/areas.md: town and village
polygons (a Voronoi diagram of random seeds inside each real county: town seeds first, village seeds
inside their town's cell; all borders noded as one coverage), household points (clustered around three hamlets per village), poverty
figures, roads, candidate projects, enterprises, pairings and tourism sites.

Everything is vectorised over the whole province (no per-household Python), so the full size —
16,727 villages, 3,000,000 households, 58,000 roads, 5,200 projects — builds in a few minutes
(docs/benchmarks.md). ``--villages N`` keeps whole counties, two of each city in turn, until
at least N villages are reached (the small test workspace: 2 cities, 3 counties). Coded values and shares
come from the Kaiping builders (:mod:`bangfu.demo.households`, :mod:`~bangfu.demo.roads`,
:mod:`~bangfu.demo.projects`, :mod:`~bangfu.demo.enterprises`, :mod:`~bangfu.demo.tourism`).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu.core import vocab
from bangfu.demo.codes import checked, draw_codes
from bangfu.demo.enterprises import INDUSTRIES, PAIRING_TYPE_SHARES
from bangfu.demo.households import MEMBER_P, POOR_MEMBER_P, poverty_causes
from bangfu.demo.projects import PROJECT_PLAN, blob
from bangfu.demo.roads import ROAD_CLASS_RECIPES, STATUS_FIELDS
from bangfu.demo.sources import BOUNDARY_FILE, VILLAGE_FILE, short_name
from bangfu.demo.spatial import to_metric
from bangfu.demo.tourism import EXAMPLE_SITE_TYPES
from bangfu.geo.crs import convert_geometry
from bangfu.workspace import store
from bangfu.workspace.schema import LAYERS

__all__ = [
    "Region", "REGIONS", "ProvinceSize", "FULL_SIZE", "SMALL_SIZE", "SYNTHETIC_NOTE", "load_region_table", "select_counties", "load_boundaries",
    "build_province_layers", "province_meta",
]


@dataclass(frozen=True)
class Region:
    """A province the builder knows: its 2-digit code, name and a metric CRS covering it."""

    code: str
    name: str
    metric_crs: str


#: ``--region`` → province. Liaoning lies at 118.8–125.8°E: UTM 51N (used for lengths and areas only).
REGIONS: dict[str, Region] = {"liaoning": Region("21", "辽宁省", "EPSG:32651")}
_METRIC_CRS = REGIONS["liaoning"].metric_crs  # one region so far; pass Region.metric_crs down when there are more


@dataclass(frozen=True)
class ProvinceSize:
    """How big a province build is: ``villages=None`` keeps every village (whole counties otherwise)."""

    villages: int | None = None
    households: int = 3_000_000
    roads: int = 58_000
    projects: int = 5_200


#: The size the issue measures: every village, 3M households, 58k roads, 5.2k projects.
FULL_SIZE = ProvinceSize()
#: The test workspace (built once per test session): 2 cities, 3 counties, 301 villages, 4,000 households.
SMALL_SIZE = ProvinceSize(villages=300, households=4000, roads=800, projects=150)

SYNTHETIC_NOTE = (
    "示例数据（合成）：辽宁省各村（居）名称和 12 位代码、县界为真实数据；镇界与村界多边形（县内随机种子点的"
    "泰森多边形）、农户点、贫困户与贫困人口、老区村与重点帮扶村、道路、企业、结对、候选项目和旅游点均为合成数据。"
)
AS_OF = "2020-12-31"

_APPROVED, _CANDIDATE = checked(vocab.PROJECT_STATUS, ("approved", "candidate"))
_ROAD_HARDENING, _IRRIGATION = checked(vocab.PROJECT_TYPE, ("road_hardening", "irrigation"))
_HARDENING_CANDIDATES = checked(vocab.ROAD_STATUS, ("planned", "unhardened"))
#: Road class → share of the synthetic roads (drawn in this order); 县道 are left to the counties' own data.
_ROAD_CLASS_SHARES = {"乡道": 0.15, "村道": 0.5, "组道": 0.35}
#: Site types of the synthetic sites (碉楼村落 is Kaiping's own).
_SITE_TYPES = {k: v / (1 - EXAMPLE_SITE_TYPES["碉楼村落"]) for k, v in EXAMPLE_SITE_TYPES.items() if k != "碉楼村落"}


# --------------------------------------------------------------------------- real inputs


def load_region_table(region: Region) -> pd.DataFrame:
    """The official village list of the province (codes as text), sorted by village code."""
    df = pd.read_csv(VILLAGE_FILE, dtype=str, keep_default_na=False)
    df = df[df["province_code"] == region.code].sort_values("village_code", kind="stable").reset_index(drop=True)
    return df


def select_counties(table: pd.DataFrame, villages: int | None) -> pd.DataFrame:
    """Whole counties, two of every city in turn (cities in code order), until at least ``villages`` villages."""
    if villages is None or villages >= len(table):
        return table
    counties = table.drop_duplicates("county_code")[["county_code", "city_code"]].copy()
    counties["rank"] = counties.groupby("city_code").cumcount()
    counties["round"] = counties["rank"] // 2
    order = counties.sort_values(["round", "county_code"], kind="stable")["county_code"].tolist()
    sizes = table["county_code"].value_counts()
    keep: list[str] = []
    total = 0
    for c in order:
        keep.append(c)
        total += int(sizes[c])
        if total >= villages:
            break
    return table[table["county_code"].isin(keep)].reset_index(drop=True)


def load_boundaries(county_codes: list[str]) -> dict[str, shapely.Geometry]:
    """County code → real boundary (WGS-84) from the shipped GCJ-02 file."""
    data = json.loads(BOUNDARY_FILE.read_text(encoding="utf-8"))
    feats = {str(f["properties"].get("adcode")): f for f in data["features"]}
    missing = [c for c in county_codes if c not in feats]
    if missing:
        raise ValueError(f"{BOUNDARY_FILE.name} has no boundary for counties {missing}")
    geoms = [shapely.geometry.shape(feats[c]["geometry"]) for c in county_codes]
    wgs = convert_geometry(geoms, "gcj02", "wgs84")
    return {c: shapely.make_valid(g) for c, g in zip(county_codes, wgs)}


# --------------------------------------------------------------------------- geometry helpers


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of ``g`` (an intersection may add lines or points)."""
    parts = [p for p in shapely.get_parts(shapely.get_parts(g)) if p.geom_type == "Polygon"]
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _voronoi(region: shapely.Geometry, seeds: np.ndarray) -> list[shapely.Geometry]:
    """The Voronoi cells of ``seeds`` (in their order) clipped to ``region``; each holds its seed."""
    if len(seeds) == 1:
        return [region]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=region, ordered=True))
    return [_polygonal(g) for g in shapely.intersection(cells, region)]


def _sample_in(
    polys: np.ndarray,
    counts: np.ndarray,
    rng: np.random.Generator,
    around: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``counts[i]`` random points inside ``polys[i]`` for every i, grouped by polygon: (xy, polygon index).

    Uniform in the polygon, or drawn by ``around(index, attempt)`` (candidate x, y for polygon
    indices) and kept where inside; after a few rounds the rest is uniform; the last resort is a
    point on the polygon's surface. All polygons at once: a vectorised point-in-polygon test.
    """
    shapely.prepare(polys)
    bounds = shapely.bounds(polys)
    need = np.asarray(counts, dtype=np.int64).copy()
    got_xy: list[np.ndarray] = []
    got_i: list[np.ndarray] = []
    for attempt in range(40):
        if not need.any():
            break
        idx = np.repeat(np.arange(len(polys)), np.where(need > 0, 2 * need + 4, 0))
        if around is not None and attempt < 12:
            x, y = around(idx, attempt)
        else:
            b = bounds[idx]
            x, y = rng.uniform(b[:, 0], b[:, 2]), rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(polys[idx], x, y)
        idx, x, y = idx[ok], x[ok], y[ok]
        first = np.searchsorted(idx, idx, side="left")
        take = (np.arange(len(idx)) - first) < need[idx]
        got_xy.append(np.c_[x[take], y[take]])
        got_i.append(idx[take])
        need -= np.bincount(idx[take], minlength=len(polys))
    if need.any():
        rest = np.repeat(np.arange(len(polys)), need)
        pts = shapely.point_on_surface(polys[rest])
        got_xy.append(np.c_[shapely.get_x(pts), shapely.get_y(pts)])
        got_i.append(rest)
    xy, vi = np.vstack(got_xy), np.concatenate(got_i)
    order = np.argsort(vi, kind="stable")
    return xy[order], vi[order]


def _spread(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """``total`` split in proportion to ``weights`` (largest remainders), at least ``minimum`` each when possible."""
    n = len(weights)
    base = minimum if total >= minimum * n else 0
    raw = weights / weights.sum() * (total - base * n)
    out = np.floor(raw).astype(np.int64)
    rest = total - base * n - int(out.sum())
    out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out + base


def _area_km2(polys: np.ndarray) -> np.ndarray:
    return np.asarray(shapely.area(to_metric(polys, _METRIC_CRS)) / 1e6)


def _is_community(names: pd.Series) -> np.ndarray:
    return np.asarray(names.str.contains("社区|居委会", regex=True), dtype=bool)


# --------------------------------------------------------------------------- the layers


def _tessellate(table: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Village polygons (WGS-84), one per table row, a coverage of the real counties.

    Counties are made disjoint first (the shipped boundaries overlap slightly: a county loses what an
    earlier code already holds); inside a county, town seeds are spread at random, each town's
    village seeds inside its Voronoi cell, and the villages are one Voronoi diagram of all village
    seeds clipped to the county (so towns are contiguous up to their seeds' cells). Built in
    degrees, the output CRS, so no reprojection can open gaps or overlaps between neighbours.
    """
    counties = table["county_code"].unique().tolist()
    bounds = load_boundaries(counties)
    out = np.empty(len(table), dtype=object)
    taken: shapely.Geometry | None = None
    for county in counties:
        poly = bounds[county] if taken is None else _polygonal(shapely.difference(bounds[county], taken))
        taken = bounds[county] if taken is None else shapely.union(taken, bounds[county])
        rows = table.index[table["county_code"] == county]
        town_of = table.loc[rows, "town_code"].to_numpy()
        towns = pd.unique(town_of)
        seeds, _ = _sample_in(np.array([poly]), np.array([len(towns)]), rng)
        cells = np.asarray(_voronoi(poly, seeds), dtype=object)
        counts = np.array([(town_of == t).sum() for t in towns])
        vseeds, vt = _sample_in(cells, counts, rng)  # grouped by town, in town order
        order = np.argsort(pd.Categorical(town_of, categories=towns).codes, kind="stable")
        placed = np.empty((len(rows), 2))
        placed[order] = vseeds
        out[rows.to_numpy()] = _voronoi(poly, placed)
    return _noded(out)


def _noded(polys: np.ndarray) -> np.ndarray:
    """The polygons as a correctly noded coverage: along a county border each side's Voronoi edges meet it at
    their own points, so the neighbours' vertices differ. The borders are noded together and polygonised,
    and each face goes back to the polygon holding it (shared vertices: a coverage union of towns works)."""
    lines = shapely.union_all(shapely.boundary(polys))
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))))
    pts = shapely.point_on_surface(faces)
    tree = shapely.STRtree(polys)
    hit_pt, hit_poly = tree.query(pts, predicate="within")
    label = np.full(len(faces), -1, dtype=np.int64)
    label[hit_pt[::-1]] = hit_poly[::-1]  # the first polygon when two claim a face (none should)
    keep = label >= 0  # faces in no polygon: holes between counties, left out
    faces, label = faces[keep], label[keep]
    order = np.argsort(label, kind="stable")
    faces, label = faces[order], label[order]
    starts = np.searchsorted(label, np.arange(len(polys)))
    ends = np.searchsorted(label, np.arange(len(polys)), side="right")
    out = np.empty(len(polys), dtype=object)
    for i, (a, b) in enumerate(zip(starts, ends)):
        out[i] = faces[a] if b - a == 1 else shapely.coverage_union_all(faces[a:b]) if b > a else polys[i]
    return out


def _households(
    table: pd.DataFrame, polys: np.ndarray, total: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Household attributes and points (WGS-84), the village row per point, and the old/key village flags."""
    n_v = len(table)
    areas_km2 = _area_km2(polys)
    community = _is_community(table["village_name"])
    counts = _spread(total, np.exp(rng.normal(0, 0.35, n_v)) * np.where(community, 2.5, 1.0)
                     * np.sqrt(np.clip(areas_km2, 0.2, 40.0)), minimum=1)
    hamlets, _ = _sample_in(polys, np.full(n_v, 3), rng)
    hamlets = hamlets.reshape(n_v, 3, 2)
    hweights = rng.dirichlet(np.full(3, 1.6), n_v)
    sigma = 0.12 * np.sqrt(shapely.area(polys))

    def around(idx: np.ndarray, attempt: int) -> tuple[np.ndarray, np.ndarray]:
        cum = np.cumsum(hweights[idx], axis=1)
        h = (rng.random(len(idx))[:, None] > cum).sum(axis=1).clip(0, 2)
        s = sigma[idx] * 0.85**attempt
        return rng.normal(hamlets[idx, h, 0], s), rng.normal(hamlets[idx, h, 1], s)

    xy, hv = _sample_in(polys, counts, rng, around)
    # poverty: a county level (11 poor counties stand out), a village variation, key villages, low in communities
    county_codes = table["county_code"].to_numpy()
    counties, cidx = np.unique(county_codes, return_inverse=True)
    county_base = 0.02 * np.exp(rng.normal(0, 0.45, len(counties)))
    poor_counties = np.argsort(-county_base, kind="stable")[: min(11, max(1, len(counties) // 9))]
    county_base[poor_counties] *= 1.8
    inc = county_base[cidx] * np.exp(rng.normal(0, 0.4, n_v)) * np.where(community, 0.3, 1.0)
    n_key = max(1, round(604 * n_v / 16727))
    key = np.zeros(n_v, dtype=bool)
    key[rng.choice(n_v, n_key, replace=False, p=inc / inc.sum())] = True
    old = np.isin(cidx, rng.choice(len(counties), max(1, len(counties) // 5), replace=False)) & (rng.random(n_v) < 0.4)
    inc = np.clip(inc * np.where(key, 2.0, 1.0), 0.0, 0.25)
    n = len(hv)
    members = rng.choice(np.arange(1, 8), n, p=MEMBER_P)
    poor = rng.random(n) < inc[hv]
    members[poor] = rng.choice(np.arange(1, 8), int(poor.sum()), p=POOR_MEMBER_P)
    labour = np.where(poor, rng.random(n) < 0.27, rng.random(n) < 0.93)
    cause = poverty_causes(rng, poor, labour)
    codes = table["village_code"].to_numpy()[hv]
    serial = np.arange(n) - np.searchsorted(hv, hv, side="left") + 1  # hv is grouped by village
    ids = pd.Series(codes, dtype=object) + pd.Series(serial).astype(str).str.zfill(4)
    attrs = pd.DataFrame({
        "household_id": ids.to_numpy(), "village_code": codes, "members": members.astype(int), "is_poor": poor,
        "is_key": poor & labour, "poverty_cause": cause, "has_labour": labour,
    })
    return attrs, xy, hv, old, key


def _villages(table: pd.DataFrame, hh: pd.DataFrame, hv: np.ndarray, old: np.ndarray, key: np.ndarray,
              rng: np.random.Generator) -> pd.DataFrame:
    """The villages table: real names and codes, aggregates of the household points, synthetic income."""
    n_v = len(table)
    members = hh["members"].to_numpy()
    poor = hh["is_poor"].to_numpy()
    out = table[["village_code", "village_name", "town_code", "town_name", "county_code", "county_name"]].copy()
    out["households"] = np.bincount(hv, minlength=n_v)
    out["population"] = np.bincount(hv, weights=members, minlength=n_v).astype(int)
    out["poor_households"] = np.bincount(hv, weights=poor, minlength=n_v).astype(int)
    out["poor_population"] = np.bincount(hv, weights=members * poor, minlength=n_v).astype(int)
    out["is_old_district"] = old
    out["is_key_village"] = key
    med = np.where(_is_community(table["village_name"]), 60.0, np.where(key, 8.0, 15.0))
    out["collective_income_wan"] = np.round(med * np.exp(rng.normal(0, 0.5, n_v)), 1)
    return out


def _roads(table: pd.DataFrame, polys: np.ndarray, total: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Roads (attributes, WGS-84 lines; lengths measured in the metric CRS): from a point of the village to another, bent at a jittered midpoint."""
    n_v = len(table)
    counts = _spread(total, np.sqrt(np.clip(_area_km2(polys), 0.2, 40.0)), minimum=1)
    ends, rv = _sample_in(polys, 2 * counts, rng)
    a, b = ends[0::2], ends[1::2].copy()
    rv = rv[0::2]
    # a village too small to sample two distinct points (an islet) gives both ends on one spot: such a road would be
    # a zero-length line that validation rightly refuses; it runs ~50 m east instead
    same = np.all(np.abs(a - b) < 1e-7, axis=1)
    b[same] = a[same] + np.array([5e-4, 0.0])
    mid = (a + b) / 2 + rng.normal(0, 0.12, (len(a), 1)) * (b - a)[:, ::-1] * np.array([1, -1])
    geoms = shapely.linestrings(np.stack([a, mid, b], axis=1))
    classes = draw_codes(rng, vocab.ROAD_CLASS, _ROAD_CLASS_SHARES, len(rv))
    names = table["village_name"].map(short_name).to_numpy()
    towns = table["town_name"].to_numpy()
    codes = table["village_code"].to_numpy()
    hilly = rng.random(n_v) < 0.3
    lengths = shapely.length(to_metric(geoms, _METRIC_CRS)) / 1000.0
    serial = np.arange(len(rv)) - np.searchsorted(rv, rv, side="left") + 1
    rows = []
    for k, (v, cls) in enumerate(zip(rv, classes)):
        recipe = ROAD_CLASS_RECIPES[cls]
        status = str(draw_codes(rng, vocab.ROAD_STATUS, recipe.status_weights(bool(hilly[v])), None))
        planned, completed, progress, surface = STATUS_FIELDS[status](rng, cls, bool(hilly[v]))
        rows.append((f"R{k + 1:05d}", recipe.name(towns[v], names[v], str(serial[k])), codes[v], cls, surface, status,
                     planned, completed, progress, round(float(max(lengths[k], 0.05) * rng.uniform(*recipe.cost_per_km)), 1), 1))
    cols = ["road_id", "name", "village_code", "road_class", "surface", "status", "planned_year", "completed_year",
            "progress_pct", "cost_wan", "version"]
    df = pd.DataFrame(rows, columns=cols)
    for col in ("planned_year", "completed_year"):
        df[col] = df[col].astype("Int64")
    return df, geoms


def _projects(table: pd.DataFrame, villages: pd.DataFrame, polys: np.ndarray, roads: pd.DataFrame, road_lines: np.ndarray,
              total: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Candidate projects: hardening of planned/unhardened roads (lines), points and irrigation areas in poorer villages."""
    names = table["village_name"].map(short_name).to_numpy()
    towns = table["town_name"].to_numpy()
    code_row = pd.Series(np.arange(len(table)), index=table["village_code"])
    cand = np.flatnonzero(roads["status"].isin(_HARDENING_CANDIDATES).to_numpy())
    n_road = min(len(cand), int(round(total * 0.4)))
    w_road = villages["poor_households"].to_numpy(float)[code_row[roads["village_code"].to_numpy()[cand]].to_numpy()] + 1
    road_pick = np.sort(rng.choice(cand, n_road, replace=False, p=w_road / w_road.sum())) if n_road else np.array([], int)
    plan_w = np.array([p[1] for p in PROJECT_PLAN], dtype=float)
    per_type = _spread(total - n_road, plan_w)
    w_v = villages["poor_households"].to_numpy(float) + 0.5
    rows: list[tuple[object, ...]] = []
    geoms: list[shapely.Geometry] = []
    for r in road_pick:
        v = int(code_row[roads.at[r, "village_code"]])
        rows.append((f"{roads.at[r, 'name']}硬化", _ROAD_HARDENING, float(roads.at[r, "cost_wan"]), table.at[v, "village_code"]))
        geoms.append(road_lines[r])
    for (ptype, _, suffix, (lo, hi)), n in zip(PROJECT_PLAN, per_type):
        if not n:
            continue
        vs = np.sort(rng.choice(len(table), int(n), p=w_v / w_v.sum()))
        pts, _ = _sample_in(polys[vs], np.ones(len(vs), dtype=np.int64), rng)
        for v, (x, y) in zip(vs, pts):
            g = shapely.Point(x, y)
            if ptype == _IRRIGATION:
                g = _polygonal(shapely.intersection(blob(x, y, float(rng.uniform(120, 350)) / 111_000.0, rng), polys[v]))
                g = max(shapely.get_parts(g), key=lambda p: p.area) if g.geom_type == "MultiPolygon" else g
            rows.append((f"{towns[v]}{names[v]}{suffix}", ptype, round(float(rng.uniform(lo, hi)), 1), table.at[v, "village_code"]))
            geoms.append(g)
    df = pd.DataFrame(rows, columns=["name", "project_type", "cost_wan", "village_code"])
    df.insert(0, "project_id", [f"J{i + 1:05d}" for i in range(len(df))])
    df["status"] = np.where(rng.random(len(df)) < 0.08, _APPROVED, _CANDIDATE)
    return df, np.asarray(geoms, dtype=object)


def _enterprises(table: pd.DataFrame, polys: np.ndarray, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Obviously synthetic enterprises (示例企业0001…), two per county and one per 150 villages, in its communities."""
    rows, where = [], []
    for _, grp in table.groupby("county_code", sort=True):
        urban = grp.index[_is_community(grp["village_name"])]
        pool = urban if len(urban) else grp.index
        for _ in range(2 + len(grp) // 150):
            where.append(int(rng.choice(pool)))
    n = len(where)
    leading = rng.random(n) < 0.2
    for i in range(n):
        rows.append((f"E{i + 1:04d}", f"示例企业{i + 1:04d}", str(rng.choice(INDUSTRIES)), bool(leading[i]),
                     int(rng.integers(300, 2001) if leading[i] else rng.integers(15, 301))))
    pts, _ = _sample_in(polys[np.array(where)], np.ones(n, dtype=np.int64), rng)
    df = pd.DataFrame(rows, columns=["enterprise_id", "name", "industry", "is_leading", "employees"])
    df["county_code"] = table["county_code"].to_numpy()[np.array(where)]  # where it sits (for its pairings)
    return df, shapely.points(pts)


def _pairings(villages: pd.DataFrame, enterprises: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Pairings of enterprises of the same county with most key / old-district villages and a few others."""
    ent_county = np.array([str(c) for c in enterprises["county_code"]])
    needy = np.flatnonzero((villages["is_key_village"] | villages["is_old_district"]).to_numpy())
    paired = needy[rng.random(len(needy)) < 0.85]
    others = np.setdiff1d(np.arange(len(villages)), needy)
    extra = rng.choice(others, min(len(others), len(paired) // 4), replace=False) if len(others) else np.array([], int)
    rows = []
    lo, span = np.datetime64("2016-01-01"), 1642
    for r in np.sort(np.concatenate([paired, extra])):
        same = np.flatnonzero(ent_county == villages.at[r, "county_code"])
        e = int(rng.choice(same)) if len(same) else int(rng.integers(len(enterprises)))
        start = lo + np.timedelta64(int(rng.integers(0, span)), "D")
        ended = rng.random() < 0.08
        end = min(start + np.timedelta64(int(rng.integers(365, 1095)), "D"), np.datetime64("2020-11-30")) if ended else None
        lead = bool(enterprises.at[e, "is_leading"])
        rows.append({
            "enterprise_id": enterprises.at[e, "enterprise_id"], "village_code": villages.at[r, "village_code"],
            "pairing_type": str(draw_codes(rng, vocab.PAIRING_TYPE, PAIRING_TYPE_SHARES, None)),
            "start_date": str(start), "end_date": None if end is None else str(end),
            "committed_wan": round(float(rng.uniform(20, 200) if lead else rng.uniform(5, 80)), 1),
            "poor_households_employed": int(rng.integers(0, min(int(villages.at[r, "poor_households"]), 30) + 1)),
            "version": 1,
        })
    out = pd.DataFrame(rows)
    out.insert(0, "pairing_id", [f"P{i + 1:05d}" for i in range(len(out))])
    return out


def _tourism(table: pd.DataFrame, villages: pd.DataFrame, polys: np.ndarray, rng: np.random.Generator
             ) -> tuple[pd.DataFrame, np.ndarray]:
    """Synthetic rural tourism sites (示例景点…), about one per 60 villages, fewer in communities."""
    n = max(3, len(table) // 60)
    w = np.where(_is_community(table["village_name"]), 0.2, 1.0)
    vs = np.sort(rng.choice(len(table), n, replace=False, p=w / w.sum()))
    pts, _ = _sample_in(polys[vs], np.ones(n, dtype=np.int64), rng)
    poor = villages["poor_households"].to_numpy()
    df = pd.DataFrame({
        "site_id": [f"S{i + 1:04d}" for i in range(n)],
        "name": [f"示例景点{i + 1:04d}" for i in range(n)],
        "site_type": draw_codes(rng, vocab.SITE_TYPE, _SITE_TYPES, n),
        "a_level": rng.choice([0, 0, 1, 2, 2, 3, 3, 4], n),
        "village_code": table["village_code"].to_numpy()[vs],
        "annual_visitors": rng.integers(30, 1500, n) * 100,
        "poor_households_employed": [int(rng.integers(0, min(int(poor[v]), 15) + 1)) for v in vs],
        "approximate_location": False,
        "synthetic": True,
    })
    return df, shapely.points(pts)


def build_province_layers(
    region: Region, size: ProvinceSize = FULL_SIZE, seed: int = 20201231, *, verbose: bool = False
) -> dict[str, pd.DataFrame]:
    """Every schema layer of a synthetic province workspace (EPSG:4326), deterministic for ``seed`` and ``size``."""
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        if verbose:
            print(f"[{time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr)

    def rng(step: int) -> np.random.Generator:
        return np.random.default_rng([seed, step])

    def wgs(df: pd.DataFrame, geoms: np.ndarray) -> gpd.GeoDataFrame:  # every geometry is built in WGS-84
        return gpd.GeoDataFrame(df, geometry=list(geoms), crs="EPSG:4326")

    table = select_counties(load_region_table(region), size.villages)
    polys = _tessellate(table, rng(1))
    log(f"{len(table)} village polygons in {table['county_code'].nunique()} counties")
    hh, xy, hv, old, key = _households(table, polys, size.households, rng(2))
    households = wgs(hh, shapely.points(xy))
    villages = wgs(_villages(table, hh, hv, old, key, rng(3)), polys)
    log(f"{len(households)} households")
    roads_df, road_lines = _roads(table, polys, size.roads, rng(4))
    roads = wgs(roads_df, road_lines)
    projects_df, project_geoms = _projects(table, villages, polys, roads_df, road_lines, size.projects, rng(5))
    ent_df, ent_points = _enterprises(table, polys, rng(6))
    pairings = _pairings(villages, ent_df, rng(7))
    enterprises = wgs(ent_df.drop(columns=["county_code"]), ent_points)
    sites_df, site_points = _tourism(table, villages, polys, rng(8))
    log(f"{len(roads)} roads, {len(projects_df)} projects, {len(enterprises)} enterprises, {len(pairings)} pairings")
    built: dict[str, pd.DataFrame] = {
        "villages": villages, "households": households, "roads": roads, "tourism_sites": wgs(sites_df, site_points),
        "enterprises": enterprises, "pairings": pairings, "projects": wgs(projects_df, project_geoms),
    }
    return {name: store.coerce(name, built[name]) if name in built else store.empty_layer(name)
            for name, layer in LAYERS.items() if name in built or not layer.optional}


def province_meta(region: Region, size: ProvinceSize, seed: int) -> dict[str, str]:
    """The ``bangfu_meta`` entries of a province workspace (labelled synthetic)."""
    return {
        "source": "demo_province",
        "region": region.name,
        "province_code": region.code,
        "synthetic_note": SYNTHETIC_NOTE,
        "as_of": AS_OF,
        "seed": str(seed),
        "size": json.dumps(size.__dict__),
    }
