"""Panels of page 领导简报: presentation toggle, the briefing built once per session, downloads, KPIs, section status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from bangfu import briefing
from bangfu.briefing import SECTIONS, adapters
from bangfu.core.vocab import SECTION_STATUS
from bangfu.ui import cache as data
from bangfu.ui.feedback import html_text, md_text, show_error
from bangfu.ui.panels.planning import RESULT_KEY as PLANNING_RESULT_KEY
from bangfu.ui.shell import Context
from bangfu.ui.pages import page
from bangfu.ui.widgets import kpi_row, require_layers
from bangfu.workspace import derived, personal

#: Session key under which a page may leave a portfolio to brief (a DataFrame, one row per project).
PORTFOLIO_KEY = "_bangfu_portfolio"

_PRESENT_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="collapsedControl"],
header[data-testid="stHeader"], [data-testid="stToolbar"] {display: none !important;}
.block-container {padding-top: 1.2rem !important; max-width: 100% !important;}
.bangfu-kpis {display: grid; grid-template-columns: repeat(5, 1fr); gap: 14px; margin: 6px 0 18px;}
.bangfu-kpi {background: #f6f3ef; border-left: 6px solid #b2182b; border-radius: 6px; padding: 12px 16px;}
.bangfu-kpi .l {font-size: 1.15rem; color: #555;}
.bangfu-kpi .v {font-size: 2.6rem; font-weight: 700; color: #1f1f1f; line-height: 1.2;}
.bangfu-kpi.na .v {color: #999;}
.bangfu-kpi .n {font-size: 0.9rem; color: #888;}
.bangfu-present-title {font-size: 2.6rem; font-weight: 700; line-height: 1.25; margin: 0; color: #1f1f1f;}
.bangfu-present-sub {font-size: 1.2rem; color: #666; margin-bottom: 6px;}
[data-testid="stImage"] img {max-height: 55vh; object-fit: contain;}
</style>
"""


def present_toggle(ctx: Context) -> bool:
    """The presentation-mode toggle, kept in the URL as ``?present=1`` so that a link opens it directly."""
    params = st.query_params
    present = st.toggle(ctx.t("briefing.present"), value=params.get("present") == "1", key="briefing_present",
                        help=ctx.t("briefing.present_help"))
    if present:
        params["present"] = "1"
    elif "present" in params:
        del params["present"]
    if present:  # nothing to present on a workspace without villages: say what to import
        require_layers(ctx, page("briefing").needs)
    return present


def get_briefing(ctx: Context, *, rebuild: bool = False) -> briefing.Briefing:
    """The briefing of the current area, built once per workspace version, town and language.

    Kept in this session only (it may brief a portfolio computed from household points). The town
    is part of the key here because it is the briefing's subject, not a filter of a cached table.
    """
    portfolio = st.session_state.get(PORTFOLIO_KEY)
    plan = st.session_state.get(PLANNING_RESULT_KEY)
    about: dict[str, object] | None = None
    if portfolio is None and plan is not None:
        try:
            portfolio = adapters.portfolio_table(plan)
            about = adapters.portfolio_facts(plan)
        except (AttributeError, KeyError, IndexError):  # a result of another shape: fall back to the ranking
            portfolio, about = None, None
    subject = (ctx.area_code, ctx.lang, id(plan) if portfolio is None else id(portfolio), ctx.user)
    return data.session_value("briefing", ctx.path, ctx.version, key=subject, refresh=rebuild,
                              compute=lambda: _build(ctx, portfolio, about))


def plan_note(ctx: Context, b: briefing.Briefing) -> None:
    """Say which projects the briefing shows: the planning page's portfolio (with its budget) or the standalone
    ranking."""
    block = b.content.tables.get("projects")
    if b.content.projects_plan == "portfolio" and block is not None:
        st.info(md_text(ctx.t("briefing.plan_portfolio").format(title=block.title)), icon=":material/info:")
    else:
        st.info(ctx.t("briefing.plan_ranking"), icon=":material/info:")


def loader(ctx: Context) -> Callable[[str], Any]:
    """The briefing's loader: layers as aggregates (households without ids) and the stored tables its sources name
    ``derived:<table>`` — the per-village ones at every level (the same figures as from the layers), the catchment
    groups at a province or city only (:func:`bangfu.workspace.derived.uses_stored`; elsewhere ``LookupError``: the
    ranking then counts the area's own households, as it always did). A personal layer (the households) is read for
    the area only (:func:`bangfu.ui.cache.area_aggregate_layer`: the rows the spatial index finds in it), never the whole
    layer for a county or a town."""
    def load(name: str) -> Any:
        if name.startswith(derived.PREFIX):
            if name.startswith(derived.PREFIX + "catchments") and not derived.uses_stored(ctx.area.level):
                raise LookupError(f"{name}: computed from the layers at this level")
            personal.require_aggregates(ctx.user, "households")
            parts = data.derived_table(ctx.path, ctx.version, name[len(derived.PREFIX):], lang=ctx.lang)
            return parts["table"] if "table" in parts else parts
        if personal.is_personal(name):  # only the area's rows (spatial index): the briefing counts the area's own households
            return ctx.area_aggregate_layer(name)
        return ctx.aggregate_layer(name)

    return load


