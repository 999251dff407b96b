"""The PostGIS workspace store: one PostgreSQL schema per workspace, the same interface as the GeoPackage store.

Layout of a workspace schema (``?schema=<name>`` of the URL, default ``bangfu``), made for QGIS as much as for
the app:

* one table per layer of :mod:`bangfu.workspace.schema`: ``fid`` (identity, primary key; the row order), the
  layer's columns in SQL types (:data:`SQL_TYPES`; ``UNIQUE`` where the schema says so), ``geom
  geometry(MultiPolygon|LineString|Point|Geometry, 4326)`` with a GiST index, a btree index on ``village_code``
  (prefix reads of an area), ``COMMENT ON TABLE/COLUMN`` with the Chinese labels;
* ``bangfu_meta`` (key/value, the GeoPackage's keys plus ``schema_format`` = :data:`FORMAT_VERSION`); a
  statement trigger on every layer table gives the layer a new ``content:<layer>`` token whenever anything
  (this app, QGIS, ``psql``) writes it, so validations and caches never trust changed data;
* ``bangfu_audit``: the audit rows of this workspace's edits, imports and restores (append-only by trigger),
  written in the same transaction as the change.

Writes: every write is ONE transaction holding the workspace's advisory locks: the shared form
(``pg_advisory_xact_lock_shared``) for an edit, the exclusive form for an import or restore, and an exclusive
*writer* lock that queues writers for the version counter (a writer waits at most
:func:`bangfu.workspace.locking.write_wait` seconds, then :class:`~bangfu.workspace.locking.WorkspaceBusy`).
Edited rows are read ``FOR UPDATE`` and written ``WHERE version = <read version>``. A connection lost at any
point rolls the whole transaction back on the server. Backups before an import or restore are layer backups
(GeoPackage files) in the data folder: ``<data folder>/backups/postgis-<db>-<schema>/``. See ``docs/writes.md``.

No SQL is built from user values: identifiers come from the schema table and the URL's schema name, always
through :class:`psycopg.sql.Identifier`; values are parameters.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Iterator, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql
from psycopg.types.string import TextLoader

from bangfu.workspace import audit, locking, pgconnect, store
from bangfu.workspace.access import Principal, require
from bangfu.workspace.schema import LAYERS, REFERENCE_TABLES, REQUIRED_LAYERS, Layer
from bangfu.workspace.schema import get_layer as _schema_layer

__all__ = [
    "FORMAT_VERSION", "SQL_TYPES", "GEOMETRY_TYPES", "PgConnection", "PostgisStore", "STORE", "migrate",
    "audit_entries",
]

#: The layout version of a workspace schema this code reads and writes (``bangfu_meta.schema_format``).
FORMAT_VERSION = 1
#: Schema dtype → PostgreSQL column type. ``datetime`` stays ISO text (with its ``+08:00``), as in the GeoPackage.
SQL_TYPES = {"str": "text", "int": "bigint", "float": "double precision", "bool": "boolean", "date": "date",
             "datetime": "text"}
#: Schema geometry kind → PostGIS geometry type (SRID 4326).
GEOMETRY_TYPES = {"Polygon": "MultiPolygon", "LineString": "LineString", "Point": "Point", "Any": "Geometry"}
META = "bangfu_meta"
AUDIT = "bangfu_audit"
_OWN_TABLES = (META, AUDIT)
_AUDIT_COLUMNS = ("at", "username", "display_name", "role", "action", "workspace", "target", "details")


def get_layer(name: str) -> Layer:
    """A layer of the schema table, or a reference table (the official village list) a workspace may hold."""
    return REFERENCE_TABLES[name] if name in REFERENCE_TABLES else _schema_layer(name)


#: Every table a workspace schema may hold besides its own: the layers, then the reference tables.
ALL_TABLES = (*LAYERS, *REFERENCE_TABLES)


def _schema(location: store.Path | str) -> str:
    return pgconnect.parse(str(location)).schema


def _ident(*names: str) -> sql.Identifier:
    return sql.Identifier(*names)


@contextlib.contextmanager
def _connect(location: store.Path | str) -> Iterator[psycopg.Connection]:
    con = pgconnect.connect(str(location), autocommit=True)
    con.adapters.register_loader("date", TextLoader)  # dates read as ISO text, as from a GeoPackage
    try:
        yield con
    finally:
        con.close()


_READERS = threading.local()
#: How many read connections a thread keeps open (the least recently used is closed first).
_READERS_KEPT = 3


@contextlib.contextmanager
def _reader(location: store.Path | str) -> Iterator[psycopg.Connection]:
    """A connection for reads (autocommit), kept per thread and location: a page's many small reads (meta, layer
    list, version) do not each pay a new connection. A cached connection the server dropped is replaced (one
    ``SELECT 1`` checks it); any database error on a read drops it and reaches the user as a Chinese
    :class:`~bangfu.workspace.errors.WorkspaceError`. Writes always open their own connection (:func:`_connect`)."""
    key = str(location)
    cache: dict[str, psycopg.Connection] = _READERS.__dict__.setdefault("cons", {})
    con = cache.pop(key, None)
    if con is not None:
        try:
            con.execute("SELECT 1")
        except psycopg.Error:
            con.close()
            con = None
    if con is None:
        con = pgconnect.connect(key, autocommit=True)
        con.adapters.register_loader("date", TextLoader)
    try:
        yield con
    except psycopg.Error as exc:
        con.close()
        raise _db_error(exc, key, "读取数据", "reading") from None
    except BaseException:
        con.close()
        raise
    cache[key] = con  # the most recently used last
    while len(cache) > _READERS_KEPT:
        cache.pop(next(iter(cache))).close()


def _db_error(exc: psycopg.Error, location: str, doing_zh: str, doing_en: str) -> store.WorkspaceError:
    """A database failure as the user sees it (never the password, never a traceback)."""
    where = pgconnect.parse(location).display()
    return store.WorkspaceError(
        f"{doing_zh}失败，没有写入任何数据：数据库连接中断或出错（{where}）。",
        f"{doing_en} failed, nothing was written: the database connection was lost or failed ({where}).",
        hint_zh="检查数据库服务器是否在运行、网络是否通畅，然后重试；已提交的数据不受影响。",
        hint_en="Check that the database server is running and reachable, then try again.",
        details=(type(exc).__name__,),
    )


# --------------------------------------------------------------------------- layout


def _tables(con: psycopg.Connection, schema: str) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                       (schema,)).fetchall()
    return {str(r[0]) for r in rows}


def _meta(con: psycopg.Connection, schema: str) -> dict[str, str]:
    rows = con.execute(sql.SQL("SELECT key, value FROM {}").format(_ident(schema, META))).fetchall()
    return {str(k): str(v) for k, v in rows}


def _create_own_tables(con: psycopg.Connection, schema: str) -> None:
    """``bangfu_meta``, ``bangfu_audit`` (append-only) and the change-marking trigger function of a schema."""
    con.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, value text NOT NULL)").format(
        _ident(schema, META)))

    con.execute(sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} (audit_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
        "at text NOT NULL, username text NOT NULL, display_name text NOT NULL, role text NOT NULL, "
        "action text NOT NULL, workspace text NOT NULL, target text NOT NULL, details text NOT NULL)").format(
        _ident(schema, AUDIT)))
    con.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(
        _ident(schema, META), sql.Literal("帮扶地图工作空间信息（版本、图层标记、最近写入）")))
    con.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(
        _ident(schema, AUDIT), sql.Literal("审计记录：这个工作空间的每次修改、导入和恢复（只追加）")))
    con.execute(sql.SQL(
        "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'the audit trail is append-only'; END $$").format(_ident(schema, "bangfu_audit_frozen")))
    con.execute(sql.SQL(
        "CREATE OR REPLACE TRIGGER bangfu_audit_frozen BEFORE UPDATE OR DELETE OR TRUNCATE ON {} "
        "FOR EACH STATEMENT EXECUTE FUNCTION {}()").format(_ident(schema, AUDIT), _ident(schema, "bangfu_audit_frozen")))
    # every write of a layer table (by anyone) gives the layer a new content token
    con.execute(sql.SQL(
        "CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO {meta} (key, value) VALUES ('content:' || TG_TABLE_NAME, md5(random()::text || "
        "clock_timestamp()::text)) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value; RETURN NULL; END $$"
    ).format(fn=_ident(schema, "bangfu_mark_change"), meta=_ident(schema, META)))


def _create_table(con: psycopg.Connection, schema: str, layer: Layer) -> None:
    """The table of ``layer``: typed columns, geometry, indexes, Chinese comments, the change trigger."""
    table = _ident(schema, layer.name)
    cols: list[sql.Composable] = [sql.SQL("fid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")]
    if layer.geometry is not None:
        cols.append(sql.SQL("geom geometry({}, 4326)").format(sql.SQL(GEOMETRY_TYPES[layer.geometry])))
    for c in layer.columns:
        cols.append(sql.SQL("{} {}{}").format(_ident(c.name), sql.SQL(SQL_TYPES[c.dtype]),
                                              sql.SQL(" UNIQUE" if c.unique else "")))
    con.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(cols)))
    if layer.geometry is not None:
        con.execute(sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(
            _ident(f"{layer.name}_geom_gist"), table))
    if "village_code" in layer.column_names:
        con.execute(sql.SQL("CREATE INDEX {} ON {} (village_code text_pattern_ops)").format(
            _ident(f"{layer.name}_village_code"), table))
    con.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(f"{layer.zh}（{layer.en}）")))
    for c in layer.columns:
        con.execute(sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(table, _ident(c.name), sql.Literal(c.zh)))
    if layer.geometry is not None:
        con.execute(sql.SQL("COMMENT ON COLUMN {}.geom IS {}").format(table, sql.Literal("几何（WGS 84）")))
    con.execute(sql.SQL(
        "CREATE TRIGGER bangfu_mark_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {} "
        "FOR EACH STATEMENT EXECUTE FUNCTION {}()").format(table, _ident(schema, "bangfu_mark_change")))


def _column_values(layer: Layer, df: pd.DataFrame) -> list[list[Any]]:
    """The schema columns of ``df`` as Python values (None for gaps), plus hex EWKB geometry first if any."""
    out = []
    if layer.geometry is not None:
        geoms = np.asarray(df.geometry.values if isinstance(df, gpd.GeoDataFrame) else df["geometry"], dtype=object)
        if layer.geometry == "Polygon":
            geoms = np.array([shapely.MultiPolygon([g]) if g is not None and g.geom_type == "Polygon" else g
                              for g in geoms], dtype=object)
        hexes = shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True)
        out.append([None if g is None else h for g, h in zip(geoms, hexes)])
    for c in layer.columns:
        s = df[c.name]
        vals: list[Any]
        if c.dtype == "int":
            vals = [None if pd.isna(v) else int(v) for v in s]
        elif c.dtype == "float":
            vals = [None if pd.isna(v) else float(v) for v in s]
        elif c.dtype == "bool":
            vals = [None if pd.isna(v) else bool(v) for v in s]
        else:
            vals = [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v) for v in s]
        out.append(vals)
    return out


def _copy_in(con: psycopg.Connection, schema: str, layer: Layer, df: pd.DataFrame) -> None:
    """Append the rows of ``df`` to the layer's table with COPY (in row order: ``fid`` 1, 2, …)."""
    frame = store.coerce(layer, df)
    names = (["geom"] if layer.geometry is not None else []) + list(layer.column_names)
    columns = _column_values(layer, frame)
    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(_ident(schema, layer.name),
                                                     sql.SQL(", ").join(_ident(n) for n in names))
    with con.cursor() as cur, cur.copy(stmt) as cp:
        for row in zip(*columns):
            cp.write_row(row)


