"""Drawing the briefing with matplotlib, offline: the A4 page, the poverty map and the road chart.

Everything is drawn on :class:`matplotlib.figure.Figure` objects (no pyplot state), inside
:func:`bangfu.briefing.fonts.cjk_rc` so that Chinese text uses an embedded CJK font.
The map looks like the app's maps: the same poverty-density classes (computed on the whole workspace,
:attr:`bangfu.briefing.content.BriefingContent.density`) and colours (:mod:`bangfu.core.styles`), 老区
outlines from :data:`bangfu.core.vocab.VILLAGE_FLAG`, and its legend is a :class:`bangfu.core.legend.Legend`
drawn by :func:`legend_handles` (the one matplotlib legend renderer). Dark red ``#b2182b`` for accents.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch, Rectangle

from bangfu import indicators as ind
from bangfu.briefing.content import PLAN_LABELS, BriefingContent, TableBlock
from bangfu.core import legend as lg
from bangfu.core import styles
from bangfu.core.vocab import VILLAGE_FLAG

__all__ = [
    "ACCENT", "A4_PORTRAIT", "map_choropleth", "map_legend", "legend_handles", "draw_map", "draw_road_chart",
    "page_figure", "map_figure", "chart_figure", "figure_bytes", "wrap_text",
]

A4_PORTRAIT = (8.27, 11.69)  # inches
ACCENT = "#b2182b"
TEXT = "#1f1f1f"
MUTED = "#6b6b6b"
CARD = "#f6f3ef"
RULE = "#d8d2ca"
HEADER_FILL = "#efe8e1"
ZEBRA = "#faf8f5"
PROJECT = styles.SELECTED_PROJECT["color"]  # dark navy: stands out on YlOrRd
CONTEXT = "#eeeeee"
#: Leaflet pixels → matplotlib points for line widths taken from the web styles.
PX_TO_PT = 0.5


# --------------------------------------------------------------------------- helpers


def _char_width(ch: str) -> float:
    return 1.0 if ord(ch) > 0x2E80 else 0.55


def em_width(fig_fraction: float, fontsize: float, fig_width_in: float = A4_PORTRAIT[0]) -> float:
    """How many em of ``fontsize`` fit into ``fig_fraction`` of the figure's width."""
    return fig_fraction * fig_width_in * 72 / fontsize


def wrap_text(text: str, width: float) -> list[str]:
    """Break ``text`` into lines of at most ``width`` em (CJK characters 1 em, Latin about 0.55)."""
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        line, used = "", 0.0
        for ch in para:
            w = _char_width(ch)
            if used + w > width and line:
                lines.append(line)
                line, used = "", 0.0
            line += ch
            used += w
        lines.append(line)
    return lines


def figure_bytes(fig: Figure, fmt: str, *, dpi: int = 150) -> bytes:
    """The figure saved as ``fmt`` ("pdf" or "png") in memory."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=_metadata(fmt))
    return buf.getvalue()


def _metadata(fmt: str) -> dict[str, str] | None:
    if fmt == "pdf":
        return {"Creator": "Bangfu Atlas", "Title": "领导简报"}
    return None


def _nice_length(span: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k metres) of about a fifth of ``span``."""
    target = max(span / 5.0, 1.0)
    power = 10 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target)


