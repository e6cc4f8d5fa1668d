"""The live fetch stage of ``oncotriples run``: PubMed → PMC full text (with fallbacks) → linked ClinicalTrials.gov records.

Order of work (every item on its own: a failure goes through ``stats.fail`` and
never stops the other items):

1. PMIDs: ``sources.pmids``, DOIs resolved with ``esearch <doi>[doi]``, and the
   ``sources.pubmed_queries`` (``min_year`` publication-date filter,
   ``max_results_per_query`` ids each).
2. PubMed XML for all PMIDs (``efetch`` in batches); every article is stored on
   its own as source ``pubmed``, format ``pubmed_xml``.
3. PMC full text (JATS, ``efetch db=pmc``) for every article with a PMCID and for
   ``sources.pmcids``; stored as source ``pmc``, format ``jats``. A metadata-only
   answer (no ``<body>``: not open access) is kept in the raw store as served, its
   reason is logged and listed in ``FetchOutcome.notes``, and the abstract is used.
3b. Full-text fallback (``sources.full_text_fallback``, off by default): for every
   PMCID PMC answered metadata-only, the services listed are asked in order until
   one has the full text: ``europepmc`` (Europe PMC ``fullTextXML``, stored as source
   ``europepmc``, format ``jats``) and ``bioc`` (BioC-PMC JSON, source ``pmc-bioc``,
   format ``bioc_json``). The parse stage prefers such a full text over the abstract.
   A service that does not hold the article is a note, not a failure.
4. NCT ids from the PubMed metadata (``DataBankList``) and from the text of the
   fetched documents (:func:`schemas.vocab.find_nct_ids`), plus ``sources.nct_ids``.
   Malformed ids in a document's text are never fetched: they are logged, listed in
   ``FetchOutcome.malformed`` and become ``how="malformed"`` document ↔ trial links
   (``pipeline.stages.normalize.document_trial_links``); a malformed id in the *config* is a
   failure (the user asked for it).
5. Trials with ``CtgovFetcher.fetch_by_ids`` (``filter.ids`` batches of up to 1000).
   Incremental refresh: ids never fetched are always fetched; ids fetched before are
   re-fetched only when CT.gov's ``/version`` ``dataTimestamp`` moved since the last
   successful fetch *and* their ``LastUpdatePostDate`` is on/after the day they were
   last fetched (``AREA[LastUpdatePostDate]RANGE[date,MAX]`` with ``filter.ids``, only
   ``NCTId``/``LastUpdatePostDate`` fields asked for).

Incremental cursors live in one place: the state database's ``fetch_state`` table
(one row per source: last successful fetch, service data timestamp, and a JSON
``cursor`` such as the CT.gov per-trial fetch days). :func:`load_cursors` reads them
before the fetch and :func:`save_cursors` writes them in one transaction after the
raw records are stored; nothing else reads or writes that table. A
``<workdir>/fetch_state.json`` left by an older version is imported once and removed.

Which stored records the parse stage reads is decided in :mod:`pipeline.stages.parse`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config import Settings
from pipeline.sources.rawstore import RawStore
from pipeline.stages.context import DOCUMENT_FORMATS, Progress, RunStats, WorkDir
from pipeline.stages.parse import is_parse_input
from pipeline.state.db import FetchState, StateDB
from schemas.errors import HTTPStatusError, InputError, OncoTriplesError, ServiceError
from schemas.models import Document, RawRecord
from schemas.vocab import (
    SERVICE_EUROPEPMC,
    SOURCE_BIOC,
    SOURCE_CTGOV,
    SOURCE_EUROPEPMC,
    SOURCE_PMC,
    SOURCE_PUBMED,
    find_nct_ids,
    malformed_reason,
    normalize_nct_id,
)

if TYPE_CHECKING:  # the HTTP stack is imported only when something is fetched
    from pipeline.sources.bioc.api import BiocFetch
    from pipeline.sources.ctgov.api import CtgovFetcher
    from pipeline.sources.europepmc.api import FulltextFetch
    from pipeline.sources.eutils.api import EutilsFetcher
    from pipeline.sources.http import PoliteClient

log = logging.getLogger(__name__)

STAGE = "fetch"
LEGACY_STATE_FILE = "fetch_state.json"
"""Where older versions kept the cursors (imported once into the state database, then removed)."""
ROW_FIELDS = ("last_success", "data_timestamp")
"""Cursor keys that are columns of a ``fetch_state`` row; every other key goes into its JSON ``cursor``."""


@dataclass
class FetchOutcome:
    """What the fetch stage did (``documents`` and ``sources`` are what the runner uses)."""

    documents: int = 0
    """Documents (PubMed articles, PMC full texts) new or changed in the raw store."""
    sources: dict[str, str] = field(default_factory=dict)
    """Snapshot facts per source for the release manifest (``pubmed``, ``pmc``, fallbacks, ``ctgov``)."""
    data_timestamps: dict[str, str] = field(default_factory=dict)
    """Service data versions (``ctgov``: the ``/version`` dataTimestamp), for the state DB."""
    pmids: list[str] = field(default_factory=list)
    pmcids_full_text: list[str] = field(default_factory=list)
    pmcids_metadata_only: list[str] = field(default_factory=list)
    pmcids_full_text_fallback: dict[str, str] = field(default_factory=dict)
    """PMCID → raw-store source of the full text a fallback service supplied (PMC answered metadata only)."""
    fallback_metadata_only: list[tuple[str, str]] = field(default_factory=list)
    """(source, PMCID) of fallback answers without a body (stored, never used as documents)."""
    nct_ids: list[str] = field(default_factory=list)
    """Well-formed NCT ids wanted (config + documents)."""
    trials_fetched: list[str] = field(default_factory=list)
    """NCT ids requested from CT.gov this run (new ones and those updated since their last fetch)."""
    trials_unchanged: list[str] = field(default_factory=list)
    malformed: dict[str, list[str]] = field(default_factory=dict)
    """doc_id → NCT ids as written that are malformed (never fetched)."""
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    downloads: int = 0


# ------------------------------------------------------------------ offline: the demo snapshot


def ingest_snapshot(snapshot: RawStore, work: WorkDir, *, progress: Progress | None = None, stats: RunStats | None = None) -> int:
    """Copy a raw-store snapshot (the demo) into the work raw store; returns items new or changed.

    An item whose object in the work store is missing or corrupt is copied again (a repair, not
    counted). With ``stats``, an item the snapshot cannot supply intact is a failure of that item
    (without, it raises); so is a damaged item nothing repaired.
    """
    count = 0
    store = work.raw
    damaged = damaged_objects(store)
    records = list(snapshot.latest_records())
    for i, rec in enumerate(records):
        if progress and i:
            progress("fetch", i, len(records))
        current = store.latest(rec.source, rec.source_id)
        same = current is not None and current.sha256 == rec.sha256
        if same and (rec.source, rec.source_id) not in damaged:
            continue
        try:
            data = snapshot.get_bytes(rec.sha256)
        except InputError as exc:
            if stats is None:
                raise
            _fail(stats, f"{rec.source}:{rec.source_id}", f"snapshot {exc}; not ingested")
            continue
        store.put(
            data,
            source=rec.source,
            source_id=rec.source_id,
            url=rec.url,
            status=rec.status,
            content_type=rec.content_type,
            format_hint=rec.format_hint,
            headers=rec.headers,
            fetched_at=rec.fetched_at,
        )
        count += not same
    if progress:
        progress("fetch", len(records), len(records))
    if stats is not None:
        report_damaged(store, damaged, stats)
    return count


# ------------------------------------------------------------------ damaged raw objects


def damaged_objects(store: RawStore) -> dict[tuple[str, str], tuple[RawRecord, str]]:
    """Items whose newest record's object is missing or fails its sha256: ``(source, id) -> (record, problem)``.

    Every newest object is read and hashed once per fetch: ingest and fetch skip an item whose
    newest record has the bytes just served, so without this check local damage never heals.
    """
    damaged: dict[tuple[str, str], tuple[RawRecord, str]] = {}
    for rec in store.latest_records():
        problem = store.check(rec.sha256)
        if problem is not None:
            log.warning("raw object of %s/%s (%s) is %s; fetching it again", rec.source, rec.source_id, rec.sha256[:12], problem)
            damaged[(rec.source, rec.source_id)] = (rec, problem)
    return damaged


def report_damaged(store: RawStore, damaged: Mapping[tuple[str, str], tuple[RawRecord, str]], stats: RunStats) -> None:
    """Log each damaged item the fetch repaired; record the others as failures of their item."""
    for (source, source_id), (rec, problem) in sorted(damaged.items()):
        newest = store.latest(source, source_id)
        if newest is not None and store.check(newest.sha256) is None:
            log.info("raw object of %s/%s repaired (%s before)", source, source_id, problem)
            continue
        _fail(stats, f"{source}:{source_id}", f"raw object {store.object_path(rec.sha256)} is {problem} and could not be fetched again")


class _RepairingStore(RawStore):
    """The work raw store during a live fetch: an item whose newest object is damaged looks older (or new).

    The HTTP client stores a body only when it differs from the item's newest record, so
    hiding the damaged record makes the next fetch of the item store its bytes again.
    """

    def __init__(self, root: Path, damaged: Mapping[tuple[str, str], tuple[RawRecord, str]]) -> None:
        super().__init__(root)
        self.damaged = dict(damaged)

    def latest(self, source: str, source_id: str) -> RawRecord | None:
        hist = self.history(source, source_id)
        if (source, source_id) in self.damaged:
            while hist and self.check(hist[-1].sha256) is not None:
                hist.pop()
        return hist[-1] if hist else None


# ------------------------------------------------------------------ cursors (the state DB's fetch_state rows)


def load_cursors(state: StateDB, work: WorkDir) -> dict[str, dict[str, Any]]:
    """What the last fetches saw, per source: ``{source: {"last_success", "data_timestamp", **cursor}}``.

    A ``fetch_state.json`` written by an older version (which kept the cursors there)
    wins over the rows for the sources it names: those rows never held a cursor.
    """
    cursors: dict[str, dict[str, Any]] = {}
    for source, row in state.fetch_states().items():
        cursors[source] = {**row.cursor, "last_success": row.last_success, "data_timestamp": row.data_timestamp}
    for source, values in _legacy_cursors(work).items():
        if isinstance(values, dict):
            cursors[source] = {**cursors.get(source, {}), **values}
    return cursors


def save_cursors(state: StateDB, cursors: Mapping[str, Mapping[str, Any]]) -> None:
    """Write the cursors of every source in one transaction (call after their raw records are stored)."""
    state.save_fetch_states(
        FetchState(
            source,
            last_success=str(values.get("last_success") or ""),
            data_timestamp=str(values.get("data_timestamp") or ""),
            cursor={k: v for k, v in values.items() if k not in ROW_FIELDS},
        )
        for source, values in sorted(cursors.items())
    )


def _legacy_cursors(work: WorkDir) -> dict[str, Any]:
    path = work.root / LEGACY_STATE_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("%s unreadable (%s); fetching as if for the first time", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _drop_legacy_cursors(work: WorkDir) -> None:
    path = work.root / LEGACY_STATE_FILE
    if path.is_file():
        path.unlink()
        log.info("fetch cursors moved from %s into the state database", path)


# ------------------------------------------------------------------ the stage


def fetch_all(
    settings: Settings,
    work: WorkDir,
    stats: RunStats,
    *,
    state: StateDB,
    progress: Progress | None = None,
    client: PoliteClient | None = None,
) -> FetchOutcome:
    """Fetch every configured source into the work raw store; see the module docstring.

    The cursors are read from and written to ``state`` (its ``fetch_state`` rows);
    ``client`` lets tests pass their own.
    """
    from pipeline.sources.ctgov.api import CtgovFetcher
    from pipeline.sources.eutils.api import EutilsFetcher
    from pipeline.sources.http import PoliteClient

    outcome = FetchOutcome()
    damaged = damaged_objects(work.raw)
    store = _RepairingStore(work.raw.root, damaged)
    before = {(r.source, r.source_id): r.sha256 for r in store.latest_records()}
    cursors = load_cursors(state, work)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    own_client = client is None
    http = client or PoliteClient.from_settings(settings, raw_store=store, workdir=work.root)
    given_store = http.raw_store
    if given_store is None or Path(given_store.root) == store.root:
        http.raw_store = store  # damaged items are stored again when fetched
    log_start = len(http.log)
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(STAGE, done[0], 0)

    try:
        eutils = EutilsFetcher.from_settings(settings, http)
        ctgov = CtgovFetcher.from_settings(settings, http)
        pmids = _collect_pmids(settings, eutils, stats)
        outcome.pmids = pmids
        articles = _fetch_pubmed(eutils, pmids, stats, tick)
        docs = _parse_records(store, articles.values(), stats)
        pmcids = _wanted_pmcids(settings, docs, stats)
        full_docs, metadata_only = _fetch_pmc(eutils, pmcids, stats, outcome, tick,
                                              with_abstract=(d.pmcid.upper() for d in docs if d.pmcid))
        fallback_docs = _fetch_fallback(_fallback_fetchers(settings, http, store), list(metadata_only), stats, outcome, tick)
        _note_metadata_only(metadata_only, outcome)
        wanted = _collect_nct_ids(settings, [*docs, *full_docs, *fallback_docs], stats, outcome)
        outcome.nct_ids = wanted
        _fetch_trials(ctgov, wanted, cursors, today, stats, outcome, tick)
    finally:
        outcome.requests = len(http.log) - log_start
        outcome.downloads = sum(1 for e in http.log[log_start:] if e.status == 200 and not e.from_cache)
        if own_client:
            http.close()
        else:
            http.raw_store = given_store or http.raw_store
    report_damaged(work.raw, damaged, stats)
    cursors.setdefault(SOURCE_PUBMED, {})["last_success"] = today
    outcome.sources = _source_facts(outcome, cursors, today, settings)
    for source in outcome.sources:
        if source != SOURCE_CTGOV:  # CT.gov's last success is set by _fetch_trials, only when every trial landed
            cursors.setdefault(source, {})["last_success"] = today
    save_cursors(state, cursors)
    _drop_legacy_cursors(work)
    skip = [(SOURCE_PMC, p) for p in outcome.pmcids_metadata_only]
    outcome.documents = _changed_documents(work, before, [*skip, *outcome.fallback_metadata_only])
    log.info(
        "fetch: %d PMIDs, %d PMC full texts (%d metadata-only, %d full texts from fallbacks), %d NCT ids "
        "(%d requested), %d documents new/changed, %d requests, %d bodies downloaded",
        len(outcome.pmids), len(outcome.pmcids_full_text), len(outcome.pmcids_metadata_only),
        len(outcome.pmcids_full_text_fallback), len(outcome.nct_ids), len(outcome.trials_fetched), outcome.documents,
        outcome.requests, outcome.downloads,
    )
    return outcome


def _fail(stats: RunStats, item: str, exc: Exception | str) -> None:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    stats.fail(stage=STAGE, item=item, message=message)


# -- PubMed ------------------------------------------------------------------------------


def _collect_pmids(settings: Settings, eutils: EutilsFetcher, stats: RunStats) -> list[str]:
    src = settings.sources
    pmids: list[str] = []
    for raw in src.pmids:
        value = str(raw).strip()
        if value.isdigit():
            pmids.append(value)
        elif value:
            _fail(stats, f"pmid:{value}", "not a PMID (digits only)")
    for doi in src.dois:
        doi = doi.strip()
        if not doi:
            continue
        try:
            pmid = eutils.doi_to_pmid(doi)
        except OncoTriplesError as exc:
            _fail(stats, f"doi:{doi}", exc)
            continue
        if pmid is None:
            _fail(stats, f"doi:{doi}", "PubMed has no record for this DOI (esearch [doi] found nothing)")
        else:
            log.info("DOI %s is PMID %s", doi, pmid)
            pmids.append(pmid)
    for term in src.pubmed_queries:
        try:
            ids = eutils.search_ids(term, max_results=src.max_results_per_query, min_year=src.min_year,
                                    page_size=max(1, min(500, src.max_results_per_query)))
        except OncoTriplesError as exc:
            _fail(stats, f"query:{term[:80]}", exc)
            continue
        log.info("PubMed query %r: %d PMIDs (since %d, at most %d)", term[:80], len(ids), src.min_year, src.max_results_per_query)
        pmids.extend(ids)
    return list(dict.fromkeys(pmids))


def _fetch_pubmed(eutils: EutilsFetcher, pmids: list[str], stats: RunStats, tick: Any) -> dict[str, RawRecord]:
    """efetch PubMed XML batch by batch (one failing batch does not stop the others)."""
    articles: dict[str, RawRecord] = {}
    size = max(1, eutils.batch_size)
    for start in range(0, len(pmids), size):
        batch = pmids[start : start + size]
        try:
            results = eutils.efetch_pubmed(batch)
        except OncoTriplesError as exc:
            for pmid in batch:
                _fail(stats, f"pubmed:{pmid}", exc)
            continue
        for result in results:
            articles.update(result.articles)
            for pmid in result.missing:
                _fail(stats, f"pubmed:{pmid}", "efetch returned no article for this PMID")
        tick()
    return articles


def _parse_records(store: Any, records: Iterable[RawRecord], stats: RunStats) -> list[Document]:
    """Parse stored records to learn their PMCIDs and NCT ids (the parse stage parses them again, cached)."""
    from extractors.text.formats import parse_document

    docs: list[Document] = []
    for rec in records:
        try:
            docs.append(parse_document(store.get_bytes(rec.sha256), doc_id=f"{rec.source}:{rec.source_id}",
                                       fmt=rec.format_hint or None, source=rec.source, source_id=rec.source_id))
        except OncoTriplesError as exc:
            _fail(stats, f"{rec.source}:{rec.source_id}", exc)
    return docs


# -- PMC -----------------------------------------------------------------------------------


def _wanted_pmcids(settings: Settings, docs: list[Document], stats: RunStats) -> list[str]:
    out: list[str] = []
    for raw in [*settings.sources.pmcids, *(d.pmcid for d in docs if d.pmcid)]:
        value = str(raw).strip().upper()
        if not value:
            continue
        value = value if value.startswith("PMC") else f"PMC{value}"
        if not value[3:].isdigit():
            _fail(stats, f"pmcid:{raw}", "not a PMCID (PMC followed by digits)")
            continue
        out.append(value)
    return list(dict.fromkeys(out))


def _fetch_pmc(eutils: EutilsFetcher, pmcids: list[str], stats: RunStats, outcome: FetchOutcome, tick: Any,
               with_abstract: Iterable[str] = ()) -> tuple[list[Document], dict[str, str]]:
    """JATS full text per PMCID; returns the full-text documents and, per metadata-only PMCID, PMC's reason."""
    from extractors.text.formats import parse_document

    with_abstract = set(with_abstract)
    docs: list[Document] = []
    metadata_only: dict[str, str] = {}
    for pmcid in pmcids:
        try:
            got = eutils.efetch_pmc(pmcid)
        except OncoTriplesError as exc:
            _fail(stats, pmcid, f"{exc} ({'the PubMed abstract is used instead' if pmcid in with_abstract else 'no full text this run'})")
            continue
        tick()
        if not got.info.has_body:
            outcome.pmcids_metadata_only.append(got.pmcid)
            metadata_only[got.pmcid] = got.info.note or "no <body>"
            continue
        outcome.pmcids_full_text.append(got.pmcid)
        try:
            docs.append(parse_document(got.content, doc_id=f"pmc:{got.pmcid}", fmt="jats", source=SOURCE_PMC, source_id=got.pmcid))
        except OncoTriplesError as exc:
            _fail(stats, got.pmcid, exc)
    return docs, metadata_only