def _fill_table(con: psycopg.Connection, schema: str, layer: Layer, df: pd.DataFrame | None, exists: bool) -> None:
    """Make the layer's table hold exactly ``df`` (None: no table). An existing table is emptied in place (its
    comments, grants and indexes stay, e.g. a read-only role QGIS uses); a missing one is created."""
    table = _ident(schema, layer.name)
    if df is None:
        if exists:
            con.execute(sql.SQL("DROP TABLE {}").format(table))
        return
    if exists:
        con.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY").format(table))
    else:
        _create_table(con, schema, layer)
    _copy_in(con, schema, layer, df)


def _set_meta(con: psycopg.Connection, schema: str, entries: Mapping[str, str]) -> None:
    with con.cursor() as cur:
        cur.executemany(sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
                                "SET value = EXCLUDED.value").format(_ident(schema, META)),
                        [(k, str(v)) for k, v in entries.items()])


# --------------------------------------------------------------------------- checks


def _check(con: psycopg.Connection, location: str) -> dict[str, str]:
    """Refuse (Chinese :class:`WorkspaceError`) a schema that is missing, written by another program or by another
    format version of ours, or lacks a required layer; returns its meta."""
    schema = _schema(location)
    shown = pgconnect.parse(location).display()
    tables = _tables(con, schema)
    hint = ("用 python -m bangfu copy 把一个工作空间复制到这个数据库（新的 schema），或检查地址中的 schema 名称。",
            "Copy a workspace into the database with python -m bangfu copy, or check the schema in the URL.")
    if not tables:
        raise store.WorkspaceError(f"数据库中没有这个工作空间（schema “{schema}” 不存在或为空）：{shown}",
                                   f"no workspace in schema {schema!r}: {shown}", hint_zh=hint[0], hint_en=hint[1])
    if META not in tables:
        raise store.WorkspaceError(
            f"schema “{schema}” 中的表不是帮扶地图写入的（没有 {META} 表），为了不覆盖其他程序的数据，拒绝打开。",
            f"schema {schema!r} was not written by Bangfu Atlas (no {META} table); refused so nothing is overwritten.",
            hint_zh="请换一个 schema 名称（地址中的 ?schema=），或请数据库管理员确认。",
            hint_en="Use another schema name (?schema= in the URL) or ask the database administrator.")
    meta = _meta(con, schema)
    fmt = meta.get("schema_format", "")
    if fmt != str(FORMAT_VERSION):
        newer = fmt.isdigit() and int(fmt) > FORMAT_VERSION
        raise store.WorkspaceError(
            f"schema “{schema}” 的数据格式版本是 {fmt or '（未知）'}，本程序使用版本 {FORMAT_VERSION}："
            + ("它由更新版本的帮扶地图写入，请升级本程序。" if newer else "需要先迁移，拒绝直接打开（不会自动改写）。"),
            f"schema {schema!r} has format {fmt or '?'}, this program uses {FORMAT_VERSION}: "
            + ("upgrade the program." if newer else "migrate it first; it is never rewritten silently."),
            hint_zh="升级帮扶地图。" if newer else "确认后运行 python -m bangfu migrate --workspace <地址> 迁移。",
            hint_en="Upgrade Bangfu Atlas." if newer else "Run python -m bangfu migrate --workspace <URL>.")
    missing = [n for n in REQUIRED_LAYERS if n not in tables]
    if missing:
        zh = "、".join(get_layer(m).zh for m in missing)
        raise store.WorkspaceError(f"工作空间缺少必需的图层：{zh}", f"workspace lacks required layers: {', '.join(missing)}")
    return meta


