"""PDF bytes to the text the plain-text parser cleans, with pdfminer.six's layout analysis.

Why pdfminer.six: a PDF holds positioned glyphs, not paragraphs. Its layout analysis groups
characters into lines and lines into text boxes, orders the boxes across columns. Each box
becomes one paragraph line followed by a blank line, the shape the section labeller
(:mod:`extractors.text.sections`) reads, so no geometry code of ours is needed.

The string returned is the *raw text* of a PDF Document: its ``offset_map`` points into it,
and a triple's evidence is an exact substring of it.
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
_WRAP = re.compile(r"(?<![-\u00ad\u2010])\n")
_SPACES = re.compile(r"(?<=\S) {2,}")

OCR_HINT = "a scanned PDF needs OCR first (e.g. `ocrmypdf in.pdf out.pdf`), or give the text as .txt"


def _unwrap(box: str) -> str:
    """A text box's lines as one line: a line break becomes a space, except after a hyphen.

    Why: the NLP and the section labeller read a paragraph as one line, as in the plain texts
    they were built on; a break after a hyphen stays so that dehyphenation
    (``resis-\\ntance``) can decide whether the hyphen is real. Runs of spaces, which the
    layout analysis writes for the wide gaps of justified lines, become one.
    """
    return _SPACES.sub(" ", _WRAP.sub(" ", box.rstrip("\n")))


def is_pdf(data: bytes) -> bool:
    """True when ``data`` starts like a PDF (the header may follow up to 1 kB of junk, as readers allow)."""
    return PDF_MAGIC in data[:1024]


def pdf_text(data: bytes, name: str = "input") -> str:
    """The text of every page, in reading order, paragraphs separated by blank lines.

    Raises :class:`InputError` naming ``name`` for an unreadable, encrypted or text-less PDF.
    """
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextBox
    from pdfminer.pdfdocument import PDFEncryptionError, PDFTextExtractionNotAllowed
    from pdfminer.psexceptions import PSException

    try:
        boxes = [
            _unwrap(element.get_text())
            for page in extract_pages(io.BytesIO(data), laparams=LAParams())
            for element in page
            if isinstance(element, LTTextBox)
        ]
    except PDFTextExtractionNotAllowed:
        raise InputError(f"{name}: the PDF forbids text extraction; save an unrestricted copy") from None
    except PDFEncryptionError as exc:
        raise InputError(f"{name}: encrypted PDF ({type(exc).__name__}); save a copy without a password") from None
    except (PSException, ValueError, TypeError, KeyError, IndexError, AttributeError, struct.error, zlib.error, RecursionError) as exc:
        # pdfminer.six raises these on damaged files; the message names the file, the traceback goes to -vv
        log.debug("pdfminer failed on %s", name, exc_info=True)
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InputError(f"{name}: unreadable PDF ({detail}); is it damaged or truncated?") from None
    text = "\n\n".join(box for box in boxes if box.strip()) + "\n"
    if not _LETTERS.search(text):
        raise InputError(f"{name}: the PDF has no text layer; {OCR_HINT}")
    cids = _CID.findall(text)
    if cids and sum(map(len, cids)) > len(text) // 10:
        raise InputError(f"{name}: the PDF's fonts map no characters (its text reads as '(cid:N)'); {OCR_HINT}")
    return text
