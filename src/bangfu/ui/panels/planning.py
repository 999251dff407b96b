"""Panels of page 项目规划: settings form, the run (kept per session), messages, tables, chart, map, scenarios.

The numbers come from :func:`bangfu.planning.run.run` (the same run as ``python -m bangfu rank``);
labels, key figures and messages from pure functions there. This module only talks to Streamlit:
widgets, session state (the last result and its key, two saved scenarios), the progress bar, the chart spec.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import folium
import pandas as pd
import streamlit as st

from bangfu.core.labels import t
from bangfu.maps.planning import portfolio_map
from bangfu.planning import run as planning_run
from bangfu.indicators import network as net_ind
from bangfu.planning.coverage import CATCHMENTS
from bangfu.planning.project_types import PROJECT_TYPE_TABLE, default_distances
from bangfu.planning import solvers as planning_solvers, stored as planning_stored
from bangfu.planning.solvers import DEFAULT_WEIGHTS, WEIGHT_KEYS, PlanningError
from bangfu.ui import cache as data_cache
from bangfu.ui.feedback import md_text, show_error
from bangfu.ui.panels import roads as roads_panel
from bangfu.ui.shell import Context
from bangfu.indicators.search import Entry
from bangfu.ui.widgets import kpi_row, page_pick, search_box
from bangfu.workspace import derived, display, personal

__all__ = ["LAYERS", "RESULT_KEY", "SCENARIOS", "layers", "settings_form", "options", "result", "messages",
           "show_messages", "portfolio_tab", "ranking_table", "summary_table", "steps", "download_button", "area_map", "curve_chart", "scenarios_tab", "save_scenario",
           "scenario"]

#: Workspace layers a planning run reads.
LAYERS: tuple[str, ...] = ("villages", "households", "roads", "projects")
#: Where the page keeps its last run (a :class:`bangfu.planning.run.PlanResult`); the briefing briefs its portfolio.
RESULT_KEY = "planning_result"
_KEY, _SCENARIO = "planning_key", "planning_scenario_{}"
#: Session key of the number of missing links (roads page) added as candidate projects.
LINKS_KEY = "planning_missing_links"
#: The two scenarios a user can keep side by side.
SCENARIOS: tuple[str, ...] = ("A", "B")


def layers(ctx: Context) -> dict[str, pd.DataFrame]:
    """The public layers of :data:`LAYERS` (shared caches). The households are not among them: a run reads the
    stored catchment groups (:func:`stored_coverage`) or the households within reach of the area's projects
    (:func:`households_in_reach`) when it needs them."""
    return {name: ctx.layer(name) for name in LAYERS if name != "households"}


def stored_coverage(ctx: Context, opts: planning_run.PlanOptions, n_links: int) -> planning_solvers.Coverage | None:
    """The stored catchment groups of every candidate project (:mod:`bangfu.planning.stored`; computed once per
    workspace content, shared: counts only) when they answer ``opts`` — the default service distances, every
    household counted, no missing link added — else None (the run then reads households)."""
    if n_links or opts.new_access_only or dict(opts.distances) != default_distances():
        return None
    personal.require_aggregates(ctx.user, "households")
    parts = data_cache.derived_table(ctx.path, ctx.version, planning_stored.STORED_TABLE[opts.catchment], lang=ctx.lang)
    return planning_stored.from_parts(parts)


def households_in_reach(ctx: Context, projects: pd.DataFrame, distances: Mapping[str, float]) -> pd.DataFrame:
    """The households (without ids) that may lie within reach of ``projects``: read from the file by the projects'
    bounds grown by the largest service distance (:func:`bangfu.ui.cache.households_near`), the whole layer for the
    whole workspace; kept in this session only (personal data)."""
    if ctx.area.holds_all(ctx.layer("villages")):
        return ctx.aggregate_layer("households")
    radius = max([float(v) for v in distances.values()] + [0.0])
    return data_cache.households_near(ctx.path, ctx.version, projects, radius, ctx.user)


def settings_form(ctx: Context, data: Mapping[str, pd.DataFrame]) -> tuple[planning_run.PlanOptions, bool]:
    """The settings form (distances per project type, weights, budget, fairness, time limit, projects in and
    out); returns the run's options and whether the form was submitted."""
    T = ctx.t
    labels = planning_run.candidate_labels(data["projects"], data["villages"], ctx.area_code)
    with st.form("planning_form"):
        st.subheader(T("planning.settings"))
        st.markdown(f"**{T('planning.distances')}**")
        dcols = st.columns(len(PROJECT_TYPE_TABLE))
        distances = {
            k: dcols[i].number_input(PROJECT_TYPE_TABLE[k].label(ctx.lang), 0.0, 20000.0, d, 100.0, key=f"dist_{k}", format="%.0f",
                                     help=PROJECT_TYPE_TABLE[k].basis_zh)
            for i, (k, d) in enumerate(default_distances().items())
        }
        c0, c00 = st.columns(2)
        catchment = c0.radio(T("planning.catchment"), list(CATCHMENTS), horizontal=True, key="catchment",
                             format_func=lambda c: T(f"planning.catchment.{c}"))
        c00.number_input(T("planning.missing_links"), 0, 200, 0, 1, key=LINKS_KEY)
        new_only = st.checkbox(T("planning.new_only"), help=T("planning.new_only_help"), key="new_only")
        st.markdown(f"**{T('planning.weights')}**")
        wcols = st.columns(len(WEIGHT_KEYS))
        weights = {
            k: wcols[i].number_input(T(f"planning.w_{k}"), 0.0, 100.0, DEFAULT_WEIGHTS[k], 0.5, key=f"w_{k}", format="%g")
            for i, k in enumerate(WEIGHT_KEYS)
        }
        c1, c2, c3 = st.columns(3)
        approved = [i for i in planning_run.default_must_in(data["projects"]) if i in labels]
        budget = c1.number_input(T("planning.budget"), 0.0, 1e7, planning_run.default_budget(data["projects"], approved),
                                 50.0, key="budget", format="%g")
        k = c2.number_input(T("planning.min_per_town"), 0, 20, 0, 1, key="min_per_town")
        limit = c3.number_input(T("planning.time_limit"), 1.0, 600.0, 30.0, 5.0, key="time_limit", format="%g")
        must = st.multiselect(T("planning.must_in"), list(labels), approved, format_func=lambda i: labels[i], key="must_in",
                              placeholder=T("common.choose"))
        excluded = st.multiselect(T("planning.excluded"), list(labels), format_func=lambda i: labels[i], key="excluded",
                                  placeholder=T("common.choose"))
        submitted = st.form_submit_button(T("planning.run"), type="primary")
    opts = options(ctx, budget=budget, weights=weights, distances=distances, new_access_only=new_only,
                   must_in=tuple(must), excluded=tuple(excluded), min_per_town=int(k), time_limit=float(limit),
                   catchment=str(catchment))
    return opts, submitted


