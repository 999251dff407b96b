"""How far a workspace is: each layer's rows and problems, the next layer to import, what a page is missing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bangfu.core import formats
from bangfu.workspace import store
from bangfu.workspace.schema import LAYERS
from bangfu.workspace.validate import Report, problems_for

#: The natural order a new office imports its layers in: each later layer is checked against the earlier ones
#: (households, roads, sites and projects name a village; pairings name an enterprise and a village).
IMPORT_ORDER: tuple[str, ...] = (
    "villages", "households", "roads", "tourism_sites", "enterprises", "pairings", "projects",
)


@dataclass(frozen=True)
class LayerStatus:
    """One layer of :data:`IMPORT_ORDER` in a workspace: its rows and the problems validation finds in it."""

    layer: str
    rows: int
    errors: int = 0
    warnings: int = 0

    @property
    def imported(self) -> bool:
        return self.rows > 0


def layer_counts(path: Path | str, names: Iterable[str] = IMPORT_ORDER) -> dict[str, int]:
    """Rows per layer of the workspace (0 for a layer that is absent or empty); reads counts only."""
    return store.count_rows(path, tuple(names))


def workspace_status(counts: Mapping[str, int], report: Report | None = None) -> tuple[LayerStatus, ...]:
    """The status of every layer of :data:`IMPORT_ORDER`, in that order, from its row count and (optionally) the
    validation report of the whole workspace."""
    out = []
    for name in IMPORT_ORDER:
        found = problems_for(report, layer=name) if report is not None else []
        errors = sum(p.severity == "error" for p in found)
        out.append(LayerStatus(name, int(counts.get(name, 0)), errors, len(found) - errors))
    return tuple(out)


def next_step(statuses: Iterable[LayerStatus]) -> str | None:
    """The first layer of the import order that is not imported yet (None: every layer has rows)."""
    return next((s.layer for s in statuses if not s.imported), None)


def is_complete(statuses: Iterable[LayerStatus]) -> bool:
    """Whether every layer of the import order has rows."""
    return next_step(statuses) is None


def missing(counts: Mapping[str, int], needed: Iterable[str]) -> tuple[str, ...]:
    """The layers of ``needed`` without rows, in import order (unknown names last, as given)."""
    empty = [n for n in needed if int(counts.get(n, 0)) == 0]
    rank = {n: i for i, n in enumerate(IMPORT_ORDER)}
    return tuple(sorted(empty, key=lambda n: rank.get(n, len(rank))))


def status_frame(statuses: Iterable[LayerStatus], lang: str = "zh", *, headers: Mapping[str, str],
                 yes_no: tuple[str, str]) -> pd.DataFrame:
    """The status as a table for the getting-started page: layer (in ``lang``), imported, rows, errors,
    warnings (counts with thousands separators, :func:`bangfu.core.formats.count`); ``headers``: column key → header
    text; ``yes_no``: the labels of imported / not imported."""
    rows = [{
        headers["layer"]: LAYERS[s.layer].zh if lang == "zh" else LAYERS[s.layer].en,
        headers["imported"]: yes_no[0] if s.imported else yes_no[1],
        headers["rows"]: formats.count(s.rows),  # as every table reads: 100,000
        headers["errors"]: formats.count(s.errors),
        headers["warnings"]: formats.count(s.warnings),
    } for s in statuses]
    return pd.DataFrame(rows, columns=[headers[k] for k in ("layer", "imported", "rows", "errors", "warnings")])