def _note_metadata_only(metadata_only: Mapping[str, str], outcome: FetchOutcome) -> None:
    for pmcid, why in metadata_only.items():
        via = outcome.pmcids_full_text_fallback.get(pmcid)
        used = f"the full text from {via} is used" if via else "the PubMed abstract is used"
        note = f"{pmcid}: PMC answered metadata only ({why}); {used}"
        outcome.notes.append(note)
        log.info(note)


# -- full-text fallbacks ------------------------------------------------------------------------


@dataclass
class _FullText:
    """A fallback service's answer, reduced to what the stage needs."""

    content: bytes
    fmt: str
    source: str
    source_id: str
    has_body: bool


FallbackFetch = Callable[[str], _FullText]
FALLBACK_LABELS = {SOURCE_EUROPEPMC: "Europe PMC fullTextXML", SOURCE_BIOC: "BioC-PMC JSON"}
"""Raw-store source → how the release manifest names the service."""


def _from_europepmc(got: FulltextFetch) -> _FullText:
    return _FullText(got.content, "jats", got.raw.source if got.raw else SOURCE_EUROPEPMC, got.pmcid, has_body=not got.note)


def _from_bioc(got: BiocFetch, store: RawStore) -> _FullText:
    content = store.get_bytes(got.raw.sha256) if got.raw else b""  # the body as the client stored it
    return _FullText(content, "bioc_json", got.raw.source if got.raw else SOURCE_BIOC, got.article_id, has_body=got.passages > 0)