def with_missing_links(ctx: Context, data: Mapping[str, pd.DataFrame], n: int) -> Mapping[str, pd.DataFrame]:
    """``data`` with the first ``n`` missing links of the roads page (its walking limit and unit costs) as
    candidate road-hardening projects (not written to the workspace)."""
    if n <= 0:
        return data
    walk = float(st.session_state.get(roads_panel.WALK_KEY, net_ind.WALK_MAX_M))
    costs = tuple((c, float(st.session_state.get(f"roads.unit_cost.{c}", v)))
                  for c, v in net_ind.UNIT_COST_WAN_PER_KM.items())
    links = roads_panel.links_cached(ctx.path, ctx.version, walk, costs)
    extra = net_ind.missing_link_projects(links, data["roads"], top=n).to_crs(data["projects"].crs)
    return {**data, "projects": pd.concat([data["projects"], extra], ignore_index=True)}


def options(ctx: Context, **values) -> planning_run.PlanOptions:
    """The run's options from the form's values, restricted to the sidebar's town."""
    return planning_run.PlanOptions(**values, town_code=ctx.area_code)


def result(ctx: Context, data: Mapping[str, pd.DataFrame], opts: planning_run.PlanOptions, submitted: bool) -> planning_run.PlanResult:
    """The result for ``opts``: recomputed (with a progress bar) when submitted or when the workspace or
    the options changed, else the one kept in this session, as the signed-in user may see it
    (:func:`bangfu.planning.run.for_user`: small household counts suppressed). A :class:`PlanningError` is
    shown in the user's language and stops the page."""
    n_links = int(st.session_state.get(LINKS_KEY, 0) or 0)
    key = (ctx.path, ctx.version, repr(opts), n_links)
    if submitted or st.session_state.get(_KEY) != key:
        bar = st.progress(0.0, ctx.t("planning.progress.coverage"))

        def progress(fraction: float, message: str) -> None:
            bar.progress(fraction, message)

        try:
            stored = stored_coverage(ctx, opts, n_links)
            layers_ = with_missing_links(ctx, data, n_links)
            net = None
            if stored is None:
                area_projects = planning_run.town_projects(layers_["projects"], layers_["villages"], opts.town_code)
                layers_ = {**layers_, "households": households_in_reach(ctx, area_projects, opts.distances)}
                net = roads_panel.network(ctx.path, ctx.version) if opts.catchment == "network" else None
            res = planning_run.run(layers_, opts, progress=progress, lang=ctx.lang,
                                   network=net.net if net is not None else None, coverage=stored)
        except PlanningError as exc:
            bar.empty()
            st.session_state.pop(RESULT_KEY, None)
            show_error(exc, ctx.lang, title=ctx.t("planning.error"))
            st.stop()
        bar.empty()
        st.session_state[RESULT_KEY], st.session_state[_KEY] = res, key
    return planning_run.for_user(st.session_state[RESULT_KEY], ctx.user)


