"""The curation loop: what an edit does to the released triple, its id and its decisions, and undo.

Each curator path (spreadsheet import, web form, code) goes through the same functions, so each
finding is checked on every path that can produce it.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.curation import decisions, review
from pipeline.state.db import StateDB
from schemas.errors import InputError
from schemas.files import write_jsonl
from schemas.models import Triple
from schemas.vocab import sorted_drugs, triple_key_id

SENTENCE = "The T790M mutation mediates resistance to first-generation EGFR-TKIs such as gefitinib and erlotinib."


def _triple(**over: object) -> Triple:
    fields: dict[str, object] = {
        "doc_id": "doc1", "evidence": SENTENCE, "sentence": SENTENCE, "drugs": ["EGFR-TKI (first-generation)"], "drug_class": True,
        "gene": "EGFR", "alteration": "T790M", "outcome": "resistance", "sentence_start": 100, "sentence_end": 100 + len(SENTENCE),
        "evidence_start": 100, "evidence_end": 100 + len(SENTENCE), "confidence": 0.8,
    }
    fields.update(over)
    t = Triple.model_validate(fields)
    return t.model_copy(update={"triple_id": triple_key_id(t.doc_id, t.drugs, t.gene, t.alteration, t.outcome)})


CLASS_TRIPLE = _triple()
NAMED_TRIPLE = _triple(drugs=["alectinib"], drug_class=False, gene="ALK", alteration="G1202R", sentence_start=300, sentence_end=340,
                       evidence="ALK G1202R confers resistance to alectinib.", sentence="ALK G1202R confers resistance to alectinib.")


@pytest.fixture()
def settings(tmp_path: Path):
    work = tmp_path / "work"
    write_jsonl(work / "normalized" / "triples.jsonl", [CLASS_TRIPLE, NAMED_TRIPLE])
    return load_settings(None, env={}, overrides={"pipeline": {"workdir": str(work), "releases_dir": str(tmp_path / "rel")}})


def _released(settings, triples: list[Triple] | None = None) -> dict[str, Triple]:
    kept, _rejected, _fields = decisions.apply_curation(settings, list(triples or [CLASS_TRIPLE, NAMED_TRIPLE]))
    return {t.triple_id: t for t in kept}


def _import_rows(settings, tmp_path: Path, changes: dict[str, dict[str, str]]) -> None:
    """``review export`` rows with ``changes`` (by triple_id) filled in, then ``review import``."""
    out = tmp_path / "sheet.csv"
    review.export_csv(settings, out, review.Filters())
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    for r in rows:
        r.update(changes.get(r["triple_id"], {}))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    out.write_text(buf.getvalue(), encoding="utf-8")
    review.import_csv(settings, out, curator="ann")


def _edit_by_form(settings, triple_id: str, fields: dict[str, str]) -> None:
    """What the web app's edit form sends: every editable field, as strings."""
    item = review.build_review_table(settings).by_id()[triple_id]
    t = item.current
    sent = {"drugs": review.format_drugs(t.drugs), "drug_class": str(t.drug_class).lower(), "gene": t.gene, "alteration": t.alteration,
            "outcome": t.outcome, "evidence_level": t.evidence_level, **fields}
    d = review.submitted_decision(item, {"triple_id": triple_id, "decision": "edit"}, fields=sent, default_curator="ann")
    decisions.save_decisions(settings, [d])


def _edit_in_code(settings, triple_id: str, fields: dict[str, str]) -> None:
    edits: dict[str, object] = dict(fields)
    if "drugs" in edits:
        edits["drugs"] = review.parse_drugs(str(edits["drugs"]))
    if "drug_class" in edits:
        edits["drug_class"] = edits["drug_class"] == "true"
    decisions.record_decision(settings, triple_id, "edit", curator="ann", edits=edits, triple=CLASS_TRIPLE)


def _edit_by_sheet(settings, triple_id: str, fields: dict[str, str], tmp_path: Path) -> None:
    _import_rows(settings, tmp_path, {triple_id: {"decision": "edit", **fields}})


PATHS = ["sheet", "form", "code"]


