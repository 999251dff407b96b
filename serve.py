"""Bangfu Atlas (帮扶地图) served with its caches warmed at start: ``streamlit run serve.py``.

The same app as ``streamlit run app.py`` (pages, sign-in, settings from ``.streamlit/config.toml``); before the
server takes its first connection it opens the default workspace and computes the overview's first view
(:mod:`bangfu.ui.server`), so the first visitor after a (re)start does not wait for it.
"""

from pathlib import Path

import streamlit as st

from bangfu.ui.server import lifespan

app = st.App(Path(__file__).resolve().with_name("app.py"), lifespan=lifespan)  # started from any folder
