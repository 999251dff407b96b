"""数据管理 — import a county's own files (checked and previewed first), export, restore the backup."""

import streamlit as st

from bangfu.ui.feedback import show_flash
from bangfu.ui.panels import data as panel
from bangfu.ui.shell import current
from bangfu.ui.widgets import kept_tabs, workspace_notice

ctx = current()
st.title(ctx.t("page.data"))
st.caption(ctx.t("data.intro"))
show_flash(panel.FLASH_SLOT)
workspace_notice(ctx)

tab_import, tab_export, tab_backup = kept_tabs(panel.tab_labels(ctx), key="data.tab")
with tab_import:
    layer, source = panel.source_picker(ctx)
    if source is None:
        st.info(ctx.t("data.no_file"))
    else:
        panel.import_flow(ctx, layer, *source)
with tab_export:
    panel.export_section(ctx)
with tab_backup:
    panel.backup_section(ctx)
with st.expander(ctx.t("data.new_ws")):
    panel.new_workspace_form(ctx)
