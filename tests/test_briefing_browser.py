"""Headless Chromium: the briefing's presentation mode hides the sidebar, shows big KPI cards and the map, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.briefing.content import SECTIONS
from browser_util import ARTIFACTS, browser_page, running_app, settle
from factories import Briefing

pytestmark = pytest.mark.browser


def test_presentation_mode(tmp_path: Path):
    ws = tmp_path / "ws"
    ws.mkdir()
    Briefing.workspace(ws)
    with running_app(ws) as base, browser_page(width=1600, height=1000) as (page, log, dialogs):
        page.goto(base + "/briefing?present=1&town=" + Briefing.CHISHUI, wait_until="domcontentloaded")
        page.wait_for_selector(".bangfu-kpi", timeout=90000)
        page.wait_for_selector("[data-testid='stImage'] img", timeout=90000)
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "briefing_presentation.png"))
        # one card per KPI section of the briefing (bangfu.briefing.content.SECTIONS)
        assert page.locator(".bangfu-kpi").count() == sum(s.kind == "kpi" for s in SECTIONS) >= 10
        assert "1,450" in page.locator(".bangfu-kpis").inner_text()
        sidebar = page.locator("section[data-testid='stSidebar']")
        assert sidebar.count() == 0 or not sidebar.first.is_visible()
        value_size = page.locator(".bangfu-kpi .v").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert value_size >= 36, value_size  # large type
        editing = ", ".join(f"[data-testid='{t}']" for t in (
            "stDownloadButton", "stButton", "stTextInput", "stNumberInput", "stSelectbox", "stDataEditor", "stFileUploader"))
        controls = page.locator(f"[data-testid='stMain'] :is({editing})")
        assert not any(controls.nth(i).is_visible() for i in range(controls.count()))  # only the mode toggle remains
        assert not log.foreign, log.foreign[:5]
        assert not dialogs


def test_pdf_and_word_download_when_clicked(tmp_path: Path):
    """The PDF, the Word file and the map PNG are written when their button is clicked (not with the page): a click
    downloads a one-page PDF, a Word file and the map of the town's briefing, offline."""
    import io

    import pypdf
    from docx import Document

    from bangfu.core.labels import t

    ws = tmp_path / "ws"
    ws.mkdir()
    Briefing.workspace(ws)
    with running_app(ws) as base, browser_page() as (page, log, dialogs):
        page.goto(base + "/briefing?town=" + Briefing.CHISHUI, wait_until="domcontentloaded")
        page.wait_for_selector("[data-testid='stImage'] img", timeout=90000)
        settle(page)
        with page.expect_download(timeout=90_000) as pdf:
            page.get_by_role("button", name=t("briefing.download_pdf", "zh")).click()
        assert pdf.value.suggested_filename.endswith(".pdf")
        reader = pypdf.PdfReader(io.BytesIO(Path(pdf.value.path()).read_bytes()))
        assert len(reader.pages) == 1 and "赤水镇" in reader.pages[0].extract_text()
        with page.expect_download(timeout=90_000) as word:
            page.get_by_role("button", name=t("briefing.download_docx", "zh")).click()
        doc = Document(io.BytesIO(Path(word.value.path()).read_bytes()))
        assert any("赤水镇" in p.text for p in doc.paragraphs)
        with page.expect_download(timeout=90_000) as png:
            page.get_by_role("button", name=t("briefing.download_png", "zh")).click()
        assert Path(png.value.path()).read_bytes().startswith(b"\x89PNG")
        assert not log.foreign, log.foreign[:5]
        assert not dialogs
