"""Reusable page pieces: the page header, KPI cards, the synthetic-data note, the offline map component, downloads,
page links and the one notice of a page whose data is missing (:func:`require_layers`)."""

from __future__ import annotations

from collections.abc import Sequence

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from streamlit.errors import StreamlitAPIException

from bangfu.export import tables as exports
from bangfu.core.labels import LABELS, t
from bangfu.workspace import access
from bangfu.workspace import status as ws_status
from bangfu.workspace.schema import get_layer
from bangfu.core.text import safe_filename
from bangfu.ui import cache
from bangfu.ui.feedback import md_text
from bangfu.ui.pages import page
from bangfu.ui.shell import Context


def page_header(ctx: Context, title: str, intro: str) -> None:
    """A page's title (label ``title``, with the chosen area's name — its parents too where the name repeats —
    or the province's / city's name for a workspace of several counties), its one-line introduction (label
    ``intro``) and the synthetic-data note; then, on a workspace that is not complete, what the page is missing
    (:func:`require_layers`, which stops the page) or the next import step (:func:`workspace_notice`)."""
    named = not ctx.is_whole or ctx.area.level in ("province", "city")
    st.title(ctx.t(title) + (f" · {md_text(ctx.area_label)}" if named and ctx.area.name else ""))  # escaped
    st.caption(ctx.t(intro))
    synthetic_note(ctx)
    require_layers(ctx, page(title).needs)
    workspace_notice(ctx)


def page_link(ctx: Context, url_path: str, label: str, *, query_params: dict[str, str] | None = None) -> None:
    """A link to the page ``url_path`` (:data:`bangfu.ui.pages.PAGES`) labelled ``label``; as plain text where
    Streamlit knows no other pages (a page file run on its own, as in AppTest)."""
    spec = page(url_path)
    try:
        st.page_link(spec.path, label=label, icon=spec.icon, query_params=query_params)
    except StreamlitAPIException:
        st.caption(f"→ {label}")


def layer_names(names: Sequence[str], lang: str) -> str:
    """Layer names in ``lang``, joined (``行政村、候选项目``)."""
    return ("、" if lang == "zh" else ", ").join(get_layer(n).zh if lang == "zh" else get_layer(n).en for n in names)


def require_layers(ctx: Context, needs: Sequence[str]) -> None:
    """The one check of a page on a partial workspace: if a layer of ``needs`` has no rows, say which layers to
    import (in import order), link to the getting-started page, and stop the page."""
    missing = ws_status.missing(cache.layer_counts(ctx.path, ctx.version), needs)
    if not missing:
        return
    st.info(ctx.t("missing.layers").format(layers=layer_names(missing, ctx.lang)))
    page_link(ctx, "start", ctx.t("missing.go"))
    st.stop()


def workspace_notice(ctx: Context) -> None:
    """On a workspace that is not complete: the next layer to import, with a link to the getting-started page."""
    step = ws_status.next_step(ws_status.workspace_status(cache.layer_counts(ctx.path, ctx.version)))
    if step is None:
        return
    st.info(ctx.t("start.notice").format(layer=layer_names([step], ctx.lang)))
    page_link(ctx, "start", ctx.t("start.notice_link"))


def synthetic_note(ctx: Context) -> None:
    """The visible note saying which figures are synthetic (demo workspaces only)."""
    if ctx.is_demo:  # the Kaiping demo's note, or a synthetic province's own (its meta, escaped)
        own = ctx.meta.get("synthetic_note", "") if ctx.meta.get("source") != "demo" else ""
        st.caption("ⓘ " + (md_text(own) if own else t("synthetic.note", ctx.lang)))


def kpi_row(items: Sequence[tuple[str, str]]) -> None:
    """A row of metric cards: (label, formatted value)."""
    cols = st.columns(len(items))
    for col, (label, value) in zip(cols, items):
        col.metric(label, value)


def show_map(
    m: folium.Map,
    *,
    key: str,
    height: int = 600,
    returned_objects: Sequence[str] = (),
) -> dict:
    """Render a folium map; only ``returned_objects`` trigger reruns (pan/zoom do not)."""
    return st_folium(m, key=key, height=height, use_container_width=True, returned_objects=list(returned_objects)) or {}


def kept_tabs(labels: Sequence[str], *, key: str) -> Sequence:
    """``st.tabs`` that stay on the chosen tab after a button, a form or a rerun (the choice is kept in session state
    under ``key``; without it Streamlit redraws the tabs and shows the first one)."""
    return st.tabs(list(labels), key=key, on_change="rerun")


def download_buttons(df: pd.DataFrame, *, name: str, lang: str, key: str) -> None:
    """CSV (UTF-8 with BOM, opens in Excel) and Excel downloads of a table with its current headers, values as
    people read them (:func:`bangfu.core.formats.readable`). ``name``: the file name, or a key whose label
    ``common.file.<name>`` gives it in the interface language."""
    name = safe_filename(t(f"common.file.{name}", lang) if f"common.file.{name}" in LABELS else name)  # may hold a town name
    c1, c2 = st.columns(2)
    c1.download_button(
        t("common.download_csv", lang), exports.to_csv_bytes(df, lang), file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv",
        on_click="ignore",  # a download does not rerun the page (which would lose the open tab and scroll)
    )
    c2.download_button(
        t("common.download_xlsx", lang),
        exports.to_xlsx_bytes({name[:31]: df}, lang),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click="ignore",
    )


def editor_notice(ctx: Context) -> bool:
    """Who will be recorded as the editor (the signed-in account, never a text box) and, for a town planner,
    which towns they may edit; returns whether the role may edit at all (the data layer checks every row)."""
    user = ctx.user
    role = user.role_spec.label(ctx.lang)
    if not access.can(user, "edit"):
        st.caption(ctx.t("common.cannot_edit").format(role=role))
        return False
    st.caption(ctx.t("common.editor_is").format(name=user.name, role=role))
    if user.role_spec.town_scoped:
        st.caption(ctx.t("common.edit_towns").format(towns="、".join(user.towns) or "—"))
    return True


def suppression_note(ctx: Context) -> None:
    """Under a table of household counts: say that counts of fewer than 5 households are shown as "<5" (for a
    reader without household access, who gets them suppressed by the data layer)."""
    if not access.can(ctx.user, "view_households") or ctx.user.role_spec.town_scoped:
        st.caption(ctx.t("common.suppressed_note"))
