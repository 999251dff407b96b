"""Coded values as labels for people and back to codes for the data: the one conversion every table uses.

Stored data keeps codes (``completed``, ``drinking_water``, ``True``); everything a person reads shows
the vocabulary's label in the active language (已硬化 / Hardened, 饮水安全 / Drinking water, 是 / Yes)
and ``—`` for a missing value. Which column is coded comes from the schema
(:attr:`bangfu.workspace.schema.Column.vocabulary`); derived tables add their own columns
(``vocabularies=``) and every boolean column is shown as yes/no.

Exports follow the same split (see docs/data.md): CSV/Excel downloads of a table on a page carry what
the page shows (labels of the active language); layer exports to Excel carry Chinese labels and import
again through :func:`parse_codes`; GeoPackage, GeoJSON and Shapefile keep the codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial

import pandas as pd

from bangfu.core import formats
from bangfu.core.labels import LABELS, t
from bangfu.core.vocab import EDIT_ACTION, MISSING_LABEL, YES_NO, Vocabulary, is_missing
from bangfu.workspace.schema import get_layer

__all__ = ["coded_columns", "is_yes_no", "label_series", "label_codes", "labelled", "export_labels", "parse_codes",
           "history_values"]


def coded_columns(*layers: str) -> dict[str, Vocabulary]:
    """Column name → vocabulary of the coded and yes/no columns of ``layers`` (the first layer wins)."""
    out: dict[str, Vocabulary] = {}
    for name in layers:
        for col, voc in get_layer(name).coded_columns().items():
            out.setdefault(col, voc)
    return out


def is_yes_no(s: pd.Series) -> bool:
    """Whether a column holds yes/no values (a boolean dtype, or only Python/NumPy booleans and gaps)."""
    if pd.api.types.is_bool_dtype(s):
        return True
    if s.dtype != object:
        return False
    present = [v for v in s.tolist() if not is_missing(v)]
    return bool(present) and all(isinstance(v, bool) or type(v).__name__ in ("bool", "bool_") for v in present)


def _map_unique(s: pd.Series, fn: Callable[[object], object]) -> pd.Series:
    """``s.map(fn)`` computed once per distinct value (coded columns repeat a few values many times)."""
    values = s.astype(object).tolist()
    memo: dict[object, object] = {}
    out = []
    for v in values:
        try:
            out.append(memo[v])
        except KeyError:
            out.append(memo.setdefault(v, fn(v)))
        except TypeError:  # unhashable
            out.append(fn(v))
    return pd.Series(out, index=s.index, dtype=object, name=s.name)


def label_series(s: pd.Series, voc: Vocabulary, lang: str = "zh") -> pd.Series:
    """The labels of a column of codes (``—`` where missing; unknown codes as they are)."""
    return _map_unique(s, lambda v: voc.label(v, lang))


def label_codes(
    df: pd.DataFrame,
    lang: str = "zh",
    *,
    layers: Iterable[str] = (),
    vocabularies: Mapping[str, Vocabulary] | None = None,
    yes_no: bool = True,
    missing: bool = True,
) -> pd.DataFrame:
    """A copy for showing or downloading: coded columns as labels, yes/no columns as 是/否, gaps as ``—``.

    ``layers``: schema layers whose coded columns apply (by column name, first layer wins);
    ``vocabularies``: more (or overriding) column → vocabulary pairs; ``yes_no``: every other boolean
    column as 是/否 (Yes/No); ``missing``: gaps in text columns as ``—`` (numbers keep their gaps; :func:`labelled`
    goes on to show them).
    """
    mapping = {**coded_columns(*layers), **(vocabularies or {})}
    out = pd.DataFrame(df).copy()
    for c in out.columns:
        if c == "geometry":
            continue
        voc = mapping.get(c)
        if voc is None and yes_no and is_yes_no(out[c]):
            voc = YES_NO
        if voc is not None:
            out[c] = label_series(out[c], voc, lang)
        elif missing and (out[c].dtype == object or pd.api.types.is_string_dtype(out[c])):
            out[c] = out[c].map(lambda v: MISSING_LABEL if is_missing(v) else v).astype(object)
    return out


def labelled(
    df: pd.DataFrame,
    lang: str = "zh",
    *,
    columns: Sequence[str] | None = None,
    layers: Sequence[str] = (),
    header_layers: Sequence[str] | None = None,
    prefix: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A table as people read it (every page's tables and their downloads): the chosen columns, coded values
    and yes/no as labels (:func:`label_codes` with ``layers``), the rest as :func:`bangfu.core.formats.readable`
    (a numeric column with gaps as text with ``—``, whole-number floats as integers, moments in local time), each
    header its label.

    ``columns``: the columns to keep, in order (default all; ``geometry`` is never shown). A header is, first
    found: ``headers[column]``; the interface label ``prefix + column`` (e.g. ``"roads.col."``) when
    :data:`bangfu.core.labels.LABELS` has it; the schema label of the column in ``header_layers`` (default
    ``layers``; the first layer wins). A column without any label keeps its name.
    """
    cols = [c for c in (columns if columns is not None else df.columns) if c in df.columns and c != "geometry"]
    names: dict[str, str] = {}
    for layer in (layers if header_layers is None else header_layers):
        for name, label in get_layer(layer).labels(lang).items():
            names.setdefault(name, label)
    if prefix is not None:
        names.update({c: t(prefix + c, lang) for c in cols if prefix + c in LABELS})
    names.update(headers or {})
    out = formats.readable(label_codes(pd.DataFrame(df[cols]), lang, layers=layers), lang)
    return out.rename(columns={c: names[c] for c in cols if c in names})


