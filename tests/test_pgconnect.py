"""PostGIS workspace locations (bangfu.workspace.pgconnect): URL parsing, password sources, and the Chinese fault
messages of a real server (wrong password, no database, no PostGIS, refused, unresolved, timeout, lost)."""

from __future__ import annotations

import socket
import threading
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql

from bangfu.workspace import pgconnect as pg
from bangfu.workspace.errors import WorkspaceError


@pytest.fixture(autouse=True)
def _no_typed_passwords(monkeypatch: pytest.MonkeyPatch):
    """No password from the environment, secrets files or an earlier test leaks into a test."""
    for name in pg.PASSWORD_ENV + (pg.SECRETS_ENV,):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pg, "SECRETS_FILES", ())
    pg.forget_passwords()
    yield
    pg.forget_passwords()


def _all_text(exc: WorkspaceError) -> str:
    return "\n".join([exc.message("zh"), exc.message("en"), exc.hint("zh"), exc.hint("en"), *exc.details, str(exc)])


# ------------------------------------------------------------------------------------------------------- parse
def test_is_database_tells_urls_from_paths():
    assert pg.is_database("postgresql://h/db") and pg.is_database("POSTGRES://h/db") and pg.is_database(" postgres://h/d")
    assert not pg.is_database("workspace.gpkg") and not pg.is_database("/srv/ws/workspace.gpkg")
    assert not pg.is_database(Path("postgresql://h/db")) and not pg.is_database("mysql://h/db")
    assert not pg.is_database("postgresql.gpkg")


def test_parse_reads_every_part_and_defaults():
    loc = pg.parse("postgresql://bangfu:pw@db.example:5433/atlas?schema=kaiping&sslmode=require&connect_timeout=3")
    assert (loc.host, loc.port, loc.dbname, loc.user, loc.schema) == ("db.example", 5433, "atlas", "bangfu", "kaiping")
    assert loc.options == (("sslmode", "require"), ("connect_timeout", "3")) and loc.url_password == "pw"
    assert loc.display() == "postgresql://bangfu@db.example:5433/atlas?schema=kaiping&sslmode=require&connect_timeout=3"
    plain = pg.parse("postgres://h/db")
    assert (plain.port, plain.schema, plain.user, plain.url_password) == (5432, "bangfu", "", None)
    sock = pg.parse("postgresql://me@/db?host=/var/run/Postgres&port=5441")
    assert (sock.host, sock.port) == ("/var/run/Postgres", 5441)
    assert pg.parse("postgresql://%2Fvar%2Frun%2FPg/db").host == "/var/run/Pg"
    assert pg.parse("postgresql://u@[::1]:6000/d").host == "::1"
    assert pg.parse(sock.display()) == sock


def test_dsn_is_a_quoted_libpq_string():
    loc = pg.parse("postgresql://u@h/db?sslmode=require")
    dsn = loc.dsn("it's a 'pw'", connect_timeout="4")
    parsed = psycopg.conninfo.conninfo_to_dict(dsn)
    assert parsed == {"dbname": "db", "port": "5432", "host": "h", "user": "u", "sslmode": "require",
                      "password": "it's a 'pw'", "connect_timeout": "4"}


@pytest.mark.parametrize(("url", "words"), [
    ("http://h/db", "postgresql://"),
    ("h/db", "postgresql://"),
    ("postgresql://h", "数据库名"),
    ("postgresql://h/", "数据库名"),
    ("postgresql://h/db?schema=Kaiping", "Kaiping"),
    ("postgresql://h/db?schema=1abc", "1abc"),
    ("postgresql://h/db?schema=" + "a" * 64, "不合规则"),
    ("postgresql://h/db?schema=public", "保留"),
    ("postgresql://h/db?schema=pg_catalog", "保留"),
    ("postgresql://h:99999/db", "端口"),
    ("postgresql://h:0/db", "端口"),
    ("postgresql://h:abc/db", "端口"),
    ("postgresql://h/db?port=x1", "端口"),
    ("postgresql://h/db?colour=red", "colour"),
    ("postgresql://h/db?schema=a&schema=b", "两次"),
    ("postgresql://h/db?connect_timeout=soon", "connect_timeout"),
])
def test_bad_urls_are_refused_in_chinese_with_a_hint(url, words):
    with pytest.raises(WorkspaceError) as err:
        pg.parse(url)
    assert err.value.message_zh.startswith("数据库地址无效：") and words in err.value.message_zh
    assert "postgresql://用户名@服务器" in err.value.hint_zh


