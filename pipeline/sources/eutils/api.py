"""NCBI E-utilities fetcher: PubMed search, PubMed XML, PMC JATS, DOI → PMID, elink.

Every request carries ``tool``/``email``/``api_key`` (added by the polite client
for service ``ncbi``); id lists above ``post_threshold`` are sent by POST so URLs
stay short; search results are paged with ``usehistory``/``retstart``.
"""

from __future__ import annotations

import hashlib
import logging
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.config import Settings
from pipeline.sources.eutils.parse import (
    ESearchResult,
    PmcArticleInfo,
    parse_elink_pmids,
    parse_esearch,
    pmc_article_info,
    pubmed_article_ids,
    safe_xml,
)
from pipeline.sources.http import FetchedResponse, PoliteClient, ServiceFetcher
from pipeline.sources.rawstore import sha256_bytes
from schemas.models import RawRecord
from schemas.vocab import (
    SERVICE_NCBI,
    SOURCE_ELINK,
    SOURCE_PMC,
    SOURCE_PUBMED,
    SOURCE_PUBMED_BATCH,
    SOURCE_PUBMED_SEARCH,
)

log = logging.getLogger(__name__)

SERVICE = SERVICE_NCBI
ESEARCH_MAX = 10_000
"""PubMed esearch returns at most 10,000 ids per query (retstart beyond is refused)."""


@dataclass
class PubmedBatch:
    """One efetch answer: the PMIDs it holds and the raw records per article."""

    requested: list[str]
    returned: list[str]
    raw: RawRecord | None
    articles: dict[str, RawRecord] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [p for p in self.requested if p not in self.returned]


@dataclass
class PmcFetch:
    """An efetch db=pmc answer; ``info.has_body`` False means metadata only."""

    pmcid: str
    content: bytes
    info: PmcArticleInfo
    raw: RawRecord | None


def _key(values: Sequence[str]) -> str:
    return hashlib.sha1(",".join(values).encode()).hexdigest()[:16]


