"""Planning maths on coverage tables: exact = brute force, greedy bound, merging, constraints, bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings, strategies as st

from bangfu.planning import solvers as pl

W = {"poor": 3.0, "old": 2.0, "key": 1.0, "all": 1.0}


def make_cov(rng: np.random.Generator, n_p: int, n_u: int, *, unit_cost: bool = False, towns: int = 2, density: float = 0.3) -> pl.Coverage:
    m = sp.random(n_p, n_u, density=density, format="csr", random_state=rng, data_rvs=lambda k: np.ones(k))
    m.data[:] = 1.0
    units = {
        "households": np.ones(n_u),
        "poor_households": (rng.random(n_u) < 0.3).astype(float),
        "old_households": (rng.random(n_u) < 0.2).astype(float),
        "key_households": (rng.random(n_u) < 0.1).astype(float),
    }
    units["poor_people"] = units["poor_households"] * rng.integers(1, 6, n_u)
    projects = pd.DataFrame(
        {
            "project_id": [f"P{i:02d}" for i in range(n_p)],
            "name": [f"项目{i}" for i in range(n_p)],
            "project_type": "drinking_water",
            "town_code": [f"44078310{i % towns}" for i in range(n_p)],
            "town_name": [f"镇{i % towns}" for i in range(n_p)],
            "village_name": "村",
            "cost_wan": np.ones(n_p) if unit_cost else rng.integers(1, 20, n_p).astype(float),
        }
    )
    return pl.Coverage(m, units, projects)


def brute_force(cov: pl.Coverage, c: pl.Constraints, w) -> float:
    wu = cov.unit_weights(w)
    cost = cov.projects["cost_wan"].to_numpy()
    town = cov.projects["town_code"].to_numpy()
    ids = list(cov.projects["project_id"])
    best = -1.0
    for r in range(cov.n_projects + 1):
        for sub in itertools.combinations(range(cov.n_projects), r):
            if cost[list(sub)].sum() > c.budget + 1e-9:
                continue
            names = {ids[i] for i in sub}
            if not set(c.must_in) <= names or names & set(c.excluded):
                continue
            if c.min_per_town and any(sum(town[i] == t for i in sub) < c.min_per_town for t in set(town)):
                continue
            best = max(best, pl.coverage_value(cov, list(sub), wu))
    return best


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_p=st.integers(1, 10), budget=st.integers(1, 60), k=st.integers(0, 2))
def test_exact_equals_brute_force(seed, n_p, budget, k):
    rng = np.random.default_rng(seed)
    cov = make_cov(rng, n_p, 40)
    ids = list(cov.projects["project_id"])
    must = tuple(ids[:1]) if seed % 3 == 0 else ()
    excl = tuple(ids[-1:]) if seed % 4 == 0 and n_p > 1 else ()
    c = pl.Constraints(budget=budget, must_in=must, excluded=excl, min_per_town=k)
    truth = brute_force(cov, c, W)
    if truth < 0:
        with pytest.raises(pl.PlanningError):
            pl.solve_exact(cov, W, c)
        with pytest.raises(pl.PlanningError):
            pl.greedy(cov, W, c)
        return
    ex = pl.solve_exact(cov, W, c)
    assert ex.objective == pytest.approx(truth, abs=1e-6)
    assert ex.status == "optimal"
    gr = pl.greedy(cov, W, c)
    for res in (ex, gr):
        chosen = set(cov.projects["project_id"].iloc[res.chosen])
        assert res.cost <= budget + 1e-9
        assert set(must) <= chosen and not (chosen & set(excl))
        if k:
            towns = cov.projects["town_code"].iloc[res.chosen].value_counts()
            assert all(towns.get(t, 0) >= k for t in set(cov.projects["town_code"]))
    assert gr.objective <= ex.objective + 1e-6


def test_exact_equals_brute_force_12_projects():
    rng = np.random.default_rng(7)
    cov = make_cov(rng, 12, 200, density=0.15)
    c = pl.Constraints(budget=40)
    assert pl.solve_exact(cov, W, c).objective == pytest.approx(brute_force(cov, c, W))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n_p=st.integers(2, 10), p=st.integers(1, 5))
def test_greedy_within_1_minus_1_over_e_with_unit_costs(seed, n_p, p):
    cov = make_cov(np.random.default_rng(seed), n_p, 60, unit_cost=True, density=0.2)
    c = pl.Constraints(budget=p)
    ex = pl.solve_exact(cov, W, c)
    gr = pl.greedy(cov, W, c)
    assert gr.objective >= (1 - 1 / math.e) * ex.objective - 1e-9
    assert len(gr.chosen) <= p


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_merging_identical_households_keeps_the_optimum(seed):
    rng = np.random.default_rng(seed)
    cov = make_cov(rng, 6, 15)
    # duplicate every household (same covering set) and compare against doubled weights
    dup = pl.Coverage(sp.hstack([cov.matrix, cov.matrix]).tocsr(), {k: np.concatenate([v, v]) for k, v in cov.units.items()}, cov.projects)
    c = pl.Constraints(budget=25)
    a = pl.solve_exact(cov, W, c).objective
    b = pl.solve_exact(dup, W, c).objective
    assert b == pytest.approx(2 * a)
    groups, gw = pl.merge_units(dup.matrix, dup.unit_weights(W))
    assert groups.shape[1] <= cov.n_units
    assert gw.sum() == pytest.approx(dup.unit_weights(W)[np.asarray(dup.matrix.sum(axis=0)).ravel() > 0].sum())


def test_ranking_and_steps():
    cov = make_cov(np.random.default_rng(1), 5, 50)
    r = pl.ranking(cov, W)
    assert list(r["rank"]) == [1, 2, 3, 4, 5]
    assert r["score"].is_monotonic_decreasing
    counts = pl.standalone_counts(cov)
    row = r.iloc[0]
    i = list(cov.projects["project_id"]).index(row["project_id"])
    assert row["households"] == counts["households"].iloc[i]
    g = pl.greedy(cov, W, pl.Constraints(budget=30))
    assert g.steps["total_score"].iloc[-1] == pytest.approx(g.objective)
    assert (g.steps["gain_score"] >= 0).all()
    assert g.steps["cumulative_cost"].is_monotonic_increasing


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(budget=0), "预算"),
        (dict(budget=-5), "预算"),
        (dict(must_in=("NOPE",)), "不存在"),
        (dict(must_in=("P00",), excluded=("P00",)), "既必选又排除"),
        (dict(min_per_town=9), "公平性"),
        (dict(budget=1, min_per_town=2), "公平性"),
    ],
)
def test_bad_constraints_give_chinese_messages(change, match):
    cov = make_cov(np.random.default_rng(2), 6, 30)
    c = pl.Constraints(**{"budget": 50, **change})
    for fn in (pl.greedy, pl.solve_exact):
        with pytest.raises(pl.PlanningError, match=match):
            fn(cov, W, c)


def test_bad_weights_and_costs():
    with pytest.raises(pl.PlanningError, match="全部为 0"):
        pl.parse_weights("poor=0,all=0")
    with pytest.raises(pl.PlanningError, match="写法有误"):
        pl.parse_weights("rich=3")
    with pytest.raises(pl.PlanningError, match="负数"):
        pl.parse_weights("poor=-1,all=1")
    assert pl.parse_weights("poor=3,old=2,all=1") == {"poor": 3.0, "old": 2.0, "key": 0.0, "all": 1.0}
    cov = make_cov(np.random.default_rng(3), 4, 10)
    cov.projects.loc[1, "cost_wan"] = np.nan
    cov.projects.loc[2, "cost_wan"] = -3
    with pytest.raises(pl.PlanningError, match="P01、P02"):
        pl.greedy(cov, W, pl.Constraints(budget=10))


def test_empty_catchments_do_not_crash():
    cov = make_cov(np.random.default_rng(4), 3, 0)
    assert pl.greedy(cov, W, pl.Constraints(budget=10)).objective == 0
    assert pl.solve_exact(cov, W, pl.Constraints(budget=10)).objective == 0
    assert (pl.ranking(cov, W)["score"] == 0).all()


# --------------------------------------------------------------------------- cheapest optimum, nothing idle


def tie_cov(draw_seed: int, n_p: int, n_u: int, towns: int) -> pl.Coverage:
    """Few households, weights 0–2 and costs 1–4: many portfolios share the optimal score."""
    rng = np.random.default_rng(draw_seed)
    m = sp.csr_matrix((rng.random((n_p, n_u)) < 0.35).astype(float))
    units = {
        "households": np.ones(n_u),
        "poor_households": (rng.random(n_u) < 0.4).astype(float),
        "old_households": (rng.random(n_u) < 0.3).astype(float),
        "key_households": np.zeros(n_u),
    }
    units["poor_people"] = units["poor_households"] * 2
    projects = pd.DataFrame(
        {
            "project_id": [f"P{i:02d}" for i in range(n_p)],
            "town_code": [f"T{i % towns}" for i in range(n_p)],
            "town_name": [f"镇{i % towns}" for i in range(n_p)],
            "cost_wan": rng.integers(1, 5, n_p).astype(float),
        }
    )
    return pl.Coverage(m, units, projects)


def all_subsets(cov: pl.Coverage, c: pl.Constraints, w) -> list[tuple[float, float, tuple[int, ...]]]:
    """(score, cost, subset) of every subset that meets the constraints (the brute-force oracle)."""
    wu = cov.unit_weights(w)
    cost = cov.projects["cost_wan"].to_numpy()
    town = cov.projects["town_code"].to_numpy()
    ids = list(cov.projects["project_id"])
    out = []
    for r in range(cov.n_projects + 1):
        for sub in itertools.combinations(range(cov.n_projects), r):
            names = {ids[i] for i in sub}
            if cost[list(sub)].sum() > c.budget or not set(c.must_in) <= names or names & set(c.excluded):
                continue
            if c.min_per_town and any(sum(town[i] == t for i in sub) < c.min_per_town for t in set(town)):
                continue
            out.append((pl.coverage_value(cov, list(sub), wu), float(cost[list(sub)].sum()), sub))
    return out


def loo_gain(cov: pl.Coverage, chosen: list[int], p: int, wu) -> float:
    """Independent leave-one-out gain: value of the set minus value without p."""
    return pl.coverage_value(cov, chosen, wu) - pl.coverage_value(cov, [q for q in chosen if q != p], wu)


@settings(max_examples=120, deadline=None)
@given(
    seed=st.integers(0, 100_000), n_p=st.integers(1, 9), n_u=st.integers(1, 12), towns=st.integers(1, 3),
    budget=st.integers(1, 20), k=st.integers(0, 2), n_must=st.integers(0, 2), n_excl=st.integers(0, 2),
    w_poor=st.integers(0, 2), w_old=st.integers(0, 2), w_all=st.integers(0, 1), half=st.booleans(),
)
def test_exact_is_the_cheapest_optimum_without_idle_projects(seed, n_p, n_u, towns, budget, k, n_must, n_excl, w_poor, w_old, w_all, half):
    cov = tie_cov(seed, n_p, n_u, towns)
    w = {"poor": w_poor + 0.5 * half, "old": w_old, "key": 0, "all": w_all}
    if not any(w.values()):
        w["all"] = 1
    ids = list(cov.projects["project_id"])
    must = tuple(ids[:n_must])
    excl = tuple(ids[n_must : n_must + n_excl])
    c = pl.Constraints(budget=budget, must_in=must, excluded=excl, min_per_town=k)
    feasible = all_subsets(cov, c, w)
    if not feasible:
        with pytest.raises(pl.PlanningError):
            pl.solve_exact(cov, w, c)
        return
    best = max(s for s, _, _ in feasible)
    cheapest = min(cost for s, cost, _ in feasible if s == best)
    ex = pl.solve_exact(cov, w, c)
    assert ex.status == "optimal" and ex.cost_status == "minimal"
    assert ex.objective == pytest.approx(best, abs=1e-9)
    assert ex.cost == pytest.approx(cheapest, abs=1e-9)
    # no chosen project adds nothing unless it is must-in or its town needs it for k
    wu = cov.unit_weights(w)
    chosen = ex.chosen.tolist()
    per_town = cov.projects["town_code"].iloc[chosen].value_counts()
    notes = dict(zip(ex.steps["project_id"], ex.steps["note"])) if len(ex.steps) else {}
    for p in chosen:
        pid = ids[p]
        if loo_gain(cov, chosen, p, wu) > 0:
            assert notes[pid] == ""
        elif pid in must:
            assert notes[pid] == "must_in"
        else:
            assert notes[pid] == "fairness" and per_town[cov.projects["town_code"].iloc[p]] == k


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 100_000), n_p=st.integers(2, 9), budget=st.integers(1, 20), n_must=st.integers(0, 2))
def test_greedy_single_start_uses_the_budget_left_after_must_in(seed, n_p, budget, n_must):
    cov = tie_cov(seed, n_p, 10, 2)
    ids = list(cov.projects["project_id"])
    cost = cov.projects["cost_wan"].to_numpy()
    must = tuple(ids[:n_must])
    if cost[:n_must].sum() > budget:
        return
    gr = pl.greedy(cov, W, pl.Constraints(budget=budget, must_in=must))
    assert gr.cost <= budget
    left = budget - cost[:n_must].sum()
    wu = cov.unit_weights(W)
    # the best single project that fits what is left is at least matched (it is one of the starts)
    for p in range(n_must, n_p):
        if cost[p] <= left:
            assert gr.objective >= pl.coverage_value(cov, list(range(n_must)) + [p], wu) - 1e-9


def blocks_cov(sizes: list[int], costs: list[float]) -> pl.Coverage:
    """Project i covers its own block of ``sizes[i]`` households (no overlap): value = Σ sizes."""
    n_u = sum(sizes)
    m = np.zeros((len(sizes), n_u))
    for i, start in enumerate(np.cumsum([0] + sizes[:-1])):
        m[i, start : start + sizes[i]] = 1
    zero = np.zeros(n_u)
    units = {"households": np.ones(n_u), **{k: zero for k in ("poor_households", "poor_people", "old_households", "key_households")}}
    ids = [f"P{i}" for i in range(len(sizes))]
    return pl.Coverage(sp.csr_matrix(m), units, pd.DataFrame({"project_id": ids, "town_code": "T", "cost_wan": costs}))


@st.composite
def start_family(draw):
    """Must-in M leaves ``left``; B (largest gain) fits the whole budget but not what is left; Q
    (cost = left) is the best single start that fits; plain greedy prefers decoy D (better ratio,
    smaller gain) and then Q no longer fits."""
    must_cost = draw(st.integers(1, 8))
    left = draw(st.integers(2, 8))
    over = draw(st.integers(1, must_cost))
    decoy_cost = draw(st.integers(1, left - 1))
    decoy = draw(st.integers(1, 10))
    # mid > decoy, and decoy / decoy_cost > mid / left  ⇔  mid < decoy · left / decoy_cost
    top = math.ceil(decoy * left / decoy_cost) - 1
    assume(top > decoy)
    mid = draw(st.integers(decoy + 1, top))
    big = draw(st.integers(mid + 1, mid + 20))
    return must_cost, left, over, big, mid, decoy_cost, decoy


@settings(max_examples=60, deadline=None)
@given(case=start_family())
def test_greedy_single_start_family(case):
    must_cost, left, over, big, mid, decoy_cost, decoy = case
    cov = blocks_cov([1, big, mid, decoy], [must_cost, left + over, left, decoy_cost])
    gr = pl.greedy(cov, {"all": 1}, pl.Constraints(budget=must_cost + left, must_in=("P0",)))
    assert gr.cost <= must_cost + left
    assert gr.objective >= 1 + mid
    assert sorted(gr.chosen.tolist()) == [0, 2]


def test_greedy_single_start_hand_made():
    # M (must-in) costs 6 of 10: P (gain 10, cost 5) fits the whole budget but not the 4 left;
    # Q (gain 5, cost 4) is the best single start that fits; plain greedy takes R (gain 2, cost 1) first.
    cov = blocks_cov([1, 10, 5, 2], [6.0, 5.0, 4.0, 1.0])
    gr = pl.greedy(cov, {"all": 1}, pl.Constraints(budget=10, must_in=("P0",)))
    assert sorted(gr.chosen.tolist()) == [0, 2]
    assert gr.objective == 6


def test_score_tolerance_follows_the_weight_step():
    assert pl.score_tolerance(np.array([0.0, 1.0, 3.0, 6.0]), 1e6) == 0.5
    assert pl.score_tolerance(np.array([0.5, 3.5]), 10) == 0.25
    assert pl.score_tolerance(np.array([1 / 3]), 1e6) == pytest.approx(1e-3)
    assert pl.score_tolerance(np.array([1 / 3]), 10) == 1e-6


def test_time_limited_exact_keeps_its_incumbent_and_says_cost_was_not_minimised():
    cov = make_cov(np.random.default_rng(7), 12, 200, density=0.15)
    c = pl.Constraints(budget=40)
    warm = pl.greedy(cov, W, c)
    res = pl.solve_exact(cov, W, c, time_limit=1e-9, warm_start=warm)
    assert res.status == "time_limit" and res.cost_status == "not_minimised"
    assert res.objective == pytest.approx(warm.objective)  # the incumbent (greedy start) is kept
    best = brute_force(cov, c, W)
    assert res.bound >= best - 1e-6  # a true upper bound, so the gap is honest (not 0 % when unproven)
    assert res.gap == pytest.approx((res.bound - res.objective) / res.objective)
    assert res.gap >= (best - res.objective) / res.objective - 1e-9
    wu = cov.unit_weights(W)
    assert all(loo_gain(cov, res.chosen.tolist(), p, wu) > 0 for p in res.chosen)


def _demo_layers(location=None):
    from conftest import DEMO
    from bangfu.workspace import store

    if not DEMO.exists():
        pytest.fail("geodata/kaiping_demo.gpkg is missing: run `python -m bangfu.demo build`")
    return store.read_workspace(location or DEMO, layers=("villages", "households", "roads", "projects"))


@pytest.mark.parametrize(
    "town, budget, score, cost, greedy_cost",
    [("赤水镇", 2000, 9987.0, 1246.4, 1286.4), (None, 8000, 47893.0, 6904.3, 6944.3)],
)
def test_demo_exact_portfolio_is_the_cheapest_with_the_same_score(town, budget, score, cost, greedy_cost,
                                                                   workspace_any):
    """Issue 11 item 5 as reported, with the page's / CLI's defaults: the exact plan used to spend
    1,827.7 (赤水镇, 2,000 万元) and 7,484.0 (county, 8,000 万元) for the same score. The same plan from the
    GeoPackage and from its PostGIS copy (``workspace_any``)."""
    from bangfu.planning import run as planning_run

    layers = _demo_layers(workspace_any)
    villages = layers["villages"]
    code = str(villages.loc[villages["town_name"] == town, "town_code"].iloc[0]) if town else None
    res = planning_run.run(layers, planning_run.PlanOptions(budget=budget, town_code=code))
    ex = res.exact
    assert ex.status == "optimal" and ex.cost_status == "minimal"
    assert ex.objective == pytest.approx(score)
    assert ex.cost == pytest.approx(cost, abs=0.05)
    assert res.greedy.objective == pytest.approx(score) and res.greedy.cost == pytest.approx(greedy_cost, abs=0.05)
    ids = set(res.coverage.projects["project_id"].iloc[ex.chosen])
    if town:
        assert not ids & {"J049", "J050", "J057", "J059"}
    wu = res.coverage.unit_weights(res.options.weights)
    must = set(planning_run.default_must_in(res.coverage.projects))
    for p in ex.chosen.tolist():
        assert loo_gain(res.coverage, ex.chosen.tolist(), p, wu) > 0 or res.coverage.projects["project_id"].iloc[p] in must


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_stored_exact_portfolio_reads_back_as_solved_and_only_for_its_options(seed):
    """A stored exact portfolio (bangfu.planning.stored: project ids + what was proven) reads back as the very
    portfolio solve_exact reported — steps, notes, totals, bound, statuses — and equals brute force; options with
    another key, or a coverage it was not solved on, get None (the page then solves)."""
    from bangfu.planning import stored

    cov = make_cov(np.random.default_rng(seed), 12, 150, density=0.2)
    c = pl.Constraints(budget=45, must_in=("P01",))
    ex = pl.solve_exact(cov, W, c)
    assert ex.objective == pytest.approx(brute_force(cov, c, W))
    parts = stored.portfolio_parts(ex, cov, "key-a")
    back = stored.stored_exact(parts, cov, W, c, "key-a")
    assert back is not None and back.extra == {"stored": 1.0}
    pd.testing.assert_frame_equal(back.steps, ex.steps)
    assert back.chosen.tolist() == ex.chosen.tolist()
    assert (back.objective, back.cost, back.totals) == (ex.objective, ex.cost, ex.totals)
    assert (back.status, back.cost_status, back.bound, back.gap) == (ex.status, ex.cost_status, ex.bound, ex.gap)
    assert stored.stored_exact(parts, cov, W, c, "key-b") is None
    other = make_cov(np.random.default_rng(seed + 1), 12, 150, density=0.2)
    assert stored.stored_exact(parts, other, W, c, "key-a") is None or \
        pl.coverage_value(other, back.chosen, other.unit_weights(W)) == pytest.approx(ex.objective)
    assert stored.stored_exact(parts, stored.subset(cov, ["P00", "P01"]), W, pl.Constraints(budget=45), "key-a") is None
