"""Road editing rules: status labels, domain rules of a road edit, history display and Excel bulk updates.

Built on the generic engine :mod:`bangfu.editing.engine` (versioned rows, one transaction per edit,
append-only ``road_progress`` history, undo, all-or-nothing bulk updates). This module adds
what is specific to roads:

* :data:`ROAD_RULES` — the domain rules, as a table, checked on the full new row of every edit
  (the schema already checks types, 0 ≤ progress ≤ 100, allowed statuses and
  completed year ≥ planned year);
* :func:`edit_road`, :func:`undo_road`, :func:`road_history`, :func:`road_row`;
* :func:`read_bulk_table`, :func:`parse_bulk`, :func:`bulk_apply` — an Excel/CSV sheet with
  ``road_id`` and the new values (Chinese or English headers, Chinese or English status names),
  validated as a whole and applied all-or-nothing, with a dry-run preview.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from bangfu.core.errors import BangfuError
from bangfu.core.text import visible
from bangfu.core.vocab import ROAD_STATUS
from bangfu.editing import engine as edits
from bangfu.ingest import guard, readers, sandbox
from bangfu.ingest.guard import Limits
from bangfu.workspace import display, store
from bangfu.workspace.access import Principal
from bangfu.workspace.schema import ROADS

EDITABLE_FIELDS: tuple[str, ...] = edits.EDITABLE["roads"].fields

def this_year() -> int:
    """The current year in China Standard Time."""
    return datetime.now(edits.CHINA_TZ).year


# --------------------------------------------------------------------------- domain rules


def _num(v: Any) -> float | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return float(v)


@dataclass(frozen=True)
class RoadRule:
    """One domain rule: ``broken(row, year)`` is True when the new row violates it."""

    field: str
    zh: str
    en: str
    broken: Callable[[Mapping[str, Any], int], bool]


def _q(code: str, lang: str = "zh") -> str:
    """A status label as quoted in a rule message: “已硬化” / "Hardened"."""
    label = ROAD_STATUS.label(code, lang)
    return f"“{label}”" if lang != "en" else f'"{label}"'


def _rules() -> tuple[RoadRule, ...]:
    hard, building, planned, unhard = (_q(c) for c in ("completed", "under_construction", "planned", "unhardened"))
    hard_en, building_en, planned_en, unhard_en = (
        _q(c, "en") for c in ("completed", "under_construction", "planned", "unhardened"))
    return (
        RoadRule("completed_year", "完工年份不能晚于今年（{year}年）", "completed year is in the future",
                 lambda r, y: _num(r.get("completed_year")) is not None and _num(r.get("completed_year")) > y),  # type: ignore[operator]
        RoadRule("progress_pct", f"状态为{hard}时进度必须为 100%", f"status {hard_en} needs progress 100%",
                 lambda r, y: r.get("status") == "completed" and (_num(r.get("progress_pct")) or 0) < 100),
        RoadRule("completed_year", f"状态为{hard}时必须填写完工年份", f"status {hard_en} needs the completed year",
                 lambda r, y: r.get("status") == "completed" and _num(r.get("completed_year")) is None),
        RoadRule("progress_pct", f"{ROAD_STATUS.label('under_construction')}道路的进度必须小于 100%（已完工请把状态改为{hard}）",
                 f"status {building_en} needs progress below 100%",
                 lambda r, y: r.get("status") == "under_construction" and (_num(r.get("progress_pct")) or 0) >= 100),
        RoadRule("completed_year", "尚未硬化的道路不能填写完工年份", f"only status {hard_en} has a completed year",
                 lambda r, y: r.get("status") != "completed" and _num(r.get("completed_year")) is not None),
        RoadRule("progress_pct", f"{planned}或{unhard}的道路进度必须为 0（已开工请把状态改为{building}）",
                 f"status {planned_en} or {unhard_en} needs progress 0",
                 lambda r, y: r.get("status") in ("planned", "unhardened") and (_num(r.get("progress_pct")) or 0) > 0),
        RoadRule("planned_year", f"状态为{planned}时必须填写计划年份", f"status {planned_en} needs the planned year",
                 lambda r, y: r.get("status") == "planned" and _num(r.get("planned_year")) is None),
    )


#: The road domain rules; messages quote the status labels of :data:`bangfu.core.vocab.ROAD_STATUS`.
ROAD_RULES: tuple[RoadRule, ...] = _rules()


def road_check(year: int | None = None) -> edits.RowCheck:
    """The domain check passed to :mod:`bangfu.editing.engine` (``year`` = "this year", for tests)."""

    def check(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[tuple[str, str]]:
        y = this_year() if year is None else year
        return [(rule.field, rule.zh.format(year=y)) for rule in ROAD_RULES if rule.broken(new, y)]

    return check


# --------------------------------------------------------------------------- single edits


def road_row(path: Path | str, road_id: str) -> dict[str, Any] | None:
    """The current editable values and version of one road, read directly (fast, no geometry)."""
    cols = ("road_id", "name", "village_code", "road_class", *EDITABLE_FIELDS, "version")
    rows = store.read_rows(path, "roads", cols, key=road_id)
    return dict(zip(cols, rows[0])) if rows else None


def edit_road(
    path: Path | str,
    road_id: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None,
    user: Principal,
    year: int | None = None,
) -> int:
    """Validate and write one road edit by ``user`` with its history and audit row; returns the new version.

    Raises :class:`bangfu.workspace.access.AccessDenied` (the user may not edit this road's town),
    :class:`bangfu.editing.engine.RejectedError` (a rule is broken, unknown road) or
    :class:`bangfu.editing.engine.ConflictError` (the road changed since ``expected_version``); in every
    case nothing is written.
    """
    return edits.update_row(
        path, "roads", road_id, dict(changes), expected_version=expected_version, user=user, check=road_check(year),
    )


def undo_road(path: Path | str, road_id: str, *, user: Principal) -> int:
    """Restore the values before the road's last edit exactly (recorded as an ``undo`` edit by ``user``)."""
    return edits.undo_last(path, "roads", road_id, user=user)


def road_history(path: Path | str, road_id: str | None = None, *, lang: str = "zh") -> pd.DataFrame:
    """The road's history (newest first) for display: field names, coded values and actions labelled."""
    h = edits.history_display(path, "roads", road_id, lang=lang)
    return h[["changed_at", "road_id", "field", "old", "new", "editor", "action", "edit_id"]].reset_index(drop=True)


# --------------------------------------------------------------------------- bulk updates from Excel


def _norm(text: object) -> str:
    s = str(text).strip().lower().replace("（", "(").replace("）", ")").replace("％", "%")
    return re.sub(r"[\s_]+", "", s)


def _header_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("road_id", *EDITABLE_FIELDS, "version"):
        col = ROADS.column(name)
        for alias in (name, col.zh, col.en):
            out[_norm(alias)] = name
    extra = {
        "编号": "road_id", "道路id": "road_id", "id": "road_id", "状态": "status", "硬化情况": "status",
        "进度": "progress_pct", "进度%": "progress_pct", "完成进度": "progress_pct", "progress": "progress_pct",
        "计划年度": "planned_year", "完成年份": "completed_year", "竣工年份": "completed_year",
        "完工年度": "completed_year", "投资": "cost_wan", "投资额(万元)": "cost_wan", "cost": "cost_wan",
        "路面类型": "surface",
    }
    out.update({_norm(k): v for k, v in extra.items()})
    return out


HEADER_ALIASES = _header_aliases()


def parse_status(value: object) -> str | None:
    """A status code from a code, a Chinese/English label or a common synonym (None if unknown):
    :meth:`bangfu.core.vocab.ROAD_STATUS.parse`."""
    return ROAD_STATUS.parse(value)


@dataclass
class BulkParse:
    """An uploaded sheet turned into updates, or the problems that stop it."""

    updates: list[edits.Update] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.updates)


