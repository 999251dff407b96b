"""项目规划 — rank infrastructure projects by households benefited; best portfolio within a budget."""

import streamlit as st

from bangfu.ui.panels import planning as panel
from bangfu.ui.shell import current
from bangfu.ui.widgets import kept_tabs, page_header, show_map

ctx = current()
T = ctx.t
page_header(ctx, "page.planning", "planning.intro")

layers = panel.layers(ctx)
options, submitted = panel.settings_form(ctx, layers)
result = panel.result(ctx, layers, options, submitted)
panel.messages(ctx, result)

tab_rank, tab_port, tab_map, tab_cmp = kept_tabs([T("planning.ranking"), T("planning.portfolio"), T("planning.map"),
                                                  T("planning.scenarios")], key="planning.tab")
with tab_rank:
    st.dataframe(panel.ranking_table(ctx, result), hide_index=True, use_container_width=True)
with tab_port:
    panel.portfolio_tab(ctx, result)
with tab_map:
    show_map(panel.area_map(ctx, layers, result), key="planning_map")
with tab_cmp:
    panel.scenarios_tab(ctx, result)
