"""乡村旅游 — tourism sites over poverty density; households reached within a distance, by town."""

import streamlit as st

from bangfu.ui.panels import tourism as panel
from bangfu.ui.shell import current
from bangfu.ui.widgets import page_header, show_map

ctx = current()
page_header(ctx, "page.tourism", "tourism.intro")

choice = panel.option_widgets(ctx)
view = panel.area_view(ctx, choice)  # the sidebar's town by the one area rule
panel.kpi_section(ctx, view)
show_map(panel.area_map(ctx, view, choice), key="tourism_map", height=600)

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