def emph_text(target: Figure | Axes, x: float, y: float, text: str, *, fontsize: float, color: str = TEXT,
              **kw: object) -> None:
    """Text made heavier by an outline drawn under it, instead of the CJK font's bold face.

    Embedding a second CJK face doubles the time spent subsetting fonts for the PDF (about 1.5 s per
    face). The outline is a path; the text on top stays real text (searchable, copyable).
    """
    stroke = [patheffects.Stroke(linewidth=fontsize * 0.05, foreground=color)]
    target.text(x, y, text, fontsize=fontsize, color=color, path_effects=stroke, **kw)  # type: ignore[arg-type]
    target.text(x, y, text, fontsize=fontsize, color=color, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- classes and legend


def map_choropleth(content: BriefingContent) -> ind.Choropleth:
    """The poverty-density classes of the map: the whole workspace's (as on every map of the app);
    the area's villages only when the content carries none."""
    return content.density if content.density is not None else ind.choropleth(content.villages, "poverty_density")


def map_legend(content: BriefingContent, choro: ind.Choropleth, *, has_nodata: bool) -> lg.Legend:
    """The map's legend model: classes, no data, 老区 outline, town borders, projects, the method note."""
    extra = lg.flag_items(content.lang, ("old_district",)) + (
        lg.LegendItem("line", content.t("briefing.map_town"), styles.TOWN_BORDER["color"], weight=0.9 / PX_TO_PT),)
    if not content.projects_map.empty:
        legend_key = PLAN_LABELS[content.projects_plan][1]  # 入选项目 only for a budgeted portfolio
        extra += (lg.LegendItem("dot", content.t(legend_key), PROJECT, edge="#ffffff"),)
    return choro.legend(content.lang, no_data=has_nodata, part=content.town_code is not None, extra=extra)


def _mpl_dash(dash: str, width: float) -> tuple[float, tuple[float, ...]] | None:
    """A Leaflet dash (pixels) as a matplotlib line style (in line widths); None for a solid line."""
    pattern = styles.dash_pattern(dash)
    return (0.0, tuple(x * PX_TO_PT / max(width, 0.1) for x in pattern)) if pattern else None


def legend_handles(legend: lg.Legend, size: float) -> list[Patch | Line2D]:
    """Matplotlib legend handles of a legend model (the briefing's renderer of :class:`bangfu.core.legend.Legend`)."""
    handles: list[Patch | Line2D] = []
    for item in legend.items:
        width = item.weight * PX_TO_PT
        if item.kind == "fill":
            handles.append(Patch(facecolor=item.color, edgecolor=item.edge or "#ffffff", label=item.label))
        elif item.kind == "outline":
            handles.append(Patch(facecolor="none", edgecolor=item.color, linewidth=width,
                                 linestyle=_mpl_dash(item.dash, width), label=item.label))
        elif item.kind == "line":
            handles.append(Line2D([], [], color=item.color, lw=width, linestyle=_mpl_dash(item.dash, width),
                                  label=item.label))
        elif item.kind == "dot":
            handles.append(Line2D([], [], marker="o", color="none", markerfacecolor=item.color,
                                  markeredgecolor=item.edge or item.color, markersize=size * 0.9, label=item.label))
        else:  # note: text without a swatch
            handles.append(Patch(facecolor="none", edgecolor="none", label=item.label))
    return handles


# --------------------------------------------------------------------------- the map


def _north_arrow(ax: Axes, label: str, size: float) -> None:
    ax.annotate(
        label, xy=(0.955, 0.965), xytext=(0.955, 0.865), xycoords="axes fraction", textcoords="axes fraction",
        ha="center", va="center", fontsize=size, color=TEXT,
        arrowprops={"facecolor": TEXT, "edgecolor": TEXT, "width": 1.8 * size / 9, "headwidth": 7 * size / 9,
                    "headlength": 8 * size / 9},
        zorder=10,
    )


def _scale_bar(ax: Axes, size: float) -> None:
    ax.apply_aspect()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    w, h = x1 - x0, y1 - y0
    length = _nice_length(w)
    bx, by, bh = x0 + 0.04 * w, y0 + 0.045 * h, 0.011 * h
    half = length / 2
    ax.add_patch(Rectangle((bx, by), half, bh, facecolor=TEXT, edgecolor=TEXT, lw=0.6, zorder=10))
    ax.add_patch(Rectangle((bx + half, by), half, bh, facecolor="white", edgecolor=TEXT, lw=0.6, zorder=10))
    km = length / 1000
    for frac, text in ((0, "0"), (0.5, f"{km / 2:g}"), (1, f"{km:g} km")):
        ax.text(bx + frac * length, by + bh * 1.6, text, ha="center", va="bottom", fontsize=size, color=TEXT, zorder=10)


def _legend(ax: Axes, legend: lg.Legend, size: float) -> None:
    handles = legend_handles(legend, size)
    leg = ax.legend(
        handles=handles, loc="lower right", fontsize=size, title=legend.title,
        title_fontsize=size, frameon=True, framealpha=0.92, edgecolor=RULE, handlelength=1.4, handleheight=0.9,
        borderpad=0.6, labelspacing=0.35,
    )
    leg.get_frame().set_linewidth(0.6)
    leg._legend_box.align = "left"  # type: ignore[attr-defined]  # private: matplotlib has no public switch for this


def _project_marks(ax: Axes, projects: gpd.GeoDataFrame, size: float) -> None:
    for rank, geom in zip(projects["rank"], projects.geometry):
        if geom.geom_type in ("LineString", "MultiLineString"):
            gpd.GeoSeries([geom]).plot(ax=ax, color=PROJECT, linewidth=2.0, zorder=6)
        elif geom.geom_type in ("Polygon", "MultiPolygon"):
            gpd.GeoSeries([geom.boundary]).plot(ax=ax, color=PROJECT, linewidth=1.5, zorder=6)
        p = geom.representative_point()
        ax.plot(p.x, p.y, marker="o", markersize=size * 1.45, markerfacecolor=PROJECT, markeredgecolor="white",
                markeredgewidth=0.7, zorder=7)
        ax.text(p.x, p.y, str(int(rank)), ha="center", va="center", fontsize=size * 0.72, color="white", zorder=8)


def _fit_extent(ax: Axes, bounds: Sequence[float], margin: float = 0.05) -> None:
    """Limits around ``bounds`` (plus a margin) with the axes box's aspect ratio, so 1 m is 1 m both ways."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    w, h = w * (1 + 2 * margin), h * (1 + 2 * margin)
    fig = ax.figure
    assert isinstance(fig, Figure)  # the briefing draws no subfigures
    fig_w, fig_h = fig.get_size_inches()
    box = ax.get_position(original=True)
    box_ratio = (box.height * fig_h) / (box.width * fig_w)
    if h / w > box_ratio:
        w = h / box_ratio
    else:
        h = w * box_ratio
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)


def draw_map(ax: Axes, content: BriefingContent, *, size: float = 6.5) -> lg.Legend:
    """The poverty-density choropleth of the area with 老区 outlines, town borders, projects,
    legend, north arrow and scale bar, on ``ax`` (metric CRS, equal aspect); returns the legend drawn.

    Villages are drawn in the order of ``content.villages`` with their class colour
    (:func:`map_choropleth`), as the first polygon collection of ``ax``."""
    v = content.villages
    choro = map_choropleth(content)
    cls = choro.classes_of(v)
    if len(v):
        v.plot(ax=ax, color=[choro.color(int(c)) for c in cls], edgecolor="white", linewidth=0.35, zorder=2)
        content.towns.boundary.plot(ax=ax, color=styles.TOWN_BORDER["color"], linewidth=0.9, zorder=3)
        old = v[v["is_old_district"].fillna(False).astype(bool)]
        if not old.empty:
            flag = VILLAGE_FLAG.term("old_district")
            width = flag.weight * PX_TO_PT
            old.boundary.plot(ax=ax, color="white", linewidth=2 * width, zorder=4)  # halo: visible on dark reds too
            old.boundary.plot(ax=ax, color=flag.color, linewidth=width, zorder=5)
    if content.context is not None and not content.context.empty:
        content.context.plot(ax=ax, facecolor=CONTEXT, edgecolor="#d0d0d0", linewidth=0.3, zorder=1)
    if not content.projects_map.empty:
        _project_marks(ax, content.projects_map, size)
    if len(v):
        _fit_extent(ax, v.total_bounds)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor(RULE)
        spine.set_linewidth(0.8)
    ax.set_facecolor("white")
    _north_arrow(ax, content.t("briefing.north"), size * 1.35)
    _scale_bar(ax, size)
    legend = map_legend(content, choro, has_nodata=bool((cls < 0).any()))
    _legend(ax, legend, size)
    return legend


# --------------------------------------------------------------------------- road chart


def draw_road_chart(ax: Axes, content: BriefingContent, *, size: float = 6.5) -> None:
    """Bars of road km completed per year, labelled with their values."""
    s = content.road_km
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#999999")
        ax.spines[side].set_linewidth(0.6)
    ax.tick_params(labelsize=size, colors="#444444", length=2, width=0.5)
    if s is None or len(s) == 0:
        ax.set_xticks([])
        ax.set_yticks([])
        key = "briefing.empty" if content.road_km_status in ("ok", "fallback") else "briefing.not_yet"
        ax.text(0.5, 0.5, content.t(key), ha="center", va="center", fontsize=size + 1, color=MUTED, transform=ax.transAxes)
        return
    years = [str(int(y)) for y in s.index]
    values = s.to_numpy(dtype=float)
    x = np.arange(len(values))
    ax.bar(x, values, width=0.62, color=ACCENT, alpha=0.88, zorder=2)
    ax.set_xticks(x, years)
    if len(years) > 6:
        for lab in ax.get_xticklabels():
            lab.set_rotation(45)
    top = float(values.max()) if len(values) else 1.0
    ax.set_ylim(0, top * 1.22 if top > 0 else 1)
    ax.grid(axis="y", color="#e6e6e6", linewidth=0.5, zorder=0)
    for xi, val in zip(x, values):
        ax.text(float(xi), val + top * 0.03, f"{val:,.1f}", ha="center", va="bottom", fontsize=size * 0.9, color=TEXT)
    ax.set_ylabel(content.t("briefing.road_km_axis"), fontsize=size, color="#444444")


# --------------------------------------------------------------------------- the page


def _fig_text(fig: Figure, x: float, y: float, s: str, **kw: Any) -> None:  # kw: matplotlib Text properties
    fig.text(x, y, s, color=kw.pop("color", TEXT), **kw)


def _heading(fig: Figure, x: float, y: float, text: str) -> None:
    fig.patches.append(Rectangle((x, y - 0.0035), 0.006, 0.009, transform=fig.transFigure, facecolor=ACCENT,
                                 edgecolor="none", figure=fig))
    emph_text(fig, x + 0.011, y, text, fontsize=10.5, va="center")


def _kpi_cards(fig: Figure, content: BriefingContent, top: float, *, cols: int = 5, h: float = 0.05, gap: float = 0.009) -> float:
    left, width = 0.06, 0.88
    w = (width - (cols - 1) * gap) / cols
    rows = math.ceil(len(content.kpis) / cols)
    for i, card in enumerate(content.kpis):
        r, c = divmod(i, cols)
        x = left + c * (w + gap)
        y = top - (r + 1) * h - r * gap
        fig.patches.append(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.004",
                                          transform=fig.transFigure, facecolor=CARD, edgecolor="none", figure=fig))
        fig.patches.append(Rectangle((x, y), 0.0035, h, transform=fig.transFigure, facecolor=ACCENT,
                                     edgecolor="none", figure=fig))
        _fig_text(fig, x + 0.011, y + h - 0.011, card.label, fontsize=7.2, color=MUTED, va="center")
        missing = card.status in ("missing", "error")
        color = MUTED if missing else TEXT
        emph_text(fig, x + 0.011, y + 0.0155, card.text, fontsize=15, va="center", color=color)
        if missing:
            key = "briefing.kpi_not_yet" if card.status == "missing" else "briefing.status_error"
            _fig_text(fig, x + w - 0.007, y + 0.0155, content.t(key), fontsize=6.3, color=MUTED, ha="right", va="center")
        elif card.status == "fallback":
            _fig_text(fig, x + w - 0.007, y + h - 0.011, content.t("briefing.status_fallback"), fontsize=6,
                      color=MUTED, ha="right", va="center")
    return top - rows * h - (rows - 1) * gap


def _placeholder(fig: Figure, rect: Sequence[float], text: str) -> None:
    x, y, w, h = rect
    fig.patches.append(Rectangle((x, y), w, h, transform=fig.transFigure, facecolor="#fbfaf8", edgecolor=RULE,
                                 linewidth=0.8, linestyle=(0, (4, 3)), figure=fig))
    _fig_text(fig, x + w / 2, y + h / 2, text, fontsize=8.5, color=MUTED, ha="center", va="center")


def draw_table(fig: Figure, rect: Sequence[float], block: TableBlock, *, fontsize: float = 8.0) -> None:
    """A ruled table with a shaded header and zebra rows in figure coordinates (x, y, w, h);
    a placeholder text when the section is not available."""
    x, y, w, h = rect
    if block.status in ("missing", "error"):
        key = "briefing.not_yet" if block.status == "missing" else "briefing.error"
        _placeholder(fig, rect, block.t(key))
        return
    if not block.rows:
        empty = "briefing.unpaired_none" if block.key == "unpaired" else "briefing.empty"
        _placeholder(fig, rect, block.t(empty))
        return
    n_lines = block.max_rows + 1 + (1 if block.more else 0)
    row_h = h / n_lines
    total_w = sum(block.widths)
    xs = [x]
    for wi in block.widths:
        xs.append(xs[-1] + w * wi / total_w)
    pad = 0.006

    def row(cells: Sequence[str], top: float, *, header: bool = False) -> None:
        for j, cell in enumerate(cells):
            right = block.numeric[j]
            tx = xs[j + 1] - pad if right else xs[j] + pad
            draw = emph_text if header else _fig_text
            draw(fig, tx, top - row_h / 2, cell, fontsize=fontsize, ha="right" if right else "left", va="center",
                 color=TEXT if not header else "#3a3a3a")

    top = y + h
    fig.patches.append(Rectangle((x, top - row_h), w, row_h, transform=fig.transFigure, facecolor=HEADER_FILL,
                                 edgecolor="none", figure=fig))
    row(block.header, top, header=True)
    fig.lines.append(Line2D([x, x + w], [top - row_h] * 2, transform=fig.transFigure, color=ACCENT, lw=0.9, figure=fig))
    for i, cells in enumerate(block.rows):
        rt = top - (i + 1) * row_h
        if i % 2 == 1:
            fig.patches.append(Rectangle((x, rt - row_h), w, row_h, transform=fig.transFigure, facecolor=ZEBRA,
                                         edgecolor="none", figure=fig))
        row(cells, rt)
    bottom = top - (len(block.rows) + 1) * row_h
    fig.lines.append(Line2D([x, x + w], [bottom] * 2, transform=fig.transFigure, color=RULE, lw=0.8, figure=fig))
    if block.more:
        text = block.t("briefing.more_rows").format(n=block.more)
        _fig_text(fig, x + w, bottom - row_h / 2, text, fontsize=fontsize - 1, color=MUTED, ha="right", va="center")


def page_figure(content: BriefingContent) -> Figure:
    """The one-page A4 portrait briefing."""
    fig = Figure(figsize=A4_PORTRAIT, facecolor="white")
    # header
    emph_text(fig, 0.06, 0.958, content.title, fontsize=19, va="baseline")
    _fig_text(fig, 0.94, 0.968, content.date_text, fontsize=9, color=TEXT, ha="right", va="baseline")
    _fig_text(fig, 0.94, 0.953, content.as_of_text, fontsize=8, color=MUTED, ha="right", va="baseline")
    fig.lines.append(Line2D([0.06, 0.94], [0.944, 0.944], transform=fig.transFigure, color=ACCENT, lw=1.8, figure=fig))
    y = 0.934
    if content.synthetic_note:
        prefix = content.t("briefing.synthetic_prefix")
        note = content.synthetic_note if content.synthetic_note.startswith(prefix[:2]) else prefix + content.synthetic_note
        for line in wrap_text("ⓘ " + note, em_width(0.88, 6.6) - 1)[:3]:
            _fig_text(fig, 0.06, y, line, fontsize=6.6, color=MUTED, va="center")
            y -= 0.0105
    # KPI cards
    y = _kpi_cards(fig, content, y - 0.006)
    # map + right column
    top = y - 0.022
    _heading(fig, 0.06, top, content.t("briefing.map"))
    map_rect = (0.06, 0.405, 0.585, top - 0.012 - 0.405)
    ax = fig.add_axes(map_rect)
    draw_map(ax, content, size=6.3)
    rx, rw = 0.67, 0.27
    _heading(fig, rx, top, content.t("briefing.road_km"))
    chart_top = top - 0.016
    cax = fig.add_axes((rx + 0.04, chart_top - 0.15, rw - 0.045, 0.15))
    draw_road_chart(cax, content, size=6.3)
    un = content.tables["unpaired"]
    uy = chart_top - 0.15 - 0.035
    _heading(fig, rx, uy, un.title)
    draw_table(fig, (rx, 0.405, rw, uy - 0.012 - 0.405), un, fontsize=7.2)
    # projects
    pr = content.tables["projects"]
    _heading(fig, 0.06, 0.383, pr.title)
    draw_table(fig, (0.06, 0.085, 0.88, 0.285), pr, fontsize=8.2)
    # notes and footer
    ny = 0.062
    if content.notes:
        label = content.t("briefing.notes")
        for line in wrap_text(f"{label}：" + "；".join(content.notes) + "。", em_width(0.88, 6.5) - 1)[:3]:
            _fig_text(fig, 0.06, ny, line, fontsize=6.5, color=MUTED, va="center")
            ny -= 0.0105
    fig.lines.append(Line2D([0.06, 0.94], [0.03, 0.03], transform=fig.transFigure, color=RULE, lw=0.6, figure=fig))
    _fig_text(fig, 0.06, 0.021, content.footer, fontsize=6.5, color=MUTED, va="center")
    _fig_text(fig, 0.94, 0.021, content.area_name, fontsize=6.5, color=MUTED, va="center", ha="right")
    return fig


def map_figure(content: BriefingContent, *, figsize: tuple[float, float] = (8.0, 7.2), size: float = 9.0,
               title: bool = True) -> Figure:
    """The map on its own (for the PNG export, the Word file and the presentation mode)."""
    fig = Figure(figsize=figsize, facecolor="white")
    top = 0.93 if title else 0.985
    ax = fig.add_axes((0.015, 0.015, 0.97, top - 0.015))
    draw_map(ax, content, size=size)
    if title:
        emph_text(fig, 0.015, 0.955, f"{content.area_name} · {content.t('briefing.map')}", fontsize=size * 1.5,
                  va="center")
        fig.text(0.985, 0.955, content.as_of_text, fontsize=size, color=MUTED, ha="right", va="center")
    return fig


def chart_figure(content: BriefingContent, *, figsize: tuple[float, float] = (4.2, 2.4)) -> Figure:
    """The road chart on its own (for the Word file)."""
    fig = Figure(figsize=figsize, facecolor="white")
    ax = fig.add_axes((0.14, 0.16, 0.83, 0.78))
    draw_road_chart(ax, content, size=8)
    return fig