def _export_label(voc: Vocabulary, value: object) -> str | None:
    return None if is_missing(value) else voc.label(value, "zh")


def export_labels(df: pd.DataFrame, layer: str) -> pd.DataFrame:
    """A layer's rows for a spreadsheet people read and may send back: coded and yes/no columns as their
    Chinese labels, gaps left empty (so that :func:`parse_codes` and the importer read them back exactly)."""
    out = pd.DataFrame(df).copy()
    for name, voc in get_layer(layer).coded_columns().items():
        if name in out.columns:
            out[name] = _map_unique(out[name], partial(_export_label, voc))
    return out


def _parse_code(voc: Vocabulary, value: object) -> object:
    return value if is_missing(value) else (voc.parse(value) or value)


def parse_codes(df: pd.DataFrame, layer: str) -> pd.DataFrame:
    """A copy whose coded text columns hold codes: labels and synonyms (已硬化, 饮水工程, 4A…) become the
    code; a value no vocabulary knows stays as it is, for the validator to report with the allowed labels.
    Yes/no columns are parsed by the validator's type conversion (the same vocabulary)."""
    out = pd.DataFrame(df).copy()
    for col in get_layer(layer).columns:
        voc = col.vocab
        if voc is None or col.name not in out.columns:
            continue
        out[col.name] = _map_unique(out[col.name], partial(_parse_code, voc))
    return out


def history_values(history: pd.DataFrame, layer: str, lang: str = "zh") -> pd.DataFrame:
    """An edit history (``field``, ``old``, ``new``, ``action`` columns) for display: field names as the
    layer's column labels, old and new values as labels of the field's vocabulary, actions as labels."""
    lay = get_layer(layer)
    coded = lay.coded_columns()
    fields = lay.field_vocabulary()
    out = pd.DataFrame(history).copy()

    def show(field: object, value: object) -> str:
        voc = coded.get(str(field))
        if voc is not None:
            return voc.label(voc.parse(value) or value, lang)  # history holds text: "1" for True
        if is_missing(value):
            return MISSING_LABEL
        text = str(value)
        col = lay.column(str(field)) if str(field) in lay.column_names else None
        if col is not None and col.dtype == "int" and text.endswith(".0"):
            text = text[:-2]
        return text

    for c in ("old", "new"):
        if c in out.columns and "field" in out.columns:
            out[c] = [show(f, v) for f, v in zip(history["field"], history[c])]
    if "field" in out.columns:
        out["field"] = label_series(out["field"], fields, lang)
    if "action" in out.columns:
        out["action"] = label_series(out["action"], EDIT_ACTION, lang)
    return out


def as_text(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every cell as display text (numbers with thousands separators, up to two decimals):
    for side-by-side tables whose columns mix figures and words (a gap as "3.78%", a solver status),
    which Arrow cannot hold as one column type."""

    return df.apply(lambda col: col.map(lambda v: "" if v is None or (isinstance(v, float) and v != v)
                                        else formats.number(v)))
