"""AppTest of the overview page: each indicator, each method, a town from the URL, the village profile."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu import indicators as ind
from bangfu.core.labels import t
from bangfu.core.resources import DEMO_PATH
from factories import Overview

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "overview.py")


@pytest.fixture
def fixture_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small valid workspace (two towns, every overlay) in its own folder."""
    folder = tmp_path / "ws"
    Overview.workspace(folder)
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    return folder


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _page(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return _run(at)


def test_county_view(fixture_ws: Path):
    at = _page()
    m = {x.label: x.value for x in at.metric}
    assert m["行政村（社区）"] == "6" and m["总户数"] == "2,100" and m["贫困户"] == "210" and m["老区村"] == "2"
    assert m["道路硬化率"] == "60.0%" and m["结对覆盖率"] == "50.0%"
    assert at.subheader[-1].value == "各镇街汇总"
    table = at.dataframe[-1].value
    assert table["镇街"].tolist() == ["赤水镇", "金鸡镇"] and table["总户数"].sum() == 2100
    assert [b.label for b in at.get("download_button")] == ["下载 CSV", "下载 Excel"]
    assert any("点击地图上的村庄" in i.value for i in at.info)


def _legends(at: AppTest) -> list[str]:
    """The HTML of every legend box of the page's map, read from the script the map component received."""
    (component,) = at.get("component_instance")
    script = json.loads(component.proto.json_args)["script"]
    return [json.loads(m) for m in re.findall(r'div\.innerHTML = ("(?:[^"\\]|\\.)*");', script)]


def _class_legend(at: AppTest, spec: ind.ChoroplethIndicator) -> str:
    """The legend box whose title is the indicator's (the choropleth classes)."""
    boxes = [h for h in _legends(at) if f'<div class="lg-title">{t(spec.label, "zh")}' in h]
    assert len(boxes) == 1, _legends(at)
    return boxes[0]


def test_each_indicator_method_and_filter(fixture_ws: Path):
    at = _page()
    methods = [m.key for m in ind.CLASS_METHODS]
    for i, spec in enumerate(ind.CHOROPLETH_INDICATORS):
        method, flag = methods[i % len(methods)], ind.FLAG_FILTERS[i % len(ind.FLAG_FILTERS)]
        at.selectbox(key="ov_indicator").set_value(spec.key)
        at.selectbox(key="ov_method").set_value(method)
        at.slider(key="ov_k").set_value(3 + i)
        at.selectbox(key="ov_filter").set_value(flag)
        _run(at)
        assert at.metric[0].value == "6"
        # the map drew what was chosen: the indicator's classes by the chosen method, greyed villages if filtered
        legend = _class_legend(at, spec)
        assert t(ind.class_method(method).label, "zh") in legend
        others = [o for o in ind.CHOROPLETH_INDICATORS if o.key != spec.key]
        assert not any(f'<div class="lg-title">{t(o.label, "zh")}' in h for o in others for h in _legends(at))
        assert (t("legend.filtered_out", "zh") in "".join(_legends(at))) == (flag != "all"), flag


def test_town_from_url_restricts_totals_and_table(fixture_ws: Path):
    at = _page(town="440783117")
    assert "金鸡镇" in at.title[0].value
    m = {x.label: x.value for x in at.metric}
    assert m["行政村（社区）"] == "3" and m["总户数"] == "1,500"
    table = at.dataframe[-1].value
    assert len(table) == 3 and set(table["村代码"].str[:9]) == {"440783117"}
    assert at.query_params["town"] in ("440783117", ["440783117"])


def test_clicked_village_shows_profile(fixture_ws: Path):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["ov_village"] = "440783116200"
    _run(at)
    assert any("赤水0村" in md.value for md in at.markdown)
    frames = [d.value for d in at.dataframe]
    assert any("硬化状态" in f.columns for f in frames)
    assert any("项目名称" in f.columns and set(f["项目名称"]) == {"饮水工程", "村道硬化"} for f in frames)


def test_english(fixture_ws: Path):
    at = _page(lang="en")
    assert "Villages" in {x.label for x in at.metric}
    m = {x.label: x.value for x in at.metric}
    assert (m["Villages"], m["Households"], m["Poor households"], m["Road hardening rate"]) == ("6", "2,100", "210", "60.0%")
    assert at.title[0].value == "Overview map" and at.dataframe[-1].value["Households"].sum() == 2100


def test_demo_each_indicator_county_and_town(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The shipped Kaiping demo: every indicator, for the county and for 赤水镇."""
    if not DEMO_PATH.exists():
        pytest.fail("geodata/kaiping_demo.gpkg is missing: run `python -m bangfu.demo build`")
    monkeypatch.setenv("BANGFU_WORKSPACE", str(tmp_path / "demo"))
    at = _page()
    assert at.metric[0].value == "270"
    for spec in ind.CHOROPLETH_INDICATORS:
        at.selectbox(key="ov_indicator").set_value(spec.key)
        _run(at)
        _class_legend(at, spec)  # the map shows this indicator's classes
    at = _page(town="440783116")
    assert at.metric[0].value == "19" and len(at.dataframe[-1].value) == 19
    at.selectbox(key="ov_indicator").set_value("incidence")
    _run(at)
    _class_legend(at, ind.choropleth_indicator("incidence"))


def test_one_county_keeps_its_village_map_and_its_towns_drill_down(fixture_ws: Path):
    """A one-county workspace opens on its village map as before; its towns are one choice away, and a town asked
    for by a click on that map (request_area) becomes the sidebar's town (``?town=``)."""
    at = _page()
    unit = next(s for s in at.selectbox if s.label == "地图单位")
    assert unit.value == "village" and list(unit.options) == ["镇街", "村"]
    unit.set_value("town")
    _run(at)
    assert "点击一个地区即进入该地区" in " ".join(c.value for c in at.caption)
    town = str(at.selectbox(key="town").options[1])  # the first town's label
    code = next(c for c, name in zip(*_towns(fixture_ws)) if name in town)
    at.session_state["_area_requested"] = code
    _run(at)
    assert at.selectbox(key="town").value == code and at.query_params["town"] in (code, [code])
    assert next(s for s in at.selectbox if s.label == "地图单位").value == "village"


def _towns(folder: Path) -> tuple[list[str], list[str]]:
    from bangfu.workspace import store

    v = store.read_layer(folder / store.WORKSPACE_FILE, "villages")
    towns = v[["town_code", "town_name"]].drop_duplicates()
    return list(towns["town_code"].astype(str)), list(towns["town_name"].astype(str))
