"""The briefing as a Word file (python-docx): same title, KPIs, map, chart, tables and notes as the PDF."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument  # the class; docx.Document is its factory
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from bangfu.briefing.content import BriefingContent, TableBlock
from bangfu.core.text import strip_controls

__all__ = ["DOCX_EAST_ASIAN_FONT", "docx_bytes"]

#: East Asian font named in the file; Word substitutes a similar one when it is not installed.
DOCX_EAST_ASIAN_FONT = "Microsoft YaHei"
_ACCENT = RGBColor(0xB2, 0x18, 0x2B)
_MUTED = RGBColor(0x6B, 0x6B, 0x6B)


def _fonts(run_or_style: object, *, size: float | None = None, bold: bool | None = None,
           color: RGBColor | None = None) -> None:
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name = "Arial"
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if color is not None:
        font.color.rgb = color
    element = run_or_style.element if hasattr(run_or_style, "element") else run_or_style._element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), DOCX_EAST_ASIAN_FONT)


def _para(doc: DocxDocument, text: str, *, size: float = 10, bold: bool = False, color: RGBColor | None = None,
          align: WD_ALIGN_PARAGRAPH | None = None, space_after: float = 4) -> Paragraph:
    p = doc.add_paragraph()
    run = p.add_run(strip_controls(str(text), keep_lines=True))
    _fonts(run, size=size, bold=bold, color=color)
    p.paragraph_format.space_after = Pt(space_after)
    if align is not None:
        p.alignment = align
    return p


def _heading(doc: DocxDocument, text: str) -> None:
    p = doc.add_paragraph()
    mark = p.add_run("■ ")
    _fonts(mark, size=10, color=_ACCENT)
    run = p.add_run(strip_controls(str(text), keep_lines=True))
    _fonts(run, size=12, bold=True)
    p.paragraph_format.space_before = Pt(8)
    p.paragraph_format.space_after = Pt(3)


def _shade(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _cell_text(cell: _Cell, text: str, *, size: float = 9, bold: bool = False, right: bool = False,
               color: RGBColor | None = None) -> None:
    cell.text = ""
    p = cell.paragraphs[0]
    run = p.add_run(strip_controls(str(text), keep_lines=True))
    _fonts(run, size=size, bold=bold, color=color)
    if right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _table(doc: DocxDocument, block: TableBlock) -> None:
    _heading(doc, block.title)
    if block.status in ("missing", "error"):
        _para(doc, block.t("briefing.not_yet" if block.status == "missing" else "briefing.error"), color=_MUTED)
        return
    if not block.rows:
        _para(doc, block.t("briefing.unpaired_none" if block.key == "unpaired" else "briefing.empty"), color=_MUTED)
        return
    table = doc.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for j, head in enumerate(block.header):
        cell = table.rows[0].cells[j]
        _cell_text(cell, head, bold=True, right=block.numeric[j])
        _shade(cell, "EFE8E1")
    for i, cells in enumerate(block.rows, start=1):
        for j, text in enumerate(cells):
            _cell_text(table.rows[i].cells[j], text, right=block.numeric[j])
    total = sum(block.widths)
    for j, w in enumerate(block.widths):
        for row in table.rows:
            row.cells[j].width = Cm(17.0 * w / total)
    if block.more:
        _para(doc, block.t("briefing.more_rows").format(n=block.more), size=8, color=_MUTED, align=WD_ALIGN_PARAGRAPH.RIGHT)


def docx_bytes(content: BriefingContent, *, map_png: bytes, chart_png: bytes | None) -> bytes:
    """The Word version of the briefing (A4 portrait) with the map and chart as pictures."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin = section.bottom_margin = Cm(1.8)
    _fonts(doc.styles["Normal"], size=10)

    _para(doc, content.title, size=20, bold=True, space_after=2)
    _para(doc, f"{content.date_text}    {content.as_of_text}", size=9, color=_MUTED, space_after=2)
    if content.synthetic_note:
        _para(doc, "ⓘ " + content.synthetic_note, size=8, color=_MUTED)

    _heading(doc, content.t("briefing.kpis"))
    cols = 5
    n_rows = -(-len(content.kpis) // cols)
    table = doc.add_table(rows=2 * n_rows, cols=cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, card in enumerate(content.kpis):
        r, c = divmod(i, cols)
        label_cell, value_cell = table.rows[2 * r].cells[c], table.rows[2 * r + 1].cells[c]
        _cell_text(label_cell, card.label, size=8, color=_MUTED)
        _shade(label_cell, "F6F3EF")
        missing = card.status in ("missing", "error")
        value = card.text + (f"（{content.t('briefing.kpi_not_yet')}）" if card.status == "missing" else "")
        _cell_text(value_cell, value, size=14 if not missing else 10, bold=not missing, color=_MUTED if missing else None)

    _heading(doc, content.t("briefing.map"))
    doc.add_picture(io.BytesIO(map_png), width=Cm(15.5))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER

    _heading(doc, content.t("briefing.road_km"))
    if chart_png is not None and content.road_km is not None and len(content.road_km):
        doc.add_picture(io.BytesIO(chart_png), width=Cm(11.0))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        key = "briefing.empty" if content.road_km_status in ("ok", "fallback") else "briefing.not_yet"
        _para(doc, content.t(key), color=_MUTED)

    _table(doc, content.tables["projects"])
    _table(doc, content.tables["unpaired"])

    if content.notes:
        _para(doc, f"{content.t('briefing.notes')}：" + "；".join(content.notes) + "。", size=8, color=_MUTED)
    _para(doc, content.footer, size=8, color=_MUTED)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
