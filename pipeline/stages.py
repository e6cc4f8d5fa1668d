"""Stage orchestration: ingest/fetch → parse → extract → normalize → release.

Each stage persists its output under the work directory so it can be re-run
alone, and every write is atomic (temp file + rename), so a job killed at any
point leaves the previous consistent state and the next run completes the
work. Extraction is incremental: a document is re-extracted only when its
content hash or any extractor/model/rule-set version changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import OncoTriplesError
from pipeline.jsonl import read_jsonl, write_jsonl
from pipeline.rawstore import RawStore, atomic_write_bytes, safe_name
from schemas.models import Document, DocumentTrialLink, RawRecord, Trial, Triple

if TYPE_CHECKING:
    from pipeline.state import StateDB

log = logging.getLogger(__name__)

DOCUMENT_FORMATS = frozenset({"txt", "md", "html", "pubmed_xml", "jats", "bioc_json", "bioc_xml"})
TRIAL_FORMATS = frozenset({"ctgov_json"})

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): the CLI passes a progress-bar updater."""


@dataclass
class WorkDir:
    """Layout of the work directory."""

    root: Path

    @property
    def raw(self) -> RawStore:
        return RawStore(self.root / "raw")

    @property
    def parsed(self) -> Path:
        return self.root / "parsed"

    @property
    def extracted(self) -> Path:
        return self.root / "extracted"

    @property
    def trials(self) -> Path:
        return self.root / "trials"

    @property
    def normalized(self) -> Path:
        return self.root / "normalized"

    def parsed_path(self, doc_id: str) -> Path:
        return self.parsed / f"{safe_name(doc_id)}.json"

    def extracted_path(self, doc_id: str) -> Path:
        return self.extracted / f"{safe_name(doc_id)}.jsonl"

    def extracted_meta(self, doc_id: str) -> Path:
        return self.extracted / f"{safe_name(doc_id)}.meta.json"


@dataclass
class StageFailure:
    stage: str
    item: str
    message: str