def _fallback_fetchers(settings: Settings, http: PoliteClient, store: RawStore) -> list[tuple[str, FallbackFetch]]:
    """The configured fallback services, in the configured order, as ``(name, fetch)``."""
    out: list[tuple[str, FallbackFetch]] = []
    for name in settings.sources.full_text_fallback:
        if name == SERVICE_EUROPEPMC:
            from pipeline.sources.europepmc.api import EuropePmcFetcher

            epmc = EuropePmcFetcher.from_settings(settings, http)
            out.append((name, lambda pmcid, f=epmc: _from_europepmc(f.fulltext_xml(pmcid))))
        else:
            from pipeline.sources.bioc.api import BiocFetcher

            bioc = BiocFetcher.from_settings(settings, http)
            out.append((name, lambda pmcid, f=bioc: _from_bioc(f.fetch_json(pmcid), store)))
    return out


def _fetch_fallback(fetchers: list[tuple[str, FallbackFetch]], pmcids: list[str], stats: RunStats,
                    outcome: FetchOutcome, tick: Any) -> list[Document]:
    """Ask the fallback services in order for each PMCID until one has a body.

    A service that does not hold the article (Europe PMC ``errorBean``, BioC's "No result",
    a 404) is noted; any other error is a failure of that service's item.
    """
    from extractors.text.formats import parse_document

    docs: list[Document] = []
    for pmcid in pmcids:
        for name, fetch in fetchers:
            try:
                got = fetch(pmcid)
            except (ServiceError, HTTPStatusError) as exc:
                if isinstance(exc, HTTPStatusError) and exc.status != 404:
                    _fail(stats, f"{name}:{pmcid}", f"{exc} (asked again next run)")
                else:
                    outcome.notes.append(f"{pmcid}: {name} has no full text ({str(exc).splitlines()[0]})")
                    log.info(outcome.notes[-1])
                continue
            except OncoTriplesError as exc:
                _fail(stats, f"{name}:{pmcid}", f"{exc} (asked again next run)")
                continue
            finally:
                tick()
            if not got.has_body:
                outcome.fallback_metadata_only.append((got.source, got.source_id))
                outcome.notes.append(f"{pmcid}: {name} answered metadata only")
                log.info(outcome.notes[-1])
                continue
            try:
                doc = parse_document(got.content, doc_id=f"{got.source}:{got.source_id}", fmt=got.fmt,
                                     source=got.source, source_id=got.source_id)
            except OncoTriplesError as exc:
                _fail(stats, f"{name}:{pmcid}", exc)
                continue
            outcome.pmcids_full_text_fallback[pmcid] = got.source
            docs.append(doc)
            break
    return docs


