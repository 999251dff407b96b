"""开始使用 — a new workspace step by step: each layer's status, the next import, the Excel templates."""

import streamlit as st

from bangfu.ui.panels import start as panel
from bangfu.ui.shell import current
from bangfu.ui.widgets import synthetic_note

ctx = current()
st.title(ctx.t("page.start"))
st.caption(ctx.t("start.intro"))
synthetic_note(ctx)

found = panel.statuses(ctx)
panel.kpi_section(ctx, found)
panel.next_step_section(ctx, found)
panel.status_section(ctx, found)
panel.templates_section(ctx, found)
