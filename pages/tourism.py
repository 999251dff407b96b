"""乡村旅游 — tourism sites over poverty density; households reached within a distance, by town."""

import streamlit as st

from bangfu.ui.panels import tourism as panel
from bangfu.ui.shell import current
from bangfu.ui.widgets import page_header, search_box, show_map

ctx = current()
page_header(ctx, "page.tourism", "tourism.intro")

choice = panel.option_widgets(ctx)
view = panel.area_view(ctx, choice)  # the sidebar's town by the one area rule
panel.kpi_section(ctx, view)
found = search_box(ctx, key=panel.SEARCH_KEY)  # the workspace's index, built when something is typed
focus, fit = panel.current_pick(ctx, found)  # search or a click on the map
show_map(panel.area_map(ctx, view, choice), key=panel.map_key(ctx), height=600, returned_objects=["last_active_drawing"],
         focus=focus, fit=fit, on_change=panel.drill_down(ctx))  # a click on an area of a province or city opens it
panel.map_caption(ctx)

left, right = st.columns([3, 2])
with left:
    st.subheader(ctx.t("tourism.reach_title"))
    st.caption(ctx.t("tourism.reach_caption"))
    st.dataframe(panel.reach_table(ctx, view), hide_index=True)
with right:
    st.subheader(ctx.t("tourism.chart_title"))
    panel.employment_chart(ctx, view)

st.subheader(ctx.t("tourism.sites_title"))
panel.site_table(ctx, view, choice)
