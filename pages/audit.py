"""操作记录与账号 — the audit trail (filtered by user, action and dates) and, for administrators, the accounts."""

import streamlit as st

from bangfu.ui.panels import audit as panel
from bangfu.ui.shell import current
from bangfu.ui.widgets import kept_tabs

ctx = current()
st.title(ctx.t("page.audit"))
st.caption(ctx.t("audit.intro"))

tab_trail, tab_users = kept_tabs(panel.tab_labels(ctx), key="audit.tab")
with tab_trail:
    panel.trail_section(ctx)
with tab_users:
    panel.users_section(ctx)
