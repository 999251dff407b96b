"""The shared sidebar (workspace, town filter, language, basemap) and the page context it returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from bangfu.workspace import areas, store
from bangfu.workspace.areas import Area
from bangfu.core.labels import LANGS, t
from bangfu.maps.base import BASEMAPS, Basemap
from bangfu.core.resources import asset
from bangfu.maps.offline import install_static_assets
from bangfu.ui.pages import PAGES
from bangfu.ui import auth
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
    def town_name(self) -> str | None:
        return self.area.town_name

    @property
    def is_whole(self) -> bool:
        """True when the area is the whole workspace (no town chosen)."""
        return self.area.holds_all(self.layer("villages"))

    def t(self, key: str) -> str:
        return t(key, self.lang)

    def layer(self, name: str) -> pd.DataFrame:
        """A whole workspace layer (cached by workspace version)."""
        return data.load_layer(self.path, self.version, name)

    def area_layer(self, name: str) -> pd.DataFrame:
        """The current area's rows of a layer, by the one area rule (:mod:`bangfu.workspace.areas`);
        ``"road_pieces"``: the road pieces inside the area."""
        return data.area_layer(self.path, self.version, self.area, name)

    @property
    def is_demo(self) -> bool:
        return self.meta.get("source") == "demo"


def _workspace_failed(lang: str, folder: Path, exc: store.WorkspaceError) -> None:
    """Say why the workspace cannot be used, offer to restore the demo, and stop the page."""
    show_error(exc, lang, title=t("error.workspace", lang))
    if st.button(t("sidebar.restore_demo", lang), type="primary", key="restore_after_error"):
        _restore_demo(lang, folder)
    st.stop()


def _restore_demo(lang: str, folder: Path) -> None:
    """Swap the demo in; the new workspace version makes every page (and session) read it on its next run."""
    with guard(lang):
        store.restore_demo(folder)
        flash(t("sidebar.restored", lang))
        st.rerun()


def current_lang() -> str:
    """The interface language of this run: the sidebar's choice, else ``?lang=``, else Chinese."""
    lang = st.session_state.get("lang") or st.query_params.get("lang", "zh")
    return lang if lang in LANGS else "zh"


def navigation(lang: str) -> list[st.Page]:
    """The app's pages (:data:`bangfu.ui.pages.PAGES`) for ``st.navigation``, titled in ``lang``.

    No icon on ``st.Page``: Streamlit would make a ``:material/…:`` page icon the favicon and fetch it
    from Google's font CDN. The page links (:func:`page_links`) carry the icons (drawn with Streamlit's
    bundled font) and ``set_page_config`` sets a local favicon.
    """
    return [st.Page(p.path, title=t(p.label, lang), url_path=p.url_path) for p in PAGES]


def page_links(lang: str) -> None:
    """The app's title and one link per page (Chinese titles from the label table) in the sidebar."""
    with st.sidebar:
        st.markdown(f"### {t('app.title', lang)}")
        for spec in PAGES:
            try:
                st.page_link(spec.path, label=t(spec.label, lang), icon=spec.icon)
            except StreamlitAPIException:  # a page file run on its own (AppTest) knows no other pages
                break
        st.divider()


def sidebar() -> Context:
    """Render the shared sidebar and return the context; stops the page if the workspace is unusable."""
    params = st.query_params
    lang_default = params.get("lang", "zh")
    with st.sidebar:
        lang = st.radio(
            "语言 / Language",
            list(LANGS),
            format_func=LANGS.__getitem__,
            horizontal=True,
            index=list(LANGS).index(lang_default) if lang_default in LANGS else 0,
            key="lang",
        )
        folder = store.default_workspace_dir()
        try:
            path = store.ensure_workspace(folder)
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
        towns = (
            villages[["town_code", "town_name"]].drop_duplicates().sort_values("town_code").itertuples(index=False)
        )
        town_options: dict[str, str] = {"": t("sidebar.all_towns", lang)}
        town_options.update({str(code): str(name) for code, name in towns})
        wanted = params.get("town", "")
        town = st.selectbox(
            t("sidebar.town", lang),
            list(town_options),
            index=list(town_options).index(wanted) if wanted in town_options else 0,
            format_func=town_options.__getitem__,
            key="town",
        )
        if town:
            params["town"] = town
        elif "town" in params:
            del params["town"]
        if lang != "zh":
            params["lang"] = lang
        elif "lang" in params:
            del params["lang"]

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
            st.caption(f"{t('sidebar.workspace_source', lang)}：{md_text(source)}  ·  v{md_text(info.meta.get('version', '?'))}")
            if st.button(t("sidebar.restore_demo", lang), key="restore_demo"):
                _restore_demo(lang, folder)

    ctx = Context(
        lang=lang,
        path=str(path),
        version=info.version,
        meta=info.meta,
        area=areas.area_for(villages, town or None),
        basemap=basemap,
        tianditu_token=token,
        user=auth.current_user(lang, folder),
    )
    return ctx


def app_static_dir() -> Path:
    """The folder Streamlit serves at ``/app/static``: ``static/`` beside the main script (``app.py``)."""
    run = get_script_run_ctx()
    main = Path(run.main_script_path) if run is not None else Path.cwd() / "app.py"
    return main.parent / "static"


def current() -> Context:
    """The app shell for one page run: page config, offline assets, page links, shared sidebar.

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
    page_links(lang)
    ctx = sidebar()
    show_flash()  # a message left by the previous run (e.g. after restoring the demo)
    return ctx
