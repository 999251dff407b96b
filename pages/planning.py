"""项目规划 — rank infrastructure projects by households benefited; best portfolio within a budget."""

import altair as alt
import pandas as pd
import streamlit as st

from bangfu.planning import solvers as planning, run as planning_run
from bangfu.planning.coverage import CANDIDATE_STATUSES
from bangfu.planning.project_types import PROJECT_TYPE_TABLE, default_distances
from bangfu.maps.planning import portfolio_map
from bangfu.ui.shell import current
from bangfu.ui.widgets import kpi_row, show_map, synthetic_note

ctx = current()
T = ctx.t
st.title(T("page.planning") + (f" · {ctx.town_name}" if ctx.town_name else ""))
st.caption(T("planning.intro"))
synthetic_note(ctx)

layers = {name: ctx.layer(name) for name in ("villages", "households", "roads", "projects")}
projects = layers["projects"]
cand = projects[projects["status"].astype(str).isin(CANDIDATE_STATUSES)]
if ctx.town_code:
    towns = layers["villages"].set_index("village_code")["town_code"].astype(str)
    cand = cand[cand["village_code"].astype(str).map(towns) == ctx.town_code]
labels = dict(zip(cand["project_id"].astype(str), cand["project_id"].astype(str) + " " + cand["name"].astype(str)))
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
    wcols = st.columns(4)
    weights = {
        k: wcols[i].number_input(T(f"planning.w_{k}"), 0.0, 100.0, planning.DEFAULT_WEIGHTS[k], 0.5, key=f"w_{k}")
        for i, k in enumerate(planning.WEIGHT_KEYS)
    }
    c1, c2, c3 = st.columns(3)
    budget = c1.number_input(T("planning.budget"), 0.0, 1e7, 500.0, 50.0, key="budget")
    k = c2.number_input(T("planning.min_per_town"), 0, 20, 0, 1, key="min_per_town")
    limit = c3.number_input(T("planning.time_limit"), 1.0, 600.0, 30.0, 5.0, key="time_limit")
    approved = [i for i in planning_run.default_must_in(cand) if i in labels]
    must = st.multiselect(T("planning.must_in"), list(labels), approved, format_func=labels.get, key="must_in",
                          placeholder=T("common.choose"))
    excluded = st.multiselect(T("planning.excluded"), list(labels), format_func=labels.get, key="excluded",
                              placeholder=T("common.choose"))
    submitted = st.form_submit_button(T("planning.run"), type="primary")

options = planning_run.PlanOptions(
    budget=budget, weights=weights, distances=distances, new_access_only=new_only, must_in=tuple(must),
    excluded=tuple(excluded), min_per_town=int(k), town_code=ctx.town_code, time_limit=float(limit),
)
key = (ctx.path, ctx.version, repr(options))
if submitted or st.session_state.get("planning_key") != key:
    bar = st.progress(0.0, T("planning.progress.coverage"))
    try:
        result = planning_run.run(layers, options, progress=lambda f, msg: bar.progress(f, msg), lang=ctx.lang)
    except planning.PlanningError as exc:
        bar.empty()
        st.session_state.pop("planning_result", None)
        st.error(f"**{T('planning.error')}**：{exc.message_zh if ctx.lang == 'zh' else exc.message_en}")
        st.stop()
    bar.empty()
    st.session_state["planning_result"], st.session_state["planning_key"] = result, key
result: planning_run.PlanResult = st.session_state["planning_result"]

if result.fallback:
    st.warning(T("planning.fallback"))
if result.ranking["households"].sum() == 0:
    st.warning(T("planning.empty_catchments"))

ex, gr = result.exact, result.greedy
kpi_row([
    (T("planning.kpi.projects"), f"{len(ex.chosen)}"),
    (T("planning.kpi.cost"), f"{ex.cost:,.1f}"),
    (T("planning.kpi.households"), f"{ex.totals['households']:,.0f}"),
    (T("planning.kpi.poor"), f"{ex.totals['poor_households']:,.0f}"),
    (T("planning.kpi.score"), f"{ex.objective:,.1f}"),
    (T("planning.kpi.gap"), f"{result.greedy_gap:.2%}"),
])
if ex.status == "optimal":
    st.success(f"{T('planning.exact')}：{T('planning.status.optimal')}（{ex.seconds:.1f} s）")
else:
    st.warning(f"{T('planning.exact')}：{T('planning.status.time_limit').format(gap=f'{ex.gap:.2%}')}")

tab_rank, tab_port, tab_map, tab_cmp = st.tabs([T("planning.ranking"), T("planning.portfolio"), T("planning.map"), T("planning.scenarios")])
with tab_rank:
    st.dataframe(planning_run.labelled(result.ranking, ctx.lang), hide_index=True, use_container_width=True)
with tab_port:
    st.dataframe(planning_run.summary(result, ctx.lang), hide_index=True, use_container_width=True)
    curves = pd.concat([
        planning.cumulative_curve(p).assign(method=T(f"planning.{p.method}")) for p in (gr, ex)
    ])
    st.markdown(f"**{T('planning.chart')}**")
    st.altair_chart(
        alt.Chart(curves).mark_line(point=True).encode(
            x=alt.X("cumulative_cost:Q", title=T("planning.chart.x")),
            y=alt.Y("total_households:Q", title=T("planning.chart.y")),
            color=alt.Color("method:N", title=None),
        ),
        use_container_width=True,
    )
    for p in (ex, gr):
        st.markdown(f"**{T(f'planning.{p.method}')}**")
        st.dataframe(planning_run.labelled(p.steps, ctx.lang), hide_index=True, use_container_width=True)
    st.download_button(
        T("planning.download"), planning_run.excel_bytes(result, ctx.lang), file_name="项目规划.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="planning_xlsx",
    )
with tab_map:
    ids = result.coverage.projects["project_id"].iloc[ex.chosen].tolist()
    show_map(portfolio_map(layers["villages"], projects, ids, options.distances, lang=ctx.lang,
                           basemap=ctx.basemap, tianditu_token=ctx.tianditu_token), key="planning_map")
with tab_cmp:
    st.caption(T("planning.scenario_hint"))
    b1, b2 = st.columns(2)
    for col, name in ((b1, "A"), (b2, "B")):
        if col.button(T(f"planning.save_{name.lower()}"), key=f"save_{name}"):
            st.session_state[f"planning_scenario_{name}"] = {
                "summary": planning_run.summary(result, ctx.lang),
                "projects": planning_run.labelled(ex.steps, ctx.lang).iloc[:, 1:6],
            }
            st.toast(T("planning.saved"))
    for col, name in ((b1, "A"), (b2, "B")):
        saved = st.session_state.get(f"planning_scenario_{name}")
        if saved:
            col.markdown(f"**{name}**")
            col.dataframe(saved["summary"], hide_index=True, use_container_width=True)
            col.dataframe(saved["projects"], hide_index=True, use_container_width=True)
