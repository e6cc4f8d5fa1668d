"""PDF bytes to the text the plain-text parser cleans, with pdfminer.six's layout analysis.

Why pdfminer.six: a PDF holds positioned glyphs, not paragraphs. Its layout analysis groups
characters into lines and lines into text boxes, orders the boxes across columns, and writes
a blank line after each box; the section labeller (:mod:`extractors.text.sections`) reads
paragraph shapes from exactly those blank lines, so they need no geometry code of ours.

The string returned is the *raw text* of a PDF Document: its ``offset_map`` points into it,
and a triple's evidence is an exact substring of it. Page breaks (form feeds) become line
ends, one character for one, so no offset moves.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import zlib

from schemas.errors import InputError

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
_LETTERS = re.compile(r"[^\W\d_]{2}")
_CID = re.compile(r"\(cid:\d+\)")

OCR_HINT = "a scanned PDF needs OCR first (e.g. `ocrmypdf in.pdf out.pdf`), or give the text as .txt"


def is_pdf(data: bytes) -> bool:
    """True when ``data`` starts like a PDF (the header may follow up to 1 kB of junk, as readers allow)."""
    return PDF_MAGIC in data[:1024]


def pdf_text(data: bytes, name: str = "input") -> str:
    """The text of every page, in reading order, paragraphs separated by blank lines.

    Raises :class:`InputError` naming ``name`` for an unreadable, encrypted or text-less PDF.
    """
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFEncryptionError, PDFTextExtractionNotAllowed
    from pdfminer.psexceptions import PSException

    try:
        text = extract_text(io.BytesIO(data), laparams=LAParams())
    except PDFTextExtractionNotAllowed:
        raise InputError(f"{name}: the PDF forbids text extraction; save an unrestricted copy") from None
    except PDFEncryptionError as exc:
        raise InputError(f"{name}: encrypted PDF ({type(exc).__name__}); save a copy without a password") from None
    except (PSException, ValueError, TypeError, KeyError, IndexError, AttributeError, struct.error, zlib.error, RecursionError) as exc:
        # pdfminer.six raises these on damaged files; the message names the file, the traceback goes to -vv
        log.debug("pdfminer failed on %s", name, exc_info=True)
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InputError(f"{name}: unreadable PDF ({detail}); is it damaged or truncated?") from None
    text = text.replace("\f", "\n")
    if not _LETTERS.search(text):
        raise InputError(f"{name}: the PDF has no text layer; {OCR_HINT}")
    cids = _CID.findall(text)
    if cids and sum(map(len, cids)) > len(text) // 10:
        raise InputError(f"{name}: the PDF's fonts map no characters (its text reads as '(cid:N)'); {OCR_HINT}")
    return text