def _edit(path: str, settings, tmp_path: Path, fields: dict[str, str]) -> None:
    if path == "sheet":
        _edit_by_sheet(settings, CLASS_TRIPLE.triple_id, fields, tmp_path)
    elif path == "form":
        _edit_by_form(settings, CLASS_TRIPLE.triple_id, fields)
    else:
        _edit_in_code(settings, CLASS_TRIPLE.triple_id, fields)


# ------------------------------------------------------------------ falsy edits are applied


@pytest.mark.parametrize("path", PATHS)
def test_edit_setting_drug_class_to_false_is_applied(path, settings, tmp_path):
    _edit(path, settings, tmp_path, {"drugs": "gefitinib; erlotinib", "drug_class": "false"})
    t = _released(settings)[CLASS_TRIPLE.triple_id]
    assert (t.curation_status, t.drug_class) == ("edited", False)
    assert decisions.latest_decisions(settings)[CLASS_TRIPLE.triple_id].edits["drug_class"] is False


@pytest.mark.parametrize("path", ["sheet", "form"])
def test_edit_of_drug_class_alone_is_applied(path, settings, tmp_path):
    """The named triple was flagged as a class by mistake: flipping the flag alone is a real edit."""
    wrong = NAMED_TRIPLE.model_copy(update={"drug_class": True})
    write_jsonl(settings.workdir / "normalized" / "triples.jsonl", [CLASS_TRIPLE, wrong])
    if path == "sheet":
        _edit_by_sheet(settings, wrong.triple_id, {"drug_class": "false"}, tmp_path)
    else:
        _edit_by_form(settings, wrong.triple_id, {"drug_class": "false"})
    t = _released(settings, [CLASS_TRIPLE, wrong])[wrong.triple_id]
    assert (t.curation_status, t.drug_class) == ("edited", False)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("maybe", "drug_class 'maybe' is not true or false"),
        ("", "drug_class '' is not true or false"),
    ],
)
def test_drug_class_edit_must_be_a_boolean(settings, value, error):
    with pytest.raises(InputError, match=error):
        _edit_by_form(settings, CLASS_TRIPLE.triple_id, {"drug_class": value})
    assert decisions.latest_decisions(settings) == {}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"drug_class": "false"}, r"drug_class false but every drug is a drug class \(EGFR-TKI \(first-generation\)\)"),
        ({"drugs": "gefitinib"}, r"drug_class true but gefitinib is a named drug"),
    ],
)
def test_drug_class_must_agree_with_the_drugs(settings, fields, error):
    with pytest.raises(InputError, match=error):
        _edit_by_form(settings, CLASS_TRIPLE.triple_id, fields)


# ------------------------------------------------------------------ edited drugs sorted as extraction sorts them


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("written", ["gefitinib; erlotinib", '["gefitinib", "erlotinib"]', "erlotinib; gefitinib; erlotinib"])
def test_edited_drugs_are_sorted_like_extracted_drugs(path, written, settings, tmp_path):
    _edit(path, settings, tmp_path, {"drugs": written, "drug_class": "false"})
    t = _released(settings)[CLASS_TRIPLE.triple_id]
    assert t.drugs == ["erlotinib", "gefitinib"] == sorted_drugs(["gefitinib", "erlotinib"])


def test_a_decision_stored_with_unsorted_drugs_is_released_sorted(settings):
    """Decisions recorded (or restored from a release journal) before drugs were sorted on input."""
    d = decisions.make_decision(CLASS_TRIPLE.triple_id, "edit", curator="ann", edits={"drugs": ["gefitinib", "erlotinib"], "drug_class": False},
                                triple=CLASS_TRIPLE)
    with StateDB(settings.state_db, allow_new=True) as db:
        db.add_decisions([d])
    assert _released(settings)[CLASS_TRIPLE.triple_id].drugs == ["erlotinib", "gefitinib"]


def test_reordering_the_drugs_is_no_edit(settings, tmp_path):
    two = _triple(drugs=["crizotinib", "lorlatinib"], drug_class=False, gene="ALK", alteration="G1202R", sentence_start=400, sentence_end=450)
    write_jsonl(settings.workdir / "normalized" / "triples.jsonl", [two])
    item = review.build_review_table(settings).by_id()[two.triple_id]
    with pytest.raises(InputError, match="edit changes no field"):
        review.submitted_decision(item, {"triple_id": two.triple_id, "decision": "edit"}, fields={"drugs": "lorlatinib; crizotinib"}, default_curator="ann")


