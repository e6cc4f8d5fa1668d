"""ClinicalTrials.gov API v2 fetcher: trials by id (batched), query searches, version.

Known ids are fetched with ``/studies?filter.ids=…`` in batches of up to
``page_size`` (1000), so N ids cost ceil(N/1000) list requests. Ids a batch does
not return are then asked for one by one at ``/studies/{nctId}`` to learn why
(404 unknown, 400 malformed, 301 alias) with the service's own message.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pipeline.config import Settings
from pipeline.sources.ctgov.parse import (
    StudiesPage,
    parse_studies_page,
    parse_study_object,
    parse_version,
)
from pipeline.sources.http import PoliteClient, ServiceFetcher
from pipeline.sources.rawstore import sha256_bytes
from schemas.errors import HTTPStatusError, OncoTriplesError
from schemas.models import RawRecord
from schemas.vocab import SERVICE_CTGOV, SOURCE_CTGOV

log = logging.getLogger(__name__)

SERVICE = SERVICE_CTGOV
SOURCE = SOURCE_CTGOV
MAX_PAGE_SIZE = 1000


@dataclass
class FetchedStudy:
    """One study object as served, with the raw-store record of its bytes."""

    nct_id: str
    study: dict[str, Any]
    raw: RawRecord | None = None
    requested_as: str = ""


@dataclass
class IdsFetchResult:
    """Outcome of fetching a list of NCT ids."""

    studies: dict[str, FetchedStudy] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)
    malformed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


def _study_id(study: dict[str, Any]) -> str:
    return str(study["protocolSection"]["identificationModule"]["nctId"]).upper()


def _alias_ids(study: dict[str, Any]) -> list[str]:
    ident = study["protocolSection"]["identificationModule"]
    return [str(a).upper() for a in ident.get("nctIdAliases") or []]


class CtgovFetcher(ServiceFetcher):
    """Fetch CT.gov v2 records through the polite client; every body lands in the raw store."""

    def __init__(self, client: PoliteClient, *, base_url: str, page_size: int = MAX_PAGE_SIZE) -> None:
        super().__init__(client, base_url=base_url)
        self.page_size = max(1, min(page_size, MAX_PAGE_SIZE))

    @classmethod
    def from_settings(cls, settings: Settings, client: PoliteClient) -> CtgovFetcher:
        return cls(client, base_url=settings.ctgov.url, page_size=settings.ctgov.page_size)

    # -- version ----------------------------------------------------------------------

    def version(self) -> dict[str, str]:
        """``/version`` → ``{"apiVersion", "dataTimestamp"}`` (when the data was last refreshed)."""
        resp = self.client.get(
            SERVICE,
            f"{self.base_url}/version",
            source=SOURCE,
            source_id="version",
            format_hint="ctgov_version_json",
            validate=parse_version,
        )
        return resp.parsed

    def data_timestamp(self) -> str:
        return self.version()["dataTimestamp"]

    # -- one study --------------------------------------------------------------------

    def fetch_study(self, nct_id: str) -> FetchedStudy:
        """``/studies/{nctId}``; raises ``HTTPStatusError`` (404 unknown, 400 malformed)."""

        resp = self.client.get(
            SERVICE,
            f"{self.base_url}/studies/{nct_id}",
            params={"format": "json"},
            source=SOURCE,
            source_id=nct_id,
            format_hint="ctgov_json",
            validate=parse_study_object,
            store=False,
        )
        study = resp.parsed
        real_id = _study_id(study)
        raw = None
        if self.client.raw_store is not None:
            raw = self.client.store(resp, source=SOURCE, source_id=real_id, format_hint="ctgov_json")
        return FetchedStudy(real_id, study, raw, requested_as=nct_id)

    # -- many studies -----------------------------------------------------------------

    def _pages(self, params: dict[str, Any], *, label: str) -> Iterator[tuple[StudiesPage, RawRecord | None, str]]:
        """Walk ``/studies`` pages for fixed params, following ``nextPageToken`` until it stops."""
        token: str | None = None
        seen: set[str] = set()
        page_no = 0
        while True:
            page_params = dict(params)
            if token:
                page_params["pageToken"] = token
            key = hashlib.sha1(json.dumps(page_params, sort_keys=True).encode()).hexdigest()[:16]
            page_no += 1
            resp = self.client.get(
                SERVICE,
                f"{self.base_url}/studies",
                params=page_params,
                source=SOURCE,
                source_id=f"studies-{key}",
                format_hint="ctgov_studies_page_json",
                validate=parse_studies_page,
            )
            page: StudiesPage = resp.parsed
            log.info("%s: page %d with %d studies", label, page_no, len(page.studies))
            yield page, resp.raw, resp.url
            token = page.next_page_token
            if not token or token in seen or not page.studies:
                return
            seen.add(token)

    def _store_study(self, study: dict[str, Any], page_raw: RawRecord | None, url: str) -> RawRecord | None:
        """Store one study of a page as its own raw object (so a trial points to its bytes)."""
        store = self.client.raw_store
        if store is None:
            return None
        data = json.dumps(study, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        nct_id = _study_id(study)
        latest = store.latest(SOURCE, nct_id)
        if latest is not None and latest.sha256 == sha256_bytes(data):
            return latest
        headers = {"x-oncotriples-derived-from": page_raw.sha256} if page_raw else {}
        return store.put(
            data,
            source=SOURCE,
            source_id=nct_id,
            url=url,
            status=200,
            content_type="application/json",
            format_hint="ctgov_json",
            headers=headers,
        )

    def fetch_by_ids(self, nct_ids: Sequence[str], *, resolve_missing: bool = True) -> IdsFetchResult:
        """Fetch well-formed NCT ids in ``filter.ids`` batches; explain the ones not returned.

        A failing batch marks its ids as errors (message naming the batch) and the
        other batches still complete; stored bodies are never touched.
        """
        result = IdsFetchResult()
        wanted = list(dict.fromkeys(i.upper() for i in nct_ids))
        for start in range(0, len(wanted), self.page_size):
            batch = wanted[start : start + self.page_size]
            label = f"NCT batch {start // self.page_size + 1} ({batch[0]}..{batch[-1]}, {len(batch)} ids)"
            params = {"filter.ids": ",".join(batch), "pageSize": len(batch), "format": "json"}
            try:
                for page, page_raw, url in self._pages(params, label=label):
                    for study in page.studies:
                        nct = _study_id(study)
                        raw = self._store_study(study, page_raw, url)
                        fetched = FetchedStudy(nct, study, raw, requested_as=nct)
                        if nct in batch:
                            result.studies[nct] = fetched
                        for alias in _alias_ids(study):
                            if alias in batch and alias not in result.studies:
                                result.aliases[alias] = nct
                                result.studies[alias] = FetchedStudy(nct, study, raw, requested_as=alias)
            except OncoTriplesError as exc:
                log.warning("%s failed: %s", label, exc)
                for nct in batch:
                    if nct not in result.studies:
                        result.errors[nct] = f"{label}: {exc}"
                continue
            if resolve_missing:
                for nct in batch:
                    if nct not in result.studies:
                        self._resolve_one(nct, result)
        return result

    def _resolve_one(self, nct_id: str, result: IdsFetchResult) -> None:
        try:
            fetched = self.fetch_study(nct_id)
        except HTTPStatusError as exc:
            if exc.status == 404:
                result.unknown[nct_id] = str(exc)
            elif exc.status == 400:
                result.malformed[nct_id] = str(exc)
            else:
                result.errors[nct_id] = str(exc)
            return
        except OncoTriplesError as exc:
            result.errors[nct_id] = str(exc)
            return
        if fetched.nct_id != nct_id:
            result.aliases[nct_id] = fetched.nct_id
        result.studies[nct_id] = fetched

    def search(
        self,
        *,
        cond: str | None = None,
        intr: str | None = None,
        term: str | None = None,
        updated_since: date | str | None = None,
        fields: Sequence[str] | None = None,
        extra: dict[str, str] | None = None,
        max_studies: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[FetchedStudy]:
        """Query search (``query.cond``/``query.intr``/``query.term``), paged with ``pageToken``.

        ``updated_since`` adds ``AREA[LastUpdatePostDate]RANGE[date,MAX]`` to the term, the
        incremental-refresh filter.
        """
        params: dict[str, Any] = {"format": "json", "pageSize": min(page_size or self.page_size, MAX_PAGE_SIZE)}
        if cond:
            params["query.cond"] = cond
        if intr:
            params["query.intr"] = intr
        terms = [term] if term else []
        if updated_since:
            since = updated_since.isoformat() if isinstance(updated_since, date) else str(updated_since)
            terms.append(f"AREA[LastUpdatePostDate]RANGE[{since},MAX]")
        if terms:
            params["query.term"] = " AND ".join(f"({t})" if " " in t and len(terms) > 1 else t for t in terms)
        if fields:
            params["fields"] = ",".join(fields)
        params.update(extra or {})
        count = 0
        for page, page_raw, url in self._pages(params, label="CT.gov search"):
            for study in page.studies:
                raw = self._store_study(study, page_raw, url) if not fields else None
                yield FetchedStudy(_study_id(study), study, raw)
                count += 1
                if max_studies is not None and count >= max_studies:
                    return
