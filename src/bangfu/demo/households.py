"""The households layer: about 100,000 household points clustered in hamlets, with members, poverty, labour and cause.

Poverty is higher in the hilly west and in key villages, low in town centres; 赤水镇 reproduces
the planning-document figures exactly (:data:`bangfu.demo.facts.CHISHUI_POOR`,
:data:`~bangfu.demo.facts.CHISHUI_KEY`). The hamlets are also where roads end and projects stand.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bangfu.core import vocab
from bangfu.demo.codes import draw_codes
from bangfu.demo.facts import CHISHUI, CHISHUI_KEY, CHISHUI_POOR
from bangfu.demo.layout import TOWNS, URBAN_TOWNS, is_seat_type
from bangfu.demo.spatial import sample_inside, to_wgs84

__all__ = [
    "TOTAL_HOUSEHOLDS", "Hamlets", "make_hamlets", "make_household_points", "household_attributes", "households_layer",
]

#: Household points in the whole county.
TOTAL_HOUSEHOLDS = 100_000
#: Share of households with 1..7 members: rural, city centre, registered poor.
MEMBER_P = np.array([0.09, 0.18, 0.22, 0.22, 0.15, 0.09, 0.05])
URBAN_MEMBER_P = np.array([0.13, 0.23, 0.25, 0.2, 0.11, 0.05, 0.03])
POOR_MEMBER_P = np.array([0.20, 0.27, 0.22, 0.15, 0.09, 0.05, 0.02])
#: Poverty causes of poor households with and without labour capacity (code → share, drawn in this order).
CAUSES_WITH_LABOUR = {"缺技术": 0.3, "缺资金": 0.28, "因病": 0.17, "因学": 0.15, "因灾": 0.1}
CAUSES_WITHOUT_LABOUR = {"因病": 0.42, "因残": 0.3, "缺劳力": 0.22, "其他": 0.06}


@dataclass
class Hamlets:
    """Hamlet centres (metres) of every village; ``main[i]`` is the index of village i's largest."""

    x: np.ndarray
    y: np.ndarray
    village: np.ndarray
    weight: np.ndarray
    main: np.ndarray


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


def make_hamlets(table: pd.DataFrame, polys: np.ndarray, rng: np.random.Generator) -> Hamlets:
    """3–8 hamlet centres per village, away from the village edge where possible."""
    xs: list[float] = []
    ys: list[float] = []
    wts: list[float] = []
    vil: list[int] = []
    main: list[int] = []
    for i, poly in enumerate(polys):
        k = int(rng.integers(5, 9)) if is_seat_type(table.loc[i, "village_name"]) else int(rng.integers(3, 9))
        core = shapely.buffer(poly, -150.0)
        if core.is_empty or core.area < 0.15 * poly.area:
            core = shapely.buffer(poly, -40.0)
        if core.is_empty:
            core = poly
        pts = sample_inside(core, k, rng)
        w = rng.dirichlet(np.full(k, 1.6))
        main.append(len(xs) + int(np.argmax(w)))
        xs += list(pts[:, 0])
        ys += list(pts[:, 1])
        vil += [i] * k
        wts += list(w)
    return Hamlets(np.array(xs), np.array(ys), np.array(vil), np.array(wts), np.array(main))


def make_household_points(
    table: pd.DataFrame, polys: np.ndarray, hamlets: Hamlets, rng: np.random.Generator
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
                got = np.vstack([got, sample_inside(inner, n - len(got), rng)])
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


def poverty_causes(rng: np.random.Generator, poor: np.ndarray, labour: np.ndarray) -> np.ndarray:
    """The main poverty cause of each poor household (None for the others), drawn from the causes that fit a
    household with labour or without (:data:`CAUSES_WITH_LABOUR`, :data:`CAUSES_WITHOUT_LABOUR`)."""
    cause = np.full(len(poor), None, dtype=object)
    idx = np.flatnonzero(poor & labour)
    cause[idx] = draw_codes(rng, vocab.POVERTY_CAUSE, CAUSES_WITH_LABOUR, len(idx))
    idx = np.flatnonzero(poor & ~labour)
    cause[idx] = draw_codes(rng, vocab.POVERTY_CAUSE, CAUSES_WITHOUT_LABOUR, len(idx))
    return cause


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
        rng.choice(np.arange(1, 8), n, p=URBAN_MEMBER_P),
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
    cause = poverty_causes(rng, poor, labour)
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


def households_layer(attributes: pd.DataFrame, xy: np.ndarray, hv: np.ndarray, polys_wgs: np.ndarray) -> gpd.GeoDataFrame:
    """The households layer (WGS-84): ``attributes`` at the metric points ``xy``.

    Raises if a point, once in WGS-84, does not lie in its own village ``polys_wgs[hv]``.
    """
    pts = to_wgs84(shapely.points(xy))
    inside = np.zeros(len(hv), dtype=bool)
    for v in range(len(polys_wgs)):
        m = hv == v
        inside[m] = shapely.contains_xy(polys_wgs[v], shapely.get_x(pts[m]), shapely.get_y(pts[m]))
    if not inside.all():
        raise RuntimeError(f"{int((~inside).sum())} household points fell outside their village")
    return gpd.GeoDataFrame(attributes, geometry=list(pts), crs="EPSG:4326")
