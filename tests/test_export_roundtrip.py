"""Export → import gives the same data, per format and per layer kind; the CLI does the same."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from factories import as_user
import shapely

from bangfu.ingest import pipeline as importers
from bangfu.export import layers as layer_export
from bangfu.workspace import store
from bangfu.workspace.access import Principal
from bangfu.cli.commands import main as cli_main
from bangfu.workspace.schema import get_layer
from factories import (
    CHISHUI as TOWN, enterprises, import_households, import_villages, pairings, points_table, projects,
    site_points, workspace,
)

ADMIN = Principal("admin", "admin", display_name="张三")

FORMATS = ["gpkg", "geojson", "shapefile", "xlsx"]


@pytest.fixture(scope="module")
def rich_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Villages (one with text that looks like HTML, one in two parts), households, mixed-geometry projects, pairings."""
    folder = tmp_path_factory.mktemp("rich")
    v = import_villages()
    v.loc[1, "village_name"] = "<script>alert('x')</script>"
    v.loc[2, "collective_income_wan"] = np.nan
    # village 3 in two parts (a 20 m strip between them belongs to no village)
    v.loc[3, "geometry"] = shapely.MultiPolygon([shapely.box(112.43, 22.30, 112.44, 22.3049),
                                                 shapely.box(112.43, 22.3051, 112.44, 22.31)])
    proj = projects([
        {"project_id": "P1", "name": "桥", "project_type": "bridge", "cost_wan": 12.5, "xy": (112.405, 22.305)},
        {"project_id": "P2", "name": "路", "project_type": "road_hardening", "cost_wan": 80.0,
         "coords": [(112.401, 22.301), (112.409, 22.309)]},
        {"project_id": "P3", "name": "水厂", "project_type": "drinking_water", "cost_wan": 33.0,
         "geometry": shapely.box(112.402, 22.302, 112.403, 22.303)},
    ], village_code=f"{TOWN}240")
    ent = enterprises([{"enterprise_id": "E1", "name": "开平食品", "industry": "食品", "is_leading": True, "employees": 120,
                        "xy": (112.42, 22.305)}])
    pair = pairings([
        {"pairing_id": "PR1", "enterprise_id": "E1", "village_code": f"{TOWN}240", "committed_wan": 50.0,
         "poor_households_employed": 3},
        {"pairing_id": "PR2", "enterprise_id": "E1", "village_code": f"{TOWN}241", "pairing_type": "就业",
         "start_date": "2020-03-15", "end_date": "2022-12-31", "committed_wan": 12.5},
    ])
    path = workspace(folder, villages=v, households=import_households(), projects=proj, enterprises=ent, pairings=pair)
    return path


def _same(a: pd.DataFrame, b: pd.DataFrame, layer: str) -> None:
    lay = get_layer(layer)
    cols = list(lay.column_names)
    a = a.sort_values(lay.key, kind="stable")  # a mixed-geometry Shapefile comes back grouped by type
    b = b.sort_values(lay.key, kind="stable")
    pd.testing.assert_frame_equal(pd.DataFrame(a[cols]).reset_index(drop=True), pd.DataFrame(b[cols]).reset_index(drop=True),
                                  check_dtype=True)
    if lay.geometry:
        ga, gb = np.asarray(a.geometry.values), np.asarray(b.geometry.values)
        same = shapely.equals(ga, gb) | shapely.equals_exact(ga, gb, 1e-9)
        assert same.all(), [(x.wkt, y.wkt) for x, y, s in zip(ga, gb, same) if not s][:2]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layer", ["villages", "households", "projects", "pairings"])
def test_round_trip(rich_ws: Path, tmp_path: Path, fmt: str, layer: str):
    ws = tmp_path / store.WORKSPACE_FILE
    ws.write_bytes(rich_ws.read_bytes())
    original = store.read_layer(ws, layer)
    fname, data = layer_export.export_workspace(ws, fmt, user=as_user(), layers=[layer])
    plan = importers.prepare_import(ws, fname, data, layer=layer, mode="replace")
    assert plan.ok, plan.report.to_frame()
    assert plan.change.empty, plan.change
    _same(original, plan.new_layer, layer)
    if fmt == "shapefile":  # once per layer through the whole write path as well
        importers.apply_import(ws, plan, user=ADMIN)
        _same(original, store.read_layer(ws, layer), layer)