#: Migrations of older formats: format → the SQL steps that bring it to the next one (none yet: format 1 is the
#: first). Run only by :func:`migrate` (``python -m bangfu migrate``), never on open.
MIGRATIONS: dict[int, tuple[str, ...]] = {}


def migrate(location: str) -> int:
    """Bring a workspace schema of an older format to :data:`FORMAT_VERSION` (explicit command only); returns the
    format it had. Refuses a schema of another program or a newer format."""
    schema = _schema(location)
    with _connect(location) as con, con.transaction():
        _lock(con, schema, exclusive=True)
        tables = _tables(con, schema)
        if META not in tables:
            _check(con, location)  # raises: not ours
        fmt = _meta(con, schema).get("schema_format", "")
        if not fmt.isdigit() or int(fmt) > FORMAT_VERSION:
            _check(con, location)  # raises with the reason
        start = int(fmt)
        for step in range(start, FORMAT_VERSION):
            for statement in MIGRATIONS.get(step, ()):
                con.execute(sql.SQL(statement))  # fixed text from MIGRATIONS only
        _set_meta(con, schema, {"schema_format": str(FORMAT_VERSION)})
    return start


# --------------------------------------------------------------------------- locks


def _lock(con: psycopg.Connection, schema: str, *, exclusive: bool) -> None:
    """The transaction's workspace locks: shared (edits) or exclusive (imports, restores) on the workspace, and
    the exclusive writer lock that orders writers for the version counter. Waits :func:`locking.write_wait`."""
    wait_ms = max(1, int(locking.write_wait() * 1000))
    con.execute("SELECT set_config('lock_timeout', %s, true)", (f"{wait_ms}ms",))
    start = time.monotonic()
    try:
        if exclusive:
            con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"bangfu:{schema}",))
        else:
            con.execute("SELECT pg_advisory_xact_lock_shared(hashtext(%s))", (f"bangfu:{schema}",))
        con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"bangfu-writer:{schema}",))
    except psycopg.errors.LockNotAvailable:
        raise locking.WorkspaceBusy(time.monotonic() - start) from None