def messages(ctx: Context, res: planning_run.PlanResult) -> None:
    """Warnings about the data, the best plan's key figures and, in plain words, what it is (it maximises the
    weighted score; households reached beside it; a word when another choice reaches more households)."""
    for text in planning_run.data_warnings(res, ctx.lang):
        st.warning(md_text(text))
    kpi_row(planning_run.kpis(res, ctx.lang))
    show_messages(planning_run.plain_summary(res, ctx.lang))


def portfolio_tab(ctx: Context, res: planning_run.PlanResult) -> None:
    """The best plan's projects and the Excel download; the methods (their names, the solver's word, both methods
    side by side, step by step) in the "how is this computed" expander."""
    st.markdown(f"**{ctx.t('planning.best_plan')}**")
    st.dataframe(planning_run.labelled(res.exact.steps, ctx.lang), hide_index=True, width="stretch")
    download_button(ctx, res)
    with st.expander(ctx.t("planning.how")):
        st.markdown(ctx.t("planning.how.text"))
        kpi_row(planning_run.hidden_kpis(res, ctx.lang))
        show_messages(planning_run.status_messages(res, ctx.lang))
        st.dataframe(summary_table(ctx, res), hide_index=True, width="stretch")
        st.markdown(f"**{ctx.t('planning.chart')}**")
        st.altair_chart(curve_chart(res, ctx.lang), use_container_width=True)
        steps(ctx, res)


def show_messages(messages: list[tuple[str, str]]) -> None:
    """Render (level, text) pairs with ``st.success`` / ``st.warning`` / ``st.caption``."""
    for level, text in messages:
        getattr(st, level)(md_text(text))


#: Widget keys of the planning map, its search box and the ranking table.
MAP_KEY, SEARCH_KEY, RANKING_KEY = "planning_map", "planning_search", "planning_ranking"


def ranking_table(ctx: Context, res: planning_run.PlanResult) -> pd.DataFrame:
    """Every candidate project by score, labelled."""
    return planning_run.labelled(res.ranking, ctx.lang)


def map_pick(ctx: Context, res: planning_run.PlanResult) -> tuple[Entry | None, bool]:
    """The map tab's search box, and what the map highlights: found, clicked on the map or ticked in the ranking
    table (the last one wins), and whether it zooms to it."""
    found = search_box(ctx, key=SEARCH_KEY)  # the index: built when something is typed
    refs = [("project", str(i)) for i in res.ranking["project_id"]] if "project_id" in res.ranking else []
    return page_pick(ctx, "planning", found=found, map_key=MAP_KEY, table_key=RANKING_KEY, table_refs=refs)


