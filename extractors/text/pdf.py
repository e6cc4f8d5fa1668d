"""PDF bytes to the text the plain-text parser cleans, read with pypdfium2 (PDFium).

Why PDFium: it returns a page's text runs in the order the PDF draws them, which for
typeset papers is the reading order, column by column, with each run's box. pdfminer.six's
layout analysis was tried first: it cuts a justified line at its wide gaps into separate
"lines" and sorts the pieces back in out of order ("A total of 60.3% (44/73) and patients
next-generation sequencing subsequent the with …" on a two-column page), and no single
setting of its margins keeps words in order without also merging the two columns.

Paragraphs are rebuilt from the run boxes (:func:`_paragraphs`): runs on one baseline make a
line; a vertical gap, a first-line indent, a jump to another column or a new page starts a
paragraph. Each paragraph is one line followed by a blank line, the shape the section
labeller reads; a line that ends in a hyphen keeps its line break so that dehyphenation
(``resis-\\ntance``) decides whether the hyphen is real.

The string returned is the *raw text* of a PDF Document: its ``offset_map`` points into it,
and a triple's evidence is an exact substring of it.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections.abc import Iterable, Iterator
from typing import Any

from schemas.errors import InputError

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
OCR_HINT = "a scanned PDF needs OCR first (e.g. `ocrmypdf in.pdf out.pdf`), or give the text as .txt"

PARAGRAPH_GAP = 0.6
"""A vertical gap above a line of more than this many line heights starts a paragraph."""
INDENT = 0.8
"""A line starting this many line heights right of the line before starts a paragraph (first-line indent)."""
JUMP = 3.0
"""A line this many line heights above the line before (the next column) or this far left or right of
it (a table cell, a side note) starts a paragraph."""

_LETTERS = re.compile(r"[^\W\d_]{2}")
_HYPHENS = ("-", "\u00ad", "\u2010")

Line = tuple[float, float, float, float, str]
"""``(left, bottom, right, top, text)`` of one visual line, in PDF points."""


def is_pdf(data: bytes) -> bool:
    """True when ``data`` starts like a PDF (the header may follow up to 1 kB of junk, as readers allow)."""
    return PDF_MAGIC in data[:1024]


def pdf_text(data: bytes, name: str = "input") -> str:
    """The text of every page in reading order, one paragraph per line, paragraphs separated by blank lines.

    Raises :class:`InputError` naming ``name`` for an unreadable, encrypted or text-less PDF.
    """
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower():
            raise InputError(f"{name}: encrypted PDF; save a copy without a password") from None
        raise InputError(f"{name}: unreadable PDF ({reason}); is it damaged or truncated?") from None
    try:
        paragraphs: list[str] = []
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    paragraphs.extend(_paragraphs(_lines(textpage)))
                finally:
                    textpage.close()
            finally:
                page.close()
    except pdfium.PdfiumError as exc:
        raise InputError(f"{name}: unreadable PDF page ({exc})") from None
    finally:
        pdf.close()
    text = "\n\n".join(paragraphs) + "\n"
    if not _LETTERS.search(text):
        raise InputError(f"{name}: the PDF has no text layer; {OCR_HINT}")
    return text


def _lines(textpage: Any) -> list[Line]:
    """The page's text runs joined into visual lines: a run on the baseline of the one before, right of it, extends it."""
    lines: list[Line] = []
    for i in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(i)
        text = textpage.get_text_bounded(left, bottom, right, top).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
        if not text.strip():
            continue
        if lines:
            pl, pb, pr, pt, ptext = lines[-1]
            height = min(top - bottom, pt - pb)
            if min(top, pt) - max(bottom, pb) > 0.5 * height and left >= pr - 1:
                sep = "" if ptext.endswith(" ") or text.startswith(" ") else " "
                lines[-1] = (pl, min(bottom, pb), right, max(top, pt), ptext + sep + text)
                continue
        lines.append((left, bottom, right, top, text))
    return lines


def _paragraphs(lines: Iterable[Line]) -> Iterator[str]:
    """Join lines into paragraphs (see the module docstring for where a paragraph starts)."""
    lines = list(lines)
    if not lines:
        return
    height = statistics.median(top - bottom for _, bottom, _, top, _ in lines) or 1.0
    current = ""
    previous: Line | None = None
    for line in lines:
        left, bottom, right, top, text = line
        text = " ".join(text.split())
        if not text:
            continue
        if previous is not None and current:
            pl, pb, _, _, _ = previous
            gap = pb - top
            starts = gap > PARAGRAPH_GAP * height or gap < -JUMP * height or left - pl > INDENT * height or pl - left > JUMP * height
            if starts:
                yield current
                current = ""
        if current:
            current += "\n" if current.endswith(_HYPHENS) else " "
        current += text
        previous = line
    if current:
        yield current