# ------------------------------------------------------------------ the id of an edited triple


def test_edited_triple_keeps_the_extracted_id_and_carries_the_curated_key(settings):
    _edit_by_form(settings, CLASS_TRIPLE.triple_id, {"drugs": "gefitinib; erlotinib", "drug_class": "false", "outcome": "sensitivity"})
    released = _released(settings)
    t = released[CLASS_TRIPLE.triple_id]
    assert t.triple_id == CLASS_TRIPLE.triple_id
    assert t.curated_triple_id == triple_key_id("doc1", ["erlotinib", "gefitinib"], "EGFR", "T790M", "sensitivity") != t.triple_id
    # a triple no edit touched: its curated key is its id
    assert released[NAMED_TRIPLE.triple_id].curated_triple_id == NAMED_TRIPLE.triple_id


def test_an_edit_that_leaves_the_key_keeps_the_id_as_curated_key(settings):
    _edit_by_form(settings, CLASS_TRIPLE.triple_id, {"evidence_level": "clinical_trial"})
    t = _released(settings)[CLASS_TRIPLE.triple_id]
    assert (t.curation_status, t.evidence_level, t.curated_triple_id) == ("edited", "clinical_trial", CLASS_TRIPLE.triple_id)


def test_decisions_survive_re_extraction(settings):
    """Re-extraction gives the same extracted key, so the same id: the edit applies again. When the
    extractor itself later finds the curated key, the retired triple's decision flags the new one."""
    _edit_by_form(settings, CLASS_TRIPLE.triple_id, {"drugs": "gefitinib; erlotinib", "drug_class": "false"})
    again = [t.model_copy(update={"confidence": 0.75}) for t in (CLASS_TRIPLE, NAMED_TRIPLE)]
    t = _released(settings, again)[CLASS_TRIPLE.triple_id]
    assert (t.curation_status, t.drugs) == ("edited", ["erlotinib", "gefitinib"])
    better = _triple(drugs=["erlotinib", "gefitinib"], drug_class=False)
    assert better.triple_id == t.curated_triple_id
    after = _released(settings, [better, NAMED_TRIPLE])[better.triple_id]
    assert after.curation_status == "needs_review"
    assert [d.decision for d in decisions.decision_history(settings, CLASS_TRIPLE.triple_id)] == ["edit"]


# ------------------------------------------------------------------ undo


def _accept(settings, t: Triple = CLASS_TRIPLE):
    return decisions.record_decision(settings, t.triple_id, "accept", curator="ann", triple=t)


def test_undo_of_the_only_decision_reopens_the_triple(settings):
    d = _accept(settings)
    undone = decisions.undo_decision(settings, d.id, curator="ann")
    assert (undone.id, undone.triple_id) == (d.id, CLASS_TRIPLE.triple_id)
    assert _released(settings)[CLASS_TRIPLE.triple_id].curation_status == "pending"
    assert decisions.latest_decisions(settings) == {}
    assert [h.decision for h in decisions.decision_history(settings, CLASS_TRIPLE.triple_id)] == ["accept", "undo"]


def test_undo_brings_back_the_earlier_decision_and_loses_nothing(settings):
    first = _accept(settings)
    edit = decisions.record_decision(settings, CLASS_TRIPLE.triple_id, "edit", curator="bob", edits={"outcome": "sensitivity"}, triple=CLASS_TRIPLE)
    other = _accept(settings, NAMED_TRIPLE)
    assert decisions.newest_standing_decision(settings).id == other.id
    decisions.undo_decision(settings, other.id, curator="bob")
    assert decisions.newest_standing_decision(settings).id == edit.id
    decisions.undo_decision(settings, edit.id, curator="bob")
    released = _released(settings)
    assert released[CLASS_TRIPLE.triple_id].curation_status == "accepted"
    assert released[CLASS_TRIPLE.triple_id].outcome == "resistance"
    assert released[NAMED_TRIPLE.triple_id].curation_status == "pending"
    assert decisions.latest_decisions(settings)[CLASS_TRIPLE.triple_id].id == first.id
    assert [h.decision for h in decisions.decision_history(settings, CLASS_TRIPLE.triple_id)] == ["accept", "edit", "undo"]
    # a new decision after an undo stands as usual
    again = decisions.record_decision(settings, CLASS_TRIPLE.triple_id, "reject", reason="duplicate", curator="bob", triple=CLASS_TRIPLE)
    assert decisions.latest_decisions(settings)[CLASS_TRIPLE.triple_id].id == again.id