def _build(ctx: Context, portfolio: object, plan: dict[str, object] | None = None) -> briefing.Briefing:
    """Build the briefing with a progress bar; a failure is shown and stops the page."""
    bar = st.progress(0.0, text=ctx.t("briefing.building"))
    try:
        result = briefing.build_briefing(
            loader(ctx),  # households without ids: the briefing shows aggregates only
            user=ctx.user,
            meta=ctx.meta,
            town_code=ctx.area_code,
            lang=ctx.lang,
            overrides={"projects": portfolio} if portfolio is not None else None,
            plan=plan,
            units=lambda level: data.unit_polygons(ctx.path, ctx.version, level),  # shared with the overview's map
            progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg),
        )
    except Exception as exc:  # noqa: BLE001 — a clear message for the reader, details for the planner
        bar.empty()
        show_error(exc, ctx.lang, title=ctx.t("briefing.failed"))
        st.stop()
    bar.empty()
    return result


def presentation(ctx: Context, b: briefing.Briefing) -> None:
    """Full-width map with large KPI cards; sidebar, header and every editing control hidden."""
    c = b.content
    st.markdown(_PRESENT_CSS, unsafe_allow_html=True)
    st.markdown(
        f'<div class="bangfu-present-title">{html_text(c.title)}</div>'
        f'<div class="bangfu-present-sub">{html_text(c.date_text)} · {html_text(c.as_of_text)}</div>',
        unsafe_allow_html=True,
    )
    cards = []
    for k in c.kpis:
        na = k.status in ("missing", "error")
        note = f'<div class="n">{html_text(ctx.t("briefing.kpi_not_yet"))}</div>' if na else ""
        cards.append(
            f'<div class="bangfu-kpi{" na" if na else ""}"><div class="l">{html_text(k.label)}</div>'
            f'<div class="v">{html_text(k.text)}</div>{note}</div>'
        )
    st.markdown(f'<div class="bangfu-kpis">{"".join(cards)}</div>', unsafe_allow_html=True)
    png_key = ("_bangfu_present_png", id(b))
    if st.session_state.get("_bangfu_present_png", (None,))[0] != png_key:
        st.session_state["_bangfu_present_png"] = (png_key, briefing.presentation_png(c))
    st.image(st.session_state["_bangfu_present_png"][1], width="stretch")
    if c.synthetic_note:
        st.caption("ⓘ " + md_text(c.synthetic_note))


def downloads(ctx: Context, b: briefing.Briefing) -> None:
    """PDF, Word and map PNG download buttons, side by side. The files are written when their button is clicked (then
    kept with the briefing): the page does not wait for them."""
    d1, d2, d3 = st.columns(3)
    d1.download_button(ctx.t("briefing.download_pdf"), lambda: b.pdf, file_name=f"{b.file_stem()}.pdf",
                       mime="application/pdf", key="dl_pdf", type="primary", width="stretch", on_click="ignore",
                       help=ctx.t("briefing.pdf_help"))
    d2.download_button(ctx.t("briefing.download_docx"), lambda: b.docx, file_name=f"{b.file_stem()}.docx", key="dl_docx",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document", width="stretch",
                       on_click="ignore", help=ctx.t("briefing.docx_help"))
    d3.download_button(ctx.t("briefing.download_png"), lambda: b.map_png, file_name=f"{b.file_stem()}_地图.png",
                       mime="image/png", key="dl_png", width="stretch", on_click="ignore")


def kpi_section(b: briefing.Briefing) -> None:
    """The briefing's key figures in two rows of cards."""
    kpis = b.content.kpis
    kpi_row([(k.label, k.text) for k in kpis[:5]])
    kpi_row([(k.label, k.text) for k in kpis[5:]])


def section_status(ctx: Context, b: briefing.Briefing) -> None:
    """Each section's status (ready, no data yet, error) and the briefing's notes about them."""
    c = b.content
    status = pd.DataFrame(
        [{ctx.t("briefing.col_section"): ctx.t(s.label),
          ctx.t("briefing.col_status"): SECTION_STATUS.label(c.results[s.key].status, ctx.lang)}
         for s in SECTIONS]
    )
    st.dataframe(status, hide_index=True, width="stretch")
    for note in c.notes:
        st.caption(md_text(note))
