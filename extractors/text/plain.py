"""Plain text and Markdown-ish text (PDF/web extractions, PubMed page dumps) to a Document.

Why: these inputs have no markup to trust, so all repairs of
:mod:`extractors.text.cleanup` run and :mod:`extractors.text.sections` labels the
clean text from paragraph shapes.
"""

from __future__ import annotations

import re

from extractors.text.cleanup import CleanText, clean_text
from extractors.text.sections import label_sections
from schemas.models import Section

_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s<>\"'\]]+[^\s<>\"'\].,;)])")
_YEAR_LINE = re.compile(r"(?:Published(?: online)?|Accepted(?: for publication)?|Received|Epub|Submitted)[^\n]{0,40}?\b((?:19|20)\d{2})\b")


def parse_text(raw: str, *, continues: str | None = None) -> tuple[CleanText, list[Section], dict[str, object]]:
    """Clean, label, and read light metadata (title, DOI, year) from the front matter.

    ``continues``: the label the previous piece ended in, when ``raw`` is a later piece of a long text.
    """
    ct = clean_text(raw)
    sections = label_sections(ct.text, continues=continues)
    text = ct.text
    title = next((text[s.start : s.end].strip() for s in sections if s.label == "title"), "")
    doi = ""
    year = None
    for s in sections:
        if s.label in ("front_matter", "title", "boilerplate", "declarations") and s.start < max(len(text) // 3, 5000):
            chunk = text[s.start : s.end]
            if not doi and (m := _DOI.search(chunk)):
                doi = m.group(1)
            if year is None and (y := _YEAR_LINE.search(chunk)):
                year = int(y.group(1))
    return ct, sections, {"title": title, "doi": doi, "year": year}
