"""AppTest of the 帮助 page: every page answered, every indicator defined with its source, a glossary, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu.core.labels import t
from bangfu.core.vocab import VILLAGE_FLAG
from bangfu.indicators.classify import CHOROPLETH_INDICATORS
from bangfu.ui.pages import PAGES
from bangfu.ui.panels import help as panel

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_help_page_answers_defines_and_explains(demo_workspace: Path, monkeypatch: pytest.MonkeyPatch, lang: str):
    monkeypatch.setenv("BANGFU_WORKSPACE", str(demo_workspace.parent))
    at = AppTest.from_file(str(ROOT / "pages" / "help.py"), default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("page.help", lang)
    pages, indicators, glossary = (table.value for table in at.table)
    assert set(pages.index) == {t(p.label, lang) for p in PAGES}  # every page, the help page included
    assert all(len(str(v)) > 10 for v in pages.iloc[:, 0])
    names = set(indicators.index)
    assert {ind.title(lang) for ind in CHOROPLETH_INDICATORS} <= names  # the choropleth indicators by their own names
    assert len(names) == len(CHOROPLETH_INDICATORS) + len(panel.EXTRA_INDICATORS)
    text = " ".join(indicators.astype(str).stack()) + " " + " ".join(glossary.astype(str).stack())
    assert "SDG 9.1.1" in text and "RAI" in text  # the access share's source
    assert {VILLAGE_FLAG.label("old_district", lang), VILLAGE_FLAG.label("key_village", lang)} <= set(glossary.index)
    assert (t("help.term.registered", lang) in glossary.index)
    if lang == "zh":  # the Chinese page speaks Chinese (besides names such as HiGHS, RAI, SDG and file names)
        words = set(re.findall(r"[A-Za-z]{4,}", text)) - {"HiGHS", "GeoPackage"}
        assert not words, words
