"""Europe PMC REST answers → search hits and validated full-text JATS (pure).

Europe PMC reports problems as ``<errorBean>`` bodies and, at the end of a
cursor walk, echoes the same ``nextCursorMark`` back; both are handled here so
the fetcher stays a thin loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pipeline.sources.eutils.parse import safe_xml
from schemas.errors import ParseError, ServiceError


@dataclass
class EuropePmcHit:
    """One search result (``resultType=lite`` or ``core``)."""

    id: str
    """Europe PMC's id of the record within ``source``."""
    source: str
    """``MED`` (PubMed), ``PMC``, ``PPR`` (preprints) …"""
    pmid: str = ""
    pmcid: str = ""
    doi: str = ""
    title: str = ""
    year: str = ""
    """``pubYear``."""
    is_open_access: bool = False
    """``isOpenAccess`` is ``Y``."""
    in_epmc: bool = False
    """``inEPMC`` is ``Y``: Europe PMC holds the full text."""
    raw: dict[str, Any] = field(default_factory=dict)
    """The result object as received."""


@dataclass
class EuropePmcPage:
    """One search page and its cursor."""

    hit_count: int
    hits: list[EuropePmcHit]
    next_cursor: str | None
    cursor: str = ""
    page_size: int = 0


def parse_search(data: bytes, *, what: str = "Europe PMC search") -> EuropePmcPage:
    """Search JSON (``format=json``) → ``EuropePmcPage``; errorBean/HTML → ``ServiceError``."""
    head = data.lstrip()[:64].lower()
    if head.startswith(b"<"):
        if b"errorbean" in data[:500].lower():
            root = safe_xml(data, what=what)
            raise ServiceError(f"{what}: Europe PMC error: {root.findtext('errMsg', '').strip()}")
        raise ServiceError(f"{what}: Europe PMC answered HTML/XML instead of JSON")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{what}: truncated or invalid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise ParseError(f"{what}: expected a JSON object")
    if "errMsg" in doc or "errCode" in doc:
        raise ServiceError(f"{what}: Europe PMC error: {doc.get('errMsg', doc.get('errCode'))}")
    results = (doc.get("resultList") or {}).get("result")
    if not isinstance(results, list) or "hitCount" not in doc:
        raise ParseError(f"{what}: no hitCount/resultList.result")
    hits = [
        EuropePmcHit(
            id=str(r.get("id", "")),
            source=str(r.get("source", "")),
            pmid=str(r.get("pmid", "")),
            pmcid=str(r.get("pmcid", "")),
            doi=str(r.get("doi", "")),
            title=str(r.get("title", "")),
            year=str(r.get("pubYear", "")),
            is_open_access=r.get("isOpenAccess") == "Y",
            in_epmc=r.get("inEPMC") == "Y",
            raw=r,
        )
        for r in results
        if isinstance(r, dict)
    ]
    request = doc.get("request") or {}
    nxt = doc.get("nextCursorMark")
    return EuropePmcPage(
        hit_count=int(doc["hitCount"]),
        hits=hits,
        next_cursor=str(nxt) if nxt else None,
        cursor=str(request.get("cursorMark", "")),
        page_size=int(request.get("pageSize") or 0),
    )


def check_fulltext_xml(data: bytes, *, what: str = "Europe PMC fullTextXML") -> str:
    """Validate a ``fullTextXML`` answer (bare JATS ``<article>``); return its note.

    ``errorBean`` (e.g. not open access) raises ``ServiceError``; an article
    without ``<body>`` is accepted and flagged as metadata-only.
    """
    root = safe_xml(data, what=what)
    if root.tag == "errorBean":
        raise ServiceError(f"{what}: Europe PMC error: {root.findtext('errMsg', '').strip()}")
    if root.tag != "article":
        raise ParseError(f"{what}: expected <article>, got <{root.tag}>")
    return "" if root.find("body") is not None else "metadata-only answer: fall back to the abstract"
