"""The optional seats layer (村委会驻地 / 镇政府驻地, issue 16 item 1): imported through the ordinary pipeline,
validated by row, kept by the store and the exports, and used by the road network instead of estimated seats."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bangfu.core import vocab
from bangfu.export import layers as export_layers
from bangfu.indicators import network as ind
from bangfu.ingest import columns as cm
from bangfu.ingest import pipeline as importers
from bangfu.workspace import store
from bangfu.workspace.access import Principal
from bangfu.workspace.schema import LAYERS
from factories import CHISHUI as TOWN, roads, village_grid, workspace

ADMIN = Principal("admin", "admin", display_name="张三")
X0, Y0, CELL = 112.40, 22.30, 0.01
#: A hardened road along the north edge of the three villages: about 440 m from each village's centre (the
#: estimated seat) and about 55 m from the real seats imported below.
ROAD_Y = Y0 + 0.009
WALK_M = 200.0
CODES = [f"{TOWN}{240 + i}" for i in range(3)]


def villages():
    return village_grid({TOWN: "赤水镇"}, 3, households=[300, 100, 50], population=[900, 300, 150],
                        poor_households=[10, 5, 7], poor_population=[20, 10, 14])


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    road = roads([{"road_id": "R1", "village_code": CODES[0], "status": "completed", "completed_year": 2020,
                   "coords": [(X0 + 0.0005, ROAD_Y), (X0 + 0.0295, ROAD_Y)]}])
    return workspace(tmp_path / "ws", villages=villages(), roads=road)


def seats_csv(rows: list[tuple[str, str, str, float, float]]) -> bytes:
    """A county's seat sheet: 区划代码, 类型, 名称, 经度, 纬度 (UTF-8 CSV)."""
    df = pd.DataFrame(rows, columns=["区划代码", "类型", "名称", "经度", "纬度"])
    return df.to_csv(index=False).encode("utf-8")


def connection(ws: Path) -> pd.DataFrame:
    v, r, s = (store.read_layer(ws, n) for n in ("villages", "roads", "seats"))
    data = ind.network_data(r, v, s)
    return ind.village_connection(data, v, walk_max_m=WALK_M).set_index("village_code"), data


def test_seats_is_an_optional_point_layer_with_a_coded_kind():
    layer = LAYERS["seats"]
    assert layer.optional and layer.geometry == "Point" and layer.key == "code" and not layer.personal
    assert layer.column("kind").vocab is vocab.SEAT_KIND
    assert vocab.SEAT_KIND.parse("村委会") == "village" and vocab.SEAT_KIND.parse("镇政府驻地") == "town"
    assert vocab.SEAT_KIND.label("town", "en") == "Town seat"
    assert cm.auto_mapping(["区划代码", "类型", "名称", "经度", "纬度"], "seats") == {
        "区划代码": "code", "类型": "kind", "名称": "name", "经度": "lon", "纬度": "lat"}


def test_importing_seats_changes_the_hardened_road_result(ws: Path):
    assert "seats" not in store.list_layers(ws)
    before, data = connection(ws)
    assert data.village_seats["estimated"].all() and data.town_seats["estimated"].all()
    assert not before["connected"].any()  # the estimated seats (village centres) are 440 m from the road

    sheet = seats_csv([
        (CODES[0], "村委会", "测试0村委会", X0 + 0.005, ROAD_Y - 0.0005),
        (CODES[1], "村委会驻地", "测试1村委会", X0 + 0.015, ROAD_Y - 0.0005),
        (TOWN, "镇政府", "赤水镇政府", X0 + 0.004, ROAD_Y - 0.0004),
    ])
    plan = importers.prepare_import(ws, "驻地.csv", sheet, layer="seats")
    assert plan.ok, plan.report.to_frame()
    assert plan.new_layer["kind"].tolist() == ["village", "village", "town"]
    importers.apply_import(ws, plan, user=ADMIN)

    stored = store.read_layer(ws, "seats")
    assert stored["code"].tolist() == [CODES[0], CODES[1], TOWN]
    after, data = connection(ws)
    assert after.loc[CODES[0], "connected"] and after.loc[CODES[1], "connected"]
    assert not after.loc[CODES[0], "seat_estimated"] and not after.loc[CODES[1], "seat_estimated"]
    assert not data.town_seats["estimated"].iloc[0] and data.town_seats["village_code"].iloc[0] == CODES[0]
    # the village without an imported seat keeps its estimated seat, 440 m from the road
    assert after.loc[CODES[2], "seat_estimated"] and after.loc[CODES[2], "status"] == "no_road"
    assert after.loc[CODES[1], "walk_hardened_m"] == pytest.approx(55.6, abs=1.0)
    assert not {i.kind for i in data.issues} & {"seat_outside", "town_seat_outside"}


