"""项目规划 — rank infrastructure projects by households benefited; best portfolio within a budget."""

import streamlit as st

from bangfu.maps.planning import portfolio_map
from bangfu.planning import run as planning_run
from bangfu.planning.project_types import PROJECT_TYPE_TABLE, default_distances
from bangfu.planning.solvers import DEFAULT_WEIGHTS, WEIGHT_KEYS
from bangfu.ui.panels import planning as panel
from bangfu.ui.shell import current
from bangfu.ui.widgets import kpi_row, show_map, synthetic_note

ctx = current()
T = ctx.t
st.title(T("page.planning") + (f" · {ctx.town_name}" if ctx.town_name else ""))
st.caption(T("planning.intro"))
synthetic_note(ctx)

layers = panel.layers(ctx)
labels = planning_run.candidate_labels(layers["projects"], layers["villages"], ctx.town_code)
type_name = {k: p.label(ctx.lang) for k, p in PROJECT_TYPE_TABLE.items()}

with st.form("planning_form"):
    st.subheader(T("planning.settings"))
    st.markdown(f"**{T('planning.distances')}**")
    dcols = st.columns(len(PROJECT_TYPE_TABLE))
    distances = {
        k: dcols[i].number_input(type_name[k], 0.0, 20000.0, d, 100.0, key=f"dist_{k}", help=PROJECT_TYPE_TABLE[k].basis_zh)
        for i, (k, d) in enumerate(default_distances().items())
    }
    new_only = st.checkbox(T("planning.new_only"), help=T("planning.new_only_help"), key="new_only")
    st.markdown(f"**{T('planning.weights')}**")
    wcols = st.columns(len(WEIGHT_KEYS))
    weights = {
        k: wcols[i].number_input(T(f"planning.w_{k}"), 0.0, 100.0, DEFAULT_WEIGHTS[k], 0.5, key=f"w_{k}")
        for i, k in enumerate(WEIGHT_KEYS)
    }
    c1, c2, c3 = st.columns(3)
    budget = c1.number_input(T("planning.budget"), 0.0, 1e7, 500.0, 50.0, key="budget")
    k = c2.number_input(T("planning.min_per_town"), 0, 20, 0, 1, key="min_per_town")
    limit = c3.number_input(T("planning.time_limit"), 1.0, 600.0, 30.0, 5.0, key="time_limit")
    approved = [i for i in planning_run.default_must_in(layers["projects"]) if i in labels]
    must = st.multiselect(T("planning.must_in"), list(labels), approved, format_func=labels.get, key="must_in",
                          placeholder=T("common.choose"))
    excluded = st.multiselect(T("planning.excluded"), list(labels), format_func=labels.get, key="excluded",
                              placeholder=T("common.choose"))
    submitted = st.form_submit_button(T("planning.run"), type="primary")

options = panel.options(
    ctx, budget=budget, weights=weights, distances=distances, new_access_only=new_only, must_in=tuple(must),
    excluded=tuple(excluded), min_per_town=int(k), time_limit=float(limit),
)
result = panel.result(ctx, layers, options, submitted)

for text in planning_run.data_warnings(result, ctx.lang):
    st.warning(text)
kpi_row(planning_run.kpis(result, ctx.lang))
panel.show_messages(planning_run.status_messages(result, ctx.lang))

tab_rank, tab_port, tab_map, tab_cmp = st.tabs([T("planning.ranking"), T("planning.portfolio"), T("planning.map"), T("planning.scenarios")])
with tab_rank:
    st.dataframe(planning_run.labelled(result.ranking, ctx.lang), hide_index=True, use_container_width=True)
with tab_port:
    st.dataframe(planning_run.summary(result, ctx.lang), hide_index=True, use_container_width=True)
    st.markdown(f"**{T('planning.chart')}**")
    st.altair_chart(panel.curve_chart(result, ctx.lang), use_container_width=True)
    for p in (result.exact, result.greedy):
        st.markdown(f"**{T(f'planning.{p.method}')}**")
        st.dataframe(planning_run.labelled(p.steps, ctx.lang), hide_index=True, use_container_width=True)
    st.download_button(
        T("planning.download"), planning_run.excel_bytes(result, ctx.lang), file_name="项目规划.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="planning_xlsx",
    )
with tab_map:
    ids = result.coverage.projects["project_id"].iloc[result.exact.chosen].tolist()
    show_map(portfolio_map(layers["villages"], layers["projects"], ids, options.distances, lang=ctx.lang,
                           basemap=ctx.basemap, tianditu_token=ctx.tianditu_token), key="planning_map")
with tab_cmp:
    st.caption(T("planning.scenario_hint"))
    b1, b2 = st.columns(2)
    for col, name in ((b1, "A"), (b2, "B")):
        if col.button(T(f"planning.save_{name.lower()}"), key=f"save_{name}"):
            panel.save_scenario(name, result, ctx.lang)
            st.toast(T("planning.saved"))
    for col, name in ((b1, "A"), (b2, "B")):
        saved = panel.scenario(name)
        if saved:
            col.markdown(f"**{name}**")
            col.dataframe(saved["summary"], hide_index=True, use_container_width=True)
            col.dataframe(saved["projects"], hide_index=True, use_container_width=True)
