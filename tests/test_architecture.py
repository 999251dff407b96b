"""Project rules that code review would otherwise have to remember."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

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
    from bangfu.core.labels import LABELS
    from bangfu.ui.pages import PAGES

    for page in PAGES:
        assert (ROOT / page.path).exists(), page.path
        assert page.label in LABELS


def test_labels_have_both_languages():
    from bangfu.core.labels import LABELS

    for key, (zh, en) in LABELS.items():
        assert zh and en, key


#: The package's layers, lowest first. A module may import its own package and packages of a lower
#: rank only: core ← geo ← workspace ← ingest ← export ← editing/indicators/planning ← maps/briefing/demo
#: ← cli/ui ← pages. Packages of the same rank do not import each other.
RANKS: dict[str, int] = {
    "core": 0,
    "geo": 1,
    "workspace": 2,
    "ingest": 3,
    "export": 4,
    "editing": 5, "indicators": 5, "planning": 5,
    "maps": 6, "briefing": 6, "demo": 6,
    "cli": 7, "ui": 7,
}
PACKAGE = ROOT / "src" / "bangfu"


def _bangfu_imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported bangfu module) of every import in a file, relative ones resolved."""
    rel = path.relative_to(ROOT / "src").with_suffix("").parts
    here = list(rel[:-1]) if rel[-1] != "__init__" else list(rel[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod == "bangfu":
                out += [(node.lineno, f"bangfu.{a.name}") for a in node.names]
            elif mod.startswith("bangfu."):
                out.append((node.lineno, mod))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("bangfu")]
    return out


def _package_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def test_every_subpackage_has_a_rank():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(RANKS), f"give every subpackage a rank: {packages ^ set(RANKS)}"
    loose = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py"}
    assert not loose, f"modules belong in a subpackage that names their layer: {loose}"


def test_dependencies_point_one_way():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        if len(parts) == 1:
            continue  # bangfu/__init__.py, __main__.py
        own = parts[0]
        for line, module in _bangfu_imports(path):
            target = _package_of(module)
            if target in ("", own) or target not in RANKS:
                continue
            if RANKS[target] >= RANKS[own]:
                offenders.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {module} ({target})")
    assert not offenders, "imports against the layer order:\n" + "\n".join(offenders)


# --------------------------------------------------------------------------- pages are widgets and rendering
#: A page (pages/*.py) and app.py read widgets, call bangfu.ui and render. The rules below are what a
#: reviewer would otherwise check by eye; docs/architecture.md ("Pages") explains them.
PAGE_FILES = sorted((ROOT / "pages").glob("*.py"))
PAGE_MAX_LINES = 120
#: What a page may import: streamlit and the ui package (shell, widgets, feedback, its panels module).
#: Everything else — indicators, maps, planning, pandas, altair, folium — is reached through a panel.
PAGE_IMPORTS = ("streamlit", "bangfu.ui")
#: Table surgery belongs in a panel or a pure function, not in a page.
FRAME_METHODS = frozenset({
    "merge", "join", "concat", "groupby", "pivot", "pivot_table", "melt", "set_index", "reset_index", "rename",
    "drop", "assign", "loc", "iloc", "fillna", "dropna", "sort_values", "isin", "apply", "map", "agg", "round",
    "query", "astype", "itertuples", "iterrows",
})
#: Session bookkeeping (what to remember between runs) belongs in a panel.
SESSION = frozenset({"session_state", "query_params"})


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", PAGE_FILES + [ROOT / "app.py"], ids=lambda p: p.name)
def test_pages_are_short(path: Path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= PAGE_MAX_LINES, f"{path.name} has {n} lines; move logic into its panels module"


@pytest.mark.parametrize("path", PAGE_FILES + [ROOT / "app.py"], ids=lambda p: p.name)
def test_pages_import_only_streamlit_and_the_ui(path: Path):
    modules = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            modules += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules.append(node.module or "")
    bad = [m for m in modules if not any(m == ok or m.startswith(ok + ".") for ok in PAGE_IMPORTS)]
    assert not bad, f"{path.name} imports {bad}; a page imports streamlit and bangfu.ui.* only"


@pytest.mark.parametrize("path", PAGE_FILES + [ROOT / "app.py"], ids=lambda p: p.name)
def test_pages_hold_no_logic(path: Path):
    """No loops or comprehensions (a list is rendered by a panel), no lambdas (format functions live with
    their widget in the panel), no table surgery, no session bookkeeping."""
    found = []
    for node in ast.walk(_tree(path)):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, (ast.For, ast.While, ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp)):
            found.append(f"{where} {type(node).__name__}")
        elif isinstance(node, ast.Lambda):
            found.append(f"{where} lambda")
        elif isinstance(node, ast.Attribute) and node.attr in FRAME_METHODS:
            found.append(f"{where} .{node.attr}")
        elif isinstance(node, ast.Attribute) and node.attr in SESSION:
            found.append(f"{where} st.{node.attr}")
    assert not found, f"move into the page's panels module: {found}"


def test_every_page_has_its_panels_module():
    """One panels module per page, named after it, and the page uses it; no panels module without a page."""
    from bangfu.ui.pages import PAGES

    registered = {Path(p.path).stem for p in PAGES}
    files = {p.stem for p in PAGE_FILES}
    assert registered == files, f"pages/ and bangfu.ui.pages.PAGES differ: {registered ^ files}"
    panels = {p.stem for p in (PACKAGE / "ui" / "panels").glob("*.py")} - {"__init__"}
    assert panels == files, f"one panels module per page: {panels ^ files}"
    for path in PAGE_FILES:
        imported = {(n.module, a.name) for n in ast.walk(_tree(path)) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert ("bangfu.ui.panels", path.stem) in imported, f"{path.name} does not use bangfu.ui.panels.{path.stem}"


@pytest.mark.parametrize("tool", ["bench", "pages"])
def test_pages_and_benchmarks_do_not_reach_below_the_public_api(tool: str):
    """Pages use bangfu.ui and the analysis packages; nothing imports a private name across packages."""
    offenders = []
    for path in (ROOT / tool).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bangfu"):
                offenders += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert not offenders, offenders
