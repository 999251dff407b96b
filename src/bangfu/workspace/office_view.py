"""The office database as tables people read: the audit trail in local time and the accounts, labelled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pandas as pd

from bangfu.core import formats, vocab
from bangfu.core.labels import t
from bangfu.workspace import access, audit
from bangfu.workspace.accounts import Account

__all__ = ["AUDIT_COLUMNS", "USER_COLUMNS", "local_time", "audit_table", "users_table", "default_dates"]

#: The audit trail's columns as the audit page shows them, in order (headers: ``audit.col.<column>``).
AUDIT_COLUMNS = ("at", "username", "display_name", "role", "action", "target", "details")
#: The account table's columns (headers: ``users.col.<column>``).
USER_COLUMNS = ("username", "display_name", "role", "towns", "email", "status", "created_at", "changed_at")


def local_time(at: str) -> str:
    """An ISO 8601 time with any offset as China Standard Time (Asia/Shanghai), ``YYYY-MM-DD HH:MM:SS``;
    text that is not a time is returned unchanged."""
    return formats.local_time(at, seconds=True)


def _role_label(key: str, lang: str) -> str:
    spec = access.ROLES.get(key)
    return spec.label(lang) if spec else key


def audit_table(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Rows of :func:`bangfu.workspace.audit.entries` for reading: local times, role and action labels, headers
    in ``lang``. Values stay text (the page shows them with ``st.dataframe``, never as Markdown)."""
    out = pd.DataFrame({c: frame[c] if c in frame.columns else pd.Series(dtype=object) for c in AUDIT_COLUMNS})
    out["at"] = out["at"].map(local_time)
    out["role"] = out["role"].map(lambda r: _role_label(str(r), lang))
    out["action"] = out["action"].map(lambda a: vocab.AUDIT_ACTION.label(a, lang))
    return out.rename(columns={c: t(f"audit.col.{c}", lang) for c in AUDIT_COLUMNS}).reset_index(drop=True)


def users_table(users: Sequence[Account], lang: str = "zh") -> pd.DataFrame:
    """The accounts (:func:`bangfu.workspace.accounts.list_users`) as a labelled table (never a password hash)."""
    rows = [{
        "username": u.username, "display_name": u.display_name, "role": _role_label(u.role, lang),
        "towns": ",".join(u.towns), "email": u.email,
        "status": t("users.disabled" if u.disabled else "users.active", lang),
        "created_at": local_time(u.created_at), "changed_at": local_time(u.changed_at),
    } for u in users]
    frame = pd.DataFrame(rows, columns=list(USER_COLUMNS))
    return frame.rename(columns={c: t(f"users.col.{c}", lang) for c in USER_COLUMNS})


def default_dates(today: date | None = None, days: int = 30) -> tuple[date, date]:
    """The audit page's default date range: the last ``days`` days up to today (China time)."""
    end = today or datetime.now(audit.CHINA_TZ).date()
    return end - timedelta(days=days - 1), end
