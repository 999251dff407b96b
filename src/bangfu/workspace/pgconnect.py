"""PostgreSQL/PostGIS workspace locations: parse a ``postgresql://`` URL, find its password, connect, explain faults.

A PostGIS workspace is one schema of a PostgreSQL database, written as a libpq URL::

    postgresql://bangfu@db.example:5432/atlas?schema=kaiping&sslmode=require
    postgresql://bangfu@/atlas?host=/var/run/postgresql&schema=kaiping      (unix socket)

* :func:`is_database` tells such a URL from a GeoPackage path; :func:`parse` turns it into a
  :class:`DatabaseLocation` (schema ``bangfu`` unless ``?schema=`` says otherwise) or raises a
  :class:`~bangfu.workspace.errors.WorkspaceError` in Chinese that quotes only the faulty part, never the password.
* :func:`password` finds the password: in the URL, typed by an administrator in this server process
  (:func:`remember_password`, memory only), ``$BANGFU_PG_PASSWORD``, ``$PGPASSWORD``, or ``.streamlit/secrets.toml``
  (``[postgres] password = ...``, per host ``[postgres.hosts."db.example"] password = ...``). Without one, libpq's
  own ``~/.pgpass`` still applies.
* :func:`connect` opens a psycopg connection and checks the server (PostgreSQL ≥ 12, PostGIS ≥ 3 installed in the
  database); :func:`translate` turns any psycopg error into a :class:`DatabaseFault` naming the host and what to
  check. Both go through one declarative table (:data:`FAULTS`, :data:`SQLSTATE_FAULTS`, :data:`MESSAGE_FAULTS`).

The password is never part of :meth:`DatabaseLocation.display`, ``repr``, a log line or an error message (libpq's
own text is shown only with any password it might contain blanked out). See ``docs/postgis.md``.
"""

from __future__ import annotations

import os
import re
import threading
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import psycopg
from psycopg.conninfo import make_conninfo

from bangfu.workspace.errors import WorkspaceError

__all__ = [
    "DEFAULT_PORT", "DEFAULT_SCHEMA", "FAULTS", "MESSAGE_FAULTS", "MIN_POSTGIS", "MIN_SERVER", "SCHEMES",
    "SQLSTATE_FAULTS", "DatabaseFault", "DatabaseLocation", "Fault", "connect", "forget_password", "forget_passwords", "is_database",
    "parse", "password", "remember_password", "shown", "translate",
]

