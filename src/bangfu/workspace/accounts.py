"""Accounts and sessions of an office: users with argon2 password hashes, sign-in with lockout, expiring sessions.

Everything lives in the office database ``<workspace folder>/office.sqlite`` beside the audit trail
(:mod:`bangfu.workspace.audit`), never in the workspace GeoPackage: importing or restoring a workspace cannot touch
an account, and no page or command imports or exports this file.

* ``users``: account name (unique, case-insensitive), display name, role (:data:`bangfu.workspace.access.ROLES`),
  towns (town planners), e-mail (single sign-on), the argon2id password hash (argon2-cffi's
  :class:`~argon2.PasswordHasher`; the plain password is never stored or logged), disabled flag, created/changed.
* ``sessions``: the SHA-256 of a random session token (:func:`secrets.token_urlsafe`, 256 bits; the token itself
  lives only in the browser session's memory), the account, when it started, was last used and expires. A session
  ends after :data:`IDLE_TIMEOUT` without use, after :data:`ABSOLUTE_TIMEOUT` in any case, at sign-out, when the
  account is disabled or its password is reset.
* ``login_failures``: failed sign-ins per account name (also for names that do not exist, so the answers do not
  tell which names do): after :data:`MAX_FAILURES` failures in a row the name is locked for :data:`LOCKOUT`.

Every change of an account is written in one transaction together with its audit row. Managing accounts needs the
``manage_users`` permission (administrators, and the command line, which acts as an administrator); in demo mode
(no accounts yet, :mod:`bangfu.ui.auth`) nobody may manage accounts in the browser: the first administrator is
created on the server's command line (``python -m bangfu user add NAME --role admin``).

Functions that depend on the time take ``now`` (an aware datetime; default: the current time) so tests can move
the clock instead of waiting.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bangfu.core.errors import BangfuError
from bangfu.workspace import access, audit
from bangfu.workspace.access import AccessDenied, Principal

__all__ = [
    "Account", "AccountError", "LoginFailed", "MIN_PASSWORD_LENGTH", "MAX_PASSWORD_LENGTH", "IDLE_TIMEOUT",
    "ABSOLUTE_TIMEOUT", "DEFAULT_HASHER", "MAX_FAILURES", "LOCKOUT", "RESERVED_NAMES", "ANONYMOUS", "has_accounts", "add_user",
    "change_user", "set_password", "set_disabled", "list_users", "get_user", "login", "start_session",
    "session_user", "end_session", "principal_for_identity", "login_identity", "check_password", "check_username", "check_new_account",
]

#: Shortest and longest password accepted.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
#: A session ends after this long without a page run, and this long after sign-in in any case.
IDLE_TIMEOUT = timedelta(hours=2)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
#: Failed sign-ins in a row after which an account name is locked, and for how long.
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
#: A session's last use is written at most this often (not on every page run).
TOUCH_EVERY = timedelta(minutes=1)
#: Names the app itself uses in the audit trail (demo mode, failed sign-ins); ``cli:`` names are the command line's.
RESERVED_NAMES = frozenset({"demo", "anonymous"})
#: Who a failed sign-in is recorded as (the account name tried is the audit row's target).
ANONYMOUS = Principal("anonymous", "viewer", display_name="未登录访问者", source="anonymous")

_USERNAME = re.compile(r"^[^\W_][\w.@\-]{0,63}$")  # a letter or digit (any script), then letters, digits, _ . @ -
_TOWN = re.compile(r"^\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY COLLATE NOCASE,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    towns TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL COLLATE NOCASE,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    username TEXT PRIMARY KEY COLLATE NOCASE,
    failures INTEGER NOT NULL,
    locked_until TEXT NOT NULL DEFAULT ''
);
"""

#: argon2id with the library's defaults (RFC 9106 "low memory": t=3, m=64 MiB, p=4). A hash records its own
#: parameters, so hashes made with other parameters still verify (and are re-hashed at the next sign-in).
DEFAULT_HASHER = PasswordHasher()
_HASHER = DEFAULT_HASHER  # the tests swap in a cheaper one (tests/conftest.py)


class AccountError(BangfuError):
    """A refused account change: unknown role or user, a bad name, a short password, the last administrator."""


class LoginFailed(BangfuError):
    """A refused sign-in (wrong name or password, locked, disabled, no account for a single sign-on identity)."""


