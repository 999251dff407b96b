"""总览地图 — villages by a chosen poverty indicator, 老区/key villages, overlays, town drill-down, village profile."""

import streamlit as st

from bangfu.ui.panels import overview as panel
from bangfu.ui.feedback import md_text
from bangfu.ui.shell import current
from bangfu.ui.widgets import download_buttons, page_header, show_map

ctx = current()
page_header(ctx, "page.overview", "home.intro")
choice = panel.option_widgets(ctx)

table = panel.village_table(ctx.path, ctx.version, choice.as_of)
if table.empty:
    st.info(ctx.t("overview.no_villages"))
    st.stop()
area_table = panel.area_villages(ctx, table)
panel.kpi_section(ctx, area_table)

with st.spinner("…"):
    fmap = panel.overview_map(ctx, choice)
left, right = st.columns([5, 2])
with left:
    state = show_map(fmap, key="overview_map", height=640, returned_objects=["last_active_drawing"])
    st.caption(ctx.t("overview.map_caption"))
code = panel.chosen_village(state, table)
with right:
    st.subheader(ctx.t("overview.profile.title"))
    panel.profile_panel(ctx, table, choice.as_of, code)

title, shown, file_name = panel.summary_table(ctx, area_table, choice.as_of)
st.subheader(md_text(title))
st.dataframe(shown, hide_index=True, width="stretch")
download_buttons(shown, name=file_name, lang=ctx.lang, key="ov_table")
