"""PostGIS workspaces at the entry points (bangfu.workspace.locations, bangfu.ui.workspaces, the CLI): a URL passes
through as a string without its password; the sidebar's connect form (administrators only) shows a bad URL, a wrong
password and a database that is down as Chinese messages, never a traceback or the password."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bangfu.workspace import audit, locations, pgconnect
from bangfu.workspace.access import AccessDenied, Principal
from bangfu.ui import workspaces as ui_ws

ROOT = Path(__file__).resolve().parents[1]
ADMIN = Principal("tester", "admin", source="cli")
SECRET = "Pk4-nowhere-else-" + uuid.uuid4().hex


@pytest.fixture(autouse=True)
def _clean_passwords(monkeypatch: pytest.MonkeyPatch):
    for name in pgconnect.PASSWORD_ENV + (pgconnect.SECRETS_ENV,):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pgconnect, "SECRETS_FILES", ())
    pgconnect.forget_passwords()
    yield
    pgconnect.forget_passwords()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------------------- locations (no UI)
def test_entry_location_keeps_paths_and_strips_passwords(tmp_path: Path):
    assert locations.entry_location(str(tmp_path / "ws.gpkg")) == tmp_path / "ws.gpkg"
    assert locations.entry_location(tmp_path) == tmp_path
    shown = locations.entry_location(f"postgresql://u:{SECRET}@db.example/atlas?schema=kaiping")
    assert shown == "postgresql://u@db.example/atlas?schema=kaiping" and isinstance(shown, str)
    assert pgconnect.password(shown) == SECRET, "the password stays in this process for the connection"
    with pytest.raises(pgconnect.WorkspaceError):
        locations.entry_location("postgresql://db.example/atlas?schema=Bad")


def test_bangfu_workspace_may_be_a_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from bangfu.workspace import store

    monkeypatch.setenv("BANGFU_WORKSPACE", f"postgresql://u:{SECRET}@db.example:6000/atlas")
    monkeypatch.setenv("BANGFU_OFFICE", str(tmp_path / "office"))
    assert locations.configured_database() == "postgresql://u@db.example:6000/atlas"
    assert store.default_workspace_dir() == tmp_path / "office", "the office folder is not the URL"
    monkeypatch.delenv("BANGFU_OFFICE")
    assert "://" not in str(store.default_workspace_dir())
    assert locations.configured_database({"BANGFU_WORKSPACE": str(tmp_path)}) is None
    assert locations.configured_database({}) is None


def test_the_office_list_of_databases(tmp_path: Path):
    folder = tmp_path / "office"
    folder.mkdir()
    url = f"postgresql://u:{SECRET}@db.example/atlas?schema=kaiping"
    shown = locations.add_database(folder, url, user=ADMIN)
    again = locations.add_database(folder, "postgresql://u@db.example/atlas?schema=kaiping", user=ADMIN)
    assert shown == again == "postgresql://u@db.example/atlas?schema=kaiping"
    text = (folder / locations.DATABASES_FILE).read_text(encoding="utf-8")
    assert text == shown + "\n" and SECRET not in text
    with (folder / locations.DATABASES_FILE).open("a", encoding="utf-8") as fh:
        fh.write("# a comment\nnot a url\npostgresql://h/db?schema=BAD\npostgresql://h/other\n")
    env = {"BANGFU_WORKSPACE": "postgresql://h/other"}
    assert locations.database_workspaces(folder, env) == ["postgresql://h/other", shown]
    assert locations.database_workspaces(folder, {}) == [shown, "postgresql://h/other"]
    rows = audit.entries(folder, user=ADMIN)
    assert list(rows["action"]).count("add_database") == 1 and SECRET not in rows.to_string()
    with pytest.raises(AccessDenied):
        locations.add_database(folder, "postgresql://h/x", user=Principal("li", "county_planner", source="cli"))


# ------------------------------------------------------------------------------------------------ the sidebar
def _page(folder: Path | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "help.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    if folder is not None:
        from factories import sign_in

        sign_in(at, folder, "li")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _submit(at: AppTest, url: str, secret: str = "") -> AppTest:
    at.text_input(key=ui_ws.URL_KEY).input(url)
    at.text_input(key=ui_ws.PASSWORD_KEY).input(secret)
    next(b for b in at.button if b.label == "连接并切换").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _value(widget) -> str:
    """A text field's value as the server holds it ("" once the server has forgotten it)."""
    try:
        return widget.value
    except KeyError:
        return ""


