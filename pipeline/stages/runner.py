"""The main job (``oncotriples run``): one locked pass through every stage, ending in a release.

Exit codes (documented in the README, used by cron/systemd/CI schedules):
0 success, 2 finished but some items failed, 3 another job holds the lock,
1 configuration or unexpected error.

Every job is recorded in the state database (``pipeline.state``): a ``runs``
row opened at the start and closed with the figures and outcome, documents with
their hashes, versions and status, and the triples seen. A run killed before it
closes its row is marked ``interrupted`` by the next one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pipeline.config import Settings
from pipeline.sources.rawstore import RawStore
from pipeline.stages.context import Progress, RunStats, WorkDir, timed
from pipeline.stages.extract import extract_stage
from pipeline.stages.fetch import ingest_snapshot, save_cursors
from pipeline.stages.normalize import document_trial_links, normalize_stage
from pipeline.stages.parallel import DaskSession, dask_document_mapper, plan_for
from pipeline.stages.parse import doc_id_for, parse_stage
from pipeline.state.db import StateDB, describe_running
from schemas.errors import InputError, LockHeldError, StorageError
from schemas.exit_codes import ExitCode
from schemas.files import atomic_write_bytes, read_jsonl, write_jsonl
from schemas.models import Document, DocumentTrialLink, Trial, Triple
from schemas.resources import data_path

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_PARTIAL, EXIT_LOCKED = (int(c) for c in (ExitCode.OK, ExitCode.ERROR, ExitCode.FAILURES, ExitCode.LOCKED))


@dataclass
class RunOptions:
    offline: bool = False
    force: bool = False
    release: bool = True
    fetch: bool = True
    """False re-runs later stages on what the raw store already holds (``oncotriples stage``)."""
    until: str = "release"
    """Last stage to run: fetch, parse, extract, normalize or release."""


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


def _acquire(settings: Settings) -> FileLock:
    lock = job_lock(settings.workdir)
    try:
        lock.acquire()
    except Timeout as exc:
        running = describe_running(settings.state_db)
        raise LockHeldError(
            f"another oncotriples job{f' ({running})' if running else ''} is running on {settings.workdir} "
            f"(lock {lock.lock_file}); not starting a second one"
        ) from exc
    return lock


def run_job(settings: Settings, options: RunOptions, *, progress: Progress | None = None, nlp_factory: Callable | None = None) -> RunStats:
    """Run every stage under the work-directory lock; raises LockHeldError if another job runs.

    The run is recorded in the state database (figures, outcome, exit code); an exception
    closes the run as ``error`` (``interrupted`` for KeyboardInterrupt) and propagates.
    """
    stats = RunStats()
    with storage_errors(settings, stats):
        lock = _acquire(settings)
        try:
            with StateDB(settings.state_db) as state:
                stats.state_run = state.start_run()
                try:
                    _run_locked(settings, options, state, stats, progress=progress, nlp_factory=nlp_factory)
                except BaseException as exc:
                    outcome = "interrupted" if isinstance(exc, KeyboardInterrupt) else "error"
                    _record_failed_run(state, stats.state_run, exc, outcome=outcome, figures=stats.as_dict(), release=stats.release)
                    raise
                code = EXIT_PARTIAL if stats.failed else EXIT_OK
                state.finish_run(stats.state_run, outcome="partial" if stats.failed else "ok", exit_code=code, figures=stats.as_dict(), release=stats.release, run_key=stats.run_key)
                return stats
        finally:
            lock.release()


@contextmanager
def storage_errors(settings: Settings, stats: RunStats | None = None) -> Iterator[None]:
    """Turn an OS or SQLite failure (read-only folder, full disk, damaged database) into one StorageError line.

    The message names the file, or the folder the current stage writes to when the OS did not
    say (``fsync`` on a full disk), and the state database for SQLite errors.
    """
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"state database {settings.state_db}: {_first_line(exc)}") from exc
    except OSError as exc:
        stage = next(reversed(stats.durations), "") if stats is not None else ""
        target = settings.releases_dir if stage == "release" else settings.workdir
        where = "" if exc.filename else f" (under {target})"
        raise StorageError(f"{f'{stage} stage: ' if stage else ''}{_first_line(exc)}{where}") from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _record_failed_run(state: StateDB, run_id: int | None, exc: BaseException, *, outcome: str, figures: dict[str, Any], release: str | None) -> None:
    """Close the run's row as failed; when the database itself is what failed (full, damaged) only log that."""
    try:
        state.finish_run(run_id or 0, outcome=outcome, exit_code=EXIT_ERROR, figures=figures, release=release, error=_first_line(exc))
    except sqlite3.DatabaseError as db_exc:
        log.warning("state database %s: the end of run %s was not recorded (%s)", state.path, run_id, _first_line(db_exc))


