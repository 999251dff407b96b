"""The shared sidebar (workspace, town filter, language, basemap) and the page context it returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from bangfu.workspace import areas, pgconnect, store
from bangfu.workspace.areas import Area
from bangfu.core.labels import LABELS, LANGS, t
from bangfu.maps.base import BASEMAPS, Basemap
from bangfu.core.resources import asset
from bangfu.maps.offline import install_static_assets
from bangfu.ui.pages import PAGES, visible_pages
from bangfu.ui import auth, state
from bangfu.ui.workspaces import workspace_picker
from bangfu.ui.area_picker import area_picker
from bangfu.workspace import access
from bangfu.workspace.access import Principal
from bangfu.ui import cache as data
from bangfu.ui.feedback import flash, guard, md_text, show_error, show_flash



@dataclass(frozen=True)
class Context:
    """What every page needs: language, workspace and the current area (the county or the chosen town)."""

    lang: str
    path: str
    version: str
    meta: dict[str, str]
    area: Area
    basemap: Basemap
    tianditu_token: str
    user: Principal

    @property
    def town_code(self) -> str | None:
        """The chosen town's code (``?town=``), None for the whole county."""
        return self.area.town_code

    @property
    def area_code(self) -> str | None:
        """The chosen area's code (a town, county, city…; ``?town=`` / ``?area=``), None for the whole workspace."""
        return None if self.is_whole else self.area.code

    @property
    def area_label(self) -> str:
        """The chosen area's name, with its parents where the name repeats (站前街道 · 铁东区 · 鞍山市)."""
        return areas.area_label(self.area, self.layer("villages"))

    @property
    def town_name(self) -> str | None:
        return self.area.town_name

    @property
    def is_whole(self) -> bool:
        """True when the area is the whole workspace (no town chosen)."""
        return self.area.holds_all(self.layer("villages"))

    def t(self, key: str) -> str:
        return t(key, self.lang)

    def layer(self, name: str) -> pd.DataFrame:
        """A whole workspace layer (cached by workspace version); a personal layer (households) as the
        signed-in user may see its rows (refused without household access)."""
        return data.load_layer(self.path, self.version, name, self.user)

    def area_layer(self, name: str) -> pd.DataFrame:
        """The current area's rows of a layer, by the one area rule (:mod:`bangfu.workspace.areas`);
        ``"road_pieces"``: the road pieces inside the area. Personal layers as :meth:`layer`."""
        return data.area_layer(self.path, self.version, self.area, name, self.user)

    def aggregate_layer(self, name: str) -> pd.DataFrame:
        """A whole layer for aggregates computed on the server (households without ids, for every role that
        may view); what is shown of them goes through :func:`bangfu.workspace.personal.shown_counts`."""
        return data.aggregate_layer(self.path, self.version, name, self.user)

    def area_aggregate_layer(self, name: str) -> pd.DataFrame:
        """The current area's rows for aggregates (:meth:`aggregate_layer`)."""
        return data.area_aggregate_layer(self.path, self.version, self.area, name, self.user)

    def may(self, permission: str) -> bool:
        """Whether the signed-in user may ``permission`` (to hide what the data layer would refuse)."""
        return access.can(self.user, permission)

    @property
    def is_demo(self) -> bool:
        return self.meta.get("source", "").startswith("demo")  # the Kaiping demo or a synthetic province


#: Session key of a demo restore waiting for its confirmation: the workspace version shown then (None: unusable).
DEMO_PENDING = "sidebar.restore_pending"


def _workspace_failed(lang: str, folder: Path, exc: store.WorkspaceError) -> None:
    """Say why the workspace cannot be used, offer an administrator to restore the demo (not for a database that
    cannot be reached or used: the sidebar's picker switches to another workspace), and stop the page."""
    show_error(exc, lang, title=t("error.workspace", lang))
    if not isinstance(exc, pgconnect.DatabaseFault):
        restore_demo_control(lang, folder, auth.current_user(lang, folder), key="restore_after_error", primary=True)
    st.stop()


