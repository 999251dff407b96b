"""AppTest of page 数据管理: the import flow driven through session state and the example button.

``st.file_uploader`` cannot be driven by AppTest, so the tests put the file where the uploader
would (``st.session_state["data.upload"] = (name, bytes)``) or press “载入示例”. Everything after
that — detection, mapping widgets, CRS choice, report, change preview, apply, export, restore —
runs through the real page.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bangfu.workspace import store
from factories import (
    CHISHUI as TOWN, geojson_bytes, import_villages, import_workspace, points_table, site_points, xlsx_bytes,
    zip_bytes,
)

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    return import_workspace(folder)


def _page(upload: tuple[str, bytes] | None = None, layer: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=TIMEOUT)
    if upload:
        at.session_state["data.upload"] = upload
    if layer:
        at.session_state["data.layer"] = layer
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def test_page_without_file(ws: Path):
    at = _page()
    assert at.title[0].value == "数据管理"
    assert any("请先上传文件" in i.value for i in at.info)


def test_excel_update_flow_applies_and_restores(ws: Path):
    before = ws.read_bytes()
    poor_before = store.read_layer(ws, "villages").set_index("village_code").loc[f"{TOWN}241", "poor_households"]
    table = pd.DataFrame({"统计用区划代码": [f"{TOWN}241"], "建档立卡户数": [21]})
    at = _page(("建档立卡.xlsx", xlsx_bytes(table)), "villages")
    labels = {s.label: s.value for s in at.selectbox}
    assert labels["统计用区划代码"] == "village_code" and labels["建档立卡户数"] == "poor_households"
    assert any("数据检查通过" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"新增": "0", "修改": "1", "删除": "0", "不变": "3"}
    assert ws.read_bytes() == before  # nothing written before the click
    _button(at, "data.apply_button").click().run()
    assert not at.exception
    assert any("导入完成" in s.value for s in at.success)
    assert store.read_layer(ws, "villages").set_index("village_code").loc[f"{TOWN}241", "poor_households"] == 21
    _button(at, "data.restore").click().run()
    warning = " ".join(w.value for w in at.warning)
    assert "当前数据（版本 v2，" in warning and "导入 行政村" in warning and "将被替换" in warning, warning
    assert store.read_layer(ws, "villages").set_index("village_code").loc[f"{TOWN}241", "poor_households"] == 21
    _button(at, "data.restore_confirm").click().run()
    assert not at.exception and any("已恢复备份" in s.value for s in at.success)
    assert store.read_layer(ws, "villages").set_index("village_code").loc[f"{TOWN}241", "poor_households"] == poor_before != 21
    restored = store.read_meta(ws)
    assert restored["restored_from"].startswith("workspace-") and int(restored["version"]) > 2
    assert len(store.list_backups(ws)) == 2, "the restore backed the imported data up first"


def test_errors_block_apply_and_report_is_shown(ws: Path):
    before = ws.read_bytes()
    table = pd.DataFrame({"统计用区划代码": [f"{TOWN}241", "12345"], "建档立卡户数": [-1, 3]})
    at = _page(("bad.xlsx", xlsx_bytes(table)), "villages")
    assert any("错误" in e.value for e in at.error)
    assert _button(at, "data.apply_button").disabled
    report = at.dataframe[1].value  # [0] is the file preview
    assert {"级别", "行号", "字段", "值", "问题"} <= set(report.columns)
    assert "不能小于 0" in " ".join(report["问题"])
    assert ws.read_bytes() == before


def test_bad_file_shows_chinese_error(ws: Path):
    at = _page(("evil.zip", zip_bytes({"../x.shp": b"x" * 200})), "villages")
    assert any("上级目录" in e.value for e in at.error)


def test_remapping_and_crs_choice_through_widgets(ws: Path):
    pts = site_points(20)
    csv = points_table(pts, datum="gcj02", swap=True).to_csv(index=False).encode("gbk")
    at = _page(("sites.csv", csv), "tourism_sites")
    assert any("经纬度颠倒" in str(v) for v in at.dataframe[1].value["问题"])
    assert any("GB18030" in t.value for t in at.text)
    # the user swaps the two columns in the mapping and declares GCJ-02
    lon = next(s for s in at.selectbox if s.label == "经度")
    lat = next(s for s in at.selectbox if s.label == "纬度")
    lon.set_value("lat")
    lat.set_value("lon")
    next(s for s in at.selectbox if s.label == "坐标系").set_value("gcj02")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert {m.label: m.value for m in at.metric}["新增"] == "20"
    _button(at, "data.apply_button").click().run()
    sites = store.read_layer(ws, "tourism_sites")
    assert len(sites) == 20
    assert abs(sites.geometry.x.to_numpy() - pts[:, 0]).max() < 1e-7


def test_example_file_button_and_script_text(ws: Path):
    at = _page()
    next(s for s in at.selectbox if s.key == "data.example").set_value("gbk_shapefile").run()
    _button(at, "data.load_example").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("GB18030" in t.value for t in at.text)
    preview = at.dataframe[0].value
    assert "测试0村" in set(preview["村名"])
    # text that looks like HTML is shown as text in tables (never rendered)
    v = import_villages()
    v.loc[0, "village_name"] = "<script>alert(1)</script>"
    at = _page(("x.geojson", geojson_bytes(v)), "villages")
    assert "<script>alert(1)</script>" in set(at.dataframe[0].value["village_name"])
    assert not any("<script>" in m.value for m in at.markdown)


def test_export_section(ws: Path):
    at = _page()
    next(s for s in at.selectbox if s.key == "data.export_layer").set_value("villages")
    next(s for s in at.selectbox if s.key == "data.export_format").set_value("shapefile").run()
    _button(at, "data.prepare_export").click().run()
    assert not at.exception
    fname, blob = at.session_state["data.export_file"]
    assert fname == "villages_shp.zip" and blob[:2] == b"PK"


def test_an_upload_stored_on_disk_runs_the_same_flow_and_the_limits_are_shown(ws: Path, tmp_path: Path):
    """The uploader streams the file to disk and keeps only its path: the flow reads it from there."""
    table = pd.DataFrame({"统计用区划代码": [f"{TOWN}241"], "建档立卡户数": [21]})
    stored = tmp_path / "upload.xlsx"
    stored.write_bytes(xlsx_bytes(table))
    at = _page(("建档立卡.xlsx", stored), "villages")
    assert any("数据检查通过" in s.value for s in at.success)
    assert {m.label: m.value for m in at.metric}["修改"] == "1"
    captions = " ".join(c.value for c in at.caption)
    assert "上传上限 200 MB" in captions and "python -m bangfu import" in captions


def test_an_administrator_sets_the_upload_limit_on_the_page(ws: Path):
    from bangfu.ingest.guard import Limits

    at = _page()
    next(n for n in at.number_input if n.key == "data.limit_mb").set_value(450.0)
    next(n for n in at.number_input if n.key == "data.limit_rows").set_value(3_500_000)
    _button(at, "data.limit_save").click().run()
    assert not at.exception
    limits = Limits.for_office(ws.parent)
    assert limits.max_bytes == 450 * 1024 * 1024 and limits.max_rows == 3_500_000
    assert any("上传上限 450 MB、3,500,000 行" in c.value for c in at.caption)
