"""Legend model: what a map key shows (title, swatches, labels) as plain data, built by shared functions.

Every map legend and the briefing figure's legend is a :class:`Legend` built here (or from a
:class:`~bangfu.indicators.classify.Choropleth`, which uses :func:`class_items`); it is drawn by one HTML
renderer for the folium maps (:mod:`bangfu.maps.legend`) and one matplotlib renderer in the briefing
(:mod:`bangfu.briefing.figures`). Labels are plain text: the renderers escape them.

Item kinds: ``fill`` (a filled box, optionally with a coloured rim), ``outline`` (an unfilled box:
老区/key village outlines), ``line`` (a line sample: roads, pairing lines), ``dot`` (a circle marker:
tourism sites, enterprises) and ``note`` (a line of small text without a swatch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal
from collections.abc import Iterable, Sequence

from bangfu.core import styles
from bangfu.core.labels import t
from bangfu.core.vocab import VILLAGE_FLAG, Vocabulary

__all__ = [
    "LegendKind", "LegendItem", "Legend", "format_number", "interval_label", "class_items", "vocab_items",
    "vocab_legend", "flag_items", "no_data_item", "filtered_out_item", "note_item",
]

LegendKind = Literal["fill", "outline", "line", "dot", "note"]


@dataclass(frozen=True)
class LegendItem:
    """One legend row: a swatch of ``kind`` and its plain-text label.

    ``color`` is the fill (fill, dot) or stroke (outline, line) colour, ``dash`` a Leaflet
    ``dashArray`` ("" = solid), ``weight`` the stroke width in pixels, ``edge`` the rim colour of a
    fill or dot ("" = the default thin grey rim of a fill, none for a dot).
    """

    kind: LegendKind
    label: str
    color: str = ""
    dash: str = ""
    weight: float = 1.0
    edge: str = ""


@dataclass(frozen=True)
class Legend:
    """A titled list of legend rows."""

    title: str
    items: tuple[LegendItem, ...]

    def __add__(self, more: Iterable[LegendItem]) -> Legend:
        return Legend(self.title, self.items + tuple(more))

    def retitled(self, title: str) -> Legend:
        """The same rows under another title."""
        return replace(self, title=title)

    @property
    def labels(self) -> list[str]:
        return [i.label for i in self.items]


def format_number(value: float | None, decimals: int = 1) -> str:
    """'1,234.5' with ``decimals`` places; '—' for a missing or non-finite value."""
    if value is None or not math.isfinite(float(value)):
        return "—"
    return f"{float(value):,.{decimals}f}"


def interval_label(lo: float, hi: float, decimals: int = 1) -> str:
    """The label of a class from ``lo`` to ``hi``: '10.0 – 20.0' (the one class label format)."""
    return f"{format_number(lo, decimals)} – {format_number(hi, decimals)}"


def class_items(
    intervals: Sequence[tuple[float, float]],
    colors: Sequence[str],
    *,
    decimals: int = 1,
    counts: Sequence[int] | None = None,
) -> tuple[LegendItem, ...]:
    """Fill rows for classes (``intervals`` low → high, one colour each); ``counts`` adds '（n）'."""
    if len(colors) < len(intervals):
        raise ValueError(f"{len(intervals)} classes but {len(colors)} colours")
    items = []
    for i, (lo, hi) in enumerate(intervals):
        label = interval_label(lo, hi, decimals) + (f"（{counts[i]}）" if counts is not None else "")
        items.append(LegendItem("fill", label, colors[i]))
    return tuple(items)


def _item(vocabulary: Vocabulary, code: str, lang: str, kind: LegendKind) -> LegendItem:
    if code not in vocabulary:
        return LegendItem(kind, code, styles.UNKNOWN, weight=2.0)
    term = vocabulary.term(code)
    edge = "#ffffff" if kind == "dot" else ""
    return LegendItem(kind, term.label(lang), term.color, term.dash, term.weight, edge)


def vocab_items(
    vocabulary: Vocabulary, lang: str = "zh", *, kind: LegendKind = "line", codes: Iterable[object] | None = None
) -> tuple[LegendItem, ...]:
    """Rows for the terms of a vocabulary in its display order, drawn with the terms' colour, dash and width.

    With ``codes`` only those terms are listed (what the map shows); codes outside the vocabulary
    follow, labelled with the code itself and drawn in :data:`bangfu.core.styles.UNKNOWN`.
    """
    if codes is None:
        wanted = list(vocabulary.codes)
    else:
        present = {str(c) for c in codes if c is not None and str(c) not in ("", "nan", "<NA>", "None")}
        wanted = [c for c in vocabulary.codes if c in present] + sorted(present - set(vocabulary.codes))
    return tuple(_item(vocabulary, c, lang, kind) for c in wanted)


def vocab_legend(
    vocabulary: Vocabulary,
    lang: str = "zh",
    *,
    kind: LegendKind = "line",
    codes: Iterable[object] | None = None,
    title: str | None = None,
) -> Legend:
    """A legend of a vocabulary (title: the vocabulary's own name unless ``title`` is given)."""
    return Legend(vocabulary.name(lang) if title is None else title, vocab_items(vocabulary, lang, kind=kind, codes=codes))


def flag_items(lang: str = "zh", codes: Iterable[str] | None = None) -> tuple[LegendItem, ...]:
    """老区 and key village outlines (:data:`bangfu.core.vocab.VILLAGE_FLAG`)."""
    return vocab_items(VILLAGE_FLAG, lang, kind="outline", codes=codes)


def no_data_item(lang: str = "zh") -> LegendItem:
    """The grey of villages without a value."""
    return LegendItem("fill", t("legend.no_data", lang), styles.NO_DATA)


def filtered_out_item(lang: str = "zh") -> LegendItem:
    """The light grey of villages outside a filter."""
    return LegendItem("fill", t("legend.filtered_out", lang), styles.FILTERED_OUT)


def note_item(text: str) -> LegendItem:
    """A line of small text (e.g. the classification method)."""
    return LegendItem("note", text)
