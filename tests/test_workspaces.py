"""Several workspaces side by side in one office folder (bangfu.workspace.catalog, bangfu.ui.workspaces): the
listing, the picker in the sidebar (``?ws=``), each workspace's own backups, one audit trail for the office."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu.core.resources import DEMO_PATH
from bangfu.workspace import audit, catalog, create, schema, store
from bangfu.workspace.access import Principal
from factories import import_households, import_villages, workspace

ROOT = Path(__file__).resolve().parents[1]
ADMIN = Principal("tester", "admin", source="cli")


def _empty(path: Path, county: str, name: str) -> Path:
    layers = {n: store.empty_layer(n) for n, lay in schema.LAYERS.items() if not lay.optional}
    return workspace(path, meta={"source": "new", "county_code": county, "county_name": name}, **layers)


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An office folder: the default workspace (villages + households) and two further ones."""
    folder = tmp_path / "office"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    workspace(folder, villages=import_villages(), households=import_households())
    _empty(folder / "workspaces" / "211224.gpkg", "211224", "昌图县")
    _empty(folder / "workspaces" / "440783-2025.gpkg", "440783", "开平市")
    return folder


def test_list_workspaces_default_first_then_by_name(office: Path):
    (office / "workspaces" / ".tmp-half-written.gpkg").write_bytes(b"")  # never listed
    (office / "workspaces" / "notes.txt").write_text("x")
    entries = catalog.list_workspaces(office)
    assert [e.key for e in entries] == ["default", "211224", "440783-2025"]
    assert [e.path for e in entries] == [office / "workspace.gpkg", office / "workspaces" / "211224.gpkg",
                                         office / "workspaces" / "440783-2025.gpkg"]
    assert entries[1].county_name == "昌图县" and entries[1].county_code == "211224"
    assert entries[1].label("zh") == "昌图县（211224） · 211224.gpkg"
    assert catalog.visible_workspaces(ADMIN, entries) == entries
    assert catalog.find(entries, "211224") == entries[1] and catalog.find(entries, "nope") is None
    assert catalog.list_workspaces(office / "missing") == []
    assert all(e.path != DEMO_PATH for e in entries), "the shipped demo is never one of the files listed"


def test_new_workspace_path_never_reuses_a_file(office: Path):
    assert catalog.new_workspace_path(office, "211224") == office / "workspaces" / "211224-2.gpkg"
    assert catalog.new_workspace_path(office, "130102", "长安区") == office / "workspaces" / "130102-长安区.gpkg"
    assert catalog.new_workspace_path(office, "130102", "../x/y") == office / "workspaces" / "130102-.._x_y.gpkg"


def test_each_workspace_keeps_its_own_backups_and_the_office_one_audit_trail(office: Path):
    default, other = office / "workspace.gpkg", office / "workspaces" / "211224.gpkg"
    assert store.backups_dir(default) == office / "backups"
    assert store.backups_dir(other) == office / "workspaces" / "backups" / "211224"
    store.make_backup(default, user=ADMIN)
    store.make_backup(other, user=ADMIN)
    store.make_backup(other, user=ADMIN)
    assert len(store.list_backups(default)) == 1 and len(store.list_backups(other)) == 2
    assert audit.office_db(other) == audit.office_db(default) == office / audit.OFFICE_DB
    # a write to the further workspace is recorded in the office's one audit trail
    with store.transaction(other, user=ADMIN, action="import", target="villages") as con:
        con.execute("SELECT 1")
    frame = audit.entries(default, user=ADMIN)
    assert "211224.gpkg" in set(frame["workspace"]), frame


def _page(page: str = "overview", **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _workspace_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("工作空间："))


