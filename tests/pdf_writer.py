"""Write a text as a PDF paper with a real PDF writer (reportlab), for the PDF input tests.

Why generated, not committed: the texts are the shared corpus, which is never copied into
the repository. The layout is a paper's: A4, justified paragraphs wrapped at the page width,
bold short headings, a running footer with the page number. Text uses DejaVu Sans when the
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


def write_pdf(text: str, out: Path, *, encrypt: str | None = None) -> Path:
    """Lay ``text`` out as a paper: one paragraph per blank-line-separated block."""
    from reportlab.lib.enums import TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=13, spaceAfter=6, alignment=TA_JUSTIFY)
    heading = ParagraphStyle("heading", parent=body, fontSize=12, leading=15, spaceBefore=6)
    story = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if block:
            style = heading if len(block) < 60 and "\n" not in block and not block.endswith(".") else body
            story.append(Paragraph(escape(block).replace("\n", "<br/>"), style))

    def footer(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.setFont(font, 8)
        canvas.drawCentredString(A4[0] / 2, 20, f"Page {doc.page}")

    SimpleDocTemplate(str(out), pagesize=A4, encrypt=encrypt, title=out.stem).build(story, onFirstPage=footer, onLaterPages=footer)
    return out


if __name__ == "__main__":
    write_pdf(Path(sys.argv[1]).read_text(encoding="utf-8"), Path(sys.argv[2]))
