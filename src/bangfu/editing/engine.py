"""Versioned row edits with an append-only history: one transaction per edit, no lost updates.

Which layers can be edited, which fields, and where their history goes is a declarative table
(:data:`EDITABLE`). Every edit:

1. runs inside :func:`bangfu.workspace.store.transaction` (``BEGIN IMMEDIATE``: editors queue, readers
   never see half an edit);
2. refuses an edit based on an old version (optimistic concurrency) with
   :class:`ConflictError`, which carries the newer values to show the user;
3. validates the new row against the schema (types, ranges, choices) and the caller's domain
   rules, refusing with :class:`RejectedError` (Chinese messages) and writing nothing;
4. writes the row, bumps its ``version`` and appends one history row per changed field.

Undo is itself an edit (action ``undo``) that restores the old values of the last edit exactly.

Every function takes the acting :class:`bangfu.workspace.access.Principal`: it needs the ``edit``
permission in the town of every row it touches (a town planner only in their own towns, judged by the
row's ``village_code`` before and after the change; a bulk update touching another town is refused
whole, naming the rows). The editor recorded in the history is that user (:func:`editor_name`), and the
audit row (:mod:`bangfu.workspace.audit`) is written in the same transaction as the change.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from bangfu.core.text import strip_controls
from bangfu.core import formats, vocab
from bangfu.core.errors import BangfuError
from bangfu.workspace import audit, display, store
from bangfu.workspace.access import AccessDenied, Principal, can, require
from bangfu.workspace.schema import Column, Layer, get_layer
from bangfu.workspace.validate import validate_layer

CHINA_TZ = formats.CHINA_TZ


@dataclass(frozen=True)
class EditSpec:
    """An editable layer: the fields users may change and the history table."""

    layer: str
    history: str
    fields: tuple[str, ...]
    town_column: str = "village_code"  # whose town decides who may edit the row (12-digit village code)


EDITABLE: dict[str, EditSpec] = {
    "roads": EditSpec(
        "roads", "road_progress", ("status", "progress_pct", "planned_year", "completed_year", "cost_wan", "surface")
    ),
    "pairings": EditSpec(
        "pairings",
        "pairing_history",
        ("enterprise_id", "village_code", "pairing_type", "start_date", "end_date", "committed_wan",
         "poor_households_employed"),
    ),
}


class EditError(BangfuError):
    """An edit that was not written; ``problems`` lists each broken rule (the message already names them)."""

    def __init__(
        self, message_zh: str, message_en: str = "", problems: Sequence[str] = (), *, hint_zh: str = "",
        hint_en: str = "",
    ) -> None:
        super().__init__(message_zh, message_en, hint_zh=hint_zh, hint_en=hint_en)
        self.problems = list(problems)


#: The hint of an edit refused by a rule.
FIX_HINT = ("改正这些值后重新保存。", "Correct these values and save again.")


class RejectedError(EditError):
    """The new values break a rule (or the row does not exist); nothing was written."""


def shown_values(layer: Layer, values: Mapping[str, Any], lang: str = "zh") -> str:
    """``label=value`` pairs for a message: column labels, coded values as their labels."""
    coded = layer.coded_columns()
    names = layer.labels(lang)
    parts = []
    for k, v in values.items():
        if k in ("version", layer.key):
            continue
        text = coded[k].label(v, lang) if k in coded else (_text(v) or vocab.MISSING_LABEL)
        parts.append(f"{names.get(k, k)}={text}")
    return ("，" if lang != "en" else ", ").join(parts)


class ConflictError(EditError):
    """Someone else changed the row since it was read; ``current`` holds their values."""

    def __init__(self, key: str, expected: int, current: dict[str, Any], layer: Layer | None = None) -> None:
        shown = (shown_values(layer, current) if layer is not None
                 else "，".join(f"{k}={_text(v)}" for k, v in current.items() if k != "version"))
        shown_en = shown_values(layer, current, "en") if layer is not None else shown
        super().__init__(
            f"{key} 已被他人修改（您基于第 {expected} 版，当前为第 {current.get('version')} 版）。"
            f"最新的值：{shown}。请刷新后重新修改，未覆盖对方的修改。",
            f"{key} was changed by someone else (you edited version {expected}, it is now "
            f"version {current.get('version')}; latest values: {shown_en}); nothing was overwritten.",
            hint_zh="载入最新的值，再重新修改。",
            hint_en="Load the latest values, then make your change again.",
        )
        self.key = key
        self.expected = expected
        self.current = current


#: A domain rule: (old row or None for a new row, new row) → list of (field, zh message) problems.
RowCheck = Callable[[Mapping[str, Any] | None, Mapping[str, Any]], list[tuple[str, str]]]


def _spec(layer: str) -> tuple[EditSpec, Layer, Layer]:
    try:
        spec = EDITABLE[layer]
    except KeyError:
        raise ValueError(f"layer {layer!r} is not editable; editable: {', '.join(EDITABLE)}") from None
    return spec, get_layer(layer), get_layer(spec.history)


def _text(v: Any) -> str | None:
    """A value as history text; exact for floats (repr round-trips)."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return str(v)