def _page_text(at: AppTest) -> str:
    """Everything the page holds: every element's protobuf (labels, values, messages), the widget values and
    the session state, and the URL parameters."""
    parts: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    parts += [repr(_value(w)) for w in at.text_input]
    parts += [f"{k}={v!r}" for k, v in at.session_state.to_dict().items()]
    parts.append(repr(dict(at.query_params)))
    return "\n".join(parts)


def _sidebar_errors(at: AppTest) -> list[str]:
    """The sidebar's error messages as read (Markdown escapes and word joiners taken out)."""
    return [e.value.replace("\\", "").replace("\u2060", "") for e in at.sidebar.error]


def test_a_bad_url_is_a_chinese_message():
    at = _submit(_page(), f"postgresql://u:{SECRET}@db.example:99999/atlas")
    errors = _sidebar_errors(at)
    assert any("数据库地址无效：端口必须是 1–65535 之间的整数" in e for e in errors), errors
    assert SECRET not in _page_text(at)
    at = _submit(at, "mysql://db.example/atlas")
    assert any("必须以 postgresql:// 开头" in e for e in _sidebar_errors(at))


def test_a_database_that_is_down_names_the_server():
    port = _closed_port()
    at = _submit(_page(), f"postgresql://u@127.0.0.1:{port}/atlas?schema=kaiping", SECRET)
    text = "\n".join(_sidebar_errors(at))
    assert f"无法连接数据库服务器 127.0.0.1:{port}：连接被拒绝" in text.replace("\\", "")
    assert "数据库没有运行或地址、端口不对" in text
    assert SECRET not in _page_text(at) and _value(at.text_input(key=ui_ws.PASSWORD_KEY)) == ""
    assert pgconnect.password(f"postgresql://u@127.0.0.1:{port}/atlas") is None, "a failed password is not kept"
    assert "ws" not in at.query_params


@pytest.mark.postgis
def test_a_wrong_password_is_a_chinese_message_without_the_password(pg_url):
    loc = pgconnect.parse(pg_url)
    at = _submit(_page(), loc.display(), SECRET)
    text = "\n".join(_sidebar_errors(at)).replace("\\", "")
    assert f"数据库服务器 {loc.where()} 拒绝登录" in text and "用户名或密码不对" in text
    assert SECRET not in _page_text(at)
    assert "ws" not in at.query_params
    # a URL carrying the wrong password: the same, and the URL field is emptied too
    at = _submit(at, loc.url(SECRET))
    assert any("拒绝登录" in e for e in _sidebar_errors(at)) and SECRET not in _page_text(at)
    assert _value(at.text_input(key=ui_ws.URL_KEY)) == ""


@pytest.mark.postgis
def test_an_empty_schema_is_refused_and_not_listed(pg_url, tmp_path, monkeypatch):
    loc = pgconnect.parse(pg_url)
    folder = tmp_path / "office"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    at = _submit(_page(), loc.display(), loc.url_password or "")
    assert any("数据库中没有这个工作空间" in e for e in _sidebar_errors(at)), _sidebar_errors(at)
    assert not (folder / locations.DATABASES_FILE).exists() and "ws" not in at.query_params
    assert pgconnect.password(loc.display(), environ={}) is None, "the typed password is not kept"


@pytest.mark.postgis
def test_connecting_keeps_the_url_without_password(pg_url, tmp_path, monkeypatch):
    from bangfu.core.resources import DEMO_PATH
    from bangfu.workspace import transfer

    loc = pgconnect.parse(pg_url)
    if not loc.url_password:
        pytest.skip("the test server URL carries no password")
    transfer.copy_workspace(DEMO_PATH, pg_url)
    folder = tmp_path / "office"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    at = _submit(_page(), loc.display(), loc.url_password)
    assert at.query_params["ws"] in (loc.display(), [loc.display()])
    assert (folder / locations.DATABASES_FILE).read_text(encoding="utf-8") == loc.display() + "\n"
    assert loc.url_password not in _page_text(at)
    assert pgconnect.password(loc.display()) == loc.url_password, "kept in this server's memory"


def test_the_connect_form_is_for_administrators_only(tmp_path, monkeypatch):
    from factories import account, workspace
    from factories import import_households, import_villages

    folder = tmp_path / "office"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    workspace(folder, villages=import_villages(), households=import_households())
    account(folder, "chief", "admin")
    account(folder, "li", "county_planner")
    at = _page(folder)
    assert not [x for x in at.text_input if x.key == ui_ws.URL_KEY]


