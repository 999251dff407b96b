"""AppTest of the road hardening page: figures, an edit through the form, a stale form, undo; the map HTML."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu.editing import roads
from bangfu.workspace import store
from bangfu.maps.roads import road_map
from bangfu.maps.base import map_html
from factories import Network, as_user

from bangfu.editing.engine import editor_name
from bangfu.ui import auth

ROOT = Path(__file__).resolve().parents[1]
SUBMIT = "FormSubmitter:roads.edit_form-保存修改"


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    return Network.workspace(folder)


def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "roads.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_page_shows_hand_computed_figures(ws: Path):
    at = _page()
    m = _metrics(at)
    assert m["道路总里程(km)"] == "4.1" and m["已硬化(km)"] == "1.3" and m["道路硬化率"] == "31.7%"
    assert m["未通硬化路的村"] == "1"
    at.number_input(key="roads.distance").set_value(0.5).run()
    m = _metrics(at)
    # within 500 m of R1/R5: H0 (100 m), H3 (150 m); H1 is 602 m away, H2 300 m → 3 of 5; poor: H0, H2 of 3
    assert m["农户通达率"] == "60.0%" and m["贫困户通达率"] == "66.7%"


def test_edit_through_the_form_updates_figures_and_history(ws: Path):
    at = _page()
    assert not any(w.key == "roads.editor" for w in at.text_input)  # no free-text editor
    at.selectbox(key="roads.edit_road").set_value("R2").run()
    at.selectbox(key="roads.e_status.R2.1").set_value("completed")
    at.number_input(key="roads.e_progress.R2.1").set_value(100.0)
    at.number_input(key="roads.e_completed.R2.1").set_value(2020)
    at.button(key=SUBMIT).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("已保存 R2" in s.value for s in at.success)
    row = roads.road_row(ws, "R2")
    assert (row["status"], row["progress_pct"], row["completed_year"], row["version"]) == ("completed", 100.0, 2020, 2)
    h = roads.road_history(ws, "R2")
    assert len(h) == 3 and set(h["editor"]) == {editor_name(auth.current_user("zh", ws.parent))}
    m = _metrics(at)
    assert m["已硬化(km)"] == "1.9" and m["道路硬化率"] == "46.3%"  # the map and charts read the same new version
    at.button(key="roads.undo").click().run()
    assert any("已撤销 R2" in s.value for s in at.success)
    row = roads.road_row(ws, "R2")
    assert (row["status"], row["progress_pct"], row["completed_year"], row["version"]) == ("under_construction", 40.0, None, 3)
    assert _metrics(at)["已硬化(km)"] == "1.3"


def test_invalid_form_is_refused_with_the_rule(ws: Path):
    at = _page()
    at.selectbox(key="roads.edit_road").set_value("R2").run()
    at.selectbox(key="roads.e_status.R2.1").set_value("completed")
    before = hashlib.sha256(ws.read_bytes()).hexdigest()
    at.button(key=SUBMIT).click().run()
    assert any("进度必须为 100%" in e.value for e in at.error)
    assert hashlib.sha256(ws.read_bytes()).hexdigest() == before


def test_stale_form_shows_the_newer_values(ws: Path):
    at = _page()
    at.selectbox(key="roads.edit_road").set_value("R2").run()
    roads.edit_road(ws, "R2", {"progress_pct": 75}, expected_version=1, user=as_user("另一位规划员"))  # someone else
    at.number_input(key="roads.e_progress.R2.1").set_value(50.0)
    at.button(key=SUBMIT).click().run()
    errors = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]  # as displayed (Markdown escapes removed)
    assert any("已被他人修改" in e and "进度(%)=75.0" in e for e in errors), errors
    assert roads.road_row(ws, "R2")["progress_pct"] == 75.0
    at.button(key="roads.reload").click().run()
    assert at.number_input(key="roads.e_progress.R2.2").value == 75.0


def test_road_map_has_legend_and_escapes_names():
    r = Network.roads()
    r.loc[0, "name"] = "<script>alert(1)</script>"
    html = map_html(road_map(r.to_crs("EPSG:4326"), Network.villages().to_crs("EPSG:4326")))
    assert "<script>alert(1)" not in html and ("&lt;script&gt;" in html or "\\u0026lt;script" in html)
    for label in ("已硬化", "在建", "计划", "未硬化", "道路硬化状态"):
        assert label in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert store.get_layer("roads").key == "road_id"
