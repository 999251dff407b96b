"""Imports: readers, encodings, column mapping, coordinates, validation, change preview, apply and backup."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from backends import KINDS, as_backend, state
from factories import as_user
import shapely

from bangfu.geo.crs import wgs84_to_gcj02
from bangfu.core import fileio
from bangfu.ingest import columns as cm
from bangfu.ingest import crs_detect, pipeline as importers, readers
from bangfu.maps import base as maps
from bangfu.workspace import locking, store
from bangfu.workspace.access import Principal
from bangfu.ingest.guard import ImportRefused
from bangfu.core import vocab
from factories import (
    CHISHUI as TOWN, geojson_bytes, import_villages, import_workspace, points_table, shapefile_zip, site_points,
    xlsx_bytes,
)

ADMIN = Principal("admin", "admin", display_name="张三")


@pytest.fixture(params=KINDS)
def ws(tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """The import test workspace as a GeoPackage and in a PostGIS schema."""
    gpkg = import_workspace(tmp_path / "ws")
    return as_backend(gpkg, request.param, request.getfixturevalue("pg_url") if request.param == "postgis" else None)


def _problems(plan: importers.ImportPlan, reason: str) -> list:
    return [p for p in plan.report.problems if reason in p.reason_zh]


# ----------------------------------------------------------------------------- 1. readers


def test_geojson_villages_replace_round_trip(ws: Path):
    v = import_villages()
    plan = importers.prepare_import(ws, "v.geojson", geojson_bytes(v), layer="villages")
    assert plan.ok, plan.report.to_frame()
    assert plan.mode == "replace" and plan.crs == "wgs84"
    assert plan.change.counts() == {"added": 0, "changed": 0, "removed": 0, "unchanged": 4}


def test_kml_points(ws: Path):
    pts = site_points(3)
    marks = "".join(
        f"<Placemark><name>景点{i}</name><ExtendedData><Data name='site_id'><value>S{i}</value></Data>"
        f"<Data name='类型'><value>古镇古村</value></Data><Data name='village_code'><value>{TOWN}240</value></Data>"
        f"</ExtendedData><Point><coordinates>{x},{y},0</coordinates></Point></Placemark>"
        for i, (x, y) in enumerate(pts)
    )
    kml = f'<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>{marks}</Document></kml>'
    plan = importers.prepare_import(ws, "sites.kml", kml.encode(), layer="tourism_sites")
    assert plan.mapping["name"] == "name" and plan.mapping["类型"] == "site_type"
    got = np.column_stack([plan.new_layer.geometry.x, plan.new_layer.geometry.y])
    np.testing.assert_allclose(got, pts, atol=1e-12)
    assert plan.ok, plan.report.to_frame()


def test_csv_with_lon_lat_and_excel_join_by_code(ws: Path):
    pts = site_points(4)
    csv = points_table(pts).to_csv(index=False).encode("utf-8")
    plan = importers.prepare_import(ws, "sites.csv", csv, layer="tourism_sites")
    assert plan.ok, plan.report.to_frame()
    assert len(plan.new_layer) == 4 and plan.crs_source == "guess"

    table = pd.DataFrame({"统计用区划代码": [f"{TOWN}241", f"{TOWN}242"], "建档立卡户数": [20, 22],
                          "户数": [120, 130]})
    plan = importers.prepare_import(ws, "figures.xlsx", xlsx_bytes(table), layer="villages")
    assert plan.mode == "update" and plan.ok, plan.report.to_frame()
    assert plan.change.counts()["changed"] == 2 and plan.change.counts()["removed"] == 0
    new = plan.new_layer.set_index("village_code")
    assert new.loc[f"{TOWN}241", "poor_households"] == 20
    assert new.loc[f"{TOWN}240", "poor_households"] == 10  # untouched rows kept
    assert new.geometry.notna().all()


def test_excel_join_by_name_within_town(ws: Path):
    table = pd.DataFrame({"镇街": ["赤水镇", "赤水镇", "赤水镇"], "村委会": ["测试1村", "测试2村", "不存在村"], "贫困户数": [5, 6, 7]})
    plan = importers.prepare_import(ws, "by_name.xlsx", xlsx_bytes(table), layer="villages")
    missing = _problems(plan, "找不到这个村")
    assert len(missing) == 1 and missing[0].row == 3
    assert not plan.ok
    ok = importers.prepare_import(ws, "by_name.xlsx", xlsx_bytes(table.iloc[:2]), layer="villages")
    assert ok.ok and ok.change.changed == [f"{TOWN}241", f"{TOWN}242"]


def test_households_join_village_code_by_name(ws: Path, tmp_path: Path):
    hh = pd.DataFrame({"户编号": ["N1"], "村名": ["测试0村"], "镇": ["赤水镇"], "家庭人口": [2], "是否低收入户": ["是"],
                       "重点帮扶户": ["否"], "有劳动能力": ["是"], "经度": [112.405], "纬度": [22.305]})
    plan = importers.prepare_import(ws, "hh.csv", hh.to_csv(index=False).encode(), layer="households", mode="update")
    assert plan.mapping["村名"] == "ref_village_name"
    assert plan.ok, plan.report.to_frame()
    assert plan.new_layer.set_index("household_id").loc["N1", "village_code"] == f"{TOWN}240"
    assert plan.change.counts()["added"] == 1


def test_gpkg_reader_picks_the_named_layer(ws: Path):
    fname, data = __import__("bangfu.export.layers", fromlist=["x"]).export_workspace(ws, "gpkg", user=as_user())
    table = readers.read_upload(fname, data, sublayer="households")
    assert table.sublayers[0] == "households" and "villages" in table.sublayers
    assert len(table.frame) == 8


# ----------------------------------------------------------------------------- 2. encodings


def test_gbk_shapefile_without_cpg_is_decoded_as_gb18030(ws: Path, tmp_path: Path):
    v = import_villages().rename(columns={"village_name": "村名", "town_name": "乡镇"})
    data = shapefile_zip(v, tmp_path, encoding="GBK", keep_cpg=False)
    plan = importers.prepare_import(ws, "gbk.zip", data, layer="villages")
    assert plan.encoding == "gb18030" and plan.encoding_needs_confirmation
    assert "GB18030" in plan.encoding_note
    assert list(plan.new_layer["village_name"]) == [f"测试{i}村" for i in range(4)]
    assert plan.mapping["村名"] == "village_name"
    # the user can pick another encoding; the preview shows what it gives
    wrong = importers.prepare_import(ws, "gbk.zip", data, layer="villages", encoding="latin-1")
    assert wrong.preview.iloc[0].astype(str).str.contains("测试").sum() == 0


def test_cpg_is_honoured(ws: Path, tmp_path: Path):
    data = shapefile_zip(import_villages(), tmp_path, encoding="UTF-8", keep_cpg=True)
    table = readers.read_upload("u.zip", data)
    assert table.encoding.source == "cpg" and table.encoding.encoding == "utf-8"
    assert table.frame["village_na"].iloc[0] == "测试0村"


def test_csv_gbk_and_utf8(ws: Path):
    df = pd.DataFrame({"村名": ["测试0村"], "统计用区划代码": [f"{TOWN}240"]})
    gbk = readers.read_upload("a.csv", df.to_csv(index=False).encode("gbk"))
    utf = readers.read_upload("a.csv", df.to_csv(index=False).encode("utf-8-sig"))
    assert gbk.encoding.encoding == "gb18030" and utf.encoding.encoding == "utf-8"
    assert gbk.frame.equals(utf.frame)


def test_workspace_stores_utf8(ws: Path, tmp_path: Path):
    v = import_villages()
    v.loc[0, "village_name"] = "赤坎镇𠮷村"  # a GB18030-only 4-byte character survives
    data = shapefile_zip(v, tmp_path, encoding="GB18030", keep_cpg=False)
    plan = importers.prepare_import(ws, "v.zip", data, layer="villages")
    importers.apply_import(ws, plan, user=ADMIN)
    assert store.read_layer(ws, "villages")["village_name"].iloc[0] == "赤坎镇𠮷村"


# ----------------------------------------------------------------------------- 3. column mapping


def test_auto_mapping_from_synonyms():
    cols = ["村名", "统计用区划代码", "总户数", "建档立卡户数", "人口", "经度", "纬度", "镇（街道）"]
    m = cm.auto_mapping(cols, "villages")
    assert m["村名"] == "village_name" and m["统计用区划代码"] == "village_code" and m["总户数"] == "households"
    assert m["建档立卡户数"] == "poor_households" and m["人口"] == "population" and m["镇（街道）"] == "town_name"
    assert "经度" not in m  # villages are polygons: no lon/lat helper
    m2 = cm.auto_mapping(["lng", "LAT", "Name", "村委会"], "tourism_sites")
    assert m2 == {"lng": "lon", "LAT": "lat", "Name": "name", "村委会": "ref_village_name"}


def test_mapping_saved_and_reused(tmp_path: Path, ws: Path):
    table = pd.DataFrame({"代码X": [f"{TOWN}241"], "穷户": [3]})
    mapping = {"代码X": "village_code", "穷户": "poor_households"}
    path = cm.save_mapping(tmp_path, cm.SavedMapping("我的模板", "villages", mapping, None, None))
    assert json.loads(path.read_text(encoding="utf-8"))["columns"] == mapping
    loaded = cm.list_mappings(tmp_path, layer="villages")[0]
    plan = importers.prepare_import(ws, "x.xlsx", xlsx_bytes(table), layer="villages",
                                    mapping=cm.apply_saved(list(table.columns), loaded.columns, "villages"))
    assert plan.ok and plan.new_layer.set_index("village_code").loc[f"{TOWN}241", "poor_households"] == 3
    with pytest.raises(ValueError, match="都对应到同一个字段「总户数」") as info:
        cm.check_mapping({"a": "households", "b": "households"}, "villages")
    assert "both map to" in info.value.message_en


# ----------------------------------------------------------------------------- 4. coordinates


def test_gcj02_points_detected_and_converted(ws: Path):
    pts = site_points(40)
    gcj = points_table(pts, datum="gcj02").to_csv(index=False).encode()
    as_wgs = importers.prepare_import(ws, "gcj.csv", gcj, layer="tourism_sites")
    warn = [p for p in as_wgs.report.warnings if "GCJ-02" in p.reason_zh]
    assert warn, as_wgs.report.to_frame()
    plan = importers.prepare_import(ws, "gcj.csv", gcj, layer="tourism_sites", crs="gcj02")
    assert not [p for p in plan.report.warnings if "GCJ-02" in p.reason_zh]
    got = np.column_stack([plan.new_layer.geometry.x, plan.new_layer.geometry.y])
    np.testing.assert_allclose(got, pts, atol=1e-8)  # ≈1 mm


def test_bd09_points_converted(ws: Path):
    pts = site_points(10)
    bd = points_table(pts, datum="bd09").to_csv(index=False).encode()
    plan = importers.prepare_import(ws, "bd.csv", bd, layer="tourism_sites", crs="bd09")
    np.testing.assert_allclose(np.column_stack([plan.new_layer.geometry.x, plan.new_layer.geometry.y]), pts, atol=1e-6)


def test_gauss_kruger_zone_detected_from_coordinates(ws: Path):
    pts = site_points(5)
    gdf = gpd.GeoDataFrame(geometry=shapely.points(pts), crs="EPSG:4326")
    with_prefix = gdf.to_crs("EPSG:4526")  # zone 38 (CM 114°E) with zone prefix
    b = with_prefix.total_bounds
    assert crs_detect.guess_from_bounds(tuple(b)).key == "epsg:4526"
    no_prefix = gdf.to_crs("EPSG:4546")  # CM 111°E without prefix (Kaiping, 112.4°E, lies in 3° zone 37)
    guess = crs_detect.guess_from_bounds(tuple(no_prefix.total_bounds), reference_lon=112.4)
    assert guess.key == "epsg:4546"
    t = points_table(pts)
    t["经度"], t["纬度"] = with_prefix.geometry.x.to_numpy(), with_prefix.geometry.y.to_numpy()
    t = t.rename(columns={"经度": "X坐标", "纬度": "Y坐标"})
    plan = importers.prepare_import(ws, "gk.csv", t.to_csv(index=False).encode(), layer="tourism_sites")
    assert plan.crs == "epsg:4526"
    np.testing.assert_allclose(np.column_stack([plan.new_layer.geometry.x, plan.new_layer.geometry.y]), pts, atol=1e-7)


def test_crs_declared_in_file_is_used(ws: Path, tmp_path: Path):
    v = import_villages().to_crs("EPSG:4546")
    data = shapefile_zip(v, tmp_path)
    plan = importers.prepare_import(ws, "v.zip", data, layer="villages")
    assert plan.crs == "epsg:4546" and plan.crs_source == "file"
    assert plan.change.counts()["changed"] == 0, plan.change


def test_swapped_coordinates_detected(ws: Path):
    before = state(ws)
    csv = points_table(site_points(5), swap=True).to_csv(index=False).encode()
    plan = importers.prepare_import(ws, "swap.csv", csv, layer="tourism_sites")
    assert not plan.ok
    assert _problems(plan, "经纬度颠倒")
    with pytest.raises(ImportRefused, match="错误"):
        importers.apply_import(ws, plan, user=ADMIN)
    assert state(ws) == before


def test_points_outside_county_warned(ws: Path):
    pts = site_points(4)
    pts[0] = (113.9, 22.6)  # far outside
    plan = importers.prepare_import(ws, "p.csv", points_table(pts).to_csv(index=False).encode(), layer="tourism_sites")
    assert [p for p in plan.report.warnings if "本县范围之外" in p.reason_zh]
    assert [p for p in plan.report.warnings if "不在任何村" in p.reason_zh and p.row == 1]


# ----------------------------------------------------------------------------- 5. validation report


def test_validation_report_lists_every_problem(ws: Path):
    v = import_villages(4)
    v.loc[0, "households"] = -3  # negative count
    v.loc[1, "poor_households"] = 500  # poor > total
    v.loc[2, "village_code"] = v.loc[3, "village_code"]  # duplicate code
    v.loc[3, "town_code"] = "44078"  # malformed code
    plan = importers.prepare_import(ws, "bad.geojson", geojson_bytes(v), layer="villages")
    frame = plan.report.to_frame("zh")
    assert list(frame.columns)[:7] == ["级别", "文件", "图层", "行号", "编号", "字段", "值"]
    reasons = " ".join(frame["问题"])
    for expected in ("不能小于 0", "贫困户数不能大于总户数", "编号重复", "代码格式不对"):
        assert expected in reasons, reasons
    neg = [p for p in plan.report.errors if p.column == "households" and "不能小于" in p.reason_zh][0]
    assert (neg.row, neg.value) == (1, "-3")
    assert not plan.ok


def test_geometry_repair_within_one_percent_else_refused(ws: Path):
    v = import_villages(4)
    # a ring that touches itself at one vertex: make_valid keeps the area -> repaired
    x0, y0 = 112.40, 22.30
    v.loc[0, "geometry"] = shapely.Polygon([(x0, y0), (x0 + 0.01, y0), (x0 + 0.01, y0 + 0.01), (x0 + 0.005, y0),
                                            (x0, y0 + 0.01), (x0, y0)])
    # a bow-tie: repairing changes the area a lot -> refused
    x1 = 112.41
    v.loc[1, "geometry"] = shapely.Polygon([(x1, y0), (x1 + 0.01, y0 + 0.01), (x1 + 0.01, y0), (x1, y0 + 0.01), (x1, y0)])
    assert not v.geometry.iloc[0].is_valid and not v.geometry.iloc[1].is_valid
    plan = importers.prepare_import(ws, "geom.geojson", geojson_bytes(v), layer="villages")
    repaired = _problems(plan, "已自动修复")
    refused = _problems(plan, "无法安全修复")
    assert [p.row for p in repaired] == [1] and repaired[0].severity == "warning"
    assert [p.row for p in refused] == [2] and refused[0].severity == "error"
    assert plan.new_layer.geometry.iloc[0].is_valid
    assert abs(plan.new_layer.geometry.iloc[0].area - v.geometry.iloc[0].area) / v.geometry.iloc[0].area <= 0.01


def test_overlaps_and_gaps_between_villages(ws: Path):
    v = import_villages(4)
    v.loc[1, "geometry"] = shapely.box(112.4095, 22.30, 112.42, 22.31)  # overlaps village 0
    plan = importers.prepare_import(ws, "o.geojson", geojson_bytes(v), layer="villages")
    assert _problems(plan, "重叠")
    v = import_villages(4)
    # a 200 m × 200 m hole between villages 1 and 2
    v.loc[1, "geometry"] = shapely.box(112.41, 22.30, 112.42, 22.31).difference(shapely.box(112.418, 22.304, 112.42, 22.306))
    plan = importers.prepare_import(ws, "g.geojson", geojson_bytes(v), layer="villages")
    gaps = _problems(plan, "空隙")
    assert len(gaps) == 1 and gaps[0].severity == "warning"
    assert plan.ok


def test_unknown_village_reference_and_dangling_households(ws: Path):
    t = points_table(site_points(3))
    t.loc[0, "所在村代码"] = "440783999999"
    plan = importers.prepare_import(ws, "s.csv", t.to_csv(index=False).encode(), layer="tourism_sites")
    assert _problems(plan, "引用了不存在的行政村")
    # replacing villages by a file that drops one village would orphan its households
    v = import_villages(3)
    plan = importers.prepare_import(ws, "v3.geojson", geojson_bytes(v), layer="villages")
    assert plan.change.counts()["removed"] == 1
    dangling = _problems(plan, "导入后将引用不存在的行政村")
    assert dangling and all(p.layer == "households" for p in dangling)
    assert not plan.ok


def test_script_text_is_imported_as_text_and_escaped(ws: Path):
    v = import_villages()
    v.loc[0, "village_name"] = "<script>alert(1)</script>"
    plan = importers.prepare_import(ws, "x.geojson", geojson_bytes(v), layer="villages")
    importers.apply_import(ws, plan, user=ADMIN)
    stored = store.read_layer(ws, "villages")
    assert stored["village_name"].iloc[0] == "<script>alert(1)</script>"
    m = maps.offline_map(stored.total_bounds)
    maps.add_village_outlines(m, stored, fields=[maps.TooltipField("village_name", "村名")], name="村")
    html = maps.map_html(m)
    assert "<script>alert(1)</script>" not in html
    assert "\\u0026lt;script\\u0026gt;alert(1)" in html  # HTML-escaped, then JSON-escaped


# ----------------------------------------------------------------------------- 6. preview, apply, backup


def test_apply_is_atomic_and_backup_restorable(ws: Path):
    original = state(ws)
    table = pd.DataFrame({"统计用区划代码": [f"{TOWN}240"], "贫困户数": [24]})
    plan = importers.prepare_import(ws, "a.xlsx", xlsx_bytes(table), layer="villages")
    assert plan.change.changed == [f"{TOWN}240"] and plan.change.changed_columns == {"poor_households": 1}
    original_layers, original_version = _layers(ws), store.read_meta(ws)["version"]
    importers.apply_import(ws, plan, user=ADMIN)
    assert store.read_layer(ws, "villages").set_index("village_code").loc[f"{TOWN}240", "poor_households"] == 24
    (backup,) = store.list_backups(ws)  # the backup holds the layer as it was, with who/when/why
    # a layer backup: only the layer the import replaced (not the whole file)
    assert backup.layers == ("villages",)
    assert _layers(backup.path) == {"villages": original_layers["villages"]}
    assert backup.meta["version"] == original_version
    assert (backup.user, backup.reason, backup.target) == ("张三", "import", "villages")
    # the same plan cannot be applied twice (the workspace changed since the preview)
    with pytest.raises(ImportRefused, match="重新预览"):
        importers.apply_import(ws, plan, user=ADMIN)
    importers.restore_backup(ws, user=ADMIN)
    assert _layers(ws) == original_layers  # the data is back; the version number moves on (never reused)
    assert int(store.read_meta(ws)["version"]) > int(original_version) + 1
    assert store.read_layer(ws, "villages").set_index("village_code").loc[f"{TOWN}240", "poor_households"] == 10
    assert state(ws) != original


def _layers(p: Path) -> dict[str, list]:
    """Every layer's rows (geometry as WKB hex), to compare workspaces whose metadata differ."""
    out = {}
    for n in store.list_layers(p):
        if n in store.LAYERS:
            df = store.read_layer(p, n)
            if "geometry" in df.columns:
                df = pd.DataFrame(df).assign(geometry=df.geometry.to_wkb(hex=True))
            out[n] = df.astype(str).values.tolist()
    return out