def test_shapefile_export_is_utf8_with_cpg(rich_ws: Path):
    _, data = layer_export.export_workspace(rich_ws, "shapefile", user=as_user(), layers=["villages"])
    zf = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(zf.namelist())
    assert names == ["villages.cpg", "villages.dbf", "villages.prj", "villages.shp", "villages.shx"]
    assert zf.read("villages.cpg").strip().upper() in (b"UTF-8", b"UTF8")
    assert "测试0村".encode() in zf.read("villages.dbf")


def test_whole_workspace_exports(rich_ws: Path):
    files = {fmt: layer_export.export_workspace(rich_ws, fmt, user=as_user()) for fmt in FORMATS}
    assert files["gpkg"][1][:16] == b"SQLite format 3\x00"
    names = zipfile.ZipFile(io.BytesIO(files["geojson"][1])).namelist()
    assert {"villages.geojson", "households.geojson", "pairings.geojson"} <= set(names)
    xlsx = files["xlsx"][1]
    sheets = pd.read_excel(io.BytesIO(xlsx), sheet_name=None)
    assert {"行政村", "农户", "候选项目", "企业结对"} <= set(sheets)
    assert "村名" in sheets["行政村"].columns and "几何(WKT)" in sheets["行政村"].columns
    assert {"经度", "纬度"} <= set(sheets["农户"].columns)


def test_cli_import_and_export(rich_ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch):
    ws = tmp_path / "ws" / store.WORKSPACE_FILE
    ws.parent.mkdir()
    ws.write_bytes(rich_ws.read_bytes())
    out = tmp_path / "all.gpkg"
    assert cli_main(["export", "--format", "gpkg", "--workspace", str(ws), "--out", str(out)]) == 0
    assert out.read_bytes()[:16] == b"SQLite format 3\x00"
    monkeypatch.chdir(tmp_path)
    assert cli_main(["export", "--format", "shp", "--layer", "villages", "--workspace", str(ws)]) == 0
    assert (tmp_path / "villages_shp.zip").exists()

    # GCJ-02 tourism sites from a CSV, declared on the command line
    pts = site_points(6)
    csv = tmp_path / "sites.csv"
    points_table(pts, datum="gcj02").to_csv(csv, index=False, encoding="gbk")
    before = ws.read_bytes()
    assert cli_main(["import", str(csv), "--layer", "tourism_sites", "--crs", "gcj02", "--workspace", str(ws),
                     "--dry-run"]) == 0
    assert ws.read_bytes() == before
    assert cli_main(["import", str(csv), "--layer", "tourism_sites", "--crs", "gcj02", "--workspace", str(ws),
                     "--save-mapping", "景点模板"]) == 0
    text = capsys.readouterr().out
    assert "新增 6 行" in text and "GB18030" in text and "已导入" in text
    sites = store.read_layer(ws, "tourism_sites")
    np.testing.assert_allclose(np.column_stack([sites.geometry.x, sites.geometry.y]), pts, atol=1e-8)
    saved = ws.parent / "mappings" / "景点模板.json"
    assert saved.exists()
    # the saved mapping (with its CRS) is reused; restore-backup undoes the import
    assert cli_main(["import", str(csv), "--layer", "tourism_sites", "--mapping", str(saved), "--workspace", str(ws)]) == 0
    assert cli_main(["restore-backup", "--workspace", str(ws)]) == 0


def test_python_m_bangfu_runs(rich_ws: Path, tmp_path: Path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    out = tmp_path / "v.geojson"
    r = subprocess.run([sys.executable, "-m", "bangfu", "export", "--format", "geojson", "--layer", "villages",
                        "--workspace", str(rich_ws), "--out", str(out)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert b'"FeatureCollection"' in out.read_bytes()
