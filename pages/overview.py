"""总览地图 — villages by a chosen poverty indicator, 老区/key villages, overlays, town drill-down, village profile."""

import streamlit as st

from bangfu import indicators as ind
from bangfu.maps.overview import MapOptions, build_overview_map
from bangfu.ui.panels import overview as data
from bangfu.ui.shell import current
from bangfu.ui.widgets import download_buttons, kpi_row, show_map, synthetic_note
from bangfu.indicators.profile import village_profile
from bangfu.workspace import areas

ctx = current()
T = ctx.t
st.title(T("page.overview") + (f" · {ctx.town_name}" if ctx.town_name else ""))
st.caption(T("home.intro"))
synthetic_note(ctx)

# --- options ---------------------------------------------------------------------------
c1, c2, c3, c4, c5 = st.columns([1.3, 1.6, 1.0, 1.4, 1.1])
indicator = c1.selectbox(
    T("overview.indicator"), [i.key for i in ind.CHOROPLETH_INDICATORS],
    format_func=lambda k: T(ind.choropleth_indicator(k).label), key="ov_indicator",
)
methods = [m.key for m in ind.CLASS_METHODS]
method = c2.selectbox(
    T("overview.method"), methods, index=methods.index(ind.DEFAULT_METHOD),
    format_func=lambda k: T(ind.class_method(k).label), key="ov_method",
)
k = c3.slider(T("overview.k"), ind.MIN_CLASSES, ind.MAX_CLASSES, ind.DEFAULT_K, key="ov_k")
flag_filter = c4.selectbox(T("overview.filter"), ind.FLAG_FILTERS, format_func=lambda f: T(f"overview.filter.{f}"),
                           key="ov_filter")
as_of = c5.date_input(T("overview.as_of"), data.default_as_of(ctx.meta), key="ov_as_of").isoformat()

table = data.village_table(ctx.path, ctx.version, as_of)
if table.empty:
    st.info(T("overview.no_villages"))
    st.stop()

# --- KPIs (county or chosen town) --------------------------------------------------------
area_table = areas.area_slice(ctx.area, "villages", table)  # the one area rule (bangfu.workspace.areas)
kp = ind.overview_kpis(area_table)
kpi_row([
    (T("kpi.villages"), ind.fmt_int(kp.villages)),
    (T("kpi.households"), ind.fmt_int(kp.households)),
    (T("kpi.poor_households"), ind.fmt_int(kp.poor_households)),
    (T("kpi.poor_population"), ind.fmt_int(kp.poor_population)),
    (T("kpi.old_district"), ind.fmt_int(kp.old_district_villages)),
    (T("kpi.hardening_rate"), ind.fmt_pct(kp.hardening_pct)),
    (T("kpi.pairing_coverage"), ind.fmt_pct(kp.pairing_coverage_pct)),
])
st.caption(f"{T('kpi.hardening_rate')}：{T('overview.kpi.hardening_help')}。{T('kpi.pairing_coverage')}："
           + T("overview.kpi.coverage_value").format(paired=kp.needy_paired, needy=kp.needy_villages))

# --- map and profile ---------------------------------------------------------------------
options = MapOptions(indicator=indicator, method=method, k=k, flag_filter=flag_filter, town_code=ctx.town_code,
                     lang=ctx.lang)
with st.spinner("…"):
    mdata = data.map_data(ctx.path, ctx.version, as_of, options)
    fmap = build_overview_map(mdata, basemap=ctx.basemap, tianditu_token=ctx.tianditu_token)

left, right = st.columns([5, 2])
with left:
    out = show_map(fmap, key="overview_map", height=640, returned_objects=["last_active_drawing"])
    st.caption(T("overview.map_caption"))
clicked = ((out.get("last_active_drawing") or {}).get("properties") or {}).get("c")
if clicked and clicked in set(table["village_code"]):
    st.session_state["ov_village"] = clicked

with right:
    st.subheader(T("overview.profile.title"))
    code = st.session_state.get("ov_village")
    prof = village_profile(
        code, table, roads=ctx.layer("roads"), sites=ctx.layer("tourism_sites"), pairings=ctx.layer("pairings"),
        enterprises=ctx.layer("enterprises"), projects=ctx.layer("projects"), as_of=as_of, lang=ctx.lang,
    ) if code else None
    if prof is None:
        st.info(T("overview.profile.hint"))
    else:
        st.markdown(f"**{data.md_text(prof.name)}** · {data.md_text(prof.town)} · `{prof.code}`")
        st.caption(f"{T('overview.tt.flags')}：{prof.flags}")
        st.dataframe(
            {T("overview.profile.item"): [f for f, _ in prof.figures], T("overview.profile.value"): [v for _, v in prof.figures]},
            hide_index=True, width="stretch",
        )
        for title, frame in ((T("overview.profile.roads"), prof.roads), (T("overview.profile.sites"), prof.sites),
                             (T("overview.profile.pairings"), prof.pairings), (T("overview.profile.projects"), prof.projects)):
            st.markdown(f"**{title}**")
            if frame.empty:
                st.caption(T("overview.profile.none"))
            else:
                st.dataframe(frame, hide_index=True, width="stretch")

# --- tables ------------------------------------------------------------------------------
if ctx.town_code is None:
    st.subheader(T("overview.table.towns"))
    summary = data.town_table(ctx.path, ctx.version, as_of)
    cols = list(ind.TOWN_SUMMARY_COLUMNS)
    fname = T("overview.file.towns")
else:
    st.subheader(f"{ctx.town_name} · {T('overview.table.villages')}")
    summary = area_table.drop(columns="geometry")
    summary = summary.rename(columns={"is_old_district": "old_district_villages", "is_key_village": "key_villages"})
    cols = ["village_code", "village_name", "households", "poor_households", "poor_population", "incidence_pct",
            "area_km2", "poverty_density", "old_district_villages", "key_villages", "road_km", "hardening_pct",
            "active_pairings"]
    fname = f"{ctx.town_name}{T('overview.file.villages')}"
shown = ind.display_table(summary[cols], lang=ctx.lang)
st.dataframe(shown, hide_index=True, width="stretch")
download_buttons(shown, name=fname, lang=ctx.lang, key="ov_table")
