"""Parse raw bytes (txt, Markdown-ish, HTML, PubMed XML, JATS, BioC, PDF) into :class:`Document` records.

Public API (called by the pipeline's parse stage):

* :func:`detect_format` — ``txt``, ``md``, ``html``, ``pubmed_xml``, ``jats``, ``bioc_json``, ``bioc_xml``, ``pdf``;
  office documents (.docx, .odt, .rtf …) are refused with a hint to convert them
* :func:`parse_document` — one Document (the first, for multi-article inputs)
* :func:`parse_documents` — every article of the input (PubMed sets, PMC article sets, BioC collections),
  ``<doc_id>-<PMID | PMCID | BioC id>`` each when there are several, ``doc_id`` for one, and a
  failure line for every article that could not be read
* :data:`PARSER_VERSION`

``Document.text`` is clean text; ``sections`` cover it; ``offset_map`` maps clean
offsets to the *decoded* raw text (UTF-8 with any BOM removed; for a PDF, the text
:func:`extractors.text.pdf.pdf_text` extracts), which :class:`ParsedInput` carries.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from extractors.text.builder import PARSER_VERSION, DocBuilder, decode_bytes, nct_ids_in
from extractors.text.cleanup import Seg
from schemas.errors import InputError, ParseError
from schemas.models import Document, OffsetSegment, Section
from schemas.vocab import EXTRACTABLE_SECTIONS

log = logging.getLogger(__name__)

__all__ = ["FORMATS", "PARSER_VERSION", "ParsedInput", "detect_format", "parse_document", "parse_documents", "parse_text_piece"]

FORMATS = ("txt", "md", "html", "pubmed_xml", "jats", "bioc_json", "bioc_xml", "pdf")
PLAIN_FORMATS = ("txt", "md", "pdf")
"""Formats parsed as plain text, whose offset map points into text a reader can look at (see :class:`ParsedInput`)."""

OFFICE_SUFFIXES = {
    ".docx": "Word", ".doc": "Word", ".docm": "Word", ".dotx": "Word", ".odt": "OpenDocument text", ".rtf": "RTF",
    ".pages": "Pages", ".pptx": "PowerPoint", ".ppt": "PowerPoint", ".odp": "OpenDocument presentation",
    ".xlsx": "Excel", ".xls": "Excel", ".ods": "OpenDocument spreadsheet", ".epub": "EPUB",
}
"""Document formats that are not read; they are refused with a hint instead of as binary or skipped in folders."""
CONVERT_HINT = "convert it to PDF or plain text (e.g. `libreoffice --headless --convert-to pdf FILE`) and give that"
_ZIP_MEMBERS = ((b"word/", "Word"), (b"ppt/", "PowerPoint"), (b"xl/", "Excel"), (b"opendocument", "OpenDocument"), (b"epub", "EPUB"))

_EXT = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".xhtml": "html"}
_MD_CUES = re.compile(r"(?m)^#{1,6} \S|\*\*\S[^*\n]*\*\*|(?<![\w$])\$[^$\s][^$\n]*\$|^\s*[-*] \S.*\n\s*[-*] \S")


def detect_format(data: bytes, filename: str = "") -> str:
    """Format of ``data`` from its content (XML/JSON roots) and its extension."""
    from extractors.text.pdf import is_pdf

    ext = PurePath(filename).suffix.lower() if filename else ""
    if is_pdf(data):
        return "pdf"
    office = _office_kind(data, ext)
    if office:
        raise InputError(f"{filename or 'input'}: {office} document, which is not read; {CONVERT_HINT}")
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n").decode("utf-8", errors="replace")
    if head.startswith(("{", "[")):
        if any(k in head for k in ('"passages"', '"documents"', '"PubTator3"', '"infons"')):
            return "bioc_json"
        raise InputError(f"{filename or 'input'}: JSON that is not BioC (no documents/passages)")
    low = head[:4096].lower()
    if head.startswith("<"):
        if "<pubmedarticleset" in low or "<pubmedarticle" in low or "<pubmedbookarticle" in low:
            return "pubmed_xml"
        if "<pmc-articleset" in low or re.search(r"<article[\s>]", low) and "<html" not in low:
            return "jats"
        if "<collection" in low and ("<passage" in head.lower() or "<document" in low):
            return "bioc_xml"
        if "<html" in low or "<!doctype html" in low or "<body" in low or ext in (".html", ".htm"):
            return "html"
        if low.startswith("<?xml") or ext in (".xml", ".nxml"):
            raise InputError(f"{filename or 'input'}: XML that is neither PubMed, JATS nor BioC")
    if ext in _EXT:
        return _EXT[ext]
    return "md" if _MD_CUES.search(head) else "txt"


def _office_kind(data: bytes, ext: str) -> str:
    """The office format ``data`` is in ("" for none), from its magic bytes or, failing that, its extension."""
    if data.startswith(b"PK\x03\x04"):
        head = data[:4096]
        kind = next((k for member, k in _ZIP_MEMBERS if member in head), "")
        return kind or (OFFICE_SUFFIXES.get(ext, ""))
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: .doc, .xls, .ppt
        return OFFICE_SUFFIXES.get(ext, "Microsoft Office (OLE2)")
    if data.startswith(b"{\\rtf"):
        return "RTF"
    return OFFICE_SUFFIXES.get(ext, "") if b"\x00" in data[:4096] else ""


@dataclass
class ParsedInput:
    """Everything parsed from one input: its Documents, and a one-line failure per article that could not be read.

    Why: a multi-article input keeps its readable articles while the others are reported,
    never dropped with only a log line. ``raw_text`` is the text the offset maps of
    plain-text and PDF Documents point into (``None`` for structured formats, whose markup
    is not evidence), so evidence can be read back from it.
    """

    documents: list[Document]
    failures: list[str] = field(default_factory=list)
    raw_text: str | None = None


def parse_document(
    data: bytes, *, doc_id: str, fmt: str | None = None, source: str = "file", source_id: str = "", filename: str = ""
) -> Document:
    """Parse a single-document input (for multi-article inputs, the first article with a note)."""
    parsed = parse_documents(data, doc_id=doc_id, fmt=fmt, source=source, source_id=source_id, filename=filename)
    docs = parsed.documents
    first = docs[0]
    if len(docs) > 1:
        log.warning("%s holds %d articles; parse_document returns the first", filename or doc_id, len(docs))
        first.notes.append(f"input holds {len(docs)} articles; only the first is in this document (use parse_documents)")
    first.notes.extend(f"unreadable article: {failure}" for failure in parsed.failures)
    return first


def parse_documents(
    data: bytes, *, doc_id: str, fmt: str | None = None, source: str = "file", source_id: str = "", filename: str = ""
) -> ParsedInput:
    """Parse every article of the input into Documents (one for txt/md/html/pdf).

    Raises :class:`InputError` when nothing in the input is readable; an unreadable article
    of a multi-article input is a line in ``failures`` instead, and the others are kept.
    """
    name = filename or doc_id or "input"
    fmt = fmt or detect_format(data, filename)
    if fmt not in FORMATS:
        raise InputError(f"{name}: unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if fmt == "pdf":
        from extractors.text.pdf import pdf_text

        raw = pdf_text(data, name)
    else:
        raw = decode_bytes(data, name)
    sha = hashlib.sha256(data).hexdigest()
    common = {"source": source, "raw_sha256": sha, "format": fmt, "parser_version": PARSER_VERSION}
    if fmt in PLAIN_FORMATS:
        from extractors.text.plain import parse_text

        ct, sections, meta = parse_text(raw)
        doc = Document(
            doc_id=doc_id, source_id=source_id or doc_id, title=str(meta["title"]), text=ct.text, sections=sections,
            offset_map=ct.offset_map, doi=str(meta["doi"]), year=meta["year"],  # type: ignore[arg-type]
            nct_ids=nct_ids_in(_extractable(ct.text, sections)), **common,
        )
        return ParsedInput([_check_readable(doc, name)], raw_text=raw)
    if fmt == "html":
        from extractors.text.html import parse_html

        b = DocBuilder(raw)
        meta = parse_html(raw, b)
        return ParsedInput([_check_readable(_finish(b, meta, doc_id, source_id or doc_id, common), name)])
    if fmt == "bioc_json":
        from extractors.text.bioc import documents_json, load_json, parse_json_document

        return _many(raw, name, doc_id, source_id, common, documents_json(load_json(raw, name)), parse_json_document)
    from extractors.text.safe_xml import parse_xml

    root = parse_xml(raw, name)
    if fmt == "pubmed_xml":
        from extractors.text import pubmed_xml

        return _many(raw, name, doc_id, source_id, common, pubmed_xml.articles_in(root), pubmed_xml.parse_article)
    if fmt == "jats":
        from extractors.text import jats

        return _many(raw, name, doc_id, source_id, common, jats.articles_in(root), jats.parse_article)
    from extractors.text import bioc
    from extractors.text.safe_xml import local

    docs = [d for d in root.iter() if local(d.tag) == "document"]
    return _many(raw, name, doc_id, source_id, common, docs, bioc.parse_xml_document)


def parse_text_piece(
    raw: str, *, doc_id: str, fmt: str, source: str = "file", source_id: str = "", continues: str | None = None
) -> Document:
    """One piece of a long plain text or Markdown input, already decoded, as a Document.

    Why: a long text is parsed piece by piece so memory stays bounded. Offsets are those of
    the piece; ``continues`` (the label the previous piece ended in) carries the section on.
    """
    from extractors.text.plain import parse_text

    ct, sections, meta = parse_text(raw, continues=continues)
    return Document(
        doc_id=doc_id, source=source, source_id=source_id or doc_id, title=str(meta["title"]), text=ct.text,
        sections=sections, offset_map=ct.offset_map, doi=str(meta["doi"]), year=meta["year"],  # type: ignore[arg-type]
        nct_ids=nct_ids_in(_extractable(ct.text, sections)), format=fmt, parser_version=PARSER_VERSION,
    )


def _many(raw, name, doc_id, source_id, common, items, parse_one) -> ParsedInput:  # type: ignore[no-untyped-def]
    """One Document per article; each gets its own builder but maps into the same raw text.

    An article without readable text becomes a failure line naming the input, the article's
    id and position, and the doc_id it would have had; the other articles are kept.
    """
    items = list(items)
    if not items:
        raise ParseError(f"{name}: no articles/documents found")
    docs: list[Document] = []
    failures: list[str] = []
    used: set[str] = set()
    for i, item in enumerate(items):
        b = DocBuilder(raw)
        meta = parse_one(item, b)
        ident = _article_ident(meta, i, used)
        this_id = doc_id if len(items) == 1 else f"{doc_id}-{ident}"
        this_source_id = source_id if (source_id and len(items) == 1) else ident if len(items) > 1 else (source_id or doc_id)
        try:
            docs.append(_check_readable(_finish(b, meta, this_id, this_source_id, common), name))
        except InputError:
            failures.append(f"{name}: article {ident} ({i + 1} of {len(items)}, doc_id {this_id}): no readable text")
    if not docs:
        raise InputError(f"{name}: no readable text in any of its {len(items)} article(s)")
    return ParsedInput(docs, failures)


def _article_ident(meta: dict[str, object], index: int, used: set[str]) -> str:
    """The article's PMID, PMCID or BioC document id (else its 1-based position), unique in the input.

    Why: each article of a multi-article input becomes its own document; a repeated or missing
    id must not give two articles one ``doc_id`` (and so one ``triple_id``).
    """
    ident = re.sub(r"\s+", "_", str(meta.get("pmid") or meta.get("pmcid") or meta.get("bioc_id") or "").strip())
    if not ident or ident in used:
        ident = f"{ident}.{index + 1}" if ident else str(index + 1)
    used.add(ident)
    return ident


def _finish(b: DocBuilder, meta: dict[str, object], doc_id: str, source_id: str, common: dict[str, str]) -> Document:
    text = b.text()
    sections = _cover(b.sections, len(text))
    return Document(
        doc_id=doc_id, source_id=source_id, title=str(meta.get("title") or ""), text=text, sections=sections,
        offset_map=_segments(b.segments), doi=str(meta.get("doi") or ""), pmid=str(meta.get("pmid") or ""),
        pmcid=str(meta.get("pmcid") or ""), journal=str(meta.get("journal") or ""), year=meta.get("year"),  # type: ignore[arg-type]
        publication_types=list(meta.get("publication_types") or []),  # type: ignore[call-overload]
        nct_ids=nct_ids_in(_extractable(text, sections), meta.get("trial_ids") or []),  # type: ignore[arg-type]
        notes=list(meta.get("notes") or []), **common,  # type: ignore[call-overload]
    )


def _cover(sections: list[Section], length: int) -> list[Section]:
    """Make sections contiguous from 0 to ``length`` (separators join the preceding section)."""
    out = [s.model_copy() for s in sections]
    if out:
        out[0].start = 0
        for a, b in zip(out, out[1:], strict=False):
            a.end = b.start
        out[-1].end = length
    return out


def _segments(segs: list[Seg]) -> list[OffsetSegment]:
    return [OffsetSegment(clean_start=c, raw_start=r, length=n) for c, r, n in segs]


def _extractable(text: str, sections: list[Section]) -> str:
    return "\n".join(text[s.start : s.end] for s in sections if s.label in EXTRACTABLE_SECTIONS)


def _check_readable(doc: Document, name: str) -> Document:
    if not re.search(r"[^\W\d_]{2}", doc.text):
        raise InputError(f"{name}: no readable text")
    return doc
