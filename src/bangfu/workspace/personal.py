"""Personal (household-level) data: the one guarded reader of personal layers, town scope and shown counts.

The ``households`` layer (and any layer marked ``personal`` in :mod:`bangfu.workspace.schema`) holds ids,
poverty status and cause, labour capacity and GPS points of single households. It is read only here:

* :func:`read_personal` / :func:`read_households` — the rows themselves, for roles with ``view_households``
  (admin, county planner; a town planner gets only the rows lying in their own towns, by the one area rule
  of :mod:`bangfu.workspace.areas`). A viewer or a visitor who is not signed in gets :class:`AccessDenied`.
* :func:`read_for_aggregates` — the rows without their ids, for every role that may ``view``, to compute
  aggregates on the server (access shares, households reached, households a project serves). What such a
  computation returns to a page, a file or the briefing must be an aggregate, passed through
  :func:`shown_counts`: for a role without household access (and for a town planner outside their towns)
  counts of 1–4 households are replaced by ``"<5"`` and shares over fewer than 5 households are hidden.

Nothing here caches: the app keeps personal data per session only (:mod:`bangfu.ui.cache`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from bangfu.workspace import areas, store
from bangfu.workspace.access import SMALL_CELL, SUPPRESSED, AccessDenied, Principal, can, require
from bangfu.workspace.schema import LAYERS, get_layer

__all__ = [
    "PERSONAL_LAYERS", "is_personal", "require_rows", "scope_rows", "read_personal", "read_households",
    "require_aggregates", "read_for_aggregates", "without_ids", "shown_counts", "visible_layers",
]

#: The layers holding data of single households (``personal`` in the schema).
PERSONAL_LAYERS: tuple[str, ...] = tuple(n for n, lay in LAYERS.items() if lay.personal)


def is_personal(name: str) -> bool:
    """Whether layer ``name`` holds household-level data."""
    return get_layer(name).personal


def require_rows(user: Principal | None, name: str) -> None:
    """Refuse (:class:`AccessDenied`) unless ``user`` may see rows of personal layer ``name``."""
    require(user, "view_households", what=get_layer(name).zh)


def scope_rows(name: str, frame: pd.DataFrame, user: Principal | None, villages: pd.DataFrame) -> pd.DataFrame:
    """The rows of personal layer ``name`` that ``user`` may see: all for a county-wide role, those lying in
    the user's towns for a town planner (:func:`bangfu.workspace.areas.row_villages`: where a point lies;
    outside every village, its recorded village). Refuses roles without household access."""
    require_rows(user, name)
    assert user is not None
    if not user.role_spec.town_scoped:
        return frame
    towns = set(user.towns)
    if frame.empty or not towns:
        return frame.iloc[0:0]
    where = areas.row_villages(name, frame, villages)
    town = np.array([None if c is None else str(c)[:9] for c in where], dtype=object)
    return frame[np.isin(town, list(towns))]


def read_personal(path: Path | str, name: str, user: Principal | None, *,
                  villages: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of personal layer ``name`` as ``user`` may see them (:func:`scope_rows`); ``villages`` (the
    workspace's villages layer) saves a read when the caller has it."""
    require_rows(user, name)
    frame = store.read_layer(path, name)
    if user is not None and user.role_spec.town_scoped:
        frame = scope_rows(name, frame, user, villages if villages is not None else store.read_layer(path, "villages"))
    return frame


def read_households(path: Path | str, user: Principal | None, *,
                    villages: pd.DataFrame | None = None) -> pd.DataFrame:
    """The household rows ``user`` may see (admin and county planner: all; town planner: their towns';
    viewer and anonymous: :class:`AccessDenied`)."""
    return read_personal(path, "households", user, villages=villages)


