"""The workspaces of an office folder, side by side: the demo copy ``workspace.gpkg`` and ``workspaces/*.gpkg``.

One workspace per county or per year. Each is one GeoPackage with its own backups
(:func:`bangfu.workspace.store.backups_dir`); the shipped demo (:data:`bangfu.core.resources.DEMO_PATH`) is
only ever copied, never listed or written. Which workspaces a user may open is decided in one place,
:func:`visible_workspaces`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bangfu.core.text import safe_filename
from bangfu.workspace import store
from bangfu.workspace.audit import WORKSPACES_DIR
from bangfu.workspace.access import Principal

#: The key (``?ws=``) of the default workspace ``workspace.gpkg``.
DEFAULT_KEY = "default"


@dataclass(frozen=True)
class WorkspaceEntry:
    """One workspace of the office folder: its key in the URL (``?ws=``), its file and what its meta says."""

    key: str
    path: Path
    county_code: str = ""
    county_name: str = ""
    source: str = ""

    @property
    def is_default(self) -> bool:
        return self.key == DEFAULT_KEY

    def label(self, lang: str = "zh") -> str:
        """A one-line name for the picker: the county (and code) or the file name."""
        name = self.county_name or self.key
        code = f"（{self.county_code}）" if lang == "zh" else f" ({self.county_code})"
        return f"{name}{code if self.county_code and self.county_code not in name else ''} · {self.path.name}"


def _entry(key: str, path: Path) -> WorkspaceEntry:
    try:
        meta = store.read_meta(path)
    except sqlite3.Error:  # listed anyway: opening it shows what is wrong
        meta = {}
    return WorkspaceEntry(key, path, meta.get("county_code", ""), meta.get("county_name", ""), meta.get("source", ""))


def list_workspaces(folder: Path | str) -> list[WorkspaceEntry]:
    """The workspaces of the office ``folder``: ``workspace.gpkg`` first (if present), then
    ``workspaces/*.gpkg`` by file name. Temporary files and backups are not listed."""
    base = Path(folder)
    out = []
    default = base / store.WORKSPACE_FILE
    if default.is_file():
        out.append(_entry(DEFAULT_KEY, default))
    extra = base / WORKSPACES_DIR
    if extra.is_dir():
        out += [_entry(p.stem, p) for p in sorted(extra.glob("*.gpkg"), key=lambda p: p.stem)
                if p.is_file() and not p.name.startswith(".") and p.stem != DEFAULT_KEY]
    return out


def visible_workspaces(user: Principal | None, entries: Iterable[WorkspaceEntry]) -> list[WorkspaceEntry]:
    """The workspaces ``user`` may open: the one rule (today every signed-in user may open every workspace of
    the office folder; a per-workspace rule goes here)."""
    return list(entries)


def find(entries: Iterable[WorkspaceEntry], key: str | None) -> WorkspaceEntry | None:
    """The entry called ``key`` (None when there is none)."""
    return next((e for e in entries if e.key == key), None)


def new_workspace_path(folder: Path | str, county_code: str, name: str | None = None) -> Path:
    """Where a new workspace for ``county_code`` goes: ``workspaces/<code>[-<name>].gpkg``, the name made safe
    for a file name; a second one of the same name gets ``-2``, ``-3`` … (an existing file is never reused)."""
    stem = safe_filename(f"{county_code}-{name.strip()}" if name and name.strip() else county_code, limit=60)
    base = Path(folder) / WORKSPACES_DIR
    path, n = base / f"{stem}.gpkg", 2
    while path.exists():
        path, n = base / f"{stem}-{n}.gpkg", n + 1
    return path
