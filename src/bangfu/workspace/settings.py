"""Office settings an administrator changes in the app: kept in the office database, one row per setting.

Today these are the upload limits of :data:`bangfu.ingest.guard.LIMIT_TABLE` (a province's household file is
larger than the default 200 MB): a stored value overrides the default and its environment variable for every
upload of the office (page and command line). Values are numbers in the limit's unit (MB for sizes). Changing one
needs the ``import`` permission (administrators) and writes an audit row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from bangfu.core.errors import BangfuError
from bangfu.workspace import audit
from bangfu.workspace.access import Principal, require

_SCHEMA = "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, changed_at TEXT, changed_by TEXT)"
#: Key prefix of an upload limit (``limit:max_bytes`` …, in the limit's unit).
LIMIT_PREFIX = "limit:"


class SettingError(BangfuError):
    """A setting value that cannot be used (Chinese message)."""


def read_settings(folder: Path | str) -> dict[str, str]:
    """Every stored setting of the office (empty when the office database has none)."""
    path = audit.office_db(folder)
    if not path.exists():
        return {}
    with audit.connect(folder) as con:
        con.execute(_SCHEMA)
        return {str(k): str(v) for k, v in con.execute("SELECT key, value FROM settings")}


def limit_overrides(folder: Path | str) -> dict[str, float]:
    """The upload limits an administrator stored: field → value in the limit's unit (positive numbers only)."""
    out: dict[str, float] = {}
    for key, value in read_settings(folder).items():
        if not key.startswith(LIMIT_PREFIX):
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        if 0 < number < math.inf:
            out[key[len(LIMIT_PREFIX):]] = number
    return out


def set_limit(folder: Path | str, user: Principal, field: str, value: float, *, known: Mapping[str, str]) -> None:
    """Store upload limit ``field`` (one of ``known``: field → its Chinese name) as ``value`` (in its unit); admin
    only (``import``), audited."""
    require(user, "import", what="上传限制")
    if field not in known:
        raise SettingError(f"没有这个设置：{field}", f"unknown setting {field!r}")
    if not (0 < float(value) < math.inf):
        raise SettingError(f"「{known[field]}」必须是正数。", f"{field} must be a positive number",
                           hint_zh="输入大于 0 的数值。", hint_en="Enter a number above 0.")
    with audit.connect(folder) as con:
        con.execute(_SCHEMA)
        con.execute("INSERT OR REPLACE INTO settings (key, value, changed_at, changed_by) VALUES (?, ?, ?, ?)",
                    (f"{LIMIT_PREFIX}{field}", repr(float(value)), audit.now(), user.username))
        audit.record(folder, user, "settings", field, {"value": float(value)}, con=con, schema="main")
