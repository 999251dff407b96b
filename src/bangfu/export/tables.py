"""Table exports: CSV that Excel opens correctly in Chinese, and multi-sheet Excel workbooks."""

from __future__ import annotations

import io
from collections.abc import Mapping

import pandas as pd

from bangfu.core.formats import readable
from bangfu.core.text import safe_filename, strip_controls

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value: object) -> object:
    """Text without control characters (Excel refuses them), prefixed when a spreadsheet would run it as
    a formula (CSV/Excel injection)."""
    if isinstance(value, str):
        value = strip_controls(value, keep_lines=True)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy without geometry, with formula-like text defused."""
    out = pd.DataFrame(df.drop(columns=[c for c in df.columns if c == "geometry"], errors="ignore")).copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(_defuse)
    out.columns = [_defuse(str(c)) for c in out.columns]
    return out


def sheet_name(name: object, taken: set[str] | None = None) -> str:
    """An Excel sheet name from any text: no control characters or ``[]:*?/\\``, at most 31 characters, unique."""
    base = (safe_filename(str(name), limit=31) or "Sheet1")[:31]
    out, n = base, 2
    while taken is not None and out in taken:
        suffix = f"_{n}"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    if taken is not None:
        taken.add(out)
    return out


def _shown(df: pd.DataFrame, lang: str | None) -> pd.DataFrame:
    """``df`` as people read it (:func:`bangfu.core.formats.readable`: 是/否, local times, no ``.0`` counts, ``—`` for
    gaps) when ``lang`` is given; as stored otherwise (a layer export that must import again)."""
    return safe_frame(df if lang is None else readable(df, lang))


def to_csv_bytes(df: pd.DataFrame, lang: str | None = None) -> bytes:
    """UTF-8 with BOM so that Excel on Chinese Windows shows the characters. ``lang``: a table for people (values
    as :func:`bangfu.core.formats.readable` shows them in that language)."""
    return _shown(df, lang).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame], lang: str | None = None) -> bytes:
    """An .xlsx workbook with one sheet per frame (sheet names cut to Excel's 31 characters); ``lang`` as
    :func:`to_csv_bytes`."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        taken: set[str] = set()
        for name, df in sheets.items():
            _shown(df, lang).to_excel(writer, sheet_name=sheet_name(name, taken), index=False)
    return buf.getvalue()
