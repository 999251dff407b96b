"""AppTest: the overview page of the small synthetic province at each level draws the map of the level below (cities,
counties, towns, villages), offers the village map where it may, and an area asked for by a map click
(:func:`bangfu.ui.area_picker.request_area`) becomes the sidebar's area and the URL's ``?area=``."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from factories import sign_in

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "overview.py")
TIMEOUT = 180


def _run(folder: Path, area: str = "") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    sign_in(at, folder, "chief")
    if area:
        at.query_params["area"] = area
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _unit_box(at: AppTest):
    return next(s for s in at.selectbox if s.label == "地图单位")


@pytest.mark.parametrize("area,unit,offered", [
    ("", "city", ["city", "village"]),
    ("2101", "county", ["county", "village"]),
    ("210202", "town", ["town", "village"]),
    ("210202001", "village", ["village"]),
])
def test_each_level_draws_the_level_below(province_ws: Path, area: str, unit: str, offered: list[str]):
    at = _run(province_ws, area)
    box = _unit_box(at)
    assert box.value == unit and list(box.options) == [
        {"city": "市", "county": "县（市、区）", "town": "镇街", "village": "村"}[u] for u in offered]
    captions = " ".join(c.value for c in at.caption)
    if unit == "village":
        assert "点击村庄" in captions
    else:
        assert "点击一个地区即进入该地区" in captions


def test_village_map_on_request_and_overlay_note(province_ws: Path):
    at = _run(province_ws, "2101")
    _unit_box(at).set_value("village").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "点击村庄" in " ".join(c.value for c in at.caption)


def test_a_clicked_area_becomes_the_sidebar_area(province_ws: Path):
    """What the map's click callback does (request_area), then the run it causes: the city is the area."""
    at = _run(province_ws)
    assert "辽宁省" in at.title[0].value
    at.session_state["_area_requested"] = "2101"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "沈阳市" in at.title[0].value
    assert at.selectbox(key="area_level").value == "city" and at.selectbox(key="area_city").value == "2101"
    assert at.query_params["area"] in ("2101", ["2101"])
    assert _unit_box(at).value == "county"
    at.session_state["_area_requested"] = "210102"  # and on down to a county
    at.run()
    assert "和平区" in at.title[0].value and at.selectbox(key="area_level").value == "county"
    assert _unit_box(at).value == "town"


def _map_bytes(at: AppTest) -> int:
    """Bytes of the maps the run sends (the arguments of every streamlit-folium component: the map's script)."""
    return sum(len(e.proto.json_args) for e in at.get("component_instance")
               if e.proto.component_name.startswith("streamlit_folium"))


def _village_map(folder: Path) -> AppTest:
    at = _run(folder)
    _unit_box(at).set_value("village").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _roads_page(folder: Path, area: str) -> AppTest:
    rt = AppTest.from_file(str(ROOT / "pages" / "roads.py"), default_timeout=TIMEOUT)
    sign_in(rt, folder, "chief")
    if area:
        rt.query_params["area"] = area
    rt.run()
    assert not rt.exception, [e.value for e in rt.exception]
    return rt


def test_big_workspace_limits_what_is_sent(province_ws: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """With a village limit below the fixture's size (as a province of 16,727 villages is above 3,000): the province
    offers its cities and its villages from vector tiles (the map sends the classes, not the villages), without
    overlays; the roads page draws no road map above a county, and draws it for a county."""
    from bangfu.maps import tiles as vt
    from bangfu.maps import units

    small_roads = _map_bytes(_roads_page(province_ws, ""))  # every road and village of the fixture
    geojson_villages = _map_bytes(_village_map(province_ws))  # the province's villages as GeoJSON
    from bangfu.ui.panels import overview as panel

    monkeypatch.setattr(units, "VILLAGE_MAP_MAX", 100)
    monkeypatch.setattr(panel, "tile_root", lambda: tmp_path / "vtiles")
    at = _run(province_ws)
    assert list(_unit_box(at).options) == ["市", "村"]
    assert "道路、旅游点、企业和结对连线只在县级" in " ".join(c.value for c in at.caption)
    _unit_box(at).set_value("village").run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(c.value for c in at.caption)
    assert "全部村按矢量瓦片逐块绘制" in captions and "道路、旅游点、企业和结对连线只在县级" in captions
    sent = [e.proto.json_args for e in at.get("component_instance")
            if e.proto.component_name.startswith("streamlit_folium")]
    assert len(sent) == 1 and "L.bangfuTiles" in sent[0] and vt.VECTORGRID_JS in sent[0]
    key = sent[0].split(f"/{vt.TILE_FOLDER}/")[1].split("/")[0]
    assert vt.tiles_ready(tmp_path / "vtiles", key)  # written (once) before the map was sent
    assert _map_bytes(at) * 3 < geojson_villages, (_map_bytes(at), geojson_villages)
    # another indicator and classification: the same tiles, other classes (one character per village)
    next(s for s in at.selectbox if s.label == "专题指标").set_value("poor_households").run()
    next(s for s in at.selectbox if s.label == "分级方法").set_value("quantiles").run()
    assert not at.exception, [e.value for e in at.exception]
    again = [e.proto.json_args for e in at.get("component_instance")
             if e.proto.component_name.startswith("streamlit_folium")]
    assert f"/{vt.TILE_FOLDER}/{key}/" in again[0] and '\\"value_prop\\":\\"p\\"' in again[0]

    def classes(args: str) -> str:
        return args.split('\\"classes\\":\\"')[1].split("\\")[0]
    assert len(classes(sent[0])) == len(classes(again[0])) == 301 and classes(sent[0]) != classes(again[0])
    for area, drawn in (("", False), ("2101", False), ("210102", True)):
        rt = _roads_page(province_ws, area)
        notes = " ".join(i.value for i in rt.info)
        assert ("道路地图在县（市、区）和镇街范围内显示" in notes) is not drawn, (area, notes)
        if not drawn:  # only the missing links' map is left, with the top links' roads only
            assert _map_bytes(rt) * 5 < small_roads, (area, _map_bytes(rt), small_roads)


def test_first_visit_warms_the_other_levels_and_the_tiles(province_ws: Path, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path):
    """The first overview run starts one background warm-up per workspace version: afterwards the tiles of a big
    workspace are on disk though nobody chose 村, and every level's units are cached; a second run starts none."""
    import threading

    from bangfu.maps import tiles as vt
    from bangfu.maps import units
    from bangfu.ui.panels import overview as panel

    monkeypatch.setattr(units, "VILLAGE_MAP_MAX", 100)
    monkeypatch.setattr(panel, "tile_root", lambda: tmp_path / "vtiles")
    monkeypatch.setattr(panel, "_WARMED", set())
    before = {t for t in threading.enumerate() if t.name == "bangfu-warm-up"}
    at = _run(province_ws)
    started = [t for t in threading.enumerate() if t.name == "bangfu-warm-up" and t not in before]
    assert len(started) == 1
    started[0].join(timeout=TIMEOUT)
    assert not started[0].is_alive()
    assert len([p for p in (tmp_path / "vtiles").iterdir() if vt.tiles_ready(tmp_path / "vtiles", p.name)]) == 1
    at.run()
    assert not [t for t in threading.enumerate() if t.name == "bangfu-warm-up" and t not in before and t.is_alive()]
    assert len(panel._WARMED) == 1
