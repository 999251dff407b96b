"""The search (issue 14): matching against a brute-force oracle, pinyin initials, the index of the demo (roads of
the same name told apart), the search box and a ticked table row zooming to and highlighting on the overview page,
and the map pieces every map shares (local tile folder, metric scale bar, focus layer)."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from bangfu.core.labels import t
from bangfu.core.resources import DEMO_PATH
from bangfu.indicators import search as sr
from bangfu.maps import base
from bangfu.maps.offline import LOCAL_TILE_FOLDER, LOCAL_TILE_URL
from factories import Overview

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "overview.py")

# --------------------------------------------------------------------------- matching

_point = shapely.Point(112.6, 22.3)
_names = st.text(alphabet="赤水镇高山村道ab1 Ａ", min_size=0, max_size=6)


@st.composite
def _index(draw) -> list[sr.Entry]:
    n = draw(st.integers(0, 12))
    return [sr.Entry(draw(st.sampled_from(sr.SEARCH_KINDS)), draw(st.text(alphabet="R0147", min_size=1, max_size=5)),
                     name, "", sr.initials(name), _point) for name in draw(st.lists(_names, min_size=n, max_size=n))]


@settings(max_examples=150, deadline=None)
@given(_index(), st.text(alphabet="赤水镇高山ab1R04csz Ａ", min_size=0, max_size=3))
def test_search_finds_exactly_what_contains_the_query(index, query):
    q = sr.fold(query)
    expected = {id(e) for e in index if q and (q in sr.fold(e.name) or q in sr.fold(e.key) or q in e.initials)}
    hits = sr.search(index, query, limit=10_000)
    assert {id(e) for e in hits} == expected
    ranks = [sr.match_rank(e, q) for e in hits]
    assert ranks == sorted(ranks)  # better matches first
    exact = [e for e in index if q and q in (sr.fold(e.name), sr.fold(e.key))]
    assert all(hits.index(e) < len(exact) for e in exact)  # exact names and codes come first


def test_initials_and_folding():
    assert sr.initials("赤水镇高山村") == "cszgsc"
    assert sr.fold(" ＡＢ１ ") == "ab1"  # full-width typed on a Chinese keyboard
    idx = [sr.Entry("town", "440783116", "赤水镇", "", sr.initials("赤水镇"), _point),
           sr.Entry("village", "440783116255", "高山村委会", "赤水镇", sr.initials("高山村委会"), _point)]
    assert [e.key for e in sr.search(idx, "CSZ")] == ["440783116"]
    assert [e.key for e in sr.search(idx, "44078311")] == ["440783116", "440783116255"]
    assert [e.key for e in sr.search(idx, "高山", kinds=["town"])] == []
    assert sr.find(idx, "village", "440783116255") is idx[1] and sr.find(idx, "road", "x") is None


@pytest.fixture(scope="module")
def demo_index() -> tuple[dict[str, gpd.GeoDataFrame], tuple[sr.Entry, ...]]:
    layers = {n: gpd.read_file(DEMO_PATH, layer=n) for n in ("villages", "roads", "projects", "enterprises",
                                                             "tourism_sites")}
    return layers, sr.build_index(layers["villages"], roads=layers["roads"], projects=layers["projects"],
                                  enterprises=layers["enterprises"], sites=layers["tourism_sites"])


def test_demo_index_counts_and_roads_told_apart(demo_index):
    layers, idx = demo_index
    kinds = [e.kind for e in idx]
    v = layers["villages"]
    assert kinds.count("town") == v["town_code"].nunique() and kinds.count("village") == len(v)
    assert kinds.count("road") == len(layers["roads"]) and kinds.count("enterprise") == len(layers["enterprises"])
    roads = [e for e in idx if e.kind == "road"]
    by_name: dict[str, set[str]] = {}
    for e in roads:
        by_name.setdefault(e.name, set()).add(e.detail + e.key)
    assert all(len(d) == len([e for e in roads if e.name == n]) for n, d in by_name.items())
    r = layers["roads"].set_index("road_id")
    one = sr.find(idx, "road", "R0740")
    assert one is not None and "km" in one.detail
    km = float(re.search(r"([\d.,]+) km", one.detail).group(1))  # type: ignore[union-attr]
    metric = gpd.GeoSeries([r.loc["R0740", "geometry"]], crs=layers["roads"].crs).to_crs(32649).length.iloc[0] / 1000
    assert km == pytest.approx(metric, abs=0.01)
    county = shapely.box(*v.to_crs(4326).total_bounds).buffer(0.05)
    assert all(county.contains(e.geometry.centroid) for e in idx)


# --------------------------------------------------------------------------- map pieces


def test_local_tiles_one_name_everywhere():
    assert base._TILES["local"][0] == LOCAL_TILE_URL == "/app/static/" + LOCAL_TILE_FOLDER.removeprefix("static/")
    assert LOCAL_TILE_FOLDER in t("sidebar.tile_folder_hint", "zh") and LOCAL_TILE_FOLDER in t("sidebar.tile_folder_hint", "en")
    assert LOCAL_TILE_FOLDER in (ROOT / "README.md").read_text(encoding="utf-8")
    html = base.map_html(base.offline_map((112.0, 22.0, 113.0, 23.0), basemap="local"))
    assert json.dumps(LOCAL_TILE_URL)[1:-1] in html


def test_every_map_has_the_metric_scale_and_plain_prefix():
    html = base.map_html(base.offline_map((112.0, 22.0, 113.0, 23.0)))
    assert html.count("L.control.scale(") == 1 and "imperial: false" in html
    assert 'setPrefix("Leaflet")' in html and "preventScroll: true" in html


def test_focus_layer_pads_a_point_and_fits():
    group = base.focus_layer(shapely.Point(112.5, 22.5))
    (focus,) = group._children.values()
    (s, w), (n, e) = json.loads(focus.bounds_json)
    assert n - s == pytest.approx(base.FOCUS_MIN_SPAN) and e - w == pytest.approx(base.FOCUS_MIN_SPAN)
    assert focus.fit and not base.focus_layer(shapely.Point(1, 2), fit=False)._children.popitem()[1].fit


# --------------------------------------------------------------------------- the overview page


@pytest.fixture
def fixture_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """A small workspace; every call of st_folium recorded (its focus group) instead of drawn."""
    folder = tmp_path / "ws"
    Overview.workspace(folder)
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    calls: list[dict] = []

    def fake_st_folium(m, **kw):
        calls.append(kw)
        return {}

    monkeypatch.setattr("bangfu.ui.widgets.st_folium", fake_st_folium)
    return calls


def _focus(calls: list[dict]) -> tuple[list, bool] | None:
    group = calls[-1]["feature_group_to_add"]
    if group is None:
        return None
    (focus,) = group._children.values()
    return json.loads(focus.bounds_json), focus.fit


def _villages(at: AppTest) -> gpd.GeoDataFrame:
    from bangfu.workspace import store

    return gpd.read_file(Path(os.environ["BANGFU_WORKSPACE"]) / store.WORKSPACE_FILE, layer="villages").to_crs(4326)


def _covers(bounds: list, rows: gpd.GeoDataFrame) -> bool:
    """The focus's [[s, w], [n, e]] are the rows' bounds (padded to at least FOCUS_MIN_SPAN)."""
    (s, w), (n, e) = bounds
    minx, miny, maxx, maxy = rows.total_bounds
    return len(rows) > 0 and w <= minx + 1e-4 and s <= miny + 1e-4 and e >= maxx - 1e-4 and n >= maxy - 1e-4 and \
        (e - w) <= max(maxx - minx, base.FOCUS_MIN_SPAN) + 1e-4


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_search_box_zooms_to_and_profiles_a_village(fixture_ws):
    at = _run(AppTest.from_file(PAGE, default_timeout=60))
    assert _focus(fixture_ws) is None
    at.text_input(key="ov_search_q").input("赤水0").run()
    assert not at.exception
    results = at.selectbox(key="ov_search_hit")
    assert results.options and "赤水0村" in results.options[0]
    assert any("赤水0村" in md.value for md in at.markdown)  # the profile of the found village
    bounds, fit = _focus(fixture_ws)  # type: ignore[misc]
    assert fit and _covers(bounds, _villages(at).query("village_name == '赤水0村'"))
    at.text_input(key="ov_search_q").input("不存在的村").run()
    assert any("不存在的村" in c.value for c in at.caption)


def test_ticked_table_row_zooms_to_its_town(fixture_ws):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["ov_table"] = {"selection": {"rows": [1], "columns": []}}
    _run(at)
    table = at.dataframe[-1].value
    assert table["镇街"].tolist()[1] == "金鸡镇"
    bounds, fit = _focus(fixture_ws)  # type: ignore[misc]
    assert fit and _covers(bounds, _villages(at).query("town_name == '金鸡镇'"))


# --------------------------------------------------------------------------- the roads page


@pytest.fixture
def roads_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    from factories import Network

    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    Network.workspace(folder)
    calls: list[dict] = []
    monkeypatch.setattr("bangfu.ui.widgets.st_folium", lambda m, **kw: calls.append(kw) or {})
    return calls


ROADS_PAGE = str(ROOT / "pages" / "roads.py")


def test_road_editor_labels_and_a_road_clicked_on_the_map(roads_ws):
    at = AppTest.from_file(ROADS_PAGE, default_timeout=60)
    at.session_state["roads_map"] = {"last_active_drawing": {"properties": {"road_id": "R3", "name": "R3路"}}}
    _run(at)
    editor = at.selectbox(key="roads.edit_road")
    assert editor.value == "R3"  # the road clicked on the map opens in the editor
    label = editor.options[editor.index]
    assert label.startswith("R3路 · A村 · ") and "km" in label and label.endswith("R3")
    assert any(s in label for s in ("已硬化", "在建", "未硬化", "计划硬化"))
    assert len(set(editor.options)) == len(editor.options)
    bounds, fit = _focus(roads_ws)  # type: ignore[misc]
    assert not fit  # a click highlights, it does not zoom
    editor.select_index(0).run()  # the list still works after a pick
    assert at.selectbox(key="roads.edit_road").value == editor.options[0].rsplit(" · ", 1)[1]


def test_road_found_by_id_is_zoomed_to_and_opened(roads_ws):
    at = _run(AppTest.from_file(ROADS_PAGE, default_timeout=60))
    at.text_input(key="roads_search_q").input("R2").run()
    assert not at.exception
    assert at.selectbox(key="roads.edit_road").value == "R2"
    bounds, fit = _focus(roads_ws)  # type: ignore[misc]
    assert fit


# --------------------------------------------------------------------------- the pairings page


@pytest.fixture
def pairing_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    from factories import Pairing

    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    Pairing.workspace(folder)
    calls: list[tuple] = []
    monkeypatch.setattr("bangfu.ui.widgets.st_folium", lambda m, **kw: calls.append((m, kw)) or {})
    return calls


PAIRINGS_PAGE = str(ROOT / "pages" / "pairings.py")


def _line_ends(m) -> list[tuple[str, str]]:
    """(enterprise, village) names of the pairing lines the map draws."""
    name = t("pairings.map_lines", "zh")
    for child in m._children.values():
        if getattr(child, "layer_name", None) == name:
            return [(f["properties"]["enterprise_name"], f["properties"]["village_name"])
                    for f in child.data["features"]]
    return []


def test_county_pairing_map_draws_only_the_lines_asked_for(pairing_ws):
    from factories import Pairing

    v = Pairing.villages()
    at = _run(AppTest.from_file(PAIRINGS_PAGE, default_timeout=60))
    assert _line_ends(pairing_ws[-1][0]) == []  # no tangle at county level
    at.toggle(key="pairings_all_lines").set_value(True).run()
    everything = _line_ends(pairing_ws[-1][0])
    assert len(everything) == 3  # the active pairings on the as-of date: village 0 × E1, E2; village 3 × E1
    at.toggle(key="pairings_all_lines").set_value(False).run()
    at.text_input(key="pairings_search_q").input("开平农业公司").run()  # enterprise E1
    assert not at.exception
    ends = _line_ends(pairing_ws[-1][0])
    assert sorted(ends) == sorted(e for e in everything if e[0] == "开平农业公司") and len(ends) == 2
    village0 = str(v["village_name"].iloc[0])
    at.text_input(key="pairings_search_q").input(village0).run()
    assert {vn for _, vn in _line_ends(pairing_ws[-1][0])} == {village0}


def test_add_form_starts_from_the_unpaired_needy_and_follows_the_list(pairing_ws):
    from bangfu import indicators as ind
    from factories import Pairing
    from bangfu.workspace import store

    at = _run(AppTest.from_file(PAIRINGS_PAGE, default_timeout=60))
    villages = at.selectbox(key="pa_village")
    ws = Path(os.environ["BANGFU_WORKSPACE"]) / store.WORKSPACE_FILE
    table = ind.village_pairing_table(store.read_layer(ws, "villages"), store.read_layer(ws, "pairings"),
                                      store.read_layer(ws, "enterprises"), rule=ind.NeedyRule(),
                                      as_of=date.fromisoformat(str(Pairing.AS_OF)))  # the workspace as-of date
    gaps = [str(c) for c in ind.unpaired_needy(table)["village_code"]]
    assert gaps and villages.value == gaps[0]  # the form opens on the first unpaired needy village
    mark = t("pairings.unpaired_mark", "zh")
    assert [o.endswith(mark) for o in villages.options] == [True] * len(gaps) + [False] * (len(villages.options) - len(gaps))
    at.session_state["pairings_gaps_table"] = {"selection": {"rows": [len(gaps) - 1], "columns": []}}
    at.run()
    assert at.selectbox(key="pa_village").value == gaps[-1]  # a ticked unpaired village goes into the form
    (focus,) = pairing_ws[-1][1]["feature_group_to_add"]._children.values()
    assert focus.fit  # and the map zooms to it


# --------------------------------------------------------------------------- tourism and planning


def test_tourism_site_found_is_zoomed_to(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from factories import Pairing

    monkeypatch.setenv("BANGFU_WORKSPACE", str(tmp_path / "ws"))
    sites = Pairing.layers()["tourism_sites"]
    Pairing.workspace(tmp_path / "ws")
    calls: list[dict] = []
    monkeypatch.setattr("bangfu.ui.widgets.st_folium", lambda m, **kw: calls.append(kw) or {})
    at = _run(AppTest.from_file(str(ROOT / "pages" / "tourism.py"), default_timeout=60))
    at.text_input(key="tourism_search_q").input("自力村碉楼").run()
    assert not at.exception
    (s, w), (n, e) = json.loads(calls[-1]["feature_group_to_add"]._children.popitem()[1].bounds_json)
    site = sites.to_crs(4326).set_index("name").loc["自力村碉楼群", "geometry"]
    assert s < site.y < n and w < site.x < e


def test_planning_ranking_row_is_shown_on_the_map_tab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    import numpy as np

    from factories import planning_layers, workspace

    layers = planning_layers(np.random.default_rng(11), n_hh=300)
    workspace(tmp_path / "ws", **layers)
    monkeypatch.setenv("BANGFU_WORKSPACE", str(tmp_path / "ws"))
    calls: list[dict] = []
    monkeypatch.setattr("bangfu.ui.widgets.st_folium", lambda m, **kw: calls.append(kw) or {})
    at = AppTest.from_file(str(ROOT / "pages" / "planning.py"), default_timeout=120)
    _run(at)
    ranking = at.session_state["planning_result"].ranking
    at.session_state["planning_ranking"] = {"selection": {"rows": [2], "columns": []}}
    assert not calls  # the map tab is not open: no map is built
    at.session_state["planning.tab"] = t("planning.map", "zh")  # the user opens the map tab
    _run(at)
    project = layers["projects"].to_crs(4326).set_index("project_id").loc[ranking["project_id"].iloc[2], "geometry"]
    (s, w), (n, e) = json.loads(calls[-1]["feature_group_to_add"]._children.popitem()[1].bounds_json)
    c = project.centroid
    assert s < c.y < n and w < c.x < e


def test_road_labels_of_a_list_of_roads_equal_the_index_entries():
    """The roads page's editor labels its roads without the workspace's index: the same line as the index's road
    entries (name · village · status · length · id)."""
    from bangfu.workspace import store

    villages, roads = store.read_layer(DEMO_PATH, "villages"), store.read_layer(DEMO_PATH, "roads")
    some = roads.iloc[::7]
    want = {e.key: f"{e.name} · {e.detail} · {e.key}" for e in sr.build_index(villages, roads=some) if e.kind == "road"}
    assert len(want) == len(some)
    assert sr.road_labels(some, villages) == want


# --------------------------------------------------------------------------- initials: per segment = pypinyin's own


def _pypinyin_initials(text: str) -> str:
    """The oracle: pypinyin's ``lazy_pinyin`` of the whole text (its own segmentation and phrase readings)."""
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(text, style=Style.FIRST_LETTER, errors=lambda chars: chars)
    return sr.fold("".join(p for p in parts if p.isalnum()))


def test_initials_equal_pypinyin_on_every_official_name_of_liaoning():
    """Every village, town, county and city name of the shipped Liaoning table (16,727 villages) gets the same
    initials per segment as pypinyin gives for the whole name (polyphonic characters read in their words)."""
    from bangfu.demo.province import REGIONS, load_region_table

    table = load_region_table(REGIONS["liaoning"])
    names = sorted({str(v) for c in table.columns if c.endswith("_name") for v in table[c].dropna()})
    assert len(names) > 15_000
    wrong = [(n, sr.initials(n), _pypinyin_initials(n)) for n in names if sr.initials(n) != _pypinyin_initials(n)]
    assert not wrong, wrong[:10]
    assert sr.initials("长春") == _pypinyin_initials("长春") and sr.initials("重庆路") == _pypinyin_initials("重庆路")


_MIXED = st.text(alphabet=st.sampled_from(list("长重行乐单朝会石大家沟屯村镇街道区县市辽宁省沈阳高山水银行银川"
                                               "AbZz09 -·（）()#号组Ｇ１")), max_size=14)


@given(_MIXED)
@settings(max_examples=300, deadline=None)
def test_initials_equal_pypinyin_on_random_text(text: str):
    assert sr.initials(text) == _pypinyin_initials(text)
