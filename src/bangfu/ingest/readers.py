"""File readers for imports: GeoPackage, GeoJSON, zipped Shapefile, KML, CSV and Excel → one RawTable.

Each reader takes the upload's bytes (already size-checked by :mod:`bangfu.ingest.guard`) and
returns the attribute table as text/numbers, the geometries if the file has any, the CRS the
file declares and the text encoding used. GDAL only ever sees files we wrote ourselves, under
fixed names, in a private temporary directory; GeoJSON, KML, CSV and Excel are parsed in Python.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
import json
import re
import sqlite3
import contextlib
import time
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyogrio
import shapely
import shapely.geometry

from bangfu.core import text as textutil
from bangfu.core.text import visible
from bangfu.ingest import encodings as enc
from bangfu.ingest import guard as guard
from bangfu.ingest.crs_detect import file_crs_key
from bangfu.ingest.guard import ImportRefused, Kind, Limits


@dataclass
class RawTable:
    """What a reader found in a file, before column mapping and CRS conversion."""

    kind: Kind
    frame: pd.DataFrame  # attribute columns as in the file (text decoded)
    geometry: np.ndarray | None  # shapely geometries, one per row, or None for a plain table
    file_crs: str | None  # option key of the CRS the file declares (see crs_detect.file_crs_key)
    encoding: enc.EncodingGuess
    sublayers: list[str] = field(default_factory=list)  # layers in a GeoPackage (the one read is first)
    notes: list[str] = field(default_factory=list)
    #: cells (row position, column, value as found with controls made visible) whose control characters were removed
    cleaned: list[tuple[int | None, str, str]] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


Reader = Callable[[bytes, "str | None", Limits, "str | None"], RawTable]

_FORMAT_NAME = {"gpkg": "GeoPackage", "geojson": "GeoJSON", "shapefile": "Shapefile", "kml": "KML", "csv": "CSV",
                "xlsx": "Excel"}


def _clean_text(v: object) -> object:
    if isinstance(v, str):
        v = v.strip()
        return v if v else None
    return v


# --------------------------------------------------------------------------- GeoPackage


#: Triggers a GeoPackage may carry: the spatial index and GeoPackage's own checks (they never run on reads).
_GPKG_TRIGGER_OK = re.compile(r"^(rtree_.+_(insert|update\d*|delete)|gpkg_.+|trigger_.+)$", re.IGNORECASE)


def _gpkg_inspect(path: str, sublayer: str | None, limits: Limits) -> tuple[list[str], str, int]:
    """(layers, the layer to read, its row count) from ``gpkg_contents``, opened read-only with a deadline.

    Refuses views (a view can run any query, e.g. an endless recursive one) and triggers other
    than GeoPackage's standard ones. Every query is interrupted by a progress handler once the
    time limit has passed.
    """
    deadline = time.monotonic() + limits.max_seconds

    def too_slow() -> int:
        return 1 if time.monotonic() > deadline else 0

    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as con:
            con.set_progress_handler(too_slow, 10_000)
            rows = con.execute("SELECT table_name, data_type FROM gpkg_contents ORDER BY table_name").fetchall()
            objects = dict(con.execute("SELECT name, type FROM sqlite_master").fetchall())
            triggers = [n for n, t in objects.items() if t == "trigger" and not _GPKG_TRIGGER_OK.match(n)]
            names = [str(r[0]) for r in rows]
            views = [n for n in names if objects.get(n) == "view"]
            if views:
                raise ImportRefused(
                    f"GeoPackage 的图层「{visible('、'.join(views))}」是视图（SQL 查询）而不是数据表。视图可以执行任意查询"
                    "（例如无限递归），出于安全原因拒绝导入。",
                    f"GeoPackage layers that are views are refused: {views}",
                    hint_zh="在 GIS 软件中把视图另存为普通图层（导出为新的 GeoPackage）后再导入。",
                    hint_en="Save the view as an ordinary layer (export a new GeoPackage) and import that.")
            if triggers:
                raise ImportRefused(
                    f"GeoPackage 含有自定义触发器（{visible('、'.join(triggers[:5]))}），出于安全原因拒绝导入。",
                    f"GeoPackage with custom triggers refused: {triggers[:5]}",
                    hint_zh="在 GIS 软件中把图层导出为新的 GeoPackage 后再导入。",
                    hint_en="Export the layer to a new GeoPackage and import that.")
            missing = [n for n in names if objects.get(n) != "table"]
            if missing:
                raise ImportRefused(f"GeoPackage 登记的图层「{visible('、'.join(missing))}」不存在。",
                                    f"layers listed in gpkg_contents do not exist: {missing}")
            if not names:
                raise ImportRefused("GeoPackage 里没有图层。", "GeoPackage has no layers")
            name = sublayer if sublayer in names else names[0]
            quoted = '"' + name.replace('"', '""') + '"'
            n_rows = int(con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {quoted} LIMIT ?)",
                                     (limits.max_rows + 1,)).fetchone()[0])
            n_cols = len(con.execute(f"PRAGMA table_info({quoted})").fetchall())
    except sqlite3.OperationalError as exc:
        if "interrupt" in str(exc).lower():
            raise ImportRefused(f"GeoPackage 检查用时超过上限（{limits.max_seconds:g} 秒），已终止。",
                                "GeoPackage inspection timed out") from None
        raise ImportRefused("文件不是有效的 GeoPackage（缺少 gpkg_contents 表或已损坏）。", f"not a GeoPackage: {exc}") from None
    except sqlite3.Error as exc:
        raise ImportRefused("文件不是有效的 GeoPackage（缺少 gpkg_contents 表或已损坏）。", f"not a GeoPackage: {exc}") from None
    guard.check_rows(n_rows, limits, columns=n_cols)
    return names, name, n_rows


def read_gpkg(data: bytes | Path, encoding: str | None, limits: Limits, sublayer: str | None) -> RawTable:
    with guard.PrivateDir() as tmp:
        path = tmp.link("upload.gpkg", data) if isinstance(data, Path) else tmp.write("upload.gpkg", data)
        names, name, _n = _gpkg_inspect(str(path), sublayer, limits)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                df = pyogrio.read_dataframe(str(path), layer=name)
        except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; the message is shown
            raise ImportRefused(f"GeoPackage 图层「{visible(name)}」无法读取：{exc}", f"cannot read layer: {exc}") from None
    geoms = None
    crs = None
    if "geometry" in df.columns:
        geoms = np.asarray(df.geometry.values, dtype=object)
        crs = file_crs_key(df.crs)
        df = pd.DataFrame(df.drop(columns="geometry"))
    guess = enc.EncodingGuess("utf-8", "format", needs_confirmation=False)
    return RawTable("gpkg", df.map(_clean_text), geoms, crs, guess, [name] + [n for n in names if n != name])


# --------------------------------------------------------------------------- GeoJSON


def _decode_text_file(data: bytes, encoding: str | None) -> tuple[str, enc.EncodingGuess]:
    body = enc.strip_bom(data)
    if encoding:
        return enc.decode(body, encoding), enc.EncodingGuess(encoding, "user", needs_confirmation=False)
    guess = enc.guess_encoding([body])
    return enc.decode(body, guess.encoding), guess


def read_geojson(data: bytes, encoding: str | None, limits: Limits, sublayer: str | None) -> RawTable:
    guard.check_json_depth(data, limits)
    text, guess = _decode_text_file(data, encoding)
    try:
        obj = json.loads(text)
    except RecursionError:
        raise ImportRefused(f"GeoJSON 的嵌套层数过深（超过 {limits.max_depth} 层），拒绝导入。", "GeoJSON nested too deep") from None
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            f"GeoJSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列附近 {exc.msg}。请用文本编辑器或 GIS 软件检查文件。",
            f"malformed GeoJSON: {exc}",
        ) from None
    if not isinstance(obj, dict) or obj.get("type") not in ("FeatureCollection", "Feature"):
        raise ImportRefused("GeoJSON 格式错误：顶层必须是 FeatureCollection 或 Feature。", "not a FeatureCollection")
    feats = obj["features"] if obj["type"] == "FeatureCollection" else [obj]
    if not isinstance(feats, list):
        raise ImportRefused("GeoJSON 格式错误：features 必须是数组。", "features is not a list")
    guard.check_rows(len(feats), limits)
    props: list[dict] = []
    geoms: list[object] = []
    for i, f in enumerate(feats, start=1):
        if not isinstance(f, dict) or f.get("type") != "Feature":
            raise ImportRefused(f"GeoJSON 格式错误：第 {i} 个要素不是 Feature。", f"feature {i} is not a Feature")
        p = f.get("properties") or {}
        if not isinstance(p, dict):
            raise ImportRefused(f"GeoJSON 格式错误：第 {i} 个要素的 properties 不是对象。", f"feature {i}: bad properties")
        props.append({str(k): (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v) for k, v in p.items()})
        g = f.get("geometry")
        try:
            geoms.append(None if g is None else shapely.geometry.shape(g))
        except Exception as exc:  # noqa: BLE001 - shapely raises several types for bad coordinates
            raise ImportRefused(f"GeoJSON 格式错误：第 {i} 个要素的几何无法解析（{exc}）。", f"feature {i}: {exc}") from None
    if not feats:
        raise ImportRefused("GeoJSON 里没有要素。", "no features")
    crs = None
    name = ((obj.get("crs") or {}).get("properties") or {}).get("name") if isinstance(obj.get("crs"), dict) else None
    if name:
        try:
            crs = file_crs_key(re.sub(r"^urn:ogc:def:crs:EPSG::?", "EPSG:", str(name)))
        except Exception:  # noqa: BLE001 - pyproj CRSError and friends
            crs = None
    frame = pd.DataFrame(props).map(_clean_text)
    return RawTable("geojson", frame, np.asarray(geoms, dtype=object), crs or "wgs84", guess,
                    notes=[] if name else ["GeoJSON 未声明坐标系，按规范视为 WGS-84 经纬度"])


# --------------------------------------------------------------------------- Shapefile


def parse_dbf(data: bytes) -> tuple[list[bytes], list[list[object]]]:
    """A dBASE table as (raw field names, rows); text fields stay raw bytes so the encoding can be chosen.

    Numbers (N/F) become float or int, logicals (L) bool, dates (D) ISO text; deleted records are
    skipped (as GDAL does). Raises :class:`ImportRefused` on a truncated or malformed file.
    """
    if len(data) < 32:
        raise ImportRefused("Shapefile 的 .dbf 文件被截断。", "truncated dbf")
    n_rec = int.from_bytes(data[4:8], "little")
    header_len = int.from_bytes(data[8:10], "little")
    rec_len = int.from_bytes(data[10:12], "little")
    fields: list[tuple[bytes, str, int]] = []
    pos = 32
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        d = data[pos : pos + 32]
        fields.append((d[:11].split(b"\x00", 1)[0], chr(d[11]), d[16]))
        pos += 32
    if not fields or header_len > len(data) or 1 + sum(f[2] for f in fields) > rec_len:
        raise ImportRefused(".dbf 文件头损坏，无法读取字段。", "bad dbf header")
    if header_len + n_rec * rec_len > len(data):
        raise ImportRefused(f".dbf 文件被截断（声明 {n_rec} 条记录，数据不完整）。", "truncated dbf records")
    rows: list[list[object]] = []
    for i in range(n_rec):
        rec = data[header_len + i * rec_len : header_len + (i + 1) * rec_len]
        if rec[:1] == b"*":
            continue
        off = 1
        row: list[object] = []
        for _name, ftype, flen in fields:
            raw = rec[off : off + flen]
            off += flen
            row.append(_dbf_value(raw, ftype))
        rows.append(row)
    return [f[0] for f in fields], rows


def _stub_dbf(n: int) -> bytes:
    """A one-field dBASE file with ``n`` blank records (so GDAL reads geometry without the real table)."""
    header = bytearray(32)
    header[0] = 3
    header[4:8] = n.to_bytes(4, "little")
    header[8:10] = (32 + 32 + 1).to_bytes(2, "little")
    header[10:12] = (1 + 1).to_bytes(2, "little")
    field = bytearray(32)
    field[0:2] = b"ID"
    field[11] = ord("N")
    field[16] = 1
    return bytes(header) + bytes(field) + b"\x0d" + b" 0" * n + b"\x1a"


def _deleted_mask(data: bytes) -> list[bool]:
    n_rec = int.from_bytes(data[4:8], "little")
    header_len = int.from_bytes(data[8:10], "little")
    rec_len = int.from_bytes(data[10:12], "little")
    return [data[header_len + i * rec_len : header_len + i * rec_len + 1] == b"*" for i in range(n_rec)]


def _dbf_value(raw: bytes, ftype: str) -> object:
    if ftype in "NFBO":
        text = raw.strip().decode("ascii", errors="ignore")
        if not text or set(text) <= {"*", "?"}:
            return None
        try:
            num = float(text)
        except ValueError:
            return None
        return int(num) if ftype == "N" and "." not in text and num.is_integer() else num
    if ftype == "L":
        c = raw.strip()[:1].upper()
        return True if c in (b"T", b"Y") else False if c in (b"F", b"N") else None
    if ftype == "D":
        t = raw.strip().decode("ascii", errors="ignore")
        return f"{t[:4]}-{t[4:6]}-{t[6:8]}" if len(t) == 8 and t.isdigit() else None
    rest = raw.rstrip(b" \x00")
    return rest if rest else None


def read_shapefile(data: bytes, encoding: str | None, limits: Limits, sublayer: str | None) -> RawTable:
    sets = guard.shapefile_parts(data, limits=limits)
    tables = [_read_one_shapefile(p, encoding, limits) for p in sets]
    if len(tables) == 1:
        return tables[0]
    frame = pd.concat([t.frame for t in tables], ignore_index=True)
    geoms = np.concatenate([t.geometry for t in tables if t.geometry is not None])
    return RawTable("shapefile", frame, geoms, tables[0].file_crs, tables[0].encoding,
                    notes=["压缩包里的点、线、面文件已合并为一个图层"])


def _read_one_shapefile(parts: guard.ShapefileParts, encoding: str | None, limits: Limits) -> RawTable:
    if len(parts.dbf) >= 12:
        guard.check_rows(int.from_bytes(parts.dbf[4:8], "little"), limits)
    names, rows = parse_dbf(parts.dbf)
    samples = list(names) + [v for r in rows for v in r if isinstance(v, bytes)][:20000]
    if encoding:
        guess = enc.EncodingGuess(encoding, "user", needs_confirmation=False)
    else:
        guess = enc.guess_encoding(samples, cpg=parts.cpg)

    def fix(v: object) -> object:
        return v.decode(guess.encoding, errors="replace").strip() if isinstance(v, bytes) else v

    cols = [str(fix(n)) for n in names]
    out = pd.DataFrame([[fix(v) for v in r] for r in rows], columns=cols, dtype=object).map(_clean_text)
    geoms = None
    crs = None
    if parts.shp is not None:
        with guard.PrivateDir() as tmp:
            path = tmp.write("upload.shp", parts.shp)
            tmp.write("upload.shx", parts.shx or b"")
            n_all = int.from_bytes(parts.dbf[4:8], "little")
            tmp.write("upload.dbf", _stub_dbf(n_all))  # geometry only: GDAL never decodes the user's text
            if parts.prj:
                tmp.write("upload.prj", parts.prj)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    gdf = pyogrio.read_dataframe(str(path), columns=[])
            except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds
                raise ImportRefused(f"Shapefile 无法读取，文件可能已损坏或被截断：{exc}", f"cannot read shapefile: {exc}") from None
        gdf = gdf[~np.asarray(_deleted_mask(parts.dbf), dtype=bool)[: len(gdf)]] if len(gdf) == n_all else gdf
        if len(gdf) != len(out):
            raise ImportRefused(f"Shapefile 的 .shp 与 .dbf 记录数不一致（{len(gdf)} 对 {len(out)}），文件可能已损坏。",
                                "shp/dbf record count mismatch")
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        crs = file_crs_key(gdf.crs) if parts.prj else None
    return RawTable("shapefile", out, geoms, crs, guess)


# --------------------------------------------------------------------------- KML

_KML_FORBIDDEN = re.compile(rb"<!DOCTYPE|<!ENTITY|<NetworkLink|xi:include", re.IGNORECASE)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kml_coords(text: str | None) -> list[tuple[float, float]]:
    out = []
    for token in (text or "").split():
        parts = token.split(",")
        if len(parts) >= 2:
            out.append((float(parts[0]), float(parts[1])))
    return out


def _kml_geometry(el: ET.Element) -> shapely.Geometry | None:
    tag = _local(el.tag)
    if tag == "Point":
        c = _kml_coords(next((e.text for e in el.iter() if _local(e.tag) == "coordinates"), ""))
        return shapely.Point(c[0]) if c else None
    if tag == "LineString":
        c = _kml_coords(next((e.text for e in el.iter() if _local(e.tag) == "coordinates"), ""))
        return shapely.LineString(c) if len(c) >= 2 else None
    if tag == "Polygon":
        outer: list[tuple[float, float]] = []
        inner: list[list[tuple[float, float]]] = []
        for child in el:
            kind = _local(child.tag)
            rings = [_kml_coords(e.text) for e in child.iter() if _local(e.tag) == "coordinates"]
            if kind == "outerBoundaryIs" and rings:
                outer = rings[0]
            elif kind == "innerBoundaryIs":
                inner += [r for r in rings if r]
        return shapely.Polygon(outer, inner) if len(outer) >= 3 else None
    if tag == "MultiGeometry":
        parts = [g for g in (_kml_geometry(c) for c in el) if g is not None]
        if not parts:
            return None
        types = {p.geom_type for p in parts}
        if types == {"Polygon"}:
            return shapely.MultiPolygon(parts)
        if types == {"LineString"}:
            return shapely.MultiLineString(parts)
        if types == {"Point"}:
            return shapely.MultiPoint(parts)
        return shapely.GeometryCollection(parts)
    return None


def read_kml(data: bytes, encoding: str | None, limits: Limits, sublayer: str | None) -> RawTable:
    if _KML_FORBIDDEN.search(data):
        raise ImportRefused("KML 文件包含 DOCTYPE/实体声明或网络链接（NetworkLink），可能引用外部文件，出于安全原因拒绝导入。",
                            "KML with DOCTYPE/ENTITY/NetworkLink refused")
    try:
        depth = guard.xml_depth(data, stop_at=limits.max_depth)
        if depth > limits.max_depth:
            raise guard.over_limit("KML 的嵌套层数", "KML nesting depth", depth, "max_depth", limits)
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ImportRefused(f"KML 格式错误：{exc}", f"malformed KML: {exc}") from None
    rows: list[dict[str, object]] = []
    geoms: list[object] = []
    for pm in root.iter():
        if _local(pm.tag) != "Placemark":
            continue
        row: dict[str, object] = {}
        geom = None
        for child in pm:
            tag = _local(child.tag)
            if tag in ("name", "description"):
                row[tag] = (child.text or "").strip()
            elif tag == "ExtendedData":
                for d in child.iter():
                    if _local(d.tag) == "Data":
                        val = next((e.text for e in d if _local(e.tag) == "value"), None)
                        row[str(d.get("name"))] = val
                    elif _local(d.tag) == "SimpleData":
                        row[str(d.get("name"))] = d.text
            elif geom is None:
                try:
                    geom = _kml_geometry(child)
                except ValueError as exc:
                    raise ImportRefused(f"KML 坐标格式错误：{exc}", f"bad KML coordinates: {exc}") from None
        rows.append(row)
        geoms.append(geom)
        if len(rows) > limits.max_rows:
            guard.check_rows(len(rows), limits)
    if not rows:
        raise ImportRefused("KML 里没有地标（Placemark）。", "no Placemark in KML")
    guess = enc.EncodingGuess("utf-8", "format", needs_confirmation=False)
    return RawTable("kml", pd.DataFrame(rows).map(_clean_text), np.asarray(geoms, dtype=object), "wgs84", guess)


# --------------------------------------------------------------------------- CSV


def read_csv(data: bytes, encoding: str | None, limits: Limits, sublayer: str | None) -> RawTable:
    guard.check_rows(max(data.count(b"\n") - 1, 0), limits)  # before parsing: a cheap upper bound
    text, guess = _decode_text_file(data, encoding)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ImportRefused(f"CSV 无法解析：{exc}", f"cannot parse CSV: {exc}") from None
    if df.empty:
        raise ImportRefused("CSV 只有表头，没有数据行。", "CSV has no data rows")
    guard.check_rows(len(df), limits, columns=len(df.columns))
    df.columns = [str(c).strip() for c in df.columns]
    return RawTable("csv", df.astype(object).map(_clean_text), None, None, guess)


# --------------------------------------------------------------------------- Excel


def _cell(v: object) -> object:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return _clean_text(v)


def _count_sheet_rows(data: bytes, sublayer: str | None, limits: Limits) -> None:
    """Stream the sheet once (constant memory) and refuse it when it has too many rows or columns."""
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb[sublayer] if sublayer in wb.sheetnames else wb[wb.sheetnames[0]]
            n = 0
            for row in ws.iter_rows(values_only=True):
                n += 1
                if n == 1 or n > limits.max_rows:
                    guard.check_rows(n - 1, limits, columns=len(row))
        finally:
            wb.close()
    except ImportRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on broken files
        raise ImportRefused(f"Excel 文件无法打开：{exc}", f"cannot open workbook: {exc}") from None


def read_xlsx(data: bytes, encoding: str | None, limits: Limits, sublayer: str | None) -> RawTable:
    import openpyxl  # local: only needed here

    guard.check_xlsx(data, limits=limits)
    _count_sheet_rows(data, sublayer, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on broken files
        raise ImportRefused(f"Excel 文件无法打开：{exc}", f"cannot open workbook: {exc}") from None
    names = list(wb.sheetnames)
    ws = wb[sublayer] if sublayer in names else wb[names[0]]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header_idx = next((i for i, r in enumerate(rows) if any(v not in (None, "") for v in r)), None)
    if header_idx is None:
        raise ImportRefused(f"工作表「{ws.title}」是空的。", "empty sheet")
    header_row = header_idx + 1
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= header_row + 1 and rng.max_row >= header_row:
            raise ImportRefused(
                f"工作表「{ws.title}」的表头有合并单元格（{rng.coord}）。请取消合并，让每列只有一行表头、一个列名，再导入。",
                f"merged header cells {rng.coord}",
            )
    header = [("" if v is None else str(v).strip()) for v in rows[header_idx]]
    body = [r for r in rows[header_idx + 1 :] if any(v not in (None, "") for v in r)]
    while header and not header[-1] and all(len(r) < len(header) or r[len(header) - 1] in (None, "") for r in body):
        header.pop()
    header = [h or f"未命名列{i + 1}" for i, h in enumerate(header)]
    dups = sorted({h for h in header if header.count(h) > 1})
    if dups:
        raise ImportRefused(f"工作表「{ws.title}」有重复的列名：{'、'.join(dups)}。请改成不同的名字。", f"duplicate headers {dups}")
    if not body:
        raise ImportRefused(f"工作表「{ws.title}」只有表头，没有数据行。", "no data rows")
    frame = pd.DataFrame([[_cell(v) for v in (r + [None] * len(header))[: len(header)]] for r in body], columns=header,
                         dtype=object)
    guess = enc.EncodingGuess("utf-8", "format", needs_confirmation=False)
    return RawTable("xlsx", frame, None, None, guess, sublayers=[ws.title] + [n for n in names if n != ws.title])


READERS: dict[Kind, Reader] = {
    "gpkg": read_gpkg,
    "geojson": read_geojson,
    "shapefile": read_shapefile,
    "kml": read_kml,
    "csv": read_csv,
    "xlsx": read_xlsx,
}


def read_upload(
    name: str,
    data: bytes | Path,
    *,
    encoding: str | None = None,
    sublayer: str | None = None,
    limits: Limits | None = None,
) -> RawTable:
    """Guard, then read an uploaded file; ``encoding`` overrides the guess (text formats and Shapefile).

    ``data``: the file's bytes, or the file on disk (an upload streamed there by :func:`bangfu.ingest.guard.save_upload`,
    or a file on the server for the command line): a GeoPackage is then read where it is (hard-linked into a
    private folder under a fixed name), other formats are read into memory here — in the limited child process."""
    limits = limits or Limits.from_env()
    kind = guard.detect_kind(name, data, limits=limits)
    if encoding:
        encoding = enc.check_choice(encoding)
    if isinstance(data, Path):  # a GeoPackage is read where it lies; the other formats are read whole here
        table = read_gpkg(data, encoding, limits, sublayer) if kind == "gpkg" else \
            READERS[kind](data.read_bytes(), encoding, limits, sublayer)
    else:
        table = READERS[kind](data, encoding, limits, sublayer)
    if table.frame.empty and (table.geometry is None or not len(table.geometry)):
        raise ImportRefused(f"{_FORMAT_NAME[kind]} 文件里没有数据。", "no rows")
    guard.check_rows(len(table.frame), limits, columns=len(table.frame.columns))
    table.frame, table.cleaned = strip_control_characters(table.frame)
    return table


def strip_control_characters(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int | None, str, str]]]:
    """``frame`` with control characters removed from headers and text cells, and where they were.

    Returns the cleaned frame and (row position or None for a header, column, original value made
    visible) for every changed cell, for the warnings of the report.
    """
    found: list[tuple[int | None, str, str]] = []
    headers = []
    for c in frame.columns:
        name = str(c)
        if textutil.has_controls(name):
            found.append((None, textutil.strip_controls(name), textutil.visible(name)))
            name = textutil.strip_controls(name).strip() or "未命名列"
        headers.append(name)
    out = frame.copy()
    out.columns = headers
    for i, col in enumerate(out.columns):
        s = out.iloc[:, i]
        if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
            continue
        bad = s.map(lambda v: isinstance(v, str) and textutil.has_controls(v, keep_lines=True)).to_numpy(dtype=bool)
        if not bad.any():
            continue
        for pos in np.flatnonzero(bad):
            found.append((int(pos), col, textutil.visible(s.iloc[pos])))
        out.iloc[:, i] = s.map(lambda v: _clean_text(textutil.strip_controls(v, keep_lines=True))
                               if isinstance(v, str) else v)
    return out, found


SHEET_KINDS = ("csv", "xlsx")


def read_sheet(name: str, data: bytes, *, limits: Limits | None = None) -> pd.DataFrame:
    """A bulk-update sheet (.xlsx first sheet or .csv) as cells, header in row 1, through the same guard.

    Unlike :func:`read_upload`, empty rows are kept (problems name the spreadsheet row) and cells
    are not typed beyond what the file says; control characters are stripped.
    """
    limits = limits or Limits.from_env()
    kind = guard.detect_kind(name, data, limits=limits)
    if kind not in SHEET_KINDS:
        raise ImportRefused(f"不支持的文件类型「{guard.suffix_of(name)}」，请上传 Excel（.xlsx）或 CSV 文件。",
                            f"unsupported sheet type {kind}")
    try:
        if kind == "xlsx":
            guard.check_xlsx(data, limits=limits)
            _count_sheet_rows(data, None, limits)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = pd.read_excel(io.BytesIO(data), dtype=object)
        else:
            guard.check_rows(max(data.count(b"\n") - 1, 0), limits)
            frame = None
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    frame = pd.read_csv(io.BytesIO(data), dtype=object, encoding=encoding)
                    break
                except UnicodeDecodeError:
                    continue
            if frame is None:
                raise ImportRefused("CSV 的文字编码无法识别，请另存为 UTF-8 编码。", "unknown CSV encoding")
    except ImportRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes a user message
        raise ImportRefused(f"文件无法解析：{exc}", f"cannot parse: {exc}") from None
    guard.check_rows(len(frame), limits, columns=len(frame.columns))
    return strip_control_characters(frame)[0]