def summary_table(ctx: Context, res: planning_run.PlanResult) -> pd.DataFrame:
    """The greedy and the exact portfolio side by side (cost, households, score, gap, solver status), as text."""
    return display.as_text(planning_run.summary(res, ctx.lang))


def steps(ctx: Context, res: planning_run.PlanResult) -> None:
    """The greedy and the exact portfolio, step by step."""
    for p in (res.exact, res.greedy):
        st.markdown(f"**{planning_run.method_label(p, ctx.lang)}**")
        st.dataframe(planning_run.labelled(p.steps, ctx.lang), hide_index=True, use_container_width=True)


def download_button(ctx: Context, res: planning_run.PlanResult) -> None:
    """The Excel file of the run (ranking, portfolios, summary), written when the button is clicked (a province's
    5,200 candidates take seconds to write; not on every run of the page)."""
    lang = ctx.lang
    st.download_button(
        ctx.t("planning.download"), lambda: planning_run.excel_bytes(res, lang), file_name="项目规划.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="planning_xlsx",
        on_click="ignore",  # no rerun: the page stays on this tab
    )


def area_map(ctx: Context, data: Mapping[str, pd.DataFrame], res: planning_run.PlanResult) -> folium.Map:
    """The exact portfolio's projects with their catchments over the area's villages (at a province or city: the
    villages of the chosen projects, not every village of the area)."""
    ids = res.coverage.projects["project_id"].iloc[res.exact.chosen].tolist()
    villages = ctx.area_layer("villages")
    if derived.uses_stored(ctx.area.level):
        codes = set(res.coverage.projects["village_code"].iloc[res.exact.chosen].astype(str))
        villages = villages[villages["village_code"].astype(str).isin(codes)]
    return portfolio_map(villages, data["projects"], ids, res.options.distances, lang=ctx.lang,
                         basemap=ctx.basemap, tianditu_token=ctx.tianditu_token)


def curve_chart(res: planning_run.PlanResult, lang: str) -> alt.Chart:
    """Line chart of households reached against cumulative cost, one line per method."""
    return alt.Chart(planning_run.curves(res, lang)).mark_line(point=True).encode(
        x=alt.X("cumulative_cost:Q", title=t("planning.chart.x", lang)),
        y=alt.Y("total_households:Q", title=t("planning.chart.y", lang)),
        color=alt.Color("method:N", title=None),
    )


def scenarios_tab(ctx: Context, res: planning_run.PlanResult) -> None:
    """Keep the current result as scenario A or B (this session) and show the kept ones side by side."""
    st.caption(ctx.t("planning.scenario_hint"))
    cols = dict(zip(SCENARIOS, st.columns(len(SCENARIOS))))
    for name, col in cols.items():
        if col.button(ctx.t(f"planning.save_{name.lower()}"), key=f"save_{name}"):
            save_scenario(name, res, ctx.lang)
            st.toast(ctx.t("planning.saved"))
    for name, col in cols.items():
        saved = scenario(name)
        if saved:
            col.markdown(f"**{name}**")
            if "settings" in saved:  # the budget and weights behind the figures
                col.dataframe(saved["settings"], hide_index=True, use_container_width=True)
            col.dataframe(saved["summary"], hide_index=True, use_container_width=True)
            col.dataframe(saved["projects"], hide_index=True, use_container_width=True)


def save_scenario(name: str, res: planning_run.PlanResult, lang: str) -> None:
    """Keep the summary and chosen projects of ``res`` as scenario ``name`` (A or B) in this session."""
    st.session_state[_SCENARIO.format(name)] = planning_run.scenario(res, lang)


def scenario(name: str) -> dict[str, pd.DataFrame] | None:
    """Scenario ``name`` saved in this session, if any."""
    return st.session_state.get(_SCENARIO.format(name))
