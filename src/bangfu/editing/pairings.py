"""Pairing edits: domain rules as ``check`` functions and add / end / edit / history wrappers over bangfu.editing.engine.

The generic engine (:mod:`bangfu.editing.engine`) already refuses schema violations (unknown pairing type,
negative funds, end date before start, bad dates) and unknown enterprises or villages, all in one
transaction with an optimistic version check. This module adds the rules that need the other
pairings (:data:`RULES`) and the four operations the 企业结对 page offers.

Domain rules (each a ``(old, new, others) -> [(field, message_zh)]`` function):

* committed funds may not be negative (also a schema rule, repeated here with a clearer message);
* the end date may not be before the start date;
* the same enterprise may not have two pairings with the same village whose periods overlap
  (``[start, end)``, an empty end date meaning open-ended) — i.e. no duplicate *active* pairing;
* a pairing's enterprise and village cannot be changed once it has history (end it and add a new
  one instead) — kept so that history and coverage figures stay traceable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping

import pandas as pd

from bangfu.editing import engine as edits
from bangfu.editing.engine import ConflictError, RejectedError
from bangfu.workspace import store
from bangfu.workspace.access import Principal
from bangfu.workspace.schema import PAIRINGS
from bangfu.workspace.validate import validate_layer

__all__ = [
    "RULES", "check_for", "add_pairing", "end_pairing", "edit_pairing", "pairing_history", "pairing_history_display",
    "ConflictError",
    "RejectedError", "NewPairing", "parse_date",
]

Row = Mapping[str, Any]
DomainRule = Callable[[Row | None, Row, pd.DataFrame], list[tuple[str, str]]]


def parse_date(v: Any) -> date | None:
    """A stored date (ISO text, possibly with a time) as a date; None when missing or not a date."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    try:
        return date.fromisoformat(str(v).strip()[:10])
    except ValueError:
        return None


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _rule_funds(old: Row | None, new: Row, others: pd.DataFrame) -> list[tuple[str, str]]:
    f = _num(new.get("committed_wan"))
    if f is not None and f < 0:
        return [("committed_wan", f"承诺资金不能为负数（{f:g} 万元）")]
    return []


def _rule_dates(old: Row | None, new: Row, others: pd.DataFrame) -> list[tuple[str, str]]:
    start, end = parse_date(new.get("start_date")), parse_date(new.get("end_date"))
    if start is not None and end is not None and end < start:
        return [("end_date", f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}")]
    return []


def _overlaps(a_start: date | None, a_end: date | None, b_start: date | None, b_end: date | None) -> bool:
    lo = date.min
    hi = date.max
    return (a_start or lo) < (b_end or hi) and (b_start or lo) < (a_end or hi)


def _rule_duplicate(old: Row | None, new: Row, others: pd.DataFrame) -> list[tuple[str, str]]:
    same = others[
        (others["enterprise_id"] == new.get("enterprise_id"))
        & (others["village_code"] == new.get("village_code"))
        & (others["pairing_id"] != new.get("pairing_id"))
    ]
    start, end = parse_date(new.get("start_date")), parse_date(new.get("end_date"))
    clash = [
        str(p.pairing_id)
        for p in same.itertuples(index=False)
        if _overlaps(start, end, parse_date(p.start_date), parse_date(p.end_date))
    ]
    if clash:
        return [("village_code", f"该企业与该村已有有效结对（{'、'.join(clash)}），不能重复结对；如需续签请先结束原结对")]
    return []


def _rule_fixed_parties(old: Row | None, new: Row, others: pd.DataFrame) -> list[tuple[str, str]]:
    if old is None:
        return []
    return [
        (f, "已有结对不能更换企业或村，请结束原结对后新增")
        for f in ("enterprise_id", "village_code")
        if str(old.get(f)) != str(new.get(f))
    ]


#: The pairing domain rules, in the order their messages are shown.
RULES: tuple[DomainRule, ...] = (_rule_funds, _rule_dates, _rule_duplicate, _rule_fixed_parties)


def _read_pairings(path: Path | str) -> pd.DataFrame:
    """The pairings as committed (read through a separate read-only connection).

    Called from inside an edit transaction, which holds the write lock (``BEGIN IMMEDIATE``): no
    other editor can commit meanwhile, so what this reads is exactly what the edit builds on.
    """
    cols = ["pairing_id", "enterprise_id", "village_code", "start_date", "end_date"]
    return pd.DataFrame(store.read_rows(path, "pairings", cols), columns=cols)


def _schema_fields(new: Row) -> set[str]:
    """Fields the schema validation of ``new`` already complains about."""
    frame = pd.DataFrame([{c: new.get(c) for c in PAIRINGS.column_names}])
    return {f for p in validate_layer("pairings", frame).errors if p.column for f in p.column.split(",")}


def check_for(path: Path | str) -> edits.RowCheck:
    """The ``check`` function for :mod:`bangfu.editing.engine`: every rule of :data:`RULES` against the
    workspace's other pairings, read when the check runs (inside the edit's transaction)."""

    def check(old: Row | None, new: Row) -> list[tuple[str, str]]:
        others = _read_pairings(path)
        said = _schema_fields(new)  # the engine already reports these; do not say it twice
        return [p for rule in RULES for p in rule(old, new, others) if p[0] not in said]

    return check


@dataclass(frozen=True)
class NewPairing:
    """What the add form collects."""

    enterprise_id: str
    village_code: str
    pairing_type: str
    start_date: date | str
    committed_wan: float
    poor_households_employed: int | None = None
    end_date: date | str | None = None

    def row(self) -> dict[str, Any]:
        iso = lambda d: d.isoformat() if isinstance(d, date) else d  # noqa: E731
        return {
            "enterprise_id": self.enterprise_id, "village_code": self.village_code,
            "pairing_type": self.pairing_type, "start_date": iso(self.start_date), "end_date": iso(self.end_date),
            "committed_wan": self.committed_wan, "poor_households_employed": self.poor_households_employed,
        }


def add_pairing(path: Path | str, pairing: NewPairing, *, user: Principal) -> str:
    """Add a pairing as ``user`` (version 1, ``create`` history, audited); returns its new ``pairing_id``.
    A town planner may add pairings only for villages of their towns."""
    return edits.insert_row(path, "pairings", pairing.row(), user=user, check=check_for(path))


def end_pairing(path: Path | str, pairing_id: str, end_date: date | str, *, expected_version: int,
                user: Principal) -> int:
    """Set a pairing's end date as ``user``; returns its new version."""
    iso = end_date.isoformat() if isinstance(end_date, date) else end_date
    return edit_pairing(path, pairing_id, {"end_date": iso}, expected_version=expected_version, user=user)


def edit_pairing(
    path: Path | str, pairing_id: str, changes: Mapping[str, Any], *, expected_version: int, user: Principal
) -> int:
    """Change a pairing's figures (type, dates, funds, poor households employed) as ``user``; returns the new
    version (:class:`bangfu.workspace.access.AccessDenied` outside the user's towns, nothing written)."""
    return edits.update_row(
        path, "pairings", pairing_id, dict(changes), expected_version=expected_version, user=user,
        check=check_for(path),
    )


def pairing_history(path: Path | str, pairing_id: str | None = None) -> pd.DataFrame:
    """Edit history of one pairing (or all), newest first; empty before the first edit."""
    return edits.history(path, "pairings", pairing_id)


def pairing_history_display(path: Path | str, pairing_id: str | None = None, *, lang: str = "zh") -> pd.DataFrame:
    """:func:`pairing_history` for display: field names, pairing types and actions as labels."""
    return edits.history_display(path, "pairings", pairing_id, lang=lang)
