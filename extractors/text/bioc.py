"""BioC JSON/XML (BioC-PMC ``pmcoa.cgi``, PubTator3 export) to Documents.

Why: BioC passages carry ``section_type`` (TITLE, ABSTRACT, INTRO, METHODS,
RESULTS, DISCUSS, FIG, TABLE, REF, ACK_FUND, COMP_INT …) and ``type``
(title_1, paragraph, fig_caption, table …), which map directly to labels.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 - element type only
from collections.abc import Iterator
from typing import Any

from extractors.text.builder import DocBuilder, year_of
from extractors.text.safe_xml import local, text_of
from schemas.errors import ParseError

_DECLARATION_TYPES = {"ACK_FUND", "AUTH_CONT", "COMP_INT", "ABBR", "SUPPL", "REVIEW_INFO", "FUNDING", "CONFLICT"}


def passage_label(section_type: str, ptype: str) -> str:
    """Section label for a passage from its ``section_type`` and ``type`` infons."""
    st = section_type.upper()
    pt = ptype.lower()
    if st == "TITLE" or (not st and pt in ("title", "front")):
        return "title"
    if st == "ABSTRACT" or (not st and pt == "abstract") or pt.startswith("abstract"):
        return "abstract"
    if st == "REF" or pt == "ref":
        return "references"
    if st in _DECLARATION_TYPES:
        return "declarations"
    if st == "KEYWORD":
        return "front_matter"
    if pt in ("fig_caption", "fig_title_caption", "table_caption", "table_title_caption", "table_footnote", "table_foot") or (st == "FIG"):
        return "caption"
    if pt == "table" or st == "TABLE":
        return "table"
    return "body"


def documents_json(data: Any) -> Iterator[dict[str, Any]]:
    """Documents of a BioC JSON payload: list of collections, one collection, or PubTator3 wrapper."""
    if isinstance(data, list):
        for item in data:
            yield from documents_json(item)
    elif isinstance(data, dict):
        if "documents" in data:
            yield from data["documents"]
        elif "PubTator3" in data:
            yield from data["PubTator3"]
        elif "passages" in data:
            yield data
    else:
        raise ParseError("BioC JSON: expected a collection, a list of collections or a document")


def parse_json_document(doc: dict[str, Any], builder: DocBuilder) -> dict[str, object]:
    meta: dict[str, str] = {}
    title = ""
    heading = ""
    for p in doc.get("passages", []):
        infons = {k: str(v) for k, v in (p.get("infons") or {}).items()}
        for k, v in infons.items():
            meta.setdefault(k, v)
        text = p.get("text") or ""
        label = passage_label(infons.get("section_type", ""), infons.get("type", ""))
        if infons.get("type", "").lower().startswith("title") and label not in ("title",):
            heading = text.strip()
        added = builder.add([text], label, "" if label == "title" else heading)
        if label == "title" and not title:
            title = added
    return _meta(doc.get("id", ""), meta, title)


def parse_xml_document(doc: ET.Element, builder: DocBuilder) -> dict[str, object]:
    meta: dict[str, str] = {}
    title = ""
    heading = ""
    for p in doc:
        if local(p.tag) != "passage":
            continue
        infons = {i.get("key", ""): text_of(i) for i in p if local(i.tag) == "infon"}
        for k, v in infons.items():
            meta.setdefault(k, v)
        t = p.find("text")
        text = t.text if t is not None and t.text else ""
        label = passage_label(infons.get("section_type", ""), infons.get("type", ""))
        if infons.get("type", "").lower().startswith("title") and label != "title":
            heading = text.strip()
        added = builder.add([text], label, "" if label == "title" else heading)
        if label == "title" and not title:
            title = added
    doc_id = text_of(doc.find("id"))
    return _meta(doc_id, meta, title)


def _meta(doc_id: str, infons: dict[str, str], title: str) -> dict[str, object]:
    pmcid = infons.get("article-id_pmc", "")
    if not pmcid and str(doc_id).upper().startswith("PMC"):
        pmcid = str(doc_id)
    if pmcid and not pmcid.upper().startswith("PMC"):
        pmcid = "PMC" + pmcid
    pmid = infons.get("article-id_pmid", "")
    if not pmid and str(doc_id).isdigit() and not pmcid:
        pmid = str(doc_id)
    journal = infons.get("journal", "")
    return {
        "title": title, "doi": infons.get("article-id_doi", ""), "pmid": pmid, "pmcid": pmcid.upper(),
        "journal": journal.split(".")[0].strip() if journal else "", "year": year_of(infons.get("year", "") or journal),
        "publication_types": [], "trial_ids": [], "notes": [], "bioc_id": str(doc_id or ""),
    }


def load_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{name}: malformed BioC JSON ({exc.msg} at line {exc.lineno})") from None