# -- trials ----------------------------------------------------------------------------------


def _collect_nct_ids(settings: Settings, docs: list[Document], stats: RunStats, outcome: FetchOutcome) -> list[str]:
    wanted: list[str] = []
    for raw in settings.sources.nct_ids:
        canonical = normalize_nct_id(raw)
        if canonical is None:
            _fail(stats, f"nct:{raw}", f"malformed NCT id in the config: {malformed_reason(raw) or 'not an NCT id'}; not fetched")
        else:
            wanted.append(canonical)
    if settings.sources.follow_trials:
        for doc in docs:
            for nct in doc.nct_ids:
                canonical = normalize_nct_id(nct)
                if canonical:
                    wanted.append(canonical)
            for hit in find_nct_ids(doc.text):
                if hit.status == "ok":
                    wanted.append(hit.nct_id)
                else:
                    bad = outcome.malformed.setdefault(doc.doc_id, [])
                    if hit.as_written not in bad:
                        bad.append(hit.as_written)
                        log.warning("%s names a malformed NCT id %r (%s): linked as malformed, not fetched",
                                    doc.doc_id, hit.as_written, hit.reason)
    return list(dict.fromkeys(wanted))


def _fetch_trials(ctgov: CtgovFetcher, wanted: list[str], cursors: dict[str, Any], today: str, stats: RunStats,
                  outcome: FetchOutcome, tick: Any) -> None:
    """Fetch new trials and the known ones CT.gov updated since their last fetch."""
    if not wanted:
        return
    cstate = cursors.setdefault(SOURCE_CTGOV, {})
    fetched_on: dict[str, str] = dict(cstate.get("trials") or {})
    store = ctgov.client.raw_store
    try:
        stamp = ctgov.data_timestamp()
    except OncoTriplesError as exc:
        _fail(stats, "ctgov:/version", f"{exc} (all trials are checked)")
        stamp = ""
    damaged = getattr(store, "damaged", {})  # a trial whose raw object is damaged is fetched again
    known = [i for i in wanted if i in fetched_on and store is not None and store.latest(SOURCE_CTGOV, i) is not None
             and (SOURCE_CTGOV, i) not in damaged]
    # an id CT.gov did not know (404) is asked again only when its data changed (new dataTimestamp)
    unknown_at: dict[str, str] = {k: v for k, v in (cstate.get("unknown") or {}).items() if k in wanted}
    still_unknown = [i for i in wanted if i not in known and stamp and unknown_at.get(i) == stamp]
    for nct in still_unknown:
        _fail(stats, nct, f"unknown NCT id: ClinicalTrials.gov answered 404 at dataTimestamp {stamp}; asked again when its data changes")
    new = [i for i in wanted if i not in known and i not in still_unknown]
    updated: list[str] = []
    if known and stamp and stamp == cstate.get("data_timestamp"):
        log.info("CT.gov dataTimestamp %s unchanged since the last fetch: %d known trials not re-checked", stamp, len(known))
    elif known:
        updated = _updated_since(ctgov, known, fetched_on, stats)
    outcome.trials_unchanged = [i for i in known if i not in updated]
    to_fetch = new + updated
    outcome.trials_fetched = to_fetch
    clean = True
    if to_fetch:
        result = ctgov.fetch_by_ids(to_fetch)
        for nct, message in result.unknown.items():
            _fail(stats, nct, f"unknown NCT id: {message}")
            if stamp:
                unknown_at[nct] = stamp
        for nct, message in result.malformed.items():
            _fail(stats, nct, f"malformed NCT id: {message}")
        for nct, message in result.errors.items():
            _fail(stats, nct, message)
        clean = not result.errors
        for nct in to_fetch:
            if nct in result.studies:
                fetched_on[nct] = today
        for alias, real in result.aliases.items():
            log.info("%s is an alias of %s", alias, real)
        tick()
    cstate["trials"] = dict(sorted(fetched_on.items()))
    cstate["unknown"] = {k: v for k, v in sorted(unknown_at.items()) if k not in fetched_on}
    if stamp and clean:
        cstate["data_timestamp"] = stamp
        cstate["last_success"] = today
        outcome.data_timestamps[SOURCE_CTGOV] = stamp


