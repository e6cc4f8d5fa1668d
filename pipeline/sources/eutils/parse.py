"""E-utilities answers → ids, counts and history handles (pure), plus safe XML parsing.

NCBI reports many failures with HTTP 200 and an error element in the body
(``<ERROR>``, ``<ErrorList>``), so every answer is checked here before use.
All XML goes through ``safe_xml``: entity declarations (billion laughs) and
external entities are refused with ``UnsafeXMLError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XMLSyntaxError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from schemas.errors import ParseError, ServiceError, UnsafeXMLError

HARMLESS_ERRORS = frozenset({"PhraseNotFound", "FieldNotFound"})
"""ErrorList entries that just mean "some terms matched nothing" (a valid zero-hit answer)."""


def safe_xml(data: bytes, *, what: str = "XML") -> Element:
    """Parse XML refusing entity declarations, external entities and DTD expansion.

    A DOCTYPE that only names an external DTD (as every NCBI answer does) is
    allowed; it is never fetched.
    """
    if not data or not data.strip():
        raise ParseError(f"{what} is empty")
    try:
        return DET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnsafeXMLError(f"{what} refused: it declares entities or external references ({exc!r})") from exc
    except XMLSyntaxError as exc:
        head = data[:80].decode("utf-8", errors="replace").strip()
        kind = "HTML, not XML (an error page?)" if head.lower().startswith(("<!doctype html", "<html")) else f"not well-formed XML ({exc})"
        raise ParseError(f"{what} is {kind}") from exc


def _text(el: Element | None) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


def check_eutils_error(root: Element, *, what: str) -> list[str]:
    """Raise ``ServiceError`` for an ``<ERROR>`` answer; return harmless ErrorList entries."""
    err = root.find("ERROR") if root.tag != "ERROR" else root
    if err is not None:
        raise ServiceError(f"{what}: NCBI answered with an error: {_text(err)}")
    notes: list[str] = []
    error_list = root.find("ErrorList")
    if error_list is not None:
        bad = [f"{c.tag}: {_text(c)}" for c in error_list if c.tag not in HARMLESS_ERRORS]
        if bad:
            raise ServiceError(f"{what}: NCBI ErrorList: {'; '.join(bad)}")
        notes = [f"{c.tag}: {_text(c)}" for c in error_list]
    return notes


@dataclass
class ESearchResult:
    """One esearch page: total count, this page's ids and the history handles."""

    count: int
    """Hits of the whole query, not just this page."""
    ids: list[str]
    retstart: int = 0
    retmax: int = 0
    webenv: str = ""
    query_key: str = ""
    """``WebEnv`` and ``QueryKey``: the history server's handle on the result (with ``usehistory=y``)."""
    query_translation: str = ""
    """How PubMed read the query."""
    notes: list[str] = field(default_factory=list)
    """Error and warning list entries (e.g. a phrase not found)."""


