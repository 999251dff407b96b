"""A workspace's validation, stored beside it per layer and reused until the layer (or one it refers to) changes.

Opening a workspace validates it (:func:`bangfu.workspace.validate.validate_workspace`). On a province (3 million
households) that is a minute of reading and checking, so it is done once per content, not once per open:

* every layer's report is stored in a small SQLite file beside the workspace (``.<name>.checks``), keyed by the
  content tokens (:func:`bangfu.workspace.store.content_tokens`) of the layer and of the layers its checks read
  (:func:`depends_on`: the layers it refers to, the villages its points must lie in);
* a write of this app (an edit, an import, a restore of a layer backup) replaces the tokens of the layers it wrote,
  so only those layers and the layers that depend on them are checked again;
* a change by another program (QGIS, ``sqlite3``, a file copied over the workspace) changes SQLite's file change
  counter without our write mark, so every layer is checked again.

The file is beside the workspace, not inside it: writing into the GeoPackage would change the file (and the
version token every cache is keyed by, :func:`bangfu.workspace.store.workspace_version`) on every open, and would
need write access and the writer lock just to open. When it cannot be written (a read-only folder) the
validation is simply not kept. See docs/writes.md, "验证结果的缓存".
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bangfu.workspace import store
from bangfu.workspace.backend import is_database
from bangfu.workspace.schema import LAYERS, get_layer
from bangfu.workspace.validate import EXTRA_DEPENDS, Problem, Report, validate_layer

#: How many stored reports of one layer are kept (older ones are removed when a new one is stored).
KEEP_PER_LAYER = 4

Reader = Callable[[str], pd.DataFrame]


@dataclass(frozen=True)
class Checked:
    """The validation of a whole workspace: the report (layers in schema order), each layer's rows, and which
    layers were checked now and which came from the stored results."""

    report: Report
    rows: dict[str, int]
    checked: tuple[str, ...]
    reused: tuple[str, ...]


def sidecar_path(path: Path | str) -> Path:
    """Where the stored validation of workspace ``path`` lives: ``.<file name>.checks`` beside it (for a database
    workspace, ``.postgis-<host>-<port>-<db>-<schema>.checks`` in the data folder; :func:`store.side_file`)."""
    return store.side_file(path, ".checks")


def depends_on(name: str) -> tuple[str, ...]:
    """The layers the checks of layer ``name`` read (itself first): referenced layers and extra checks' layers."""
    layer = get_layer(name)
    refs = {c.ref.split(".")[0] for c in layer.columns if c.ref}
    others = sorted((refs | set(EXTRA_DEPENDS.get(name, ()))) - {name}, key=list(LAYERS).index)
    return (name, *others)


def layer_key(name: str, tokens: Mapping[str, str]) -> str:
    """The key a layer's report is stored under: the content tokens of the layers its checks read."""
    return "|".join(f"{d}={tokens.get(d, '')}" for d in depends_on(name))


_SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
    layer TEXT NOT NULL, key TEXT NOT NULL, rows INTEGER NOT NULL, report TEXT NOT NULL, stored INTEGER NOT NULL,
    PRIMARY KEY (layer, key)
)
"""


def _sidecar(path: Path | str, *, write: bool) -> contextlib.AbstractContextManager[sqlite3.Connection]:
    return store.side_database(path, ".checks", write=write, schema=_SCHEMA, timeout=10)


def _encode(report: Report) -> str:
    return json.dumps({"problems": [dataclasses.asdict(p) for p in report.problems], "truncated": report.truncated},
                      ensure_ascii=False)


def _decode(text: str) -> Report:
    data = json.loads(text)
    return Report([Problem(**p) for p in data["problems"]], dict(data["truncated"]))


def stored_reports(path: Path | str, keys: Mapping[str, str]) -> dict[str, tuple[Report, int]]:
    """The stored (report, rows) of each layer whose key in ``keys`` is stored; nothing when there is no file."""
    p = path
    if not sidecar_path(p).exists():
        return {}
    out: dict[str, tuple[Report, int]] = {}
    try:
        with _sidecar(p, write=False) as con:
            for name, key in keys.items():
                row = con.execute("SELECT report, rows FROM checks WHERE layer = ? AND key = ?", (name, key)).fetchone()
                if row is not None:
                    out[name] = (_decode(row[0]), int(row[1]))
    except (sqlite3.Error, ValueError, KeyError, TypeError):
        return {}  # an unreadable or foreign file: validate again
    return out


def store_reports(path: Path | str, results: Mapping[str, tuple[str, Report, int]]) -> bool:
    """Store ``{layer: (key, report, rows)}`` beside the workspace; False when that is not possible."""
    if not results:
        return True
    p = path
    try:
        with _sidecar(p, write=True) as con, con:
            for name, (key, report, rows) in results.items():
                con.execute("INSERT OR REPLACE INTO checks (layer, key, rows, report, stored) VALUES "
                            "(?, ?, ?, ?, (SELECT coalesce(max(stored), 0) + 1 FROM checks))",
                            (name, key, rows, _encode(report)))
                con.execute("DELETE FROM checks WHERE layer = ? AND stored NOT IN "
                            "(SELECT stored FROM checks WHERE layer = ? ORDER BY stored DESC LIMIT ?)",
                            (name, name, KEEP_PER_LAYER))
    except (sqlite3.Error, OSError):
        return False
    return True


def check_workspace(path: Path | str, *, file: str | None = None, read: Reader | None = None,
                    layers: Iterable[str] | None = None) -> Checked:
    """Validate workspace ``path``, reusing each layer's stored report when its key still holds.

    Only the layers whose key changed are read and checked (with the layers their checks need); their reports are
    stored for the next open. ``read`` reads one layer (default :func:`bangfu.workspace.store.read_layer`);
    ``layers``: the layers to include (default: every schema layer present in the file). The report equals
    :func:`bangfu.workspace.validate.validate_workspace` of the whole workspace.
    """
    p = path if is_database(path) else Path(path)
    present = set(store.list_layers(p))
    names = [n for n in (layers or LAYERS) if n in LAYERS and n in present]
    tokens = store.content_tokens(p)
    keys = {n: f"{file or ''}:{layer_key(n, tokens)}" for n in names}  # the report names the file it was given
    found = stored_reports(p, keys)
    todo = [n for n in names if n not in found]
    cache: dict[str, pd.DataFrame] = {}

    def load(n: str) -> pd.DataFrame:
        if n not in cache:
            cache[n] = (read or (lambda m: store.read_layer(p, m)))(n)
        return cache[n]

    fresh: dict[str, tuple[str, Report, int]] = {}
    memo: dict = {}
    for name in todo:
        context = {d: load(d) for d in depends_on(name) if d in present}
        report = validate_layer(name, context[name], layers=context, file=file, _memo=memo)
        fresh[name] = (keys[name], report, len(context[name]))
        # a layer no later layer needs is dropped at once (the households are the bulk of the memory)
        if not any(name in depends_on(m) for m in todo[todo.index(name) + 1:]):
            cache.pop(name, None)
    if fresh and store.content_tokens(p) == tokens:  # the file did not change while it was read
        store_reports(p, fresh)
    report = Report()
    rows: dict[str, int] = {}
    for name in names:
        layer_report, n = (fresh[name][1], fresh[name][2]) if name in fresh else found[name]
        report.extend(Report(list(layer_report.problems), dict(layer_report.truncated)))
        rows[name] = n
    return Checked(report, rows, tuple(todo), tuple(n for n in names if n in found))
