"""Panels of page 开始使用: each layer's status, the next import step (with a link to the data page) and the
Excel import templates. The logic is :mod:`bangfu.workspace.status` and :mod:`bangfu.export.templates`."""

from __future__ import annotations

import streamlit as st

from bangfu.export import templates
from bangfu.ui import cache
from bangfu.ui.shell import Context
from bangfu.ui.widgets import kpi_row, layer_names, page_link
from bangfu.workspace import create, status as ws_status

#: The status table's columns (label keys ``start.col.<column>``).
COLUMNS: tuple[str, ...] = ("layer", "imported", "rows", "errors", "warnings")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def statuses(ctx: Context) -> tuple[ws_status.LayerStatus, ...]:
    """Every layer of the import order with its rows and problem counts (cached by workspace version)."""
    return cache.layer_status(ctx.path, ctx.version)


def kpi_section(ctx: Context, found: tuple[ws_status.LayerStatus, ...]) -> None:
    """Layers imported (of the import order) and the villages in the workspace."""
    done = sum(s.imported for s in found)
    villages = next(s.rows for s in found if s.layer == "villages")
    kpi_row([(ctx.t("start.kpi_layers"), f"{done} / {len(found)}"), (ctx.t("start.kpi_villages"), f"{villages:,}")])


def next_step_section(ctx: Context, found: tuple[ws_status.LayerStatus, ...]) -> None:
    """The next layer to import, what to bring for it and a link to the import step of the data page (with the
    layer chosen); a success line when every layer is in."""
    reference = reference_count(ctx.path, ctx.version)
    if reference:
        st.caption(ctx.t("start.reference").format(n=reference))
    step = ws_status.next_step(found)
    if step is None:
        st.success(ctx.t("start.complete"))
        return
    st.info(ctx.t("start.next").format(layer=layer_names([step], ctx.lang)))
    st.caption(ctx.t(f"start.step.{step}"))
    page_link(ctx, "data", ctx.t("start.go_import"), query_params={"layer": step})


def status_section(ctx: Context, found: tuple[ws_status.LayerStatus, ...]) -> None:
    """The status table (layer, imported, rows, errors, warnings) and, if the workspace check failed, its
    first problems (as plain text)."""
    st.subheader(ctx.t("start.status"))
    headers = {k: ctx.t(f"start.col.{k}") for k in COLUMNS}
    frame = ws_status.status_frame(found, ctx.lang, headers=headers, yes_no=(ctx.t("start.yes"), ctx.t("start.no")))
    st.dataframe(frame, hide_index=True, key="start.status")
    ok, _summary, lines = cache.validation_summary(ctx.path, ctx.version)
    if not ok:
        st.warning(ctx.t("start.problems"))
        st.text("\n".join(lines))


@cache.shared(max_entries=16)
def reference_count(path: str, version: str) -> int:
    """Villages of the official list the workspace was made with (0: none, e.g. the demo)."""
    return len(create.read_reference(path))


@cache.shared(max_entries=64)
def template_bytes(path: str, version: str, layer: str, lang: str) -> bytes:
    """The Excel template of ``layer`` with this workspace's first village (or first official village) in its
    example row."""
    return templates.template_xlsx(layer, cache.load_layer(path, version, "villages"), lang=lang,
                                   reference=create.read_reference(path))


def templates_section(ctx: Context, found: tuple[ws_status.LayerStatus, ...]) -> None:
    """One row per layer of the import order: ✓ or the step number, what to bring, the template download."""
    st.subheader(ctx.t("start.templates"))
    st.caption(ctx.t("start.templates_help"))
    for i, s in enumerate(found, start=1):
        c1, c2 = st.columns([4, 1])
        mark = "✓" if s.imported else f"{i}."
        c1.markdown(f"{mark} **{layer_names([s.layer], ctx.lang)}** — {ctx.t(f'start.step.{s.layer}')}")
        c2.download_button(ctx.t("start.download"), template_bytes(ctx.path, ctx.version, s.layer, ctx.lang),
                           file_name=templates.template_file_name(s.layer, ctx.lang), mime=XLSX,
                           key=f"start.template.{s.layer}")