# --------------------------------------------------------------------------- reading


_TEXT_CAST: set[str] = set()


def _select_list(layer: Layer) -> sql.Composed:
    parts: list[sql.Composable] = [sql.SQL("{}::text").format(_ident(c.name)) if c.dtype in _TEXT_CAST
                                   else _ident(c.name) for c in layer.columns]
    if layer.geometry is not None:
        parts.append(sql.SQL("ST_AsBinary(geom)"))
    return sql.SQL(", ").join(parts)


_SERIES_DTYPES = {"int": "Int64", "float": "float64", "bool": "boolean"}


def _frame(layer: Layer, rows: Sequence[tuple[Any, ...]]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for i, c in enumerate(layer.columns):
        values = [r[i] for r in rows]
        if c.dtype == "float":
            data[c.name] = pd.Series(np.array([np.nan if v is None else v for v in values], dtype="float64"))
        elif c.dtype in _SERIES_DTYPES:
            data[c.name] = pd.Series(pd.array(values, dtype=_SERIES_DTYPES[c.dtype]))
        else:
            data[c.name] = pd.Series(values, dtype=object)
    if layer.geometry is None:
        return store.coerce(layer, pd.DataFrame(data, index=pd.RangeIndex(len(rows))))
    geoms = shapely.from_wkb(np.array([None if r[-1] is None else bytes(r[-1]) for r in rows], dtype=object))
    gdf = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    return store.coerce(layer, gdf)


def _read(location: str, name: str, where: sql.Composable | None = None, params: Sequence[Any] = ()) -> pd.DataFrame:
    layer = get_layer(name)
    schema = _schema(location)
    try:
        with _reader(location) as con:
            if name not in _tables(con, schema):
                return store.coerce(layer, pd.DataFrame({c: [] for c in layer.column_names})) if layer.geometry \
                    is None else store.empty_layer(name)
            query = sql.SQL("SELECT {} FROM {}").format(_select_list(layer), _ident(schema, name))
            if where is not None:
                query = query + sql.SQL(" WHERE ") + where
            rows = con.execute(query + sql.SQL(" ORDER BY fid"), params).fetchall()
    except psycopg.Error as exc:
        raise _db_error(exc, location, "读取数据", "reading") from None
    return _frame(layer, rows)


#: Rows whose envelope meets a box: the GiST index (``&&``, single-precision boxes: a few more rows), then the
#: exact envelope test in double precision, so the answer is the GeoPackage's R-tree answer.
_BBOX = sql.SQL("(geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326) AND ST_XMax(geom) >= %s AND ST_XMin(geom) <= %s "
                "AND ST_YMax(geom) >= %s AND ST_YMin(geom) <= %s)")


def _bbox_params(bbox: tuple[float, float, float, float]) -> list[float]:
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    return [minx, miny, maxx, maxy, minx, maxx, miny, maxy]
_PREFIX = sql.SQL("village_code LIKE %s")


class PostgisStore:
    """The PostGIS implementation of :class:`bangfu.workspace.backend.Store`."""

    kind = "postgis"

    # ----------------------------------------------------------------- reads

    def read_layer(self, location: store.Path | str, name: str, *,
                   bbox: tuple[float, float, float, float] | None = None, where: str | None = None) -> pd.DataFrame:
        if where is not None:
            raise ValueError("a raw SQL condition is not accepted for a database workspace; use read_candidates")
        if bbox is not None and get_layer(name).geometry is not None:
            return _read(str(location), name, _BBOX, _bbox_params(bbox))
        return _read(str(location), name)

    def read_candidates(self, location: store.Path | str, name: str, *,
                        bbox: tuple[float, float, float, float] | None, code_prefix: str | None) -> pd.DataFrame:
        layer = get_layer(name)
        parts: list[sql.Composable] = []
        params: list[Any] = []
        if bbox is not None and layer.geometry is not None:
            parts.append(_BBOX)
            params += _bbox_params(bbox)
        if code_prefix is not None and "village_code" in layer.column_names:
            if not code_prefix.isdigit():
                raise ValueError(f"an area code is digits only, not {code_prefix!r}")
            parts.append(_PREFIX)
            params.append(code_prefix + "%")
        if not parts:
            return _read(str(location), name)
        return _read(str(location), name, sql.SQL("(") + sql.SQL(" OR ").join(parts) + sql.SQL(")"), params)

    def read_rows(self, location: store.Path | str, name: str, columns: Sequence[str], *,
                  key: str | None = None) -> list[tuple[Any, ...]]:
        layer = get_layer(name)
        schema = _schema(location)
        query = sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(_ident(layer.column(c).name) for c in columns), _ident(schema, layer.name))
        if key is not None:
            query += sql.SQL(" WHERE {} = %s").format(_ident(layer.key))
        try:
            with _reader(location) as con:
                return [tuple(r) for r in con.execute(query + sql.SQL(" ORDER BY fid"),
                                                      None if key is None else (key,)).fetchall()]
        except psycopg.Error as exc:
            raise _db_error(exc, str(location), "读取数据", "reading") from None

    def count_rows(self, location: store.Path | str, names: Sequence[str]) -> dict[str, int]:
        schema = _schema(location)
        with _reader(location) as con:
            present = _tables(con, schema)
            return {n: int(con.execute(sql.SQL("SELECT count(*) FROM {}").format(
                _ident(schema, get_layer(n).name))).fetchone()[0]) if n in present else 0  # type: ignore[index]
                for n in names}

    def list_layers(self, location: store.Path | str) -> list[str]:
        schema = _schema(location)
        with _reader(location) as con:
            tables = _tables(con, schema)
        return [n for n in LAYERS if n in tables]

    def read_meta(self, location: store.Path | str) -> dict[str, str]:
        schema = _schema(location)
        with _reader(location) as con:
            if META not in _tables(con, schema):
                return {}
            return _meta(con, schema)

    def workspace_version(self, location: store.Path | str) -> str:
        meta = self.read_meta(location)
        marks = hashlib.sha1(json.dumps(sorted((k, v) for k, v in meta.items() if k.startswith(store.CONTENT_MARK)))
                             .encode()).hexdigest()[:12]
        return f"{meta.get('version', '0')}-pg-{marks}"

    def content_tokens(self, location: store.Path | str) -> dict[str, str]:
        meta = self.read_meta(location)
        return {name: f"pg:{meta.get(store.CONTENT_MARK + name, 'none')}" for name in LAYERS}

    def check_workspace_file(self, location: store.Path | str, *, integrity: bool = True) -> None:
        try:
            with _reader(location) as con:
                _check(con, str(location))
        except psycopg.Error as exc:
            raise _db_error(exc, str(location), "打开工作空间", "opening the workspace") from None

    def open_workspace(self, location: store.Path | str) -> store.WorkspaceInfo:
        self.check_workspace_file(location)
        return store.WorkspaceInfo(str(location), self.workspace_version(location), self.read_meta(location),
                             self.list_layers(location))

    # ----------------------------------------------------------------- writes

    @contextlib.contextmanager
    def _write(self, location: str, *, exclusive: bool, doing: tuple[str, str]
               ) -> Iterator[tuple[psycopg.Connection, dict[str, str]]]:
        """One write transaction with the workspace locks taken and the schema checked; yields the connection and
        the meta as it was at the start. Commits at the end of the block; anything raised rolls back."""
        schema = _schema(location)
        start = time.monotonic()
        try:
            with _connect(location) as con, con.transaction():
                _lock(con, schema, exclusive=exclusive)
                before = _check(con, location)
                con.execute("SELECT set_config('search_path', %s, true)",
                            (sql.Identifier(schema).as_string(con) + ", public",))
                yield con, before
        except psycopg.errors.LockNotAvailable:  # a table or row another session holds longer than we may wait
            raise locking.WorkspaceBusy(time.monotonic() - start) from None
        except psycopg.Error as exc:
            raise _db_error(exc, location, *doing) from None

    def _finish(self, con: psycopg.Connection, location: str, before: Mapping[str, str], *,
                user: Principal | None, action: str, target: str, details: Mapping[str, Any] | None,
                extra: Iterable[str] = ()) -> int:
        """Next version, layer marks of every layer the transaction wrote (its content token changed), the
        last-write note and the audit row — inside the transaction."""
        schema = _schema(location)
        now = _meta(con, schema)
        version = store.meta_version(now) + 1
        touched = {n for n in LAYERS if now.get(store.CONTENT_MARK + n) != before.get(store.CONTENT_MARK + n)}
        touched |= set(extra)
        entries = {"version": str(version), **{f"{store.LAYER_MARK}{n}": str(version) for n in touched},
                   **store._last_write(user, action, target)}
        _set_meta(con, schema, entries)
        if user is not None:
            _audit_insert(con, schema, audit.row(user, action, _name(location), target,
                                                 {**dict(details or {}), "version": version,
                                                  "layers": sorted(touched)}))
        return version

    @contextlib.contextmanager
    def transaction(self, location: store.Path | str, *, user: Principal | None = None, action: str = "edit",
                    target: str = "", details: dict[str, Any] | None = None, permission: str | None = None,
                    town_code: str | None = None, office: bool = False) -> Iterator[PgConnection]:
        if permission is not None:
            require(user, permission, town_code=town_code)
        loc = str(location)
        with self._write(loc, exclusive=False, doing=("保存修改", "saving the edit")) as (con, before):
            yield PgConnection(con, loc)
            self._finish(con, loc, before, user=user, action=action, target=target, details=details)
            locking.checkpoint("transaction:before_commit")

    def replace_layers(self, location: store.Path | str, layers: Mapping[str, pd.DataFrame], *, user: Principal,
                       base_version: int | None = None, depends: Iterable[str] = (), action: str = "import",
                       target: str = "", details: Mapping[str, Any] | None = None) -> int:
        require(user, "import")
        loc = str(location)
        names = [n for n in LAYERS if n in layers]
        relevant = set(names) | set(depends)
        target = target or ",".join(names)
        with self._write(loc, exclusive=True, doing=("导入", "the import")) as (con, before):
            locking.checkpoint("import:locked")
            store._check_base(before, base_version, relevant)
            _write_backup(con, loc, before, names, user=user, reason=action, target=target)
            locking.checkpoint("import:backed_up")
            version = self._replace(con, loc, before, {n: layers[n] for n in names}, user=user, action=action,
                                    target=target, details=details, step="import", written="written")
        locking.checkpoint("import:committed")
        return version

    def _replace(self, con: psycopg.Connection, location: str, before: Mapping[str, str],
                 frames: Mapping[str, pd.DataFrame | None], *, user: Principal, action: str, target: str,
                 details: Mapping[str, Any] | None, step: str, written: str,
                 meta: Mapping[str, str] | None = None) -> int:
        schema = _schema(location)
        tables = _tables(con, schema)
        for name, df in frames.items():
            _fill_table(con, schema, get_layer(name), df, name in tables)
        if meta:
            _set_meta(con, schema, meta)
        locking.checkpoint(f"{step}:{written}")
        version = self._finish(con, location, before, user=user, action=action, target=target, details=details,
                               extra=frames)
        locking.checkpoint(f"{step}:before_commit")
        return version

    def write_workspace(self, location: store.Path | str, layers: Mapping[str, pd.DataFrame], *,
                        meta: Mapping[str, str] | None = None) -> None:
        """A complete new workspace in the URL's schema (created; the layers and notes of an earlier workspace of
        ours there are replaced, its ``bangfu_audit`` kept; a schema of another program is refused), in one
        transaction."""
        loc = str(location)
        schema = _schema(loc)
        try:
            with _connect(loc) as con, con.transaction():
                _lock(con, schema, exclusive=True)
                tables = _tables(con, schema)
                if tables and META not in tables:
                    _check(con, loc)  # raises: another program's schema is never overwritten
                for name in tables & {*ALL_TABLES, META}:  # an earlier workspace of ours: its audit trail stays
                    con.execute(sql.SQL("DROP TABLE {}").format(_ident(schema, name)))
                con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(_ident(schema)))
                _create_own_tables(con, schema)
                for name in ALL_TABLES:
                    if name in layers:
                        _create_table(con, schema, get_layer(name))
                        _copy_in(con, schema, get_layer(name), layers[name])
                _set_meta(con, schema, {"version": "1", **dict(meta or {}), "schema_format": str(FORMAT_VERSION)})
        except psycopg.Error as exc:
            raise _db_error(exc, loc, "写入工作空间", "writing the workspace") from None

    # ----------------------------------------------------------------- backups

    def list_backups(self, location: store.Path | str) -> list[store.Backup]:
        return store._list_backup_files(backups_dir(str(location)))

    def make_backup(self, location: store.Path | str, *, user: Principal, reason: str = "backup",
                    target: str = "") -> store.Backup:
        require(user, "restore")
        loc = str(location)
        with self._write(loc, exclusive=True, doing=("备份", "the backup")) as (con, before):
            return _write_backup(con, loc, before, self.list_layers(loc), user=user, reason=reason, target=target)

    def restore_backup(self, location: store.Path | str, *, user: Principal, backup: str | None = None,
                       expected_version: int | None = None) -> store.Backup:
        require(user, "restore")
        loc = str(location)
        found = self.list_backups(loc)
        chosen = found[0] if found and backup is None else next((b for b in found if b.name == backup), None)
        if chosen is None:
            raise store.NoBackup("没有可恢复的备份。" if backup is None else f"找不到备份：{backup}",
                                 "no backup to restore" if backup is None else f"no backup {backup!r}",
                                 hint_zh="每次导入和恢复之前，工作空间都会自动备份；之后才有备份可恢复。",
                                 hint_en="The workspace is backed up before every import and restore.")
        store.check_backup(chosen)
        names = list(chosen.layers)
        frames: dict[str, pd.DataFrame | None] = {}
        present = set(store.list_layers(chosen.path))
        for n in names:
            frames[n] = store.read_layer(chosen.path, n) if n in present else None
        self._restore(loc, frames, user=user, action="restore_backup", target=chosen.name,
                      expected_version=expected_version, meta={"restored_from": chosen.name},
                      details={"backup_at": chosen.at, "backup_version": chosen.version})
        return chosen

    def restore_demo(self, location: str, *, user: Principal, demo: Path, expected_version: int | None = None
                     ) -> str:
        """Replace every layer by the demo's (the current layers are backed up first)."""
        require(user, "restore")
        frames: dict[str, pd.DataFrame | None] = {}
        present = set(store.list_layers(demo))
        for n in LAYERS:
            frames[n] = store.read_layer(demo, n) if n in present else None
        self._restore(location, frames, user=user, action="restore_demo", target="demo",
                      expected_version=expected_version, meta={"restored_from": demo.name}, details={})
        return location

    def _restore(self, location: str, frames: Mapping[str, pd.DataFrame | None], *, user: Principal, action: str,
                 target: str, expected_version: int | None, meta: Mapping[str, str],
                 details: Mapping[str, Any]) -> int:
        with self._write(location, exclusive=True, doing=("恢复", "the restore")) as (con, before):
            current = store.meta_version(before)
            if expected_version is not None and current != expected_version:
                raise store.WriteConflict(
                    f"没有恢复：确认之后，工作空间又被修改过（现在是 v{current}）。请重新确认。",
                    "not restored: the workspace changed after the confirmation; confirm again.",
                    hint_zh="重新查看将被替换的数据，再确认一次。", hint_en="Review what will be replaced and confirm again.")
            present = set(_tables(con, _schema(location)))
            _write_backup(con, location, before, [n for n in frames if n in present or frames[n] is not None],
                          user=user, reason=action, target=target)
            locking.checkpoint("restore:backed_up")
            return self._replace(con, location, before, frames, user=user, action=action, target=target,
                                 details=details, step="restore", written="copied", meta=meta)