def test_failed_write_leaves_workspace_untouched(ws: Path, monkeypatch: pytest.MonkeyPatch):
    original = state(ws)
    table = pd.DataFrame({"统计用区划代码": [f"{TOWN}240"], "贫困户数": [24]})
    plan = importers.prepare_import(ws, "a.xlsx", xlsx_bytes(table), layer="villages")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(store, "write_gpkg", boom)
    with pytest.raises(OSError):
        importers.apply_import(ws, plan, user=ADMIN)
    assert state(ws) == original
    if isinstance(ws, Path):
        assert not fileio.temp_files(ws.parent) and not list(ws.parent.glob(locking.WRITER_PREFIX + "*"))


def test_gcj02_heuristic_no_false_alarm_and_small_sample(ws: Path):
    pts = site_points(12)
    exact = points_table(pts).to_csv(index=False).encode()
    plan = importers.prepare_import(ws, "ok.csv", exact, layer="tourism_sites")
    assert not [p for p in plan.report.warnings if "疑似" in p.reason_zh]
    vill = store.read_layer(ws, "villages")
    gcj = np.column_stack(wgs84_to_gcj02(pts[:, 0], pts[:, 1]))
    diag = crs_detect.offset_diagnosis(shapely.points(gcj), vill, declared="wgs84")
    assert diag.suggestion == "gcj02" and diag.inside["gcj02"] == 1.0


