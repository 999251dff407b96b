"""项目规划 — rank infrastructure projects by households benefited; best portfolio within a budget."""


from bangfu.ui.panels import planning as panel
from bangfu.ui.shell import current
from bangfu.ui.widgets import kept_tabs, page_header, pick_table, show_map

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
    pick_table(ctx, panel.ranking_table(ctx, result), key=panel.RANKING_KEY)  # a ticked project: on the map tab
with tab_port:
    if tab_port.open:
        panel.portfolio_tab(ctx, result)
with tab_map:
    if tab_map.open:  # built only when shown: a province's plan draws hundreds of catchments
        focus, fit = panel.map_pick(ctx, result)  # search box, map click or a ticked ranking row
        show_map(panel.area_map(ctx, layers, result), key=panel.MAP_KEY, returned_objects=["last_active_drawing"],
                 focus=focus, fit=fit)
with tab_cmp:
    panel.scenarios_tab(ctx, result)