def restore_demo_control(lang: str, folder: Path, user: Principal, *, key: str, version: int | None = None,
                         primary: bool = False) -> None:
    """The 恢复示例数据 button (administrators only) and its confirmation naming what will be replaced.

    The first click only asks; the confirmation says what the current data is (or that an unusable file is
    kept aside) and that it is backed up first. ``version``: the workspace version shown (the restore is
    refused if it changed in the meantime)."""
    if not access.can(user, "restore"):
        return
    if st.button(t("sidebar.restore_demo", lang), key=key, type="primary" if primary else "secondary"):
        st.session_state[DEMO_PENDING] = (version,)
    pending = st.session_state.get(DEMO_PENDING)
    if pending is None:
        return
    st.warning(md_text(store.restore_warning(folder / store.WORKSPACE_FILE, lang=lang)))
    if st.button(t("sidebar.restore_confirm", lang), key=f"{key}_confirm", type="primary"):
        st.session_state.pop(DEMO_PENDING, None)
        _restore_demo(lang, folder, user, pending[0])
    if st.button(t("sidebar.restore_cancel", lang), key=f"{key}_cancel"):
        st.session_state.pop(DEMO_PENDING, None)
        st.rerun()


def _restore_demo(lang: str, folder: Path, user: Principal, version: int | None) -> None:
    """Swap the demo in; the new workspace version makes every page (and session) read it on its next run."""
    with guard(lang):
        store.restore_demo(folder, user=user, expected_version=version)
        flash(t("sidebar.restored", lang))
        st.rerun()


def current_lang() -> str:
    """The interface language of this run: the sidebar's choice, else ``?lang=`` (or this session's last choice,
    :mod:`bangfu.ui.state`), else Chinese."""
    lang = st.session_state.get("lang") or state.kept("lang")
    return lang if lang in LANGS else "zh"


def navigation(lang: str) -> list[st.Page]:
    """The app's pages (:data:`bangfu.ui.pages.PAGES`) for ``st.navigation``, titled in ``lang``.

    No icon on ``st.Page``: Streamlit would make a ``:material/…:`` page icon the favicon and fetch it
    from Google's font CDN. The page links (:func:`page_links`) carry the icons (drawn with Streamlit's
    bundled font) and ``set_page_config`` sets a local favicon.
    """
    return [st.Page(p.path, title=t(p.label, lang), url_path=p.url_path) for p in PAGES]


def page_links(lang: str, user: Principal) -> None:
    """The app's title and one link per page ``user`` may use (``PageSpec.permission``; titles from the label
    table), in the current container (the sidebar). Every link carries the kept choices (language, town:
    :func:`bangfu.ui.state.link_params`). Hiding a link is a convenience only: the page itself refuses through the
    data layer."""
    st.markdown(f"### {t('app.title', lang)}")
    params = state.link_params()
    for spec in visible_pages(user):
        try:
            st.page_link(spec.path, label=t(spec.label, lang), icon=spec.icon, query_params=params)
        except StreamlitAPIException:  # a page file run on its own (AppTest) knows no other pages
            break
    st.divider()


def language_picker() -> str:
    """The language choice in the sidebar (``?lang=`` or this session's last choice preselects it); the chosen
    language, kept for the next page and the URL (:mod:`bangfu.ui.state`)."""
    lang_default = state.kept("lang")
    with st.sidebar:
        lang = st.radio(
            "语言 / Language",
            list(LANGS),
            format_func=LANGS.__getitem__,
            horizontal=True,
            index=list(LANGS).index(lang_default) if lang_default in LANGS else 0,
            key="lang",
        )
    state.keep("lang", lang)
    return lang


