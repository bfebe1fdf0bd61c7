"""A :class:`~conversations.record.Record` as PDF, with ReportLab.

ReportLab is pure Python (a pip install, no system library: WeasyPrint would
need Pango, which servers and CI machines often lack), maintained since 2000,
and its ``invariant`` mode writes the same bytes for the same input: no
creation time, no random document id. The date the record was made is in its
text (and the footer), so two records of the same data made at the same
moment are byte for byte the same.

Text is set in DejaVu Sans, which matplotlib ships (it draws the charts), so
accents, arrows and most scripts print as typed; ReportLab's own 14 fonts
know only Latin-1.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from conversations.i18n import translator
from conversations.record import Chart, Facts, Heading, Paragraph, Record, Table

FONT = "PostpocSans"
BOLD = "PostpocSans-Bold"
CELL_LIMIT = 1500
"""Characters of one table cell: a cell can't break across pages in a PDF."""


@cache
def _fonts() -> tuple[str, str]:
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    return FONT, BOLD


def _markup(text: str, limit: int | None = None) -> str:
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return "<br/>".join(escape(line) for line in text.splitlines()) or " "


def _widths(columns: Sequence[Sequence[str]], width: float) -> list[float]:
    weights = [min(max((len(c) for c in column), default=1), 60) + 6 for column in columns]
    total = sum(weights)
    return [width * w / total for w in weights]


def pdf(record: Record) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Paragraph as Para
    from reportlab.platypus import Table as Grid

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12)
    cell = ParagraphStyle("cell", fontName=regular, fontSize=7.5, leading=9.5)
    head = ParagraphStyle("head", parent=cell, fontName=bold)
    titles = {
        1: ParagraphStyle("h1", fontName=bold, fontSize=16, leading=20, spaceAfter=6),
        2: ParagraphStyle(
            "h2", fontName=bold, fontSize=13, leading=17, spaceBefore=10, spaceAfter=4
        ),
        3: ParagraphStyle(
            "h3", fontName=bold, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3
        ),
    }
    grid_style = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#cbd5e0")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
    )
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=record.title,
        author="postpoc",
        creator="postpoc",
        subject=record.made_line,
        lang=record.language,
        invariant=1,
    )
    width = document.width

    def grid(headers: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> Any:
        data = [[Para(_markup(h), head) for h in headers]] if headers else []
        data += [[Para(_markup(c, CELL_LIMIT), cell) for c in row] for row in rows]
        columns = list(
            zip(*([list(headers)] if headers else []) + [list(r) for r in rows], strict=True)
        )
        style = TableStyle(grid_style.getCommands())
        if headers:
            style.add("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#edf2f7"))
        return Grid(
            data, colWidths=_widths(columns, width), repeatRows=1 if headers else 0, style=style
        )

    story: list[Any] = [
        Para(_markup(record.title), titles[1]),
        Para(_markup(record.made_line), body),
        Spacer(1, 4 * mm),
    ]
    for block in record.blocks:
        if isinstance(block, Heading):
            story.append(Para(_markup(block.text), titles.get(block.level, titles[3])))
        elif isinstance(block, Paragraph):
            story.append(Para(_markup(block.text), body))
        elif isinstance(block, Facts):
            story.append(grid(None, block.rows))
        elif isinstance(block, Table):
            story.append(grid(block.headers, block.rows))
        elif isinstance(block, Chart):
            picture = Image(io.BytesIO(block.png(translator(record.language))))
            scale = min(1.0, width / picture.drawWidth)
            picture.drawWidth *= scale
            picture.drawHeight *= scale
            story += [picture, Para(_markup(block.alt), cell)]

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        title = record.title if len(record.title) <= 80 else record.title[:79] + "…"
        canvas.drawString(doc.leftMargin, 10 * mm, f"{title} · {record.made_line}")
        canvas.drawRightString(doc.leftMargin + doc.width, 10 * mm, str(doc.page))
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
