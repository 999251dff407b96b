"""Leadership briefing (领导简报): a one-page A4 Chinese briefing of the county or a town, as PDF, Word and PNG.

Pure, offline, no Streamlit. :func:`build_briefing` reads the workspace through a ``loader``,
computes :class:`BriefingContent` from the declarative :data:`SECTIONS` table (see
:mod:`bangfu.briefing.sources`), and renders it with matplotlib (PDF page, map PNG) and
python-docx (Word), reporting progress through an optional callback.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Callable, Mapping

import pandas as pd

from bangfu.core.labels import t
from bangfu.core.text import safe_filename
from bangfu.briefing.content import BriefingContent, KpiCard, TableBlock, compute_content, format_value
from bangfu.briefing.fonts import NoCJKFontError, cjk_rc, find_cjk_family
from bangfu.workspace.access import Principal
from bangfu.briefing.sources import KPI_KEYS, SECTIONS, Section, SectionResult, Source, evaluate, resolve

__all__ = [
    "Briefing", "BriefingContent", "KpiCard", "TableBlock", "NoCJKFontError", "SECTIONS", "KPI_KEYS", "Section",
    "SectionResult", "Source", "build_briefing", "build_from_workspace", "compute_content", "render",
    "format_value", "evaluate", "resolve", "find_cjk_family", "presentation_png",
]

#: Called with (share done, what is being done); its return value is ignored (``st.progress`` returns an element).
Progress = Callable[[float, str], object]


@dataclass(frozen=True)
class Briefing:
    """The finished briefing: its content and the page preview PNG the page shows; the files to download — the PDF,
    the Word file and the map PNG — are drawn the first time they are asked for (:attr:`pdf`, :attr:`docx`,
    :attr:`map_png`) and then kept: embedding the Chinese font subset in the PDF alone takes seconds, so the page
    writes them when their download button is clicked, as the planning page writes its Excel file."""

    content: BriefingContent
    preview_png: bytes
    font_family: str

    def _drawn(self, figure: Callable[[BriefingContent], Any], fmt: str, dpi: int = 150) -> bytes:
        from bangfu.briefing.figures import figure_bytes

        with cjk_rc(self.font_family):
            return figure_bytes(figure(self.content), fmt, dpi=dpi)

    @functools.cached_property
    def pdf(self) -> bytes:
        """The one-page A4 PDF (the page of :attr:`preview_png`, drawn again and saved as PDF)."""
        from bangfu.briefing.figures import page_figure

        return self._drawn(page_figure, "pdf")

    @functools.cached_property
    def map_png(self) -> bytes:
        """The map alone, as a PNG at 150 dpi (a download, and a picture of the Word file)."""
        from bangfu.briefing.figures import map_figure

        return self._drawn(map_figure, "png")

    @functools.cached_property
    def chart_png(self) -> bytes:
        """The chart of road km hardened by year, as a PNG at 150 dpi (a picture of the Word file)."""
        from bangfu.briefing.figures import chart_figure

        return self._drawn(chart_figure, "png")

    @functools.cached_property
    def docx(self) -> bytes:
        """The Word file (the same content, the map and the chart as pictures)."""
        from bangfu.briefing import docx_export

        return docx_export.docx_bytes(self.content, map_png=self.map_png, chart_png=self.chart_png)

    def file_stem(self) -> str:
        """A file name without extension, e.g. ``领导简报_开平市赤水镇_2025-11-23``."""
        c = self.content
        return safe_filename(f"{t('page.briefing', c.lang)}_{c.area_name}_{c.date_iso}".replace(" ", "_"))


def render(content: BriefingContent, *, progress: Progress | None = None, preview_dpi: int = 80) -> Briefing:
    """Draw the page preview (PNG); the PDF, the Word file and the map PNG follow on first use (:attr:`Briefing.pdf`,
    :attr:`Briefing.docx`, :attr:`Briefing.map_png`).

    Raises :class:`NoCJKFontError` (with a Chinese message) when no CJK font is installed.
    """
    from bangfu.briefing.figures import figure_bytes, page_figure

    report = progress or (lambda _f, _s: None)
    family = find_cjk_family()
    with cjk_rc(family):
        report(0.6, t("briefing.step_page", content.lang))
        preview = figure_bytes(page_figure(content), "png", dpi=preview_dpi)
    report(1.0, t("briefing.step_done", content.lang))
    return Briefing(content, preview, family)


def presentation_png(content: BriefingContent, *, width_in: float = 16.0, height_in: float = 8.5) -> bytes:
    """A wide map without title for the app's presentation mode (large legend and labels)."""
    from bangfu.briefing.figures import figure_bytes, map_figure

    with cjk_rc(find_cjk_family()):
        return figure_bytes(map_figure(content, figsize=(width_in, height_in), size=13, title=False), "png", dpi=110)


def build_briefing(
    loader: Callable[[str], pd.DataFrame],
    *,
    meta: Mapping[str, str],
    town_code: str | None = None,
    lang: str = "zh",
    date: dt.date | None = None,
    now: dt.datetime | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    user: Principal | None = None,
    plan: Mapping[str, Any] | None = None,
    units: Callable[[str], Any] | None = None,
) -> Briefing:
    """Compute and render the briefing of the county (``town_code=None``) or one town.

    ``loader(layer_name)`` returns a workspace layer (the app passes its cached loader, scripts
    :func:`bangfu.workspace.store.read_layer`); ``overrides`` replaces a section's computed value, e.g.
    ``{"projects": portfolio}`` with the portfolio chosen on the planning page.
    ``progress(fraction, message)`` is called as the work advances. ``plan``: the budget, project count and cost
    of that portfolio, named in the briefing (:func:`bangfu.briefing.content.plan_title`). ``units(level)``: the
    workspace's areas of a level as polygons, dissolved once (:func:`bangfu.briefing.content.compute_content`).
    """
    report = progress or (lambda _f, _s: None)
    find_cjk_family()  # fail early, before any work, when no Chinese font is installed
    report(0.05, t("briefing.step_data", lang))
    content = compute_content(loader, meta=meta, town_code=town_code, lang=lang, date=date, now=now, overrides=overrides,
                              user=user, plan=plan, units=units)
    report(0.3, t("briefing.step_figures", lang))
    return render(content, progress=report)


def build_from_workspace(path: str | Path, *, town_code: str | None = None, user: Principal | None = None,
                         **kw: Any) -> Briefing:
    """:func:`build_briefing` on a workspace file (for scripts, the CLI and benchmarks), as ``user`` (default:
    the command line's administrator). The briefing shows aggregates only; household rows feed them through
    :func:`bangfu.workspace.personal.read_for_aggregates`, and small counts are suppressed for ``user``."""
    from bangfu.workspace import access, personal, store

    who = user if user is not None else access.cli_principal()
    return build_briefing(personal.loader(path, who, aggregates=True), meta=store.read_meta(path),
                          town_code=town_code, user=who, **kw)
