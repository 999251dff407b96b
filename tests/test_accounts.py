"""Accounts and sessions: argon2 hashes, sign-in with lockout, expiring sessions, audited changes, SSO mapping."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bangfu.workspace import access, accounts, audit
from bangfu.workspace.access import AccessDenied, Principal
from bangfu.workspace.accounts import AccountError, LoginFailed

CLI = access.cli_principal()
PW = "correct horse battery"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=audit.CHINA_TZ)


@pytest.fixture
def office(tmp_path: Path) -> Path:
    accounts.add_user(tmp_path, CLI, "root", PW, "admin", display_name="管理员甲")
    return tmp_path


def _db(folder: Path, sql: str, *args) -> list[tuple]:
    con = sqlite3.connect(audit.office_db(folder))
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def _actions(folder: Path) -> list[tuple[str, str, str]]:
    return _db(folder, "SELECT username, action, target FROM audit ORDER BY audit_id")


def test_no_office_database_means_no_accounts_and_nothing_is_created(tmp_path: Path):
    assert accounts.has_accounts(tmp_path) is False
    assert accounts.session_user(tmp_path, "whatever") is None
    assert not audit.office_db(tmp_path).exists()


def test_passwords_are_argon2_hashes_and_never_stored_or_audited(office: Path):
    assert accounts.has_accounts(office)
    (digest,) = _db(office, "SELECT password_hash FROM users WHERE username = 'root'")[0]
    assert digest.startswith("$argon2id$") and PW not in digest
    raw = audit.office_db(office).read_bytes()
    assert PW.encode() not in raw
    assert _actions(office) == [(CLI.username, "user_add", "root")]


def test_production_hashing_parameters_meet_owasp_minimums():
    h = accounts.DEFAULT_HASHER
    assert h.type.name == "ID" and h.time_cost >= 2 and h.memory_cost >= 19 * 1024
    assert h.verify(h.hash(PW), PW)


def test_login_right_and_wrong(office: Path):
    token, user = accounts.login(office, "root", PW, now=T0)
    assert (user.username, user.role, user.name, user.source) == ("root", "admin", "管理员甲", "password")
    assert accounts.session_user(office, token, now=T0) == user
    assert len(token) >= 40 and token not in str(_db(office, "SELECT * FROM sessions"))  # only its hash is stored
    with pytest.raises(LoginFailed) as wrong:
        accounts.login(office, "root", PW + "x", now=T0)
    with pytest.raises(LoginFailed) as unknown:
        accounts.login(office, "nobody", PW, now=T0)
    assert wrong.value.message_zh == unknown.value.message_zh == "用户名或密码错误。"  # no hint which names exist
    assert [a for _, a, _ in _actions(office)] == ["user_add", "login", "login_failed", "login_failed"]
    assert accounts.login(office, " ROOT ", PW, now=T0)[1].username == "root"  # names are case-insensitive


def test_lockout_after_repeated_failures_and_admin_unlock(office: Path):
    for i in range(accounts.MAX_FAILURES - 1):
        with pytest.raises(LoginFailed, match="用户名或密码错误"):
            accounts.login(office, "root", f"wrong{i}xxx", now=T0)
    with pytest.raises(LoginFailed, match="锁定"):
        accounts.login(office, "root", "wrong-last", now=T0)
    # locked: even the right password is refused until the lockout has passed
    with pytest.raises(LoginFailed, match="锁定"):
        accounts.login(office, "root", PW, now=T0 + accounts.LOCKOUT - timedelta(seconds=1))
    assert accounts.login(office, "root", PW, now=T0 + accounts.LOCKOUT + timedelta(seconds=1))[1].username == "root"
    # unknown names lock the same way (the answers do not reveal which names exist)
    for _ in range(accounts.MAX_FAILURES - 1):
        with pytest.raises(LoginFailed, match="用户名或密码错误"):
            accounts.login(office, "ghost", "whatever1", now=T0)
    with pytest.raises(LoginFailed, match="锁定"):
        accounts.login(office, "ghost", "whatever1", now=T0)
    # an administrator's password reset unlocks at once
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(LoginFailed):
            accounts.login(office, "root", "nope-nope", now=T0)
    accounts.set_password(office, CLI, "root", "a new passphrase")
    assert accounts.login(office, "root", "a new passphrase", now=T0)[1].role == "admin"


def test_sessions_expire_when_idle_and_absolutely(office: Path):
    idle, second = accounts.IDLE_TIMEOUT, timedelta(seconds=1)
    token, user = accounts.login(office, "root", PW, now=T0)
    assert accounts.session_user(office, token, now=T0 + idle - second) == user  # used: the idle clock restarts
    assert accounts.session_user(office, token, now=T0 + 2 * idle - 2 * second) == user
    assert accounts.session_user(office, token, now=T0 + 3 * idle) is None  # idle for longer than IDLE_TIMEOUT
    assert accounts.session_user(office, token, now=T0) is None  # an ended session is gone for good
    # kept alive by use, but never past the absolute timeout
    token, _ = accounts.login(office, "root", PW, now=T0)
    t = T0
    while t + idle / 2 < T0 + accounts.ABSOLUTE_TIMEOUT:
        t += idle / 2
        assert accounts.session_user(office, token, now=t) is not None, t
    assert accounts.session_user(office, token, now=T0 + accounts.ABSOLUTE_TIMEOUT + timedelta(seconds=1)) is None


def test_sign_out_and_disable_end_sessions(office: Path):
    accounts.add_user(office, CLI, "li", PW, "county_planner")
    token, li = accounts.login(office, "li", PW)
    accounts.end_session(office, token)
    assert accounts.session_user(office, token) is None
    token, _ = accounts.login(office, "li", PW)
    accounts.set_disabled(office, CLI, "li")
    assert accounts.session_user(office, token) is None
    with pytest.raises(LoginFailed, match="停用"):
        accounts.login(office, "li", PW)
    accounts.set_disabled(office, CLI, "li", False)
    token, _ = accounts.login(office, "li", PW)
    accounts.set_password(office, CLI, "li", "another passphrase")
    assert accounts.session_user(office, token) is None  # a reset password ends the sessions
    actions = [a for _, a, t in _actions(office) if t == "li"]
    assert actions == ["user_add", "login", "logout", "login", "user_disable", "login_failed", "user_enable",
                       "login", "user_passwd"]


def test_role_changes_apply_to_live_sessions(office: Path):
    accounts.add_user(office, CLI, "wang", PW, "town_planner", towns=["440783116"])
    token, wang = accounts.login(office, "wang", PW)
    assert wang.towns == ("440783116",)
    accounts.change_user(office, CLI, "wang", role="viewer")
    assert accounts.session_user(office, token).role == "viewer"
    (details,) = _db(office, "SELECT details FROM audit WHERE action = 'user_change'")[0]
    assert '"role": ["town_planner", "viewer"]' in details and '"towns": ["440783116", ""]' in details


@pytest.mark.parametrize("kwargs, message", [
    ({"role": "superuser"}, "未知的角色"),
    ({"password": "short"}, "密码太短"),
    ({"username": "a b"}, "用户名"),
    ({"username": "demo"}, "保留"),
    ({"role": "town_planner"}, "必须指定负责的镇街"),
    ({"role": "town_planner", "towns": ["4407831"]}, "9 位数字"),
    ({"towns": ["440783116"]}, "不能指定镇街"),
    ({"email": "not-an-address"}, "电子邮箱"),
    ({"username": "ROOT"}, "已存在"),
])
def test_bad_account_input_is_refused_in_chinese(office: Path, kwargs: dict, message: str):
    args = {"username": "new", "password": PW, "role": "viewer", **kwargs}
    before = _db(office, "SELECT * FROM users")
    with pytest.raises(AccountError, match=message):
        accounts.add_user(office, CLI, args.pop("username"), args.pop("password"), args.pop("role"), **args)
    assert _db(office, "SELECT * FROM users") == before


def test_only_administrators_manage_accounts_and_never_in_demo_mode(office: Path):
    demo = Principal("demo", "admin", source="demo")
    for actor in (Principal("li", "county_planner"), Principal("v", "viewer"), None, demo):
        with pytest.raises(AccessDenied):
            accounts.add_user(office, actor, "x1", PW, "viewer")
        with pytest.raises(AccessDenied):
            accounts.list_users(office, actor)
        with pytest.raises(AccessDenied):
            accounts.set_password(office, actor, "root", "whatever123")
    with pytest.raises(AccessDenied, match="示例模式"):
        accounts.set_disabled(office, demo, "root")
    assert [u.username for u in accounts.list_users(office, CLI)] == ["root"]


def test_the_last_administrator_cannot_be_disabled_or_demoted(office: Path):
    with pytest.raises(AccountError, match="最后一个"):
        accounts.set_disabled(office, CLI, "root")
    with pytest.raises(AccountError, match="最后一个"):
        accounts.change_user(office, CLI, "root", role="viewer")
    accounts.add_user(office, CLI, "root2", PW, "admin")
    accounts.set_disabled(office, CLI, "root")
    assert [u.disabled for u in accounts.list_users(office, CLI)] == [True, False]


def test_a_failed_change_writes_neither_the_change_nor_its_audit_row(office: Path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", boom)
    with pytest.raises(RuntimeError):
        accounts.add_user(office, CLI, "li", PW, "viewer")
    monkeypatch.undo()
    assert [u.username for u in accounts.list_users(office, CLI)] == ["root"]
    assert len(_actions(office)) == 1


def test_single_sign_on_maps_an_email_to_an_account(office: Path):
    accounts.add_user(office, CLI, "zhang", PW, "county_planner", email="Zhang@Example.gov.cn")
    user = accounts.principal_for_identity(office, {"email": "zhang@example.gov.cn", "email_verified": True})
    assert (user.username, user.role, user.source) == ("zhang", "county_planner", "oidc")
    for claims, message in [({"email": "stranger@example.gov.cn"}, "没有与"), ({}, "没有提供电子邮箱"),
                            ({"email": "zhang@example.gov.cn", "email_verified": False}, "未经")]:
        with pytest.raises(LoginFailed, match=message):
            accounts.principal_for_identity(office, claims)
    token, _ = accounts.login_identity(office, {"email": "zhang@example.gov.cn"})
    assert accounts.session_user(office, token).source == "oidc"
    accounts.set_disabled(office, CLI, "zhang")
    with pytest.raises(LoginFailed, match="停用"):
        accounts.principal_for_identity(office, {"email": "zhang@example.gov.cn"})
    assert accounts.session_user(office, token) is None