def sidebar(lang: str, folder: Path, user: Principal) -> Context:
    """Render the shared sidebar for the signed-in ``user`` (who, sign-out, workspace, town filter, basemap) and
    return the context; stops the page if the workspace is unusable. Runs only after the login gate."""
    with st.sidebar:
        auth.user_box(lang, folder, user)
        try:
            path = workspace_picker(lang, folder, user)
            info = store.open_workspace(path)
        except store.WorkspaceError as exc:
            _workspace_failed(lang, folder, exc)
            raise  # unreachable: st.stop() above
        ok, summary, lines = data.validation_summary(str(path), info.version)
        if not ok:
            invalid = f"{t('error.invalid_workspace', 'zh')}。{summary}"
            _workspace_failed(lang, folder, store.WorkspaceError(
                invalid, f"{t('error.invalid_workspace', 'en')}. {summary}", details=tuple(lines)))

        villages = data.load_layer(str(path), info.version, "villages")
        area = area_picker(lang, villages)

        with st.expander(t("sidebar.basemap", lang)):
            basemap = st.selectbox(
                t("sidebar.basemap", lang), BASEMAPS, format_func=lambda b: t(f"basemap.{b}", lang), key="basemap",
                label_visibility="collapsed",
            )
            token = ""
            if basemap == "tianditu":
                token = st.text_input(t("sidebar.tianditu_token", lang), type="password", key="tianditu_token")
            if basemap == "local":
                st.caption(t("sidebar.tile_folder_hint", lang))
        with st.expander(t("sidebar.workspace", lang)):
            st.caption(f"{t('sidebar.workspace', lang)}：{md_text(path)}")
            source = info.meta.get("source", "")
            source = t(f"sidebar.source.{source}", lang) if f"sidebar.source.{source}" in LABELS else source
            version = t("sidebar.data_version", lang).format(v=info.meta.get("version", "?"))
            st.caption(f"{t('sidebar.workspace_source', lang)}：{md_text(source)}  ·  {md_text(version)}")
            user = auth.current_user(lang, folder)
            if isinstance(path, Path) and path.resolve() == (folder / store.WORKSPACE_FILE).resolve():
                # the demo restores the default workspace file only
                restore_demo_control(lang, folder, user, key="restore_demo", version=store.meta_version(info.meta))

    ctx = Context(
        lang=lang,
        path=str(path),
        version=info.version,
        meta=info.meta,
        area=area,
        basemap=basemap,
        tianditu_token=token,
        user=user,
    )
    return ctx


#: The folder of the app's main script when no page run is under way (the server's warm-up at start,
#: :mod:`bangfu.ui.server`): set by :func:`set_app_root`; else the current directory.
_APP_ROOT: list[Path] = []


def set_app_root(folder: Path) -> None:
    """Tell code running outside a page run where ``app.py`` (and its ``static/``) is."""
    _APP_ROOT[:] = [Path(folder)]


def app_static_dir() -> Path:
    """The folder Streamlit serves at ``/app/static``: ``static/`` beside the main script (``app.py``)."""
    run = get_script_run_ctx()
    main = Path(run.main_script_path) if run is not None else (_APP_ROOT or [Path.cwd()])[0] / "app.py"
    return main.parent / "static"


def current() -> Context:
    """The app shell for one page run: page config, offline assets, the login gate (:mod:`bangfu.ui.auth`), page
    links, shared sidebar.

    Every page calls this once at its top. It does not rely on ``app.py`` having run first:
    Streamlit runs a page file directly when it is the first URL a fresh server is asked for
    (``pages/`` is then treated as a classic multipage folder), and AppTest runs page files alone.
    """
    lang = current_lang()
    st.set_page_config(page_title=t("app.title", lang) + " Bangfu Atlas", page_icon=str(asset("favicon.png")),
                       layout="wide")
    static = app_static_dir()
    if static.is_dir():  # a page run on its own (AppTest) has no served static folder
        install_static_assets(static)
    links = st.sidebar.container()  # filled once the user is known; drawn above the language choice
    lang = language_picker()
    folder = store.default_workspace_dir()
    user = auth.current_user(lang, folder)  # the login gate: stops here before anything of the workspace is read
    try:
        ctx = sidebar(lang, folder, user)
    finally:  # after the sidebar, so the links carry this run's town; also when an unusable workspace stops the page
        with links:
            page_links(lang, user)
    auth.demo_banner(lang, user)
    show_flash()  # a message left by the previous run (e.g. after restoring the demo)
    return ctx
