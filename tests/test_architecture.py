"""Project rules that code review would otherwise have to remember."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = [ROOT / "app.py", ROOT / "pages", ROOT / "src" / "bangfu" / "ui"]


def _imports_streamlit(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] in {"streamlit", "streamlit_folium"} for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {"streamlit", "streamlit_folium"}:
            return True
    return False


def test_only_app_pages_and_ui_import_streamlit():
    offenders = []
    for path in list(ROOT.glob("src/**/*.py")) + list(ROOT.glob("bench/**/*.py")):
        if any(path == a or a in path.parents for a in ALLOWED):
            continue
        if _imports_streamlit(path):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"only app.py, pages/ and src/bangfu/ui/ may import streamlit: {offenders}"


def test_every_module_opens_with_a_docstring():
    missing = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "src" / "bangfu").rglob("*.py")
        if not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))
    ]
    assert not missing, missing


def test_no_cdn_urls_in_code():
    pattern = re.compile(r"https?://[^\"' ]*(cdn|unpkg|jsdelivr|cdnjs|googleapis|bootstrapcdn|code\.jquery)")
    hits = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("src/**/*.py")]
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not hits, hits


def test_every_registered_page_exists_and_has_a_label():
    from bangfu.labels import LABELS
    from bangfu.ui.pages import PAGES

    for page in PAGES:
        assert (ROOT / page.path).exists(), page.path
        assert page.label in LABELS


def test_labels_have_both_languages():
    from bangfu.labels import LABELS

    for key, (zh, en) in LABELS.items():
        assert zh and en, key