def editor_name(user: Principal) -> str:
    """The editor as recorded in an edit history: the signed-in account (its display name and user name)."""
    if user.display_name and user.display_name != user.username:
        return f"{user.display_name}（{user.username}）"
    return user.username


def _town_codes(con: sqlite3.Connection, spec: EditSpec, layer: Layer, key: str,
                changes: Mapping[str, Any]) -> list[str | None]:
    """The village codes deciding who may edit row ``key``: its current one and, if changed, the new one."""
    row = con.execute(f'SELECT "{spec.town_column}" FROM "{layer.name}" WHERE "{layer.key}" = ?', (key,)).fetchone()
    codes: list[str | None] = [None if row is None or row[0] is None else str(row[0])]
    if spec.town_column in changes and changes[spec.town_column] is not None:
        codes.append(str(changes[spec.town_column]))
    return codes


def _outside(user: Principal, codes: Sequence[str | None]) -> bool:
    """Whether a row with these village codes lies outside the towns ``user`` may edit."""
    return any(not can(user, "edit", town_code=c or "") for c in codes)


def _require_rows(con: sqlite3.Connection, spec: EditSpec, layer: Layer, user: Principal,
                  rows: Sequence[tuple[str, str, Mapping[str, Any]]]) -> None:
    """Refuse (:class:`AccessDenied`, nothing written) unless ``user`` may edit every row: (label, key, changes)."""
    require(user, "edit", what=layer.zh)
    refused = [f"{label}（{key}）" if label != key else key
               for label, key, changes in rows if _outside(user, _town_codes(con, spec, layer, key, changes))]
    if refused:
        towns = "、".join(user.towns) or "（未分配）"
        shown = "、".join(refused[:20]) + (f" 等 {len(refused)} 行" if len(refused) > 20 else "")
        raise AccessDenied(
            f"未保存：{shown} 不在您负责的镇街（{towns}），您的账号不能修改；没有写入任何修改。",
            f"not saved: {len(refused)} row(s) lie outside your towns ({towns}); nothing was written.",
            hint_zh="只修改您负责的镇街的数据；其他镇街请联系县级规划员。",
            hint_en="Edit only rows of your own towns; ask a county planner for the others.",
        )


def _audit(con: sqlite3.Connection, path: Path | str, user: Principal, action: str, target: str,
           details: Mapping[str, Any]) -> None:
    """The edit's audit row, in the edit's own transaction (``store.transaction(..., office=True)``)."""
    audit.record_workspace(path, user, action, target, details, con=con)