# -------------------------------------------------------------------------------------------- the command line
def test_cli_workspace_arguments_pass_a_url_through_as_a_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from bangfu.cli import commands
    from bangfu.workspace import store

    folder = tmp_path / "office"
    folder.mkdir()
    assert locations.workspace_argument(str(folder)) == folder / "workspace.gpkg"
    assert locations.workspace_argument(str(folder / "x.gpkg")) == folder / "x.gpkg"
    url = f"postgresql://u:{SECRET}@db.example/atlas?schema=kaiping"
    assert locations.workspace_argument(url) == "postgresql://u@db.example/atlas?schema=kaiping"
    assert store.office_folder("postgresql://u@db.example/atlas") == store.default_workspace_dir()
    assert store.office_folder(folder / "x.gpkg") == folder
    seen: list[object] = []

    def refuse(location, **_kw):  # what the store is handed, and a Chinese refusal like the real one
        seen.append(location)
        raise pgconnect.DatabaseFault("refused", pgconnect.parse(location))

    monkeypatch.setattr(store, "check_workspace_file", refuse)
    code = commands.main(["summary", "--workspace", url])
    assert code == commands.EXIT_ERROR and seen == ["postgresql://u@db.example/atlas?schema=kaiping"]


def test_grant_readonly_refuses_a_path_and_a_bad_role(capsys):
    from bangfu.cli import commands

    assert commands.main(["db", "grant-readonly", "/tmp/ws.gpkg", "--role", "qgis"]) == commands.EXIT_ERROR
    assert "postgresql://" in capsys.readouterr().err
    assert commands.main(["db", "grant-readonly", "postgresql://h/db", "--role", "Bad-Name"]) == commands.EXIT_ERROR
    assert "角色名" in capsys.readouterr().err


@pytest.mark.postgis
def test_grant_readonly_gives_select_and_nothing_else(pg_url, monkeypatch, capsys, tmp_path):
    import io

    import psycopg
    from psycopg import sql

    from bangfu.cli import commands

    loc = pgconnect.parse(pg_url)
    with pgconnect.connect(loc, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(loc.schema)))
        conn.execute(sql.SQL("CREATE TABLE {}.villages (code text, geom geometry(MultiPolygon, 4326))")
                     .format(sql.Identifier(loc.schema)))
        conn.execute(sql.SQL("INSERT INTO {}.villages VALUES ('440783100001', NULL)").format(sql.Identifier(loc.schema)))
    role = f"qgis_{uuid.uuid4().hex[:8]}"
    reader_pw = "Rd-" + uuid.uuid4().hex
    monkeypatch.setenv("BANGFU_WORKSPACE", str(tmp_path / "office"))
    monkeypatch.setattr("sys.stdin", io.StringIO(reader_pw + "\n"))
    try:
        assert commands.main(["db", "grant-readonly", pg_url, "--role", role]) == commands.EXIT_OK
        out = capsys.readouterr().out
        assert f"已创建只读角色 {role}" in out and loc.url_password not in out and reader_pw not in out
        reader = pgconnect.DatabaseLocation(loc.host, loc.port, loc.dbname, role, loc.schema)
        with pgconnect.connect(reader, secret=reader_pw) as conn:
            table = sql.SQL("{}.villages").format(sql.Identifier(loc.schema))
            assert conn.execute(sql.SQL("SELECT code FROM {}").format(table)).fetchall() == [("440783100001",)]
            assert conn.execute("SELECT count(*) FROM public.spatial_ref_sys WHERE srid = 4326").fetchone() == (1,)
            conn.rollback()
            for statement in (sql.SQL("INSERT INTO {} VALUES ('x', NULL)").format(table),
                              sql.SQL("CREATE TABLE {}.mine (a int)").format(sql.Identifier(loc.schema))):
                with pytest.raises(psycopg.Error) as err:
                    conn.execute(statement)
                conn.rollback()
                assert pgconnect.translate(err.value, reader).kind in ("no_permission", "read_only")
        # a table the workspace gets later is readable too; running it again only updates (and audits) it
        with pgconnect.connect(loc, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE TABLE {}.roads (id int)").format(sql.Identifier(loc.schema)))
        with pgconnect.connect(reader, secret=reader_pw) as conn:
            assert conn.execute(sql.SQL("SELECT count(*) FROM {}.roads").format(sql.Identifier(loc.schema))).fetchone() == (0,)
        assert commands.main(["db", "grant-readonly", pg_url, "--role", role, "--no-password"]) == commands.EXIT_OK
        assert f"已更新只读角色 {role}" in capsys.readouterr().out
        rows = audit.entries(tmp_path / "office", user=ADMIN)
        assert list(rows["action"]).count("grant_readonly") == 2
    finally:
        with pgconnect.connect(loc, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(loc.schema)))
            _drop_role(conn, role)


