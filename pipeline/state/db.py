"""The embedded run-state database (SQLite): documents, runs, triples, curation decisions, fetch state.

One file (``settings.state_db``, by default ``<workdir>/state.sqlite``) in WAL
mode. Every change is one short transaction, so a job killed with SIGKILL at
any point leaves the database exactly as of its last commit; the next run
picks up from there (a run left ``running`` is marked ``interrupted``).

The schema is versioned: ``MIGRATIONS`` is an append-only list applied in
order inside one transaction each and recorded in ``schema_migrations``. A
database written by an older version is upgraded in place, never discarded;
one written by a newer version is refused (with the versions named) rather
than touched.

Curation decisions are append-only (triggers refuse UPDATE and DELETE): the
latest decision per ``triple_id`` wins and the history stays; an ``undo`` record
withdraws the decision it follows (``pipeline.curation.decisions`` replays them).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from pipeline.sources.rawstore import utc_now
from schemas.errors import ConfigError, InputError
from schemas.vocab import DECISIONS, REASON_CODES, RUN_OUTCOMES, STORED_DECISIONS

if TYPE_CHECKING:
    from schemas.models import Triple

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def sql_list(values: Iterable[str]) -> str:
    """Values as the body of an SQL ``IN (...)`` list: ``'a', 'b'``."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "documents, runs, triples, decisions",
        Template("""
        CREATE TABLE documents (
            doc_id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            versions_fingerprint TEXT NOT NULL DEFAULT '',
            versions TEXT NOT NULL DEFAULT '{}',
            last_fetched TEXT NOT NULL DEFAULT '',
            last_extracted TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'fetched',
            error TEXT NOT NULL DEFAULT '',
            output_sha256 TEXT NOT NULL DEFAULT '',
            triples INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX documents_by_source ON documents (source, source_id);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_key TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL,
            ended_at TEXT NOT NULL DEFAULT '',
            figures TEXT NOT NULL DEFAULT '{}',
            outcome TEXT NOT NULL DEFAULT 'running',
            exit_code INTEGER,
            release TEXT NOT NULL DEFAULT '',
            pid INTEGER,
            error TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE triples (
            triple_id TEXT PRIMARY KEY,
            doc_id TEXT NOT NULL,
            drugs TEXT NOT NULL,
            gene TEXT NOT NULL,
            alteration TEXT NOT NULL,
            outcome TEXT NOT NULL,
            sentence_start INTEGER NOT NULL DEFAULT 0,
            sentence_end INTEGER NOT NULL DEFAULT 0,
            evidence_sha256 TEXT NOT NULL DEFAULT '',
            first_seen_run INTEGER,
            last_seen_run INTEGER,
            current INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX triples_by_span ON triples (doc_id, sentence_start, sentence_end);
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            triple_id TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ($decisions)),
            reason TEXT CHECK (reason IS NULL OR reason IN
                ($reasons)),
            edits TEXT NOT NULL DEFAULT '{}',
            curator TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            doc_id TEXT NOT NULL DEFAULT '',
            sentence_start INTEGER NOT NULL DEFAULT 0,
            sentence_end INTEGER NOT NULL DEFAULT 0,
            evidence_sha256 TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX decisions_by_triple ON decisions (triple_id, id);
        CREATE TRIGGER decisions_append_only_update BEFORE UPDATE ON decisions
            BEGIN SELECT RAISE(ABORT, 'curation decisions are append-only'); END;
        CREATE TRIGGER decisions_append_only_delete BEFORE DELETE ON decisions
            BEGIN SELECT RAISE(ABORT, 'curation decisions are append-only'); END;
        """).substitute(decisions=sql_list(DECISIONS), reasons=sql_list(REASON_CODES)),
    ),
    Migration(
        2,
        "fetch_state for incremental fetching",
        """
        CREATE TABLE fetch_state (
            source TEXT PRIMARY KEY,
            last_success TEXT NOT NULL DEFAULT '',
            data_timestamp TEXT NOT NULL DEFAULT '',
            cursor TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX runs_by_outcome ON runs (outcome, id);
        """,
    ),
    Migration(
        3,
        "decisions may be undone: the decisions table also holds undo records",
        # SQLite cannot change a CHECK constraint: the table is rebuilt with every row and id
        # (DROP TABLE fires no DELETE trigger), then its index and append-only triggers again.
        Template("""
        CREATE TABLE decisions_v3 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            triple_id TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ($decisions)),
            reason TEXT CHECK (reason IS NULL OR reason IN
                ($reasons)),
            edits TEXT NOT NULL DEFAULT '{}',
            curator TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            doc_id TEXT NOT NULL DEFAULT '',
            sentence_start INTEGER NOT NULL DEFAULT 0,
            sentence_end INTEGER NOT NULL DEFAULT 0,
            evidence_sha256 TEXT NOT NULL DEFAULT ''
        );
        INSERT INTO decisions_v3 (id, triple_id, decision, reason, edits, curator, note, created_at, doc_id, sentence_start, sentence_end, evidence_sha256)
            SELECT id, triple_id, decision, reason, edits, curator, note, created_at, doc_id, sentence_start, sentence_end, evidence_sha256 FROM decisions ORDER BY id;
        DROP TABLE decisions;
        ALTER TABLE decisions_v3 RENAME TO decisions;
        CREATE INDEX decisions_by_triple ON decisions (triple_id, id);
        CREATE TRIGGER decisions_append_only_update BEFORE UPDATE ON decisions
            BEGIN SELECT RAISE(ABORT, 'curation decisions are append-only'); END;
        CREATE TRIGGER decisions_append_only_delete BEFORE DELETE ON decisions
            BEGIN SELECT RAISE(ABORT, 'curation decisions are append-only'); END;
        """).substitute(decisions=sql_list(STORED_DECISIONS), reasons=sql_list(REASON_CODES)),
    ),
)
"""Append-only: never edit a released migration, add a new one.

The CHECK lists come from ``schemas.vocab``; a new decision kind or reason code changes
migration 1's text, which ``tests/test_state.py`` refuses: it needs a new migration.
"""

