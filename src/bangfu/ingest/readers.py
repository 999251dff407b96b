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
import json
import re
import sqlite3
import contextlib
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyogrio
import shapely
import shapely.geometry

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


def read_gpkg(data: bytes, encoding: str | None, limits: Limits, sublayer: str | None) -> RawTable:
    with guard.PrivateDir() as tmp:
        path = tmp.write("upload.gpkg", data)
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
                rows = con.execute("SELECT table_name FROM gpkg_contents ORDER BY table_name").fetchall()
        except sqlite3.Error:
            raise ImportRefused("文件不是有效的 GeoPackage（缺少 gpkg_contents 表）。", "not a GeoPackage") from None
        names = [str(r[0]) for r in rows]
        if not names:
            raise ImportRefused("GeoPackage 里没有图层。", "GeoPackage has no layers")
        name = sublayer if sublayer in names else names[0]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                df = pyogrio.read_dataframe(str(path), layer=name)
        except Exception as exc:  # noqa: BLE001 - GDAL raises many kinds; the message is shown
            raise ImportRefused(f"GeoPackage 图层「{name}」无法读取：{exc}", f"cannot read layer: {exc}") from None
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
    text, guess = _decode_text_file(data, encoding)
    try:
        obj = json.loads(text)
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
    text = raw.rstrip(b" \x00")
    return text if text else None


def read_shapefile(data: bytes, encoding: str | None, limits: Limits, sublayer: str | None) -> RawTable:
    sets = guard.shapefile_parts(data, limits=limits)
    tables = [_read_one_shapefile(p, encoding) for p in sets]
    if len(tables) == 1:
        return tables[0]
    frame = pd.concat([t.frame for t in tables], ignore_index=True)
    geoms = np.concatenate([t.geometry for t in tables if t.geometry is not None])
    return RawTable("shapefile", frame, geoms, tables[0].file_crs, tables[0].encoding,
                    notes=["压缩包里的点、线、面文件已合并为一个图层"])


def _read_one_shapefile(parts: guard.ShapefileParts, encoding: str | None) -> RawTable:
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
    if not rows:
        raise ImportRefused("KML 里没有地标（Placemark）。", "no Placemark in KML")
    guess = enc.EncodingGuess("utf-8", "format", needs_confirmation=False)
    return RawTable("kml", pd.DataFrame(rows).map(_clean_text), np.asarray(geoms, dtype=object), "wgs84", guess)


# --------------------------------------------------------------------------- CSV


def read_csv(data: bytes, encoding: str | None, limits: Limits, sublayer: str | None) -> RawTable:
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


def read_xlsx(data: bytes, encoding: str | None, limits: Limits, sublayer: str | None) -> RawTable:
    import openpyxl  # local: only needed here

    guard.check_xlsx(data, limits=limits)
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
    data: bytes,
    *,
    encoding: str | None = None,
    sublayer: str | None = None,
    limits: Limits | None = None,
) -> RawTable:
    """Guard, then read an uploaded file; ``encoding`` overrides the guess (text formats and Shapefile)."""
    limits = limits or Limits.from_env()
    kind = guard.detect_kind(name, data, limits=limits)
    if encoding:
        encoding = enc.check_choice(encoding)
    table = READERS[kind](data, encoding, limits, sublayer)
    if table.frame.empty and (table.geometry is None or not len(table.geometry)):
        raise ImportRefused(f"{_FORMAT_NAME[kind]} 文件里没有数据。", "no rows")
    return table
