"""One store interface, two implementations: a workspace is a GeoPackage file or a PostGIS schema.

A workspace *location* is a path (``workspace.gpkg``) or a ``postgresql://…?schema=<name>`` URL
(:mod:`bangfu.workspace.pgconnect`). Every public function of :mod:`bangfu.workspace.store` takes a location and
hands it to the implementation :func:`backend_for` picks from the one table :data:`BACKENDS`:

* :class:`bangfu.workspace.store.GeoPackageStore` — the file store (SQLite transactions, a writer lock file,
  backups beside the file);
* :class:`bangfu.workspace.postgis.PostgisStore` — one PostgreSQL schema per workspace (row locks, advisory
  locks, the audit rows in the schema's ``bangfu_audit``).

Both implement :class:`Store`; callers never branch on the kind of workspace. See ``docs/architecture.md``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager

import pandas as pd

__all__ = ["Location", "Store", "BACKENDS", "backend_for", "is_database", "location_name"]

#: A workspace location: a GeoPackage path, or a ``postgresql://`` URL naming a schema.
Location = Path | str


@runtime_checkable
class Store(Protocol):
    """What every workspace store does (the public functions of :mod:`bangfu.workspace.store` dispatch here)."""

    kind: str  #: "gpkg" or "postgis"

    def read_layer(self, location: Location, name: str, *, bbox: tuple[float, float, float, float] | None = None,
                   where: str | None = None) -> pd.DataFrame: ...

    def read_candidates(self, location: Location, name: str, *, bbox: tuple[float, float, float, float] | None,
                        code_prefix: str | None) -> pd.DataFrame: ...

    def read_rows(self, location: Location, name: str, columns: Sequence[str], *,
                  key: str | None = None) -> list[tuple[Any, ...]]: ...

    def count_rows(self, location: Location, names: Sequence[str]) -> dict[str, int]: ...

    def list_layers(self, location: Location) -> list[str]: ...

    def read_meta(self, location: Location) -> dict[str, str]: ...

    def workspace_version(self, location: Location) -> str: ...

    def content_tokens(self, location: Location) -> dict[str, str]: ...

    def check_workspace_file(self, location: Location, *, integrity: bool = True) -> None: ...

    def open_workspace(self, location: Location) -> Any: ...

    def transaction(self, location: Location, *, user: Any = None, action: str = "edit", target: str = "",
                    details: dict[str, Any] | None = None, permission: str | None = None,
                    town_code: str | None = None, office: bool = False) -> AbstractContextManager[Any]: ...

    def replace_layers(self, location: Location, layers: Mapping[str, pd.DataFrame], *, user: Any,
                       base_version: int | None = None, depends: Iterable[str] = (), action: str = "import",
                       target: str = "", details: Mapping[str, Any] | None = None) -> int: ...

    def write_workspace(self, location: Location, layers: Mapping[str, pd.DataFrame], *,
                        meta: Mapping[str, str] | None = None) -> None: ...

    def list_backups(self, location: Location) -> list[Any]: ...

    def make_backup(self, location: Location, *, user: Any, reason: str = "backup", target: str = "") -> Any: ...

    def restore_backup(self, location: Location, *, user: Any, backup: str | None = None,
                       expected_version: int | None = None) -> Any: ...


def is_database(location: Location) -> bool:
    """Whether ``location`` is a database URL (``postgresql://`` or ``postgres://``) rather than a file path."""
    from bangfu.workspace import pgconnect

    return pgconnect.is_database(location)


def _load(spec: str) -> Store:
    module, _, attr = spec.partition(":")
    backend = getattr(importlib.import_module(module), attr)
    assert isinstance(backend, Store)
    return backend


#: Which implementation serves a location: the first whose test accepts it (loaded on first use, so the
#: GeoPackage store never imports the database driver).
BACKENDS: tuple[tuple[Callable[[Location], bool], str], ...] = (
    (is_database, "bangfu.workspace.postgis:STORE"),
    (lambda _location: True, "bangfu.workspace.store:GPKG"),
)


def backend_for(location: Location) -> Store:
    """The store implementation of a workspace location (:data:`BACKENDS`)."""
    for accepts, spec in BACKENDS:
        if accepts(location):
            return _load(spec)
    raise AssertionError("the last entry of BACKENDS accepts every location")


def location_name(location: Location) -> str:
    """How a workspace is named in the audit trail and messages: the file name, or the URL without its password
    (``postgresql://user@host:5432/db?schema=kaiping``)."""
    if is_database(location):
        from bangfu.workspace import pgconnect

        return pgconnect.parse(str(location)).display()
    return Path(location).name
