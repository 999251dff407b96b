"""Planning maths on coverage tables: exact = brute force, greedy bound, merging, constraints, bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

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