def _run_locked(settings: Settings, options: RunOptions, state: StateDB, stats: RunStats, *, progress: Progress | None, nlp_factory: Callable | None) -> None:
    work = WorkDir(settings.workdir)
    sources: dict[str, str] = {}
    demo = options.offline
    if not options.fetch:
        sources, demo = _previous_fetch(work)
    with timed(stats, "fetch"):
        if not options.fetch:
            pass
        elif options.offline:
            snapshot = demo_snapshot(settings)
            stats.documents_fetched = ingest_snapshot(snapshot, work, progress=progress, stats=stats)
            sources["snapshot"] = "bundled demo snapshot (oncotriples run --offline)"
            _record_fetched(state, work)
            save_cursors(state, {"snapshot": {"last_success": _created(work), "data_timestamp": _created(work)}})
        else:
            from pipeline.stages.fetch import fetch_all

            # incremental fetching: the stage reads and writes its cursors in the state database
            fetched = fetch_all(settings, work, stats, state=state, progress=progress)
            stats.documents_fetched = fetched.documents
            sources.update(fetched.sources)
            _record_fetched(state, work)
    if options.fetch:
        fetch_meta = {"sources": sources, "demo": options.offline}
        atomic_write_bytes(work.root / "fetch_meta.json", json.dumps(fetch_meta, sort_keys=True).encode("utf-8"))
    if options.until == "fetch":
        return
    versions, nlp_once = _versions_and_nlp(settings.pipeline.ner_model, nlp_factory)
    run_id = _run_id(work, versions)  # the raw inputs do not change after the fetch stage
    if options.release and options.until == "release":
        stats.inputs_key = _inputs_key(settings, state, run_id, sources, demo)
        if not options.force and _release_is_current(settings, state, work, stats):
            stats.run_key = run_id
            return
    with timed(stats, "parse"):
        documents, trials = parse_stage(work, stats, progress, state=state)
    stats.trials = len(trials)
    if options.until == "parse":
        return
    with timed(stats, "extract"), DaskSession(plan_for(settings)) as session:
        mapper = dask_document_mapper(session, nlp_once)
        per_doc = extract_stage(work, documents, nlp_once, versions, stats, force=options.force, progress=progress, state=state, mapper=mapper)
        from pipeline.stages.registry import registry_stage

        per_doc.update(registry_stage(work, trials, nlp_once, versions, stats, force=options.force))
    if options.until == "extract":
        return
    with timed(stats, "normalize"):
        triples = normalize_stage(per_doc)
        links = document_trial_links(documents, triples)
        save_normalized(work, triples, documents, trials, links, versions, sources, demo=demo)
        state.sync_triples(stats.state_run or 0, triples)
    stats.triples = len(triples)
    stats.run_key = run_id
    if options.release and options.until == "release":
        with timed(stats, "release"):
            release_triples(settings, triples, documents, trials, links, versions, sources, stats, demo=demo, work=work)


EXECUTION_SETTINGS = ("workers", "scheduler", "scheduler_timeout")
"""Pipeline settings that choose where extraction runs, never what it gives: not part of the inputs key."""


def _inputs_key(settings: Settings, state: StateDB, run_id: str, sources: dict[str, str], demo: bool) -> str:
    """Hash of everything a release depends on: ``run_id`` (raw inputs and versions), sources, settings, curation decisions."""
    h = hashlib.sha256(run_id.encode())
    settings_facts = settings.model_dump(mode="json", exclude={"pipeline": {"source_date_epoch", *EXECUTION_SETTINGS}})  # created stamp; where extraction runs
    facts = {"sources": sources, "demo": demo, "settings": settings_facts, "curation": state.decisions_fingerprint()}
    h.update(json.dumps(facts, sort_keys=True).encode())
    return h.hexdigest()[:16]


def _release_is_current(settings: Settings, state: StateDB, work: WorkDir, stats: RunStats) -> bool:
    """True (and ``stats`` filled in) when the last finished job ran on exactly these inputs and its release is intact.

    Like ``make``'s up-to-date check: with nothing new fetched, no version, setting or curation
    decision changed, and the previous run's release still the newest one on disk, parsing,
    extracting and releasing again would reproduce the same files. Any other finished job in
    between (a stage re-run, ``oncotriples release``, a failed or killed run) disables the shortcut.
    """
    previous = state.last_finished_run(exclude=stats.state_run)
    if previous is None or previous.outcome != "ok" or not previous.release:
        return False
    if previous.figures.get("inputs_key") != stats.inputs_key:
        return False
    if not (work.normalized / "meta.json").is_file():
        return False
    from pipeline.stages.release_list import (
        list_releases,  # only releases whose manifest.json exists
    )

    if list_releases(settings.releases_dir)[-1:] != [previous.release]:
        return False
    figures = previous.figures
    stats.up_to_date = True
    stats.release = previous.release
    stats.triples = int(figures.get("triples", 0))
    stats.trials = int(figures.get("trials", 0))
    stats.documents_skipped = int(figures.get("documents_skipped", 0)) + int(figures.get("documents_extracted", 0))
    log.info("inputs unchanged since run %d; release %s is current (nothing parsed, extracted or written)", previous.id, previous.release)
    return True


