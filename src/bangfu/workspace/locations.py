"""Where a workspace is, as users give it: a GeoPackage path or a ``postgresql://`` URL (command line,
``BANGFU_WORKSPACE``, the sidebar), and the office's list of database workspaces.

Every entry point turns what it was given into a *location* with :func:`entry_location`: a path stays a
:class:`~pathlib.Path`; a URL is checked (:func:`bangfu.workspace.pgconnect.parse`) and becomes its display form
(``str``, no password), the password it carried being kept in this process only
(:func:`bangfu.workspace.pgconnect.remember_password`). So no location handed to the store, a cache key, the URL
(``?ws=``), a log or the audit trail ever holds a password.

The database workspaces an office offers in the sidebar are the one in ``BANGFU_WORKSPACE`` (if it is a URL) and
those an administrator added (:func:`add_database`), kept one display URL a line in ``databases.txt`` in the
office folder (never a password: that comes from the environment, ``.streamlit/secrets.toml`` or the password
field). See ``docs/postgis.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from bangfu.core import fileio
from bangfu.workspace import audit, pgconnect
from bangfu.workspace.access import Principal, require

__all__ = [
    "DATABASES_FILE", "DATABASE_PERMISSION", "WORKSPACE_ENV", "Location", "add_database", "configured_database",
    "database_workspaces", "entry_location", "is_database", "workspace_argument",
]

#: A workspace location: a GeoPackage path or a database URL without password.
Location = Path | str
WORKSPACE_ENV = "BANGFU_WORKSPACE"
#: The office folder's list of database workspaces (display URLs, one a line).
DATABASES_FILE = "databases.txt"
#: Who may add a database workspace for the whole office: administrators (the right that also decides what data
#: the office sees by restoring a backup or the demo).
DATABASE_PERMISSION = "restore"

is_database = pgconnect.is_database


def entry_location(given: str | Path) -> Location:
    """What the store gets for a location a user typed: a database URL in display form (checked, its password
    remembered in this process), anything else as a :class:`Path`. Raises
    :class:`~bangfu.workspace.errors.WorkspaceError` (Chinese) for a malformed URL."""
    if isinstance(given, str) and pgconnect.is_database(given):
        loc = pgconnect.parse(given)
        if loc.url_password:
            pgconnect.remember_password(loc, loc.url_password)
        return loc.display()
    return Path(given).expanduser()


def configured_database(environ: Mapping[str, str] | None = None) -> str | None:
    """The database workspace ``BANGFU_WORKSPACE`` names (display form), or None when it names a folder or is
    unset. A malformed URL raises the Chinese :class:`~bangfu.workspace.errors.WorkspaceError`."""
    env = (os.environ if environ is None else environ).get(WORKSPACE_ENV, "")
    if not pgconnect.is_database(env):
        return None
    return str(entry_location(env))


def _listed(folder: Path | str) -> list[str]:
    path = Path(folder) / DATABASES_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#") or not pgconnect.is_database(text):
            continue
        try:
            out.append(pgconnect.parse(text).display())
        except pgconnect.WorkspaceError:  # a line edited by hand into nonsense is passed over
            continue
    return out


def database_workspaces(folder: Path | str, environ: Mapping[str, str] | None = None) -> list[str]:
    """The office's database workspaces in display form: ``BANGFU_WORKSPACE``'s first, then ``databases.txt``'s
    in the order they were added, each once."""
    configured = configured_database(environ)
    out = [configured] if configured else []
    for url in _listed(folder):
        if url not in out:
            out.append(url)
    return out


def add_database(folder: Path | str, url: str, *, user: Principal) -> str:
    """Add a database workspace to the office's list (administrators only; audited) and return its display URL.

    The caller has connected to it first (:func:`bangfu.workspace.pgconnect.connect`); only the display form is
    written, never a password."""
    require(user, DATABASE_PERMISSION)
    shown = str(entry_location(url))
    listed = _listed(folder)
    if shown not in listed:
        text = "".join(f"{line}\n" for line in [*listed, shown])
        fileio.write_text(Path(folder) / DATABASES_FILE, text)
        audit.record(folder, user, "add_database", shown)
    return shown


def workspace_argument(arg: str | None) -> Location:
    """The workspace a command works on (``--workspace``, typed as ``str`` so a URL passes through unchanged):
    a database URL in display form, a GeoPackage file, or a folder's ``workspace.gpkg``; none given: the app's own
    workspace (:func:`bangfu.workspace.store.default_workspace`: the database ``BANGFU_WORKSPACE`` names, else the
    folder's file; the demo copied there on first use)."""
    from bangfu.workspace import store

    if arg:
        given = entry_location(arg)
        if isinstance(given, Path) and given.is_dir():
            return given / store.WORKSPACE_FILE
        return given
    return store.default_workspace()