def without_ids(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the key column of personal layer ``name`` (what aggregates need: no household id)."""
    key = get_layer(name).key
    return frame.drop(columns=[key], errors="ignore")


def require_aggregates(user: Principal | None, name: str) -> None:
    """Refuse (:class:`AccessDenied`) unless ``user`` may see aggregates of personal layer ``name`` (``view``)."""
    require(user, "view", what=get_layer(name).zh)


def read_for_aggregates(path: Path | str, name: str, user: Principal | None) -> pd.DataFrame:
    """Every row of personal layer ``name`` without its ids, for server-side aggregates; any role that may
    ``view``. The caller returns only aggregates, through :func:`shown_counts`."""
    require_aggregates(user, name)
    return without_ids(name, store.read_layer(path, name))


def _row_towns(table: pd.DataFrame, town_column: str | None) -> pd.Series | None:
    if town_column is None or town_column not in table.columns:
        return None
    return table[town_column].map(lambda c: "" if c is None or (isinstance(c, float) and np.isnan(c)) else str(c))


def shown_counts(table: pd.DataFrame, user: Principal | None, counts: Iterable[str], *,
                 shares: Mapping[str, str] | None = None, town_column: str | None = "town_code",
                 threshold: int = SMALL_CELL) -> pd.DataFrame:
    """``table`` (counts of households per row: a town, a village, a site, a project) as ``user`` may see it.

    Where ``user`` may not see household rows — a viewer everywhere, a town planner in rows whose
    ``town_column`` (a 9-digit town or 12-digit village code; ``""`` for a county row) is not one of their
    towns — every count in ``counts`` between 0 and ``threshold`` (exclusive) becomes ``"<5"``, and every share
    column of ``shares`` (share column → its denominator count column) over fewer than ``threshold``
    households becomes ``"<5"`` too. Other cells are unchanged; admins and county planners get ``table`` itself.
    """
    if user is not None and can(user, "view_households") and not user.role_spec.town_scoped:
        return table
    towns = _row_towns(table, town_column)
    if towns is None:
        hidden = pd.Series(not can(user, "view_households") or (user is not None and user.role_spec.town_scoped),
                           index=table.index)
    else:
        hidden = ~towns.map(lambda c: bool(c) and can(user, "view_households", town_code=c))
    out = table.copy()
    for col in counts:
        if col not in out.columns:
            continue
        values = pd.to_numeric(out[col], errors="coerce")
        small = hidden & (values > 0) & (values < threshold)
        if small.any():
            out[col] = out[col].astype(object).where(~small, SUPPRESSED)
    for col, denominator in (shares or {}).items():
        if col not in out.columns or denominator not in table.columns:
            continue
        den = pd.to_numeric(table[denominator], errors="coerce")
        small = hidden & (den > 0) & (den < threshold)
        if small.any():
            out[col] = out[col].astype(object).where(~small, SUPPRESSED)
    return out


def visible_layers(user: Principal | None, names: Iterable[str], *, permission: str = "view_households") -> list[str]:
    """``names`` without the personal layers ``user`` lacks ``permission`` for (e.g. ``export_households``)."""
    return [n for n in names if not is_personal(n) or can(user, permission)]


def refuse_personal(user: Principal | None, names: Iterable[str], *, permission: str) -> None:
    """Raise :class:`AccessDenied` if ``names`` holds a personal layer ``user`` lacks ``permission`` for."""
    for n in names:
        if is_personal(n):
            require(user, permission, what=get_layer(n).zh)


def loader(path: Path | str, user: Principal | None, *, aggregates: bool = False) -> Callable[[str], pd.DataFrame]:
    """A layer loader (name → frame, read once) of workspace ``path`` as ``user``: public layers as stored,
    personal layers by :func:`read_personal` (rows) or, with ``aggregates``, :func:`read_for_aggregates`."""
    cache: dict[str, pd.DataFrame] = {}

    def load(name: str) -> pd.DataFrame:
        if name not in cache:
            if not is_personal(name):
                cache[name] = store.read_layer(path, name)
            elif aggregates:
                cache[name] = read_for_aggregates(path, name, user)
            else:
                cache[name] = read_personal(path, name, user, villages=load("villages"))
        return cache[name]

    return load


__all__ += ["refuse_personal", "loader", "AccessDenied"]
