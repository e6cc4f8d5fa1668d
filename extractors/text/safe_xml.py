"""Safe XML parsing: no entity expansion, no external entities, no DTD fetching.

Why: XML from services and user files may carry ``<!ENTITY>`` declarations
(billion laughs, ``SYSTEM "file:///etc/passwd"``). ``defusedxml`` refuses
them; a plain DOCTYPE without an internal subset (PubMed's
``<!DOCTYPE PubmedArticleSet PUBLIC ... "pubmed_250101.dtd">``) is allowed and
the DTD is never fetched (expat does not load external DTDs).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - only for types and ParseError; parsing goes through defusedxml

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from schemas.errors import ParseError, UnsafeXMLError


def parse_xml(text: str | bytes, name: str = "input") -> ET.Element:
    """Parse XML text safely and return the root element."""
    try:
        return DET.fromstring(text, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnsafeXMLError(f"{name}: unsafe XML refused ({type(exc).__name__}: {exc})") from None
    except ET.ParseError as exc:
        raise ParseError(f"{name}: malformed XML ({exc})") from None


def local(tag: object) -> str:
    """Tag name without namespace (``{ns}article`` -> ``article``); '' for comments/PIs."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def text_of(elem: ET.Element | None) -> str:
    """All text inside an element, whitespace collapsed (for metadata, not for mapped text)."""
    if elem is None:
        return ""
    return " ".join("".join(elem.itertext()).split())
