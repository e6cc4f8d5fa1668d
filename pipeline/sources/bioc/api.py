"""BioC-PMC fetcher: full text as BioC JSON (``pmcoa.cgi/BioC_json/{id}/unicode``).

Only open-access / text-mining-subset articles are served; anything else comes
back as a non-JSON message, which is refused (``ServiceError``) so the caller can
fall back to the abstract and record why.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from pipeline.config import Settings
from pipeline.sources.http import PoliteClient, ServiceFetcher
from schemas.errors import ParseError, ServiceError
from schemas.models import RawRecord
from schemas.vocab import SERVICE_BIOC, SOURCE_BIOC

log = logging.getLogger(__name__)

SERVICE = SERVICE_BIOC
"""The HTTP client's name for BioC requests (rate-limited with NCBI's E-utilities; no E-utilities parameters)."""


@dataclass
class BiocFetch:
    """A validated BioC collection answer."""

    article_id: str
    documents: list[str]
    passages: int
    raw: RawRecord | None


def check_bioc_json(data: bytes, *, what: str = "BioC JSON") -> dict[str, Any]:
    """Validate BioC JSON (a list of collections, or one collection) → summary dict."""
    stripped = data.lstrip()
    message = " ".join(data[:200].decode("utf-8", errors="replace").split())
    # the service answers "[Error] : No result can be found ..." (HTTP 200) for articles it does not serve
    if stripped[:1] not in (b"[", b"{") or stripped.startswith(b"[Error]"):
        raise ServiceError(f"{what}: not BioC JSON (article not in the open-access subset?): {message!r}")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{what}: truncated or invalid JSON ({exc})") from exc
    collections = doc if isinstance(doc, list) else [doc]
    docs: list[str] = []
    passages = 0
    for coll in collections:
        if not isinstance(coll, dict) or not isinstance(coll.get("documents"), list):
            raise ParseError(f"{what}: a collection without a 'documents' list")
        for d in coll["documents"]:
            docs.append(str(d.get("id", "")))
            passages += len(d.get("passages") or [])
    if not docs:
        raise ServiceError(f"{what}: BioC answer holds no document")
    return {"documents": docs, "passages": passages}


class BiocFetcher(ServiceFetcher):
    """BioC-PMC RESTful API (an NCBI service: same rate limit as E-utilities)."""

    @classmethod
    def from_settings(cls, settings: Settings, client: PoliteClient) -> BiocFetcher:
        return cls(client, base_url=settings.ncbi.bioc_url)

    def fetch_json(self, article_id: str, *, encoding: str = "unicode") -> BiocFetch:
        """BioC JSON for a PMCID (``PMC…``) or PMID."""
        aid = article_id.strip().upper() if article_id.upper().startswith("PMC") else article_id.strip()
        resp = self.client.get(
            SERVICE,
            f"{self.base_url}/BioC_json/{aid}/{encoding}",
            source=SOURCE_BIOC,
            source_id=aid,
            format_hint="bioc_json",
            validate=lambda data: check_bioc_json(data, what=f"BioC JSON {aid}"),
        )
        return BiocFetch(aid, resp.parsed["documents"], resp.parsed["passages"], resp.raw)