SECRET = "Zq7-unique-" + uuid.uuid4().hex  # appears nowhere else


@pytest.mark.parametrize("url", [
    f"postgresql://u:{SECRET}/db",  # no @: the password parses as a port
    f"postgresql://u:{SECRET}@h:99999/db",
    f"postgresql://u:{SECRET}@h/db?schema=Bad",
    f"postgresql://u:{SECRET}@h/db?colour=1",
    f"postgresql://u:{SECRET}@h",
    f"postgresql://u@h/db?password={SECRET}&port=x",
    f"http://u:{SECRET}@h/db",
])
def test_a_bad_url_never_quotes_its_password(url):
    with pytest.raises(WorkspaceError) as err:
        pg.parse(url)
    assert SECRET not in _all_text(err.value)


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(host=st.one_of(st.just(""), st.from_regex(r"[a-z][a-z0-9\-]{0,10}(\.[a-z]{2,5})?", fullmatch=True),
                      st.from_regex(r"/[A-Za-z0-9_/]{1,15}", fullmatch=True)),
       port=st.integers(1, 65535), dbname=names.filter(lambda s: "/" not in s), user=st.one_of(st.just(""), names),
       schema=st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True).filter(
           lambda s: not s.startswith("pg_") and s not in {"public", "topology", "tiger", "information_schema"}),
       secret=names, sslmode=st.sampled_from([None, "require", "disable"]))
def test_display_round_trips_and_never_shows_the_password(host, port, dbname, user, schema, secret, sslmode):
    loc = pg.DatabaseLocation(host, port, dbname, user, schema, (("sslmode", sslmode),) if sslmode else ())
    with_pw = pg.parse(loc.url(secret))
    assert with_pw == loc and with_pw.url_password == secret
    assert pg.parse(loc.display()) == loc and pg.parse(loc.display()).url_password is None
    # what is shown of a location with a password is exactly what is shown of one without
    assert with_pw.display() == str(with_pw) == loc.display() and repr(with_pw) == repr(loc)
    marked = pg.parse(loc.url(SECRET + secret))
    assert SECRET not in marked.display() + repr(marked) and quote(SECRET) not in marked.display()


# ---------------------------------------------------------------------------------------------------- secrets
def test_password_sources_in_order(tmp_path: Path):
    url = "postgresql://u@db.example:6432/atlas"
    local, home = tmp_path / "local.toml", tmp_path / "home.toml"
    home.write_text('[postgres]\npassword = "from-home"\n', encoding="utf-8")
    local.write_text('[postgres]\npassword = "generic"\n[postgres.hosts."db.example"]\npassword = "by-host"\n'
                     '[postgres.hosts."db.example:6432"]\npassword = "by-host-port"\n', encoding="utf-8")
    files = [local, home]
    env = {"BANGFU_PG_PASSWORD": "bangfu-env", "PGPASSWORD": "pg-env"}
    assert pg.password(url + "?schema=x", environ={}, secrets_files=[tmp_path / "missing.toml"]) is None
    assert pg.password(url, environ={}, secrets_files=[home]) == "from-home"
    assert pg.password(url, environ={}, secrets_files=files) == "by-host-port"
    assert pg.password("postgresql://u@db.example/atlas", environ={}, secrets_files=files) == "by-host"
    assert pg.password("postgresql://u@other/atlas", environ={}, secrets_files=files) == "generic"
    assert pg.password(url, environ={"PGPASSWORD": "pg-env"}, secrets_files=files) == "pg-env"
    assert pg.password(url, environ=env, secrets_files=files) == "bangfu-env"
    pg.remember_password(url + "?schema=other", "typed")  # the same server, database and role
    assert pg.password(url, environ=env, secrets_files=files) == "typed"
    assert pg.password("postgresql://v@db.example:6432/atlas", environ={}, secrets_files=[]) is None
    assert pg.password("postgresql://u:in-url@db.example:6432/atlas", environ=env, secrets_files=files) == "in-url"
    pg.forget_passwords()
    assert pg.password(url, environ={}, secrets_files=[]) is None


def test_a_broken_secrets_file_is_passed_over(tmp_path: Path):
    bad, good = tmp_path / "bad.toml", tmp_path / "good.toml"
    bad.write_text("[postgres\npassword=", encoding="utf-8")
    good.write_text('postgres = "not a table"\n', encoding="utf-8")
    assert pg.password("postgresql://h/db", environ={}, secrets_files=[bad, good]) is None