STATE_SCHEMA_VERSION = MIGRATIONS[-1].version


# ------------------------------------------------------------------ records


@dataclass(frozen=True)
class DocumentState:
    doc_id: str
    source: str
    source_id: str
    content_sha256: str
    versions_fingerprint: str
    versions: dict[str, str]
    last_fetched: str
    last_extracted: str
    status: str
    error: str
    output_sha256: str
    triples: int


@dataclass(frozen=True)
class RunRecord:
    id: int
    run_key: str
    started_at: str
    ended_at: str
    figures: dict[str, Any]
    outcome: str
    exit_code: int | None
    release: str
    pid: int | None
    error: str


@dataclass(frozen=True)
class TripleState:
    triple_id: str
    doc_id: str
    drugs: list[str]
    gene: str
    alteration: str
    outcome: str
    sentence_start: int
    sentence_end: int
    evidence_sha256: str
    first_seen_run: int | None
    last_seen_run: int | None
    current: bool


@dataclass(frozen=True)
class Decision:
    """A curator's decision on one triple: the one decision model, from validation to storage.

    ``id`` is 0 (and ``created_at`` may be empty) until the decision is recorded. The
    document and evidence sentence of the triple are kept so a later re-keyed triple
    from the same sentence can be flagged for review.
    """

    id: int
    """Row id in the ``decisions`` table (0 before it is recorded)."""
    triple_id: str
    decision: str
    """``accept``, ``edit`` or ``reject``; ``undo`` withdraws the triple's standing decision."""
    reason: str | None
    """The reason code of a rejection, else None."""
    edits: dict[str, Any]
    """Edited field -> new value (empty unless ``decision`` is ``edit``)."""
    curator: str
    note: str
    created_at: str
    """UTC timestamp, set when the decision is recorded if empty."""
    doc_id: str = ""
    sentence_start: int = 0
    sentence_end: int = 0
    """The evidence sentence's span in ``doc_id``."""
    evidence_sha256: str = ""
    """``evidence_hash`` of the evidence sentence, to find it again after its span moved."""


@dataclass(frozen=True)
class FetchState:
    """One source's incremental-fetch memory: last success, service data timestamp, and a JSON cursor."""

    source: str
    last_success: str
    """When the last fetch of this source succeeded (UTC)."""
    data_timestamp: str
    """The service's own data timestamp at that fetch (e.g. CT.gov ``/version``)."""
    cursor: dict[str, Any] = field(default_factory=dict)
    """Where an incremental fetch resumes (source-specific JSON)."""
    updated_at: str = ""


@dataclass(frozen=True)
class TripleSync:
    """What ``sync_triples`` changed."""

    new: int
    """Triple ids new to the database."""
    returned: int
    """Ids extracted again after an absence."""
    retired: int
    """Ids no longer extracted (marked not current)."""


def evidence_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


# ------------------------------------------------------------------ migrations


