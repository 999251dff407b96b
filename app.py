"""Bangfu Atlas (帮扶地图) entry point: the page navigation. Each page renders the shared shell itself
(``bangfu.ui.shell.current``: page config, page links, sidebar), so a page works the same whether
it is reached through this navigation or run directly."""

import streamlit as st

from bangfu.core.labels import t
from bangfu.ui.feedback import guard
from bangfu.ui.shell import current_lang
from bangfu.ui.pages import PAGES

lang = current_lang()
# No icon on st.Page: Streamlit would make a ":material/…:" page icon the favicon and fetch it from
# Google's font CDN. The shell's page links carry the icons (drawn with Streamlit's bundled font)
# and set_page_config sets a local favicon. Streamlit's own page list is hidden (see config.toml).
pages = [st.Page(p.path, title=t(p.label, lang), url_path=p.url_path) for p in PAGES]
# An error a user can act on (bangfu.core.errors.BangfuError) that a page did not handle itself is shown
# in Chinese with its hint, not as Streamlit's English traceback box.
with guard(lang):
    st.navigation(pages, position="hidden").run()