class EutilsFetcher(ServiceFetcher):
    """PubMed / PMC through E-utilities."""

    def __init__(
        self,
        client: PoliteClient,
        *,
        base_url: str,
        batch_size: int = 200,
        post_threshold: int = 200,
    ) -> None:
        super().__init__(client, base_url=base_url)
        self.batch_size = batch_size
        self.post_threshold = post_threshold

    @classmethod
    def from_settings(cls, settings: Settings, client: PoliteClient) -> EutilsFetcher:
        return cls(client, base_url=settings.ncbi.eutils_url)

    def _url(self, tool: str) -> str:
        return f"{self.base_url}/{tool}.fcgi"

    # -- search -----------------------------------------------------------------------

    def esearch_page(self, term: str, *, db: str = "pubmed", retstart: int = 0, retmax: int = 100,
                     usehistory: bool = True, extra: dict[str, str] | None = None) -> ESearchResult:
        """One esearch page (JSON)."""
        params = {"db": db, "term": term, "retmode": "json", "retstart": retstart, "retmax": retmax}
        if usehistory:
            params["usehistory"] = "y"
        params.update(extra or {})
        resp = self.client.get(
            SERVICE,
            self._url("esearch"),
            params=params,
            source=SOURCE_PUBMED_SEARCH,
            source_id=f"esearch-{_key([db, term, str(retstart), str(retmax), repr(sorted((extra or {}).items()))])}",
            format_hint="esearch_json",
            validate=lambda data: parse_esearch(data, what=f"esearch {term!r}"),
        )
        return resp.parsed

    def search_ids(self, term: str, *, db: str = "pubmed", max_results: int | None = None,
                   page_size: int = 500, min_year: int | None = None) -> list[str]:
        """All ids for a query (up to ``max_results``), paging with ``retstart``."""
        extra = {"datetype": "pdat", "mindate": str(min_year), "maxdate": "3000"} if min_year else None
        limit = min(max_results or ESEARCH_MAX, ESEARCH_MAX)
        ids: list[str] = []
        retstart = 0
        while len(ids) < limit:
            size = min(page_size, limit - len(ids))
            page = self.esearch_page(term, db=db, retstart=retstart, retmax=size, extra=extra)
            for i in page.ids:
                if i not in ids:
                    ids.append(i)
            retstart += len(page.ids)
            if not page.ids or retstart >= min(page.count, limit):
                break
        return ids[:limit]

    def doi_to_pmid(self, doi: str) -> str | None:
        """PMID for a DOI via ``esearch term=<doi>[doi]``; None when PubMed has no match."""
        page = self.esearch_page(f"{doi}[doi]", retmax=5, usehistory=False)
        if len(page.ids) > 1:
            log.warning("DOI %s matches %d PMIDs (%s); taking the first", doi, len(page.ids), ", ".join(page.ids))
        return page.ids[0] if page.ids else None

    # -- efetch -----------------------------------------------------------------------

    def _id_request(self, tool: str, params: dict[str, str], ids: Sequence[str], **kw: object) -> FetchedResponse:
        """GET for short id lists, POST (form body) above ``post_threshold`` ids."""
        params = {**params, "id": ",".join(ids)}
        if len(ids) > self.post_threshold:
            return self.client.post(SERVICE, self._url(tool), data=params, **kw)  # type: ignore[arg-type]
        return self.client.get(SERVICE, self._url(tool), params=params, **kw)  # type: ignore[arg-type]

    def efetch_pubmed(self, pmids: Sequence[str]) -> list[PubmedBatch]:
        """PubMed XML for PMIDs in batches; each article is also stored on its own."""
        wanted = list(dict.fromkeys(str(p).strip() for p in pmids if str(p).strip()))
        batches: list[PubmedBatch] = []
        for start in range(0, len(wanted), self.batch_size):
            batch = wanted[start : start + self.batch_size]
            source_id = batch[0] if len(batch) == 1 else f"efetch-{_key(batch)}"
            resp = self._id_request(
                "efetch",
                {"db": "pubmed", "retmode": "xml"},
                batch,
                source=SOURCE_PUBMED_BATCH if len(batch) > 1 else SOURCE_PUBMED,
                source_id=source_id,
                format_hint="pubmed_xml",
                validate=lambda data, b=batch: pubmed_article_ids(data, what=f"efetch pubmed {b[0]}..{b[-1]}"),
            )
            result = PubmedBatch(requested=batch, returned=list(resp.parsed), raw=resp.raw)
            if len(batch) > 1:
                result.articles = self._split_articles(resp)
            elif resp.raw is not None and resp.parsed:
                result.articles = {resp.parsed[0]: resp.raw}
            if result.missing:
                log.warning("efetch pubmed: %d PMIDs not returned: %s", len(result.missing), ", ".join(result.missing[:20]))
            batches.append(result)
        return batches

    def _split_articles(self, resp: FetchedResponse) -> dict[str, RawRecord]:
        """Store each article of a batch as its own PubmedArticleSet (derived bytes)."""
        store = self.client.raw_store
        if store is None:
            return {}
        root = safe_xml(resp.content, what="efetch pubmed")
        out: dict[str, RawRecord] = {}
        for art in root:
            pmid_el = art.find("MedlineCitation/PMID")
            if pmid_el is None:
                pmid_el = art.find("BookDocument/PMID")
            if pmid_el is None or not (pmid_el.text or "").strip():
                continue
            pmid = pmid_el.text.strip()
            body = ET.tostring(art, encoding="unicode").encode("utf-8")
            data = b'<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>' + body + b"</PubmedArticleSet>\n"
            latest = store.latest("pubmed", pmid)
            if latest is not None and latest.sha256 == sha256_bytes(data):
                out[pmid] = latest
                continue
            out[pmid] = store.put(
                data, source=SOURCE_PUBMED, source_id=pmid, url=resp.url, status=resp.status,
                content_type="application/xml", format_hint="pubmed_xml",
                headers={"x-oncotriples-derived-from": resp.raw.sha256 if resp.raw else ""},
            )
        return out

    def efetch_pmc(self, pmcid: str) -> PmcFetch:
        """JATS for one PMC article (``db=pmc``); metadata-only answers are flagged, not refused."""
        numeric = pmcid.upper().removeprefix("PMC")
        canonical = f"PMC{numeric}"
        resp = self.client.get(
            SERVICE,
            self._url("efetch"),
            params={"db": "pmc", "id": numeric, "rettype": "xml"},
            source=SOURCE_PMC,
            source_id=canonical,
            format_hint="jats",
            validate=lambda data: pmc_article_info(data, what=f"efetch pmc {canonical}"),
        )
        infos: list[PmcArticleInfo] = resp.parsed
        info = infos[0] if infos else PmcArticleInfo(pmcid=canonical, note="no <article> in the answer")
        if not info.has_body:
            log.info("%s: %s", canonical, info.note)
        return PmcFetch(canonical, resp.content, info, resp.raw)

    def elink(self, ids: Sequence[str], *, dbfrom: str = "pubmed", db: str = "pmc", linkname: str = "") -> dict[str, list[str]]:
        """Linked ids per source id (e.g. PMID → PMC numeric ids); ``cmd=neighbor``, one LinkSet per id."""
        params = {"dbfrom": dbfrom, "db": db, "retmode": "xml"}
        if linkname:
            params["linkname"] = linkname
        # repeated id= params keep one LinkSet per id
        out: dict[str, list[str]] = {}
        for start in range(0, len(ids), self.batch_size):
            batch = list(ids[start : start + self.batch_size])
            resp = self._id_request(
                "elink", params, batch, source=SOURCE_ELINK, source_id=f"elink-{dbfrom}-{db}-{_key(batch)}",
                format_hint="elink_xml", validate=lambda data: parse_elink_pmids(data, what="elink"),
            )
            out.update(resp.parsed)
        return out
