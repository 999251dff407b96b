"""The choices that follow a user across pages and reloads (language, town, …): query parameters kept in the session."""

from __future__ import annotations

import streamlit as st

#: The query parameters that travel with every page link and survive a reload of a shared link, with the value
#: that leaves them out of the URL. Another sidebar choice that should follow the user (a workspace ``ws``, an area
#: ``level``/``area``) only needs a row here and the two calls :func:`kept` / :func:`keep` around its widget.
KEPT: dict[str, str] = {
    "lang": "zh",
    "ws": "",  # the workspace's key (:mod:`bangfu.ui.workspaces`); empty = the office's default workspace
    "level": "",  # the area level of a workspace of several counties (:mod:`bangfu.ui.area_picker`)
    "area": "",  # the chosen area's code there (2, 4, 6 or 9 digits)
    "town": "",  # the chosen town's code in a one-county workspace
}

_MEMORY = "_kept."  # session-state prefix of the remembered values (not widget keys: those are dropped on a page change)


def kept(name: str) -> str:
    """The current value of a kept choice: the URL's (a shared link, a page link), else what this session chose last,
    else the default of :data:`KEPT`."""
    default = KEPT[name]
    value = st.query_params.get(name)
    if value is not None:
        return str(value)
    return str(st.session_state.get(_MEMORY + name, default))


def keep(name: str, value: str) -> None:
    """Remember a kept choice for this session and mirror it into the URL (left out when it is the default)."""
    st.session_state[_MEMORY + name] = value
    if value != KEPT[name]:
        if st.query_params.get(name) != value:
            st.query_params[name] = value
    elif name in st.query_params:
        del st.query_params[name]


def link_params() -> dict[str, str]:
    """The kept choices that differ from their default: the query parameters of every page link."""
    values = {name: kept(name) for name in KEPT}
    return {name: value for name, value in values.items() if value != KEPT[name]}