def test_sidebar_picker_chooses_the_workspace_and_keeps_it_in_the_url(office: Path):
    at = _page()
    picker = next(s for s in at.sidebar.selectbox if s.label == "当前工作空间")
    assert picker.options == ["默认工作空间", "昌图县（211224） · 211224.gpkg", "开平市（440783） · 440783-2025.gpkg"]
    assert "workspace\\.gpkg" in _workspace_caption(at)
    assert not [i.value for i in at.info if i.value.startswith("本页需要先导入")], "the default has villages"
    picker.set_value("211224").run()
    assert not at.exception
    assert at.query_params["ws"] in ("211224", ["211224"])
    assert "211224\\.gpkg" in _workspace_caption(at)
    assert "本页需要先导入：行政村。" in [i.value for i in at.info], "the chosen (empty) workspace is the one read"
    at = _page(ws="440783-2025")
    assert "440783\\-2025\\.gpkg" in _workspace_caption(at)
    at = _page(ws="no-such")
    assert "workspace\\.gpkg" in _workspace_caption(at), "an unknown key falls back to the default"


@pytest.fixture
def lone_office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "office1"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    workspace(folder, villages=import_villages(), households=import_households())
    return folder


def _new_workspace(at: AppTest, code: str, name: str = "") -> AppTest:
    next(x for x in at.text_input if x.key == "data.new_ws_county").input(code)
    next(x for x in at.text_input if x.key == "data.new_ws_name").input(name)
    next(b for b in at.button if b.label == "创建工作空间").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_data_page_creates_a_workspace_and_switches_to_it(lone_office: Path):
    before = (lone_office / "workspace.gpkg").read_bytes()
    at = _new_workspace(_page("data"), "211224")
    created = lone_office / "workspaces" / "211224.gpkg"
    assert created.is_file()
    meta = store.read_meta(created)
    assert meta["county_code"] == "211224" and meta["county_name"] == "昌图县"
    assert all(len(store.read_layer(created, n)) == 0 for n in ("villages", "households", "roads", "projects"))
    assert "已新建工作空间：211224.gpkg。" in [s.value.replace("\\", "") for s in at.success]
    assert at.query_params["ws"] in ("211224", ["211224"])
    assert "211224\\.gpkg" in _workspace_caption(at), "the page now reads the new workspace"
    assert "这个工作空间还没有导入完：下一步导入“行政村”。" in [i.value for i in at.info]
    assert (lone_office / "workspace.gpkg").read_bytes() == before, "the current workspace is left as it was"
    start = _page("start", ws="211224")
    official = len(create.official_villages("211224"))
    assert official > 0 and f"本县官方村名录：{official} 个村（导入村界时按村代码或镇内村名与它核对）。" in [
        c.value for c in start.caption]
    assert [i.value for i in start.info][:1] == ["下一步：导入“行政村”。"]
    # a second one for the same county (another year) gets a name of its own
    at = _new_workspace(at, "211224", "2025")
    assert (lone_office / "workspaces" / "211224-2025.gpkg").is_file()
    assert [e.key for e in catalog.list_workspaces(lone_office)] == ["default", "211224", "211224-2025"]


def test_new_workspace_refuses_a_bad_county_code_with_a_chinese_error(lone_office: Path):
    at = _new_workspace(_page("data"), "12ab")
    assert at.error, "a clear error"
    assert not (lone_office / "workspaces").exists() or not list((lone_office / "workspaces").glob("*.gpkg"))


def test_new_workspace_is_for_administrators_only(lone_office: Path):
    from bangfu.workspace import create
    from bangfu.workspace.access import AccessDenied
    from factories import account, sign_in

    account(lone_office, "chief", "admin")
    account(lone_office, "li", "county_planner")
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=120)
    sign_in(at, lone_office, "li")
    at.run()
    assert not at.exception
    assert "只有管理员可以新建工作空间。" in [c.value for c in at.caption]
    assert not [x for x in at.text_input if x.key == "data.new_ws_county"]
    planner = Principal("li", "county_planner", source="cli")
    with pytest.raises(AccessDenied):  # the data layer refuses too
        create.new_workspace(lone_office / "workspaces" / "211224.gpkg", "211224", user=planner)
    assert not (lone_office / "workspaces" / "211224.gpkg").exists()
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=120)
    sign_in(at, lone_office, "chief")
    at.run()
    assert [x for x in at.text_input if x.key == "data.new_ws_county"], "an administrator gets the form"