def test_the_secrets_file_is_found_through_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "secrets.toml"
    path.write_text('[postgres]\npassword = "env-file"\n', encoding="utf-8")
    monkeypatch.setenv(pg.SECRETS_ENV, str(path))
    assert pg.password("postgresql://h/db", environ={}) == "env-file"


# ------------------------------------------------------------------------------------------------------ faults
def test_every_fault_kind_has_a_message_that_formats():
    kinds = set(pg.SQLSTATE_FAULTS.values()) | {kind for _, kind in pg.MESSAGE_FAULTS}
    assert kinds <= set(pg.FAULTS)
    loc = pg.parse("postgresql://u@h/db")
    for kind in pg.FAULTS:
        exc = pg.DatabaseFault(kind, loc, found="x")
        assert "{" not in exc.message_zh + exc.message_en and exc.hint_zh and exc.hint_en and exc.kind == kind


@pytest.mark.parametrize(("text", "kind"), [
    ('connection to server at "10.0.0.5", port 5432 failed: Connection refused', "refused"),
    ('could not translate host name "db" to address: Name or service not known', "unresolved"),
    ("connection timeout expired", "timeout"),
    ('FATAL:  password authentication failed for user "u"', "auth"),
    ('FATAL:  role "u" does not exist', "auth"),
    ('FATAL:  用户 "u" Password 认证失败', "auth"),
    ('FATAL:  database "x" does not exist', "no_database"),
    ('FATAL:  数据库 "x" 不存在', "no_database"),
    ('FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "u", database "d"', "no_access"),
    ("fe_sendauth: no password supplied", "no_password"),
    ("FATAL:  the database system is starting up", "starting"),
    ("FATAL:  sorry, too many clients already", "too_many"),
    ("server closed the connection unexpectedly", "lost"),
    ("something nobody expected", "other"),
])
def test_libpq_texts_map_to_kinds(text, kind):
    assert pg.translate(psycopg.OperationalError(text), "postgresql://h/db").kind == kind


# -------------------------------------------------------------------------------------------- against a server
@pytest.mark.postgis
def test_the_server_url_takes_a_schema_by_appending_it(pg_server):
    assert "?" not in pg_server
    loc = pg.parse(pg_server + "?schema=t_appended")
    assert loc.schema == "t_appended" and loc.dbname and pg.parse(pg_server).with_schema("t_appended") == loc
    pg.connect(loc).close()


@pytest.mark.postgis
def test_connect_checks_postgis_and_sets_nothing_else(pg_url):
    with pg.connect(pg_url) as conn:
        assert conn.execute("SELECT postgis_lib_version()").fetchone()[0] >= "3"
        assert not conn.autocommit
    with pg.connect(pg_url, autocommit=True) as conn:
        assert conn.autocommit


@pytest.mark.postgis
def test_the_password_comes_from_the_environment_or_a_typed_one(pg_url, monkeypatch):
    loc = pg.parse(pg_url)
    if not loc.url_password:
        pytest.skip("the test server URL carries no password")
    bare = loc.display()
    monkeypatch.setenv("PGPASSWORD", "wrong-" + uuid.uuid4().hex)
    with pytest.raises(pg.DatabaseFault) as err:
        pg.connect(bare)
    assert err.value.kind == "auth"
    monkeypatch.setenv("BANGFU_PG_PASSWORD", loc.url_password)
    pg.connect(bare).close()
    monkeypatch.delenv("BANGFU_PG_PASSWORD")
    pg.remember_password(bare, loc.url_password)
    pg.connect(bare).close()


def _server(pg_server: str) -> pg.DatabaseLocation:
    return pg.parse(pg_server)


@pytest.mark.postgis
def test_a_wrong_password_names_the_server_and_never_the_password(pg_server):
    loc = _server(pg_server)
    wrong = "Wq9-never-elsewhere-" + uuid.uuid4().hex
    with pytest.raises(pg.DatabaseFault) as err:
        pg.connect(loc.url(wrong))
    exc = err.value
    assert exc.kind == "auth" and loc.where() in exc.message_zh and "用户名或密码不对" in exc.hint_zh
    assert wrong not in _all_text(exc) and exc.__cause__ is None and exc.__suppress_context__
    with pytest.raises(pg.DatabaseFault) as err2:
        pg.connect(loc.display(), secret=wrong)
    assert err2.value.kind == "auth" and wrong not in _all_text(err2.value)


