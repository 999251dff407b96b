"""AppTest: app.py and every registered page run without exceptions on the demo workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu.workspace import store
from bangfu.ui.pages import PAGES

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120


@pytest.fixture
def demo_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    return folder


def _run(path: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_app_runs_and_shows_totals(demo_ws: Path):
    at = _run("app.py")
    assert (demo_ws / "workspace.gpkg").exists(), "the demo was not copied into the workspace folder"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["行政村（社区）"] == "270"
    assert any("示例数据" in c.value for c in at.caption), "the synthetic-data note is missing"


@pytest.mark.parametrize("page", [p.path for p in PAGES])
def test_every_page_runs(demo_ws: Path, page: str):
    _run(page)


def test_english_labels(demo_ws: Path):
    at = _run("app.py", lang="en")
    assert "Villages" in {m.label for m in at.metric}


def test_town_selection_from_url(demo_ws: Path):
    at = _run("app.py", town="440783116")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["行政村（社区）"] == "19"
    assert "赤水镇" in at.title[0].value


def test_corrupt_workspace_offers_restore(demo_ws: Path):
    demo_ws.mkdir(parents=True)
    (demo_ws / "workspace.gpkg").write_bytes(b"this is not a geopackage")
    at = _run("app.py")
    assert at.error and "工作空间" in at.error[0].value
    restore = [b for b in at.button if b.key == "restore_after_error"]
    assert restore
    restore[0].click().run()
    assert not at.exception
    assert store.open_workspace(demo_ws / "workspace.gpkg").meta.get("source") == "demo"


def test_invalid_workspace_is_not_opened(demo_ws: Path):
    ws = store.ensure_workspace(demo_ws)
    with store.transaction(ws) as con:
        con.execute("UPDATE villages SET poor_households = households + 5 WHERE fid = 1")
    at = _run("app.py")
    assert at.error and "未通过检查" in at.error[0].value
    assert not at.metric, "a workspace that fails validation must not be shown half-way"
