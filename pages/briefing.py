"""领导简报 — a one-page A4 briefing (PDF, Word, map PNG) of the county or a town, and a presentation mode."""

import pandas as pd
import streamlit as st

from bangfu.briefing import SECTIONS
from bangfu.core.vocab import SECTION_STATUS
from bangfu.ui.panels.briefing import get_briefing, presentation
from bangfu.ui.shell import current
from bangfu.ui.widgets import kpi_row, synthetic_note

ctx = current()
params = st.query_params
present = st.toggle(
    ctx.t("briefing.present"), value=params.get("present") == "1", key="briefing_present", help=ctx.t("briefing.present_help")
)
if present:
    params["present"] = "1"
elif "present" in params:
    del params["present"]

if present:
    presentation(ctx, get_briefing(ctx))
    st.stop()

st.title(ctx.t("page.briefing") + (f" · {ctx.town_name}" if ctx.town_name else ""))
st.caption(ctx.t("briefing.page_intro"))
synthetic_note(ctx)
rebuild = st.button(ctx.t("briefing.rebuild"), key="briefing_rebuild", icon=":material/refresh:")
b = get_briefing(ctx, rebuild=rebuild)
c = b.content

d1, d2, d3 = st.columns(3)
d1.download_button(ctx.t("briefing.download_pdf"), b.pdf, file_name=f"{b.file_stem()}.pdf", mime="application/pdf",
                   key="dl_pdf", type="primary", width="stretch")
d2.download_button(ctx.t("briefing.download_docx"), b.docx, file_name=f"{b.file_stem()}.docx", key="dl_docx",
                   mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document", width="stretch")
d3.download_button(ctx.t("briefing.download_png"), b.map_png, file_name=f"{b.file_stem()}_地图.png", mime="image/png",
                   key="dl_png", width="stretch")

kpi_row([(k.label, k.text) for k in c.kpis[:5]])
kpi_row([(k.label, k.text) for k in c.kpis[5:]])

left, right = st.columns([3, 2])
with left:
    st.subheader(ctx.t("briefing.preview"))
    st.image(b.preview_png, width="stretch")
with right:
    st.subheader(ctx.t("briefing.sections_status"))
    status = pd.DataFrame(
        [{ctx.t("briefing.col_section"): ctx.t(s.label), ctx.t("briefing.col_status"): SECTION_STATUS.label(c.results[s.key].status, ctx.lang)}
         for s in SECTIONS]
    )
    st.dataframe(status, hide_index=True, width="stretch")
    for note in c.notes:
        st.caption(note)