def read_reference(location: str) -> pd.DataFrame:
    """The official village list a database workspace holds (empty frame with its columns when none)."""
    return _read(location, REFERENCE_TABLES["reference_villages"].name)


def _name(location: str) -> str:
    return pgconnect.parse(location).display()


def local_name(location: str) -> str:
    """A file name for things the app keeps locally about a database workspace (backups, stored validation):
    ``postgis-<host>-<port>-<db>-<schema>``."""
    loc = pgconnect.parse(location)
    return re.sub(r"[^0-9A-Za-z_.-]", "_", f"postgis-{loc.host}-{loc.port}-{loc.dbname}-{loc.schema}")


def backups_dir(location: str) -> Path:
    """Where the layer backups of a database workspace go: ``<data folder>/backups/postgis-<host>-…-<schema>/``."""
    return store.default_workspace_dir() / store.BACKUP_DIR / local_name(location)


def _write_backup(con: psycopg.Connection, location: str, meta: Mapping[str, str], names: Sequence[str], *,
                  user: Principal, reason: str, target: str) -> store.Backup:
    """A layer backup (GeoPackage) of ``names`` as they are in the transaction ``con`` is in, written to a
    temporary name, checked and renamed into :func:`backups_dir`; old ones rotate out."""
    schema = _schema(location)
    tables = _tables(con, schema)
    frames = {}
    for n in names:
        if n in tables:
            layer = get_layer(n)
            rows = con.execute(sql.SQL("SELECT {} FROM {} ORDER BY fid").format(
                _select_list(layer), _ident(schema, n))).fetchall()
            frames[n] = _frame(layer, rows)
    d = backups_dir(location)
    d.mkdir(parents=True, exist_ok=True)
    version = store.meta_version(meta)
    notes = {**{k: v for k, v in meta.items() if not k.startswith("backup_")}, "backup_at": audit.now(),
             "backup_user": user.name, "backup_username": user.username, "backup_reason": reason,
             "backup_target": target, store.BACKUP_LAYERS: ",".join(names)}
    ns = time.time_ns()
    stamp = datetime.fromtimestamp(ns // 1_000_000_000, audit.CHINA_TZ).strftime("%Y%m%d-%H%M%S")
    final = d / f"{schema}-{stamp}-{ns % 1_000_000_000:09d}-v{version}.gpkg"
    tmp = d / f"{locking.WRITER_PREFIX}{final.name}"
    try:
        locking.checkpoint("backup:copying")
        store.write_gpkg(tmp, frames, meta=notes)
        store._check_layer_backup(tmp)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    files = sorted(d.glob(f"{schema}-*.gpkg"))
    for old in files[: max(0, len(files) - store.backups_to_keep())]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
    return next(b for b in store._list_backup_files(d) if b.path == final)


# --------------------------------------------------------------------------- edits and audit


def _audit_insert(con: psycopg.Connection, schema: str, row: Sequence[Any]) -> None:
    con.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        _ident(schema, AUDIT), sql.SQL(", ").join(_ident(c) for c in _AUDIT_COLUMNS),
        sql.SQL(", ").join(sql.Placeholder() * len(_AUDIT_COLUMNS))), list(row))


