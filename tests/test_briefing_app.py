"""AppTest of the 领导简报 page on a small hand-built workspace: figures, downloads, town, presentation mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu import indicators as ind
from factories import Briefing

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    Briefing.workspace(folder)
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    return folder


def _run(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "briefing.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_page_shows_kpis_and_downloads(small_ws: Path):
    at = _run()
    metrics = {m.label: m.value for m in at.metric}
    tot = ind.totals(ind.village_metrics(Briefing.layers()["villages"]))
    assert metrics["行政村（社区）"] == ind.fmt_int(tot.villages)
    assert metrics["贫困户"] == ind.fmt_int(tot.poor_households)
    assert metrics["道路通达率"] == "—"  # not built yet: shown as missing, not an error
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == ["下载 PDF", "下载 Word", "下载地图 PNG"]
    assert at.title[0].value == "领导简报"
    assert not at.error


def test_town_briefing_from_url(small_ws: Path):
    at = _run(town=Briefing.CHISHUI)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["行政村（社区）"] == "4"
    assert metrics["老区村"] == "2"
    assert "赤水镇" in at.title[0].value


def test_presentation_mode_hides_controls(small_ws: Path):
    at = _run(present="1")
    assert not at.metric and not at.main.button and not at.get("download_button")
    html = "\n".join(m.value for m in at.markdown)
    assert 'data-testid="stSidebar"' in html and "display: none" in html  # sidebar hidden
    assert "bangfu-kpi" in html and "3,150" in html
    assert at.get("image"), "the map is shown"
    at.toggle(key="briefing_present").set_value(False).run()
    assert not at.exception and at.metric


def test_page_names_the_plan_it_briefs(small_ws: Path):
    """Without a planning run in the session the briefing says it shows the standalone ranking; with one, it names
    that portfolio with its budget and project count (the planning page keeps its run under RESULT_KEY)."""
    from bangfu.planning import run as planning_run
    from bangfu.ui.panels.planning import RESULT_KEY

    at = _run()
    assert any("单项目排名" in i.value and "不是预算内组合" in i.value for i in at.info)
    res = planning_run.run(Briefing.layers(), planning_run.PlanOptions(budget=300))
    at = AppTest.from_file(str(ROOT / "pages" / "briefing.py"), default_timeout=120)
    at.session_state[RESULT_KEY] = res
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    note = next(i.value for i in at.info if "当前的方案" in i.value)
    assert "预算 300 万元" in note and f"{len(res.exact.chosen)} 个项目" in note


def test_pdf_and_word_are_written_when_asked_for(small_ws: Path):
    """The page shows the preview without writing the PDF, the Word file or the map PNG (embedding the font subset
    alone takes seconds at every level); they are written on the first download and kept: a one-page PDF of the same page (its text
    holds the title and the key figures the page shows) and a Word file of the same content."""
    import io

    import pypdf
    from docx import Document

    at = _run()
    b = at.session_state["_bangfu_session_cache"]["briefing"][1]
    assert not {"pdf", "docx", "map_png"} & set(vars(b))  # nothing written yet
    assert b.preview_png.startswith(b"\x89PNG")
    reader = pypdf.PdfReader(io.BytesIO(b.pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text().replace(" ", "")
    assert b.content.title.replace(" ", "") in text
    for m in at.metric[:5]:
        assert m.value.replace(" ", "") in text, m.label
    assert b.pdf is b.pdf  # written once
    words = "\n".join(p.text for p in Document(io.BytesIO(b.docx)).paragraphs)
    assert b.content.title in words
    assert b.map_png.startswith(b"\x89PNG")
