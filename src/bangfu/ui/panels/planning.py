"""Streamlit glue of the project planning page: run with a progress bar, keep the result, chart, scenarios.

The numbers come from :func:`bangfu.planning.run.run` (the same run as ``python -m bangfu rank``);
labels, key figures and messages from pure functions there. This module only talks to Streamlit:
session state (the last result and its key, two saved scenarios), the progress bar, the chart spec.
"""

from __future__ import annotations

from typing import Mapping

import altair as alt
import pandas as pd
import streamlit as st

from bangfu.core.labels import t
from bangfu.planning import run as planning_run
from bangfu.planning.solvers import PlanningError
from bangfu.ui.feedback import show_error
from bangfu.ui.shell import Context

__all__ = ["LAYERS", "RESULT_KEY", "layers", "options", "result", "show_messages", "curve_chart", "save_scenario", "scenario"]

#: Workspace layers a planning run reads.
LAYERS: tuple[str, ...] = ("villages", "households", "roads", "projects")
#: Where the page keeps its last run (a :class:`bangfu.planning.run.PlanResult`); the briefing briefs its portfolio.
RESULT_KEY = "planning_result"
_KEY, _SCENARIO = "planning_key", "planning_scenario_{}"


def layers(ctx: Context) -> dict[str, pd.DataFrame]:
    """The layers of :data:`LAYERS` (cached by workspace version)."""
    return {name: ctx.layer(name) for name in LAYERS}


def options(ctx: Context, **values) -> planning_run.PlanOptions:
    """The run's options from the form's values, restricted to the sidebar's town."""
    return planning_run.PlanOptions(**values, town_code=ctx.town_code)


def result(ctx: Context, data: Mapping[str, pd.DataFrame], opts: planning_run.PlanOptions, submitted: bool) -> planning_run.PlanResult:
    """The result for ``opts``: recomputed (with a progress bar) when submitted or when the workspace or
    the options changed, else the one kept in this session. A :class:`PlanningError` is shown in the
    user's language and stops the page."""
    key = (ctx.path, ctx.version, repr(opts))
    if submitted or st.session_state.get(_KEY) != key:
        bar = st.progress(0.0, ctx.t("planning.progress.coverage"))

        def progress(fraction: float, message: str) -> None:
            bar.progress(fraction, message)

        try:
            res = planning_run.run(data, opts, progress=progress, lang=ctx.lang)
        except PlanningError as exc:
            bar.empty()
            st.session_state.pop(RESULT_KEY, None)
            show_error(exc, ctx.lang, title=ctx.t("planning.error"))
            st.stop()
        bar.empty()
        st.session_state[RESULT_KEY], st.session_state[_KEY] = res, key
    return st.session_state[RESULT_KEY]


def show_messages(messages: list[tuple[str, str]]) -> None:
    """Render (level, text) pairs with ``st.success`` / ``st.warning`` / ``st.caption``."""
    for level, text in messages:
        getattr(st, level)(text)


def curve_chart(res: planning_run.PlanResult, lang: str) -> alt.Chart:
    """Line chart of households reached against cumulative cost, one line per method."""
    return alt.Chart(planning_run.curves(res, lang)).mark_line(point=True).encode(
        x=alt.X("cumulative_cost:Q", title=t("planning.chart.x", lang)),
        y=alt.Y("total_households:Q", title=t("planning.chart.y", lang)),
        color=alt.Color("method:N", title=None),
    )


def save_scenario(name: str, res: planning_run.PlanResult, lang: str) -> None:
    """Keep the summary and chosen projects of ``res`` as scenario ``name`` (A or B) in this session."""
    st.session_state[_SCENARIO.format(name)] = planning_run.scenario(res, lang)


def scenario(name: str) -> dict[str, pd.DataFrame] | None:
    """Scenario ``name`` saved in this session, if any."""
    return st.session_state.get(_SCENARIO.format(name))
