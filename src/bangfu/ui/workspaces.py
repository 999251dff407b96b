"""The workspace picker of the sidebar: the office folder's workspaces side by side, the choice kept in ``?ws=``."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from bangfu.core.labels import t
from bangfu.ui import state
from bangfu.workspace import catalog, store
from bangfu.workspace.access import Principal

#: The URL parameter of the chosen workspace (its key, :class:`bangfu.workspace.catalog.WorkspaceEntry`), one of
#: the choices kept across pages (:data:`bangfu.ui.state.KEPT`).
PARAM = "ws"


def choose(key: str) -> None:
    """Make ``key`` this session's workspace from the next run on (after creating one, say)."""
    _keep(key)


def _keep(key: str) -> None:
    state.keep(PARAM, "" if key == catalog.DEFAULT_KEY else key)


def _label(entry: catalog.WorkspaceEntry, lang: str) -> str:
    if entry.is_default and not entry.county_name:
        return t("sidebar.workspace_default", lang)
    return entry.label(lang)


def workspace_picker(lang: str, folder: Path, user: Principal) -> Path:
    """The workspace this run reads: the office ``folder``'s default ``workspace.gpkg`` (the demo copy, made on
    first use) or one of ``workspaces/*.gpkg`` that ``user`` may open (:func:`bangfu.workspace.catalog
    .visible_workspaces`), chosen in the sidebar (shown when there is more than one) and kept in ``?ws=``."""
    default = store.ensure_workspace(folder)
    entries = catalog.visible_workspaces(user, catalog.list_workspaces(folder))
    if not entries:
        return default
    keys = [e.key for e in entries]
    wanted = state.kept(PARAM) or catalog.DEFAULT_KEY
    key = wanted if wanted in keys else keys[0]
    if len(entries) > 1:
        by_key = {e.key: e for e in entries}
        key = st.selectbox(t("sidebar.workspace_pick", lang), keys, index=keys.index(key),
                           format_func=lambda k: _label(by_key[k], lang))
    _keep(key)
    entry = catalog.find(entries, key)
    return entry.path if entry is not None else default
