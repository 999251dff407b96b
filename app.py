"""Bangfu Atlas (帮扶地图) entry point: the page navigation. Each page renders the shared shell itself
(``bangfu.ui.shell.current``: page config, page links, sidebar), so a page works the same whether
it is reached through this navigation or run directly."""

import streamlit as st

from bangfu.ui.feedback import guard
from bangfu.ui.shell import current_lang, navigation

lang = current_lang()
# An error a user can act on (bangfu.core.errors.BangfuError) that a page did not handle itself is shown
# in Chinese with its hint, not as Streamlit's English traceback box. Streamlit's own page list is
# hidden (see .streamlit/config.toml); the shell draws the page links.
with guard(lang):
    st.navigation(navigation(lang), position="hidden").run()