def test_bad_seats_are_reported_by_row_with_their_code(ws: Path):
    sheet = seats_csv([
        (f"{TOWN}299", "村委会", "无此村", X0 + 0.005, Y0 + 0.005),  # unknown village
        ("440783999", "镇政府", "无此镇", X0 + 0.005, Y0 + 0.005),  # unknown town
        (CODES[0], "镇政府", "类型不符", X0 + 0.005, Y0 + 0.005),  # a town seat with a village code
        (CODES[1], "村委会", "坐标在邻村", X0 + 0.025, Y0 + 0.005),  # lies in village 2
    ])
    plan = importers.prepare_import(ws, "驻地.csv", sheet, layer="seats")
    assert not plan.ok
    got = {(p.row_id, p.severity, p.reason_zh) for p in plan.report.problems if p.layer == "seats"}
    assert (f"{TOWN}299", "error", "引用了不存在的村") in got
    assert ("440783999", "error", "引用了不存在的镇") in got
    assert (CODES[0], "error", "镇政府驻地的代码应为9位") in got
    assert (CODES[1], "warning", "驻地不在本村范围内") in got
    line = next(p for p in plan.report.problems if p.row_id == CODES[1]).line("zh")
    assert "第4行" in line and CODES[1] in line and "测试1村" in line  # row, code and village name


def test_seat_outside_its_village_is_listed_by_the_network_check(ws: Path):
    sheet = seats_csv([(CODES[1], "村委会", "坐标在邻村", X0 + 0.025, Y0 + 0.005),
                       (TOWN, "镇政府", "镇外", X0 + 0.05, Y0 + 0.005)])
    plan = importers.prepare_import(ws, "驻地.csv", sheet, layer="seats")
    assert plan.ok  # warnings only: the office may confirm and import
    assert {(p.row_id, p.reason_zh) for p in plan.report.warnings} >= {
        (CODES[1], "驻地不在本村范围内"), (TOWN, "驻地不在本镇范围内")}
    importers.apply_import(ws, plan, user=ADMIN)
    _, data = connection(ws)
    kinds = {(i.kind, i.subject) for i in data.issues}
    assert ("seat_outside", CODES[1]) in kinds and ("town_seat_outside", TOWN) in kinds
    assert data.town_seats["village_code"].iloc[0] == ""  # in no village


def test_seats_round_trip_and_export(ws: Path):
    sheet = seats_csv([(CODES[0], "村", "测试0村委会", X0 + 0.005, ROAD_Y - 0.0005)])
    importers.apply_import(ws, importers.prepare_import(ws, "驻地.csv", sheet, layer="seats"), user=ADMIN)
    assert "seats" in export_layers.exportable_layers(ws, ADMIN)
    name, data = export_layers.export_workspace(ws, "geojson", user=ADMIN)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert any("seats" in n for n in zf.namelist()), zf.namelist()
    back = store.read_layer(ws, "seats")
    np.testing.assert_allclose([back.geometry.x.iloc[0], back.geometry.y.iloc[0]], [X0 + 0.005, ROAD_Y - 0.0005],
                               atol=1e-9)
