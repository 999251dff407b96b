"""The workspace picker of the sidebar: the office folder's workspaces and its PostGIS databases side by side, the
choice kept in ``?ws=``; the administrators' form that connects a ``postgresql://`` workspace."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from bangfu.core.errors import BangfuError
from bangfu.core.labels import t
from bangfu.ui import state
from bangfu.ui.feedback import flash, show_error
from bangfu.workspace import access, catalog, locations, pgconnect, store
from bangfu.workspace.access import Principal

#: The URL parameter of the chosen workspace (its key, :class:`bangfu.workspace.catalog.WorkspaceEntry`; for a
#: database workspace its URL without password), one of the choices kept across pages
#: (:data:`bangfu.ui.state.KEPT`).
PARAM = "ws"
#: Widget keys of the connect form (cleared on submit: the password is never kept in a widget).
FORM = "sidebar.db_form"
URL_KEY = "sidebar.db_url"
PASSWORD_KEY = "sidebar.db_password"


def choose(key: str) -> None:
    """Make ``key`` this session's workspace from the next run on (after creating one, say)."""
    _keep(key)


def _keep(key: str, default: str = catalog.DEFAULT_KEY) -> None:
    state.keep(PARAM, "" if key == default else key)


def _label(key: str, by_key: dict[str, catalog.WorkspaceEntry], lang: str) -> str:
    if pgconnect.is_database(key):
        loc = pgconnect.parse(key)
        return t("sidebar.workspace_database", lang).format(schema=loc.schema, db=loc.dbname, where=loc.where())
    entry = by_key[key]
    if entry.is_default and not entry.county_name:
        return t("sidebar.workspace_default", lang)
    return entry.label(lang)


def workspace_picker(lang: str, folder: Path, user: Principal) -> Path | str:
    """The workspace this run reads: the office ``folder``'s default ``workspace.gpkg`` (the demo copy, made on
    first use) — or the database ``BANGFU_WORKSPACE`` names — or one of ``workspaces/*.gpkg`` that ``user`` may
    open (:func:`bangfu.workspace.catalog.visible_workspaces`) or of the office's database workspaces
    (:func:`bangfu.workspace.locations.database_workspaces`), chosen in the sidebar (shown when there is more
    than one) and kept in ``?ws=``. A database workspace is returned as its URL without password (``str``).
    Administrators also get the form that connects another database workspace (:func:`database_form`)."""
    configured = locations.configured_database()
    default: Path | str = _ensure_configured(configured) if configured else store.ensure_workspace(folder)
    entries = catalog.visible_workspaces(user, catalog.list_workspaces(folder))
    by_key = {e.key: e for e in entries}
    keys = [e.key for e in entries]
    databases = locations.database_workspaces(folder)
    keys = ([configured] if configured else []) + keys + [d for d in databases if d != configured]
    default_key = configured or catalog.DEFAULT_KEY
    if keys:
        wanted = state.kept(PARAM) or default_key
        key = wanted if wanted in keys else keys[0]
        if len(keys) > 1:
            key = st.selectbox(t("sidebar.workspace_pick", lang), keys, index=keys.index(key),
                               format_func=lambda k: _label(k, by_key, lang))
        _keep(key, default_key)
    else:
        key = default_key
    database_form(lang, folder, user)
    if pgconnect.is_database(key):
        return key
    entry = catalog.find(entries, key)
    return entry.path if entry is not None else default


#: Database workspaces of ``BANGFU_WORKSPACE`` this server process has made ready (the demo copied into an empty
#: schema on first use, as :func:`bangfu.workspace.store.default_workspace` does), so a page run does not ask again.
_ENSURED: set[str] = set()


def _ensure_configured(url: str) -> str:
    """``BANGFU_WORKSPACE``'s database workspace, filled with the demo on first use; a database that cannot be
    reached is left for the page to report (after the picker, so the user can switch to another workspace)."""
    if url not in _ENSURED:
        try:
            store.ensure_workspace(url)
            _ENSURED.add(url)
        except BangfuError:
            pass
    return url


def database_form(lang: str, folder: Path, user: Principal) -> None:
    """连接 PostGIS 数据库 (administrators only): a ``postgresql://`` URL and a password field. On submit the
    database is connected and checked (:func:`bangfu.workspace.pgconnect.connect`) and the workspace opened
    (an empty or foreign schema is refused); a fault shows its Chinese message (never the password). Success adds
    it to the office's list (:func:`bangfu.workspace.locations
    .add_database`), keeps the password in this server's memory only, and switches to it. The form is cleared
    on submit, so neither the password nor a URL holding one stays in a widget."""
    if not access.can(user, locations.DATABASE_PERMISSION):
        return
    with st.expander(t("sidebar.db_connect", lang)):
        st.caption(t("sidebar.db_help", lang))
        with st.form(FORM, clear_on_submit=True, border=False):
            url = st.text_input(t("sidebar.db_url", lang), key=URL_KEY,
                                placeholder="postgresql://bangfu@10.0.0.5:5432/atlas?schema=kaiping")
            secret = st.text_input(t("sidebar.db_password", lang), type="password", key=PASSWORD_KEY)
            submitted = st.form_submit_button(t("sidebar.db_submit", lang))
    if submitted:
        for key in (URL_KEY, PASSWORD_KEY):  # the browser empties the fields; the server forgets them too
            st.session_state.pop(key, None)
        _connect(lang, folder, user, url.strip(), secret)


def _connect(lang: str, folder: Path, user: Principal, url: str, secret: str) -> None:
    """Connect, check, list and switch to the database workspace ``url`` (a typed password is kept in memory only
    once the workspace opened with it)."""
    loc = None
    try:
        loc = pgconnect.parse(url)
        pgconnect.connect(loc, secret=secret or None).close()  # the URL, the password, the server and PostGIS
        if secret:
            pgconnect.remember_password(loc, secret)
        store.open_workspace(loc.display())  # a workspace is there (not an empty or foreign schema)
        shown = locations.add_database(folder, url, user=user)
    except BangfuError as exc:
        if secret and loc is not None:
            pgconnect.forget_password(loc)
        show_error(exc, lang, title=t("sidebar.db_failed", lang))
        return
    choose(shown)
    flash(t("sidebar.db_added", lang).format(ws=shown))
    st.rerun()
