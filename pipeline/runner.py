"""The main job (``oncotriples run``): one locked pass through every stage, ending in a release.

Exit codes (documented in the README, used by cron/systemd/CI schedules):
0 success, 2 finished but some items failed, 3 another job holds the lock,
1 configuration or unexpected error.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.config import Settings
from pipeline.errors import InputError, LockHeldError
from pipeline.jsonl import read_jsonl, write_jsonl
from pipeline.rawstore import RawStore, atomic_write_bytes
from pipeline.release import (
    ReleaseContent,
    build_release_files,
    clean_stale_temp,
    diff_triples,
    list_releases,
    load_release_triples,
    next_version,
    write_release,
)
from pipeline.resources import data_path
from pipeline.stages import (
    Progress,
    RunStats,
    WorkDir,
    document_trial_links,
    extract_stage,
    ingest_snapshot,
    normalize_stage,
    parse_stage,
    timed,
)
from schemas.models import Document, DocumentTrialLink, Trial, Triple

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_PARTIAL, EXIT_LOCKED = 0, 1, 2, 3


@dataclass
class RunOptions:
    offline: bool = False
    force: bool = False
    release: bool = True


def job_lock(workdir: Path) -> FileLock:
    """An exclusive, non-blocking lock on the work directory.

    ``filelock`` uses ``flock``: the kernel drops it when the holding process
    dies, so a lock left by a killed job is never stale.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(workdir / ".oncotriples.lock"), timeout=0)


def demo_snapshot(settings: Settings) -> RawStore:
    folder = Path(settings.pipeline.demo_dir) if settings.pipeline.demo_dir else data_path("demo")
    return RawStore(folder)


def run_job(settings: Settings, options: RunOptions, *, progress: Progress | None = None, nlp_factory: Callable | None = None) -> RunStats:
    """Run every stage under the work-directory lock; raises LockHeldError if another job runs."""
    lock = job_lock(settings.workdir)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockHeldError(f"another oncotriples job holds {lock.lock_file}; not starting a second one") from exc
    try:
        return _run_locked(settings, options, progress=progress, nlp_factory=nlp_factory)
    finally:
        lock.release()


def _run_locked(settings: Settings, options: RunOptions, *, progress: Progress | None, nlp_factory: Callable | None) -> RunStats:
    from extractors.nlp import build_nlp, pipeline_versions

    stats = RunStats()
    work = WorkDir(settings.workdir)
    sources: dict[str, str] = {}
    with timed(stats, "fetch"):
        if options.offline:
            snapshot = demo_snapshot(settings)
            stats.documents_fetched = ingest_snapshot(snapshot, work)
            sources["snapshot"] = "bundled demo snapshot (oncotriples run --offline)"
        else:
            from pipeline.fetch import fetch_all

            fetched = fetch_all(settings, work, stats)
            stats.documents_fetched = fetched.documents
            sources.update(fetched.sources)
    with timed(stats, "parse"):
        documents, trials = parse_stage(work, stats, progress)
    stats.trials = len(trials)
    ner_model = settings.pipeline.ner_model
    versions_nlp = build_nlp(ner_model) if nlp_factory is None else nlp_factory()
    versions = pipeline_versions(versions_nlp, ner_model).items
    from pipeline.parsers import PARSER_VERSION

    versions["parser"] = PARSER_VERSION
    with timed(stats, "extract"):
        per_doc = extract_stage(work, documents, lambda: versions_nlp, versions, stats, force=options.force, progress=progress)
    with timed(stats, "normalize"):
        triples = normalize_stage(per_doc)
        links = document_trial_links(documents, triples)
        save_normalized(work, triples, documents, trials, links, versions, sources, demo=options.offline)
    stats.triples = len(triples)
    if options.release:
        with timed(stats, "release"):
            release_triples(settings, triples, documents, trials, links, versions, sources, stats, demo=options.offline, work=work)
    return stats