@pytest.mark.postgis
def test_grant_readonly_needs_the_workspace_schema(pg_url):
    from bangfu.workspace import pgroles

    with pytest.raises(pgconnect.WorkspaceError) as err:
        pgroles.grant_readonly(pg_url, f"qgis_{uuid.uuid4().hex[:8]}", password=SECRET)
    assert "没有工作空间" in err.value.message_zh and SECRET not in _all(err.value)


def _drop_role(conn, role: str) -> None:
    """Drop a role the test made, with what it owns or was granted (membership first: the CI test role has
    CREATEROLE but is not a superuser)."""
    from psycopg import sql

    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
        return
    ident = sql.Identifier(role)
    conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(ident))
    conn.execute(sql.SQL("DROP OWNED BY {}").format(ident))
    conn.execute(sql.SQL("DROP ROLE {}").format(ident))


def _all(exc) -> str:
    return "\n".join([exc.message_zh, exc.message_en, exc.hint_zh, exc.hint_en, *exc.details])


# ------------------------------------------------------------------------------ the app on a database workspace
def _caption(at: AppTest, start: str) -> str:
    """A caption as shown: Markdown escapes, word joiners and HTML entities (md_text) taken out."""
    import html

    text = next(c.value for c in at.caption if c.value.startswith(start))
    return html.unescape(text.replace("\\", "").replace("\u2060", ""))


@pytest.mark.postgis
def test_the_app_reads_a_database_workspace_chosen_in_the_sidebar(pg_url, tmp_path, monkeypatch):
    from bangfu.core.resources import DEMO_PATH
    from bangfu.workspace import transfer

    transfer.copy_workspace(DEMO_PATH, pg_url)
    loc = pgconnect.parse(pg_url)
    monkeypatch.setenv("BANGFU_WORKSPACE", str(tmp_path / "office"))
    at = _submit(_page(), loc.display(), loc.url_password or "")
    assert _caption(at, "工作空间：") == f"工作空间：{loc.display()}"
    assert not at.error and (not loc.url_password or loc.url_password not in _page_text(at))
    picker = next(s for s in at.sidebar.selectbox if s.label == "当前工作空间")
    assert picker.value == loc.display() and len(picker.options) == 2
    # another session opening the link: the same workspace, the password from this server's memory
    again = _page(ws=loc.display())
    assert _caption(again, "工作空间：") == f"工作空间：{loc.display()}" and not again.error
    # a URL the office does not list is not opened from a link
    other = _page(ws=loc.with_schema("t_not_listed").display())
    assert _caption(other, "工作空间：").endswith("workspace.gpkg")


def test_a_listed_database_that_is_down_is_a_chinese_message_on_the_page(tmp_path, monkeypatch):
    from factories import workspace, import_households, import_villages

    folder = tmp_path / "office"
    monkeypatch.setenv("BANGFU_WORKSPACE", str(folder))
    workspace(folder, villages=import_villages(), households=import_households())
    port = _closed_port()
    down = f"postgresql://u@127.0.0.1:{port}/atlas?schema=kaiping"
    (folder / locations.DATABASES_FILE).write_text(down + "\n", encoding="utf-8")
    pgconnect.remember_password(down, SECRET)
    at = _page(ws=down)
    errors = [e.value.replace("\\", "").replace("\u2060", "") for e in at.error]
    assert any(f"无法连接数据库服务器 127.0.0.1:{port}：连接被拒绝" in e and "数据库没有运行或地址、端口不对" in e
               for e in errors), errors
    assert not [b for b in at.button if b.label == "恢复示例数据"], "no demo restore offered for a database fault"
    assert [s for s in at.sidebar.selectbox if s.label == "当前工作空间"], "the picker stays to switch back"
    assert SECRET not in _page_text(at)


@pytest.mark.postgis
def test_the_password_may_come_from_the_environment_instead_of_the_field(pg_url, tmp_path, monkeypatch):
    loc = pgconnect.parse(pg_url)
    if not loc.url_password:
        pytest.skip("the test server URL carries no password")
    from bangfu.core.resources import DEMO_PATH
    from bangfu.workspace import transfer

    transfer.copy_workspace(DEMO_PATH, pg_url)
    monkeypatch.setenv("BANGFU_WORKSPACE", str(tmp_path / "office"))
    monkeypatch.setenv("BANGFU_PG_PASSWORD", loc.url_password)
    at = _submit(_page(), loc.display())  # the password field left empty
    assert not _sidebar_errors(at) and at.query_params["ws"] in (loc.display(), [loc.display()])
    assert pgconnect.password(loc.display(), environ={}) is None, "nothing typed, so nothing kept in memory"