SCHEMES = ("postgresql", "postgres")
DEFAULT_PORT = 5432
DEFAULT_SCHEMA = "bangfu"
#: A workspace schema name: lower-case ASCII, digits and ``_``, at most 63 characters (PostgreSQL's limit),
#: so it never needs quoting and reads the same in QGIS, psql and a URL.
SCHEMA_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
#: libpq query options a URL may carry besides host/port/user/password/dbname (``schema`` is ours). None of them
#: is a secret (``sslpassword`` is refused as unknown), so :meth:`DatabaseLocation.display` keeps them all.
LIBPQ_OPTIONS = frozenset({
    "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslcompression", "sslsni",
    "requiressl", "channel_binding", "gssencmode", "krbsrvname", "connect_timeout", "application_name",
    "target_session_attrs", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
    "tcp_user_timeout", "client_encoding", "hostaddr", "passfile",
})
#: Oldest server and PostGIS we run on (``server_version_num`` 120000 = PostgreSQL 12).
MIN_SERVER = 120000
MIN_POSTGIS = (3, 0)
#: Environment variables holding the password, first found wins.
PASSWORD_ENV = ("BANGFU_PG_PASSWORD", "PGPASSWORD")
#: Where the password may be kept, like Streamlit's own secrets (first found wins).
SECRETS_FILES = (Path(".streamlit") / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml")
SECRETS_ENV = "BANGFU_SECRETS"  # another secrets.toml, read first


# --------------------------------------------------------------------------------------------------- locations
@dataclass(frozen=True)
class DatabaseLocation:
    """Where a PostGIS workspace lives: server, database, role and schema (never the password's value in repr).

    ``host`` is a name, an address, or a unix-socket directory (starts with ``/``); "" means libpq's default.
    ``options`` are further libpq options (``sslmode``, ``connect_timeout``...) in URL order.
    """

    host: str
    port: int
    dbname: str
    user: str
    schema: str = DEFAULT_SCHEMA
    options: tuple[tuple[str, str], ...] = ()
    url_password: str | None = field(default=None, repr=False, compare=False)

    def where(self) -> str:
        """The server as people name it: ``host:port`` (``本机`` for the default unix socket)."""
        host = self.host or "localhost"
        return f"{host}:{self.port}"

    def display(self) -> str:
        """The URL without the password: what the sidebar shows and ``?ws=`` keeps.

        ``parse(loc.display())`` gives ``loc`` back (without its password)."""
        return self._url(None)

    def url(self, password: str | None = None) -> str:
        """The URL with ``password`` (for a program that needs one string, e.g. a test fixture); never show it."""
        return self._url(password)

    def _url(self, password: str | None) -> str:
        auth = quote(self.user, safe="") if self.user else ""
        if password is not None:
            auth += ":" + quote(password, safe="")
        query: list[tuple[str, str]] = []
        host = self.host
        if host.startswith("/"):  # a socket directory goes in the query (a netloc cannot hold a path)
            query.append(("host", host))
            host = ""
        netloc = (auth + "@" if auth else "") + _url_host(host)
        if self.port != DEFAULT_PORT or self.host.startswith("/"):
            if host:
                netloc += f":{self.port}"
            else:
                query.append(("port", str(self.port)))
        if self.schema != DEFAULT_SCHEMA:
            query.append(("schema", self.schema))
        query += list(self.options)
        text = f"{SCHEMES[0]}://{netloc}/{quote(self.dbname, safe='')}"
        return text + ("?" + urlencode(query, safe="/") if query else "")

    def dsn(self, password: str | None = None, **overrides: Any) -> str:
        """A libpq connection string (key=value, properly quoted) with ``password`` and any ``overrides``."""
        params: dict[str, Any] = {"dbname": self.dbname, "port": self.port}
        if self.host:
            params["host"] = self.host
        if self.user:
            params["user"] = self.user
        params.update(dict(self.options))
        if password is not None:
            params["password"] = password
        params.update({k: v for k, v in overrides.items() if v is not None})
        return make_conninfo("", **params)

    def with_schema(self, schema: str) -> DatabaseLocation:
        """The same database with another workspace schema (checked like a parsed one)."""
        return replace(self, schema=_check_schema(schema))

    def option(self, name: str) -> str | None:
        """The value of the libpq option ``name`` in the URL, or None."""
        return dict(self.options).get(name)

    def __str__(self) -> str:
        return self.display()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else quote(host, safe=".-_~%")


def is_database(location: str | Path | DatabaseLocation) -> bool:
    """True for a ``postgresql://`` or ``postgres://`` URL (or a parsed location); False for a file path."""
    if isinstance(location, DatabaseLocation):
        return True
    if not isinstance(location, str):
        return False  # a Path never is (Path("postgresql://h/db") would already have lost a slash)
    head = location.strip().split("://", 1)[0].lower()
    return "://" in location and head in SCHEMES


def _bad_url(zh: str, en: str) -> WorkspaceError:
    return WorkspaceError(
        f"数据库地址无效：{zh}", f"invalid database URL: {en}",
        hint_zh="格式为 postgresql://用户名@服务器:端口/数据库名?schema=工作空间名（schema 只能用小写字母、数字和下划线，"
                "不超过 63 个字符；密码不要写在地址里，在密码框或 .streamlit/secrets.toml 中提供）。",
        hint_en="Write postgresql://user@host:port/database?schema=workspace (schema: lower-case letters, digits and "
                "underscores, at most 63 characters; give the password in the password field or "
                ".streamlit/secrets.toml rather than in the URL).",
    )


def _check_schema(schema: str) -> str:
    if not SCHEMA_RE.fullmatch(schema):
        shown = schema if len(schema) <= 80 else schema[:77] + "..."
        raise _bad_url(f"工作空间名（schema）“{shown}”不合规则", f"schema name {shown!r} is not allowed")
    if schema.startswith("pg_") or schema in {"public", "information_schema", "topology", "tiger"}:
        raise _bad_url(f"“{schema}”是数据库保留的 schema，不能用作工作空间", f"{schema!r} is a reserved schema")
    return schema


def parse(location: str | DatabaseLocation) -> DatabaseLocation:
    """The :class:`DatabaseLocation` of a ``postgresql://`` URL; a :class:`WorkspaceError` (Chinese, with a hint)
    for a wrong scheme, a missing database name, a bad schema name, a bad port or an unknown option.

    Error messages quote the scheme, schema or option name at fault, never the user-info part of the URL."""
    if isinstance(location, DatabaseLocation):
        return location
    text = location.strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme not in SCHEMES:
        shown = scheme[:20] if scheme else "（没有）"
        raise _bad_url(f"必须以 postgresql:// 开头（现在是 {shown}）", f"must start with postgresql:// (got {shown!r})")
    try:
        parts = urlsplit(text)
        port_in_netloc = parts.port
    except ValueError:
        raise _bad_url("端口必须是 1–65535 之间的整数", "the port must be a whole number from 1 to 65535") from None
    if parts.fragment:
        raise _bad_url("地址中不能有 #", "a URL cannot have a # part")
    query: dict[str, str] = {}
    options: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in query or any(k == key for k, _ in options):
            raise _bad_url(f"参数 {key[:40]} 出现了两次", f"option {key[:40]!r} given twice")
        if key in {"host", "port", "schema", "dbname", "user", "password"}:
            query[key] = value
        elif key in LIBPQ_OPTIONS:
            options.append((key, value))
        else:
            shown = key[:40]
            raise _bad_url(f"不认识的参数 {shown}（可用：schema、sslmode、connect_timeout 等）",
                           f"unknown option {shown!r} (allowed: schema, sslmode, connect_timeout, ...)")
    host = _netloc_host(parts.netloc)
    if "host" in query:
        host = query["host"]
    port = port_in_netloc if port_in_netloc is not None else DEFAULT_PORT
    if "port" in query:
        port_text = query["port"]
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _bad_url("端口必须是 1–65535 之间的整数", "the port must be a whole number from 1 to 65535")
        port = int(port_text)
    if port == 0:
        raise _bad_url("端口必须是 1–65535 之间的整数", "the port must be a whole number from 1 to 65535")
    dbname = query.get("dbname") or unquote(parts.path.lstrip("/"))
    if not dbname or "/" in dbname:
        raise _bad_url("缺少数据库名（地址中服务器后面的 /数据库名）", "no database name (the /name after the server)")
    user = query.get("user") or unquote(parts.username or "")
    secret = query.get("password")
    if secret is None and parts.password is not None:
        secret = unquote(parts.password)
    timeout = dict(options).get("connect_timeout")
    if timeout is not None and not timeout.isdigit():
        raise _bad_url("connect_timeout 必须是整数秒", "connect_timeout must be a whole number of seconds")
    return DatabaseLocation(host=host, port=port, dbname=dbname, user=user,
                            schema=_check_schema(query.get("schema", DEFAULT_SCHEMA)),
                            options=tuple(options), url_password=secret or None)


def _netloc_host(netloc: str) -> str:
    """The host of a URL's netloc as written (``urlsplit().hostname`` would lower-case a socket path)."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        return hostport[1:].partition("]")[0]
    return unquote(hostport.partition(":")[0])


def shown(location: str | Path | DatabaseLocation) -> str:
    """How to show any workspace location: a database URL without its password, a path as it is."""
    if isinstance(location, DatabaseLocation):
        return location.display()
    return parse(location).display() if isinstance(location, str) and is_database(location) else str(location)


# ---------------------------------------------------------------------------------------------------- secrets
_TYPED: dict[tuple[str, int, str, str], str] = {}
_TYPED_LOCK = threading.Lock()


def _server_key(loc: DatabaseLocation) -> tuple[str, int, str, str]:
    return (loc.host, loc.port, loc.dbname, loc.user)


def remember_password(location: str | DatabaseLocation, secret: str) -> None:
    """Keep a password an administrator typed for this server, database and role, in this process's memory only
    (never written anywhere; gone when the app restarts). Other sessions of the same app server reuse it, as they
    would a password in ``.streamlit/secrets.toml``."""
    with _TYPED_LOCK:
        _TYPED[_server_key(parse(location))] = secret


def forget_password(location: str | DatabaseLocation) -> None:
    """Drop the password kept for ``location``'s server, database and role (one that turned out wrong)."""
    with _TYPED_LOCK:
        _TYPED.pop(_server_key(parse(location)), None)


def forget_passwords() -> None:
    """Drop every password kept by :func:`remember_password` (tests; an administrator's "forget")."""
    with _TYPED_LOCK:
        _TYPED.clear()


def _secrets_files(extra: Sequence[Path] | None) -> list[Path]:
    files = list(extra) if extra is not None else []
    if extra is None:
        if os.environ.get(SECRETS_ENV):
            files.append(Path(os.environ[SECRETS_ENV]))
        files += list(SECRETS_FILES)
    return files


def _from_secrets(loc: DatabaseLocation, files: Sequence[Path]) -> str | None:
    for path in files:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        section = data.get("postgres")
        if not isinstance(section, Mapping):
            continue
        hosts = section.get("hosts")
        if isinstance(hosts, Mapping):
            for key in (f"{loc.host}:{loc.port}", loc.host or "localhost"):
                entry = hosts.get(key)
                if isinstance(entry, Mapping) and isinstance(entry.get("password"), str):
                    return str(entry["password"])
        if isinstance(section.get("password"), str):
            return str(section["password"])
    return None


def password(location: str | DatabaseLocation, *, environ: Mapping[str, str] | None = None,
             secrets_files: Sequence[Path] | None = None) -> str | None:
    """The password to connect with, or None (then libpq's ``~/.pgpass`` or a trust/peer login still apply).

    In order: the URL's own password, one typed in this process (:func:`remember_password`),
    ``$BANGFU_PG_PASSWORD``, ``$PGPASSWORD``, ``.streamlit/secrets.toml`` (``$BANGFU_SECRETS`` first, then the
    working folder's, then ``~/.streamlit/``): ``[postgres.hosts."host:port"]`` or ``[postgres.hosts."host"]``
    ``password``, else ``[postgres] password``."""
    loc = parse(location)
    if loc.url_password:
        return loc.url_password
    with _TYPED_LOCK:
        typed = _TYPED.get(_server_key(loc))
    if typed:
        return typed
    env = os.environ if environ is None else environ
    for name in PASSWORD_ENV:
        if env.get(name):
            return env[name]
    return _from_secrets(loc, _secrets_files(secrets_files))


# ----------------------------------------------------------------------------------------------------- faults
@dataclass(frozen=True)
class Fault:
    """One kind of database fault: message and hint in Chinese and English (``{where}`` = ``host:port``,
    ``{db}``, ``{user}``, ``{schema}``, ``{found}`` are filled in)."""

    zh: str
    en: str
    hint_zh: str
    hint_en: str


_CHECK_SERVER_ZH = "数据库没有运行或地址、端口不对：请确认数据库服务已启动，服务器名、端口与防火墙设置正确。"
_CHECK_SERVER_EN = "The database is not running, or the address or port is wrong: check that the server is up, " \
                   "and the host name, port and firewall."
_CHECK_LOGIN_ZH = "用户名或密码不对：请检查地址中的用户名，以及密码框、环境变量 BANGFU_PG_PASSWORD 或 " \
                  ".streamlit/secrets.toml 中的密码。"
_CHECK_LOGIN_EN = "Wrong user name or password: check the user in the URL and the password typed, in " \
                  "BANGFU_PG_PASSWORD or in .streamlit/secrets.toml."

#: Every fault the connection layer tells apart, by kind.
FAULTS: dict[str, Fault] = {
    "unresolved": Fault("无法连接数据库服务器 {where}：找不到这个服务器名", "cannot reach {where}: the host name does not resolve",
                        _CHECK_SERVER_ZH, _CHECK_SERVER_EN),
    "refused": Fault("无法连接数据库服务器 {where}：连接被拒绝", "cannot reach {where}: connection refused",
                     _CHECK_SERVER_ZH, _CHECK_SERVER_EN),
    "timeout": Fault("无法连接数据库服务器 {where}：连接超时", "cannot reach {where}: the connection timed out",
                     _CHECK_SERVER_ZH, _CHECK_SERVER_EN),
    "auth": Fault("数据库服务器 {where} 拒绝登录（用户 {user}）", "{where} refused the login of user {user}",
                  _CHECK_LOGIN_ZH, _CHECK_LOGIN_EN),
    "no_password": Fault("连接数据库服务器 {where} 需要密码（用户 {user}）", "{where} needs a password for user {user}",
                         _CHECK_LOGIN_ZH, _CHECK_LOGIN_EN),
    "no_access": Fault("数据库服务器 {where} 不允许用户 {user} 从这台机器连接数据库 {db}",
                       "{where} does not let user {user} connect to database {db} from this machine",
                       "请数据库管理员在 pg_hba.conf 中允许这台应用服务器，或授予该用户 CONNECT 权限。",
                       "Ask the database administrator to allow this app server in pg_hba.conf or grant CONNECT."),
    "no_database": Fault("数据库服务器 {where} 上没有数据库 {db}", "{where} has no database {db}",
                         "请检查地址中的数据库名，或请数据库管理员执行 CREATE DATABASE 创建它。",
                         "Check the database name in the URL, or ask the administrator to CREATE DATABASE it."),
    "no_postgis": Fault("数据库 {db}（{where}）没有安装 PostGIS 扩展", "database {db} on {where} lacks the PostGIS extension",
                        "请数据库管理员执行 CREATE EXTENSION postgis（Debian：apt-get install postgresql-15-postgis-3）。",
                        "Ask the database administrator to run CREATE EXTENSION postgis "
                        "(Debian: apt-get install postgresql-15-postgis-3)."),
    "old_server": Fault("数据库服务器 {where} 的版本太旧（{found}）", "{where} runs too old a version ({found})",
                        "需要 PostgreSQL 12 或更新版本和 PostGIS 3 或更新版本，请数据库管理员升级。",
                        "PostgreSQL 12 or later with PostGIS 3 or later is needed; ask the administrator to upgrade."),
    "starting": Fault("数据库服务器 {where} 正在启动或关闭", "{where} is starting up or shutting down",
                      "请稍候再试；若持续出现，请数据库管理员检查服务状态。", "Try again shortly; if it persists, ask the administrator."),
    "too_many": Fault("数据库服务器 {where} 的连接数已满", "{where} has too many connections",
                      "请稍候再试，或请数据库管理员调大 max_connections。", "Try again shortly, or raise max_connections."),
    "no_permission": Fault("用户 {user} 没有权限操作数据库 {db} 中的工作空间 {schema}",
                           "user {user} lacks the privileges on workspace {schema} in database {db}",
                           "请数据库管理员授予该用户此 schema 的权限（只读用户只能查看，不能修改）。",
                           "Ask the administrator to grant this role the privileges on the schema "
                           "(a read-only role cannot write)."),
    "read_only": Fault("数据库 {db}（{where}）当前只读", "database {db} on {where} is read-only",
                       "这可能是只读的备用服务器；请连接主服务器。", "This may be a standby; connect to the primary."),
    "lost": Fault("与数据库服务器 {where} 的连接中断了", "the connection to {where} was lost",
                  "本次操作没有保存（数据库自动撤销了未完成的部分）。请确认数据库服务正常后重试。",
                  "Nothing of this operation was saved (the database rolled the unfinished part back). "
                  "Retry once the server is up."),
    "busy": Fault("工作空间 {schema} 正被其他操作占用", "workspace {schema} is busy with another operation",
                  "请稍候再试（另一位用户正在导入或修改数据）。", "Try again shortly (someone is importing or editing)."),
    "canceled": Fault("数据库服务器 {where} 中止了这次操作（超时或被取消）", "{where} cancelled the operation (timeout or cancel)",
                      "本次操作没有保存。请稍后重试；若总是超时，请缩小范围或请管理员检查服务器负载。",
                      "Nothing was saved. Retry later; if it always times out, narrow the request."),
    "other": Fault("无法使用数据库服务器 {where} 上的工作空间", "cannot use the workspace on {where}",
                   "请把下面的详细信息告诉数据库管理员。", "Show the details below to the database administrator."),
}

#: SQLSTATE (or its two-character class) -> fault kind, for errors the server reports with a code.
SQLSTATE_FAULTS: dict[str, str] = {
    "28P01": "auth", "28000": "no_access", "3D000": "no_database", "42501": "no_permission",
    "57P03": "starting", "57P01": "lost", "57P02": "lost", "53300": "too_many", "25006": "read_only",
    "55P03": "busy", "57014": "canceled", "08": "lost",
}

#: libpq/psycopg message text -> fault kind, for faults without a code (all connection attempts: libpq reports
#: them as text only). English and the Chinese of a zh_CN server; first match wins.
MESSAGE_FAULTS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.IGNORECASE), kind) for p, kind in (
    (r"could not translate host name|failed to resolve host|Name or service not known|nodename nor servname|"
     r"Temporary failure in name resolution", "unresolved"),
    (r"timeout expired|timed out", "timeout"),
    (r"Connection refused|No such file or directory|Network is unreachable|No route to host|"
     r"received invalid response to SSL negotiation|server closed the connection unexpectedly before", "refused"),
    (r"no password supplied|password is required", "no_password"),
    (r"password authentication failed|authentication failed for user|Password 认证失败|认证失败", "auth"),
    (r'role ".*" does not exist|角色 ".*" 不存在', "auth"),
    (r'database ".*" does not exist|数据库 ".*" 不存在', "no_database"),
    (r"no pg_hba\.conf entry|permission denied for database|没有 pg_hba\.conf", "no_access"),
    (r"the database system is (starting up|shutting down|in recovery mode)|数据库系统", "starting"),
    (r"too many (connections|clients)|remaining connection slots", "too_many"),
    (r"server closed the connection|terminating connection|connection is (closed|lost|bad)|"
     r"consuming input failed|SSL SYSCALL error|EOF detected", "lost"),
))


