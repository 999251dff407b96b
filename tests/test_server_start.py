"""serve.py's start-up (bangfu.ui.server) without a browser: what it imports, and the first view it computes is the
one the page's untouched option row chooses (the browser tests run the server itself: test_browser_province.py,
test_browser_offline_start.py)."""

from __future__ import annotations

import pkgutil
from pathlib import Path

from bangfu.ui import panels, server

ROOT = Path(__file__).resolve().parents[1]


def test_import_pages_imports_every_panel_module():
    names = set(server.import_pages())
    expected = {f"bangfu.ui.panels.{m.name}" for m in pkgutil.iter_modules(panels.__path__)}
    assert expected and expected <= names
    assert {p.stem for p in (ROOT / "pages").glob("*.py")} <= {n.rsplit(".", 1)[-1] for n in expected}


def test_register_components_needs_a_runtime():
    assert server.register_components() == []  # no Streamlit runtime in this process: nothing to register with


def test_serve_py_wraps_app_py_with_the_lifespan():
    text = (ROOT / "serve.py").read_text(encoding="utf-8")
    assert 'st.App(Path(__file__).resolve().with_name("app.py"), lifespan=lifespan)' in text


def test_the_warmed_first_view_is_the_one_the_page_opens_with(tmp_path: Path, monkeypatch, province_gpkg: Path):
    """``default_choice`` (what the warm-up computes) equals the option row of the overview left untouched, on the
    small province (units: the cities)."""
    from bangfu.ui.panels import overview
    from bangfu.workspace import store
    from factories import account, run_page

    folder = tmp_path / "ws"
    store.ensure_workspace(folder, demo=province_gpkg)
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    account(folder, "chief", "admin")
    at = run_page(folder, "pages/overview.py", {})
    ctx = server.server_context(store.default_workspace())
    assert ctx is not None and ctx.is_whole and ctx.user.role == "viewer"
    choice = overview.default_choice(ctx)
    assert choice.unit == "city" and not choice.tiles
    assert at.selectbox(key=f"ov_unit.{ctx.area.code}").value == choice.unit
    assert at.selectbox(key="ov_indicator").value == choice.map.indicator
    assert at.selectbox(key="ov_method").value == choice.map.method
    assert at.slider(key="ov_k").value == choice.map.k
    assert at.selectbox(key="ov_filter").value == choice.map.flag_filter
    assert at.date_input(key="ov_as_of").value.isoformat() == choice.as_of
