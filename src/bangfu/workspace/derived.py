"""Aggregate tables derived from a workspace, computed once per content and stored beside it (``.<name>.derived``).

A province holds 3 million household points and 58,000 roads; the pages at province, city and county level need
only sums of them: households per village, road km per village, households within reach of each project. Those
sums are the tables of :data:`DERIVED`, stored the way the validation is (:mod:`bangfu.workspace.checked`):

* each table is kept in a small SQLite file beside the workspace (``.<name>.derived``) under a key made of the
  content tokens (:func:`bangfu.workspace.store.content_tokens`) of the layers it is computed from
  (:attr:`Derived.depends`), so it is computed once per content — not per session, not per area — and a write
  recomputes only the tables of the layers it wrote (an edit of a road: the road tables, not the household ones);
* the tables hold aggregates only (counts and sums per village, per project, per group of households served by the
  same projects): no household id or row, so they may sit in caches every session shares;
* a table is a few DataFrames (its parts), stored as Parquet.

The computations live with their topic and are named ``"module:function"`` in :data:`DERIVED` (as the briefing's
sections name theirs, :mod:`bangfu.briefing.sources`): a compute function takes a reader of workspace layers and
returns ``{part: DataFrame}``. They are imported when a table is first computed, so this module (layer 2) does
not import the indicators and planning packages it names. ``python -m bangfu derive --workspace PATH`` computes
every table (after an import); the app computes a missing one on first use, with a progress bar.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from bangfu.core.errors import BangfuError
from bangfu.workspace import store

__all__ = ["Derived", "DERIVED", "Reader", "Progress", "DeriveReport", "sidecar_path", "table_key", "stored_table", "is_stored",
           "table", "derive", "get_derived", "STORED_LEVELS", "uses_stored", "PREFIX"]

#: Reads one layer of the workspace (default :func:`bangfu.workspace.store.read_layer`).
Reader = Callable[[str], pd.DataFrame]
#: Called with (share done, table name).
Progress = Callable[[float, str], object]
Parts = dict[str, pd.DataFrame]

#: Levels whose pages read the stored tables instead of the layers' rows (road pieces, households): a county or a
#: town is small enough to compute from its own rows (and shows road pieces, networks and maps of them).
STORED_LEVELS: tuple[str, ...] = ("province", "city")
#: A loader name ``"derived:<table>"`` stands for a stored table (the briefing's sources name them so).
PREFIX = "derived:"


def uses_stored(level: str) -> bool:
    """Whether pages at area level ``level`` read the stored tables (:data:`STORED_LEVELS`)."""
    return level in STORED_LEVELS


#: How many stored versions of one table are kept.
KEEP_PER_TABLE = 3


@dataclass(frozen=True)
class Derived:
    """A derived table: its name, the layers it is computed from and its compute function ``"module:function"``
    (``fn(read) -> {part: DataFrame}``)."""

    name: str
    depends: tuple[str, ...]
    target: str
    doc: str = ""

    def compute(self, read: Reader) -> Parts:
        module, _, attr = self.target.partition(":")
        fn = getattr(importlib.import_module(module), attr)
        parts = fn(read)
        return {str(k): pd.DataFrame(v) for k, v in parts.items()}


#: Every derived table (docs/benchmarks.md "Aggregate once"; what each holds: its compute function's docstring).
DERIVED: tuple[Derived, ...] = (
    Derived("village_households", ("households", "villages"), "bangfu.indicators.stored:village_households",
            "households per village (where they lie): all, poor, key, people, by poverty cause"),
    Derived("village_roads", ("roads", "villages"), "bangfu.indicators.stored:village_roads",
            "road km per village by status, class and year completed (the road pieces' sums)"),
    Derived("village_access", ("households", "villages", "roads"), "bangfu.indicators.stored:village_access",
            "households and poor households within 2 km of a hardened road (and if those being built were done)"),
    Derived("village_tourism", ("households", "villages", "tourism_sites"), "bangfu.indicators.stored:village_tourism",
            "households and poor households within 3 km of a tourism site"),
    Derived("village_connection", ("roads", "villages", "seats"), "bangfu.indicators.stored:village_connection",
            "通硬化路 per village at the default walking limit"),
    Derived("catchments_straight", ("projects", "households", "villages"), "bangfu.planning.stored:catchments_straight",
            "each candidate project's households within its default service distance (straight line), "
            "households merged into groups served by the same projects"),
    Derived("catchments_network", ("projects", "households", "villages", "roads"),
            "bangfu.planning.stored:catchments_network",
            "the same along roads (default distances)"),
    Derived("portfolio_straight", ("projects", "households", "villages"), "bangfu.planning.stored:portfolio_straight",
            "the exact portfolio of the whole workspace at the planning page's default options, from the stored "
            "catchments_straight (a compute function reads another stored table as the layer \"derived:<name>\")"),
)


def get_derived(name: str) -> Derived:
    """The derived table ``name``; the error lists the known ones."""
    for d in DERIVED:
        if d.name == name:
            return d
    raise KeyError(f"no derived table {name!r}; known: {', '.join(d.name for d in DERIVED)}")


def sidecar_path(path: Path | str) -> Path:
    """Where the derived tables of workspace ``path`` live: ``.<file name>.derived`` beside it (for a database
    workspace in the data folder, named after the server and schema: :func:`store.side_file`)."""
    return store.side_file(path, ".derived")


def table_key(spec: Derived, tokens: Mapping[str, str]) -> str:
    """The key a table is stored under: the content tokens of the layers it is computed from."""
    return "|".join(f"{d}={tokens.get(d, '')}" for d in spec.depends)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS derived (
    name TEXT NOT NULL, key TEXT NOT NULL, part TEXT NOT NULL, data BLOB NOT NULL, stored INTEGER NOT NULL,
    seconds REAL NOT NULL, PRIMARY KEY (name, key, part)
)
"""


