"""道路硬化 — road hardening: map by status, progress against a target, access share, safe editing."""

import streamlit as st

from bangfu.ui.feedback import show_flash
from bangfu.ui.panels import roads as panel
from bangfu.ui.shell import current
from bangfu.ui.widgets import kept_tabs, page_header, search_box, show_map

ctx = current()
page_header(ctx, "page.roads", "roads.intro")
show_flash(panel.FLASH_SLOT)

road_layer = ctx.layer("roads")
if road_layer.empty:
    st.info(ctx.t("roads.no_roads"))
    st.stop()

f = panel.filters(ctx, road_layer)
view = panel.area_view(ctx, f)  # the sidebar's town by the one area rule
panel.kpi_section(ctx, view)
found = search_box(ctx, key=panel.SEARCH_KEY)  # the index: built when something is typed
focus, fit = panel.current_pick(ctx, found)  # search or a click on the map (a road opens in the editor tab)
road_map = panel.area_map(ctx, view, f)
if road_map is None:  # a province or city of a big workspace: the map is drawn per county (too many roads)
    st.info(ctx.t("roads.map.too_big"))
else:
    show_map(road_map, key=panel.MAP_KEY, height=560, returned_objects=["last_active_drawing"], focus=focus, fit=fit)
    st.caption(ctx.t("roads.map.caption"))

progress, access, network, edit, bulk, history = kept_tabs(panel.tab_labels(ctx), key="roads.tab")
with progress:
    panel.progress_panel(ctx, view.pieces, view.villages)
with access:
    st.number_input(ctx.t("roads.access.distance"), 0.5, 10.0, step=0.5, key=panel.DISTANCE_KEY)
    panel.access_panel(ctx, panel.access_distance())
with network:
    links_map = panel.network_panel(ctx, view, panel.access_distance())
    if links_map is not None:
        show_map(links_map, key="roads_links_map", height=480)
with edit:
    panel.edit_panel(ctx, view)
with bulk:
    panel.bulk_panel(ctx)
with history:
    panel.recent_history(ctx)