@pytest.mark.parametrize(
    ("which", "error"),
    [
        ("withdrawn", r"decision \d+ on \w+ is no longer standing \(it was undone or superseded\); nothing undone"),
        ("superseded", r"decision \d+ on \w+ is no longer standing \(it was undone or superseded\); nothing undone"),
        ("unknown", r"no decision 999"),
    ],
)
def test_undo_refuses_what_is_not_the_standing_decision(settings, which, error):
    first = _accept(settings)
    if which == "withdrawn":
        decisions.undo_decision(settings, first.id, curator="ann")
        target = first.id
    elif which == "superseded":
        decisions.record_decision(settings, CLASS_TRIPLE.triple_id, "edit", curator="ann", edits={"outcome": "sensitivity"}, triple=CLASS_TRIPLE)
        target = first.id
    else:
        target = 999
    before = len(decisions.decision_history(settings, CLASS_TRIPLE.triple_id))
    with pytest.raises(InputError, match=error):
        decisions.undo_decision(settings, target, curator="ann")
    assert len(decisions.decision_history(settings, CLASS_TRIPLE.triple_id)) == before


def test_undo_is_not_a_spreadsheet_decision(settings, tmp_path):
    with pytest.raises(review.ReviewImportError, match="decision 'undo' is not one of accept, reject, edit"):
        _import_rows(settings, tmp_path, {CLASS_TRIPLE.triple_id: {"decision": "undo"}})


def test_release_journal_carries_the_standing_decision_after_an_undo(settings):
    first = _accept(settings)
    edit = decisions.record_decision(settings, CLASS_TRIPLE.triple_id, "edit", curator="ann", edits={"outcome": "sensitivity"}, triple=CLASS_TRIPLE)
    decisions.undo_decision(settings, edit.id, curator="ann")
    _kept, _rejected, fields = decisions.apply_curation(settings, [CLASS_TRIPLE, NAMED_TRIPLE])
    assert [r["id"] for r in decisions.journal_records(fields)] == [first.id]


def test_state_database_of_version_2_is_upgraded_keeping_every_decision(tmp_path):
    """Migration 3 rebuilds the decisions table to accept ``undo``: rows, ids and the append-only triggers stay."""
    from pipeline.state.db import MIGRATIONS, migrate

    path = tmp_path / "state.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=2)
    conn.execute("INSERT INTO decisions (triple_id, decision, curator, created_at) VALUES ('t1', 'accept', 'ann', '2026-01-01T00:00:00Z')")
    conn.execute("INSERT INTO decisions (triple_id, decision, reason, curator, created_at) VALUES ('t2', 'reject', 'duplicate', 'ann', '2026-01-02T00:00:00Z')")
    conn.close()
    with StateDB(path) as db:
        assert db.schema_version() == MIGRATIONS[-1].version >= 3
        assert [(d.id, d.triple_id, d.decision, d.reason) for d in db.all_decisions()] == [(1, "t1", "accept", None), (2, "t2", "reject", "duplicate")]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.conn.execute("DELETE FROM decisions")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.conn.execute("UPDATE decisions SET curator = 'x'")
        with pytest.raises(sqlite3.IntegrityError):
            db.conn.execute("INSERT INTO decisions (triple_id, decision, curator, created_at) VALUES ('t', 'approve', 'a', 'now')")
        db.conn.execute("INSERT INTO decisions (triple_id, decision, curator, created_at) VALUES ('t1', 'undo', 'ann', '2026-01-03T00:00:00Z')")
        assert max(d.id for d in db.all_decisions()) == 3