def _sidecar(path: Path | str, *, write: bool) -> contextlib.AbstractContextManager[sqlite3.Connection]:
    return store.side_database(path, ".derived", write=write, schema=_SCHEMA, timeout=30)


def _to_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.reset_index(drop=True).to_parquet(buf, index=False)
    return buf.getvalue()


def _stored_rows(path: Path | str, name: str, tokens: Mapping[str, str] | None, columns: str,
                 limit: str = "") -> list[tuple] | None:
    """Rows (``columns``) of table ``name`` stored for the workspace's current content; None when there is no
    side file or it cannot be read."""
    if not sidecar_path(path).exists():
        return None
    key = table_key(get_derived(name), tokens if tokens is not None else store.content_tokens(path))
    try:
        with _sidecar(path, write=False) as con:
            return con.execute(f"SELECT {columns} FROM derived WHERE name = ? AND key = ?{limit}", (name, key)).fetchall()
    except sqlite3.Error:
        return None  # an unreadable or foreign file: compute again


def is_stored(path: Path | str, name: str, tokens: Mapping[str, str] | None = None) -> bool:
    """Whether table ``name`` is stored for the workspace's current content, without reading it."""
    return bool(_stored_rows(path, name, tokens, "1", " LIMIT 1"))


def stored_table(path: Path | str, name: str, tokens: Mapping[str, str] | None = None) -> Parts | None:
    """The stored parts of table ``name`` for the workspace's current content, or None when not stored."""
    rows = _stored_rows(path, name, tokens, "part, data")
    if not rows:
        return None
    return {str(part): pd.read_parquet(io.BytesIO(data)) for part, data in rows}


def _store(path: Path | str, name: str, key: str, parts: Parts, seconds: float) -> bool:
    try:
        with _sidecar(path, write=True) as con, con:
            stored = con.execute("SELECT coalesce(max(stored), 0) + 1 FROM derived").fetchone()[0]
            con.execute("DELETE FROM derived WHERE name = ? AND key = ?", (name, key))
            for part, df in parts.items():
                con.execute("INSERT INTO derived (name, key, part, data, stored, seconds) VALUES (?, ?, ?, ?, ?, ?)",
                            (name, key, part, _to_bytes(df), stored, seconds))
            con.execute("DELETE FROM derived WHERE name = ? AND stored NOT IN (SELECT DISTINCT stored FROM derived "
                        "WHERE name = ? ORDER BY stored DESC LIMIT ?)", (name, name, KEEP_PER_TABLE))
    except (sqlite3.Error, OSError):
        return False  # a read-only folder: the table is simply not kept
    return True


def _reader(path: Path | str, read: Reader | None) -> Reader:
    present = set(store.list_layers(path))
    memo: dict[str, pd.DataFrame] = {}

    def load(name: str) -> pd.DataFrame:
        if name.startswith(PREFIX):  # another stored table (its parts), stored or computed now
            return table(path, name[len(PREFIX):], read=read)  # its parts, not a layer
        if name not in memo:
            if read is not None:
                memo[name] = read(name)
            else:
                memo[name] = store.read_layer(path, name) if name in present else store.empty_layer(name)
        return memo[name]

    return load


def table(path: Path | str, name: str, *, read: Reader | None = None) -> Parts:
    """Table ``name`` of workspace ``path``: the stored one when its layers did not change, else computed now (from
    ``read``, default the file) and stored (unless the file changed while it was computed)."""
    p = path  # a GeoPackage path or a postgresql:// URL (the store reads either)
    tokens = store.content_tokens(p)
    found = stored_table(p, name, tokens)
    if found is not None:
        return found
    spec = get_derived(name)
    start = time.perf_counter()
    parts = spec.compute(_reader(p, read))
    if store.content_tokens(p) == tokens:
        _store(p, name, table_key(spec, tokens), parts, time.perf_counter() - start)
    return parts


@dataclass
class DeriveReport:
    """What :func:`derive` did: the tables computed now (with seconds) and those reused."""

    computed: dict[str, float] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, BangfuError] = field(default_factory=dict)


def derive(path: Path | str, names: Iterable[str] | None = None, *, read: Reader | None = None,
           progress: Progress | None = None) -> DeriveReport:
    """Compute and store every derived table (or ``names``) whose layers changed since it was stored; the layers
    are read once for all tables."""
    p = path  # a GeoPackage path or a postgresql:// URL (the store reads either)
    specs = [get_derived(n) for n in names] if names is not None else list(DERIVED)
    tokens = store.content_tokens(p)
    load = _reader(p, read)
    report = DeriveReport()
    for i, spec in enumerate(specs):
        if progress is not None:
            progress(i / max(len(specs), 1), spec.name)
        if is_stored(p, spec.name, tokens):
            report.reused.append(spec.name)
            continue
        start = time.perf_counter()
        try:
            parts = spec.compute(load)
        except BangfuError as exc:  # e.g. projects without a cost: the pages say so when they need the table
            report.failed[spec.name] = exc
            continue
        seconds = time.perf_counter() - start
        if store.content_tokens(p) == tokens:
            _store(p, spec.name, table_key(spec, tokens), parts, seconds)
        report.computed[spec.name] = seconds
    if progress is not None:
        progress(1.0, "")
    return report