def _previous_fetch(work: WorkDir) -> tuple[dict[str, str], bool]:
    """Source snapshot facts and the demo flag of the last fetch (kept when a stage re-runs without fetching)."""
    meta = work.root / "fetch_meta.json"
    if meta.is_file():
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            return dict(data.get("sources", {})), bool(data.get("demo", False))
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("%s is unreadable (%s); discarded (the next fetch rewrites it)", meta, exc)
    return {}, False


def _versions_and_nlp(ner_model: str, nlp_factory: Callable | None) -> tuple[dict[str, str], Callable[[], Any]]:
    """The rule-set/model/parser versions, and a factory building the NLP pipeline at most once.

    The full pipeline (model loading: seconds) is built only when a document needs
    extracting, so a run with nothing new stays fast: the versions come from
    ``schemas.versions`` (constants and the model's meta.json), which imports no spaCy.
    """
    from schemas.versions import PARSER_VERSION, rule_versions

    built: list[Any] = []

    def nlp_once() -> Any:
        if not built:
            if nlp_factory is None:
                from extractors.nlp.build import build_nlp

                built.append(build_nlp(ner_model))
            else:
                built.append(nlp_factory())
        return built[0]

    versions = rule_versions(ner_model)
    versions["parser"] = PARSER_VERSION
    return versions, nlp_once


def _record_fetched(state: StateDB, work: WorkDir) -> None:
    state.record_fetched((doc_id_for(r), r.source, r.source_id, r.sha256, r.fetched_at) for r in work.raw.latest_records())


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
    """``oncotriples release``: write the next release from the last normalized output (recorded as a run)."""
    with storage_errors(settings, RunStats(durations={"release": 0.0})):
        lock = _acquire(settings)
        try:
            with StateDB(settings.state_db) as state:
                run_id = state.start_run()
                try:
                    stats = _release_locked(settings)
                except BaseException as exc:
                    _record_failed_run(state, run_id, exc, outcome="error", figures={"command": "release"}, release=None)
                    raise
                stats.state_run = run_id
                state.finish_run(run_id, outcome="ok", exit_code=EXIT_OK, figures={"command": "release", **stats.as_dict()}, release=stats.release)
                return stats
        finally:
            lock.release()


def _release_locked(settings: Settings) -> RunStats:
    work = WorkDir(settings.workdir)
    folder = work.normalized
    if not (folder / "meta.json").is_file():
        raise InputError(f"{folder}: no normalized output yet; run `oncotriples run` first")
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        triples = [Triple.model_validate(r) for r in read_jsonl(folder / "triples.jsonl")]
        documents = [Document.model_validate(r) for r in read_jsonl(folder / "documents.jsonl")]
        trials = [Trial.model_validate(r) for r in read_jsonl(folder / "trials.jsonl")]
        links = [DocumentTrialLink.model_validate(r) for r in read_jsonl(folder / "document_trials.jsonl")]
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: normalized output is unreadable ({str(exc).splitlines()[0]}); run `oncotriples run` to rebuild it") from exc
    stats = RunStats(triples=len(triples), trials=len(trials))
    with timed(stats, "release"):
        release_triples(settings, triples, documents, trials, links, meta["versions"], meta["sources"], stats, demo=meta.get("demo", False), work=work)
    return stats


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
    from pipeline.stages.release import clean_stale_temp, releases_locked

    with releases_locked(settings.releases_dir):  # one release stage at a time per releases directory
        clean_stale_temp(settings.releases_dir)
        _release_triples_locked(settings, triples, documents, trials, links, versions, sources, stats, demo=demo, work=work)


def _release_triples_locked(settings: Settings, triples: list[Triple], documents, trials, links, versions, sources, stats: RunStats, *, demo: bool, work: WorkDir) -> None:
    from pipeline.curation.decisions import apply_curation
    from pipeline.stages.release import (
        ReleaseContent,
        build_release_files,
        creation_time,
        diff_triples,
        empty_release_reason,
        list_releases,
        load_release_triples,
        next_version,
        withhold_reason,
        write_release,
    )

    releases_dir = settings.releases_dir
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
    empty = empty_release_reason(len(kept) + len(documents) + len(trials), previous, stats.failed)
    if empty is not None:
        if stats.failed:
            stats.fail("release", version, empty)
        else:
            log.info("release %s %s", version, empty)
        stats.release = previous
        return
    withheld = withhold_reason(old, changes, {f.item for f in stats.failures})
    if withheld is not None:
        stats.fail("release", version, f"{withheld}; {previous} stays the newest")
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
        run_id=stats.run_key or _run_id(work, versions),  # already known when called from a run
        created=creation_time(settings.pipeline.source_date_epoch),
        demo=demo,
    )
    files = build_release_files(version, content, previous, changes)
    write_release(releases_dir, version, files)
    stats.release = version
