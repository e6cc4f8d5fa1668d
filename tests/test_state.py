"""The state database (migrations, runs, documents, triples, decisions, fetch state) and curation on top of it."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.curation.decisions import (
    apply_curation,
    decision_history,
    latest_decisions,
    make_decision,
    record_decision,
    save_decisions,
)
from pipeline.state.db import (
    MIGRATIONS,
    STATE_SCHEMA_VERSION,
    StateDB,
    describe_running,
    evidence_hash,
    migrate,
)
from schemas.errors import ConfigError, InputError
from schemas.models import Triple
from schemas.vocab import DECISIONS, REASON_CODES, triple_key_id

# The version-1 schema exactly as oncotriples first shipped it, frozen in a fixture file.
V1_SQL = (Path(__file__).parent / "fixtures" / "state_v1.sql").read_text(encoding="utf-8")


def _triple(doc_id: str, drug: str, gene: str, alt: str, outcome: str = "resistance", start: int = 0, end: int = 50, evidence: str = "") -> Triple:
    return Triple(
        doc_id=doc_id,
        evidence=evidence or f"{drug} {gene} {alt} {outcome}.",
        drugs=[drug],
        gene=gene,
        alteration=alt,
        outcome=outcome,
        triple_id=triple_key_id(doc_id, [drug], gene, alt, outcome),
        sentence_start=start,
        sentence_end=end,
    )


@pytest.fixture
def db(tmp_path: Path):
    with StateDB(tmp_path / "state.sqlite") as state:
        yield state


# ------------------------------------------------------------------ migrations


def test_new_database_has_every_migration_and_wal(tmp_path: Path) -> None:
    with StateDB(tmp_path / "s.sqlite") as db:
        assert db.schema_version() == STATE_SCHEMA_VERSION
        versions = [r[0] for r in db.conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        assert versions == [m.version for m in MIGRATIONS]
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"documents", "runs", "triples", "decisions", "fetch_state", "schema_migrations"} <= tables
        assert db.check() == []
    # reopening applies nothing new
    with StateDB(tmp_path / "s.sqlite") as db:
        assert migrate(db.conn) == []


def test_v1_database_is_upgraded_not_discarded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(V1_SQL)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    conn.execute("INSERT INTO schema_migrations VALUES (1, 'documents, runs, triples, decisions', '2026-01-01T00:00:00Z')")
    conn.execute("INSERT INTO documents (doc_id, source, source_id, content_sha256, status) VALUES ('d1', 'demo', 'd1', 'abc', 'extracted')")
    conn.execute("INSERT INTO runs (started_at, outcome, exit_code) VALUES ('2026-01-01T00:00:00Z', 'ok', 0)")
    conn.execute("INSERT INTO decisions (triple_id, decision, reason, curator, created_at) VALUES ('t1', 'reject', 'wrong_drug', 'ann', '2026-01-01T00:00:00Z')")
    conn.close()

    with StateDB(path) as db:
        assert db.schema_version() == STATE_SCHEMA_VERSION
        assert db.document("d1") is not None and db.document("d1").status == "extracted"
        assert [r.outcome for r in db.runs()] == ["ok"]
        assert db.latest_decisions()["t1"].reason == "wrong_drug"
        assert db.fetch_states() == {}
        db.set_fetch_state("ctgov", last_success="2026-11-01", data_timestamp="2026-10-31T09:00:00")
        assert db.fetch_state("ctgov").data_timestamp == "2026-10-31T09:00:00"
        # the append-only triggers of v1 still hold after the upgrade
        with pytest.raises(sqlite3.DatabaseError):
            db.conn.execute("DELETE FROM decisions")


def test_migrate_to_a_target_then_upgrade(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "s.sqlite", isolation_level=None)
    assert migrate(conn, target=1) == [1]
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'fetch_state'").fetchone() is None
    conn.close()
    with StateDB(tmp_path / "s.sqlite") as db:
        assert db.schema_version() == STATE_SCHEMA_VERSION
        assert db.fetch_state("x") is None


def test_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    with StateDB(path):
        pass
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'from the future', 'x')", (STATE_SCHEMA_VERSION + 1,))
    conn.close()
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="newer"):
        StateDB(path)
    assert path.read_bytes() == before


def test_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.state import db as state_mod

    broken = (*MIGRATIONS, state_mod.Migration(STATE_SCHEMA_VERSION + 1, "broken", "CREATE TABLE ok_table (x INTEGER);\nCREATE TABLE broken (;"))
    monkeypatch.setattr(state_mod, "MIGRATIONS", broken)
    monkeypatch.setattr(state_mod, "STATE_SCHEMA_VERSION", STATE_SCHEMA_VERSION + 1)
    with pytest.raises(ConfigError):
        StateDB(tmp_path / "s.sqlite")
    monkeypatch.undo()
    with StateDB(tmp_path / "s.sqlite") as db:  # the earlier migrations stand, the broken one left nothing
        assert db.schema_version() == STATE_SCHEMA_VERSION
        assert db.conn.execute("SELECT name FROM sqlite_master WHERE name = 'ok_table'").fetchone() is None


# ------------------------------------------------------------------ runs, documents, triples, fetch state


def test_runs_lifecycle_and_interrupted(db: StateDB) -> None:
    r1 = db.start_run(run_key="k1")
    assert db.running().id == r1
    assert "pid" in describe_running(db.path)
    r2 = db.start_run()  # r1 never finished: it was killed
    assert db.run(r1).outcome == "interrupted"
    db.finish_run(r2, outcome="partial", exit_code=2, figures={"failed": 1}, release="1.0.0", run_key="k2")
    run = db.run(r2)
    assert (run.outcome, run.exit_code, run.figures, run.release, run.run_key) == ("partial", 2, {"failed": 1}, "1.0.0", "k2")
    assert [r.id for r in db.runs()] == [r2, r1]
    assert describe_running(db.path) == ""
    with pytest.raises(ValueError):
        db.finish_run(r2, outcome="weird", exit_code=0, figures={})


def test_documents_fetched_extracted_failed(db: StateDB) -> None:
    assert db.record_fetched([("d1", "demo", "d1", "sha1", "t1"), ("ctgov:N1", "ctgov", "N1", "sha2", "t1")]) == 2
    assert db.record_fetched([("d1", "demo", "d1", "sha1", "t2")]) == 0  # same content, newer fetch
    assert db.document("d1").last_fetched == "t2"
    db.mark_extracted("d1", content_sha256="sha1", versions={"triples": "1"}, fingerprint="fp", output_sha256="out", triples=3)
    d = db.document("d1")
    assert (d.status, d.versions_fingerprint, d.versions, d.triples) == ("extracted", "fp", {"triples": "1"}, 3)
    assert d.last_extracted
    assert db.record_fetched([("d1", "demo", "d1", "sha1b", "t3")]) == 1  # content changed: back to fetched
    assert db.document("d1").status == "fetched"
    db.mark_failed("d1", stage="extract", error="boom")
    assert (db.document("d1").status, db.document("d1").error) == ("extract_failed", "boom")
    db.mark_status(["ctgov:N1"], "parsed")
    assert db.document("ctgov:N1").status == "parsed"
    assert [x.doc_id for x in db.documents()] == ["ctgov:N1", "d1"]


def test_sync_triples_first_last_seen_and_current(db: StateDB) -> None:
    a, b, c = _triple("d1", "osimertinib", "EGFR", "C797S"), _triple("d1", "gefitinib", "EGFR", "T790M"), _triple("d2", "lorlatinib", "ALK", "G1202R")
    r1 = db.start_run()
    assert db.sync_triples(r1, [a, b]).new == 2
    r2 = db.start_run()
    sync = db.sync_triples(r2, [a, c])
    assert (sync.new, sync.returned, sync.retired) == (1, 0, 1)
    ta, tb = db.triple(a.triple_id), db.triple(b.triple_id)
    assert (ta.first_seen_run, ta.last_seen_run, ta.current) == (r1, r2, True)
    assert (tb.first_seen_run, tb.last_seen_run, tb.current) == (r1, r1, False)
    assert tb.evidence_sha256 == evidence_hash(b.evidence)
    r3 = db.start_run()
    assert db.sync_triples(r3, [a, b, c]).returned == 1
    assert len(db.triples(current=True)) == 3


def test_fetch_state_roundtrip(db: StateDB) -> None:
    db.set_fetch_state("ctgov", last_success="2026-11-01", data_timestamp="2026-10-31T09:00:00", cursor={"since": "2026-10-01"})
    db.set_fetch_state("ctgov", last_success="2026-11-02", data_timestamp="2026-11-01T09:00:00")
    fs = db.fetch_state("ctgov")
    assert (fs.last_success, fs.data_timestamp, fs.cursor) == ("2026-11-02", "2026-11-01T09:00:00", {})
    assert list(db.fetch_states()) == ["ctgov"]


def test_transaction_rolls_back_on_error(db: StateDB) -> None:
    with pytest.raises(RuntimeError), db.transaction() as c:
        c.execute("INSERT INTO fetch_state (source) VALUES ('x')")
        raise RuntimeError("killed midway")
    assert db.fetch_state("x") is None


# ------------------------------------------------------------------ decisions and curation


def test_decisions_are_append_only_with_history(db: StateDB) -> None:
    t = _triple("d1", "osimertinib", "EGFR", "C797S")
    db.sync_triples(db.start_run(), [t])
    record_decision(db, t.triple_id, "reject", reason="wrong_drug", curator="ann", note="it is gefitinib")
    record_decision(db, t.triple_id, "accept", curator="bob")
    hist = decision_history(db, t.triple_id)
    assert [d.decision for d in hist] == ["reject", "accept"]
    assert hist[0].doc_id == "d1" and hist[0].sentence_end == 50
    assert latest_decisions(db)[t.triple_id].curator == "bob"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.conn.execute("UPDATE decisions SET decision = 'accept'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.conn.execute("DELETE FROM decisions")


@pytest.mark.parametrize(
    ("decision", "kwargs", "message"),
    [
        ("maybe", {}, "decision 'maybe' is not one of accept, reject, edit"),
        ("reject", {}, "needs a reason"),
        ("reject", {"reason": "bad_vibes"}, "reason 'bad_vibes' is not one of"),
        ("edit", {"reason": "wrong_alteration", "edits": {"gene": "MET"}}, "only used with reject"),
        ("edit", {}, "needs the edited fields"),
        ("edit", {"edits": {"triple_id": "x"}}, "not editable"),
        ("edit", {"edits": {"measures": ["ORR 49 %"]}}, "not editable"),
        ("edit", {"edits": {"outcome": "cured"}}, "invalid edit"),
        ("accept", {"edits": {"gene": "MET"}}, "only an edit"),
    ],
)
def test_invalid_decisions_are_refused(db: StateDB, decision: str, kwargs: dict, message: str) -> None:
    t = _triple("d1", "osimertinib", "EGFR", "C797S")
    with pytest.raises(InputError, match=message):
        record_decision(db, t.triple_id, decision, curator="ann", triple=t, **kwargs)
    assert db.all_decisions() == []


def test_decision_on_unknown_triple_needs_the_triple(db: StateDB) -> None:
    with pytest.raises(InputError, match="unknown triple_id"):
        record_decision(db, "nope", "accept", curator="ann")
    with pytest.raises(InputError, match="curator"):
        record_decision(db, "nope", "accept", curator=" ")


def test_apply_curation_accept_edit_reject(db: StateDB) -> None:
    a, b, c, d = (
        _triple("d1", "osimertinib", "EGFR", "C797S", start=0, end=40),
        _triple("d1", "gefitinib", "EGFR", "T790M", start=41, end=90),
        _triple("d2", "lorlatinib", "ALK", "G1202R", outcome="sensitivity"),
        _triple("d2", "crizotinib", "MET", "amplification", start=60, end=99),
    )
    db.sync_triples(db.start_run(), [a, b, c, d])
    record_decision(db, a.triple_id, "accept", curator="ann")
    record_decision(db, b.triple_id, "edit", curator="ann", edits={"alteration": "T790M+C797S", "evidence_level": "clinical_trial"}, note="compound")
    record_decision(db, c.triple_id, "reject", reason="not_asserted", curator="bob")
    kept, rejected, fields = apply_curation(db, [a, b, c, d])
    assert [t.triple_id for t in kept] == [a.triple_id, b.triple_id, d.triple_id]
    assert [t.curation_status for t in kept] == ["accepted", "edited", "pending"]
    assert kept[1].alteration == "T790M+C797S" and kept[1].evidence_level == "clinical_trial" and kept[1].triple_id == b.triple_id
    assert [(t.triple_id, t.curation_status) for t in rejected] == [(c.triple_id, "rejected")]
    assert fields[b.triple_id]["curator"] == "ann" and fields[b.triple_id]["note"] == "compound" and fields[b.triple_id]["curated_at"]
    assert d.triple_id not in fields


def test_rekeyed_triple_from_the_same_sentence_needs_review(db: StateDB) -> None:
    old = _triple("d1", "osimertinib", "EGFR", "C797S", start=100, end=180, evidence="Osimertinib fails with C797S.")
    db.sync_triples(db.start_run(), [old])
    record_decision(db, old.triple_id, "reject", reason="wrong_alteration", curator="ann")
    # re-extraction with a new rule set: same sentence, different alteration → new triple_id
    new_same_span = _triple("d1", "osimertinib", "EGFR", "C797S/T790M", start=100, end=180, evidence="Osimertinib fails with C797S.")
    # an edit earlier in the document moved the sentence: same text, new offsets
    moved = _triple("d1", "osimertinib", "EGFR", "G724S", start=130, end=210, evidence="Osimertinib fails with C797S.")
    unrelated = _triple("d1", "osimertinib", "MET", "amplification", start=300, end=350)
    db.sync_triples(db.start_run(), [new_same_span, moved, unrelated])
    kept, rejected, fields = apply_curation(db, [new_same_span, moved, unrelated])
    assert rejected == []
    assert [t.curation_status for t in kept] == ["needs_review", "needs_review", "pending"]
    assert old.triple_id in fields[new_same_span.triple_id]["note"]
    # the old decision stays in history
    assert [d.decision for d in decision_history(db, old.triple_id)] == ["reject"]


def test_apply_curation_without_a_state_database_creates_nothing(tmp_path: Path) -> None:
    settings = load_settings(overrides={"pipeline": {"workdir": str(tmp_path / "w")}})
    t = _triple("d1", "osimertinib", "EGFR", "C797S")
    assert apply_curation(settings, [t]) == ([t.model_copy(update={"curated_triple_id": t.triple_id})], [], {})
    assert not settings.state_db.exists()
    record_decision(settings, t.triple_id, "reject", reason="duplicate", curator="ann", triple=t)
    kept, rejected, _ = apply_curation(settings, [t])
    assert kept == [] and [r.curation_status for r in rejected] == ["rejected"]


def test_released_migrations_are_never_edited() -> None:
    """Migration 1 must stay what shipped (add a new migration instead of editing an old one)."""
    frozen = [line for line in V1_SQL.splitlines() if not line.startswith("--")]
    assert MIGRATIONS[0].sql.split() == "\n".join(frozen).split()
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_save_decisions_batch_is_all_or_nothing(db: StateDB) -> None:
    a, b = _triple("d1", "osimertinib", "EGFR", "C797S"), _triple("d1", "gefitinib", "EGFR", "T790M")
    good = make_decision(a.triple_id, "accept", curator="ann", triple=a)
    bad = replace(make_decision(b.triple_id, "accept", curator="ann", triple=b), decision="reject")  # no reason
    with pytest.raises(InputError, match=r"decision 2 .*needs a reason"):
        save_decisions(db, [good, bad])
    assert db.all_decisions() == []
    fixed = make_decision(b.triple_id, " Reject", curator=" ann ", reason="Duplicate", note="same as row 1", triple=b)
    assert (fixed.id, fixed.decision, fixed.reason, fixed.curator) == (0, "reject", "duplicate", "ann")
    done = save_decisions(db, [good, fixed])
    assert [d.id for d in done] == [d.id for d in db.all_decisions()] and done[1].note == "same as row 1"
    assert db.all_decisions()[1].sentence_end == b.sentence_end


def test_migration_checks_list_the_vocabulary(tmp_path: Path) -> None:
    """The decisions table's CHECK lists are the vocabulary's decisions and reason codes."""
    import re

    sql = MIGRATIONS[0].sql
    decision_list = re.search(r"CHECK \(decision IN \(([^)]*)\)\)", sql).group(1)
    reason_list = re.search(r"reason IN\s*\(([^)]*)\)", sql).group(1)
    assert re.findall(r"'([^']*)'", decision_list) == list(DECISIONS)
    assert re.findall(r"'([^']*)'", reason_list) == list(REASON_CODES)
    # and the database enforces them
    with StateDB(tmp_path / "s.sqlite") as state:
        with pytest.raises(sqlite3.IntegrityError):
            state.conn.execute("INSERT INTO decisions (triple_id, decision, curator, created_at) VALUES ('t', 'approve', 'a', 'now')")
        with pytest.raises(sqlite3.IntegrityError):
            state.conn.execute("INSERT INTO decisions (triple_id, decision, reason, curator, created_at) VALUES ('t', 'reject', 'meh', 'a', 'now')")
