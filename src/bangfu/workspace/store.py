"""Workspace store: one GeoPackage per workspace; open, read, and write — one writer at a time, one transaction per write.

A workspace is a GeoPackage file holding the layers of :mod:`bangfu.workspace.schema` plus a small
``bangfu_meta`` table (key/value: ``version``, ``source``, ``layer_version:<layer>``, ``last_write_*``...).

Every write to a live workspace holds its writer lock (:mod:`bangfu.workspace.locking`) and is all-or-nothing:

* edits (a road's status, a pairing's end date) run inside :func:`transaction`, one SQLite transaction
  that also bumps the workspace version, marks the layers it wrote and writes the audit row;
* imports (:func:`replace_layers`) back the workspace up, then drop and recreate the imported layers in
  place in ONE SQLite transaction (no whole-file swap), after re-checking that nothing they would overwrite
  changed since the import was prepared;
* restores (:func:`restore_backup`, :func:`restore_demo`) back the current file up (or keep a corrupt one
  aside), then swap a checked copy in atomically.

Backups live in ``backups/`` beside the workspace, a rotating set (:func:`backups_to_keep`, at least 5), each
with its time (Asia/Shanghai), user and cause in its own ``bangfu_meta`` (:func:`list_backups`). Version
numbers only go up, also across restores. See ``docs/writes.md``.

The shipped demo (``geodata/kaiping_demo.gpkg``) is never written: :func:`ensure_workspace`
copies it to a writable workspace folder first.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import shutil
import sqlite3
import struct
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from bangfu.core import fileio, vocab
from bangfu.core.resources import DEMO_PATH
from bangfu.workspace import audit, locking
from bangfu.workspace.backend import backend_for, is_database
from bangfu.workspace.errors import RESTORE_HINT_EN, RESTORE_HINT_ZH, WorkspaceError  # noqa: F401 (re-exported)
from bangfu.workspace.access import Principal, require
from bangfu.workspace.schema import LAYERS, REQUIRED_LAYERS, Layer, get_layer
from bangfu.workspace.validate import parse_bool

WORKSPACE_FILE = "workspace.gpkg"
META_TABLE = "bangfu_meta"
FIXED_TIMESTAMP = "2026-01-01T00:00:00.000Z"
#: Meta key prefix: ``layer_version:<layer>`` is the workspace version that last wrote the layer.
LAYER_MARK = "layer_version:"
#: Meta key prefix: ``content:<layer>`` is a random token that every write of the layer replaces (what a stored
#: validation of the layer is keyed by, :mod:`bangfu.workspace.checked`).
CONTENT_MARK = "content:"
#: Meta keys of the write chain: the SQLite file change counter our last write left, and the file's fingerprint
#: before the first write of an unbroken chain of our writes (see :func:`content_tokens`).
WRITE_COUNTER = "write_counter"
WRITE_ORIGIN = "write_origin"
BACKUP_DIR = "backups"
#: How many backups to keep (``$BANGFU_BACKUPS_KEEP``); never fewer than MIN_BACKUPS.
KEEP_ENV = "BANGFU_BACKUPS_KEEP"
DEFAULT_BACKUPS = 10
MIN_BACKUPS = 5
#: Who creates a workspace from the demo on first use (recorded in the audit trail).
SYSTEM = Principal("system", "admin", display_name="系统（首次使用）", source="cli")


_P = ParamSpec("_P")
_R = TypeVar("_R")
#: The GeoPackage implementations of the dispatched functions (what :class:`GeoPackageStore` serves).
_GPKG_IMPL: dict[str, Callable[..., Any]] = {}


def _dispatch(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """A public store function taking a workspace location first: served by the store
    :func:`bangfu.workspace.backend.backend_for` picks for that location (this module's code for a GeoPackage)."""
    _GPKG_IMPL[fn.__name__] = fn

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        location = args[0] if args else next(iter(kwargs.values()))
        backend = backend_for(location)  # type: ignore[arg-type]
        if backend.kind == "gpkg":
            return fn(*args, **kwargs)
        return getattr(backend, fn.__name__)(*args, **kwargs)

    return wrapper


def default_workspace_dir() -> Path:
    """The writable workspace (office) folder: ``$BANGFU_WORKSPACE`` or ``~/.local/share/bangfu-atlas``.

    When ``$BANGFU_WORKSPACE`` is a database URL (:mod:`bangfu.workspace.locations`), the office folder (accounts,
    audit trail, settings) is ``$BANGFU_OFFICE`` or the default."""
    env = os.environ.get("BANGFU_WORKSPACE")
    if env and is_database(env):  # a database URL: the office folder is $BANGFU_OFFICE or the default data folder
        env = os.environ.get("BANGFU_OFFICE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bangfu-atlas"


def default_workspace() -> Path | str:
    """The app's own workspace, ready to open: ``$BANGFU_WORKSPACE`` when it is a ``postgresql://`` URL (the demo is
    copied into an empty schema on first use), else the workspace file of :func:`default_workspace_dir`."""
    from bangfu.workspace import locations  # the URL in display form, its password kept in this process only

    configured = locations.configured_database()
    if configured:
        return ensure_workspace(configured)
    return ensure_workspace(default_workspace_dir())


def office_folder(location: Path | str) -> Path:
    """The office folder of a workspace (accounts, audit of account changes, saved mappings, limits): the folder
    holding a GeoPackage, and for a database workspace the default data folder (:func:`default_workspace_dir`)."""
    if is_database(location):
        return default_workspace_dir()
    return Path(location).parent


def side_file(location: Path | str, suffix: str) -> Path:
    """A file kept beside a workspace (stored validation ``.checks``, aggregate tables ``.derived``):
    ``.<file name><suffix>`` beside a GeoPackage; for a database workspace ``.postgis-<host>-<port>-<db>-<schema>
    <suffix>`` in the data folder (:func:`office_folder`)."""
    if is_database(location):
        from bangfu.workspace import postgis

        return office_folder(location) / f".{postgis.local_name(str(location))}{suffix}"
    p = Path(location)
    return p.with_name(f".{p.name}{suffix}")


@contextlib.contextmanager
def side_database(location: Path | str, suffix: str, *, write: bool, schema: str,
                  timeout: float = 10) -> Iterator[sqlite3.Connection]:
    """An SQLite connection to a workspace's side file (:func:`side_file`): read-only unless ``write`` (then
    created if missing, with ``schema`` applied); closed on leaving. The caller commits (``with con:``)."""
    f = side_file(location, suffix)
    con = sqlite3.connect(f"file:{f}" + ("" if write else "?mode=ro"), uri=True, timeout=timeout)
    try:
        if write:
            con.execute(schema)
        yield con
    finally:
        con.close()


def ensure_workspace(folder: Path | str | None = None, *, demo: Path = DEMO_PATH) -> Path:
    """The workspace file in ``folder``, ready to open: copies the shipped demo there on first use.

    Also the start-up step of the app and the command line (:func:`startup`): a transaction a killed writer
    left half-done is rolled back and stale temporary files are removed.
    """
    if folder is not None and is_database(folder):  # a database workspace: the demo goes into an empty schema
        from bangfu.workspace import transfer

        if not list_layers(folder):
            transfer.copy_workspace(demo, str(folder))
        return folder  # type: ignore[return-value]  # a URL stays a string (Path would break it)
    folder = Path(folder) if folder is not None else default_workspace_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / WORKSPACE_FILE
    startup(path)
    if not path.exists():
        with locking.writer_lock(path):
            if not path.exists():
                _require_demo(demo)
                fileio.copy_file(demo, path)  # the first copy is the demo byte for byte
                audit.record(folder, SYSTEM, "new_workspace", "demo", {"source": demo.name}, workspace=path.name)
    return path


def startup(path: Path | str) -> list[Path]:
    """What opening a workspace does first: roll back a killed writer's half-done transaction, adopt a
    ``workspace.bak.gpkg`` of earlier versions into the backups folder, and remove stale temporary files
    (:func:`bangfu.workspace.locking.clean_stale_temps`). Does nothing while another writer is busy; returns the
    temporary files removed. Nothing to do for a database workspace (the server rolls back a lost transaction)."""
    if is_database(path):
        return []
    p = Path(path)
    if not p.parent.is_dir():
        return []
    try:
        with locking.writer_lock(p, wait=0):
            _adopt_legacy_backup(p)
            return locking.clean_stale_temps(p, folders=(backups_dir(p),))
    except (locking.WorkspaceBusy, PermissionError):  # busy, or a read-only folder: nothing to clean here
        return []


def _require_demo(demo: Path) -> None:
    if not demo.exists():
        raise WorkspaceError(
            f"找不到示例数据文件：{demo}", f"demo file not found: {demo}",
            hint_zh="运行 python -m bangfu.demo build 重新生成示例数据，或重新安装本应用。",
            hint_en="Run python -m bangfu.demo build to rebuild the demo, or reinstall the app.",
        )

# --------------------------------------------------------------------------- reading


@_dispatch
def workspace_version(path: Path | str) -> str:
    """A token that changes whenever the workspace changes (meta version + file identity)."""
    p = Path(path)
    st = p.stat()
    return f"{_meta_get(p, 'version', '0')}-{st.st_mtime_ns}-{st.st_size}-{st.st_ino}"


def header_counter(path: Path | str) -> int | None:
    """SQLite's file change counter (header bytes 24–27): every committed write transaction raises it by one, by
    whichever program writes. None for a file in WAL mode (where the counter is not kept) or too short to hold it."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError:
        return None
    if len(head) < 100 or head[18] == 2 or head[19] == 2:
        return None
    return int(struct.unpack(">I", head[24:28])[0])


def file_fingerprint(path: Path | str) -> str:
    """The file as it is now: change counter, size, modification time and inode (and a WAL file's size)."""
    p = Path(path)
    st = p.stat()
    wal = p.with_name(p.name + "-wal")
    extra = f":wal{wal.stat().st_size}" if wal.exists() else ""
    return f"file:{header_counter(p)}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}{extra}"


@_dispatch
def content_tokens(path: Path | str) -> dict[str, str]:
    """One token per schema layer that changes whenever the layer's content may have changed.

    When the last change of the file was a write of this app (the change counter is the one our last write left,
    :data:`WRITE_COUNTER`), a layer's token is its ``content:<layer>`` mark (replaced by every write of the layer),
    or — for a layer none of our writes touched — the file's fingerprint before that chain of writes began
    (:data:`WRITE_ORIGIN`). Otherwise another program changed the file (QGIS, a copy, ``sqlite3``): every layer's
    token is the file's current fingerprint, so everything is validated again."""
    p = Path(path)
    counter = header_counter(p)
    meta = read_meta(p)
    wal = p.with_name(p.name + "-wal")
    trusted = counter is not None and meta.get(WRITE_COUNTER) == str(counter) and not wal.exists()
    if not trusted or not meta.get(WRITE_ORIGIN):
        fp = file_fingerprint(p)
        return {name: fp for name in LAYERS}
    origin = meta[WRITE_ORIGIN]
    return {name: meta.get(f"{CONTENT_MARK}{name}") or origin for name in LAYERS}


def _chain_entries(path: Path, meta: Mapping[str, str]) -> dict[str, str]:
    """What a write records of the chain (call after ``BEGIN IMMEDIATE``, before anything is written): the change
    counter its commit will leave, and where the chain of our writes began."""
    counter = header_counter(path)
    if counter is None:
        return {WRITE_COUNTER: "", WRITE_ORIGIN: ""}
    if meta.get(WRITE_COUNTER) == str(counter) and meta.get(WRITE_ORIGIN):
        return {WRITE_COUNTER: str(counter + 1), WRITE_ORIGIN: meta[WRITE_ORIGIN]}
    # a new chain: another program may have changed any layer since the content marks were given, so every
    # layer starts again from the file as it is now (its fingerprint, under which its validation is stored)
    return {WRITE_COUNTER: str(counter + 1), WRITE_ORIGIN: file_fingerprint(path),
            **{f"{CONTENT_MARK}{n}": "" for n in LAYERS}}


def _connect_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def _meta_get(path: Path, key: str, default: str = "") -> str:
    try:
        with contextlib.closing(_connect_ro(path)) as con:
            row = con.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return default
    return str(row[0]) if row else default


@_dispatch
def read_meta(path: Path | str) -> dict[str, str]:
    """All ``bangfu_meta`` key/values of a workspace."""
    with contextlib.closing(_connect_ro(Path(path))) as con:
        try:
            return {k: v for k, v in con.execute(f"SELECT key, value FROM {META_TABLE}")}
        except sqlite3.Error:
            return {}


@_dispatch
def list_layers(path: Path | str) -> list[str]:
    """Names of the tables in a GeoPackage (spatial and attribute)."""
    return [str(name) for name, _ in pyogrio.list_layers(str(path))]


#: Workspace files whose integrity check passed, with the version token they had then.
_VERIFIED: dict[Path, str] = {}


@_dispatch
def check_workspace_file(path: Path | str, *, integrity: bool = True) -> None:
    """Raise :class:`WorkspaceError` (Chinese) if ``path`` is missing, not a GeoPackage or lacks layers.

    ``integrity`` adds SQLite's ``PRAGMA quick_check`` (about 0.1 s on the demo); it runs once per
    file version, so a page rerun or an edit on an unchanged, already checked file does not pay it.
    """
    p = Path(path)
    if not p.exists():
        raise WorkspaceError(f"工作空间文件不存在：{p.name}", f"workspace file missing: {p}")
    try:
        with open(p, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise WorkspaceError(f"无法读取工作空间文件：{exc}", f"cannot read workspace: {exc}") from exc
    if head != b"SQLite format 3\x00":
        raise WorkspaceError(
            f"工作空间文件已损坏或不是 GeoPackage：{p.name}", f"workspace is corrupt or not a GeoPackage: {p}"
        )
    token = workspace_version(p)
    deep = integrity and _VERIFIED.get(p.resolve()) != token
    try:
        with contextlib.closing(_connect_ro(p)) as con:
            ok = con.execute("PRAGMA quick_check").fetchone() if deep else ("ok",)
            tables = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
    except sqlite3.Error as exc:
        raise WorkspaceError(f"工作空间文件已损坏：{exc}", f"workspace is corrupt: {exc}") from exc
    if not ok or ok[0] != "ok":
        raise WorkspaceError("工作空间文件已损坏（数据库完整性检查失败）", "workspace failed the integrity check")
    if deep:
        _VERIFIED[p.resolve()] = token
    missing = [name for name in REQUIRED_LAYERS if name not in tables]
    if missing:
        zh = "、".join(get_layer(m).zh for m in missing)
        raise WorkspaceError(f"工作空间缺少必需的图层：{zh}", f"workspace lacks required layers: {', '.join(missing)}")


def _empty_frame(layer: Layer) -> pd.DataFrame:
    data = {c.name: pd.Series([], dtype=object).astype(_PANDAS_DTYPES[c.dtype]) for c in layer.columns}
    if layer.geometry is None:
        return pd.DataFrame(data)
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def empty_layer(name: str) -> pd.DataFrame:
    """An empty frame of layer ``name``: its columns in schema dtypes, plus an EPSG:4326 geometry if it has one."""
    return _empty_frame(get_layer(name))


_PANDAS_DTYPES = {
    "str": "object",
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
    "date": "object",
    "datetime": "object",
}


def coerce(layer: Layer | str, df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with the schema's columns in schema dtypes (missing optional columns added).

    Integers become nullable ``Int64``, booleans nullable ``boolean``, text columns Python
    strings (``None`` for missing). Unknown columns are kept after the schema columns.
    """
    layer = get_layer(layer) if isinstance(layer, str) else layer
    out = df.copy()
    for col in layer.columns:
        if col.name not in out.columns:
            out[col.name] = pd.Series([None] * len(out), index=out.index, dtype=object).astype(
                _PANDAS_DTYPES[col.dtype]
            )
            continue
        s = out[col.name]
        if col.dtype == "int":
            out[col.name] = s if s.dtype == "Int64" else pd.to_numeric(s, errors="coerce").round().astype("Int64")
        elif col.dtype == "float":
            out[col.name] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif col.dtype == "bool":
            out[col.name] = _bools(s)
        else:
            out[col.name] = _texts(s, share=not col.unique)
    ordered = list(layer.column_names) + [c for c in out.columns if c not in layer.column_names]
    return out[ordered]


def _bools(s: pd.Series) -> pd.Series:
    """A column as nullable booleans; stored data (bool, or integers 0/1 as GeoPackage keeps booleans) without a
    Python call per value, anything else through the yes/no vocabulary."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean")
    if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_float_dtype(s.dtype):
        num = s.astype("float64")
        if bool(num.dropna().isin((0.0, 1.0)).all()):
            return num.astype("boolean")
    return s.map(_to_bool).astype("boolean")


#: A text column with at most this share of distinct values keeps one Python string per distinct value.
SHARED_TEXT_SHARE = 0.5


def _texts(s: pd.Series, *, share: bool = False) -> pd.Series:
    """A text column as Python strings (``None`` for missing); a column that already holds only strings and gaps
    (what a GeoPackage gives back) is kept without a Python call per value.

    ``share``: a column of few distinct values (a village code on 3 million households, a poverty cause) holds
    one string object per distinct value, shared by its rows — the same values, a tenth of the memory."""
    if s.dtype != object and pd.api.types.is_string_dtype(s.dtype):  # arrow-backed strings: all text already
        if share and len(s):
            codes, uniques = pd.factorize(s)
            if len(uniques) <= SHARED_TEXT_SHARE * len(s):
                values = np.asarray(uniques, dtype=object)
                out = np.empty(len(s), dtype=object)
                hit = codes >= 0
                out[hit] = values[codes[hit]]
                return pd.Series(out, index=s.index, dtype=object)  # missing rows stay None
        return s.astype(object).where(s.notna(), None)
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        return s.where(s.notna(), None).astype(object)
    return s.map(lambda v: None if _is_missing(v) else str(v)).astype(object)


def _is_missing(v: object) -> bool:
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float) and np.isnan(v)


def _to_bool(v: object) -> object:
    """True/False for a recognisable yes/no value (the validator's table), NA otherwise."""
    f = parse_bool(v)
    return pd.NA if np.isnan(f) else bool(f)


@_dispatch
def read_layer(path: Path | str, name: str, *, bbox: tuple[float, float, float, float] | None = None,
               where: str | None = None) -> pd.DataFrame:
    """One layer as a (Geo)DataFrame in schema dtypes; an empty frame if the table is absent.

    ``bbox`` (lon/lat: minx, miny, maxx, maxy) reads only the features whose envelope meets it, through the
    GeoPackage's spatial index; ``where`` an SQL condition on the attributes (callers build it from checked
    values only, :func:`read_candidates`)."""
    layer = get_layer(name)
    p = Path(path)
    if name not in list_layers(p):
        return _empty_frame(layer)
    df = pyogrio.read_dataframe(str(p), layer=name, use_arrow=True, bbox=bbox, where=where)
    if layer.geometry is not None and isinstance(df, gpd.GeoDataFrame):
        if df.crs is None:
            df = df.set_crs("EPSG:4326")
        elif not df.crs.equals("EPSG:4326"):
            df = df.to_crs("EPSG:4326")
    return coerce(layer, df)


@_dispatch
def read_rows(path: Path | str, name: str, columns: Sequence[str], *, key: str | None = None) -> list[tuple[Any, ...]]:
    """The raw values of some columns of layer ``name`` (only the row whose key is ``key``, when given), in row
    order, without geometry or a frame: the fast single-row reads of the edit forms and rules."""
    layer = get_layer(name)
    cols = ", ".join(f'"{layer.column(c).name}"' for c in columns)  # schema columns only
    query = f'SELECT {cols} FROM "{layer.name}"' + (f' WHERE "{layer.key}" = ?' if key is not None else "")
    with contextlib.closing(_connect_ro(Path(path))) as con:
        return [tuple(r) for r in con.execute(query + " ORDER BY fid", () if key is None else (key,)).fetchall()]


@_dispatch
def count_rows(path: Path | str, names: Sequence[str]) -> dict[str, int]:
    """Rows per layer ``names`` (0 for a layer that is absent or empty); reads counts only."""
    with contextlib.closing(_connect_ro(Path(path))) as con:
        present = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {n: (int(con.execute(f'SELECT COUNT(*) FROM "{get_layer(n).name}"').fetchone()[0]) if n in present
                    else 0) for n in names}


@_dispatch
def read_candidates(path: Path | str, name: str, *, bbox: tuple[float, float, float, float] | None,
                    code_prefix: str | None) -> pd.DataFrame:
    """The rows of layer ``name`` that may belong to an area, without reading the rest: those whose geometry
    meets ``bbox`` (the area's villages' bounds, through the spatial index) and those whose recorded
    ``village_code`` starts with ``code_prefix`` (the area's code), each row once, in file order.

    A superset of the area's rows by every rule that goes by a row's location or its recorded village
    (:data:`bangfu.workspace.areas.AREA_RULES`); the one area filter then takes the exact slice. A province's
    households for one county are read in a second instead of all 3 million."""
    layer = get_layer(name)
    parts = []
    if bbox is not None and layer.geometry is not None:
        parts.append(_read_with_fid(path, name, bbox=bbox))
    if code_prefix is not None and "village_code" in layer.column_names:
        if not code_prefix.isdigit():
            raise ValueError(f"an area code is digits only, not {code_prefix!r}")
        parts.append(_read_with_fid(path, name, where=f"village_code LIKE '{code_prefix}%'"))
    if not parts:
        return read_layer(path, name)
    both = pd.concat(parts) if len(parts) > 1 else parts[0]
    both = both[~both.index.duplicated()].sort_index()
    out = coerce(layer, both).reset_index(drop=True)
    if layer.geometry is not None and not isinstance(out, gpd.GeoDataFrame):
        out = gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")
    return out


def _read_with_fid(path: Path | str, name: str, **query: Any) -> pd.DataFrame:
    if name not in list_layers(path):
        return _empty_frame(get_layer(name))
    df = pyogrio.read_dataframe(str(path), layer=name, use_arrow=True, fid_as_index=True, **query)
    if isinstance(df, gpd.GeoDataFrame):
        df = df.set_crs("EPSG:4326") if df.crs is None else (df if df.crs.equals("EPSG:4326") else df.to_crs("EPSG:4326"))
    return df


def read_workspace(path: Path | str, *, layers: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Several layers at once (all schema layers by default)."""
    names = layers or tuple(LAYERS)
    return {name: read_layer(path, name) for name in names}


# --------------------------------------------------------------------------- writing


def _prepare_for_write(layer: Layer, df: pd.DataFrame) -> pd.DataFrame:
    out = coerce(layer, df)
    for col in layer.columns:
        if col.dtype == "int":
            # pyogrio writes nullable ints fine via arrow; keep Int64.
            continue
        if col.dtype == "bool":
            out[col.name] = out[col.name].astype("boolean")
    return out


def write_gpkg(path: Path | str, layers: Mapping[str, pd.DataFrame], *, meta: Mapping[str, str] | None = None) -> None:
    """Write ``layers`` to a new GeoPackage at ``path`` (overwritten) with deterministic metadata.

    Used for building the demo and as the inner step of :func:`write_workspace`; it does not
    swap files atomically by itself.
    """
    p = Path(path)
    if p.exists():
        p.unlink()
    for name in LAYERS:
        if name not in layers:
            continue
        layer = get_layer(name)
        df = _prepare_for_write(layer, layers[name])
        if layer.geometry is None:
            frame = pd.DataFrame(df.drop(columns=[c for c in df.columns if c == "geometry"]))
            pyogrio.write_dataframe(frame, str(p), layer=name, driver="GPKG")
        else:
            gdf = gpd.GeoDataFrame(df, geometry="geometry", crs=df.crs or "EPSG:4326")
            gtype = {"Polygon": "MultiPolygon", "LineString": "LineString", "Point": "Point", "Any": "Unknown"}[
                layer.geometry
            ]
            if layer.geometry == "Polygon":
                gdf = gdf.set_geometry(
                    [shapely.MultiPolygon([g]) if g is not None and g.geom_type == "Polygon" else g for g in gdf.geometry],
                    crs=gdf.crs,
                )
            pyogrio.write_dataframe(gdf, str(p), layer=name, driver="GPKG", geometry_type=gtype, promote_to_multi=False)
    with contextlib.closing(sqlite3.connect(p)) as con:
        con.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        entries = {"version": "1", **(dict(meta) if meta else {})}
        con.executemany(f"INSERT OR REPLACE INTO {META_TABLE} (key, value) VALUES (?, ?)", list(entries.items()))
        con.execute("UPDATE gpkg_contents SET last_change = ?", (FIXED_TIMESTAMP,))
        con.commit()
        con.execute("VACUUM")


@_dispatch
def write_workspace(
    path: Path | str, layers: Mapping[str, pd.DataFrame], *, meta: Mapping[str, str] | None = None
) -> None:
    """Write a complete new workspace file atomically (temp file beside ``path``, swapped in).

    For building a workspace (the demo, tests, a new county); a live workspace is changed only through
    :func:`transaction`, :func:`replace_layers`, :func:`restore_backup` and :func:`restore_demo`, which hold
    the writer lock, keep backups and write the audit trail.
    """
    p = Path(path)
    # a new file needs no lock (and leaves no lock file); replacing an existing one waits for its writers
    with locking.writer_lock(p) if p.exists() else contextlib.nullcontext(), fileio.atomic_path(p) as tmp:
        write_gpkg(tmp, layers, meta=meta)


class WriteConflict(WorkspaceError):
    """An import prepared on an older version of the workspace whose layers were changed since."""


def layers_changed_since(meta: Mapping[str, str], version: int) -> list[str]:
    """The layers written after workspace version ``version`` (from the per-layer marks every write leaves)."""
    out = []
    for key, value in meta.items():
        if key.startswith(LAYER_MARK):
            with contextlib.suppress(ValueError):
                if int(value) > version:
                    out.append(key[len(LAYER_MARK):])
    return sorted(out, key=lambda n: list(LAYERS).index(n) if n in LAYERS else len(LAYERS))


def meta_version(meta: Mapping[str, str]) -> int:
    """The workspace version number in ``meta`` (0 when absent or unreadable)."""
    try:
        return int(meta.get("version", "0"))
    except ValueError:
        return 0


def _check_base(meta: Mapping[str, str], base_version: int | None, relevant: set[str]) -> None:
    """Refuse (nothing written) when a layer the import replaces or was checked against changed since."""
    current = meta_version(meta)
    if base_version is None or current == base_version:
        return
    changed = layers_changed_since(meta, base_version)
    clash = [n for n in changed if n in relevant]
    if current < base_version or clash:
        names_zh = "、".join(get_layer(n).zh if n in LAYERS else n for n in clash) or "工作空间"
        names_en = ", ".join(clash) or "the workspace"
        raise WriteConflict(
            f"导入没有执行：预览之后，其他用户修改了{names_zh}（版本 v{base_version} → v{current}）。"
            "为了不覆盖这些修改，请重新预览后再导入。",
            f"not imported: {names_en} changed since the preview (v{base_version} → v{current}); preview again.",
            hint_zh="重新上传或重新预览这个文件：预览会基于最新的数据，刚才的修改会保留。",
            hint_en="Preview the file again: the preview then starts from the latest data and keeps those changes.",
        )


@_dispatch
def replace_layers(
    path: Path | str, layers: Mapping[str, pd.DataFrame], *, user: Principal, base_version: int | None = None,
    depends: Iterable[str] = (), action: str = "import", target: str = "", details: Mapping[str, Any] | None = None,
) -> int:
    """Replace some layers of the workspace in place, in ONE SQLite transaction; returns the new version.

    Admin only (``import`` permission). Under the writer lock: re-checks the workspace version — if
    ``base_version`` (the version the import was prepared on) is no longer current and one of the replaced
    layers or of ``depends`` (the layers it was checked against) has changed since, :class:`WriteConflict` is
    raised and nothing is written; an edit of another layer meanwhile is kept. Then the new layers are written
    to a staging file, the current workspace is backed up (:func:`make_backup`), and one transaction drops
    and recreates the layers from the staging file, bumps the version, marks the layers and writes the
    audit row. A crash at any point leaves the old workspace (rolled back on the next open) or the new one.
    """
    require(user, "import")
    p = Path(path)
    names = [n for n in LAYERS if n in layers]
    relevant = set(names) | set(depends)
    with locking.writer_lock(p):
        locking.checkpoint("import:locked")
        check_workspace_file(p)
        _check_base(read_meta(p), base_version, relevant)
        stage = locking.writer_temp(p)
        try:
            write_gpkg(stage, {n: layers[n] for n in names}, meta={})
            locking.checkpoint("import:staged")
            _write_backup(p, user=user, reason=action, target=target or ",".join(names), layers=names)
            locking.checkpoint("import:backed_up")
            version = _replace_from(
                p, stage, names, user=user, action=action, target=target or ",".join(names), details=details,
                step="import", written="written",
                first=lambda con: _check_base(_meta_in(con), base_version, relevant))
        finally:
            _remove_temp(stage)
        locking.checkpoint("import:committed")
    return version


def _replace_from(
    path: Path, source: Path, names: Sequence[str], *, user: Principal, action: str, target: str,
    details: Mapping[str, Any] | None, step: str, written: str,
    first: Callable[[sqlite3.Connection], object] | None = None,
    last: Callable[[sqlite3.Connection], object] | None = None,
) -> int:
    """The one transaction of an import and of a layer restore (caller holds the writer lock): with ``source``
    attached, drop and recreate the layers ``names`` from it, bump the version, mark the layers and write the
    audit row; returns the new version. ``first`` runs at the start of the transaction (a version re-check),
    ``last`` after the tables are copied. Kill points for the crash tests: ``<step>:<written>`` and
    ``<step>:before_commit``. Any failure rolls the whole transaction back."""
    touched: set[str] = set(names)
    with _write_connection(path, touched, source=source) as (con, chain):
        if first is not None:
            first(con)
        for name in names:
            _replace_table(con, name)
        if last is not None:
            last(con)
        locking.checkpoint(f"{step}:{written}")
        version = _finish(con, path, touched, user=user, action=action, target=target, details=details, chain=chain)
        locking.checkpoint(f"{step}:before_commit")
        con.execute("COMMIT")
    return version


@contextlib.contextmanager
def _write_connection(path: Path, touched: set[str], *, office: bool = True,
                      source: Path | None = None) -> Iterator[tuple[sqlite3.Connection, dict[str, str]]]:
    """The start and end of every write transaction in place: a connection with ``source`` attached as ``stage``
    (if given) and the office database (if ``office``), every table it writes recorded in ``touched``, ``BEGIN
    IMMEDIATE``; yields it with the write chain read at the start (:func:`_chain_entries`, for :func:`_finish`).
    The caller commits; anything raised rolls back; the connection is closed either way."""
    con = _connect_rw(path)
    try:
        if source is not None:
            con.execute("ATTACH DATABASE ? AS stage", (str(source),))
        if office:
            audit.attach(con, path)
        con.set_authorizer(_recorder(touched))
        con.execute("BEGIN IMMEDIATE")
        yield con, _chain_entries(path, _meta_in(con))
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()


def _remove_temp(path: Path) -> None:
    for f in (path, path.with_name(path.name + "-journal")):
        with contextlib.suppress(FileNotFoundError):
            f.unlink()


def _replace_table(con: sqlite3.Connection, name: str) -> None:
    """Drop table ``name`` (with its R-tree and GeoPackage registrations) and recreate it from ``stage``."""
    # every name is qualified: an unqualified DROP would find the staging copy when main has no such table
    for geom_col, in con.execute("SELECT column_name FROM main.gpkg_geometry_columns WHERE table_name = ?",
                                 (name,)).fetchall():
        con.execute(f'DROP TABLE IF EXISTS main."rtree_{name}_{geom_col}"')
    con.execute(f'DROP TABLE IF EXISTS main."{name}"')
    for table in ("gpkg_geometry_columns", "gpkg_extensions", "gpkg_contents", "gpkg_ogr_contents"):
        if _has_table(con, "main", table):
            con.execute(f'DELETE FROM main."{table}" WHERE lower(table_name) = lower(?)', (name,))
    if not _has_table(con, "stage", name):
        return
    con.execute("INSERT OR IGNORE INTO main.gpkg_spatial_ref_sys SELECT * FROM stage.gpkg_spatial_ref_sys "
                "WHERE srs_id IN (SELECT srs_id FROM stage.gpkg_contents WHERE table_name = ?)", (name,))
    (table_sql,) = con.execute("SELECT sql FROM stage.sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    con.execute(table_sql)
    con.execute(f'INSERT INTO main."{name}" SELECT * FROM stage."{name}"')
    for table in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents"):
        if _has_table(con, "stage", table) and _has_table(con, "main", table):
            con.execute(f'INSERT INTO main."{table}" SELECT * FROM stage."{table}" WHERE lower(table_name) = lower(?)',
                        (name,))
    for geom_col, in con.execute("SELECT column_name FROM stage.gpkg_geometry_columns WHERE table_name = ?",
                                 (name,)).fetchall():
        rtree = f"rtree_{name}_{geom_col}"
        row = con.execute("SELECT sql FROM stage.sqlite_master WHERE name = ?", (rtree,)).fetchone()
        if row:
            con.execute(row[0])
            con.execute(f'INSERT INTO main."{rtree}" SELECT * FROM stage."{rtree}"')
    for (sql,) in con.execute("SELECT sql FROM stage.sqlite_master WHERE type IN ('index', 'trigger') "
                              "AND tbl_name = ? AND sql IS NOT NULL", (name,)).fetchall():
        con.execute(sql)


def _has_table(con: sqlite3.Connection, schema: str, name: str) -> bool:
    return con.execute(f"SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() \
        is not None

# --------------------------------------------------------------------------- transactions


def _blob_geometry(blob: bytes | None) -> shapely.Geometry | None:
    """Decode a GeoPackage geometry blob (header + WKB)."""
    if blob is None:
        return None
    flags = blob[3]
    envelope = (flags >> 1) & 0b111
    size = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get(envelope, 0)
    return shapely.from_wkb(bytes(blob[8 + size :]))


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    if blob is None:
        return None
    flags = blob[3]
    envelope = (flags >> 1) & 0b111
    if envelope:
        endian = "<" if flags & 1 else ">"
        return struct.unpack(endian + "4d", bytes(blob[8:40]))  # minx, maxx, miny, maxy
    g = _blob_geometry(blob)
    if g is None or g.is_empty:
        return None
    minx, miny, maxx, maxy = g.bounds
    return (minx, maxx, miny, maxy)


def _register_gpkg_functions(con: sqlite3.Connection) -> None:
    """The spatial SQL functions GeoPackage triggers call (plain sqlite3 lacks them)."""

    def is_empty(blob: bytes | None) -> int | None:
        if blob is None:
            return None
        return int(bool((blob[3] >> 4) & 1) or _envelope(blob) is None)

    def part(i: int):  # noqa: ANN202
        def fn(blob: bytes | None) -> float | None:
            env = _envelope(blob)
            return None if env is None else env[i]

        return fn

    con.create_function("ST_IsEmpty", 1, is_empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        con.create_function(name, 1, part(i), deterministic=True)


def _connect_rw(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=locking.write_wait() or 0.1, isolation_level=None)
    _register_gpkg_functions(con)
    return con


def _meta_in(con: sqlite3.Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in con.execute(f"SELECT key, value FROM main.{META_TABLE}")}


_WRITES = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE, sqlite3.SQLITE_DROP_TABLE,
           sqlite3.SQLITE_CREATE_TABLE}


def _recorder(touched: set[str]):  # noqa: ANN202 - an sqlite3 authorizer callback
    """An authorizer that notes every workspace layer a statement of the transaction writes."""

    def authorize(action: int, arg1: str | None, _arg2: str | None, db: str | None, _trigger: str | None) -> int:
        if action in _WRITES and db == "main" and arg1 in LAYERS:
            touched.add(arg1)
        return sqlite3.SQLITE_OK

    return authorize


def _finish(con: sqlite3.Connection, path: Path, touched: set[str], *, user: Principal | None, action: str,
            target: str, details: Mapping[str, Any] | None, chain: Mapping[str, str]) -> int:
    """The end of every write transaction: next version, per-layer marks (version and content token), the write
    chain (``chain``, from :func:`_chain_entries` at the transaction's start), last-write note, audit row."""
    meta = _meta_in(con)
    version = meta_version(meta) + 1
    entries = {"version": str(version), **chain, **{f"{LAYER_MARK}{n}": str(version) for n in touched},
               **{f"{CONTENT_MARK}{n}": uuid.uuid4().hex for n in touched}}
    entries.update(_last_write(user, action, target))
    con.executemany(f"INSERT OR REPLACE INTO main.{META_TABLE} (key, value) VALUES (?, ?)", list(entries.items()))
    if user is not None:
        audit.record(path, user, action, target,
                     {**dict(details or {}), "version": version, "layers": sorted(touched)}, workspace=path.name,
                     con=con)
    return version


def _last_write(user: Principal | None, action: str, target: str) -> dict[str, str]:
    return {"last_write_at": audit.now(), "last_write_user": user.name if user else "",
            "last_write_username": user.username if user else "", "last_write_action": action,
            "last_write_target": target}


@_dispatch
@contextlib.contextmanager
def transaction(
    path: Path | str, *, user: Principal | None = None, action: str = "edit", target: str = "",
    details: dict[str, Any] | None = None, permission: str | None = None, town_code: str | None = None,
    office: bool = False,
) -> Iterator[sqlite3.Connection]:
    """One write transaction on the workspace: commits, or rolls back and leaves the file byte-identical.

    The writer lock (:func:`bangfu.workspace.locking.writer_lock`) is taken first, so the transaction queues
    behind an import or a restore (at most ``$BANGFU_WRITE_WAIT`` seconds, then
    :class:`~bangfu.workspace.locking.WorkspaceBusy`) and always writes to the file in place; ``BEGIN
    IMMEDIATE`` then serialises it against readers. In the same transaction the workspace version goes up by
    one (never reused), every layer the block wrote is marked with that version (so an import prepared
    earlier can tell whether it would overwrite it), and — when ``user`` is given — the audit row
    (``action``, ``target``, ``details``: a dict the block may still fill in; the new version and the layers
    are added) is written. ``permission`` (with ``town_code``): checked with
    :func:`bangfu.workspace.access.require` before anything happens. ``office``: attach the folder's office
    database (:mod:`bangfu.workspace.audit`) as ``office`` even without ``user``, for a block that writes its
    own audit row (``audit.record(..., con=con)``) in the same transaction.
    """
    p = Path(path)
    if permission is not None:
        require(user, permission, town_code=town_code)
    with locking.writer_lock(p):
        check_workspace_file(p, integrity=False)
        touched: set[str] = set()
        with _write_connection(p, touched, office=user is not None or office) as (con, chain):
            yield con
            _finish(con, p, touched, user=user, action=action, target=target, details=details, chain=chain)
            locking.checkpoint("transaction:before_commit")
            con.execute("COMMIT")


def ensure_history_table(con: sqlite3.Connection | Any, hist: Layer) -> None:
    """Create the edit history table ``hist`` in the workspace of an open write transaction (:func:`transaction`)
    if it is missing: a registered GeoPackage attribute table, or — on a database workspace's connection — a
    table of the workspace schema (its own ``ensure_history_table``)."""
    if hasattr(con, "ensure_history_table"):
        con.ensure_history_table(hist)
        return
    exists = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (hist.name,)).fetchone()
    if exists:
        return
    sqltype = {"int": "INTEGER", "float": "REAL", "bool": "BOOLEAN", "str": "TEXT", "date": "DATE", "datetime": "DATETIME"}
    cols = ", ".join(f'"{c.name}" {sqltype[c.dtype]}' for c in hist.columns)
    con.execute(f'CREATE TABLE "{hist.name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {cols})')
    con.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
        "VALUES (?, 'attributes', ?, '', ?)",
        (hist.name, hist.name, FIXED_TIMESTAMP),
    )

@dataclass(frozen=True)
class WorkspaceInfo:
    """What the app shows about the open workspace (either store: ``path`` is a GeoPackage path or a URL)."""

    path: Path | str
    version: str
    meta: dict[str, str]
    layers: list[str]


@_dispatch
def open_workspace(path: Path | str) -> WorkspaceInfo:
    """Check a workspace file and describe it; raises :class:`WorkspaceError` with a Chinese message."""
    p = Path(path)
    startup(p)
    check_workspace_file(p)
    return WorkspaceInfo(p, workspace_version(p), read_meta(p), list_layers(p))


# --------------------------------------------------------------------------- backups and restores


@dataclass(frozen=True)
class Backup:
    """One backup of a workspace: its file (``name`` is its id), when, by whom and why it was taken, and the
    version and last change of the data it holds."""

    path: Path
    at: str
    user: str
    username: str
    reason: str
    target: str
    version: int
    meta: dict[str, str]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def layers(self) -> tuple[str, ...]:
        """The layers a layer backup holds (taken before an import: only what the import replaced); empty for a
        backup of the whole workspace."""
        return tuple(n for n in self.meta.get(BACKUP_LAYERS, "").split(",") if n)

    def label(self, lang: str = "zh") -> str:
        """One line for a list: ``2026-11-30 14:05 · 张三 · 导入 道路 前 · 数据版本 v37`` (a layer backup adds
        ``· 仅 道路``)."""
        when = _short_time(self.at)
        why = describe_action(self.reason, self.target, lang)
        same = set(self.layers) == {n for n in self.target.split(",") if n}  # "导入 道路前" says it already
        only = "" if same else describe_action("", ",".join(self.layers), lang).strip()
        if lang == "en":
            return f"{when} · {self.user or '?'} · before {why} · data v{self.version}" + (f" · only {only}" if only else "")
        return f"{when} · {self.user or '?'} · {why}前 · 数据版本 v{self.version}" + (f" · 仅{only}" if only else "")


def backups_dir(path: Path | str) -> Path:
    """The folder of a workspace's backups: ``backups/`` beside the default ``workspace.gpkg``, and
    ``backups/<name>/`` beside any other workspace file (several workspaces side by side in one folder,
    :mod:`bangfu.workspace.catalog`, never share or rotate each other's backups); for a database workspace the
    folder named after its server and schema in the data folder (:func:`bangfu.workspace.postgis.backups_dir`)."""
    if is_database(path):
        from bangfu.workspace import postgis

        return postgis.backups_dir(str(path))
    p = Path(path)
    return p.parent / BACKUP_DIR if p.name == WORKSPACE_FILE else p.parent / BACKUP_DIR / p.stem


def backups_to_keep() -> int:
    """How many backups are kept (``$BANGFU_BACKUPS_KEEP``, default 10, never fewer than 5)."""
    try:
        return max(MIN_BACKUPS, int(os.environ.get(KEEP_ENV, DEFAULT_BACKUPS)))
    except ValueError:
        return DEFAULT_BACKUPS


def _backup_files(path: Path) -> list[Path]:
    """The backup files of workspace ``path``, oldest first (names start with a sortable time)."""
    d = backups_dir(path)
    return sorted(d.glob(f"{glob.escape(path.stem)}-*.gpkg")) if d.is_dir() else []


@_dispatch
def list_backups(path: Path | str) -> list[Backup]:
    """The backups of a workspace, newest first. Only complete files are ever listed: a backup is written to a
    temporary name, fsynced and checked, then renamed into the folder."""
    return _list_backup_files(backups_dir(path), Path(path).stem)


def _list_backup_files(folder: Path, stem: str = "") -> list[Backup]:
    """The backups in ``folder`` (of the workspace named ``stem``; any when empty), newest first."""
    pattern = f"{glob.escape(stem)}-*.gpkg" if stem else "*.gpkg"
    files = sorted(f for f in folder.glob(pattern) if not f.name.startswith(".")) if folder.is_dir() else []
    out = []
    for f in reversed(files):
        try:
            meta = read_meta(f)
        except sqlite3.Error:
            continue
        if not meta:
            continue
        out.append(Backup(f, meta.get("backup_at", ""), meta.get("backup_user", ""), meta.get("backup_username", ""),
                          meta.get("backup_reason", ""), meta.get("backup_target", ""), meta_version(meta), meta))
    return out


def _short_time(at: str) -> str:
    return at[:16].replace("T", " ") if at else "?"


def describe_action(action: str, target: str, lang: str = "zh") -> str:
    """``导入 道路``: an audit action code and its target (a layer name is shown by its label)."""
    what = vocab.AUDIT_ACTION.label(action, lang) if action else ""
    names = [(get_layer(n).en if lang == "en" else get_layer(n).zh) if n in LAYERS else n for n in target.split(",") if n]
    if not names or target == "demo":
        return what
    return f"{what} {'、'.join(names) if lang != 'en' else ', '.join(names)}"


def describe_state(meta: Mapping[str, str], lang: str = "zh") -> str:
    """The current data as a restore confirmation names it: ``版本 v37，2026-11-30 14:05 张三导入 道路``."""
    version = meta_version(meta)
    at = meta.get("last_write_at", "")
    if not at:
        return f"version v{version}" if lang == "en" else f"版本 v{version}"
    who = meta.get("last_write_user", "")
    what = describe_action(meta.get("last_write_action", ""), meta.get("last_write_target", ""), lang)
    if lang == "en":
        return f"version v{version}, {_short_time(at)} {who}: {what}"
    return f"版本 v{version}，{_short_time(at)} {who}{what}"


def restore_warning(path: Path | str, *, backup: Backup | None = None, lang: str = "zh") -> str:
    """What a restore (of ``backup``, or of the demo when None) will replace, for the confirmation."""
    p = path if is_database(path) else Path(path)
    try:
        check_workspace_file(p)
        state = describe_state(read_meta(p), lang)
    except WorkspaceError:
        if lang == "en":
            return ("The current workspace file cannot be opened: it will be kept aside as its own file "
                    "(workspace.corrupt-….gpkg); no backup is overwritten.")
        return "当前工作空间文件无法打开：它会另存为单独的文件（workspace.corrupt-….gpkg），不会覆盖任何备份。"
    source = backup.label(lang) if backup is not None else ("the Kaiping demo" if lang == "en" else "开平市示例数据")
    if backup is not None and backup.layers:
        names = describe_action("", ",".join(backup.layers), lang).strip()
        if lang == "en":
            return (f"After the restore ({source}), the layers {names} of the current data ({state}) will be replaced; "
                    "the other layers stay as they are. Their current state is saved as a backup first.")
        return (f"恢复（{source}）后，当前数据（{state}）中的{names}将被替换，其他图层保持不变；"
                "这些图层的当前数据会先保存为备份。")
    if lang == "en":
        return (f"After the restore ({source}), the current data ({state}) will be replaced; "
                "the current data is saved as a backup first.")
    return f"恢复（{source}）后，当前数据（{state}）将被替换；当前数据会先保存为备份。"


#: Meta key of a layer backup: the layers it holds (comma-separated); absent in a backup of the whole file.
BACKUP_LAYERS = "backup_layers"
#: GeoPackage tables every layer backup carries (their rows of the backed-up layers only).
_GPKG_CORE = ("gpkg_spatial_ref_sys", "gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents")


def _copy_layers_out(path: Path, tmp: Path, layers: Iterable[str]) -> None:
    """Write a GeoPackage at ``tmp`` holding only ``layers`` of workspace ``path`` (tables, R-trees, GeoPackage
    registrations) and its whole ``bangfu_meta``: a layer backup, in one transaction."""
    con = sqlite3.connect(f"file:{tmp}", uri=True, isolation_level=None)
    _register_gpkg_functions(con)
    try:
        con.execute("ATTACH DATABASE ? AS stage", (f"file:{path}?mode=ro",))
        con.execute("BEGIN")
        con.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
        con.execute("PRAGMA user_version = 10400")
        for table in (*_GPKG_CORE, META_TABLE):
            row = con.execute("SELECT sql FROM stage.sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
            if row is not None:
                con.execute(row[0])
        con.execute(f"INSERT INTO main.{META_TABLE} SELECT * FROM stage.{META_TABLE}")
        con.execute("INSERT INTO main.gpkg_spatial_ref_sys SELECT * FROM stage.gpkg_spatial_ref_sys")
        present = [n for n in layers if _has_table(con, "stage", n)]
        for name in present:
            _replace_table(con, name)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()


def _check_layer_backup(path: Path) -> None:
    """A layer backup is a sound SQLite file (``PRAGMA quick_check``) with its notes. A layer the workspace lacked
    is absent from it too (restoring it then drops the layer again)."""
    try:
        with contextlib.closing(_connect_ro(path)) as con:
            ok = con.execute("PRAGMA quick_check").fetchone()
            con.execute(f"SELECT count(*) FROM {META_TABLE}").fetchone()
    except sqlite3.Error as exc:
        raise WorkspaceError(f"备份文件已损坏：{exc}", f"backup is corrupt: {exc}") from exc
    if not ok or ok[0] != "ok":
        raise WorkspaceError("备份文件已损坏（数据库完整性检查失败）", "backup failed the integrity check")


def check_backup(backup: Backup) -> None:
    """Raise :class:`WorkspaceError` when a backup cannot be restored: a whole-file backup must be a complete
    workspace (:func:`check_workspace_file`), a layer backup a sound file holding its layers."""
    if backup.layers:
        _check_layer_backup(backup.path)
    else:
        check_workspace_file(backup.path)


def _write_backup(path: Path, *, user: Principal, reason: str, target: str = "",
                  layers: Iterable[str] | None = None) -> Backup:
    """Back the workspace up into the backups folder (caller holds the writer lock); rotates old ones out.

    SQLite's online backup copies the file into a writer temporary — or, with ``layers`` (an import), only those
    layers are copied (a *layer backup*: the layers the write replaces, not the 3 million households an import of
    roads leaves alone); the backup's time, user and reason are written into its ``bangfu_meta``, the file is
    fsynced and integrity-checked, and only then renamed into place — a crash leaves either no new backup or a
    complete one, never a truncated file in the list.
    """
    d = backups_dir(path)
    d.mkdir(parents=True, exist_ok=True)
    tmp = locking.writer_temp(path, d)
    only = tuple(layers) if layers is not None else None
    try:
        if only is not None:
            locking.checkpoint("backup:copying")
            _copy_layers_out(path, tmp, only)
        else:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as src, \
                    contextlib.closing(sqlite3.connect(tmp)) as dst:
                first = [True]

                def progress(_status: int, _remaining: int, _total: int) -> None:
                    if first[0]:
                        first[0] = False
                        locking.checkpoint("backup:copying")

                src.backup(dst, pages=16, progress=progress)
        with contextlib.closing(sqlite3.connect(tmp)) as dst:
            at = audit.now()
            version = meta_version({k: v for k, v in dst.execute(f"SELECT key, value FROM {META_TABLE}")})
            notes = [("backup_at", at), ("backup_user", user.name), ("backup_username", user.username),
                     ("backup_reason", reason), ("backup_target", target)]
            if only is not None:
                notes.append((BACKUP_LAYERS, ",".join(only)))
            dst.executemany(f"INSERT OR REPLACE INTO {META_TABLE} (key, value) VALUES (?, ?)", notes)
            dst.commit()
        locking.checkpoint("backup:written")
        fileio.fsync_file(tmp)
        if only is not None:
            _check_layer_backup(tmp)
        else:
            check_workspace_file(tmp)
        # one clock reading for the seconds and the nanoseconds of the name, so names sort in time order
        # (two readings could straddle a second: a later backup would sort before an earlier one)
        ns = time.time_ns()
        stamp = datetime.fromtimestamp(ns // 1_000_000_000, audit.CHINA_TZ).strftime("%Y%m%d-%H%M%S")
        final = d / f"{path.stem}-{stamp}-{ns % 1_000_000_000:09d}-v{version}.gpkg"
        locking.checkpoint("backup:checked")
        os.replace(tmp, final)
        fileio.fsync_dir(d)
    except BaseException:
        _remove_temp(tmp)
        raise
    locking.checkpoint("backup:renamed")
    files = _backup_files(path)
    for old in files[: max(0, len(files) - backups_to_keep())]:
        locking.checkpoint("backup:rotating")
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
    return next(b for b in list_backups(path) if b.path == final)


@_dispatch
def make_backup(path: Path | str, *, user: Principal, reason: str = "backup", target: str = "") -> Backup:
    """Back the workspace up now (admin only: ``restore`` permission), under the writer lock."""
    require(user, "restore")
    p = Path(path)
    with locking.writer_lock(p):
        check_workspace_file(p)
        return _write_backup(p, user=user, reason=reason, target=target)


def _adopt_legacy_backup(path: Path) -> None:
    """Move the single ``workspace.bak.gpkg`` of earlier versions into the backups folder (caller holds the lock)."""
    legacy = path.with_name(path.stem + ".bak.gpkg")
    if not legacy.exists():
        return
    try:
        check_workspace_file(legacy)
    except WorkspaceError:
        return  # left where it is: not a usable backup, and not ours to delete
    d = backups_dir(path)
    d.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromtimestamp(legacy.stat().st_mtime, audit.CHINA_TZ).strftime("%Y%m%d-%H%M%S")
    os.replace(legacy, d / f"{path.stem}-{stamp}-000000000-v{meta_version(read_meta(legacy))}.gpkg")
    fileio.fsync_dir(d)


def _readable_version(path: Path) -> int:
    try:
        return meta_version(read_meta(path)) if path.exists() else 0
    except sqlite3.Error:
        return 0


def _swap_in(path: Path, source: Path, *, user: Principal, action: str, target: str,
             expected_version: int | None = None, details: Mapping[str, Any] | None = None) -> int:
    """Replace the workspace by a copy of ``source`` (caller holds the writer lock); returns the new version.

    First the current file is backed up — or, when it cannot be opened, kept aside as
    ``workspace.corrupt-<time>.gpkg`` (never rotated over a good backup). The copy gets a version above every
    version this workspace and its backups ever had (version numbers are never reused), its backup notes
    are cleared, it is fsynced and checked, then renamed over the workspace. The audit row follows the swap.
    """
    current_ok = False
    if path.exists():
        try:
            check_workspace_file(path)
            current_ok = True
        except WorkspaceError:
            current_ok = False
    if expected_version is not None and current_ok and meta_version(read_meta(path)) != expected_version:
        raise WriteConflict(
            f"没有恢复：确认之后，工作空间又被修改过（现在是 v{meta_version(read_meta(path))}）。请重新确认。",
            "not restored: the workspace changed after the confirmation; confirm again.",
            hint_zh="重新查看将被替换的数据，再确认一次。", hint_en="Review what will be replaced and confirm again.")
    high = max([_readable_version(path), _readable_version(source), *(b.version for b in list_backups(path))])
    if current_ok:
        _write_backup(path, user=user, reason=action, target=target)
    elif path.exists() and not current_ok:
        stamp = datetime.now(audit.CHINA_TZ).strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.stem}.corrupt-{stamp}-{time.time_ns() % 1_000_000_000:09d}{path.suffix}")
        try:
            os.link(path, aside)
        except OSError:
            shutil.copyfile(path, aside)
        fileio.fsync_dir(path.parent)
    locking.checkpoint("restore:backed_up")
    tmp = locking.writer_temp(path)
    try:
        shutil.copyfile(source, tmp)
        version = high + 1
        with contextlib.closing(sqlite3.connect(tmp)) as con:
            con.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            con.execute(f"DELETE FROM {META_TABLE} WHERE key LIKE 'backup\\_%' ESCAPE '\\'")
            entries = {"version": str(version), "restored_from": source.name,
                       **{f"{LAYER_MARK}{n}": str(version) for n in LAYERS}, **_last_write(user, action, target)}
            con.executemany(f"INSERT OR REPLACE INTO {META_TABLE} (key, value) VALUES (?, ?)", list(entries.items()))
            con.commit()
        locking.checkpoint("restore:copied")
        fileio.fsync_file(tmp)
        check_workspace_file(tmp)
        os.chmod(tmp, 0o666 & ~locking._umask())
        os.replace(tmp, path)
        fileio.fsync_dir(path.parent)
    except BaseException:
        _remove_temp(tmp)
        raise
    locking.checkpoint("restore:swapped")
    audit.record(path, user, action, target, {**dict(details or {}), "version": version,
                                                     "source": source.name}, workspace=path.name)
    return version


class NoBackup(WorkspaceError):
    """A restore asked for a backup that does not exist."""


@_dispatch
def restore_backup(path: Path | str, *, user: Principal, backup: str | None = None,
                   expected_version: int | None = None) -> Backup:
    """Replace the workspace by one of its backups (``backup``: a :attr:`Backup.name`; default the newest).

    Admin only (``restore``). The current file is backed up first (so a restore can be undone); the backup
    is checked before anything changes. ``expected_version``: the version the user confirmed replacing —
    refused when the workspace changed since. Returns the backup that was restored.
    """
    require(user, "restore")
    p = Path(path)
    with locking.writer_lock(p):
        found = list_backups(p)
        chosen = found[0] if found and backup is None else next((b for b in found if b.name == backup), None)
        if chosen is None:
            raise NoBackup("没有可恢复的备份。" if backup is None else f"找不到备份：{backup}",
                           "no backup to restore" if backup is None else f"no backup {backup!r}",
                           hint_zh="每次导入和恢复之前，工作空间都会自动备份；之后才有备份可恢复。",
                           hint_en="The workspace is backed up before every import and restore.")
        try:
            check_backup(chosen)
        except WorkspaceError as exc:
            raise WorkspaceError(f"备份文件无法使用：{exc.message_zh}", f"backup unusable: {exc.message_en}",
                                 hint_zh="请选择另一个备份。", hint_en="Choose another backup.") from None
        if chosen.layers:
            _restore_layers(p, chosen, user=user, expected_version=expected_version)
        else:
            _swap_in(p, chosen.path, user=user, action="restore_backup", target=chosen.name,
                     expected_version=expected_version, details={"backup_at": chosen.at, "backup_version": chosen.version})
    return chosen


def _restore_layers(path: Path, backup: Backup, *, user: Principal, expected_version: int | None) -> int:
    """Put the layers of a layer backup back (caller holds the writer lock); the other layers stay as they are.

    The current state of those layers is backed up first (so the restore can be undone), then ONE transaction
    drops and recreates them from the backup, bumps the version, marks the layers and writes the audit row."""
    check_workspace_file(path)
    current = meta_version(read_meta(path))
    if expected_version is not None and current != expected_version:
        raise WriteConflict(
            f"没有恢复：确认之后，工作空间又被修改过（现在是 v{current}）。请重新确认。",
            "not restored: the workspace changed after the confirmation; confirm again.",
            hint_zh="重新查看将被替换的数据，再确认一次。", hint_en="Review what will be replaced and confirm again.")
    names = list(backup.layers)
    _write_backup(path, user=user, reason="restore_backup", target=backup.name, layers=names)
    locking.checkpoint("restore:backed_up")
    version = _replace_from(
        path, backup.path, names, user=user, action="restore_backup", target=backup.name,
        details={"backup_at": backup.at, "backup_version": backup.version},
        step="restore", written="copied",  # inside the transaction: a kill there rolls back
        last=lambda con: con.execute(
            f"INSERT OR REPLACE INTO main.{META_TABLE} (key, value) VALUES ('restored_from', ?)", (backup.name,)))
    locking.checkpoint("restore:swapped")
    return version


def restore_demo(folder: Path | str | None = None, *, user: Principal, demo: Path = DEMO_PATH,
                 expected_version: int | None = None) -> Path:
    """Replace the workspace in ``folder`` by a fresh copy of the demo; admin only (``restore``).

    The current file is backed up first; a workspace that cannot be opened is kept aside as its own file
    instead, so no good backup is ever replaced by a corrupt file.
    """
    require(user, "restore")
    _require_demo(demo)
    if folder is not None and is_database(folder):
        from bangfu.workspace import postgis

        return postgis.STORE.restore_demo(str(folder), user=user, demo=demo,  # type: ignore[return-value]
                                          expected_version=expected_version)
    folder = Path(folder) if folder is not None else default_workspace_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / WORKSPACE_FILE
    with locking.writer_lock(path):
        _swap_in(path, demo, user=user, action="restore_demo", target="demo", expected_version=expected_version)
    return path


class GeoPackageStore:
    """The GeoPackage implementation of :class:`bangfu.workspace.backend.Store`: this module's own code."""

    kind = "gpkg"
    read_layer = staticmethod(_GPKG_IMPL["read_layer"])
    read_candidates = staticmethod(_GPKG_IMPL["read_candidates"])
    read_rows = staticmethod(_GPKG_IMPL["read_rows"])
    count_rows = staticmethod(_GPKG_IMPL["count_rows"])
    list_layers = staticmethod(_GPKG_IMPL["list_layers"])
    read_meta = staticmethod(_GPKG_IMPL["read_meta"])
    workspace_version = staticmethod(_GPKG_IMPL["workspace_version"])
    content_tokens = staticmethod(_GPKG_IMPL["content_tokens"])
    check_workspace_file = staticmethod(_GPKG_IMPL["check_workspace_file"])
    open_workspace = staticmethod(_GPKG_IMPL["open_workspace"])
    transaction = staticmethod(_GPKG_IMPL["transaction"])
    replace_layers = staticmethod(_GPKG_IMPL["replace_layers"])
    write_workspace = staticmethod(_GPKG_IMPL["write_workspace"])
    list_backups = staticmethod(_GPKG_IMPL["list_backups"])
    make_backup = staticmethod(_GPKG_IMPL["make_backup"])
    restore_backup = staticmethod(_GPKG_IMPL["restore_backup"])


#: The one GeoPackage store (:data:`bangfu.workspace.backend.BACKENDS`).
GPKG = GeoPackageStore()