@dataclass(frozen=True)
class Account:
    """One account as administrators see it (never the password hash)."""

    username: str
    display_name: str
    role: str
    towns: tuple[str, ...]
    email: str
    disabled: bool
    created_at: str
    changed_at: str

    def principal(self, source: str = "password") -> Principal:
        """The principal this account acts as once signed in."""
        return Principal(self.username, self.role, self.towns, self.display_name, source=source)


# --------------------------------------------------------------------------- storage


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(audit.CHINA_TZ)).astimezone(audit.CHINA_TZ)


def _iso(t: datetime) -> str:
    return t.astimezone(audit.CHINA_TZ).isoformat(timespec="seconds")


@contextlib.contextmanager
def _connect(folder: Path | str, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """The office database with the account tables; ``write``: one immediate transaction (committed on success,
    rolled back on any error, together with the audit rows written through it)."""
    with audit.connect(folder) as con:
        con.executescript(_SCHEMA)
        if write:
            con.execute("BEGIN IMMEDIATE")
        yield con


def _account(row: sqlite3.Row | tuple) -> Account:
    username, display_name, role, towns, email, disabled, created, changed = row[:8]
    return Account(username, display_name, role, tuple(t for t in towns.split(",") if t), email, bool(disabled),
                   created, changed)


_COLUMNS = "username, display_name, role, towns, email, disabled, created_at, changed_at"


def _fetch(con: sqlite3.Connection, username: str) -> tuple[Account, str] | None:
    row = con.execute(f"SELECT {_COLUMNS}, password_hash FROM users WHERE username = ?", (username,)).fetchone()
    return None if row is None else (_account(row), row[8])


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def has_accounts(folder: Path | str) -> bool:
    """Whether the office of ``folder`` has any account (disabled ones count): then nothing is shown before
    sign-in. Does not create the office database."""
    if not audit.office_db(folder).exists():
        return False
    with _connect(folder) as con:
        return con.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


# --------------------------------------------------------------------------- checks


def check_username(username: str) -> str:
    """``username`` stripped, or :class:`AccountError` naming what is wrong with it."""
    name = (username or "").strip()
    if not _USERNAME.match(name):
        raise AccountError(
            f"用户名 {name!r} 不可用：须以字母、汉字或数字开头，只含字母、汉字、数字和 _ . @ -，最长 64 个字符。",
            f"The user name {name!r} is not allowed: start with a letter or digit; letters, digits, _ . @ - only; "
            "at most 64 characters.", hint_zh="例如 zhangsan 或 张三。", hint_en="For example zhangsan.")
    if name.casefold() in RESERVED_NAMES:
        raise AccountError(f"用户名 {name!r} 是系统保留的名称，请换一个。", f"{name!r} is reserved; choose another name.")
    return name


def check_password(password: str) -> None:
    """:class:`AccountError` unless ``password`` is long enough (and not absurdly long)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码太短：至少需要 {MIN_PASSWORD_LENGTH} 个字符。",
                           f"The password is too short: at least {MIN_PASSWORD_LENGTH} characters.",
                           hint_zh="请使用更长的密码，最好是几个词组成的短句。", hint_en="Use a longer password or a passphrase.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"密码太长：最多 {MAX_PASSWORD_LENGTH} 个字符。",
                           f"The password is too long: at most {MAX_PASSWORD_LENGTH} characters.")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise AccountError("密码不能包含控制字符（如换行、制表符）。", "The password may not contain control characters.")


def _check_role(role: str) -> str:
    try:
        return access.role(role).key
    except ValueError as exc:
        raise AccountError(str(exc), f"unknown role {role!r}; roles: {', '.join(access.ROLES)}",
                           hint_zh=f"--role 可用的值：{', '.join(access.ROLES)}。") from None


def _check_towns(role: str, towns: Iterable[str]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(str(t).strip() for t in towns if str(t).strip()))
    bad = [c for c in codes if not _TOWN.match(c)]
    if bad:
        raise AccountError(f"镇街代码应为 9 位数字：{'、'.join(bad)}", f"town codes have 9 digits: {', '.join(bad)}",
                           hint_zh="例如赤水镇为 440783116（村代码的前 9 位）。")
    spec = access.ROLES[role]
    if spec.town_scoped and not codes:
        raise AccountError(f"{spec.zh}必须指定负责的镇街（--towns）。", f"A {spec.en} needs their towns (--towns).",
                           hint_zh="例如 --towns 440783116,440783101。")
    if not spec.town_scoped and codes:
        raise AccountError(f"{spec.zh}不按镇街限定，不能指定镇街。", f"A {spec.en} is not limited to towns.",
                           hint_zh="只有镇级规划员（town_planner）需要 --towns。")
    return codes


def _check_email(email: str) -> str:
    email = (email or "").strip()
    if email and not _EMAIL.match(email):
        raise AccountError(f"电子邮箱格式不正确：{email!r}", f"not an e-mail address: {email!r}")
    return email


def check_new_account(username: str, role: str, towns: Iterable[str] = (), email: str = "") -> None:
    """The checks :func:`add_user` runs on a new account's name, role, towns and e-mail (not the password):
    :class:`AccountError` on the first problem."""
    check_username(username)
    _check_towns(_check_role(role), towns)
    _check_email(email)


def _require_manager(actor: Principal) -> None:
    access.require(actor, "manage_users")
    if actor.source == "demo":
        raise AccessDenied(
            "示例模式下不能在页面上管理账号。", "Accounts cannot be managed in the browser in demo mode.",
            hint_zh="请在服务器上运行 python -m bangfu user add 用户名 --role admin 创建第一个管理员账号。",
            hint_en="Create the first administrator on the server: python -m bangfu user add NAME --role admin.")


def _unknown(username: str) -> AccountError:
    return AccountError(f"没有用户 {username!r}。", f"There is no user {username!r}.",
                        hint_zh="用 python -m bangfu user list 查看全部用户。", hint_en="See python -m bangfu user list.")


def _keep_an_admin(con: sqlite3.Connection, username: str) -> None:
    """Refuse a change that would leave no enabled administrator (``username`` is the one losing the rights)."""
    left = con.execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND username <> ?",
                       (username,)).fetchone()[0]
    if left == 0:
        raise AccountError("这是最后一个可用的管理员账号，不能停用或改为其他角色。",
                           "This is the last enabled administrator; it cannot be disabled or given another role.",
                           hint_zh="请先创建或启用另一个管理员账号。", hint_en="Create or enable another administrator first.")


def _get(con: sqlite3.Connection, username: str) -> tuple[Account, str]:
    found = _fetch(con, username.strip())
    if found is None:
        raise _unknown(username.strip())
    return found


# --------------------------------------------------------------------------- managing accounts


def add_user(folder: Path | str, actor: Principal, username: str, password: str, role: str, *,
             towns: Iterable[str] = (), display_name: str = "", email: str = "") -> Account:
    """Create an account (``actor`` needs ``manage_users``); audited as ``user_add``."""
    _require_manager(actor)
    check_new_account(username, role, towns, email)
    check_password(password)
    name, role, email = check_username(username), _check_role(role), _check_email(email)
    codes = _check_towns(role, towns)
    digest = _HASHER.hash(password)
    with _connect(folder, write=True) as con:
        if _fetch(con, name) is not None:
            raise AccountError(f"用户 {name!r} 已存在。", f"The user {name!r} already exists.",
                               hint_zh="换一个用户名，或用 user passwd 重设该用户的密码。")
        if email and con.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
            raise AccountError(f"电子邮箱 {email} 已属于另一个账号。", f"{email} belongs to another account.")
        stamp = audit.now()
        con.execute("INSERT INTO users (username, display_name, role, towns, email, password_hash, disabled, "
                    "created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                    (name, display_name.strip(), role, ",".join(codes), email, digest, stamp, stamp))
        audit.record(folder, actor, "user_add", name, {"role": role, "towns": list(codes),
                                                       "display_name": display_name.strip(), "email": email},
                     con=con, schema="main")
        return _get(con, name)[0]


def change_user(folder: Path | str, actor: Principal, username: str, *, role: str | None = None,
                towns: Iterable[str] | None = None, display_name: str | None = None,
                email: str | None = None) -> Account:
    """Change an account's role, towns, display name or e-mail (``None``: unchanged); audited as ``user_change``
    with the old and new values. Sessions stay; the next page run acts with the new role."""
    _require_manager(actor)
    with _connect(folder, write=True) as con:
        before, _ = _get(con, username)
        new_role = _check_role(role) if role is not None else before.role
        new_towns = _check_towns(new_role, before.towns if towns is None and new_role == before.role
                                 else (towns or ()))
        new = {
            "role": new_role, "towns": ",".join(new_towns),
            "display_name": before.display_name if display_name is None else display_name.strip(),
            "email": before.email if email is None else _check_email(email),
        }
        old = {"role": before.role, "towns": ",".join(before.towns), "display_name": before.display_name,
               "email": before.email}
        changed = {k: [old[k], v] for k, v in new.items() if old[k] != v}
        if not changed:
            return before
        if before.role == "admin" and new_role != "admin" and not before.disabled:
            _keep_an_admin(con, before.username)
        if new["email"] and con.execute("SELECT 1 FROM users WHERE email = ? AND username <> ?",
                                        (new["email"], before.username)).fetchone():
            raise AccountError(f"电子邮箱 {new['email']} 已属于另一个账号。", f"{new['email']} belongs to another account.")
        con.execute("UPDATE users SET role = ?, towns = ?, display_name = ?, email = ?, changed_at = ? "
                    "WHERE username = ?", (*new.values(), audit.now(), before.username))
        audit.record(folder, actor, "user_change", before.username, changed, con=con, schema="main")
        return _get(con, before.username)[0]


def set_password(folder: Path | str, actor: Principal, username: str, password: str) -> None:
    """Set a new password (``manage_users``); ends the account's sessions and its lockout; audited as
    ``user_passwd`` (without the password)."""
    _require_manager(actor)
    check_password(password)
    digest = _HASHER.hash(password)
    with _connect(folder, write=True) as con:
        account, _ = _get(con, username)
        con.execute("UPDATE users SET password_hash = ?, changed_at = ? WHERE username = ?",
                    (digest, audit.now(), account.username))
        con.execute("DELETE FROM sessions WHERE username = ?", (account.username,))
        con.execute("DELETE FROM login_failures WHERE username = ?", (account.username,))
        audit.record(folder, actor, "user_passwd", account.username, {}, con=con, schema="main")


def set_disabled(folder: Path | str, actor: Principal, username: str, disabled: bool = True) -> Account:
    """Disable (ending its sessions at once) or enable (clearing a lockout) an account; audited as
    ``user_disable`` / ``user_enable``. The last enabled administrator cannot be disabled."""
    _require_manager(actor)
    with _connect(folder, write=True) as con:
        account, _ = _get(con, username)
        if disabled and account.role == "admin" and not account.disabled:
            _keep_an_admin(con, account.username)
        con.execute("UPDATE users SET disabled = ?, changed_at = ? WHERE username = ?",
                    (int(disabled), audit.now(), account.username))
        if disabled:
            con.execute("DELETE FROM sessions WHERE username = ?", (account.username,))
        con.execute("DELETE FROM login_failures WHERE username = ?", (account.username,))
        audit.record(folder, actor, "user_disable" if disabled else "user_enable", account.username,
                     {"disabled": [account.disabled, disabled]}, con=con, schema="main")
        return _get(con, account.username)[0]


def list_users(folder: Path | str, actor: Principal) -> list[Account]:
    """Every account, by name (``manage_users``)."""
    _require_manager(actor)
    if not audit.office_db(folder).exists():
        return []
    with _connect(folder) as con:
        return [_account(r) for r in con.execute(f"SELECT {_COLUMNS} FROM users ORDER BY username COLLATE NOCASE")]


def get_user(folder: Path | str, actor: Principal, username: str) -> Account:
    """One account (``manage_users``); :class:`AccountError` if there is none of that name."""
    _require_manager(actor)
    with _connect(folder) as con:
        return _get(con, username)[0]


# --------------------------------------------------------------------------- signing in


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the name is unknown, so that both cases take the same time."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def _verify(digest: str, password: str) -> bool:
    try:
        return _HASHER.verify(digest, password)  # constant-time comparison inside argon2
    except (VerificationError, InvalidHashError):
        return False


_WRONG = ("用户名或密码错误。", "Wrong user name or password.")
_WRONG_HINT = (f"连续输错 {MAX_FAILURES} 次后该用户名将被锁定 {int(LOCKOUT.total_seconds() // 60)} 分钟；"
               "忘记密码请联系管理员重设。",
               f"After {MAX_FAILURES} failures in a row the name is locked for "
               f"{int(LOCKOUT.total_seconds() // 60)} minutes; ask an administrator to reset a forgotten password.")


def _locked_until(con: sqlite3.Connection, name: str, now: datetime) -> datetime | None:
    row = con.execute("SELECT locked_until FROM login_failures WHERE username = ?", (name,)).fetchone()
    if row and row[0] and datetime.fromisoformat(row[0]) > now:
        return datetime.fromisoformat(row[0])
    return None


def _locked_error(until: datetime) -> LoginFailed:
    at = until.astimezone(audit.CHINA_TZ).strftime("%H:%M")
    return LoginFailed(f"登录失败次数过多，该用户名已被暂时锁定，请在 {at} 之后再试。",
                       f"Too many failed sign-ins: this name is locked until {at}.",
                       hint_zh="如需立即解锁，请管理员重设密码或重新启用该账号。",
                       hint_en="An administrator can unlock it by resetting the password or enabling the account.")


def _failed(folder: Path | str, name: str, now: datetime, reason: str) -> LoginFailed:
    """Count a failure for ``name`` (locking it at the limit), audit it, and the error to raise."""
    with _connect(folder, write=True) as con:
        row = con.execute("SELECT failures FROM login_failures WHERE username = ?", (name,)).fetchone()
        failures = (row[0] if row else 0) + 1
        locked = failures >= MAX_FAILURES
        con.execute("INSERT OR REPLACE INTO login_failures (username, failures, locked_until) VALUES (?, ?, ?)",
                    (name, 0 if locked else failures, _iso(now + LOCKOUT) if locked else ""))
        audit.record(folder, ANONYMOUS, "login_failed", name, {"reason": reason, "locked": locked},
                     con=con, schema="main")
    if locked:
        return _locked_error(now + LOCKOUT)
    return LoginFailed(*_WRONG, hint_zh=_WRONG_HINT[0], hint_en=_WRONG_HINT[1])


def login(folder: Path | str, username: str, password: str, *, now: datetime | None = None) -> tuple[str, Principal]:
    """Check a user name and password; on success a new session token and the principal (audited ``login``).

    Refusals are :class:`LoginFailed` with the same message for an unknown name and a wrong password (both cost
    one argon2 verification); a name locked after :data:`MAX_FAILURES` failures is refused without checking the
    password until :data:`LOCKOUT` has passed; a disabled account is refused once its password is right.
    """
    now = _now(now)
    name = (username or "").strip()[:64]
    if not name or not password:
        raise LoginFailed("请输入用户名和密码。", "Enter your user name and password.")
    with _connect(folder) as con:
        until = _locked_until(con, name, now)
        found = _fetch(con, name)
    if until is not None:
        raise _locked_error(until)
    ok = _verify(found[1] if found else _dummy_hash(), password[:MAX_PASSWORD_LENGTH]) and found is not None
    if not ok or found is None:
        raise _failed(folder, name, now, "unknown_user" if found is None else "wrong_password")
    account, digest = found
    if account.disabled:
        audit.record(folder, ANONYMOUS, "login_failed", account.username, {"reason": "disabled", "locked": False})
        raise LoginFailed("该账号已停用。", "This account is disabled.", hint_zh="请联系管理员。",
                          hint_en="Ask an administrator.")
    with _connect(folder, write=True) as con:
        con.execute("DELETE FROM login_failures WHERE username = ?", (account.username,))
        if _HASHER.check_needs_rehash(digest):
            con.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                        (_HASHER.hash(password), account.username))
        principal = account.principal("password")
        token = _new_session(con, principal, now)
        audit.record(folder, principal, "login", account.username, {"via": "password"}, con=con, schema="main")
    return token, principal


def _new_session(con: sqlite3.Connection, principal: Principal, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    con.execute("DELETE FROM sessions WHERE expires_at <= ?", (_iso(now),))  # tidy: expired sessions of anyone
    con.execute("INSERT INTO sessions (token_hash, username, source, created_at, last_seen, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (_token_hash(token), principal.username, principal.source, _iso(now),
                                               _iso(now), _iso(now + min(IDLE_TIMEOUT, ABSOLUTE_TIMEOUT))))
    return token


def start_session(folder: Path | str, username: str, *, source: str = "password", now: datetime | None = None) -> str:
    """A new session token for the enabled account ``username`` without checking a password (used after a
    single sign-on and by tests' sign-in helpers; not audited here)."""
    now = _now(now)
    with _connect(folder, write=True) as con:
        account, _ = _get(con, username)
        if account.disabled:
            raise LoginFailed("该账号已停用。", "This account is disabled.", hint_zh="请联系管理员。")
        return _new_session(con, account.principal(source), now)


def session_user(folder: Path | str, token: str | None, *, now: datetime | None = None) -> Principal | None:
    """The principal of a live session, else None (no such token, expired, the account disabled or gone).

    A live session's expiry moves on with use (idle timeout), but never past :data:`ABSOLUTE_TIMEOUT` after its
    start; an ended session is deleted.
    """
    if not token or not audit.office_db(folder).exists():
        return None
    now = _now(now)
    key = _token_hash(token)
    with _connect(folder) as con:
        row = con.execute(
            f"SELECT s.source, s.created_at, s.last_seen, s.expires_at, {', '.join('u.' + c for c in _COLUMNS.split(', '))} "
            "FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_hash = ?", (key,)).fetchone()
        if row is None:
            return None
        source, created, last_seen, expires = row[:4]
        account = _account(row[4:])
        if account.disabled or datetime.fromisoformat(expires) <= now:
            con.execute("DELETE FROM sessions WHERE token_hash = ?", (key,))
            return None
        if now - datetime.fromisoformat(last_seen) >= TOUCH_EVERY:
            until = min(now + IDLE_TIMEOUT, datetime.fromisoformat(created) + ABSOLUTE_TIMEOUT)
            con.execute("UPDATE sessions SET last_seen = ?, expires_at = ? WHERE token_hash = ?",
                        (_iso(now), _iso(until), key))
        return account.principal(source)


def end_session(folder: Path | str, token: str | None) -> None:
    """Sign out: delete the session (audited ``logout`` when it was live)."""
    if not token or not audit.office_db(folder).exists():
        return
    user = session_user(folder, token)
    with _connect(folder, write=True) as con:
        con.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))
        if user is not None:
            audit.record(folder, user, "logout", user.username, {}, con=con, schema="main")


