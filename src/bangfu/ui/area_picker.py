"""The sidebar's area choice: a level (province → city → county → town) and an area of it, kept in the URL.

A one-county workspace shows the town box it always had (``?town=<9 digits>``). A workspace of
several counties shows a level box and an area box; the area is kept as ``?area=<code>`` (2, 4, 6
or 9 digits), and ``?town=`` keeps working. Names repeated within a level carry their parents
(:func:`bangfu.workspace.areas.area_labels`: 站前街道 · 铁西区 · 鞍山市). See docs/areas.md.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from bangfu.core.labels import t
from bangfu.ui import state
from bangfu.workspace import areas


#: Session key of an area asked for by :func:`request_area` (a click on a map), taken on the next run.
_REQUESTED = "_area_requested"


def request_area(code: str) -> None:
    """Choose area ``code`` on the next run, as if it was picked in the sidebar (a click on the overview's map of
    the level below drills down); the caller reruns the page."""
    st.session_state[_REQUESTED] = str(code)


def _take_request(wanted: areas.Area, levels: list[str]) -> None:
    """Show the area asked for by :func:`request_area` in the boxes: their values are set before they are drawn
    (so the browser shows them too)."""
    if levels == ["town"]:
        st.session_state["town"] = wanted.code if wanted.level == "town" else ""
    elif wanted.level in levels:
        st.session_state["area_level"] = wanted.level
        st.session_state[f"area_{wanted.level}"] = wanted.code


def _wanted(villages: pd.DataFrame, whole: areas.Area, requested: str | None = None) -> areas.Area:
    """The area asked for (:func:`request_area`, else the URL's ``?area=``, else ``?town=``), the whole workspace
    when none or unknown."""
    code = requested or state.kept("area") or state.kept("town")
    if not code:
        return whole
    try:
        return areas.area_by_code(villages, str(code))
    except areas.AreaError:
        return whole


def _levels(whole: areas.Area) -> list[str]:
    """The levels below the whole workspace (all levels when it has no single code)."""
    return [lv.key for lv in areas.LEVELS if lv.digits > len(whole.code)]


def _town_box(lang: str, villages: pd.DataFrame, wanted: areas.Area, whole: areas.Area) -> areas.Area:
    """One county: the town box of old, ``?town=`` in the URL."""
    options = {"": t("sidebar.all_towns", lang), **areas.area_labels(villages, "town")}
    town = st.selectbox(
        t("sidebar.town", lang), list(options),
        index=list(options).index(wanted.code) if wanted.level == "town" and wanted.code in options else 0,
        format_func=options.__getitem__, key="town",
    )
    _keep(town, "town")
    return areas.area_for(villages, town or None) if town else whole


def _keep(code: str, param: str) -> None:
    """Keep the chosen area (:func:`bangfu.ui.state.keep`) as ``param`` and drop the other area parameter."""
    for name in ("town", "area"):
        state.keep(name, code if name == param else "")


def area_picker(lang: str, villages: pd.DataFrame) -> areas.Area:
    """Render the level and area boxes in the current container and return the chosen area."""
    whole = areas.whole_area(villages)
    requested = st.session_state.pop(_REQUESTED, None)
    wanted = _wanted(villages, whole, requested)
    levels = _levels(whole)
    if requested and wanted.code == requested:
        _take_request(wanted, levels)
    if levels == ["town"]:
        return _town_box(lang, villages, wanted, whole)
    asked = state.kept("level")
    default = wanted.level if wanted.code and wanted.level in levels else asked if asked in levels else levels[0]
    level = st.selectbox(
        t("sidebar.level", lang), levels, index=levels.index(default),
        format_func=lambda k: t(f"sidebar.level.{k}", lang), key="area_level",
    )
    state.keep("level", "" if level == levels[0] else level)
    options = {"": f"{t('sidebar.all_areas', lang)}（{whole.name}）", **areas.area_labels(villages, level)}
    code = st.selectbox(
        t("sidebar.area", lang), list(options),
        index=list(options).index(wanted.code) if wanted.code in options else 0,
        format_func=options.__getitem__, key=f"area_{level}",
    )
    _keep(code, "area")
    return areas.area_by_code(villages, code) if code else whole