def applied_versions(conn: sqlite3.Connection) -> list[int]:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def migrate(conn: sqlite3.Connection, *, target: int | None = None, path: str = "") -> list[int]:
    """Apply pending migrations in order (each in its own transaction); return the versions applied.

    ``conn`` must be in autocommit mode (``isolation_level=None``).
    """
    target = STATE_SCHEMA_VERSION if target is None else target
    done = applied_versions(conn)
    newest = max(done, default=0)
    if newest > STATE_SCHEMA_VERSION:
        raise ConfigError(
            f"state database {path or '?'} has schema version {newest}, newer than this oncotriples "
            f"understands ({STATE_SCHEMA_VERSION}); upgrade oncotriples (the database was left untouched)"
        )
    applied = []
    for m in MIGRATIONS:
        if m.version in done or m.version > target:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # re-check inside the write transaction: another process may have migrated meanwhile
            if conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (m.version,)).fetchone():
                conn.execute("COMMIT")
                continue
            for statement in _statements(m.sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", (m.version, m.name, utc_now()))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (disk full)
                conn.execute("ROLLBACK")
            raise
        log.info("state database %s: applied migration %d (%s)", path, m.version, m.name)
        applied.append(m.version)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration script into statements (``sqlite3.complete_statement`` keeps triggers whole)."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


# ------------------------------------------------------------------ database


class StateMissingError(ConfigError):
    """The state database is missing or empty where earlier work shows it was in use; none was created."""


WORK_MARKERS = ("raw", "parsed", "extracted", "fetch_meta.json")
"""What the fetch, parse and extract stages leave in a work directory; each is recorded in the state database."""

RESTORE_HINT = "oncotriples review restore"


def database_absent(path: Path | str) -> bool:
    """True when ``path`` holds no database: no file, or an empty one (SQLite would start a new one)."""
    p = Path(path)
    return not p.exists() or (p.is_file() and p.stat().st_size == 0)


def earlier_work(folder: Path) -> list[str]:
    """The work-directory entries in ``folder`` that show a job ran there (empty folders do not count)."""
    found = []
    for name in WORK_MARKERS:
        p = folder / name
        if p.is_file() or (p.is_dir() and any(p.iterdir())):
            found.append(name)
    return found


def refuse_lost_database(path: Path | str, *, workdir: Path | None = None, release: str = "") -> None:
    """Raise StateMissingError when the database at ``path`` is absent but ``workdir`` (default: its folder) was used.

    A new, empty database there would silently forget every run and curation decision;
    ``release`` (a release folder) makes the recovery command exact.
    """
    p = Path(path)
    if not database_absent(p):
        return
    folder = workdir if workdir is not None else p.parent
    found = earlier_work(folder)
    if not found:
        return
    what = "empty" if p.exists() else "missing"
    target = release or "RELEASES_DIR/NEWEST_VERSION"
    raise StateMissingError(
        f"state database {p} is {what} but {folder} holds earlier work ({', '.join(found)}); not starting a new one silently: "
        f"put back a backup of it, or rebuild the curation decisions with `{RESTORE_HINT} {target} --workdir {folder}`"
        + ("" if release else " (`oncotriples releases` lists the versions)")
    )


class StateDB:
    """A connection to the state database; migrates it on open. Use as a context manager.

    A missing or empty database is created only where no job ran yet (or with ``allow_new``,
    as restoring does): beside earlier work it is refused (``refuse_lost_database``).
    """

    def __init__(self, path: Path | str, *, timeout: float = 30.0, allow_new: bool = False) -> None:
        self.path = Path(path)
        if not allow_new:
            refuse_lost_database(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable against process kill
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            migrate(self.conn, path=str(self.path))
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"state database {self.path} cannot be opened: {exc}") from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> StateDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): committed on success, rolled back on error.

        Inside another one it joins it, so a read-check-write sequence can hold the lock throughout.
        """
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite rolls back by itself on SQLITE_FULL/IOERR; a second ROLLBACK would hide the real error
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        return max(applied_versions(self.conn), default=0)

    def check(self) -> list[str]:
        """``PRAGMA integrity_check`` problems (empty when the file is sound)."""
        rows = [r[0] for r in self.conn.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    # -------------------------------------------------------------- runs

    def start_run(self, *, run_key: str = "", pid: int | None = None) -> int:
        """Record a new run as ``running``; earlier runs still ``running`` were killed: mark them ``interrupted``.

        Call only while holding the job lock (so no other run is really running).
        """
        with self.transaction() as c:
            stale = c.execute("UPDATE runs SET outcome = 'interrupted', ended_at = ? WHERE outcome = 'running'", ("",)).rowcount
            cur = c.execute("INSERT INTO runs (run_key, started_at, pid) VALUES (?, ?, ?)", (run_key, utc_now(), os.getpid() if pid is None else pid))
        if stale:
            log.warning("state database: %d earlier run(s) never finished (killed?); marked interrupted", stale)
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, *, outcome: str, exit_code: int, figures: dict[str, Any], release: str | None = None, run_key: str = "", error: str = "") -> None:
        if outcome not in RUN_OUTCOMES:
            raise ValueError(f"unknown run outcome {outcome!r}")
        with self.transaction() as c:
            c.execute(
                "UPDATE runs SET ended_at = ?, outcome = ?, exit_code = ?, figures = ?, release = ?, error = ?, run_key = CASE WHEN ? = '' THEN run_key ELSE ? END WHERE id = ?",
                (utc_now(), outcome, exit_code, json.dumps(figures, sort_keys=True), release or "", error, run_key, run_key, run_id),
            )

    def runs(self, *, limit: int | None = None) -> list[RunRecord]:
        """Runs, newest first."""
        sql = "SELECT * FROM runs ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [_run(r) for r in self.conn.execute(sql)]

    def run(self, run_id: int) -> RunRecord | None:
        r = self.conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(r) if r else None

    def last_finished_run(self, *, exclude: int | None = None) -> RunRecord | None:
        """The newest run that is not ``running`` (other than ``exclude``, normally the current job)."""
        r = self.conn.execute("SELECT * FROM runs WHERE outcome != 'running' AND id != ? ORDER BY id DESC LIMIT 1", (exclude or 0,)).fetchone()
        return _run(r) if r else None

    def running(self) -> RunRecord | None:
        r = self.conn.execute("SELECT * FROM runs WHERE outcome = 'running' ORDER BY id DESC LIMIT 1").fetchone()
        return _run(r) if r else None

    # -------------------------------------------------------------- documents

    def record_fetched(self, items: Iterable[tuple[str, str, str, str, str]]) -> int:
        """Record ``(doc_id, source, source_id, content_sha256, fetched_at)`` items; return how many are new or changed.

        A changed content hash resets the document to ``fetched`` (it must be parsed and extracted again).
        """
        changed = 0
        with self.transaction() as c:
            for doc_id, source, source_id, sha, fetched_at in items:
                row = c.execute("SELECT content_sha256, last_fetched FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
                if row is None:
                    c.execute(
                        "INSERT INTO documents (doc_id, source, source_id, content_sha256, last_fetched, status) VALUES (?, ?, ?, ?, ?, 'fetched')",
                        (doc_id, source, source_id, sha, fetched_at),
                    )
                    changed += 1
                elif row["content_sha256"] != sha:
                    c.execute(
                        "UPDATE documents SET content_sha256 = ?, last_fetched = ?, status = 'fetched', error = '', output_sha256 = '' WHERE doc_id = ?",
                        (sha, fetched_at, doc_id),
                    )
                    changed += 1
                elif row["last_fetched"] != fetched_at:
                    c.execute("UPDATE documents SET last_fetched = ? WHERE doc_id = ?", (fetched_at, doc_id))
        return changed

    def mark_extracted(self, doc_id: str, *, content_sha256: str, versions: dict[str, str], fingerprint: str, output_sha256: str, triples: int) -> None:
        with self.transaction() as c:
            self._ensure_document(c, doc_id, content_sha256)
            c.execute(
                "UPDATE documents SET content_sha256 = ?, versions_fingerprint = ?, versions = ?, last_extracted = ?, status = 'extracted', error = '', output_sha256 = ?, triples = ? WHERE doc_id = ?",
                (content_sha256, fingerprint, json.dumps(versions, sort_keys=True), utc_now(), output_sha256, triples, doc_id),
            )

    def mark_failed(self, doc_id: str, *, stage: str, error: str, content_sha256: str = "") -> None:
        with self.transaction() as c:
            self._ensure_document(c, doc_id, content_sha256)
            c.execute("UPDATE documents SET status = ?, error = ? WHERE doc_id = ?", (f"{stage}_failed", error, doc_id))

    def mark_status(self, doc_ids: Iterable[str], status: str) -> None:
        """Set ``status`` (clearing the error) on the given documents whose status differs (one transaction)."""
        with self.transaction() as c:
            c.executemany("UPDATE documents SET status = ?, error = '' WHERE doc_id = ? AND status != ?", [(status, d, status) for d in doc_ids])

    @staticmethod
    def _ensure_document(c: sqlite3.Connection, doc_id: str, content_sha256: str) -> None:
        if c.execute("SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,)).fetchone() is None:
            source, _, source_id = doc_id.partition(":") if ":" in doc_id else ("file", "", doc_id)
            c.execute("INSERT INTO documents (doc_id, source, source_id, content_sha256) VALUES (?, ?, ?, ?)", (doc_id, source, source_id, content_sha256))

    def document(self, doc_id: str) -> DocumentState | None:
        r = self.conn.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return _document(r) if r else None

    def documents(self) -> list[DocumentState]:
        return [_document(r) for r in self.conn.execute("SELECT * FROM documents ORDER BY doc_id")]

    # -------------------------------------------------------------- triples

    def sync_triples(self, run_id: int, triples: Sequence[Triple]) -> TripleSync:
        """Make the ``triples`` table reflect this run's triples (one transaction).

        Ids seen now get ``last_seen_run = run_id`` and ``current = 1`` (new ids also
        ``first_seen_run``); ids no longer produced stay with ``current = 0``.
        """
        new = returned = 0
        ids = set()
        with self.transaction() as c:
            existing = {r["triple_id"]: bool(r["current"]) for r in c.execute("SELECT triple_id, current FROM triples")}
            for t in triples:
                ids.add(t.triple_id)
                values = (t.doc_id, json.dumps(t.drugs), t.gene, t.alteration, t.outcome, t.sentence_start, t.sentence_end, evidence_hash(t.evidence))
                if t.triple_id not in existing:
                    c.execute(
                        "INSERT INTO triples (doc_id, drugs, gene, alteration, outcome, sentence_start, sentence_end, evidence_sha256, triple_id, first_seen_run, last_seen_run, current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                        (*values, t.triple_id, run_id, run_id),
                    )
                    new += 1
                else:
                    returned += 0 if existing[t.triple_id] else 1
                    c.execute(
                        "UPDATE triples SET doc_id = ?, drugs = ?, gene = ?, alteration = ?, outcome = ?, sentence_start = ?, sentence_end = ?, evidence_sha256 = ?, last_seen_run = ?, current = 1 WHERE triple_id = ?",
                        (*values, run_id, t.triple_id),
                    )
            gone = [tid for tid, cur in existing.items() if cur and tid not in ids]
            c.executemany("UPDATE triples SET current = 0 WHERE triple_id = ?", [(tid,) for tid in gone])
        return TripleSync(new=new, returned=returned, retired=len(gone))

    def triple(self, triple_id: str) -> TripleState | None:
        r = self.conn.execute("SELECT * FROM triples WHERE triple_id = ?", (triple_id,)).fetchone()
        return _triple(r) if r else None

    def triples(self, *, current: bool | None = None) -> list[TripleState]:
        where = "" if current is None else f" WHERE current = {int(current)}"
        return [_triple(r) for r in self.conn.execute(f"SELECT * FROM triples{where} ORDER BY doc_id, triple_id")]  # noqa: S608

    # -------------------------------------------------------------- decisions

    def add_decisions(self, decisions: Sequence[Decision]) -> list[Decision]:
        """Append decisions in one transaction (all or none); ``id`` is assigned, an empty ``created_at`` set to now."""
        out = []
        now = utc_now()
        with self.transaction() as c:
            for d in decisions:
                created = d.created_at or now
                cur = c.execute(
                    "INSERT INTO decisions (triple_id, decision, reason, edits, curator, note, created_at, doc_id, sentence_start, sentence_end, evidence_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (d.triple_id, d.decision, d.reason, json.dumps(d.edits, sort_keys=True), d.curator, d.note, created, d.doc_id, d.sentence_start, d.sentence_end, d.evidence_sha256),
                )
                out.append(Decision(int(cur.lastrowid or 0), d.triple_id, d.decision, d.reason, dict(d.edits), d.curator, d.note, created, d.doc_id, d.sentence_start, d.sentence_end, d.evidence_sha256))
        return out

    def decision_history(self, triple_id: str) -> list[Decision]:
        """Every decision on one triple, oldest first."""
        return [_decision(r) for r in self.conn.execute("SELECT * FROM decisions WHERE triple_id = ? ORDER BY id", (triple_id,))]

    def latest_decisions(self) -> dict[str, Decision]:
        """The newest record per triple_id, an ``undo`` included (the standing decision is ``pipeline.curation.decisions.latest_decisions``)."""
        rows = self.conn.execute("SELECT d.* FROM decisions d JOIN (SELECT triple_id, MAX(id) AS id FROM decisions GROUP BY triple_id) m ON d.id = m.id ORDER BY d.triple_id")
        return {r["triple_id"]: _decision(r) for r in rows}

    def decisions_fingerprint(self) -> str:
        """Changes whenever a decision is added (decisions are append-only): count and newest id."""
        count, newest = self.conn.execute("SELECT count(*), coalesce(max(id), 0) FROM decisions").fetchone()
        return f"{count}:{newest}"

    def all_decisions(self) -> list[Decision]:
        return [_decision(r) for r in self.conn.execute("SELECT * FROM decisions ORDER BY id")]

    # -------------------------------------------------------------- fetch state

    def fetch_state(self, source: str) -> FetchState | None:
        r = self.conn.execute("SELECT * FROM fetch_state WHERE source = ?", (source,)).fetchone()
        return _fetch_state(r) if r else None

    def fetch_states(self) -> dict[str, FetchState]:
        return {r["source"]: _fetch_state(r) for r in self.conn.execute("SELECT * FROM fetch_state ORDER BY source")}

    def set_fetch_state(self, source: str, *, last_success: str, data_timestamp: str = "", cursor: dict[str, Any] | None = None) -> None:
        """Record a successful fetch of ``source`` (call only after its raw records are stored)."""
        self.save_fetch_states([FetchState(source, last_success, data_timestamp, dict(cursor or {}))])

    def save_fetch_states(self, states: Iterable[FetchState]) -> None:
        """Write the fetch state of several sources in one transaction (all or none land)."""
        now = utc_now()
        with self.transaction() as c:
            c.executemany(
                "INSERT INTO fetch_state (source, last_success, data_timestamp, cursor, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET last_success = excluded.last_success, data_timestamp = excluded.data_timestamp, cursor = excluded.cursor, updated_at = excluded.updated_at",
                [(s.source, s.last_success, s.data_timestamp, json.dumps(s.cursor, sort_keys=True), now) for s in states],
            )


def open_state(path: Path | str) -> StateDB:
    return StateDB(path)


# ------------------------------------------------------------------ row mapping


def _run(r: sqlite3.Row) -> RunRecord:
    return RunRecord(r["id"], r["run_key"], r["started_at"], r["ended_at"], json.loads(r["figures"] or "{}"), r["outcome"], r["exit_code"], r["release"], r["pid"], r["error"])


def _document(r: sqlite3.Row) -> DocumentState:
    return DocumentState(
        r["doc_id"], r["source"], r["source_id"], r["content_sha256"], r["versions_fingerprint"], json.loads(r["versions"] or "{}"),
        r["last_fetched"], r["last_extracted"], r["status"], r["error"], r["output_sha256"], r["triples"],
    )


def _triple(r: sqlite3.Row) -> TripleState:
    return TripleState(
        r["triple_id"], r["doc_id"], json.loads(r["drugs"]), r["gene"], r["alteration"], r["outcome"], r["sentence_start"], r["sentence_end"],
        r["evidence_sha256"], r["first_seen_run"], r["last_seen_run"], bool(r["current"]),
    )


def _decision(r: sqlite3.Row) -> Decision:
    try:
        edits = json.loads(r["edits"] or "{}")
    except ValueError as exc:
        raise InputError(f"decision {r['id']} has unreadable edits JSON: {exc}") from exc
    return Decision(r["id"], r["triple_id"], r["decision"], r["reason"], edits, r["curator"], r["note"], r["created_at"], r["doc_id"], r["sentence_start"], r["sentence_end"], r["evidence_sha256"])


def _fetch_state(r: sqlite3.Row) -> FetchState:
    return FetchState(r["source"], r["last_success"], r["data_timestamp"], json.loads(r["cursor"] or "{}"), r["updated_at"])


def describe_running(path: Path | str) -> str:
    """A short description of the run recorded as running (for the 'another job holds the lock' message).

    Opens the database read-only and never fails: returns "" when there is nothing to say.
    """
    p = Path(path)
    if not p.is_file():
        return ""
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
        try:
            r = conn.execute("SELECT id, pid, started_at FROM runs WHERE outcome = 'running' ORDER BY id DESC LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.debug("cannot read running job from %s: %s", p, exc)
        return ""
    return f"run {r[0]}, pid {r[1]}, started {r[2]}" if r else ""
