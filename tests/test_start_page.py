"""A new workspace step by step, as the app shows it: every page opens on an EMPTY and on a PARTIAL workspace and
says which layer to import (AppTest), the getting-started page at each stage of the import order, and planning
without households falling back to village totals."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu.core.labels import t
from bangfu.export import templates
from bangfu.ingest import pipeline
from bangfu.ui.pages import PAGES
from bangfu.workspace import schema, status, store
from bangfu.workspace.access import Principal
from factories import import_households, import_villages, projects, workspace

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120
ADMIN = Principal("tester", "admin", source="cli")

#: What each page must say on each stage (written out by hand: the oracle of PageSpec.needs): the layers it
#: asks for ("" = the page works and does not ask).
EXPECTED_MISSING: dict[str, dict[str, str]] = {
    "empty": {"overview": "行政村", "planning": "行政村、候选项目", "roads": "行政村、农村道路",
              "tourism": "行政村、乡村旅游点", "pairings": "行政村、帮扶企业", "briefing": "行政村",
              "start": "", "data": "", "audit": "", "help": ""},
    "villages": {"overview": "", "planning": "候选项目", "roads": "农村道路", "tourism": "乡村旅游点",
                 "pairings": "帮扶企业", "briefing": "", "start": "", "data": "", "audit": "", "help": ""},
    "villages+households": {"overview": "", "planning": "候选项目", "roads": "农村道路", "tourism": "乡村旅游点",
                            "pairings": "帮扶企业", "briefing": "", "start": "", "data": "", "audit": "", "help": ""},
}
#: The next import step the pages name on each stage.
NEXT = {"empty": "行政村", "villages": "农户", "villages+households": "农村道路"}


def stage_layers(stage: str) -> dict:
    layers = {n: store.empty_layer(n) for n, lay in schema.LAYERS.items() if not lay.optional}
    if stage != "empty":
        layers["villages"] = import_villages()
    if stage == "villages+households":
        layers["households"] = import_households()
    return layers


def _run(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(params=list(EXPECTED_MISSING))
def stage(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    workspace(folder, meta={"source": "new", "county_code": "440783"}, **stage_layers(request.param))
    return str(request.param)


def test_every_page_opens_on_an_empty_and_a_partial_workspace(stage: str):
    assert {p.url_path for p in PAGES} == set(EXPECTED_MISSING[stage]), "a new page needs its row here"
    for spec in PAGES:
        at = _run(spec.url_path)
        assert not at.error, (spec.url_path, [e.value for e in at.error])
        assert t(spec.label, "zh") in at.title[0].value, spec.url_path
        infos = [i.value for i in at.info]
        asked = [i for i in infos if i.startswith("本页需要先导入：")]
        want = EXPECTED_MISSING[stage][spec.url_path]
        if want:
            assert asked == [f"本页需要先导入：{want}。"], (spec.url_path, infos)
            assert any(c.value == "→ 去“开始使用”页" for c in at.caption), "a link to the getting-started page"
        else:
            assert not asked, (spec.url_path, infos)
        if spec.url_path in ("overview", "briefing") and not want:
            assert f"这个工作空间还没有导入完：下一步导入“{NEXT[stage]}”。" in infos, (spec.url_path, infos)


def test_briefing_presentation_mode_says_what_to_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    workspace(folder, meta={"source": "new"}, **stage_layers("empty"))
    at = _run("briefing", present="1")
    assert [i.value for i in at.info] == ["本页需要先导入：行政村。"]


def test_every_page_in_english_names_the_missing_layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    workspace(folder, meta={"source": "new"}, **stage_layers("villages"))
    at = _run("planning", lang="en")
    assert "This page needs data first: import Candidate projects." in [i.value for i in at.info]


def test_planning_without_households_falls_back_to_village_totals_and_says_so(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    layers = stage_layers("villages")
    villages = layers["villages"]
    points = villages.geometry.representative_point()
    layers["projects"] = projects([{"project_id": f"X{i}", "village_code": code, "xy": (p.x, p.y),
                                    "project_type": "drinking_water", "cost_wan": 50.0}
                                   for i, (code, p) in enumerate(zip(villages["village_code"], points))])
    workspace(folder, meta={"source": "new"}, **layers)
    at = _run("planning")
    assert not at.error, [e.value for e in at.error]
    assert any(t("planning.fallback", "zh") in w.value.replace("\\", "") for w in at.warning), [w.value for w in at.warning]


def _start(folder: Path) -> AppTest:
    at = _run("start")
    assert at.title[0].value == "开始使用"
    return at


def _status_rows(at: AppTest) -> dict[str, tuple[str, int]]:
    frame = at.dataframe[0].value  # the page's only table
    return {r["图层"]: (r["状态"], int(str(r["行数"]).replace(",", ""))) for _, r in frame.iterrows()}


def test_getting_started_page_at_each_stage_of_the_import_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Import every layer's template, in order, through the pipeline; after each import the page shows the
    layer imported with its rows, names the next layer with a link to the data page, and offers every template."""
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    ws = workspace(folder, meta={"source": "new", "county_code": "440783"}, **stage_layers("empty"))
    order = list(status.IMPORT_ORDER)
    for done in range(len(order) + 1):
        at = _start(folder)
        rows = _status_rows(at)
        assert list(rows) == [schema.get_layer(n).zh for n in order]
        for i, name in enumerate(order):
            expected = ("已导入", 1) if i < done else ("未导入", 0)
            assert rows[schema.get_layer(name).zh] == expected, (done, name, rows)
        if done < len(order):
            nxt = schema.get_layer(order[done]).zh
            assert [i.value for i in at.info][:1] == [f"下一步：导入“{nxt}”。"], [i.value for i in at.info]
            assert any(c.value == "→ 去“数据管理”页导入" for c in at.caption)
            assert not at.success
        else:
            assert [s.value for s in at.success] == ["所有图层都已导入。"]
            assert not [i.value for i in at.info if i.value.startswith("下一步")]
        downloads = [b for b in at.get("download_button")]
        assert len(downloads) == len(order), "one template per layer"
        if done == len(order):
            break
        layer = order[done]
        data = templates.template_xlsx(layer, store.read_layer(ws, "villages"))
        plan = pipeline.prepare_import(ws, "模板.xlsx", data, layer=layer)
        assert plan.ok, plan.summary_zh()
        pipeline.apply_import(ws, plan, user=ADMIN)


def test_data_page_preselects_the_layer_the_start_page_links_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    workspace(folder, meta={"source": "new"}, **stage_layers("villages"))
    at = _run("data", layer="households")
    assert next(s for s in at.selectbox if s.key == "data.layer").value == "households"
