"""总览地图 — villages by a chosen poverty indicator, 老区/key villages, overlays, town drill-down, village profile."""

import streamlit as st

from bangfu.ui.panels import overview as panel
from bangfu.ui.feedback import md_text
from bangfu.ui.shell import current
from bangfu.ui.widgets import download_buttons, page_header, pick_table, search_box, show_map

ctx = current()
page_header(ctx, "page.overview", "home.intro")
choice = panel.option_widgets(ctx)

table = panel.village_table(ctx.path, ctx.version, choice.as_of)
if table.empty:
    st.info(ctx.t("overview.no_villages"))
    st.stop()
area_table = panel.area_villages(ctx, table)
panel.kpi_section(ctx, area_table)
found = search_box(ctx, key=panel.SEARCH_KEY)  # the workspace's index, built when something is typed
summary = panel.summary_table(ctx, area_table, choice.as_of)
map_key = panel.map_key(ctx, choice)
pick = panel.current_pick(ctx, found, summary.refs, map_key)  # search, map click or table row: the last one wins

with st.spinner("…"):
    fmap = panel.overview_map(ctx, choice)
left, right = st.columns([5, 2])
with left:
    show_map(fmap, key=map_key, height=640, returned_objects=["last_active_drawing"], focus=pick.entry, fit=pick.fit,
             on_change=panel.drill_down(ctx, choice))  # a click on an area of the map goes to that area
    panel.map_notes(ctx, choice)
panel.warm_up(ctx)  # after the map: fill the shared caches of the other levels and the village tiles
with right:
    st.subheader(ctx.t("overview.profile.title"))
    panel.profile_panel(ctx, table, choice.as_of, pick.village)

st.subheader(md_text(summary.title))
pick_table(ctx, summary.table, key=panel.TABLE_KEY)
download_buttons(summary.table, name=summary.file_name, lang=ctx.lang, key="ov_table_dl")
