"""The parse stage: the newest raw record of every item becomes a clean ``Document`` (or trials).

Which stored record the parse stage reads:

* :func:`is_parse_input`: batch containers (``pubmed-batch``: the per-article copies are
  the inputs), search/link answers and rejected bodies are never parsed as documents.
* :func:`prefer_full_text`: when an article has a PMC/Europe PMC/BioC full text with a
  body, that document replaces the PubMed abstract of the same PMID (or PMCID); a
  metadata-only full-text record is dropped in favour of the abstract, and the abstract
  document carries a note saying why.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.stages.context import DOCUMENT_FORMATS, TRIAL_FORMATS, Progress, RunStats, WorkDir
from schemas.errors import OncoTriplesError
from schemas.files import atomic_write_bytes
from schemas.models import Document, RawRecord, Trial
from schemas.versions import PARSER_VERSION
from schemas.vocab import FULL_TEXT_SOURCES, LOCAL_SOURCES, NOT_PARSED_SOURCES, SOURCE_PUBMED

if TYPE_CHECKING:
    from pipeline.state.db import StateDB

log = logging.getLogger(__name__)

METADATA_ONLY_NOTE = "metadata-only"
"""Prefix of the JATS parser's note on a record without ``<body>``."""


def is_parse_input(rec: RawRecord) -> bool:
    """True for raw records the parse stage should read (documents and trials)."""
    return rec.source not in NOT_PARSED_SOURCES


def _has_full_text(doc: Document) -> bool:
    return not any(n.startswith(METADATA_ONLY_NOTE) for n in doc.notes)


def prefer_full_text(documents: list[Document]) -> list[Document]:
    """Drop PubMed abstracts whose article has a full-text document; drop metadata-only full texts that an abstract covers.

    Articles are matched by PMID, else by PMCID. The kept abstract of a metadata-only
    article gets a note naming the full-text record it could not use.
    """
    full: dict[str, Document] = {}
    partial: dict[str, Document] = {}
    for doc in documents:
        if doc.source in FULL_TEXT_SOURCES:
            target = full if _has_full_text(doc) else partial
            for key in _article_keys(doc):
                target.setdefault(key, doc)
    abstracts = {key for doc in documents if doc.source == SOURCE_PUBMED for key in _article_keys(doc)}
    out: list[Document] = []
    for doc in documents:
        keys = _article_keys(doc)
        if doc.source == SOURCE_PUBMED:
            winner = next((full[k] for k in keys if k in full), None)
            if winner is not None:
                log.debug("%s: full text %s is used instead of the abstract", doc.doc_id, winner.doc_id)
                continue
            loser = next((partial[k] for k in keys if k in partial), None)
            if loser is not None:
                note = f"full text {loser.doc_id} is metadata-only (not open access): kept the PubMed abstract"
                if note not in doc.notes:
                    doc = doc.model_copy(update={"notes": [*doc.notes, note]})
        elif doc.source in FULL_TEXT_SOURCES and not _has_full_text(doc):
            if any(k in abstracts or k in full for k in keys):  # the abstract (or a real full text) covers it
                continue
        elif doc.source in FULL_TEXT_SOURCES:
            first = next((full[k] for k in keys if k in full), doc)
            if first.doc_id != doc.doc_id:  # two full texts of one article: keep the first (pmc before europepmc)
                continue
        out.append(doc)
    return out


def _article_keys(doc: Document) -> list[str]:
    keys = []
    if doc.pmid:
        keys.append(f"pmid:{doc.pmid}")
    if doc.pmcid:
        keys.append(f"pmcid:{doc.pmcid.upper()}")
    if doc.source in FULL_TEXT_SOURCES and doc.source_id.upper().startswith("PMC"):
        keys.append(f"pmcid:{doc.source_id.upper()}")
    return list(dict.fromkeys(keys))


def doc_id_for(rec: RawRecord) -> str:
    """The document id of a raw record: the bare id for local files and the demo, ``source:id`` otherwise."""
    return rec.source_id if rec.source in LOCAL_SOURCES else f"{rec.source}:{rec.source_id}"


def parse_stage(work: WorkDir, stats: RunStats, progress: Progress | None = None, *, state: StateDB | None = None) -> tuple[list[Document], list[Trial]]:
    """Parse the newest raw record of every item; reuse parsed output whose raw hash is unchanged.

    With ``state``, parse failures are recorded on the document's row (status ``parse_failed``).
    """
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
                parsed_trials.append(doc_id_for(rec))
                continue
            if rec.format_hint and rec.format_hint not in DOCUMENT_FORMATS:
                continue
            doc_id = doc_id_for(rec)
            cached = work.parsed_path(doc_id)
            doc = _load_parsed(cached)
            if doc is not None and doc.raw_sha256 == rec.sha256 and doc.parser_version == PARSER_VERSION:
                documents.append(doc)
                continue
            from extractors.text.formats import parse_document  # only when something needs parsing

            data = work.raw.get_bytes(rec.sha256)
            doc = parse_document(data, doc_id=doc_id, fmt=rec.format_hint or None, source=rec.source, source_id=rec.source_id, filename=rec.url.rsplit("/", 1)[-1])
            atomic_write_bytes(cached, doc.model_dump_json().encode("utf-8"))
            stats.documents_parsed += 1
            documents.append(doc)
        except OncoTriplesError as exc:
            message = str(exc).splitlines()[0]
            stats.fail("parse", f"{rec.source}:{rec.source_id}", message)
            if state is not None:
                state.mark_failed(doc_id_for(rec), stage="parse", error=message, content_sha256=rec.sha256)
    if progress:
        progress("parse", len(records), len(records))
    if state is not None and parsed_trials:
        state.mark_status(parsed_trials, "parsed")  # trial records are not extracted: parsed is their final status
    # live fetch: an article's PMC full text replaces its PubMed abstract (metadata-only: the abstract stays, noted)
    documents = prefer_full_text(documents)
    documents.sort(key=lambda d: d.doc_id)
    trials.sort(key=lambda t: t.nct_id)
    return documents, trials


def _load_parsed(path: Path) -> Document | None:
    """The cached parse at ``path``; None when absent or failing validation (torn write, disk damage), so it is rebuilt."""
    try:
        return Document.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        log.warning("parsed cache %s is unreadable (%s); discarded and parsed again", path, str(exc).splitlines()[0])
        return None


def _parse_trial_record(work: WorkDir, rec: RawRecord) -> list[Trial]:
    from pipeline.sources.ctgov.parse import (
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