@pytest.mark.postgis
def test_a_missing_database_is_named(pg_server):
    loc = _server(pg_server)
    missing = "no_such_db_" + uuid.uuid4().hex[:8]
    with pytest.raises(pg.DatabaseFault) as err:
        pg.connect(pg.DatabaseLocation(loc.host, loc.port, missing, loc.user, url_password=loc.url_password))
    assert err.value.kind == "no_database" and missing in err.value.message_zh and "CREATE DATABASE" in err.value.hint_zh


@pytest.mark.postgis
def test_a_database_without_postgis_asks_for_the_extension(pg_server):
    loc = _server(pg_server)
    bare = "nopostgis_" + uuid.uuid4().hex[:8]
    with pg.connect(loc, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(bare)))
    try:
        other = pg.DatabaseLocation(loc.host, loc.port, bare, loc.user, url_password=loc.url_password)
        with pytest.raises(pg.DatabaseFault) as err:
            pg.connect(other)
        assert err.value.kind == "no_postgis" and "CREATE EXTENSION postgis" in err.value.hint_zh
        assert bare in err.value.message_zh and loc.where() in err.value.message_zh
        pg.connect(other, require_postgis=False).close()
    finally:
        with pg.connect(loc, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(bare)))


@pytest.mark.postgis
def test_too_old_a_server_is_refused(pg_server, monkeypatch):
    monkeypatch.setattr(pg, "MIN_SERVER", 990000)
    with pytest.raises(pg.DatabaseFault) as err:
        pg.connect(pg_server)
    assert err.value.kind == "old_server" and "PostgreSQL" in err.value.message_zh
    monkeypatch.setattr(pg, "MIN_SERVER", 0)
    monkeypatch.setattr(pg, "MIN_POSTGIS", (99, 0))
    with pytest.raises(pg.DatabaseFault) as err:
        pg.connect(pg_server)
    assert err.value.kind == "old_server" and "PostGIS" in err.value.message_zh


@pytest.mark.postgis
def test_a_connection_killed_mid_transaction_is_reported_as_lost(pg_url):
    with pg.connect(pg_url) as victim, pg.connect(pg_url, autocommit=True) as killer:
        pid = victim.info.backend_pid
        victim.execute("SELECT 1")
        killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(psycopg.OperationalError) as err:
            victim.execute("SELECT 1")
        fault = pg.translate(err.value, pg_url)
    assert fault.kind == "lost" and "没有保存" in fault.hint_zh


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_database_that_is_down_is_refused():
    port = _closed_port()
    with pytest.raises(pg.DatabaseFault) as err:
        pg.connect(f"postgresql://u:{SECRET}@127.0.0.1:{port}/db")
    exc = err.value
    assert exc.kind == "refused" and f"127.0.0.1:{port}" in exc.message_zh
    assert "数据库没有运行或地址、端口不对" in exc.hint_zh and SECRET not in _all_text(exc)


def test_a_socket_folder_without_a_server_is_refused(tmp_path):
    with pytest.raises(pg.DatabaseFault) as err:
        pg.connect(f"postgresql://u@/db?host={tmp_path}&port=5999")
    assert err.value.kind == "refused" and str(tmp_path) in err.value.message_zh


def test_an_unknown_host_is_named(monkeypatch):
    real = socket.getaddrinfo

    def offline(host, *args, **kwargs):  # no DNS query leaves the machine
        if host == "atlas-db.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    with pytest.raises(pg.DatabaseFault) as err:
        pg.connect(f"postgresql://u:{SECRET}@atlas-db.invalid/db")
    assert err.value.kind == "unresolved" and "atlas-db.invalid:5432" in err.value.message_zh
    assert SECRET not in _all_text(err.value)


def test_a_server_that_never_answers_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:  # take the connection and say nothing
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        with pytest.raises(pg.DatabaseFault) as err:
            pg.connect(f"postgresql://u@127.0.0.1:{listener.getsockname()[1]}/db", connect_timeout=2)
        assert err.value.kind == "timeout" and "超时" in err.value.message_zh
        assert "数据库没有运行或地址、端口不对" in err.value.hint_zh
    finally:
        stop.set()
        thread.join()
        for s in accepted:
            s.close()
        listener.close()
