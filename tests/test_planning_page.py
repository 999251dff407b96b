"""AppTest of the 项目规划 page on a small valid workspace (and the demo when it is there)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from bangfu.core.labels import t

from bangfu.core.vocab import MISSING_LABEL
from bangfu.workspace.areas import AreaError
from bangfu.planning import run as planning_run
from bangfu.planning.project_types import PROJECT_TYPE_TABLE
from bangfu.workspace import validate
from factories import UTM, planning_layers, workspace

ROOT = Path(__file__).resolve().parents[1]


def small_layers(seed: int = 11) -> dict:
    return planning_layers(np.random.default_rng(seed), n_hh=700)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "ws"
    layers = small_layers()
    assert validate.validate_workspace(layers).ok, validate.validate_workspace(layers).summary_zh()
    workspace(folder, **layers)
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    return folder


def _open_tab(at: AppTest, label: str) -> None:
    """Open the page's tab ``label`` (as a click on it does: the tab's choice in session state, and a rerun)."""
    at.session_state["planning.tab"] = t(label, "zh")
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "planning.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_page_computes_ranking_portfolio_and_scenarios(ws: Path):
    at = _page()
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["入选项目"]) >= 1
    # the figures of the chosen projects, from the layers: cost, and households within each one's default reach
    res = at.session_state["planning_result"]
    layers = small_layers()
    chosen = layers["projects"].set_index("project_id").loc[res.coverage.projects["project_id"].iloc[res.exact.chosen]]
    assert metrics["入选项目"] == str(len(chosen)) and chosen["cost_wan"].sum() <= 500.0  # the default budget
    assert metrics["投资（万元）"] == f"{chosen['cost_wan'].sum():,.1f}"
    hh = layers["households"].to_crs(UTM).geometry
    reach = [hh.distance(g) <= PROJECT_TYPE_TABLE[k].distance_m for g, k in zip(chosen.to_crs(UTM).geometry, chosen["project_type"])]
    assert metrics["受益农户"] == f"{int(np.logical_or.reduce(reach).sum()):,}"
    assert "R1" in at.session_state["planning_result"].coverage.projects["project_id"].iloc[at.session_state["planning_result"].exact.chosen].tolist()
    ranking = at.dataframe[0].value
    assert not at.success  # the portfolio tab (its method figures) is built when it is opened
    _open_tab(at, "planning.portfolio")
    assert any("已证明最优" in s.value for s in at.success)
    assert any("投资最少（已证明）" in c.value for c in at.caption)  # the exact plan is the cheapest optimum
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
    workspace(folder, **layers)
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    at = _page()
    assert any("村总户数" in w.value for w in at.warning)


# --------------------------------------------------------------------------- the page's pure helpers


def test_candidate_labels_follow_status_and_town():
    layers = small_layers()
    projects, villages = layers["projects"], layers["villages"]
    labels = planning_run.candidate_labels(projects, villages)
    assert labels == {"W1": "W1 饮水<script>", "R1": "R1 道路", "B1": "B1 桥", "D1": "D1 灌溉"}  # C1 is completed
    town = {str(v): str(t) for v, t in zip(villages["village_code"], villages["town_code"])}
    for code in set(town.values()):
        got = planning_run.candidate_labels(projects, villages, code)
        assert set(got) == {i for i in labels if town[str(projects.set_index("project_id").loc[i, "village_code"])] == code}
    with pytest.raises(AreaError, match="999999999"):  # an unknown town is named, not silently empty
        planning_run.candidate_labels(projects, villages, "999999999")


def test_messages_say_when_the_cost_was_not_minimised():
    res = planning_run.run(small_layers(), planning_run.PlanOptions(budget=400))
    levels = dict((lvl, txt) for lvl, txt in planning_run.status_messages(res, "zh"))
    assert "已证明最优" in levels["success"] and "投资最少（已证明）" in levels["caption"]
    res.exact.status, res.exact.cost_status, res.exact.gap = "time_limit", "not_minimised", 0.0123
    msgs = planning_run.status_messages(res, "en")
    assert [lvl for lvl, _ in msgs] == ["warning", "warning"]
    assert "1.23%" in msgs[0][1] and "not minimised" in msgs[1][1]
    summary = planning_run.summary(res, "zh").set_index("指标")
    # a solution the solver did not prove is never headed "optimum": not in the table, the messages, the Excel file
    assert "精确最优（整数规划）" not in summary.columns
    assert "未压缩投资" in summary.loc["投资是否最省", "整数规划目前最好解（未证明最优）"]
    assert all("精确最优" not in text for _, text in planning_run.status_messages(res, "zh"))
    assert "最优组合" not in planning_run.excel_sheets(res, "zh") and "目前最好组合" in planning_run.excel_sheets(res, "zh")
    (level, text), = planning_run.plain_summary(res, "zh")
    assert level == "warning" and text.startswith("目前找到的最好方案") and "1.23%" in text
    assert [label for label, _ in planning_run.kpis(res, "zh")][:2] == ["入选项目", "投资（万元）"]


def test_notes_are_labelled():
    steps = pd.DataFrame({"project_id": ["A", "B", "C"], "note": ["", "must_in", "fairness"]})
    out = planning_run.labelled(steps, "zh")
    assert list(out.columns) == ["项目编号", "说明"]
    assert out["说明"].tolist()[0] == MISSING_LABEL and out["说明"].tolist()[1].startswith("必选") and "每镇" in out["说明"].tolist()[2]


def test_plain_words_say_what_best_means_and_show_households():
    res = planning_run.run(small_layers(), planning_run.PlanOptions(budget=400))
    ex = res.exact
    (level, best), = planning_run.plain_summary(res, "zh")  # greedy reaches no more households here: one sentence
    assert level == "info" and "加权得分最高" in best and "400 万元" in best
    assert f"{ex.totals['households']:,.0f} 户农户" in best and "贫困户 ×3" in best and "全部农户 ×1" in best
    for jargon in ("贪心", "整数规划", "已证明", "差距"):
        assert jargon not in best
    # when the quick pick reaches more households (as at 300 万元 on the demo), the page says what "best" means
    res.greedy.totals["households"] = ex.totals["households"] + 1329
    msgs = dict(planning_run.plain_summary(res, "zh"))
    assert "不是受益农户最多" in msgs["warning"] and "多 1,329 户" in msgs["warning"]
    assert "more households" not in msgs["warning"]
    en = dict(planning_run.plain_summary(res, "en"))
    assert "not the most households" in en["warning"] and "1,329 more" in en["warning"]
    # the method's names and figures stay available for the "how is this computed" expander
    assert [label for label, _ in planning_run.hidden_kpis(res, "zh")] == ["快速挑选法比最佳方案少的得分"]
    assert all("差距" not in label for label, _ in planning_run.kpis(res, "zh"))


def test_page_puts_methods_in_the_expander_and_scenarios_carry_settings(ws: Path):
    at = _page()
    _open_tab(at, "planning.portfolio")
    how = next(e for e in at.expander if e.label == "这是怎么算的")
    inside = " ".join(m.value for m in how.markdown)
    assert "整数规划" in inside and "贪心法" in inside
    assert any("已证明最优" in s.value for s in how.success)  # the solver's word, inside the expander
    outside = " ".join(x.value for x in [*at.info, *at.warning, *at.metric] if x not in how.success)
    assert "整数规划" not in outside and "贪心" not in outside
    at.button(key="save_A").click().run()
    settings = at.session_state["planning_scenario_A"]["settings"].set_index("设置")["取值"]
    assert settings["预算（万元）"] == "500" and "贫困户 ×3" in settings["评分权重"]
