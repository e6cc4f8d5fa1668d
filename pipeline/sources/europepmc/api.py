"""Europe PMC fetcher: REST search with cursorMark paging, and ``fullTextXML``.

Paging stops when the cursor does not advance (the service echoes the last one
back instead of sending none), when a page is short, or at ``max_results``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.config import Settings
from pipeline.sources.europepmc.parse import (
    EuropePmcHit,
    EuropePmcPage,
    check_fulltext_xml,
    parse_search,
)
from pipeline.sources.http import PoliteClient, ServiceFetcher
from schemas.models import RawRecord
from schemas.vocab import SERVICE_EUROPEPMC, SOURCE_EUROPEPMC, SOURCE_EUROPEPMC_SEARCH

log = logging.getLogger(__name__)

SERVICE = SERVICE_EUROPEPMC


@dataclass
class FulltextFetch:
    pmcid: str
    content: bytes
    note: str
    raw: RawRecord | None


class EuropePmcFetcher(ServiceFetcher):
    """Europe PMC REST client on top of the polite client."""

    @classmethod
    def from_settings(cls, settings: Settings, client: PoliteClient) -> EuropePmcFetcher:
        return cls(client, base_url=settings.europepmc.url)

    def search_page(self, query: str, *, cursor: str = "*", page_size: int = 100,
                    result_type: str = "lite") -> EuropePmcPage:
        resp = self.client.get(
            SERVICE,
            f"{self.base_url}/search",
            params={"query": query, "format": "json", "resultType": result_type,
                    "pageSize": page_size, "cursorMark": cursor},
            source=SOURCE_EUROPEPMC_SEARCH,
            source_id=f"{query}|{result_type}|{page_size}|{cursor}",
            format_hint="europepmc_search_json",
            validate=lambda data: parse_search(data, what=f"Europe PMC search {query!r}"),
        )
        return resp.parsed

    def search(self, query: str, *, page_size: int = 100, result_type: str = "lite",
               max_results: int | None = None) -> Iterator[EuropePmcHit]:
        """Every hit of a query, walking cursorMark pages."""
        cursor = "*"
        seen = {cursor}
        count = 0
        while True:
            page = self.search_page(query, cursor=cursor, page_size=page_size, result_type=result_type)
            for hit in page.hits:
                yield hit
                count += 1
                if max_results is not None and count >= max_results:
                    return
            nxt = page.next_cursor
            if not nxt or nxt in seen or len(page.hits) < page_size:
                return
            seen.add(nxt)
            cursor = nxt

    def fulltext_xml(self, pmcid: str) -> FulltextFetch:
        """JATS full text of an open-access article (``/{PMCID}/fullTextXML``)."""
        canonical = pmcid.strip().upper()
        if not canonical.startswith("PMC"):
            canonical = f"PMC{canonical}"
        resp = self.client.get(
            SERVICE,
            f"{self.base_url}/{canonical}/fullTextXML",
            source=SOURCE_EUROPEPMC,
            source_id=canonical,
            format_hint="jats",
            validate=lambda data: check_fulltext_xml(data, what=f"Europe PMC fullTextXML {canonical}"),
        )
        return FulltextFetch(canonical, resp.content, resp.parsed, resp.raw)
