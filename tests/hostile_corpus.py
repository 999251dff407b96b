"""The hostile-file corpus of issue 12: small files generated on the fly, one maker per case."""

from __future__ import annotations

import io
import json
import sqlite3
import struct
import zipfile
from pathlib import Path

import pandas as pd
import pyogrio
import shapely

from factories import import_villages, shapefile_zip, site_points, xlsx_bytes, zip_bytes


def gpkg_with_recursive_view(tmp: Path) -> bytes:
    """A valid GeoPackage whose gpkg_contents lists a view running a (practically endless) recursive query."""
    path = tmp / "view.gpkg"
    pyogrio.write_dataframe(import_villages(), str(path), layer="villages", driver="GPKG")
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        "SELECT x AS fid, NULL AS geom FROM c;"
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('slow', 'features', 'slow', 4326);"
        "INSERT INTO gpkg_geometry_columns VALUES ('slow', 'geom', 'GEOMETRY', 4326, 0, 0);"
    )
    con.commit()
    con.close()
    return path.read_bytes()


def gpkg_with_trigger(tmp: Path) -> bytes:
    """A GeoPackage with a user trigger (not one of the standard rtree/gpkg ones)."""
    path = tmp / "trig.gpkg"
    pyogrio.write_dataframe(import_villages(), str(path), layer="villages", driver="GPKG")
    con = sqlite3.connect(path)
    con.executescript("CREATE TRIGGER evil AFTER INSERT ON villages BEGIN DELETE FROM villages; END;")
    con.commit()
    con.close()
    return path.read_bytes()


def xlsx_bomb() -> bytes:
    """A workbook whose sheet is a highly compressed sheet of millions of empty cells (a zip bomb)."""
    good = xlsx_bytes(pd.DataFrame({"道路编号": ["R1"], "硬化状态": ["已硬化"]}))
    zin = zipfile.ZipFile(io.BytesIO(good))
    files = {n: zin.read(n) for n in zin.namelist()}
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>R</t></is></c></row>' for i in range(2, 2002))
    sheet = files["xl/worksheets/sheet1.xml"].decode()
    pad = "<!--" + " " * (30 * 1024 * 1024) + "-->"
    files["xl/worksheets/sheet1.xml"] = sheet.replace("<sheetData>", pad + "<sheetData>" + rows, 1).encode()
    return zip_bytes(files)


def zip_lying_size(tmp: Path) -> bytes:
    """A zipped shapefile whose .dbf member declares a smaller size than it has (a lying header)."""
    data = bytearray(shapefile_zip(import_villages(), tmp, stem="lie"))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = next(i for i in zf.infolist() if i.filename.endswith(".dbf"))
    # central directory entry: patch the uncompressed size (offset 24 within the entry)
    cd = data.find(b"PK\x01\x02" + data[data.find(b"PK\x01\x02") + 4: data.find(b"PK\x01\x02") + 4], 0)
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        name_len = struct.unpack("<H", data[pos + 28: pos + 30])[0]
        name = bytes(data[pos + 46: pos + 46 + name_len]).decode()
        if name == info.filename:
            data[pos + 24: pos + 28] = struct.pack("<I", max(info.file_size // 2, 40))
            break
        pos += 4
    del cd
    return bytes(data)


def deep_geojson(depth: int = 100_000) -> bytes:
    """A GeoJSON whose properties nest deeper than Python's recursion limit."""
    return (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":' + b"[" * depth
            + b"]" * depth + b'},"geometry":{"type":"Point","coordinates":[112.41,22.305]}}]}')


def deep_kml(depth: int = 50_000) -> bytes:
    """A KML whose MultiGeometry nests deeper than Python's recursion limit."""
    return (b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>x</name>' + b"<MultiGeometry>" * depth
            + b"<Point><coordinates>112.41,22.305</coordinates></Point>" + b"</MultiGeometry>" * depth
            + b"</Placemark></kml>")


def nan_coordinates_geojson() -> bytes:
    """GeoJSON (as Python's json writes it) with NaN and Infinity coordinates in a village polygon."""
    v = import_villages()
    obj = json.loads(v.to_json(drop_id=True))
    ring = obj["features"][0]["geometry"]["coordinates"][0]
    ring[1] = [float("nan"), float("inf")]
    return json.dumps(obj, ensure_ascii=False).encode()


def nan_coordinates_csv() -> bytes:
    pts = site_points(3)
    rows = [f"S{i},景点{i},古镇古村,{x},{y}" for i, (x, y) in enumerate(pts)]
    rows[1] = "S1,景点1,古镇古村,NaN,Infinity"
    return ("景点编号,名称,类型,经度,纬度\n" + "\n".join(rows) + "\n").encode()


def inf_counts_csv() -> bytes:
    """Household counts of ``inf`` and ``1e400`` (which overflow an integer column)."""
    v = import_villages()
    lines = ["村代码,村名,户数,贫困户数"]
    for i, (code, name) in enumerate(zip(v["village_code"], v["village_name"])):
        lines.append(f"{code},{name},{'inf' if i == 0 else '1e400' if i == 1 else 10},{3}")
    return ("\n".join(lines) + "\n").encode()


def inf_lon_csv() -> bytes:
    """Sites with lon/lat columns, one longitude ``Infinity``."""
    return "景点编号,名称,类型,经度,纬度\nS1,景点1,古镇古村,112.41,22.305\nS2,景点2,古镇古村,Infinity,22.305\n".encode()


def gk_csv() -> bytes:
    """Sites with Gauss–Krüger coordinates of zone 38 (with the zone prefix)."""
    return "景点编号,名称,类型,经度,纬度\nS1,景点1,古镇古村,38541000,2467000\nS2,景点2,古镇古村,38542000,2468000\n".encode()


def inf_gk_csv() -> bytes:
    """Sites with GK coordinates, one of them ``inf`` (with --crs epsg:4526)."""
    return ("景点编号,名称,类型,经度,纬度\nS1,景点1,古镇古村,38541000,2467000\nS2,景点2,古镇古村,inf,2467000\n").encode()


def lonlat_with_3857_prj(tmp: Path) -> bytes:
    """Lon/lat village polygons in a shapefile whose .prj says EPSG:3857."""
    v = import_villages().set_crs("EPSG:3857", allow_override=True)
    return shapefile_zip(v, tmp, stem="merc")


def duplicate_villages() -> bytes:
    v = import_villages()
    v.loc[1, "geometry"] = v.geometry.iloc[0]
    return json.dumps(json.loads(v.to_json(drop_id=True)), ensure_ascii=False).encode()


def contained_villages() -> bytes:
    v = import_villages()
    v.loc[1, "geometry"] = shapely.affinity.scale(v.geometry.iloc[0], 0.3, 0.3)
    return json.dumps(json.loads(v.to_json(drop_id=True)), ensure_ascii=False).encode()


def control_char_names() -> bytes:
    v = import_villages()
    v.loc[0, "village_name"] = "坑\x07口\x1b[31m村"
    return json.dumps(json.loads(v.to_json(drop_id=True)), ensure_ascii=False).encode()


def big_csv(rows: int) -> bytes:
    return b"a,b\n" + b"1,2\n" * rows
