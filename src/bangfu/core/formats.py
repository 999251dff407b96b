"""How values read to people: numbers with thousands separators, 是/否, local dates and times (Asia/Shanghai), gaps as —."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd

from bangfu.core.vocab import MISSING_LABEL, YES_NO, is_missing

__all__ = ["CHINA_TZ", "now_local", "local_time", "local_date", "number", "count", "yes_no", "is_timestamp",
           "readable"]

#: China Standard Time: the time every user reads and every stored time is written in.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$")


def now_local() -> datetime:
    """Now, in China Standard Time (never the server's clock zone)."""
    return datetime.now(CHINA_TZ)


def local_time(value: object, *, seconds: bool = False) -> str:
    """A moment (ISO 8601 text with any offset, a ``datetime``, a ``Timestamp``) as China time ``YYYY-MM-DD HH:MM``
    (``:SS`` with ``seconds``); a time without an offset was written as China time; a gap as ``—``; text that is not
    a time unchanged."""
    if is_missing(value):
        return MISSING_LABEL
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_date(value: object) -> str:
    """A date as ``YYYY-MM-DD`` (from a date, a moment or ISO text); a gap as ``—``."""
    if is_missing(value):
        return MISSING_LABEL
    if isinstance(value, datetime):
        return local_time(value)[:10]
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return local_time(text)[:10] if _ISO_TIME.match(text) else text[:10] if re.match(r"^\d{4}-\d\d-\d\d", text) else text


def number(value: object, decimals: int = 2) -> str:
    """A number with thousands separators and at most ``decimals`` decimals (trailing zeros dropped, so a whole
    number has no ``.0``); a gap as ``—``; anything else as text."""
    if is_missing(value):
        return MISSING_LABEL
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        text = f"{float(value):,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def count(value: object) -> str:
    """A count (households, people, villages) as a whole number with thousands separators (``6,875``, never
    ``6875.0``); a gap as ``—``."""
    if is_missing(value):
        return MISSING_LABEL
    return f"{int(round(float(value))):,}"  # type: ignore[arg-type]


def yes_no(value: object, lang: str = "zh") -> str:
    """是/否 (Yes/No); a gap as ``—``."""
    return YES_NO.label(value, lang)


def is_timestamp(s: pd.Series) -> bool:
    """Whether a column holds moments (a datetime dtype, or ISO 8601 text with a time of day)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    if s.dtype != object and not pd.api.types.is_string_dtype(s):
        return False
    present = [v for v in s.tolist() if not is_missing(v)]
    return bool(present) and all(isinstance(v, (str, datetime)) and (isinstance(v, datetime) or bool(_ISO_TIME.match(v)))
                                 for v in present)


def _is_bool_column(s: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(s):
        return True
    if s.dtype != object:
        return False
    present = [v for v in s.tolist() if not is_missing(v)]
    return bool(present) and all(isinstance(v, (bool, np.bool_)) for v in present)


def readable(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A copy of a table as people read it, on a page or in a download: yes/no columns as 是/否, moments as local
    ``YYYY-MM-DD HH:MM``, whole-number float columns as integers (no ``.0``), and a numeric column with gaps as text
    (thousands separators, ``—`` for the gaps: never ``None``/``nan``). Numeric columns without gaps stay numbers
    (sortable; the page shows them with separators), text gaps become ``—``."""
    out = pd.DataFrame(df).copy()
    for c in out.columns:
        s = out[c]
        if c == "geometry":
            continue
        if _is_bool_column(s):
            out[c] = s.map(lambda v: yes_no(v, lang)).astype(object)
        elif is_timestamp(s):
            out[c] = s.map(local_time).astype(object)
        elif pd.api.types.is_numeric_dtype(s):
            values = s.astype(float)
            finite = values[np.isfinite(values)]
            whole = bool(len(finite)) and bool((finite % 1 == 0).all()) and bool((finite.abs() < 2**53).all())
            if values.isna().any():
                out[c] = values.map(lambda v, w=whole: count(v) if w else number(v)).astype(object)
            elif whole and pd.api.types.is_float_dtype(s):
                out[c] = values.astype("int64")
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            out[c] = s.map(lambda v: MISSING_LABEL if is_missing(v) else v).astype(object)
    return out