# --------------------------------------------------------------------------- single sign-on (OIDC)


def principal_for_identity(folder: Path | str, claims: Mapping[str, object]) -> Principal:
    """The account of a single sign-on identity (the OIDC claims Streamlit's ``st.user`` holds): the enabled
    account whose e-mail equals the identity's (case-insensitive). No e-mail, an e-mail the provider marks as
    unverified, no matching account or a disabled one: :class:`LoginFailed` — an identity alone grants nothing."""
    email = str(claims.get("email") or "").strip()
    if not email:
        raise LoginFailed("统一身份认证没有提供电子邮箱，无法对应到账号。", "The identity provider sent no e-mail address.",
                          hint_zh="请管理员在身份提供方的设置中加入 email 信息（scope: openid email）。")
    if claims.get("email_verified") is False:
        raise LoginFailed(f"电子邮箱 {email} 未经身份提供方验证，不能用于登录。", f"{email} is not verified by the provider.")
    if not audit.office_db(folder).exists():
        raise LoginFailed(f"没有与 {email} 对应的账号。", f"No account has the e-mail {email}.")
    with _connect(folder) as con:
        row = con.execute(f"SELECT {_COLUMNS} FROM users WHERE email = ?", (email,)).fetchone()
    if row is None:
        raise LoginFailed(f"没有与 {email} 对应的账号，登录被拒绝。", f"No account has the e-mail {email}; refused.",
                          hint_zh=f"请管理员创建账号时填写该邮箱：python -m bangfu user add 用户名 --role … --email {email}",
                          hint_en="Ask an administrator to create an account with this e-mail (--email).")
    account = _account(row)
    if account.disabled:
        raise LoginFailed("该账号已停用。", "This account is disabled.", hint_zh="请联系管理员。")
    return account.principal("oidc")


def login_identity(folder: Path | str, claims: Mapping[str, object], *, now: datetime | None = None
                   ) -> tuple[str, Principal]:
    """Sign in a single sign-on identity (:func:`principal_for_identity`): a session token and the principal;
    audited ``login`` (or ``login_failed`` when refused)."""
    try:
        principal = principal_for_identity(folder, claims)
    except LoginFailed:
        audit.record(folder, ANONYMOUS, "login_failed", str(claims.get("email") or "")[:200],
                     {"reason": "no_account", "via": "oidc"})
        raise
    token = start_session(folder, principal.username, source="oidc", now=now)
    audit.record(folder, principal, "login", principal.username, {"via": "oidc", "email": str(claims.get("email"))})
    return token, principal