def _int(value: Any, what: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ParseError(f"{what}: expected an integer, got {value!r}") from exc


def parse_esearch(data: bytes, *, what: str = "esearch") -> ESearchResult:
    """esearch JSON (``retmode=json``) or XML → ``ESearchResult``."""
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return _parse_esearch_json(data, what)
    root = safe_xml(data, what=what)
    notes = check_eutils_error(root, what=what)  # <ERROR> comes in any root element
    if root.tag != "eSearchResult":
        if root.tag.lower() == "html":
            raise ServiceError(f"{what}: service answered an HTML page instead of eSearchResult")
        raise ParseError(f"{what}: expected <eSearchResult>, got <{root.tag}>")
    count_el = root.find("Count")
    if count_el is None:
        raise ParseError(f"{what}: <eSearchResult> has no <Count>")
    warnings = [f"warning: {_text(w)}" for w in root.iterfind("WarningList/*")]
    return ESearchResult(
        count=_int(_text(count_el), what),
        ids=[_text(i) for i in root.iterfind("IdList/Id")],
        retstart=_int(_text(root.find("RetStart")) or 0, what),
        retmax=_int(_text(root.find("RetMax")) or 0, what),
        webenv=_text(root.find("WebEnv")),
        query_key=_text(root.find("QueryKey")),
        query_translation=_text(root.find("QueryTranslation")),
        notes=notes + warnings,
    )


def _parse_esearch_json(data: bytes, what: str) -> ESearchResult:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{what}: truncated or invalid JSON ({exc})") from exc
    if isinstance(doc, dict) and "error" in doc and "esearchresult" not in doc:
        raise ServiceError(f"{what}: NCBI answered with an error: {doc['error']}")
    res = doc.get("esearchresult") if isinstance(doc, dict) else None
    if not isinstance(res, dict):
        raise ParseError(f"{what}: JSON has no 'esearchresult' object")
    if res.get("ERROR"):
        raise ServiceError(f"{what}: NCBI answered with an error: {res['ERROR']}")
    notes: list[str] = []
    errlist = res.get("errorlist") or {}
    if isinstance(errlist, dict):
        for kind, values in errlist.items():
            if values and kind.lower() not in {"phrasesnotfound", "fieldsnotfound"}:
                raise ServiceError(f"{what}: NCBI errorlist {kind}: {values}")
            if values:
                notes.append(f"{kind}: {values}")
    if "count" not in res:
        raise ParseError(f"{what}: esearchresult has no count")
    return ESearchResult(
        count=_int(res["count"], what),
        ids=[str(i) for i in res.get("idlist") or []],
        retstart=_int(res.get("retstart", 0), what),
        retmax=_int(res.get("retmax", 0), what),
        webenv=str(res.get("webenv", "")),
        query_key=str(res.get("querykey", "")),
        query_translation=str(res.get("querytranslation", "")),
        notes=notes,
    )


def parse_epost(data: bytes, *, what: str = "epost") -> tuple[str, str]:
    """epost XML → (WebEnv, QueryKey)."""
    root = safe_xml(data, what=what)
    check_eutils_error(root, what=what)
    webenv, key = _text(root.find("WebEnv")), _text(root.find("QueryKey"))
    if not webenv or not key:
        raise ParseError(f"{what}: no WebEnv/QueryKey in <{root.tag}>")
    return webenv, key


def pubmed_article_ids(data: bytes, *, what: str = "efetch pubmed") -> list[str]:
    """Validate a PubmedArticleSet and return the PMIDs it holds, in order."""
    root = safe_xml(data, what=what)
    check_eutils_error(root, what=what)
    if root.tag != "PubmedArticleSet":
        raise ParseError(f"{what}: expected <PubmedArticleSet>, got <{root.tag}>")
    ids = []
    for art in root:
        pmid = art.find("MedlineCitation/PMID")
        if pmid is None:
            pmid = art.find("BookDocument/PMID")
        if pmid is not None:
            ids.append(_text(pmid))
    return ids


@dataclass
class PmcArticleInfo:
    """What one efetch db=pmc answer holds, and whether it has full text."""

    pmcid: str
    pmid: str = ""
    has_body: bool = False
    note: str = ""


def pmc_article_info(data: bytes, *, what: str = "efetch pmc") -> list[PmcArticleInfo]:
    """Validate a pmc-articleset (or bare JATS article) and flag metadata-only answers.

    Non open-access articles come back as front matter only (HTTP 200); callers
    fall back to the abstract and record why.
    """
    root = safe_xml(data, what=what)
    check_eutils_error(root, what=what)
    if root.tag == "pmc-articleset":
        articles = [a for a in root if a.tag == "article"]
        if not articles and root.find("error") is not None:
            raise ServiceError(f"{what}: PMC answered with an error: {_text(root.find('error'))}")
    elif root.tag == "article":
        articles = [root]
    else:
        raise ParseError(f"{what}: expected <pmc-articleset> or <article>, got <{root.tag}>")
    out = []
    for art in articles:
        ids = {a.get("pub-id-type", ""): _text(a) for a in art.iterfind("front/article-meta/article-id")}
        pmcid = ids.get("pmcid") or ids.get("pmc") or ids.get("pmcid-ver", "")
        if pmcid and not pmcid.upper().startswith("PMC"):
            pmcid = "PMC" + pmcid
        has_body = art.find("body") is not None
        out.append(
            PmcArticleInfo(
                pmcid=pmcid.split(".")[0],
                pmid=ids.get("pmid", ""),
                has_body=has_body,
                note="" if has_body else "metadata-only answer (not open access): fall back to the abstract",
            )
        )
    return out


def parse_elink_pmids(data: bytes, *, what: str = "elink") -> dict[str, list[str]]:
    """elink XML → {source id: [linked ids]} over every LinkSetDb."""
    root = safe_xml(data, what=what)
    check_eutils_error(root, what=what)
    out: dict[str, list[str]] = {}
    for ls in root.iterfind("LinkSet"):
        src = _text(ls.find("IdList/Id"))
        linked = out.setdefault(src, [])
        for link in ls.iterfind("LinkSetDb/Link/Id"):
            value = _text(link)
            if value not in linked:
                linked.append(value)
    return out