@pytest.mark.postgis
def test_bangfu_workspace_url_with_a_password_opens_without_showing_it(pg_url, tmp_path, monkeypatch):
    """An empty schema named by BANGFU_WORKSPACE gets the demo on first use (as a new workspace folder does)."""
    from bangfu.workspace import store

    loc = pgconnect.parse(pg_url)
    if not loc.url_password:
        pytest.skip("the test server URL carries no password")
    monkeypatch.setenv("BANGFU_WORKSPACE", pg_url)  # as an administrator might set it, password and all
    monkeypatch.setenv("BANGFU_OFFICE", str(tmp_path / "office"))
    at = _page()
    assert _caption(at, "工作空间：") == f"工作空间：{loc.display()}" and not at.error
    assert loc.url_password not in _page_text(at)
    assert "ws" not in at.query_params or at.query_params["ws"] in ("", [""]), "the default needs no ?ws="
    assert len(store.read_layer(loc.display(), "villages")) == 270, "the demo was copied into the empty schema"


@pytest.mark.postgis
def test_cli_summary_on_a_database_url_prints_what_it_prints_for_the_file(pg_url, capsys):
    from bangfu.cli import commands
    from bangfu.core.resources import DEMO_PATH
    from bangfu.workspace import transfer

    transfer.copy_workspace(DEMO_PATH, pg_url)
    assert commands.main(["summary", "--workspace", str(DEMO_PATH), "--as-of", "2026-06-30"]) == 0
    from_file = capsys.readouterr().out
    assert commands.main(["summary", "--workspace", pg_url, "--as-of", "2026-06-30"]) == 0
    captured = capsys.readouterr()
    assert captured.out == from_file and len(from_file.splitlines()) > 3
    secret = pgconnect.parse(pg_url).url_password
    assert not secret or secret not in captured.out + captured.err


@pytest.mark.postgis
def test_grant_readonly_as_the_owner_without_createrole(pg_url):
    """The workspace's owner cannot create roles: a Chinese message says who can; once the administrator made the
    role, the owner grants it, and tables the owner creates later are readable too (default privileges FOR the
    owner, not for whoever ran the command)."""
    from psycopg import sql

    from bangfu.workspace import pgroles

    admin = pgconnect.parse(pg_url)
    owner, reader = f"own_{uuid.uuid4().hex[:8]}", f"qgis_{uuid.uuid4().hex[:8]}"
    owner_pw, reader_pw = "Ow-" + uuid.uuid4().hex, "Rd-" + uuid.uuid4().hex
    schema = sql.Identifier(admin.schema)
    with pgconnect.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(owner), sql.Literal(owner_pw)))
        # the test role (CREATEROLE, not a superuser in CI) acts for the owner it made (PostgreSQL 15 needs it)
        conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(owner)))
        conn.execute(sql.SQL("GRANT CREATE, CONNECT ON DATABASE {} TO {}").format(sql.Identifier(admin.dbname),
                                                                             sql.Identifier(owner)))
        conn.execute(sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(schema, sql.Identifier(owner)))
    as_owner = pgconnect.DatabaseLocation(admin.host, admin.port, admin.dbname, owner, admin.schema,
                                          url_password=owner_pw)
    try:
        with pytest.raises(pgconnect.WorkspaceError) as err:
            pgroles.grant_readonly(as_owner, reader, password=reader_pw)
        assert "需要 CREATEROLE 权限" in err.value.message_zh and "sudo -u postgres" in err.value.hint_zh
        assert reader_pw not in _all(err.value)
        with pgconnect.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(reader),
                                                                           sql.Literal(reader_pw)))
        assert pgroles.grant_readonly(as_owner, reader) is False  # granted by the owner, no password change
        with pgconnect.connect(as_owner, autocommit=True) as conn:  # a table the owner creates afterwards
            conn.execute(sql.SQL("CREATE TABLE {}.later (a int)").format(schema))
        as_reader = pgconnect.DatabaseLocation(admin.host, admin.port, admin.dbname, reader, admin.schema)
        with pgconnect.connect(as_reader, secret=reader_pw) as conn:
            assert conn.execute(sql.SQL("SELECT count(*) FROM {}.later").format(schema)).fetchone() == (0,)
    finally:
        with pgconnect.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
            for role in (reader, owner):
                _drop_role(conn, role)
