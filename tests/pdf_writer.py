"""Write a text as a PDF paper with a real PDF writer (reportlab), for the PDF input tests.

Why generated, not committed: the texts are the shared corpus, which is never copied into
the repository. The layout is a paper's: A4, justified paragraphs wrapped at the column width,
larger short headings, tab-separated blocks as ruled tables, a running footer with the page
number; one column, or two as in a journal. Text uses DejaVu Sans when the
system has it (the corpus has ≥, ⁺, χ), else reportlab's bundled Vera.

    python tests/pdf_writer.py IN.txt OUT.pdf
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from xml.sax.saxutils import escape

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)


def _font() -> str:
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = next((p for p in FONT_CANDIDATES if Path(p).is_file()), None)
    if path is None:
        path = str(Path(rl_config.__file__).parent / "fonts" / "Vera.ttf")
    if "Body" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Body", path))
    return "Body"


def write_pdf(text: str, out: Path, *, encrypt: str | None = None, columns: int = 1) -> Path:
    """Lay ``text`` out as a paper: one paragraph per blank-line-separated block, tab-separated
    blocks as ruled tables, on ``columns`` columns per page (two: a journal's layout, paragraphs
    set apart by a first-line indent only)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        PageTemplate,
        Paragraph,
        Table,
        TableStyle,
    )

    font = _font()
    size = 10 if columns == 1 else 8.5
    body = ParagraphStyle("body", fontName=font, fontSize=size, leading=size * 1.3, alignment=TA_JUSTIFY,
                          spaceAfter=6 if columns == 1 else 0, firstLineIndent=0 if columns == 1 else 10)
    heading = ParagraphStyle("heading", parent=body, fontSize=size + 2, leading=(size + 2) * 1.3, spaceBefore=6, spaceAfter=3, firstLineIndent=0)
    cell = ParagraphStyle("cell", parent=body, fontSize=size - 2, leading=(size - 2) * 1.2, alignment=0, spaceAfter=0, firstLineIndent=0)
    width, height = A4
    margin, gutter = 50, 16
    frame_width = (width - 2 * margin - gutter * (columns - 1)) / columns
    story: list = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block:
            continue
        lines = block.splitlines()
        if sum("\t" in line for line in lines) >= 2:
            rows = [line.split("\t") for line in lines]
            n = max(map(len, rows))
            data = [[Paragraph(escape(c), cell) for c in row + [""] * (n - len(row))] for row in rows]
            table = Table(data, colWidths=[frame_width / n] * n, repeatRows=1)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(table)
            continue
        style = heading if len(block) < 60 and "\n" not in block and not block.endswith(".") else body
        story.append(Paragraph(escape(block).replace("\n", "<br/>"), style))

    def footer(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.setFont(font, 8)
        canvas.drawCentredString(width / 2, 20, f"Page {doc.page}")

    frames = [Frame(margin + i * (frame_width + gutter), margin, frame_width, height - 2 * margin, id=f"c{i}") for i in range(columns)]
    doc = BaseDocTemplate(str(out), pagesize=A4, encrypt=encrypt, title=out.stem)
    doc.addPageTemplates([PageTemplate(frames=frames, onPage=footer)])
    doc.build(story)
    return out


if __name__ == "__main__":
    write_pdf(Path(sys.argv[1]).read_text(encoding="utf-8"), Path(sys.argv[2]))