def record_audit(location: str, values: Sequence[Any]) -> None:
    """Append one audit row to a database workspace's ``bangfu_audit`` on its own (e.g. an export)."""
    with _connect(location) as con:
        _audit_insert(con, _schema(location), values)


class PgConnection:
    """What :func:`bangfu.workspace.store.transaction` yields for a database workspace: the few calls the edit
    engine makes of a ``sqlite3.Connection`` (``execute``/``executemany`` with ``?`` parameters), on the
    transaction's psycopg connection (its ``search_path`` is the workspace schema)."""

    #: Appended to the edit engine's row reads: the row stays locked until the transaction ends.
    FOR_UPDATE = " FOR UPDATE"

    def __init__(self, con: psycopg.Connection, location: str) -> None:
        self._con = con
        self.location = location
        self.schema = _schema(location)

    @staticmethod
    def _sql(query: str) -> sql.SQL:
        # the engine's statements: fixed text with identifiers from the schema table; values are parameters
        return sql.SQL(query.replace("?", "%s"))

    def execute(self, query: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self._con.execute(self._sql(query), list(params) or None)

    def executemany(self, query: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        cur = self._con.cursor()
        cur.executemany(self._sql(query), [list(r) for r in rows])
        return cur

    def ensure_history_table(self, hist: Layer) -> None:
        if hist.name not in _tables(self._con, self.schema):
            _create_table(self._con, self.schema, hist)

    def record_audit(self, row: Sequence[Any]) -> None:
        _audit_insert(self._con, self.schema, row)


def audit_entries(location: str, *, clauses: Sequence[str], args: Sequence[Any], limit: int) -> pd.DataFrame:
    """The audit rows of a database workspace (``bangfu_audit``), newest first; ``clauses`` are the fixed
    conditions of :func:`bangfu.workspace.audit.entries` with ``?`` parameters."""
    schema = _schema(location)
    cols = ("audit_id", *_AUDIT_COLUMNS)
    with _reader(location) as con:
        if AUDIT not in _tables(con, schema):
            return pd.DataFrame(columns=list(cols))
        query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(_ident(c) for c in cols), _ident(schema, AUDIT))
        if clauses:
            query += sql.SQL(" WHERE ") + sql.SQL(" AND ".join(c.replace("?", "%s") for c in clauses))
        query += sql.SQL(" ORDER BY audit_id DESC LIMIT %s")
        rows = con.execute(query, [*args, int(limit)]).fetchall()
    return pd.DataFrame(rows, columns=list(cols))


#: The one PostGIS store (:data:`bangfu.workspace.backend.BACKENDS`).
STORE = PostgisStore()