def test_coded_values_are_imported_from_labels_and_synonyms(ws: Path):
    """Project types and statuses spelled as offices write them, yes/no as 有/无 √/× 1/0: stored as codes."""
    projects = pd.DataFrame({"项目编号": ["P1", "P2", "P3", "P4"], "项目名称": ["水", "卫", "路", "桥"],
                             "项目类型": ["饮水工程", "卫生室", "道路硬化", "Bridge"], "投资(万元)": [10, 20, 30, 40],
                             "所在村代码": [f"{TOWN}240"] * 4, "状态": ["候选", "已批准", "candidate", "在建"],
                             "经度": [112.405] * 4, "纬度": [22.305] * 4})
    plan = importers.prepare_import(ws, "p.xlsx", xlsx_bytes(projects), layer="projects")
    assert plan.ok, plan.report.to_frame()
    got = plan.new_layer.set_index("project_id")
    assert got["project_type"].tolist() == ["drinking_water", "clinic", "road_hardening", "bridge"]
    assert got["status"].tolist() == ["candidate", "approved", "candidate", "under_construction"]
    hh = pd.DataFrame({"户编号": ["N1", "N2", "N3"], "村代码": [f"{TOWN}240"] * 3, "家庭人口": [2, 3, 4],
                       "是否低收入户": ["有", "√", 0], "重点帮扶户": ["无", "×", 0], "有劳动能力": [1, "是", "否"],
                       "致贫原因": ["因病", None, None], "经度": [112.405] * 3, "纬度": [22.305] * 3})
    plan = importers.prepare_import(ws, "hh.csv", hh.to_csv(index=False).encode(), layer="households", mode="update")
    assert plan.ok, plan.report.to_frame()
    got = plan.new_layer.set_index("household_id").loc[["N1", "N2", "N3"]]
    assert got["is_poor"].tolist() == [True, True, False] and got["is_key"].tolist() == [False, False, False]
    assert got["has_labour"].tolist() == [True, True, False]


def test_unknown_coded_value_is_reported_with_the_allowed_labels(ws: Path):
    pairings = pd.DataFrame({"结对编号": ["X1"], "企业编号": ["E1"], "村代码": [f"{TOWN}240"], "帮扶方式": ["捐钱"],
                             "开始日期": ["2020-01-01"], "承诺资金(万元)": [1.0]})
    plan = importers.prepare_import(ws, "x.csv", pairings.to_csv(index=False).encode(), layer="pairings", mode="update")
    bad = _problems(plan, "不是允许的取值")
    assert bad and bad[0].hint_zh == "可选：" + "、".join(vocab.PAIRING_TYPE.labels("zh").values())
