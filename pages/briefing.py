"""领导简报 — a one-page A4 briefing (PDF, Word, map PNG) of the county or a town, and a presentation mode."""

import streamlit as st

from bangfu.ui.panels import briefing as panel
from bangfu.ui.shell import current
from bangfu.ui.widgets import page_header

ctx = current()
if panel.present_toggle(ctx):
    panel.presentation(ctx, panel.get_briefing(ctx))
    st.stop()

page_header(ctx, "page.briefing", "briefing.page_intro")
rebuild = st.button(ctx.t("briefing.rebuild"), key="briefing_rebuild", icon=":material/refresh:")
b = panel.get_briefing(ctx, rebuild=rebuild)
panel.plan_note(ctx, b)
panel.downloads(ctx, b)
panel.kpi_section(b)

left, right = st.columns([3, 2])
with left:
    st.subheader(ctx.t("briefing.preview"))
    st.image(b.preview_png, width="stretch")
with right:
    st.subheader(ctx.t("briefing.sections_status"))
    panel.section_status(ctx, b)
