"""Deterministic catchment instances for the benchmarks: a dense county and a sparse province.

* ``dense``: households in hamlets over a 120 km square (the issue-4 instance of bench_planning);
* ``sparse``: a province-like spread — households clustered in villages (≈ 3 per km² of village
  centres, each village a few hundred metres across), villages grouped in counties over a
  390 km × 390 km square (≈ 150,000 km²); projects near villages: 10 % winding road lines,
  600 irrigation polygons (canal areas of 0.3–3 km², irregular, some with holes) and points for
  the other types, with each type's default service distance.

Both return (households xy float64 (n, 2), project geometries, distance per project, units, projects table).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from bangfu.planning import project_types

MEASURES = ("households", "poor_households", "old_households", "key_households", "poor_people")


def clustered_points(rng: np.random.Generator, n: int, *, extent: float, clusters: int) -> np.ndarray:
    """Households in hamlets: cluster centres uniform, members normal around them (σ 150–600 m)."""
    centres = rng.uniform(0, extent, (clusters, 2))
    sizes = rng.multinomial(n, rng.dirichlet(np.ones(clusters) * 2))
    sigma = rng.uniform(150, 600, clusters)
    idx = np.repeat(np.arange(clusters), sizes)
    return centres[idx] + rng.normal(0, 1, (n, 2)) * sigma[idx, None]


def road(rng: np.random.Generator, start: np.ndarray) -> shapely.LineString:
    """A winding road of 30–150 vertices, 30 m apart."""
    n = int(rng.integers(30, 150))
    head = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.1, n))
    return shapely.LineString(start + np.cumsum(np.c_[np.cos(head), np.sin(head)] * 30, axis=0))


def field(rng: np.random.Generator, centre: np.ndarray) -> shapely.Polygon:
    """An irregular irrigation area (star-shaped, 24–60 vertices, 0.3–1 km radius), every 4th with a hole."""
    k = int(rng.integers(24, 60))
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    r = rng.uniform(300, 1000) * rng.uniform(0.6, 1.0, k)
    shell = centre + np.c_[np.cos(ang), np.sin(ang)] * r[:, None]
    hole = None
    if rng.random() < 0.25:
        a = np.linspace(0, 2 * np.pi, 9)[:-1]
        hole = centre + np.c_[np.cos(a), np.sin(a)] * 0.2 * r.min()
    return shapely.Polygon(shell, [hole] if hole is not None else None)


def _units(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    units = {
        "households": np.ones(n),
        "poor_households": (rng.random(n) < 0.04).astype(float),
        "old_households": (rng.random(n) < 0.1).astype(float),
        "key_households": (rng.random(n) < 0.05).astype(float),
    }
    units["poor_people"] = units["poor_households"] * 3
    return units


def _projects(rng, hh, n_proj: int, n_lines: int, n_polys: int):
    kinds = np.array([k for k in project_types.PROJECT_TYPE_TABLE if k not in ("road_hardening", "irrigation")])
    near = hh[rng.integers(0, len(hh), n_proj)] + rng.normal(0, 300, (n_proj, 2))
    ptype = rng.choice(kinds, n_proj).astype(object)
    ptype[:n_lines] = "road_hardening"
    ptype[n_lines:n_lines + n_polys] = "irrigation"
    geoms = np.empty(n_proj, dtype=object)
    for i in range(n_proj):
        geoms[i] = road(rng, near[i]) if i < n_lines else field(rng, near[i]) if i < n_lines + n_polys else shapely.Point(near[i])
    dist = pd.Series(ptype).map(project_types.default_distances()).to_numpy(dtype="float64")
    projects = pd.DataFrame({
        "project_id": [f"P{i}" for i in range(n_proj)], "name": "", "project_type": ptype.astype(str),
        "town_code": (np.arange(n_proj) % 16).astype(str), "cost_wan": rng.uniform(20, 400, n_proj).round(1),
    })
    return geoms, dist, projects


def dense(n_households: int = 1_000_000, n_projects: int = 10_000, seed: int = 1, polygons: int = 0):
    """The dense county of bench_planning part (a): 120 km square, 4,000 hamlets, 10 % road lines."""
    rng = np.random.default_rng(seed)
    hh = clustered_points(rng, n_households, extent=120_000.0, clusters=4000)
    geoms, dist, projects = _projects(rng, hh, n_projects, n_projects // 10, polygons)
    return hh, geoms, dist, _units(rng, len(hh)), projects


def sparse(n_households: int = 3_000_000, n_projects: int = 5_200, seed: int = 7, polygons: int = 600):
    """A province: 60 counties of ≈ 280 villages over 390 km × 390 km, households in villages."""
    rng = np.random.default_rng(seed)
    extent = 390_000.0
    counties = rng.uniform(20_000, extent - 20_000, (60, 2))
    n_vil = 16_727
    vcentre = counties[rng.integers(0, len(counties), n_vil)] + rng.normal(0, 18_000, (n_vil, 2))
    vcentre = np.clip(vcentre, 0, extent)
    sizes = rng.multinomial(n_households, rng.dirichlet(np.ones(n_vil) * 3))
    sigma = rng.uniform(150, 450, n_vil)
    v = np.repeat(np.arange(n_vil), sizes)
    hh = vcentre[v] + rng.normal(0, 1, (n_households, 2)) * sigma[v, None]
    geoms, dist, projects = _projects(rng, hh, n_projects, n_projects // 10, polygons)
    return hh, geoms, dist, _units(rng, len(hh)), projects
