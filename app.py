"""Bangfu Atlas (帮扶地图) entry point: the page navigation. Each page renders the shared shell itself
(``bangfu.ui.context.current``: page config, page links, sidebar), so a page works the same whether
it is reached through this navigation or run directly."""

import streamlit as st

from bangfu.labels import t
from bangfu.ui.context import current_lang
from bangfu.ui.pages import PAGES

lang = current_lang()
pages = [st.Page(p.path, title=t(p.label, lang), icon=p.icon, url_path=p.url_path) for p in PAGES]
# Links are drawn by the shell; Streamlit's own page list is hidden (.streamlit/config.toml too).
st.navigation(pages, position="hidden").run()