def _updated_since(ctgov: CtgovFetcher, known: list[str], fetched_on: Mapping[str, str], stats: RunStats) -> list[str]:
    """Known ids whose LastUpdatePostDate is on/after their last fetch day (a failing check re-fetches all)."""
    since = min(fetched_on[i] for i in known)
    updated: list[str] = []
    size = ctgov.page_size
    for start in range(0, len(known), size):
        batch = known[start : start + size]
        try:
            for hit in ctgov.search(updated_since=since, fields=["NCTId", "LastUpdatePostDate"],
                                    extra={"filter.ids": ",".join(batch)}, page_size=len(batch)):
                posted = _last_update(hit.study)
                if hit.nct_id in batch and (not posted or posted >= fetched_on.get(hit.nct_id, "")):
                    updated.append(hit.nct_id)
        except OncoTriplesError as exc:
            log.warning("CT.gov update check failed (%s); re-fetching %d trials", exc, len(batch))
            updated.extend(batch)
    log.info("CT.gov: %d of %d known trials updated since %s", len(set(updated)), len(known), since)
    return list(dict.fromkeys(updated))


def _last_update(study: Mapping[str, Any]) -> str:
    status = (study.get("protocolSection") or {}).get("statusModule") or {}
    value = str((status.get("lastUpdatePostDateStruct") or {}).get("date") or "")
    try:  # partial dates ("2026-08") compare as the first day of the month
        return date.fromisoformat(value if len(value) == 10 else f"{value}-01").isoformat()
    except ValueError:
        return ""


