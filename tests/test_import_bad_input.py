"""Bad input: each file is refused with a Chinese message and the workspace stays byte-identical."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from bangfu.ingest import pipeline as importers
from bangfu.cli.commands import main as cli_main
from bangfu.ingest.guard import ImportRefused, Limits
from factories import import_villages, import_workspace, shapefile_zip, xlsx_bytes, zip_bytes

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("layer.shp", b"\x00" * (20 * 1024 * 1024))  # 20 MB of zeros → ~20 KB
    return buf.getvalue()


def _many_members() -> bytes:
    return zip_bytes({f"f{i}.prj": b"x" for i in range(60)})


def _vrt() -> bytes:
    return b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>'


def _truncated_shapefile(tmp: Path) -> bytes:
    return shapefile_zip(import_villages(), tmp, drop=(".dbf", ".shx"))


def _cut_shp(tmp: Path) -> bytes:
    full = shapefile_zip(import_villages(), tmp)
    zin = zipfile.ZipFile(io.BytesIO(full))
    files = {n: zin.read(n) for n in zin.namelist()}
    shp = next(n for n in files if n.endswith(".shp"))
    files[shp] = files[shp][: len(files[shp]) // 2]
    return zip_bytes(files)


def _merged_header() -> bytes:
    return xlsx_bytes(pd.DataFrame({"村名": ["测试0村"], "经度": [112.405], "纬度": [22.305]}), merge="B1:C1")


def _title_row() -> bytes:
    return xlsx_bytes(pd.DataFrame({"村名": ["测试0村"], "户数": [1]}), title_row="2020年建档立卡统计表")


def _no_coordinates() -> bytes:
    return xlsx_bytes(pd.DataFrame({"景点编号": ["S1"], "名称": ["碉楼"], "类型": ["古镇古村"]}))


def _kml_entity() -> bytes:
    return (b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<kml><Placemark><name>&x;</name><Point><coordinates>112.4,22.3</coordinates></Point></Placemark></kml>')


CASES = {
    "zip with ../": ("v.zip", lambda t: zip_bytes({"../evil.shp": b"x" * 200}), "villages", "上级目录"),
    "zip with absolute path": ("v.zip", lambda t: zip_bytes({"/etc/cron.d/x.shp": b"x" * 200}), "villages", "绝对路径"),
    "zip bomb ratio": ("v.zip", lambda t: _bomb(), "villages", "压缩炸弹"),
    "zip with too many members": ("v.zip", lambda t: _many_members(), "villages", "文件太多"),
    "xlsx bomb": ("x.xlsx", lambda t: _bomb(), "villages", "压缩炸弹"),
    "over the size limit": ("big.csv", lambda t: b"a,b\n" + b"1,2\n" * 400_000, "pairings", "文件太大"),
    "vrt extension": ("evil.vrt", lambda t: _vrt(), "villages", "不支持的文件类型"),
    "vrt disguised as geojson": ("evil.geojson", lambda t: _vrt(), "villages", "VRT"),
    "sqlite extension": ("x.sqlite", lambda t: b"SQLite format 3\x00" + b"\x00" * 100, "villages", "不支持"),
    "gpkg with wrong magic": ("x.gpkg", lambda t: b"not a database", "villages", "不是 GeoPackage"),
    "kml with external entity": ("x.kml", lambda t: _kml_entity(), "tourism_sites", "DOCTYPE"),
    "kml network link": ("x.kml", lambda t: b"<kml><NetworkLink><Link><href>/etc/passwd</href></Link></NetworkLink></kml>",
                         "tourism_sites", "网络链接"),
    "shp without dbf/shx": ("v.zip", _truncated_shapefile, "villages", "不完整"),
    "shp cut in half": ("v.zip", _cut_shp, "villages", "截断"),
    "malformed geojson": ("v.geojson", lambda t: b'{"type": "FeatureCollection", "features": [ {"type": ', "villages",
                          "GeoJSON 格式错误"),
    "geojson that is not a collection": ("v.geojson", lambda t: b'[1, 2, 3]', "villages", "FeatureCollection"),
    "excel merged header cells": ("m.xlsx", lambda t: _merged_header(), "tourism_sites", "合并单元格"),
    "excel merged title row": ("m.xlsx", lambda t: _title_row(), "villages", "合并单元格"),
    "excel without coordinate columns": ("n.xlsx", lambda t: _no_coordinates(), "tourism_sites", "没有找到坐标"),
    "empty file": ("e.csv", lambda t: b"", "villages", "空"),
    "whitespace only": ("e.geojson", lambda t: b"  \n\n ", "villages", "空"),
    "csv header only": ("h.csv", lambda t: "村名,户数\n".encode(), "villages", "没有数据"),
    "xlsx that is not a zip": ("x.xlsx", lambda t: b"hello", "villages", "不是 ZIP"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_refused_workspace_unchanged(case: str, tmp_path: Path):
    ws = import_workspace(tmp_path / "ws")
    before = ws.read_bytes()
    name, make, layer, expected = CASES[case]
    data = make(tmp_path)
    limits = Limits(max_bytes=1024 * 1024) if case == "over the size limit" else None
    with pytest.raises(ImportRefused) as info:
        importers.prepare_import(ws, name, data, layer=layer, limits=limits)
    assert expected in info.value.message_zh, info.value.message_zh
    assert CHINESE.search(info.value.message_zh)
    assert ws.read_bytes() == before
    assert sorted(p.name for p in ws.parent.iterdir()) == ["workspace.gpkg"], "nothing else written either"


def test_zip_members_are_never_extracted_outside(tmp_path: Path):
    ws = import_workspace(tmp_path / "ws")
    with pytest.raises(ImportRefused):
        importers.prepare_import(ws, "v.zip", zip_bytes({"../../../../tmp/pwned.shp": b"x" * 200}), layer="villages")
    assert not Path("/tmp/pwned.shp").exists()


@pytest.mark.parametrize("case", ["zip with ../", "malformed geojson", "empty file", "excel merged header cells"])
def test_cli_refuses_bad_files(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    ws = import_workspace(tmp_path / "ws")
    before = ws.read_bytes()
    name, make, layer, expected = CASES[case]
    f = tmp_path / name
    f.write_bytes(make(tmp_path))
    code = cli_main(["import", str(f), "--layer", layer, "--workspace", str(ws)])
    out = capsys.readouterr().out
    assert code == 1 and "拒绝导入" in out and expected in out
    assert ws.read_bytes() == before


def test_cli_refuses_file_over_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    ws = import_workspace(tmp_path / "ws")
    before = ws.read_bytes()
    monkeypatch.setenv("BANGFU_MAX_UPLOAD_MB", "0.001")
    f = tmp_path / "big.csv"
    f.write_bytes(b"a,b\n" + b"1,2\n" * 1000)
    assert cli_main(["import", str(f), "--layer", "pairings", "--workspace", str(ws)]) == 1
    assert "文件太大" in capsys.readouterr().out
    assert ws.read_bytes() == before
