"""AppTest of the 项目规划 page on a small valid workspace (and the demo when it is there)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bangfu.workspace import store, validate
from test_catchment import _layers

ROOT = Path(__file__).resolve().parents[1]


def small_layers(seed: int = 11) -> dict:
    villages, hh, projects, roads = _layers(np.random.default_rng(seed), n_hh=700)
    hh["is_key"] = False
    hh["has_labour"] = True
    roads = roads.assign(name=["路1", "路2"], village_code=villages["village_code"].iloc[0], road_class="村道",
                         progress_pct=[100.0, 0.0], version=1)
    return {"villages": villages, "households": hh, "projects": projects, "roads": roads}


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "ws"
    layers = small_layers()
    assert validate.validate_workspace(layers).ok, validate.validate_workspace(layers).summary_zh()
    store.write_workspace(folder / store.WORKSPACE_FILE, layers, meta={"source": "test"})
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    return folder


def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "planning.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_page_computes_ranking_portfolio_and_scenarios(ws: Path):
    at = _page()
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["入选项目"]) >= 1
    assert "R1" in at.session_state["planning_result"].coverage.projects["project_id"].iloc[at.session_state["planning_result"].exact.chosen].tolist()
    assert any("已证明最优" in s.value for s in at.success)
    ranking = at.dataframe[0].value
    assert "受益贫困户(户)" in ranking.columns and len(ranking) == 4
    # save A, change the budget, save B: both shown
    at.button(key="save_A").click().run()
    at.number_input(key="budget").set_value(1000.0)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    at.button(key="save_B").click().run()
    assert at.session_state["planning_scenario_A"] and at.session_state["planning_scenario_B"]
    assert float(at.session_state["planning_result"].options.budget) == 1000.0


def test_page_shows_chinese_errors(ws: Path):
    at = _page()
    at.number_input(key="budget").set_value(0.0)
    at.button[0].click().run()
    assert not at.exception
    assert at.error and "预算" in at.error[0].value
    for key in ("w_poor", "w_old", "w_key", "w_all"):
        at.number_input(key=key).set_value(0.0)
    at.number_input(key="budget").set_value(500.0)
    at.button[0].click().run()
    assert at.error and "权重" in at.error[0].value
    for key in ("w_poor", "w_all"):
        at.number_input(key=key).set_value(1.0)
    at.number_input(key="min_per_town").set_value(9)
    at.button[0].click().run()
    assert at.error and "公平性" in at.error[0].value


def test_page_without_household_points_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "ws2"
    layers = small_layers()
    layers.pop("households")
    store.write_workspace(folder / store.WORKSPACE_FILE, layers, meta={"source": "test"})
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    at = _page()
    assert any("村总户数" in w.value for w in at.warning)