def save_normalized(work: WorkDir, triples, documents, trials, links, versions, sources, *, demo: bool) -> None:
    """Persist the normalize stage so ``oncotriples release`` can run alone."""
    folder = work.normalized
    write_jsonl(folder / "triples.jsonl", triples)
    write_jsonl(folder / "documents.jsonl", [d.model_copy(update={"text": "", "offset_map": []}) for d in documents])
    write_jsonl(folder / "trials.jsonl", trials)
    write_jsonl(folder / "document_trials.jsonl", links)
    meta = {"versions": versions, "sources": sources, "demo": demo}
    atomic_write_bytes(folder / "meta.json", json.dumps(meta, sort_keys=True, indent=1).encode("utf-8"))


def release_job(settings: Settings) -> RunStats:
    """``oncotriples release``: write the next release from the last normalized output."""
    lock = job_lock(settings.workdir)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockHeldError(f"another oncotriples job holds {lock.lock_file}; not starting a second one") from exc
    try:
        work = WorkDir(settings.workdir)
        folder = work.normalized
        if not (folder / "meta.json").is_file():
            raise InputError(f"{folder}: no normalized output yet; run `oncotriples run` first")
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        triples = [Triple.model_validate(r) for r in read_jsonl(folder / "triples.jsonl")]
        documents = [Document.model_validate(r) for r in read_jsonl(folder / "documents.jsonl")]
        trials = [Trial.model_validate(r) for r in read_jsonl(folder / "trials.jsonl")]
        links = [DocumentTrialLink.model_validate(r) for r in read_jsonl(folder / "document_trials.jsonl")]
        stats = RunStats(triples=len(triples), trials=len(trials))
        with timed(stats, "release"):
            release_triples(settings, triples, documents, trials, links, meta["versions"], meta["sources"], stats, demo=meta.get("demo", False), work=work)
        return stats
    finally:
        lock.release()


def _created(work: WorkDir) -> str:
    latest = [r.fetched_at for r in work.raw.latest_records()]
    return max(latest) if latest else ""


def _run_id(work: WorkDir, versions: dict[str, str]) -> str:
    h = hashlib.sha256()
    for r in work.raw.latest_records():
        h.update(f"{r.source}/{r.source_id}/{r.sha256}\n".encode())
    h.update(json.dumps(versions, sort_keys=True).encode())
    return h.hexdigest()[:12]


def release_triples(settings: Settings, triples: list[Triple], documents, trials, links, versions, sources, stats: RunStats, *, demo: bool, work: WorkDir) -> None:
    """Apply curation, compare with the previous release and write the next version (if anything changed)."""
    from pipeline.curation import apply_curation

    releases_dir = settings.releases_dir
    clean_stale_temp(releases_dir)
    kept, rejected, curation = apply_curation(settings, triples)
    existing = list_releases(releases_dir)
    previous = existing[-1] if existing else None
    old = load_release_triples(releases_dir / previous) if previous else {}
    previous_schema = None
    if previous:
        previous_schema = json.loads((releases_dir / previous / "manifest.json").read_text(encoding="utf-8")).get("schema_version")
    new = {t.triple_id: {**t.model_dump(mode="json")} for t in kept}
    changes = diff_triples(old, new)
    stats.added, stats.removed, stats.changed = len(changes.added), len(changes.removed), len(changes.changed)
    version = next_version(previous, previous_schema, changes)
    if version is None:
        log.info("nothing changed since release %s; no new release written", previous)
        stats.release = previous
        return
    content = ReleaseContent(
        triples=kept,
        documents=documents,
        trials=trials,
        links=links,
        rejected=rejected,
        curation=curation,
        versions=versions,
        sources=sources,
        run_id=_run_id(work, versions),
        created=_created(work),
        demo=demo,
    )
    files = build_release_files(version, content, previous, changes)
    write_release(releases_dir, version, files)
    stats.release = version
