"""企业结对 — enterprise–village pairings: coverage of needy villages, gaps, editing with history."""

import streamlit as st

from bangfu.ui.panels import pairings as panel
from bangfu.ui.shell import current
from bangfu.ui.widgets import kept_tabs, page_header, search_box, show_map

ctx = current()
page_header(ctx, "page.pairings", "pairings.intro")

rule, as_of = panel.rule_section(ctx)
view = panel.area_view(ctx, rule, as_of)  # the sidebar's town by the one area rule
panel.kpi_section(ctx, view)

found = search_box(ctx, key=panel.SEARCH_KEY)  # the workspace's index, built when something is typed
focus, fit = panel.current_pick(ctx, view, found)  # search, map click or a ticked unpaired village
show_ended = st.toggle(ctx.t("pairings.show_inactive"), value=False, key="pairings_show_ended")
all_lines = panel.lines_toggle(ctx)
show_map(panel.area_map(ctx, view, show_ended=show_ended, focus=focus, all_lines=all_lines), key=panel.map_key(ctx),
         height=620, returned_objects=["last_active_drawing"], focus=focus, fit=fit, on_change=panel.drill_down(ctx))
panel.map_caption(ctx)

coverage, gaps, multi, enterprises, towns, edit, history = kept_tabs(panel.tab_labels(ctx), key="pairings.tab")
with coverage:
    panel.coverage_tab(ctx, view)
with gaps:
    panel.gaps_tab(ctx, view)
with multi:
    panel.multi_tab(ctx, view)
with enterprises:
    panel.enterprises_tab(ctx, view)
with towns:
    panel.towns_tab(ctx, view)
with edit:
    panel.editing_tab(ctx, view)
with history:
    panel.history_table(ctx, None)
