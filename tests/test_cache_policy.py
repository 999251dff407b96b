"""bangfu.ui.cache: one loader and cache policy — versioned keys, no clearing, personal data per session only."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu.geo import overlay
from bangfu.editing import roads as road_edits
from bangfu.ingest import pipeline as importers
from bangfu.ui import cache
from bangfu.workspace import store
from bangfu.workspace.access import Principal
from factories import Network, as_user

ADMIN = Principal("admin", "admin", display_name="张三")

ROOT = Path(__file__).resolve().parents[1]
_READ, _PIECES = store.read_layer, overlay.road_pieces  # the real ones (the tests count calls of these)
POLICY = ROOT / "src" / "bangfu" / "ui" / "cache.py"


def _python_files() -> list[Path]:
    return [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("src/**/*.py")]


def test_every_cache_goes_through_the_policy_module_and_nothing_clears():
    declared, cleared = [], []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("cache_data", "cache_resource") and path != POLICY:
                declared.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr == "clear" and isinstance(node.value, ast.Attribute) \
                    and node.value.attr in ("cache_data", "cache_resource"):
                cleared.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr == "clear" and isinstance(node.value, ast.Name) \
                    and node.value.id in {"village_table", "map_geometry", "map_data", "town_table", "pieces"}:
                cleared.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not declared, f"declare caches with bangfu.ui.cache.shared / session_value: {declared}"
    assert not cleared, f"a write changes the workspace version; never clear the shared caches: {cleared}"


def test_shared_caches_are_registered():
    from bangfu.ui.panels import overview, roads  # noqa: F401 — register their caches

    assert {
        "bangfu.ui.cache._public_layer": "copied",
        "bangfu.ui.cache.validation_summary": "data",
        "bangfu.ui.panels.overview.village_table": "copied",
        "bangfu.ui.panels.overview.map_data": "data",
        "bangfu.ui.cache.road_pieces": "data",
        "bangfu.ui.panels.roads._zones": "resource",
    }.items() <= cache.SHARED.items()


@pytest.mark.parametrize(
    "signature, problem",
    [("def f(version, path): ...", "(path, version)"), ("def f(path): ...", "(path, version)"),
     ("def f(path, version, town_code): ...", "town_code only filters"),
     ("def f(path, version, area): ...", "area only filters")],
)
def test_shared_refuses_keys_without_the_version_or_with_a_filter(signature: str, problem: str):
    scope: dict = {}
    exec(signature, scope)  # noqa: S102 — a one-line function definition
    with pytest.raises(TypeError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        cache.shared(max_entries=1)(scope["f"])


# ----------------------------------------------------------------------------- sessions


def _probe(path: str) -> None:
    """A tiny page: the villages, the households and the road pieces through the app's caches."""
    import streamlit as st

    from bangfu.ui import cache
    from bangfu.workspace import store
    from bangfu.workspace.access import Principal

    version = store.workspace_version(path)
    villages = cache.load_layer(path, version, "villages")
    households = cache.load_layer(path, version, "households", Principal("planner", "county_planner"))
    pieces = cache.road_pieces(path, version)
    st.text(version)
    st.metric("villages", len(villages))
    st.metric("households", len(households))
    st.metric("completed", f"{pieces.loc[pieces['status'] == 'completed', 'length_km'].sum():.3f}")


@pytest.fixture
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Counter]:
    """A small workspace, and a counter of every real read (per layer) and every road-piece computation."""
    ws = Network.workspace(tmp_path / "ws")
    calls: Counter = Counter()

    def read_layer(path, name):
        calls[name] += 1
        return _READ(path, name)

    def road_pieces(*a, **k):
        calls["pieces"] += 1
        return _PIECES(*a, **k)

    monkeypatch.setattr(store, "read_layer", read_layer)
    monkeypatch.setattr(overlay, "road_pieces", road_pieces)
    return ws, calls


def _session(ws: Path) -> AppTest:
    at = AppTest.from_function(_probe, args=(str(ws),), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shown(at: AppTest) -> tuple[str, dict[str, str]]:
    return at.text[0].value, {m.label: m.value for m in at.metric}


def _on_disk(ws: Path) -> str:
    """The completed kilometres computed straight from the file (no app cache involved)."""
    p = _PIECES(_READ(ws, "roads"), _READ(ws, "villages"))
    return f"{p.loc[p['status'] == 'completed', 'length_km'].sum():.3f}"


def test_public_layers_are_shared_and_households_stay_in_each_session(counted):
    ws, calls = counted
    a, b = _session(ws), _session(ws)
    assert calls["villages"] == 1 and calls["roads"] == 1 and calls["pieces"] == 1, "public data read once, shared"
    assert calls["households"] == 2, "each session reads the personal layer itself"
    a.run()
    b.run()
    assert calls["households"] == 2 and calls["villages"] == 1, "and keeps it for the next run"
    assert _shown(a) == _shown(b)
    memo = a.session_state["_bangfu_session_cache"]
    assert set(memo) == {"personal.households", "layer.households"}  # as stored, and as this user may see it
    assert all(entry[0][:2] == (str(ws), store.workspace_version(ws)) for entry in memo.values())
    assert memo["layer.households"][0][2] == ("planner", "county_planner", ()), "keyed by the signed-in user"


def _write(kind: str, ws: Path) -> None:
    """One write of each kind the app makes."""
    if kind == "edit":
        road_edits.edit_road(ws, "R2", {"status": "completed", "progress_pct": 100, "completed_year": 2020},
                             expected_version=1, user=as_user("甲"))
    elif kind == "import":
        roads = _READ(ws, "roads").set_index("road_id")
        roads.loc["R2", ["status", "progress_pct", "completed_year"]] = ["completed", 100.0, 2020]
        data = roads.reset_index().drop(columns=["version"]).to_json().encode()
        plan = importers.prepare_import(ws, "roads.geojson", data, layer="roads", mode="replace")
        assert plan.ok, plan.summary_zh()
        importers.apply_import(ws, plan, user=ADMIN)
    else:
        importers.restore_backup(ws, user=ADMIN)


@pytest.mark.parametrize("kind", ["edit", "import", "restore"])
def test_a_write_is_seen_at_once_and_clears_no_other_session(counted, kind: str):
    ws, calls = counted
    if kind == "restore":  # give the workspace a backup that differs from the current file
        _write("import", ws)
    a, b = _session(ws), _session(ws)
    v1, before = _shown(a)
    assert before["completed"] == _on_disk(ws)

    _write(kind, ws)  # session A saves (an edit, an import, a restore)
    reads = calls.copy()  # (the write itself reads the file)
    a.run()
    v2, after = _shown(a)
    assert v2 != v1 and v2 == store.workspace_version(ws), "the write changed the version"
    assert after["completed"] == _on_disk(ws) != before["completed"], "session A sees the new data at once"

    # session B has not rerun yet: its cached data for the old version is all still there
    calls_now = calls.copy()
    assert cache.load_layer(str(ws), v1, "villages") is not None and cache.road_pieces(str(ws), v1) is not None
    assert calls == calls_now, "the old version's shared entries were not cleared"
    assert b.session_state["_bangfu_session_cache"]["layer.households"][0][1] == v1
    b.run()
    assert _shown(b) == (v2, after), "and B's next run reads the new version too"
    assert calls["villages"] - reads["villages"] == 1 and calls["pieces"] - reads["pieces"] == 1, \
        "the new version was read and computed once for both sessions"