class DatabaseFault(WorkspaceError):
    """A database that cannot be reached or used: ``kind`` is a key of :data:`FAULTS`; the message names the
    server and what to check, in Chinese first. libpq's own text (password blanked) is in ``details``."""

    def __init__(self, kind: str, loc: DatabaseLocation, *, found: str = "", detail: str = "") -> None:
        fault = FAULTS[kind]
        values = {"where": loc.where(), "db": loc.dbname, "user": loc.user or "（默认）", "schema": loc.schema,
                  "found": found}
        super().__init__(fault.zh.format(**values), fault.en.format(**values), hint_zh=fault.hint_zh,
                         hint_en=fault.hint_en, details=(detail,) if detail else ())
        self.kind = kind
        self.location = loc


def _kind_of(exc: BaseException) -> str:
    if isinstance(exc, getattr(psycopg.errors, "ConnectionTimeout", ())):
        return "timeout"
    code = getattr(exc, "sqlstate", None)
    if code:
        for key in (code, code[:2]):
            if key in SQLSTATE_FAULTS:
                return SQLSTATE_FAULTS[key]
    text = str(exc)
    for pattern, kind in MESSAGE_FAULTS:
        if pattern.search(text):
            return kind
    return "other"


def _blank(text: str, secrets: Sequence[str | None]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return " ".join(text.split())[:300]


def translate(exc: BaseException, location: str | DatabaseLocation, *,
              secret: str | None = None) -> DatabaseFault:
    """The :class:`DatabaseFault` for a psycopg (or socket) error met while using ``location``.

    Use it around any database work: ``except psycopg.Error as exc: raise pgconnect.translate(exc, loc) from None``
    (``from None``: the original traceback, which may quote a connection string, is not chained)."""
    loc = parse(location)
    kind = _kind_of(exc)
    return DatabaseFault(kind, loc, detail=_blank(str(exc), [secret, loc.url_password]))


# ---------------------------------------------------------------------------------------------------- connect
def connect(location: str | DatabaseLocation, *, autocommit: bool = False, connect_timeout: int = 5,
            secret: str | None = None, require_postgis: bool = True) -> psycopg.Connection[Any]:
    """An open psycopg connection to ``location``'s database, checked: PostgreSQL ≥ 12 and (unless
    ``require_postgis=False``, for a tool that creates the extension itself) PostGIS ≥ 3 installed.

    ``secret`` overrides :func:`password`. ``connect_timeout`` (seconds, at least 2 in libpq) applies unless the
    URL sets its own. Every failure is a :class:`DatabaseFault` (Chinese message naming ``host:port`` and what
    to check; never the password, no chained traceback)."""
    loc = parse(location)
    pw = secret if secret is not None else password(loc)
    timeout = loc.option("connect_timeout") or str(connect_timeout)
    try:
        conn = psycopg.connect(loc.dsn(pw, connect_timeout=timeout), autocommit=autocommit)
    except (psycopg.Error, OSError) as exc:
        raise translate(exc, loc, secret=pw) from None
    try:
        _check_server(conn, loc, require_postgis=require_postgis)
    except BaseException:
        conn.close()
        raise
    return conn


def _check_server(conn: psycopg.Connection[Any], loc: DatabaseLocation, *, require_postgis: bool) -> None:
    version = conn.info.server_version
    if version < MIN_SERVER:
        raise DatabaseFault("old_server", loc, found=f"PostgreSQL {version // 10000}")
    if not require_postgis:
        return
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            row = cur.fetchone()
        if not conn.autocommit:
            conn.rollback()
    except psycopg.Error as exc:
        raise translate(exc, loc) from None
    if row is None:
        raise DatabaseFault("no_postgis", loc)
    found = str(row[0])
    numbers = tuple(int(n) for n in re.findall(r"\d+", found)[:2])
    if numbers < MIN_POSTGIS:
        raise DatabaseFault("old_server", loc, found=f"PostGIS {found}")
