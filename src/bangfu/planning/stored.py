"""Catchment counts stored beside a workspace (:mod:`bangfu.workspace.derived`): the coverage table of every candidate
project at the default service distances, straight line and along roads, without household rows.

:func:`bangfu.planning.coverage.build_coverage` turns 3 million household points into a projects × households
matrix. Households covered by exactly the same projects are interchangeable for ranking and for both portfolio
methods, so the stored table keeps one *group* per set of projects (with the five measures summed over its
households) and the pairs (project, group): the same ranking, the same greedy steps and the same optimum as the
matrix of the households themselves, in a few MB, without any household id or location. Households no project
reaches are left out (they count for nothing).

Parts of a stored table: ``projects`` (the coverage's project table), ``pairs`` (``project``, ``group``: row
positions) and ``groups`` (one column per measure).

The exact portfolio of the whole workspace at the planning page's default options (approved projects in, the
default budget, weights and distances, straight line) is stored too (:func:`portfolio_straight`: the chosen project
ids and what the solver proved, keyed by :func:`bangfu.planning.run.plan_key`): the page opens on it instead of two
HiGHS solves over 5,200 binaries at every visit; any other option solves as before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bangfu.planning import coverage as cov_mod
from bangfu.planning.project_types import default_distances
from bangfu.planning.solvers import Constraints, Coverage, Portfolio, exact_portfolio, unit_groups

__all__ = ["catchments_straight", "catchments_network", "merged", "to_parts", "from_parts", "subset",
           "STORED_TABLE", "PORTFOLIO_TABLE", "STORED_TIME_LIMIT", "portfolio_straight", "portfolio_parts",
           "stored_exact"]

Reader = Callable[[str], pd.DataFrame]
Parts = dict[str, pd.DataFrame]

#: The stored table of each catchment kind (:data:`bangfu.planning.coverage.CATCHMENTS`).
STORED_TABLE: dict[str, str] = {"straight": "catchments_straight", "network": "catchments_network"}
#: The stored exact portfolio at the default options (:func:`portfolio_straight`).
PORTFOLIO_TABLE = "portfolio_straight"
#: Time limit of the stored portfolio's solve (it runs once per content, in ``python -m bangfu derive``).
STORED_TIME_LIMIT = 600.0


def merged(cov: Coverage) -> Coverage:
    """``cov`` with its units merged into groups covered by the same projects (measures summed; units no project
    covers dropped): every sum over covered units — ranking, greedy, exact — is unchanged."""
    keep, group, reps = unit_groups(cov.matrix)
    units = {k: np.asarray(np.bincount(group, weights=np.asarray(v, dtype="float64")[keep], minlength=len(reps)),
                           dtype=np.float64) for k, v in cov.units.items()}
    csc = sp.csc_matrix(cov.matrix, dtype=np.float64)
    csc.sum_duplicates()
    matrix = sp.csr_matrix(csc[:, reps]) if len(reps) else sp.csr_matrix((cov.n_projects, 0))
    matrix.data[:] = 1.0
    return Coverage(matrix, units, cov.projects, cov.method, cov.notes)


def to_parts(cov: Coverage) -> Parts:
    """The stored parts of a coverage table (merged first)."""
    m = merged(cov)
    coo = m.matrix.tocoo()
    return {
        "projects": m.projects.reset_index(drop=True),
        "pairs": pd.DataFrame({"project": coo.row.astype(np.int32), "group": coo.col.astype(np.int32)}),
        "groups": pd.DataFrame({k: np.asarray(v, dtype="float64") for k, v in m.units.items()}),
        "about": pd.DataFrame({"method": [m.method], "notes": [",".join(m.notes)]}),
    }


def from_parts(parts: Parts) -> Coverage:
    """The coverage table of stored ``parts``."""
    projects = parts["projects"]
    groups = parts["groups"]
    pairs = parts["pairs"]
    matrix = sp.csr_matrix((np.ones(len(pairs)), (pairs["project"].to_numpy(np.int64), pairs["group"].to_numpy(np.int64))),
                           shape=(len(projects), len(groups)))
    about = parts["about"].iloc[0]
    notes = tuple(n for n in str(about["notes"]).split(",") if n)
    units = {str(c): groups[c].to_numpy(dtype="float64") for c in groups.columns}
    return Coverage(matrix, units, projects.reset_index(drop=True), str(about["method"]), notes)


def subset(cov: Coverage, project_ids: Sequence[str]) -> Coverage:
    """The rows of ``cov`` of the candidate projects ``project_ids`` (in the stored order)."""
    wanted = set(map(str, project_ids))
    rows = np.flatnonzero(cov.projects["project_id"].astype(str).isin(wanted).to_numpy())
    return Coverage(cov.matrix[rows], cov.units, cov.projects.iloc[rows].reset_index(drop=True), cov.method, cov.notes)


def _catchments(read: Reader, catchment: str) -> Parts:
    network = None
    if catchment == "network":
        from bangfu.geo.crs import metric_crs
        from bangfu.geo.network import build_network

        villages = read("villages")  # the network the roads page builds (bangfu.indicators.network.network_data)
        network = build_network(read("roads"), crs=metric_crs(villages if not villages.empty else read("roads")))
    cov = cov_mod.build_coverage(read("projects"), read("villages"), read("households"), read("roads"),
                                 distances=default_distances(), catchment=catchment, network=network)
    return to_parts(cov)


def catchments_straight(read: Reader) -> Parts:
    """Every candidate project's households (groups) within its type's default distance, straight line."""
    return _catchments(read, "straight")


def catchments_network(read: Reader) -> Parts:
    """Every candidate project's households (groups) within its type's default distance along roads."""
    return _catchments(read, "network")


def portfolio_parts(p: Portfolio, cov: Coverage, key: str) -> Parts:
    """The stored parts of exact portfolio ``p`` (of coverage ``cov``) solved at the options of ``key``
    (:func:`bangfu.planning.run.plan_key`): the chosen project ids and what the solver proved."""
    ids = cov.projects["project_id"].astype(str).to_numpy()[np.asarray(p.chosen, dtype=np.int64)]
    about = {"key": key, "status": p.status, "bound": p.bound, "cost_status": p.cost_status,
             "cost_bound": p.cost_bound, "seconds": p.seconds, "objective": p.objective, "cost": p.cost,
             "projects": cov.n_projects}
    return {"chosen": pd.DataFrame({"project_id": pd.Series(ids, dtype=str)}), "about": pd.DataFrame([about])}


def stored_exact(parts: Mapping[str, pd.DataFrame] | None, cov: Coverage, weights: Mapping[str, float],
                 constraints: Constraints, key: str) -> Portfolio | None:
    """The stored exact portfolio as :func:`bangfu.planning.solvers.solve_exact` would report it on ``cov``, when it
    was solved at the options ``key`` on the same candidate projects and gives the stored score on ``cov``; else
    None (solve)."""
    if not parts or "about" not in parts or parts["about"].empty:
        return None
    about = parts["about"].iloc[0]
    if str(about["key"]) != key or int(about["projects"]) != cov.n_projects:
        return None
    ids = parts["chosen"]["project_id"].astype(str).tolist()
    if not set(ids) <= set(cov.projects["project_id"].astype(str)):
        return None
    res = exact_portfolio(cov, weights, constraints, cov.index_of(ids), status=str(about["status"]),
                          bound=float(about["bound"]), cost_status=str(about["cost_status"]),
                          cost_bound=float(about["cost_bound"]), seconds=float(about["seconds"]))
    if abs(res.objective - float(about["objective"])) > 1e-6 * max(1.0, abs(res.objective)):
        return None  # not the coverage it was solved on
    res.extra = {"stored": 1.0}
    return res


def portfolio_straight(read: Reader) -> Parts:
    """The exact portfolio of the whole workspace at the planning page's default options
    (:func:`bangfu.planning.run.default_options`: the approved projects in, a budget that fits them, the default
    weights and service distances, straight line), on the stored catchment groups, solved to the optimum (within
    :data:`STORED_TIME_LIMIT`; what was proven is stored with it)."""
    from bangfu.planning import run as plan_run
    from bangfu.workspace.derived import PREFIX

    cov = from_parts(read(PREFIX + STORED_TABLE["straight"]))  # a stored table: its parts
    projects, villages = read("projects"), read("villages")
    opts = plan_run.default_options(projects, villages)
    res = plan_run.run({"projects": projects, "villages": villages},
                       dataclasses.replace(opts, time_limit=STORED_TIME_LIMIT), coverage=cov)
    return portfolio_parts(res.exact, res.coverage, plan_run.plan_key(opts))