# -- figures ------------------------------------------------------------------------------------


def _changed_documents(work: WorkDir, before: Mapping[tuple[str, str], str], skip: Iterable[tuple[str, str]] = ()) -> int:
    """Document records new or changed since ``before`` (``skip``: metadata-only full texts, not used)."""
    count = 0
    skipped = set(skip)
    for rec in work.raw.latest_records():
        if not is_parse_input(rec) or rec.format_hint not in DOCUMENT_FORMATS or rec.status >= 400:
            continue
        if (rec.source, rec.source_id) in skipped:
            continue
        if before.get((rec.source, rec.source_id)) != rec.sha256:
            count += 1
    return count


def _source_facts(outcome: FetchOutcome, cursors: Mapping[str, Any], today: str, settings: Settings) -> dict[str, str]:
    facts: dict[str, str] = {}
    if outcome.pmids:
        facts[SOURCE_PUBMED] = f"E-utilities efetch {today}: {len(outcome.pmids)} PMIDs"
    if outcome.pmcids_full_text or outcome.pmcids_metadata_only:
        facts[SOURCE_PMC] = (f"E-utilities efetch db=pmc {today}: {len(outcome.pmcids_full_text)} full texts, "
                        f"{len(outcome.pmcids_metadata_only)} metadata-only")
    for source in sorted(set(outcome.pmcids_full_text_fallback.values())):
        count = sum(1 for s in outcome.pmcids_full_text_fallback.values() if s == source)
        facts[source] = f"{FALLBACK_LABELS.get(source, source)} {today}: {count} full texts (PMC had metadata only)"
    if outcome.nct_ids:
        stamp = (cursors.get(SOURCE_CTGOV) or {}).get("data_timestamp", "")
        facts[SOURCE_CTGOV] = f"ClinicalTrials.gov API v2 dataTimestamp {stamp or 'unknown'}: {len(outcome.nct_ids)} trials"
    return facts
