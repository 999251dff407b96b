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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bangfu.planning import coverage as cov_mod
from bangfu.planning.project_types import default_distances
from bangfu.planning.solvers import Coverage, unit_groups

__all__ = ["catchments_straight", "catchments_network", "merged", "to_parts", "from_parts", "subset",
           "STORED_TABLE"]

Reader = Callable[[str], pd.DataFrame]
Parts = dict[str, pd.DataFrame]

#: The stored table of each catchment kind (:data:`bangfu.planning.coverage.CATCHMENTS`).
STORED_TABLE: dict[str, str] = {"straight": "catchments_straight", "network": "catchments_network"}


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