def _diff_details(layer: Layer, diff: Sequence[tuple[str, Any, Any]]) -> dict[str, Any]:
    return {"layer": layer.name, "changes": {f: [_text(old), _text(new)] for f, old, new in diff}}


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, (float, np.floating)) and bool(np.isnan(v)))


def same_value(old: Any, new: Any) -> bool:
    """Whether a form's value equals the loaded one: a gap equals a gap only, numbers compare as numbers
    (exactly; 5 equals 5.0, a yes/no equals 1/0), anything else as text."""
    if _missing(old) or _missing(new):
        return _missing(old) and _missing(new)
    numbers = (int, float, np.integer, np.floating, np.bool_)
    if isinstance(old, numbers) or isinstance(new, numbers):
        try:
            return float(old) == float(new)
        except (TypeError, ValueError):
            return False
    return str(old) == str(new)


def changed_fields(loaded: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a submitted form (``new``) whose value differs from the row it was loaded from
    (:func:`same_value`): what a save writes. Empty when nothing changed."""
    return {f: v for f, v in new.items() if not same_value(loaded.get(f), v)}


def _typed(col: Column, v: Any) -> Any:
    """A value (possibly text from a form or the history) in the column's SQLite type."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, str) and v.strip() == "":
        return None
    if col.dtype == "int":
        f = float(v)
        if not math.isfinite(f) or f != int(f):
            raise ValueError(v)
        return int(f)
    if col.dtype == "float":
        f = float(v)
        if not math.isfinite(f):
            raise ValueError(v)
        return f
    if col.dtype == "bool":
        return 1 if vocab.YES_NO.parse(v) == "true" else 0
    return strip_controls(str(v)).strip()  # invisible control characters never reach the workspace


def now_iso() -> str:
    """Current time in China Standard Time, ISO 8601 to the second."""
    return datetime.now(CHINA_TZ).replace(microsecond=0).isoformat()


def _ensure_history_table(con: sqlite3.Connection, hist: Layer) -> None:
    store.ensure_history_table(con, hist)


def _read_row(con: sqlite3.Connection, layer: Layer, key: str, fields: Sequence[str]) -> dict[str, Any] | None:
    cols = ", ".join(f'"{f}"' for f in (layer.key, *fields, "version"))
    lock = getattr(con, "FOR_UPDATE", "")  # a database workspace locks the row until the edit commits
    row = con.execute(f'SELECT {cols} FROM "{layer.name}" WHERE "{layer.key}" = ?{lock}', (key,)).fetchone()
    if row is None:
        return None
    return dict(zip((layer.key, *fields, "version"), row))


def _validate_row(layer: Layer, row: Mapping[str, Any], check: RowCheck | None, old: Mapping[str, Any] | None) -> None:
    frame = pd.DataFrame([{c.name: row.get(c.name) for c in layer.columns}])
    report = validate_layer(layer.name, frame)

    def _label(names: str) -> str:
        return "/".join(layer.column(n).zh if n in layer.column_names else n for n in names.split(","))

    problems = [
        f"{_label(p.column)}：{p.reason_zh}（{p.value}）"
        for p in report.errors
        if p.column is not None and all(c in row for c in p.column.split(","))
    ]
    if check is not None:
        problems += [
            f"{layer.column(f).zh if f in layer.column_names else f}：{msg}" for f, msg in check(old, row)
        ]
    if problems:
        raise RejectedError("修改未保存：" + "；".join(problems), "edit refused: " + "; ".join(problems), problems,
                            hint_zh=FIX_HINT[0], hint_en=FIX_HINT[1])


def _append_history(
    con: sqlite3.Connection,
    hist: Layer,
    key_col: str,
    key: str,
    changes: Sequence[tuple[str, Any, Any]],
    *,
    editor: str,
    action: str,
    at: str,
    edit_id: int | None = None,
) -> int:
    if edit_id is None:
        edit_id = int(con.execute(f'SELECT COALESCE(MAX(edit_id), 0) + 1 FROM "{hist.name}"').fetchone()[0])
    next_id = int(con.execute(f'SELECT COALESCE(MAX(change_id), 0) FROM "{hist.name}"').fetchone()[0])
    rows = [
        (next_id + i + 1, key, edit_id, at, f, _text(old), _text(new), editor, action)
        for i, (f, old, new) in enumerate(changes)
    ]
    con.executemany(
        f'INSERT INTO "{hist.name}" (change_id, "{key_col}", edit_id, changed_at, field, old, new, editor, action) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return edit_id


def _check_refs(con: sqlite3.Connection, layer: Layer, row: Mapping[str, Any]) -> None:
    problems = []
    for col in layer.columns:
        if col.ref and row.get(col.name) is not None:
            tl, tc = col.ref.split(".")
            hit = con.execute(f'SELECT 1 FROM "{tl}" WHERE "{tc}" = ? LIMIT 1', (row[col.name],)).fetchone()
            if not hit:
                problems.append(f"{col.zh}：不存在的{get_layer(tl).zh}（{row[col.name]}）")
    if problems:
        raise RejectedError("修改未保存：" + "；".join(problems), "edit refused: unknown reference", problems,
                            hint_zh=FIX_HINT[0], hint_en=FIX_HINT[1])


def _apply_update(
    con: sqlite3.Connection,
    spec: EditSpec,
    layer: Layer,
    hist: Layer,
    key: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None,
    editor: str,
    action: str,
    check: RowCheck | None,
    at: str,
    edit_id: int | None = None,
) -> tuple[int, list[tuple[str, Any, Any]]]:
    """Write one row's changes and their history; (new version, changed fields as (field, old, new))."""
    unknown = [f for f in changes if f not in spec.fields]
    if unknown:
        raise RejectedError(
            f"这些字段不能修改：{'、'.join(unknown)}", f"fields not editable: {', '.join(unknown)}"
        )
    old = _read_row(con, layer, key, spec.fields)
    if old is None:
        raise RejectedError(f"找不到{layer.zh}：{key}", f"unknown {layer.name} {key!r}")
    if expected_version is not None and int(old["version"]) != int(expected_version):
        raise ConflictError(key, int(expected_version), old, layer)
    try:
        typed = {f: _typed(layer.column(f), v) for f, v in changes.items()}
    except (TypeError, ValueError) as exc:
        raise RejectedError(f"修改未保存：数值格式不对（{exc}）", f"bad value: {exc}") from None
    new = {**old, **typed}
    _validate_row(layer, new, check, old)
    _check_refs(con, layer, {f: typed[f] for f in typed})
    diff = [(f, old[f], typed[f]) for f in typed if _text(old[f]) != _text(typed[f])]
    if not diff:
        return int(old["version"]), []
    sets = ", ".join(f'"{f}" = ?' for f, _, _ in diff)
    cur = con.execute(
        f'UPDATE "{layer.name}" SET {sets}, version = version + 1 WHERE "{layer.key}" = ? AND version = ?',
        [v for _, _, v in diff] + [key, old["version"]],
    )
    if cur.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE; kept as a guard
        raise ConflictError(key, int(old["version"]), _read_row(con, layer, key, spec.fields) or {}, layer)
    _ensure_history_table(con, hist)
    _append_history(con, hist, layer.key, key, diff, editor=editor, action=action, at=at, edit_id=edit_id)
    return int(old["version"]) + 1, diff


def update_row(
    path: Path | str,
    layer: str,
    key: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None,
    user: Principal,
    check: RowCheck | None = None,
) -> int:
    """Change some fields of one row as ``user``; returns the row's new version.

    ``expected_version`` is the version the user saw (``None`` skips the check — only for
    trusted batch jobs). Raises :class:`AccessDenied`, :class:`ConflictError` or
    :class:`RejectedError`; in every case nothing is written.
    """
    spec, lay, hist = _spec(layer)
    require(user, "edit", what=lay.zh)
    with store.transaction(path, office=True) as con:
        _require_rows(con, spec, lay, user, [(key, key, changes)])
        version, diff = _apply_update(
            con, spec, lay, hist, key, changes, expected_version=expected_version, editor=editor_name(user),
            action="edit", check=check, at=now_iso(),
        )
        if diff:
            _audit(con, path, user, "edit", key, {**_diff_details(lay, diff), "version": version})
        return version


def insert_row(
    path: Path | str,
    layer: str,
    row: Mapping[str, Any],
    *,
    user: Principal,
    check: RowCheck | None = None,
) -> str:
    """Add one row (version 1) and its ``create`` history as ``user``; returns its key."""
    spec, lay, hist = _spec(layer)
    require(user, "edit", what=lay.zh)
    require(user, "edit", town_code=str(row.get(spec.town_column) or ""),
            what=f"{lay.zh} {row.get(spec.town_column) or ''}".strip())
    with store.transaction(path, office=True) as con:
        key = row.get(lay.key)
        if not key:
            prefix = "".join(ch for ch in lay.name[:1].upper())
            n = con.execute(f'SELECT COUNT(*) FROM "{lay.name}"').fetchone()[0]
            key = f"{prefix}{n + 1:03d}"
            while con.execute(f'SELECT 1 FROM "{lay.name}" WHERE "{lay.key}" = ?', (key,)).fetchone():
                n += 1
                key = f"{prefix}{n + 1:03d}"
        elif con.execute(f'SELECT 1 FROM "{lay.name}" WHERE "{lay.key}" = ?', (key,)).fetchone():
            raise RejectedError(f"编号已存在：{key}", f"duplicate key {key!r}")
        try:
            typed = {f: _typed(lay.column(f), row.get(f)) for f in spec.fields}
        except (TypeError, ValueError) as exc:
            raise RejectedError(f"未保存：数值格式不对（{exc}）", f"bad value: {exc}") from None
        new = {lay.key: key, **typed, "version": 1}
        _validate_row(lay, new, check, None)
        _check_refs(con, lay, new)
        cols = list(new)
        con.execute(
            f'INSERT INTO "{lay.name}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
            f'VALUES ({", ".join("?" for _ in cols)})',
            [new[c] for c in cols],
        )
        _ensure_history_table(con, hist)
        created = [(f, None, typed[f]) for f in spec.fields if typed[f] is not None]
        _append_history(con, hist, lay.key, key, created, editor=editor_name(user), action="create", at=now_iso())
        _audit(con, path, user, "create", str(key), _diff_details(lay, created))
        return str(key)


@dataclass(frozen=True)
class Update:
    """One row's changes in a bulk update."""

    key: str
    changes: Mapping[str, Any]
    expected_version: int | None = None
    row: int | None = None  # the row number shown in messages (e.g. the spreadsheet row); default: position


@dataclass
class BulkResult:
    """What a bulk update did (or would do, for a dry run)."""

    applied: int = 0
    problems: list[str] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _DryRun(Exception):
    pass


def bulk_update(
    path: Path | str,
    layer: str,
    updates: Sequence[Update],
    *,
    user: Principal,
    check: RowCheck | None = None,
    dry_run: bool = False,
) -> BulkResult:
    """Apply many row updates all-or-nothing in one transaction, as ``user``.

    Every update is tried; if any is refused, the problems of all are reported and nothing is
    written. With ``dry_run`` the changes are computed (``preview``: key, field, old, new) and
    rolled back. A row outside the towns ``user`` may edit refuses the whole update
    (:class:`AccessDenied` naming the rows), also for a dry run.
    """
    spec, lay, hist = _spec(layer)
    require(user, "edit", what=lay.zh)
    result = BulkResult()
    keys = [u.key for u in updates]
    dups = sorted({k for k in keys if keys.count(k) > 1})
    if dups:
        result.problems.append(f"同一{lay.zh}出现多次：{'、'.join(dups)}")
        return result
    try:
        with store.transaction(path, office=True) as con:
            _require_rows(con, spec, lay, user, [(f"第{u.row or i}行", u.key, u.changes) for i, u in enumerate(updates, 1)])
            at = now_iso()
            _ensure_history_table(con, hist)
            edit_id = int(con.execute(f'SELECT COALESCE(MAX(edit_id), 0) + 1 FROM "{hist.name}"').fetchone()[0])
            for i, u in enumerate(updates, 1):
                before = _read_row(con, lay, u.key, spec.fields)
                try:
                    _apply_update(
                        con, spec, lay, hist, u.key, u.changes, expected_version=u.expected_version,
                        editor=editor_name(user), action="bulk", check=check, at=at, edit_id=edit_id,
                    )
                except EditError as exc:
                    result.problems.append(f"第{u.row or i}行（{u.key}）：{exc.message_zh}")
                    continue
                after = _read_row(con, lay, u.key, spec.fields) or {}
                for f in spec.fields:
                    if before is not None and _text(before[f]) != _text(after.get(f)):
                        result.preview.append({lay.key: u.key, "field": f, "old": before[f], "new": after.get(f)})
                result.applied += 1
            if result.problems or dry_run:
                raise _DryRun
            if result.applied:
                _audit(con, path, user, "bulk", lay.name, {
                    "layer": lay.name, "rows": result.applied, "edit_id": edit_id,
                    "changes": [[str(p[lay.key]), p["field"], _text(p["old"]), _text(p["new"])] for p in result.preview],
                })
    except _DryRun:
        if result.problems:
            result.applied = 0
    return result


def history(path: Path | str, layer: str, key: str | None = None) -> pd.DataFrame:
    """The history rows of a layer (of one row when ``key`` is given), newest first."""
    _, lay, hist = _spec(layer)
    df = store.read_layer(path, hist.name)
    if key is not None:
        df = df[df[lay.key] == key]
    return df.sort_values(["edit_id", "change_id"], ascending=False).reset_index(drop=True)


def history_display(path: Path | str, layer: str, key: str | None = None, *, lang: str = "zh") -> pd.DataFrame:
    """:func:`history` for display: field names as column labels, coded old/new values and actions as labels."""
    return display.history_values(history(path, layer, key), layer, lang)


def undo_last(path: Path | str, layer: str, key: str, *, user: Principal, check: RowCheck | None = None) -> int:
    """Revert the row's last edit exactly (recorded as an ``undo`` edit by ``user``); returns the new version."""
    spec, lay, hist = _spec(layer)
    require(user, "edit", what=lay.zh)
    with store.transaction(path, office=True) as con:
        _require_rows(con, spec, lay, user, [(key, key, {})])
        _ensure_history_table(con, hist)
        last = con.execute(
            f'SELECT MAX(edit_id) FROM "{hist.name}" WHERE "{lay.key}" = ? AND action != \'create\'', (key,)
        ).fetchone()[0]
        if last is None:
            raise RejectedError(f"{key} 没有可以撤销的修改", f"{key} has no edit to undo")
        rows = con.execute(
            f'SELECT field, old FROM "{hist.name}" WHERE "{lay.key}" = ? AND edit_id = ? ORDER BY change_id',
            (key, last),
        ).fetchall()
        changes = {f: old for f, old in rows}
        _require_rows(con, spec, lay, user, [(key, key, changes)])  # an undo moving the row back to another town
        version, diff = _apply_update(
            con, spec, lay, hist, key, changes, expected_version=None, editor=editor_name(user), action="undo",
            check=check, at=now_iso(),
        )
        if diff:
            _audit(con, path, user, "undo", key, {**_diff_details(lay, diff), "version": version, "undone": last})
        return version
