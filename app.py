"""Bangfu Atlas (帮扶地图) entry point: navigation and the shared sidebar; pages do the rest."""

import streamlit as st

from bangfu.labels import t
from bangfu.offline import STATIC_DIR, install_static_assets
from bangfu.ui.context import sidebar
from bangfu.ui.pages import PAGES

st.set_page_config(page_title="帮扶地图 Bangfu Atlas", page_icon=str(STATIC_DIR / "favicon.png"), layout="wide")
install_static_assets()
ctx = sidebar()
nav = st.navigation(
    [st.Page(p.path, title=t(p.label, ctx.lang), icon=p.icon, url_path=p.url_path) for p in PAGES]
)
nav.run()
