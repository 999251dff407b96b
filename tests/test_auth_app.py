"""The login gate in the app (AppTest): nothing of the workspace before sign-in, Chinese refusals, sign-out, demo
mode, and the audit page for administrators only."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu.core.labels import t
from bangfu.ui.auth import SESSION_KEY
from bangfu.ui.pages import visible_pages
from bangfu.workspace import accounts, audit, store
from bangfu.workspace.access import cli_principal
from factories import TEST_PASSWORD, role_accounts, sign_in

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace folder with the demo and one account per role (the app's folder for this test)."""
    folder = tmp_path / "ws"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    store.ensure_workspace(folder)
    role_accounts(folder)
    return folder


def _app(path: str = "pages/overview.py") -> AppTest:
    return AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shows_no_data(at: AppTest) -> None:
    assert [x.value for x in at.title] == [t("auth.title", "zh")]
    assert not at.metric and not at.dataframe and not at.selectbox  # no figure, no table, no town list
    assert not at.get("iframe") and not at.get("deckgl_json_chart")
    labels = {w.label for w in at.text_input}
    assert labels == {t("auth.username", "zh"), t("auth.password", "zh")}


def _log_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click()
    return _ok(at.run())


@pytest.mark.parametrize("page", ["app.py", "pages/overview.py", "pages/data.py", "pages/audit.py"])
def test_nothing_of_the_workspace_before_sign_in(office: Path, page: str):
    at = _ok(_app(page).run())
    _shows_no_data(at)
    assert not any("示例模式" in w.value for w in at.warning)


def test_wrong_password_is_refused_in_chinese_and_the_right_one_opens_the_pages(office: Path):
    at = _ok(_app().run())
    _log_in(at, "county_planner", "not the password")
    assert [e.value for e in at.error] and "用户名或密码错误" in at.error[0].value
    _shows_no_data(at)
    assert SESSION_KEY not in at.session_state
    _log_in(at, "county_planner", TEST_PASSWORD)
    assert not at.error
    assert t("kpi.poor_households", "zh") in {m.label for m in at.metric}
    sidebar = " ".join(x.value for x in at.sidebar.text)
    assert "当前用户：county_planner（县级规划员）" in sidebar
    assert "login_password" not in at.session_state or not at.session_state["login_password"]  # not kept
    trail = audit.entries(office, user=cli_principal())
    assert trail["action"].tolist()[:2] == ["login", "login_failed"]


def test_sign_out_ends_the_session(office: Path):
    at = _app()
    token = sign_in(at, office, "viewer")
    _ok(at.run())
    assert at.metric
    at.sidebar.button(key="logout").click()
    _ok(at.run())
    _shows_no_data(at)
    assert accounts.session_user(office, token) is None


def test_a_disabled_account_is_signed_out_at_its_next_page_run(office: Path):
    at = _app()
    sign_in(at, office, "county_planner")
    assert _ok(at.run()).metric
    accounts.set_disabled(office, cli_principal(), "county_planner")
    _shows_no_data(_ok(at.run()))


def test_audit_page_lists_the_trail_for_admins_and_refuses_the_others(office: Path):
    users = {p.username: p for p in accounts.list_users(office, cli_principal())}
    for role in ("county_planner", "town_planner", "viewer"):
        assert "pages/audit.py" not in {s.path for s in visible_pages(users[role].principal())}
        at = _app("pages/audit.py")
        sign_in(at, office, role)
        _ok(at.run())
        assert not at.dataframe and not at.metric, role
        errors = " ".join(e.value for e in at.error)
        assert "不能查看操作记录" in errors and "不能管理用户" in errors, (role, errors)
    assert "pages/audit.py" in {s.path for s in visible_pages(users["admin"].principal())}
    at = _app("pages/audit.py")
    sign_in(at, office, "admin")
    _ok(at.run())
    metrics = {m.label: m.value for m in at.metric}
    # the new workspace (demo) and the four accounts created by the command line, newest first
    assert metrics[t("audit.kpi_rows", "zh")] == "5"
    assert metrics[t("users.kpi_count", "zh")] == "4"
    assert at.dataframe[0].value[t("audit.col.target", "zh")].tolist() == ["viewer", "town_planner",
                                                                          "county_planner", "admin", "demo"]


def test_demo_mode_without_accounts_says_so_on_every_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BANGFU_WORKSPACE", str(tmp_path / "ws"))
    at = _ok(_app().run())
    assert any("示例模式：未设置账号，任何访问者都拥有全部权限" in w.value for w in at.warning)
    assert "python -m bangfu user add" in at.warning[0].value
    assert at.metric
    at = _ok(_app("pages/audit.py").run())
    assert any("示例模式下不能在页面上管理账号" in i.value for i in at.info)
