"""Project planning on a coverage table: standalone counts, ranking, greedy and exact (HiGHS) portfolios.

No geometry here. :func:`bangfu.planning.coverage.build_coverage` turns layers into a :class:`Coverage`
(a sparse project × household matrix plus per-household measures); everything below works on
that table only, the way spopt's ``from_geodataframe`` separates geometry from the solver.

Every household is counted once in a portfolio: a project's marginal gain is the weight of the
households it covers that no chosen project covers yet.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from bangfu.core.errors import BangfuError

__all__ = [
    "MEASURES", "WEIGHT_KEYS", "PlanningError", "Coverage", "Constraints", "Portfolio",
    "parse_weights", "check_weights", "standalone_counts", "ranking", "merge_units", "unit_groups",
    "check_constraints", "greedy", "solve_exact", "exact_portfolio", "score_tolerance", "leave_one_out_gains", "coverage_value",
    "cumulative_curve",
]

#: Household measures counted per project (unit values: 1, is_poor, members if poor, in 老区 village, in key village).
MEASURES: tuple[str, ...] = ("households", "poor_households", "poor_people", "old_households", "key_households")
#: User weight name → the measure it weights (``--weights poor=3,old=2,key=1,all=1``).
WEIGHT_KEYS: dict[str, str] = {
    "poor": "poor_households",
    "old": "old_households",
    "key": "key_households",
    "all": "households",
}
#: Project row positions: a list or an integer array.
Indices = Sequence[int] | NDArray[np.integer]
DEFAULT_WEIGHTS: dict[str, float] = {"poor": 3.0, "old": 2.0, "key": 1.0, "all": 1.0}


class PlanningError(BangfuError, ValueError):
    """Bad planning input; ``message_zh`` is what the user sees."""


@dataclass(frozen=True)
class Coverage:
    """Projects × units incidence (CSR, 1 = the project's catchment holds the unit) and unit measures.

    A unit is one household, or (village-area fallback) one piece of a village with fractional
    totals. ``projects`` has one row per matrix row: project_id, name, project_type, town_code,
    town_name, village_code, village_name, cost_wan (and whatever else the builder adds).
    """

    matrix: sp.csr_matrix
    units: Mapping[str, NDArray[np.float64]]
    projects: pd.DataFrame
    method: str = "households"  # or "village_area"
    notes: tuple[str, ...] = ()

    @property
    def n_projects(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_units(self) -> int:
        return int(self.matrix.shape[1])

    def unit_weights(self, weights: Mapping[str, float]) -> NDArray[np.float64]:
        """Weighted value of each unit: Σ weight × measure."""
        w = np.zeros(self.n_units)
        for key, value in check_weights(weights).items():
            if value:
                w += value * np.asarray(self.units[WEIGHT_KEYS[key]], dtype="float64")
        return w

    def index_of(self, ids: Sequence[str]) -> NDArray[np.int64]:
        """Row positions of project ids (PlanningError naming unknown ones)."""
        pos = {str(p): i for i, p in enumerate(self.projects["project_id"])}
        unknown = [str(i) for i in ids if str(i) not in pos]
        if unknown:
            raise PlanningError(
                f"项目编号不存在或不是候选项目：{'、'.join(unknown)}", f"unknown or non-candidate project ids: {', '.join(unknown)}"
            )
        return np.array([pos[str(i)] for i in ids], dtype=np.int64)


# --------------------------------------------------------------------------- weights


def parse_weights(text: str) -> dict[str, float]:
    """``"poor=3,old=2,all=1"`` → weights (missing keys 0); PlanningError quoting bad parts."""
    out: dict[str, float] = {}
    for part in [p.strip() for p in str(text).replace("，", ",").split(",") if p.strip()]:
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in WEIGHT_KEYS:
            raise PlanningError(
                f"权重写法有误：{part!r}；应为 名称=数值，名称可用 {'、'.join(WEIGHT_KEYS)}（例：poor=3,old=2,all=1）",
                f"bad weight {part!r}; use name=value with names {', '.join(WEIGHT_KEYS)}",
            )
        try:
            out[key] = float(value)
        except ValueError:
            raise PlanningError(f"权重 {key} 的值不是数字：{value!r}", f"weight {key} is not a number: {value!r}") from None
    return check_weights(out)


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """All four weights (missing = 0); PlanningError if any is negative or not finite, or all are zero."""
    unknown = [k for k in weights if k not in WEIGHT_KEYS]
    if unknown:
        raise PlanningError(f"未知的权重名称：{'、'.join(unknown)}；可用：{'、'.join(WEIGHT_KEYS)}", f"unknown weights {unknown}")
    out = {k: float(weights.get(k, 0.0) or 0.0) for k in WEIGHT_KEYS}
    bad = [k for k, v in out.items() if not math.isfinite(v) or v < 0]
    if bad:
        raise PlanningError(f"权重不能为负数：{'、'.join(f'{k}={out[k]:g}' for k in bad)}", f"negative weights: {bad}")
    if not any(out.values()):
        raise PlanningError("权重不能全部为 0：请至少给一类农户一个正的权重。", "weights are all zero")
    return out


# --------------------------------------------------------------------------- standalone


def standalone_counts(cov: Coverage) -> pd.DataFrame:
    """Households of each measure inside each project's catchment (every project on its own)."""
    data = {m: np.asarray(cov.matrix @ np.asarray(cov.units[m], dtype="float64")).ravel() for m in MEASURES}
    return pd.DataFrame(data, index=cov.projects.index)


def ranking(cov: Coverage, weights: Mapping[str, float]) -> pd.DataFrame:
    """Standalone ranking: one row per project with counts, cost per poor household and weighted score.

    Sorted by score (descending), then by cost (ascending); ``rank`` starts at 1.
    """
    w = check_weights(weights)
    counts = standalone_counts(cov)
    out = cov.projects[
        [c for c in ("project_id", "name", "project_type", "town_name", "village_name", "cost_wan") if c in cov.projects]
    ].copy()
    for m in MEASURES:
        out[m] = counts[m].to_numpy()
    poor = out["poor_households"].to_numpy(dtype="float64")
    cost = out["cost_wan"].to_numpy(dtype="float64")
    out["cost_per_poor_household"] = np.divide(cost, poor, out=np.full(len(out), np.nan), where=poor > 0)
    out["score"] = sum(w[k] * out[m].to_numpy(dtype="float64") for k, m in WEIGHT_KEYS.items())
    out["score_per_wan"] = np.divide(out["score"], cost, out=np.full(len(out), np.inf), where=cost > 0)
    out = out.sort_values(["score", "cost_wan", "project_id"], ascending=[False, True, True], kind="stable")
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- constraints


@dataclass(frozen=True)
class Constraints:
    """What a portfolio must respect: budget (万元), projects in / out, at least k per town."""

    budget: float
    must_in: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    min_per_town: int = 0


@dataclass(frozen=True)
class _Checked:
    budget: float
    must: NDArray[np.int64]
    allowed: NDArray[np.bool_]
    town: NDArray[np.int64]  # town index per project
    towns: tuple[str, ...]
    k: int


def _costs(cov: Coverage) -> NDArray[np.float64]:
    cost: NDArray[np.float64] = pd.to_numeric(cov.projects["cost_wan"], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(cost) | (cost < 0)
    if bad.any():
        ids = "、".join(map(str, cov.projects["project_id"].to_numpy()[bad][:20]))
        raise PlanningError(f"以下项目的投资缺失或为负数，请先在数据管理中修正：{ids}", f"missing or negative costs: {ids}")
    return cost


def check_constraints(cov: Coverage, c: Constraints) -> _Checked:
    """Validate a portfolio request; PlanningError (Chinese) for anything that cannot be solved."""
    cost = _costs(cov)
    budget = float(c.budget) if c.budget is not None else float("nan")
    if not math.isfinite(budget) or budget <= 0:
        raise PlanningError(f"预算必须大于 0 万元（当前：{c.budget}）。", f"budget must be > 0 (got {c.budget})")
    must = cov.index_of(list(dict.fromkeys(c.must_in)))
    excl = cov.index_of(list(dict.fromkeys(c.excluded)))
    both = sorted(set(must.tolist()) & set(excl.tolist()))
    if both:
        ids = "、".join(str(cov.projects["project_id"].iloc[i]) for i in both)
        raise PlanningError(f"项目不能既必选又排除：{ids}", f"projects both required and excluded: {ids}")
    must_cost = float(cost[must].sum())
    if must_cost > budget + 1e-9:
        raise PlanningError(
            f"必选项目投资合计 {must_cost:,.1f} 万元，超过预算 {budget:,.1f} 万元。",
            f"required projects cost {must_cost:,.1f}, more than the budget {budget:,.1f}",
        )
    allowed = np.ones(cov.n_projects, dtype=bool)
    allowed[excl] = False
    town_codes = cov.projects["town_code"].astype(str).to_numpy() if "town_code" in cov.projects else np.zeros(cov.n_projects, str)
    towns, town = np.unique(town_codes, return_inverse=True)
    k = int(c.min_per_town or 0)
    if k < 0:
        raise PlanningError("每个镇街至少项目数不能为负数。", "min_per_town must be >= 0")
    if k > 0:
        names = dict(zip(town_codes, cov.projects.get("town_name", pd.Series(town_codes)).astype(str)))
        short = [names[t] for i, t in enumerate(towns) if int((allowed & (town == i)).sum()) < k]
        if short:
            raise PlanningError(
                f"公平性要求无法满足：以下镇街可选的候选项目少于 {k} 个：{'、'.join(short)}。请降低每镇至少项目数或取消排除。",
                f"fairness infeasible: fewer than {k} candidate projects in {', '.join(short)}",
            )
        need = _min_fair_cost(cost, allowed, must, town, len(towns), k)
        if need > budget + 1e-9:
            raise PlanningError(
                f"公平性要求无法满足：每个镇街至少 {k} 个项目（含必选项目）最少需要 {need:,.1f} 万元，超过预算 {budget:,.1f} 万元。"
                "请增加预算或降低每镇至少项目数。",
                f"fairness infeasible: at least {need:,.1f} needed, budget {budget:,.1f}",
            )
    return _Checked(budget, must, allowed, town.astype(np.int64), tuple(map(str, towns)), k)


def _min_fair_cost(
    cost: NDArray[np.float64], allowed: NDArray[np.bool_], chosen: NDArray[np.int64], town: NDArray[np.intp], n_towns: int, k: int
) -> float:
    """Cheapest cost of ``chosen`` plus the cheapest completion giving every town k projects."""
    is_in = np.zeros(len(cost), dtype=bool)
    is_in[chosen] = True
    total = float(cost[is_in].sum())
    for t in range(n_towns):
        need = k - int((is_in & (town == t)).sum())
        if need > 0:
            pool = np.sort(cost[allowed & ~is_in & (town == t)])
            total += float(pool[:need].sum()) if len(pool) >= need else float("inf")
    return total


# --------------------------------------------------------------------------- portfolio


@dataclass
class Portfolio:
    """A chosen set of projects with its value, in the order they were added (greedy) or by rank (exact)."""

    method: str  # "greedy" or "exact"
    chosen: NDArray[np.int64]
    objective: float
    cost: float
    totals: dict[str, float]
    steps: pd.DataFrame
    status: str = "optimal"  # exact: optimal / time_limit; greedy: heuristic
    bound: float = float("nan")  # exact: proven upper bound of the objective
    gap: float = 0.0  # exact: (bound − objective) / objective
    seconds: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    #: exact: "minimal" (proven cheapest among the score optima), "time_limit" (cheapest found in
    #: time) or "not_minimised" (the score optimum was not proven, so cost was not minimised)
    cost_status: str = ""
    cost_bound: float = float("nan")  # exact: proven lower bound of the cost among the score optima


def coverage_value(cov: Coverage, chosen: Indices, w: NDArray[np.float64]) -> float:
    """Weighted households covered at least once by ``chosen`` (each household once)."""
    if len(chosen) == 0:
        return 0.0
    covered = np.zeros(cov.n_units, dtype=bool)
    sub = cov.matrix[np.asarray(chosen, dtype=np.int64)]
    covered[sub.indices] = True
    return float(w[covered].sum())


def _steps(cov: Coverage, order: Indices, cost: NDArray[np.float64], w: NDArray[np.float64]) -> pd.DataFrame:
    """Marginal gains and running totals of projects added in ``order``."""
    covered = np.zeros(cov.n_units, dtype=bool)
    rows = []
    run = {m: 0.0 for m in MEASURES}
    run_w = run_c = 0.0
    m_ptr, m_idx = cov.matrix.indptr, cov.matrix.indices
    units = {m: np.asarray(cov.units[m], dtype="float64") for m in MEASURES}
    for step, p in enumerate(order, 1):
        cols = m_idx[m_ptr[p] : m_ptr[p + 1]]
        new = cols[~covered[cols]]
        covered[new] = True
        gain = {m: float(units[m][new].sum()) for m in MEASURES}
        gain_w = float(w[new].sum())
        for m in MEASURES:
            run[m] += gain[m]
        run_w += gain_w
        run_c += float(cost[p])
        row = cov.projects.iloc[p]
        rows.append(
            {
                "step": step,
                "project_id": row["project_id"],
                "name": row.get("name", ""),
                "project_type": row.get("project_type", ""),
                "town_name": row.get("town_name", ""),
                "cost_wan": float(cost[p]),
                **{f"gain_{m}": gain[m] for m in MEASURES},
                "gain_score": gain_w,
                "gain_per_wan": gain_w / float(cost[p]) if cost[p] > 0 else float("inf"),
                **{f"total_{m}": run[m] for m in MEASURES},
                "total_score": run_w,
                "cumulative_cost": run_c,
            }
        )
    return pd.DataFrame(rows)


def _result(
    cov: Coverage, method: str, chosen: Indices, cost: NDArray[np.float64], w: NDArray[np.float64], *, status: str, seconds: float
) -> Portfolio:
    order = np.asarray(chosen, dtype=np.int64)
    steps = _steps(cov, order, cost, w)
    totals = {m: float(steps[f"total_{m}"].iloc[-1]) if len(steps) else 0.0 for m in MEASURES}
    obj = float(steps["total_score"].iloc[-1]) if len(steps) else 0.0
    return Portfolio(method, order, obj, float(cost[order].sum()), totals, steps, status=status, seconds=seconds)


class _Marginal:
    """Marginal weighted gain of a project given the households covered so far.

    ``rest`` is the weight of each unit not covered yet (0 once covered). One project's gain is the
    left-to-right sum of ``rest`` over its units, and so is every row of the sparse product used
    for all projects at once — the two agree to the last bit, so ties break the same way.
    """

    def __init__(self, cov: Coverage, w: NDArray[np.float64]) -> None:
        m = cov.matrix
        self.ptr, self.idx = m.indptr, m.indices
        self.rest = np.array(w, dtype="float64")
        self.incidence = m if m.nnz == 0 or bool((m.data == 1).all()) else sp.csr_matrix(
            (np.ones(m.nnz), m.indices, m.indptr), shape=m.shape
        )

    def gain(self, p: int) -> float:
        a, b = self.ptr[p], self.ptr[p + 1]
        return float(np.cumsum(self.rest[self.idx[a:b]])[-1]) if b > a else 0.0

    def gains(self) -> NDArray[np.float64]:
        """Marginal gain of every project (one sparse matrix–vector product)."""
        return np.asarray(self.incidence @ self.rest, dtype="float64").ravel()

    def add(self, p: int) -> None:
        self.rest[self.idx[self.ptr[p] : self.ptr[p + 1]]] = 0.0


def _ratio(gain: float, cost: float) -> float:
    return gain / cost if cost > 0 else (math.inf if gain > 0 else 0.0)


def _fair_phase(chk: _Checked, cost: NDArray[np.float64], mg: _Marginal, chosen: list[int], remaining: float) -> float:
    """Add projects to towns below k, best gain per yuan first, never leaving other towns unaffordable."""
    is_in = np.zeros(len(cost), dtype=bool)
    is_in[chosen] = True
    while True:
        counts = np.bincount(chk.town[is_in], minlength=len(chk.towns))
        deficient = [t for t in range(len(chk.towns)) if counts[t] < chk.k]
        if not deficient:
            return remaining
        reserve = {}
        for t in deficient:
            pool = np.sort(cost[chk.allowed & ~is_in & (chk.town == t)])
            reserve[t] = float(pool[: chk.k - counts[t]].sum())
        total_reserve = sum(reserve.values())
        best, best_key = -1, None
        for t in deficient:
            cand = np.flatnonzero(chk.allowed & ~is_in & (chk.town == t))
            srt = np.sort(cost[cand])
            m = chk.k - counts[t] - 1  # projects this town still needs after p
            for p in cand:
                after = float(srt[: m + 1].sum() - cost[p]) if m < len(srt) and cost[p] <= srt[m] else float(srt[:m].sum())
                rest = total_reserve - reserve[t] + after
                if cost[p] + rest > remaining + 1e-9:
                    continue
                key = (_ratio(mg.gain(int(p)), float(cost[p])), -float(cost[p]), -int(p))
                if best_key is None or key > best_key:
                    best, best_key = int(p), key
        if best < 0:  # cannot happen after check_constraints; guard anyway
            raise PlanningError("预算不足以满足每个镇街的最少项目数。", "budget cannot meet the fairness rule")
        chosen.append(best)
        is_in[best] = True
        mg.add(best)
        remaining -= float(cost[best])


def _celf(
    cov: Coverage,
    chk: _Checked,
    cost: NDArray[np.float64],
    mg: _Marginal,
    chosen: list[int],
    remaining: float,
    start: int | None = None,
    gains: NDArray[np.float64] | None = None,
) -> None:
    """Lazy greedy (CELF) by marginal weighted households per yuan, skipping projects that no longer fit.

    ``gains``: every project's current marginal gain if the caller has it already."""
    taken = np.zeros(cov.n_projects, dtype=bool)
    taken[chosen] = True
    if start is not None:
        chosen.append(start)
        taken[start] = True
        mg.add(start)
        remaining -= float(cost[start])
    heap: list[tuple[float, float, int, int]] = []  # (−gain per yuan, cost, project, len(chosen) when computed)
    if gains is None or start is not None:
        gains = mg.gains()
    for p in np.flatnonzero(chk.allowed & ~taken & (cost <= remaining + 1e-9) & (gains > 0)).tolist():
        heap.append((-_ratio(float(gains[p]), float(cost[p])), float(cost[p]), p, len(chosen)))
    heapq.heapify(heap)
    while heap:
        neg, c, p, stamp = heapq.heappop(heap)
        if c > remaining + 1e-9:
            continue
        if stamp != len(chosen):
            g = mg.gain(p)
            if g > 0:
                heapq.heappush(heap, (-_ratio(g, c), c, p, len(chosen)))
            continue
        chosen.append(p)
        mg.add(p)
        remaining -= c


def greedy(cov: Coverage, weights: Mapping[str, float], constraints: Constraints) -> Portfolio:
    """Greedy portfolio: must-in projects, then towns below k, then best marginal weighted households
    per yuan (lazy evaluation) while the budget lasts. Also tries starting from the single project
    with the largest marginal gain that fits the budget left after the must-in and fairness
    projects (the classic fix for budgeted coverage) and keeps the better one.
    """
    t0 = time.perf_counter()
    chk = check_constraints(cov, constraints)
    cost = _costs(cov)
    w = cov.unit_weights(weights)

    # the base every run shares: must-in projects, then the fairness phase
    base_mg = _Marginal(cov, w)
    base = [int(p) for p in chk.must]
    for p in base:
        base_mg.add(p)
    remaining = chk.budget - float(cost[base].sum())
    if chk.k:
        remaining = _fair_phase(chk, cost, base_mg, base, remaining)
    gains = base_mg.gains()  # marginal gains after the base: reused by the plain run

    def run(start: int | None) -> list[int]:
        mg = _Marginal(cov, w)
        mg.rest = base_mg.rest.copy()
        chosen = list(base)
        _celf(cov, chk, cost, mg, chosen, remaining, start, gains)
        return chosen

    best = run(None)
    ok = chk.allowed & (cost <= remaining + 1e-9) & (gains > 0)
    ok[base] = False
    if ok.any():
        alt = run(int(np.argmax(np.where(ok, gains, -1.0))))
        if coverage_value(cov, alt, w) > coverage_value(cov, best, w) + 1e-9:
            best = alt
    return _result(cov, "greedy", best, cost, w, status="heuristic", seconds=time.perf_counter() - t0)


# --------------------------------------------------------------------------- exact


def unit_groups(matrix: sp.csr_matrix) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Units covered by exactly the same set of projects, as groups: ``(keep, group, reps)`` — the covered units,
    the group of each of them, and one unit of each group (uncovered units belong to no group).

    Two 64-bit sums of random project keys identify a unit's set of projects (with its size): a collision needs two
    different sets agreeing on 128 random bits."""
    csc = sp.csc_matrix(matrix, dtype=np.float64)
    csc.sum_duplicates()
    csc.sort_indices()
    nnz = np.diff(csc.indptr)
    keep = np.flatnonzero(nnz > 0).astype(np.int64)
    if len(keep) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    rng = np.random.default_rng(12345)
    h1 = rng.integers(1, 2**62, size=matrix.shape[0], dtype=np.int64)
    h2 = rng.integers(1, 2**62, size=matrix.shape[0], dtype=np.int64)
    col = np.repeat(np.arange(csc.shape[1]), nnz)
    with np.errstate(over="ignore"):
        s1 = np.zeros(csc.shape[1], dtype=np.int64)
        s2 = np.zeros(csc.shape[1], dtype=np.int64)
        np.add.at(s1, col, h1[csc.indices])
        np.bitwise_xor.at(s2, col, h2[csc.indices] * 3 + 1)
    key = np.rec.fromarrays([nnz[keep], s1[keep], s2[keep]])
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    return keep, np.asarray(group, dtype=np.int64).reshape(-1), np.asarray(keep[first], dtype=np.int64)


def merge_units(matrix: sp.csr_matrix, w: NDArray[np.float64]) -> tuple[sp.csc_matrix, NDArray[np.float64]]:
    """Merge units covered by exactly the same set of projects (weights summed); drop uncovered ones.

    Returns the merged projects × groups matrix (CSC) and the group weights (:func:`unit_groups`).
    """
    keep, group, reps = unit_groups(matrix)
    if len(keep) == 0:
        return sp.csc_matrix((matrix.shape[0], 0)), np.zeros(0)
    gw = np.bincount(group, weights=w[keep], minlength=len(reps)).astype(np.float64, copy=False)  # float with weights
    csc = sp.csc_matrix(matrix, dtype=np.float64)
    csc.sum_duplicates()
    csc.sort_indices()
    return csc[:, reps], gw


#: Common steps of score weights tried by :func:`score_tolerance` (largest first).
_QUANTA: tuple[float, ...] = (1.0, 0.5, 0.25, 0.2, 0.1, 0.05, 0.025, 0.02, 0.01, 0.005, 0.002, 0.001)


def score_tolerance(unit_weights: NDArray[np.float64], optimum: float) -> float:
    """How far below ``optimum`` a score may be and still count as the same score.

    When every household's weighted value is a multiple of a step q (integer measures and
    weights such as 3, 2, 1 or 0.5 — the usual case), every portfolio's score is a multiple of q,
    so any score ≥ optimum − q/2 *is* the optimum: the tolerance is q/2, far above floating-point
    noise and HiGHS's feasibility tolerance (1e-6) and far below any real difference. Otherwise
    (village-area fallback, weights like 0.333) scores agreeing to 9 significant digits count as
    equal: max(1e-6, 1e-9 × |optimum|).
    """
    vals = np.unique(np.asarray(unit_weights, dtype="float64"))
    vals = vals[vals > 0]
    for q in _QUANTA:
        r = vals / q
        if np.all(np.abs(r - np.round(r)) <= 1e-9 * np.maximum(1.0, r)):
            return q / 2
    return max(1e-6, 1e-9 * abs(optimum))


def leave_one_out_gains(cov: Coverage, chosen: Indices, w: NDArray[np.float64]) -> NDArray[np.float64]:
    """What each chosen project adds given all the others: weight of the units only it covers."""
    rows = np.asarray(chosen, dtype=np.int64)
    if len(rows) == 0:
        return np.zeros(0)
    sub = sp.csr_matrix(cov.matrix[rows])
    sub.sum_duplicates()
    sub.eliminate_zeros()
    times = np.bincount(sub.indices, minlength=cov.n_units)
    only = np.where(times == 1, w, 0.0)
    inc = sp.csr_matrix((np.ones(sub.nnz), sub.indices, sub.indptr), shape=sub.shape)
    return np.asarray(inc @ only, dtype="float64").ravel()


def _prune(cov: Coverage, chk: _Checked, cost: NDArray[np.float64], w: NDArray[np.float64], chosen: Indices) -> list[int]:
    """Drop, most expensive first, projects that add nothing, are not must-in and whose town keeps k."""
    kept = [int(p) for p in chosen]
    must = set(chk.must.tolist())
    while True:
        loo = leave_one_out_gains(cov, kept, w)
        per_town = np.bincount(chk.town[kept], minlength=len(chk.towns)) if kept else np.zeros(len(chk.towns), int)
        drop = [p for p, g in zip(kept, loo) if g <= 0 and p not in must and per_town[chk.town[p]] > chk.k]
        if not drop:
            return kept
        kept.remove(max(drop, key=lambda p: (float(cost[p]), p)))


def _reasons(cov: Coverage, chk: _Checked, w: NDArray[np.float64], chosen: Indices) -> list[str]:
    """Why each chosen project is in although it adds nothing: ``must_in``, ``fairness`` or ``""``."""
    must = set(chk.must.tolist())
    loo = leave_one_out_gains(cov, chosen, w)
    return ["" if g > 0 else ("must_in" if int(p) in must else "fairness") for p, g in zip(chosen, loo)]


def solve_exact(
    cov: Coverage,
    weights: Mapping[str, float],
    constraints: Constraints,
    *,
    time_limit: float = 30.0,
    warm_start: Portfolio | None = None,
) -> Portfolio:
    """Budgeted maximum coverage as an integer program, solved with HiGHS; the cheapest of the optima.

    max Σ_g w_g y_g  s.t.  y_g ≤ Σ_{p covers g} x_p,  Σ c_p x_p ≤ B,  Σ_{p in town t} x_p ≥ k,
    x_p ∈ {0,1} (must-in fixed to 1, excluded to 0), 0 ≤ y_g ≤ 1, over merged groups g of households
    with identical covering sets. Groups covered by one project only are folded into that
    project's objective coefficient.

    Lexicographic: once the score optimum z* is proven, a second solve minimises Σ c_p x_p subject
    to score ≥ z* − τ (:func:`score_tolerance`) and the same constraints, starting from the first
    solution, within the time left. Finally projects that add nothing (given the others) are dropped
    unless they are must-in or their town needs them for the k rule; ``Portfolio.steps["note"]``
    says which of the two keeps a project that adds nothing. ``status``, ``bound`` and ``gap``
    are about the score; ``cost_status`` says whether the cost is proven minimal.
    If the first solve hits the time limit, its best solution is kept (only projects that add
    nothing are dropped, which leaves the score and so the gap unchanged) and ``cost_status`` is
    ``not_minimised``.
    """
    import highspy

    t0 = time.perf_counter()
    chk = check_constraints(cov, constraints)
    cost = _costs(cov)
    w = cov.unit_weights(weights)
    groups, gw = merge_units(cov.matrix, w)
    n_p = cov.n_projects
    deg = np.diff(groups.indptr)
    single = deg == 1
    obj_x = np.bincount(groups.indices[np.repeat(single, deg)], weights=gw[single], minlength=n_p)
    multi = np.flatnonzero(~single & (gw > 0))
    gm = groups[:, multi]
    n_g = len(multi)

    # Columns: x (n_p), y (n_g). Rows: n_g coverage rows, budget, towns.
    towns_used = list(range(len(chk.towns))) if chk.k else []
    n_rows = n_g + 1 + len(towns_used)
    # x columns: coverage rows (−1), budget row (cost), town row (+1)
    gm_csr = gm.tocsr()  # projects × groups
    x_starts, x_index, x_value = [0], [], []
    for p in range(n_p):
        rows = gm_csr.indices[gm_csr.indptr[p] : gm_csr.indptr[p + 1]]
        x_index.append(rows)
        x_value.append(np.full(len(rows), -1.0))
        extra_r = [n_g]
        extra_v = [float(cost[p])]
        if chk.k:
            extra_r.append(n_g + 1 + int(chk.town[p]))
            extra_v.append(1.0)
        x_index.append(np.array(extra_r))
        x_value.append(np.array(extra_v))
        x_starts.append(x_starts[-1] + len(rows) + len(extra_r))
    y_index = np.arange(n_g)
    starts = np.concatenate([np.array(x_starts), x_starts[-1] + np.arange(1, n_g + 1)])
    index = np.concatenate(x_index + [y_index]).astype(np.int32) if n_p + n_g else np.zeros(0, np.int32)
    value = np.concatenate(x_value + [np.ones(n_g)]) if n_p + n_g else np.zeros(0)
    score_cost = np.concatenate([obj_x, gw[multi]])

    lp = highspy.HighsLp()
    lp.num_col_ = n_p + n_g
    lp.num_row_ = n_rows
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = score_cost
    lower = np.zeros(n_p + n_g)
    upper = np.ones(n_p + n_g)
    lower[chk.must] = 1.0
    upper[:n_p][~chk.allowed] = 0.0
    lp.col_lower_, lp.col_upper_ = lower, upper
    lp.row_lower_ = np.concatenate([np.full(n_g, -highspy.kHighsInf), [-highspy.kHighsInf], np.full(len(towns_used), float(chk.k))])
    lp.row_upper_ = np.concatenate([np.zeros(n_g), [chk.budget], np.full(len(towns_used), highspy.kHighsInf)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts.astype(np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_p + [highspy.HighsVarType.kContinuous] * n_g

    def start_from(h: highspy.Highs, chosen: Indices) -> None:
        sol = highspy.HighsSolution()
        xv = np.zeros(n_p + n_g)
        xv[np.asarray(chosen, dtype=np.int64)] = 1.0
        covered = np.asarray(gm_csr[np.asarray(chosen, dtype=np.int64)].sum(axis=0)).ravel() > 0 if n_g else np.zeros(0, bool)
        xv[n_p:] = covered.astype(float)
        sol.col_value = list(xv)
        sol.value_valid = True
        h.setSolution(sol)

    def status_of(h: highspy.Highs) -> str:
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return "optimal"
        return "time_limit" if status == highspy.HighsModelStatus.kTimeLimit else str(status).split(".")[-1]

    def solution(h: highspy.Highs) -> NDArray[np.int64] | None:
        if h.getInfo().primal_solution_status < 2:  # no feasible solution
            return None
        return np.flatnonzero(np.asarray(h.getSolution().col_value[:n_p]) > 0.5)

    # --- 1. maximise the score
    h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy's Highs.__init__ has no annotations
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("threads", 1)
    # presolve's initial sweep only for the score: the full presolve spent 4–15 s of the province's first solve on
    # reductions that the root's reduced-cost fixing (from the greedy start) makes anyway (docs/benchmarks.md,
    # "Planning at province level")
    h.setOptionValue("presolve_mode", 1)
    h.passModel(lp)
    if warm_start is not None and len(warm_start.chosen):
        start_from(h, warm_start.chosen)
    h.run()
    if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
        raise PlanningError("在当前预算和约束下没有可行的项目组合（请检查必选项目、排除项目和每镇最少项目数）。", "infeasible")
    st_name = status_of(h)
    chosen = solution(h)
    if chosen is None:  # no feasible solution found in time
        if warm_start is None:
            raise PlanningError("求解在时间限制内未找到可行解，请延长时间限制。", "no solution within the time limit")
        chosen = np.asarray(warm_start.chosen, dtype=np.int64)
    bound = float(h.getInfo().mip_dual_bound)
    z = coverage_value(cov, chosen, w)
    tol = score_tolerance(w, z)

    # --- 2. the cheapest portfolio with that score (only once the score optimum is proven)
    cost_status, cost_bound = "not_minimised", float("nan")
    left = float(time_limit) - (time.perf_counter() - t0)
    if st_name == "optimal" and n_p and left <= 0.01:
        cost_status = "time_limit"  # no time left to reduce the cost: the first solution is the cheapest found
    elif st_name == "optimal" and n_p:
        h.setOptionValue("presolve_mode", 0)  # the cost: the full presolve (the sweep alone was slower there)
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)
        h.changeColsCost(n_p + n_g, np.arange(n_p + n_g, dtype=np.int32), np.concatenate([cost, np.zeros(n_g)]))
        nz = np.flatnonzero(score_cost)
        h.addRow(z - tol, highspy.kHighsInf, len(nz), nz.astype(np.int32), score_cost[nz])
        h.setOptionValue("time_limit", left)
        start_from(h, chosen)
        h.run()
        cheaper = solution(h)
        # keep it only if its score, recomputed exactly, is still the optimum (never trust tolerances blindly)
        if cheaper is not None and coverage_value(cov, cheaper, w) >= z - tol and cost[cheaper].sum() <= cost[chosen].sum():
            chosen = cheaper
            cost_status = "minimal" if status_of(h) == "optimal" else "time_limit"
            cost_bound = float(h.getInfo().mip_dual_bound)

    res = exact_portfolio(cov, weights, constraints, chosen, status=st_name, bound=bound, cost_status=cost_status,
                          cost_bound=cost_bound, seconds=time.perf_counter() - t0, prune=True)
    res.extra = {"units": float(cov.n_units), "groups": float(len(gw)), "ip_groups": float(n_g), "score_tolerance": tol}
    return res


def exact_portfolio(
    cov: Coverage,
    weights: Mapping[str, float],
    constraints: Constraints,
    chosen: Indices,
    *,
    status: str,
    bound: float,
    cost_status: str,
    cost_bound: float = float("nan"),
    seconds: float = 0.0,
    prune: bool = False,
) -> Portfolio:
    """The exact portfolio of projects ``chosen`` (row positions) as :func:`solve_exact` reports it: steps in order of
    standalone value with their notes, the proven bound and gap of the score, the cost's status. ``bound``: the
    solver's dual bound (ignored when ``status`` is ``optimal``). ``prune``: first drop projects that add nothing
    (:func:`solve_exact`'s last step; a stored solution was pruned when it was found)."""
    chk = check_constraints(cov, constraints)
    cost = _costs(cov)
    w = cov.unit_weights(weights)
    rows = np.asarray(chosen, dtype=np.int64)
    if prune:  # never a project that adds nothing (unless must-in or needed for the k rule)
        rows = np.asarray(_prune(cov, chk, cost, w, rows), dtype=np.int64)
    # report in order of standalone weighted value (a readable order for the steps table)
    standalone = np.asarray(cov.matrix[rows] @ w).ravel() if len(rows) else np.zeros(0)
    rows = rows[np.argsort(-standalone, kind="stable")]
    res = _result(cov, "exact", rows, cost, w, status=status, seconds=seconds)
    res.steps["note"] = _reasons(cov, chk, w, rows) if len(rows) else []
    # a proven upper bound of the score: the solver's dual bound, never above what all allowed projects cover together
    # (the bound used when the solver stopped before proving any, so the gap is never a misleading 0 %)
    reach = coverage_value(cov, np.flatnonzero(chk.allowed), w)
    bound = res.objective if status == "optimal" else (min(bound, reach) if math.isfinite(bound) else reach)
    res.bound = bound
    if res.objective > 0:
        res.gap = max((bound - res.objective) / res.objective, 0.0)
    else:
        res.gap = math.inf if bound > 0 else 0.0
    res.cost_status = cost_status
    res.cost_bound = cost_bound if math.isfinite(cost_bound) else float("nan")
    return res


def cumulative_curve(p: Portfolio) -> pd.DataFrame:
    """Households covered (all and poor) against cumulative cost, starting at (0, 0)."""
    head = pd.DataFrame({"cumulative_cost": [0.0], "total_households": [0.0], "total_poor_households": [0.0]})
    if p.steps.empty:
        return head
    return pd.concat([head, p.steps[["cumulative_cost", "total_households", "total_poor_households"]]], ignore_index=True)