class BulkFileError(BangfuError, ValueError):
    """An uploaded update sheet that cannot be read (not Excel/CSV, or broken)."""


_SHEET_HINT = ("下载上面的模板，填好后另存为 Excel（.xlsx）或 CSV 再上传。",
               "Download the template above, fill it in and save it as Excel (.xlsx) or CSV.")


def read_bulk_table(data: bytes, filename: str, *, limits: Limits | None = None,
                    on_tick: sandbox.Tick | None = None) -> pd.DataFrame:
    """An uploaded .xlsx/.csv as text cells (first sheet), read through the upload guard in a child process.

    The same limits as every import apply (size, zip bombs, rows, time, memory; see
    :mod:`bangfu.ingest.sandbox`); raises :class:`BulkFileError` in Chinese.
    """
    if guard.suffix_of(filename) not in (".xlsx", ".csv"):
        raise BulkFileError(f"不支持的文件类型「{visible(filename)}」，请上传 Excel（.xlsx）或 CSV 文件",
                            f"unsupported file type {filename!r}: upload Excel (.xlsx) or CSV",
                            hint_zh=_SHEET_HINT[0], hint_en=_SHEET_HINT[1])
    limits = limits or Limits.from_env()
    try:
        return sandbox.run_limited(readers.read_sheet, (filename, data), {"limits": limits}, limits=limits,
                                   on_tick=on_tick, what=f"文件「{visible(filename)}」")
    except guard.ImportRefused as exc:
        raise BulkFileError(f"无法读取文件「{visible(filename)}」：{exc.message_zh}",
                            f"cannot read {filename!r}: {exc.message_en}",
                            hint_zh=exc.hint_zh or _SHEET_HINT[0], hint_en=exc.hint_en or _SHEET_HINT[1]) from None


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def _cell(fieldname: str, value: object) -> tuple[object, str | None]:
    """(value to send, problem) for one non-empty cell."""
    voc = ROADS.column(fieldname).vocab if fieldname in ROADS.column_names else None
    if voc is not None:
        code = voc.parse(value)
        if code is None:
            return None, f"{ROADS.column(fieldname).zh}「{value}」无法识别，可选：{voc.choices_text('zh')}"
        return code, None
    if fieldname in ("progress_pct", "cost_wan", "planned_year", "completed_year", "version"):
        text = str(value).strip().rstrip("%").replace(",", "")
        try:
            number = float(text)
        except ValueError:
            return None, f"{ROADS.column(fieldname).zh}「{value}」不是数字"
        if not np.isfinite(number) or abs(number) >= 2.0**53:
            return None, f"{ROADS.column(fieldname).zh}「{value}」不是有限的数"
        if fieldname in ("planned_year", "completed_year", "version"):
            if number != int(number):
                return None, f"{ROADS.column(fieldname).zh}「{value}」不是整数"
            return int(number), None
        return number, None
    return str(value).strip(), None