@dataclass
class RunStats:
    documents_fetched: int = 0
    documents_parsed: int = 0
    documents_extracted: int = 0
    documents_skipped: int = 0
    trials: int = 0
    triples: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    failed: int = 0
    release: str | None = None
    durations: dict[str, float] = field(default_factory=dict)
    failures: list[StageFailure] = field(default_factory=list)
    state_run: int | None = None
    """This job's row in the state database's ``runs`` table."""
    run_key: str = ""
    """Hash of the inputs and versions (the release manifest's ``run_id``)."""
    inputs_key: str = ""
    """Hash of everything the release depends on (inputs, versions, settings, curation); see runner._inputs_key."""
    up_to_date: bool = False
    """True when the run found its release current and skipped parse, extract, normalize and release."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents_fetched": self.documents_fetched,
            "documents_parsed": self.documents_parsed,
            "documents_extracted": self.documents_extracted,
            "documents_skipped": self.documents_skipped,
            "trials": self.trials,
            "triples": self.triples,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "failed": self.failed,
            "release": self.release,
            "durations": {k: round(v, 3) for k, v in self.durations.items()},
            "failures": [{"stage": f.stage, "item": f.item, "message": f.message} for f in self.failures],
            "state_run": self.state_run,
            "run_key": self.run_key,
            "inputs_key": self.inputs_key,
            "up_to_date": self.up_to_date,
        }

    def fail(self, stage: str, item: str, message: str) -> None:
        log.error("%s failed for %s: %s", stage, item, message)
        self.failures.append(StageFailure(stage, item, message))
        self.failed = len(self.failures)


class _Timer:
    def __init__(self, stats: RunStats, stage: str) -> None:
        self.stats, self.stage = stats, stage

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.stats.durations[self.stage] = self.stats.durations.get(self.stage, 0.0) + time.perf_counter() - self.t0


def timed(stats: RunStats, stage: str) -> _Timer:
    return _Timer(stats, stage)


# ------------------------------------------------------------------ ingest


def ingest_snapshot(snapshot: RawStore, work: WorkDir, *, progress: Progress | None = None) -> int:
    """Copy a raw-store snapshot (the demo) into the work raw store; returns items new or changed."""
    count = 0
    store = work.raw
    records = list(snapshot.latest_records())
    for i, rec in enumerate(records):
        if progress and i:
            progress("fetch", i, len(records))
        current = store.latest(rec.source, rec.source_id)
        if current is not None and current.sha256 == rec.sha256:
            continue
        data = snapshot.get_bytes(rec.sha256)
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
        count += 1
    if progress:
        progress("fetch", len(records), len(records))
    return count


# ------------------------------------------------------------------ parse


def _doc_id_for(rec: RawRecord) -> str:
    return rec.source_id if rec.source in ("file", "demo") else f"{rec.source}:{rec.source_id}"


def parse_stage(work: WorkDir, stats: RunStats, progress: Progress | None = None, *, state: StateDB | None = None) -> tuple[list[Document], list[Trial]]:
    """Parse the newest raw record of every item; reuse parsed output whose raw hash is unchanged.

    With ``state``, parse failures are recorded on the document's row (status ``parse_failed``).
    """
    # live-fetch rule, see pipeline/fetch.py
    from extractors.versions import PARSER_VERSION
    from pipeline.fetch import is_parse_input, prefer_full_text

    documents: list[Document] = []
    trials: list[Trial] = []
    parsed_trials: list[str] = []
    # live fetch: skip batch containers / search answers / rejected bodies (not documents)
    records = [r for r in work.raw.latest_records() if is_parse_input(r)]
    for i, rec in enumerate(records):
        if progress:
            progress("parse", i, len(records))
        if rec.status >= 400:
            continue
        try:
            if rec.format_hint in TRIAL_FORMATS:
                trials.extend(_parse_trial_record(work, rec))
                parsed_trials.append(_doc_id_for(rec))
                continue
            if rec.format_hint and rec.format_hint not in DOCUMENT_FORMATS:
                continue
            doc_id = _doc_id_for(rec)
            cached = work.parsed_path(doc_id)
            if cached.is_file():
                doc = Document.model_validate_json(cached.read_text(encoding="utf-8"))
                if doc.raw_sha256 == rec.sha256 and doc.parser_version == PARSER_VERSION:
                    documents.append(doc)
                    continue
            from pipeline.parsers import parse_document  # only when something needs parsing

            data = work.raw.get_bytes(rec.sha256)
            doc = parse_document(data, doc_id=doc_id, fmt=rec.format_hint or None, source=rec.source, source_id=rec.source_id, filename=rec.url.rsplit("/", 1)[-1])
            atomic_write_bytes(cached, doc.model_dump_json().encode("utf-8"))
            stats.documents_parsed += 1
            documents.append(doc)
        except OncoTriplesError as exc:
            message = str(exc).splitlines()[0]
            stats.fail("parse", f"{rec.source}:{rec.source_id}", message)
            if state is not None:
                state.mark_failed(_doc_id_for(rec), stage="parse", error=message, content_sha256=rec.sha256)
    if progress:
        progress("parse", len(records), len(records))
    if state is not None and parsed_trials:
        state.mark_status(parsed_trials, "parsed")  # trial records are not extracted: parsed is their final status
    # live fetch: an article's PMC full text replaces its PubMed abstract (metadata-only: the abstract stays, noted)
    documents = prefer_full_text(documents)
    documents.sort(key=lambda d: d.doc_id)
    trials.sort(key=lambda t: t.nct_id)
    return documents, trials


def _parse_trial_record(work: WorkDir, rec: RawRecord) -> list[Trial]:
    from pipeline.parsers.ctgov import (
        load_json,
        parse_studies_page,
        parse_study_json,
        study_to_trial,
    )

    data = work.raw.get_bytes(rec.sha256)
    payload = load_json(data, what=f"trial record {rec.source_id}")
    if isinstance(payload, dict) and "studies" in payload:
        return [study_to_trial(s, raw_sha256=rec.sha256) for s in parse_studies_page(data).studies]
    return [parse_study_json(data, raw_sha256=rec.sha256)]


# ------------------------------------------------------------------ extract


def versions_fingerprint(versions: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(versions, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class ExtractionCache:
    """Per-item extraction output with a meta file naming the input hash and versions that produced it.

    The meta file is written after the output, atomically, and records the output's own hash,
    so a torn or edited output is never taken as current.
    """

    work: WorkDir
    fingerprint: str

    def load(self, key: str, raw_sha256: str) -> tuple[list[Triple], str] | None:
        """The stored triples and their output hash when they are current for this input, else None."""
        meta_path, data_path = self.work.extracted_meta(key), self.work.extracted_path(key)
        if not (meta_path.is_file() and data_path.is_file()):
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("raw_sha256") != raw_sha256 or meta.get("versions") != self.fingerprint or meta.get("data_sha256") != _file_sha(data_path):
            return None
        return [Triple.model_validate(r) for r in read_jsonl(data_path)], meta["data_sha256"]

    def store(self, key: str, raw_sha256: str, triples: list[Triple]) -> str:
        """Write the output, then its meta file; returns the output hash."""
        data_path = self.work.extracted_path(key)
        write_jsonl(data_path, triples)
        output_sha = _file_sha(data_path)
        meta = {"raw_sha256": raw_sha256, "versions": self.fingerprint, "data_sha256": output_sha, "triples": len(triples)}
        atomic_write_bytes(self.work.extracted_meta(key), json.dumps(meta, sort_keys=True).encode("utf-8"))
        return output_sha


def extract_stage(
    work: WorkDir,
    documents: list[Document],
    nlp_factory: Callable[[], Any],
    versions: dict[str, str],
    stats: RunStats,
    *,
    force: bool = False,
    progress: Progress | None = None,
    state: StateDB | None = None,
) -> dict[str, list[Triple]]:
    """Extract triples per document, re-using stored output when input hash and versions match.

    The per-document meta file (written after the output, atomically) decides whether the
    stored output is current. With ``state``, every document's row is brought up to date:
    extracted (hash, versions, output hash, triple count), failed (with the error), or
    reconciled when a killed job wrote the output but not the row.
    """
    from pipeline.extract import extract_document

    fingerprint = versions_fingerprint(versions)
    cache = ExtractionCache(work, fingerprint)
    out: dict[str, list[Triple]] = {}
    nlp = None
    known = {d.doc_id: d for d in state.documents()} if state is not None else {}
    for i, doc in enumerate(documents):
        if progress:
            progress("extract", i, len(documents))
        cached = None if force else cache.load(doc.doc_id, doc.raw_sha256)
        if cached is not None:
            out[doc.doc_id], output_sha = cached
            stats.documents_skipped += 1
            row = known.get(doc.doc_id)
            if state is not None and (row is None or (row.status, row.content_sha256, row.versions_fingerprint, row.output_sha256) != ("extracted", doc.raw_sha256, fingerprint, output_sha)):
                state.mark_extracted(doc.doc_id, content_sha256=doc.raw_sha256, versions=versions, fingerprint=fingerprint, output_sha256=output_sha, triples=len(out[doc.doc_id]))
            continue
        if nlp is None:
            nlp = nlp_factory()
        try:
            raw_text = None
            if doc.format in ("txt", "md"):
                raw_text = work.raw.get_bytes(doc.raw_sha256).decode("utf-8-sig", errors="replace")
            triples = extract_document(nlp, doc, raw_text=raw_text)
        except OncoTriplesError as exc:
            message = str(exc).splitlines()[0]
            stats.fail("extract", doc.doc_id, message)
            if state is not None:
                state.mark_failed(doc.doc_id, stage="extract", error=message, content_sha256=doc.raw_sha256)
            continue
        output_sha = cache.store(doc.doc_id, doc.raw_sha256, triples)
        if state is not None:
            state.mark_extracted(doc.doc_id, content_sha256=doc.raw_sha256, versions=versions, fingerprint=fingerprint, output_sha256=output_sha, triples=len(triples))
        stats.documents_extracted += 1
        out[doc.doc_id] = triples
    if progress:
        progress("extract", len(documents), len(documents))
    return out


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ normalize


def normalize_stage(per_doc: dict[str, list[Triple]]) -> list[Triple]:
    """Canonical names and one row per triple_id (the same merge the extractor applies within a document)."""
    from extractors.triples_keys import merge_by_key

    rows = [
        t.model_copy(update={"drugs": sorted(dict.fromkeys(t.drugs)), "gene": t.gene.upper(), "nct_ids": sorted(set(t.nct_ids))})
        for doc_id in sorted(per_doc)
        for t in per_doc[doc_id]
    ]
    return sorted(merge_by_key(rows), key=lambda t: (t.doc_id, t.triple_id))


def document_trial_links(documents: list[Document], triples: list[Triple]) -> list[DocumentTrialLink]:
    """Links from documents to the trials their text or metadata names (malformed ids kept, marked)."""
    from pipeline.nct import find_nct_ids

    links: dict[tuple[str, str], DocumentTrialLink] = {}
    for doc in documents:
        for nct in doc.nct_ids:
            links.setdefault((doc.doc_id, nct), DocumentTrialLink(doc_id=doc.doc_id, nct_id=nct, how="metadata", as_written=nct))
        for hit in find_nct_ids(doc.text):
            how = "text" if hit.status == "ok" else "malformed"
            links.setdefault((doc.doc_id, hit.nct_id), DocumentTrialLink(doc_id=doc.doc_id, nct_id=hit.nct_id, how=how, as_written=hit.as_written))
    return sorted(links.values(), key=lambda link: (link.doc_id, link.nct_id))
