"""The audit trail: every write, by whom and when, in an append-only table of the office database.

The office database is ``office.sqlite`` in the workspace folder (accounts and sessions live there too), never a
layer of the workspace: a restore or an import cannot rewrite it, and no page or command can edit or import it
(triggers refuse ``UPDATE`` and ``DELETE``). A write to the workspace records its audit row in the same SQLite
transaction: :func:`attach` attaches the office database to the workspace connection (both files use a rollback
journal, so SQLite commits them atomically).

Times are stored as ISO 8601 in China Standard Time (Asia/Shanghai, ``+08:00``), the time users read.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any
from collections.abc import Iterator, Mapping

import pandas as pd

from bangfu.core import formats
from bangfu.workspace.access import Principal, require

__all__ = [
    "OFFICE_DB", "CHINA_TZ", "office_db", "connect", "attach", "row", "record", "record_workspace", "entries", "actors", "now", "ensure_schema",
]

OFFICE_DB = "office.sqlite"
CHINA_TZ = formats.CHINA_TZ

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {db}audit (
    audit_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    workspace TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS {db}audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS {db}audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


def now() -> str:
    """The current time in China Standard Time, ISO 8601 with seconds."""
    return datetime.now(CHINA_TZ).isoformat(timespec="seconds")


#: The folder of an office folder that holds its further workspaces (:mod:`bangfu.workspace.catalog`).
WORKSPACES_DIR = "workspaces"


def office_db(folder: Path | str) -> Path:
    """The office database of a workspace folder, or of a workspace file: the folder holding it, and for a
    further workspace ``<office>/workspaces/<name>.gpkg`` the office folder above (one audit trail, one set of
    accounts for every workspace of the office)."""
    from bangfu.workspace.backend import is_database

    if is_database(folder):  # a database workspace: the office database of the default data folder
        from bangfu.workspace.store import default_workspace_dir

        return default_workspace_dir() / OFFICE_DB
    p = Path(folder)
    if p.suffix == ".gpkg":
        p = p.parent.parent if p.parent.name == WORKSPACES_DIR and p.name != "workspace.gpkg" else p.parent
    return p / OFFICE_DB


def ensure_schema(con: sqlite3.Connection, schema: str = "main") -> None:
    """Create the audit table and its append-only triggers in ``schema`` if they are missing."""
    prefix = "" if schema == "main" else f"{schema}."
    con.executescript(_SCHEMA.format(db=prefix))


@contextlib.contextmanager
def connect(folder: Path | str) -> Iterator[sqlite3.Connection]:
    """A connection to the office database (created on first use), committed on success."""
    path = office_db(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=60)
    try:
        con.execute("PRAGMA journal_mode=DELETE")
        ensure_schema(con)
        yield con
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()


def attach(con: sqlite3.Connection, folder: Path | str) -> None:
    """Attach the office database to ``con`` as ``office`` (before the write transaction starts), so that
    :func:`record` with ``con=`` writes the audit row in the same transaction as the workspace change."""
    path = office_db(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(folder):  # creates the file and the table outside the caller's transaction
        pass
    con.execute("ATTACH DATABASE ? AS office", (str(path),))


def row(user: Principal, action: str, workspace: str, target: str, details: Mapping[str, Any] | None) -> tuple:
    """The values of one audit row (the columns of :data:`_INSERT`), for either kind of workspace."""
    return (now(), user.username, user.name, user.role, action, workspace, target,
            json.dumps(dict(details or {}), ensure_ascii=False, default=str, sort_keys=True))


_INSERT = ("INSERT INTO {db}audit (at, username, display_name, role, action, workspace, target, details) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def record(folder: Path | str, user: Principal, action: str, target: str = "", details: Mapping[str, Any] | None = None,
           *, workspace: str = "", con: sqlite3.Connection | Any | None = None, schema: str = "office") -> None:
    """Append one audit row: ``user`` did ``action`` (an :data:`bangfu.core.vocab.AUDIT_ACTION` code) on ``target``.

    With ``con`` (a workspace connection prepared by :func:`attach`), the row is part of that connection's open
    transaction and commits or rolls back with the change it describes. A connection to the office database
    itself (:func:`connect`, e.g. an account change in :mod:`bangfu.workspace.accounts`) passes ``schema="main"``.
    """
    values = row(user, action, workspace, target, details)
    if con is not None:
        if hasattr(con, "record_audit"):  # a database workspace: the row goes to its own bangfu_audit
            con.record_audit(values)
            return
        if schema not in ("office", "main"):
            raise ValueError(f"schema must be 'office' or 'main', not {schema!r}")
        con.execute(_INSERT.format(db=f"{schema}."), values)
        return
    with connect(folder) as own:
        own.execute(_INSERT.format(db=""), values)


def record_workspace(location: Path | str, user: Principal, action: str, target: str = "",
                     details: Mapping[str, Any] | None = None, *, con: Any = None) -> None:
    """Append the audit row of something done to workspace ``location``: a GeoPackage's goes to the office database
    of its folder, a database workspace's to the ``bangfu_audit`` table of its schema (with ``con``, in that
    write transaction)."""
    from bangfu.workspace.backend import is_database, location_name

    if is_database(location):
        values = row(user, action, location_name(location), target, details)
        if con is not None:
            con.record_audit(values)
            return
        from bangfu.workspace import postgis

        postgis.record_audit(str(location), values)
        return
    record(Path(location).parent, user, action, target, details, workspace=location_name(location), con=con)


def entries(folder: Path | str, *, user: Principal, username: str | None = None, action: str | None = None,
            since: str | None = None, until: str | None = None, limit: int = 1000) -> pd.DataFrame:
    """The newest audit rows first, filtered by account, action and time (ISO dates or datetimes, inclusive);
    only for roles allowed to view the audit trail."""
    require(user, "view_audit")
    clauses, args = [], []
    if username:
        clauses.append("username = ?")
        args.append(username)
    if action:
        clauses.append("action = ?")
        args.append(action)
    if since:
        clauses.append("at >= ?")
        args.append(since)
    if until:
        clauses.append("at <= ?")
        args.append(until + ("T23:59:59+08:00" if len(until) == 10 else ""))
    from bangfu.workspace.backend import is_database

    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with connect(office_db(folder).parent) as con:
        frame = pd.read_sql_query(
            f"SELECT audit_id, at, username, display_name, role, action, workspace, target, details FROM audit "
            f"{where} ORDER BY audit_id DESC LIMIT ?", con, params=[*args, int(limit)],
        )
    if is_database(folder):  # a database workspace: its own rows (its schema's bangfu_audit) and the office's
        from bangfu.workspace import postgis

        own = postgis.audit_entries(str(folder), clauses=clauses, args=args, limit=limit)
        frame = own if frame.empty else pd.concat([own, frame], ignore_index=True)
        frame = frame.sort_values("at", ascending=False, kind="stable").head(int(limit)).reset_index(drop=True)
    return frame


def actors(folder: Path | str, *, user: Principal) -> list[str]:
    """Every account name that appears in the audit trail, sorted (for the audit page's filter); only for roles
    allowed to view the audit trail."""
    require(user, "view_audit")
    from bangfu.workspace.backend import is_database

    if is_database(folder):
        return sorted(set(entries(folder, user=user, limit=1_000_000)["username"]))
    if not office_db(folder).exists():
        return []
    with connect(folder) as con:
        return [r[0] for r in con.execute("SELECT DISTINCT username FROM audit ORDER BY username")]