def parse_bulk(df: pd.DataFrame) -> BulkParse:
    """Turn a sheet (road_id + new values) into updates; empty cells mean "leave unchanged".

    Headers may be column names, Chinese or English labels (``道路编号``, ``硬化状态``,
    ``进度(%)``…). An optional ``版本``/``version`` column makes each row an optimistic edit.
    Problems name the spreadsheet row (header = row 1).
    """
    out = BulkParse()
    mapping: dict[str, str] = {}
    for col in df.columns:
        target = HEADER_ALIASES.get(_norm(col))
        if target is None:
            out.ignored_columns.append(str(col))
        elif target in mapping.values():
            out.problems.append(f"表头「{col}」与另一列重复（都是{ROADS.column(target).zh}）")
        else:
            mapping[str(col)] = target
    if "road_id" not in mapping.values():
        out.problems.append("缺少「道路编号」(road_id) 列")
    if not any(v in EDITABLE_FIELDS for v in mapping.values()):
        allowed = "、".join(ROADS.column(f).zh for f in EDITABLE_FIELDS)
        out.problems.append(f"没有可更新的列；可更新：{allowed}")
    if out.problems:
        return out
    frame = df.rename(columns=mapping)[list(mapping.values())]
    for pos, (_, row) in enumerate(frame.iterrows()):
        excel_row = pos + 2
        values = {f: row[f] for f in frame.columns if not _missing(row[f])}
        if not values:
            continue
        road_id = values.pop("road_id", None)
        if road_id is None:
            out.problems.append(f"第{excel_row}行：缺少道路编号")
            continue
        changes: dict[str, object] = {}
        version: int | None = None
        for f, v in values.items():
            parsed, problem = _cell(f, v)
            if problem:
                out.problems.append(f"第{excel_row}行（{road_id}）：{problem}")
            elif f == "version":
                version = int(str(parsed))
            else:
                changes[f] = parsed
        if changes:
            out.updates.append(edits.Update(str(road_id).strip(), changes, version, row=excel_row))
    if not out.updates and not out.problems:
        out.problems.append("表中没有要更新的数据")
    return out


def bulk_apply(
    path: Path | str, parsed: BulkParse, *, user: Principal, dry_run: bool, year: int | None = None
) -> edits.BulkResult:
    """Validate every row with the road rules and apply all or nothing as ``user`` (``dry_run``: preview only);
    a row outside ``user``'s towns refuses the whole sheet (:class:`bangfu.workspace.access.AccessDenied`)."""
    if parsed.problems:
        return edits.BulkResult(problems=list(parsed.problems))
    return edits.bulk_update(path, "roads", parsed.updates, user=user, check=road_check(year), dry_run=dry_run)


def preview_frame(result: edits.BulkResult, *, lang: str = "zh") -> pd.DataFrame:
    """The dry-run changes for display: road, field label, old → new."""
    rows = pd.DataFrame(result.preview, columns=["road_id", "field", "old", "new"])
    return display.history_values(rows, "roads", lang)


def bulk_template(lang: str = "zh") -> pd.DataFrame:
    """An example sheet users can download and fill in."""
    labels = ROADS.labels(lang)
    rows = [
        {"road_id": "R0001", "status": ROAD_STATUS.label("completed", lang), "progress_pct": 100, "completed_year": 2020},
        {"road_id": "R0002", "status": ROAD_STATUS.label("under_construction", lang), "progress_pct": 60},
        {"road_id": "R0003", "planned_year": 2021, "cost_wan": 85.5},
    ]
    cols = ["road_id", "status", "progress_pct", "planned_year", "completed_year", "cost_wan"]
    return pd.DataFrame(rows, columns=cols).rename(columns=labels)


__all__ = [
    "ROAD_RULES", "RoadRule", "EDITABLE_FIELDS",
    "this_year", "road_check", "road_row", "edit_road", "undo_road",
    "road_history", "parse_status", "BulkParse", "BulkFileError", "read_bulk_table", "parse_bulk", "bulk_apply",
    "preview_frame", "bulk_template", "HEADER_ALIASES",
]
