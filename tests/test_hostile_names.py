"""Issue 12: names from data are never rendered as Markdown or HTML, and control characters in them crash nothing.

Every page runs (AppTest) on a demo workspace whose town, village, site, enterprise, project and road names hold a
Markdown image, a link, an ``<img>`` tag and control characters; no Markdown/HTML element of any page carries
them unescaped, and the Excel export and the briefing (PDF/Word) are built without error."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from streamlit.testing.v1 import AppTest

from bangfu import briefing
from bangfu.core.resources import DEMO_PATH
from bangfu.export import tables as exports
from bangfu.ui.feedback import html_text, md_text
from bangfu.ui.pages import PAGES
from factories import Briefing, loader
from hostile_names import CONTROL, MD_IMAGE, RAW, hostile_workspace

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN_ELEMENTS = ("markdown", "title", "caption", "subheader", "header", "info", "warning", "error", "success")
LABELLED = ("selectbox", "multiselect", "radio", "button", "checkbox", "text_input", "number_input", "metric",
            "expander", "tabs", "toggle", "slider", "date_input", "text_area")
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("hostile") / "ws"
    return hostile_workspace(folder, DEMO_PATH)


def _sources(at: AppTest) -> list[tuple[str, str]]:
    out = []
    for kind in MARKDOWN_ELEMENTS:
        out += [(kind, str(el.value)) for el in getattr(at, kind)]
    for kind in LABELLED:
        try:
            elements = getattr(at, kind)
        except (AttributeError, KeyError):
            continue
        out += [(f"{kind} label", str(getattr(el, "label", ""))) for el in elements]
    return out


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_names_from_data_are_escaped_on_every_page(spec, hostile: tuple[Path, str], monkeypatch: pytest.MonkeyPatch):
    ws, town = hostile
    monkeypatch.setenv("BANGFU_WORKSPACE", str(ws.parent))
    at = AppTest.from_file(str(ROOT / spec.path), default_timeout=300)
    at.query_params["town"] = town
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    sources = _sources(at)
    raw = [(k, s[:120]) for k, s in sources if any(r in s for r in RAW)]
    assert not raw, raw
    assert not [(k, s[:80]) for k, s in sources if CONTROL_RE.search(s)]
    if spec.area:  # an area page's title names the chosen town, escaped
        assert any(md_text(MD_IMAGE) in s for k, s in sources if k == "title"), [s for k, s in sources if k == "title"]


def test_html_text_keeps_names_inside_their_html_block():
    out = html_text("赤水镇\n\n![x](http://evil.example/a.png)\r\n<img src=x>\t\"q\"")
    assert "\n" not in out and "\r" not in out and "<" not in out and '"' not in out
    assert out == "赤水镇 ![x](http://evil.example/a.png) &lt;img src=x&gt; &quot;q&quot;"


def test_presentation_mode_html_carries_names_escaped_in_one_block(hostile: tuple[Path, str],
                                                                   monkeypatch: pytest.MonkeyPatch):
    ws, town = hostile
    monkeypatch.setenv("BANGFU_WORKSPACE", str(ws.parent))
    at = AppTest.from_file(str(ROOT / "pages/briefing.py"), default_timeout=300)
    at.query_params["town"] = town
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    html_blocks = [str(m.value) for m in at.markdown if "bangfu-present" in str(m.value) or "bangfu-kpi" in str(m.value)]
    assert len(html_blocks) >= 2, "the presentation title and KPI cards are drawn"
    for block in html_blocks:
        assert "\n\n" not in block and "<img" not in block and not CONTROL_RE.search(block), block[:200]
    assert any(html_text(MD_IMAGE) in b for b in html_blocks if "bangfu-present-title" in b)


def test_md_text_leaves_no_markdown_or_html():
    for text in (MD_IMAGE, "<img src=x onerror=alert(1)>", "**b** _i_ `c` [l](u) $x$ # h", CONTROL):
        out = md_text(text)
        assert "](" not in out and "<" not in out.replace("&lt;", "")
        assert "![" not in out


def test_excel_export_strips_control_characters():
    df = pd.DataFrame({"名称" + CONTROL: [CONTROL, "=1+1", MD_IMAGE]})
    data = exports.to_xlsx_bytes({MD_IMAGE + CONTROL: df, "x": df})
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None)
    assert len(sheets) == 2
    back = next(iter(sheets.values()))
    assert back.iloc[0, 0] == "坑口[31m村" and back.iloc[1, 0] == "'=1+1" and back.iloc[2, 0] == MD_IMAGE
    assert not CONTROL_RE.search(back.columns[0])


def test_briefing_with_control_characters_in_names_builds():
    layers = Briefing.layers()
    v = layers["villages"].copy()
    v["town_name"] = v["town_name"].astype(object).map(lambda n: n + CONTROL)
    v.loc[v.index[0], "village_name"] = CONTROL + MD_IMAGE
    layers["villages"] = v
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = briefing.build_briefing(loader(layers), meta=Briefing.META, town_code=Briefing.CHISHUI)
    assert b.pdf[:4] == b"%PDF" and b.docx[:2] == b"PK"
    text = "\n".join(p.text for p in Document(io.BytesIO(b.docx)).paragraphs)
    assert "坑口[31m村" in text and not CONTROL_RE.search(text)
    assert not CONTROL_RE.search(b.file_stem()) and "/" not in b.file_stem()
