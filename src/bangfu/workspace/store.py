"""Workspace store: one GeoPackage per workspace; open, read, and write in single transactions.

A workspace is a GeoPackage file holding the layers of :mod:`bangfu.workspace.schema` plus a small
``bangfu_meta`` table (key/value: ``version``, ``source``, ``synthetic_note``...).

Writes come in two kinds, both all-or-nothing:

* attribute edits (a road's status, a pairing's end date) run inside :func:`transaction`, one
  SQLite transaction that also bumps the workspace version;
* whole-layer writes (:func:`write_workspace`, :func:`replace_layers`, :func:`restore_demo`) build
  a complete new file next to the old one and swap it in atomically
  (:func:`bangfu.core.fileio.atomic_path`); the old file is kept as a backup.

The shipped demo (``geodata/kaiping_demo.gpkg``) is never written: :func:`ensure_workspace`
copies it to a writable workspace folder first.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from bangfu.core import fileio
from bangfu.core.errors import BangfuError
from bangfu.core.resources import DEMO_PATH
from bangfu.workspace import audit
from bangfu.workspace.schema import LAYERS, REQUIRED_LAYERS, Layer, get_layer
from bangfu.workspace.validate import parse_bool

WORKSPACE_FILE = "workspace.gpkg"
META_TABLE = "bangfu_meta"
FIXED_TIMESTAMP = "2026-01-01T00:00:00.000Z"


#: What a user can do about a workspace that cannot be used (shown by the app and the command line).
RESTORE_HINT_ZH = (
    "可以恢复开平市示例数据（当前文件会保留为 workspace.bak.gpkg），"
    "或用命令 python -m bangfu restore-backup 恢复导入前的备份。"
)
RESTORE_HINT_EN = (
    "Restore the Kaiping demo (the current file is kept as workspace.bak.gpkg), or restore the backup "
    "taken before the last import with python -m bangfu restore-backup."
)


class WorkspaceError(BangfuError):
    """A workspace that cannot be opened or written (Chinese and English message, a hint)."""

    def __init__(
        self, message_zh: str, message_en: str = "", *, hint_zh: str = RESTORE_HINT_ZH, hint_en: str = RESTORE_HINT_EN,
        details: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message_zh, message_en, hint_zh=hint_zh, hint_en=hint_en, details=details)


def default_workspace_dir() -> Path:
    """The writable workspace folder: ``$BANGFU_WORKSPACE`` or ``~/.local/share/bangfu-atlas``."""
    env = os.environ.get("BANGFU_WORKSPACE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bangfu-atlas"


def ensure_workspace(folder: Path | str | None = None, *, demo: Path = DEMO_PATH) -> Path:
    """The workspace file in ``folder``; copies the shipped demo there on first use."""
    folder = Path(folder) if folder is not None else default_workspace_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / WORKSPACE_FILE
    if not path.exists():
        restore_demo(folder, demo=demo)
    return path


def restore_demo(folder: Path | str | None = None, *, demo: Path = DEMO_PATH) -> Path:
    """Replace the workspace in ``folder`` by a fresh copy of the demo (old file kept as backup)."""
    folder = Path(folder) if folder is not None else default_workspace_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if not demo.exists():
        raise WorkspaceError(
            f"找不到示例数据文件：{demo}", f"demo file not found: {demo}",
            hint_zh="运行 python -m bangfu.demo build 重新生成示例数据，或重新安装本应用。",
            hint_en="Run python -m bangfu.demo build to rebuild the demo, or reinstall the app.",
        )
    path = folder / WORKSPACE_FILE
    return fileio.copy_file(demo, path, backup=backup_path(path))


def backup_path(path: Path | str) -> Path:
    """Where the previous version of a workspace is kept (``workspace.bak.gpkg``)."""
    p = Path(path)
    return p.with_name(p.stem + ".bak.gpkg")


# --------------------------------------------------------------------------- reading


def workspace_version(path: Path | str) -> str:
    """A token that changes whenever the workspace changes (meta version + file identity)."""
    p = Path(path)
    st = p.stat()
    return f"{_meta_get(p, 'version', '0')}-{st.st_mtime_ns}-{st.st_size}-{st.st_ino}"


def _connect_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def _meta_get(path: Path, key: str, default: str = "") -> str:
    try:
        with contextlib.closing(_connect_ro(path)) as con:
            row = con.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return default
    return str(row[0]) if row else default


def read_meta(path: Path | str) -> dict[str, str]:
    """All ``bangfu_meta`` key/values of a workspace."""
    with contextlib.closing(_connect_ro(Path(path))) as con:
        try:
            return {k: v for k, v in con.execute(f"SELECT key, value FROM {META_TABLE}")}
        except sqlite3.Error:
            return {}


def list_layers(path: Path | str) -> list[str]:
    """Names of the tables in a GeoPackage (spatial and attribute)."""
    return [str(name) for name, _ in pyogrio.list_layers(str(path))]


#: Workspace files whose integrity check passed, with the version token they had then.
_VERIFIED: dict[Path, str] = {}


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
            out[col.name] = pd.to_numeric(s, errors="coerce").round().astype("Int64")
        elif col.dtype == "float":
            out[col.name] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif col.dtype == "bool":
            out[col.name] = s.map(_to_bool).astype("boolean")
        else:
            out[col.name] = s.map(lambda v: None if _is_missing(v) else str(v)).astype(object)
    ordered = list(layer.column_names) + [c for c in out.columns if c not in layer.column_names]
    return out[ordered]


def _is_missing(v: object) -> bool:
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float) and np.isnan(v)


def _to_bool(v: object) -> object:
    """True/False for a recognisable yes/no value (the validator's table), NA otherwise."""
    f = parse_bool(v)
    return pd.NA if np.isnan(f) else bool(f)


def read_layer(path: Path | str, name: str) -> pd.DataFrame:
    """One layer as a (Geo)DataFrame in schema dtypes; an empty frame if the table is absent."""
    layer = get_layer(name)
    p = Path(path)
    if name not in list_layers(p):
        return _empty_frame(layer)
    df = pyogrio.read_dataframe(str(p), layer=name, use_arrow=True)
    if layer.geometry is not None and isinstance(df, gpd.GeoDataFrame):
        if df.crs is None:
            df = df.set_crs("EPSG:4326")
        elif not df.crs.equals("EPSG:4326"):
            df = df.to_crs("EPSG:4326")
    return coerce(layer, df)


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


def write_workspace(
    path: Path | str, layers: Mapping[str, pd.DataFrame], *, meta: Mapping[str, str] | None = None
) -> None:
    """Write a complete workspace atomically (temp file beside ``path``, swapped in; old file kept as backup)."""
    p = Path(path)
    with fileio.atomic_path(p, backup=backup_path(p)) as tmp:
        write_gpkg(tmp, layers, meta=meta)


def replace_layers(path: Path | str, layers: Mapping[str, pd.DataFrame]) -> None:
    """Replace some layers of an existing workspace, all or nothing, and bump its version."""
    p = Path(path)
    check_workspace_file(p)
    current = read_workspace(p)
    meta = read_meta(p)
    current.update(layers)
    meta["version"] = str(int(meta.get("version", "0")) + 1)
    write_workspace(p, current, meta=meta)


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


@contextlib.contextmanager
def transaction(path: Path | str, *, office: bool = False) -> Iterator[sqlite3.Connection]:
    """One write transaction on the workspace: commits and bumps the version, or rolls back.

    ``BEGIN IMMEDIATE`` takes the write lock at once, so concurrent editors queue instead of
    interleaving; a reader never sees half of an edit. With ``office`` the folder's office database
    (:mod:`bangfu.workspace.audit`) is attached as ``office`` first, so the audit row of the change
    (``audit.record(..., con=con)``) commits or rolls back with it.
    """
    p = Path(path)
    check_workspace_file(p, integrity=False)
    con = sqlite3.connect(p, timeout=60, isolation_level=None)
    _register_gpkg_functions(con)
    try:
        if office:
            audit.attach(con, p.parent)
        con.execute("BEGIN IMMEDIATE")
        yield con
        con.execute(
            f"UPDATE {META_TABLE} SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'version'"
        )
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()


@dataclass(frozen=True)
class WorkspaceInfo:
    """What the app shows about the open workspace."""

    path: Path
    version: str
    meta: dict[str, str]
    layers: list[str]


def open_workspace(path: Path | str) -> WorkspaceInfo:
    """Check a workspace file and describe it; raises :class:`WorkspaceError` with a Chinese message."""
    p = Path(path)
    check_workspace_file(p)
    return WorkspaceInfo(p, workspace_version(p), read_meta(p), list_layers(p))
