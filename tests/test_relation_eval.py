"""CIViC error categories of the relation-model evaluation, with the shared scorer's own matching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.training.relations import ERROR_CATEGORIES, civic_error_categories, load_scorer

GOLD = [
    {"doc_id": "EID1", "genes": ["EGFR"], "alteration": "T790M", "fusion": False, "keys": [["osimertinib"]], "outcome": "sensitivity"},
    {"doc_id": "EID2", "genes": ["ALK"], "alteration": "fusion EML4-ALK", "fusion": True, "keys": [["crizotinib"]], "outcome": "sensitivity"},
    {"doc_id": "EID3", "genes": ["BRAF"], "alteration": "V600E", "fusion": False, "keys": [["vemurafenib"]], "outcome": "resistance"},
    {"doc_id": "EID4", "genes": ["KRAS"], "alteration": "G12C", "fusion": False, "keys": [["sotorasib"]], "outcome": "sensitivity"},
    {"doc_id": "EID5", "genes": ["ERBB2"], "alteration": "D769H", "fusion": False, "keys": [["neratinib"]], "outcome": "sensitivity"},
    {"doc_id": "EID6", "genes": ["MET"], "alteration": None, "fusion": False, "keys": [["capmatinib"]], "outcome": "sensitivity"},
]
PRED = [
    {"doc_id": "EID1", "drugs": ["osimertinib"], "gene": "EGFR", "alteration": "T790M", "outcome": "sensitivity"},
    {"doc_id": "EID2", "drugs": ["crizotinib"], "gene": "ALK", "alteration": "fusion", "outcome": "resistance"},
    {"doc_id": "EID3", "drugs": ["vemurafenib"], "gene": "BRAF", "alteration": "mutation", "outcome": "resistance"},
    {"doc_id": "EID4", "drugs": ["sotorasib"], "gene": "NRAS", "alteration": "G12C", "outcome": "sensitivity"},
    {"doc_id": "EID5", "drugs": ["lapatinib"], "gene": "ERBB2", "alteration": "D769H", "outcome": "sensitivity"},
]


@pytest.fixture(scope="module")
def scorer(shared_dir: Path):
    return load_scorer(shared_dir / "tools" / "score_civic.py")


def test_each_expected_key_lands_in_one_category(scorer, tmp_path: Path) -> None:
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps(r) + "\n" for r in PRED), encoding="utf-8")
    cats = civic_error_categories(scorer, GOLD, pred)
    # EID6 has no guideline alteration form, so it is outside the `all` view, as in the scorer
    assert dict(cats) == {
        "found": 1,
        "wrong outcome": 1,
        "alteration differs": 1,
        "gene differs": 1,
        "drugs in no triple": 1,
    }
    assert set(cats) <= set(ERROR_CATEGORIES)


def test_card_evaluation_is_replaced_not_stacked(tmp_path: Path) -> None:
    from pipeline.training.relations import EVALUATION_HEADING, append_evaluation

    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# Relation model\n\n- Time on this 2-core machine: 37.5 s\n", encoding="utf-8")
    append_evaluation(tmp_path, {"lines": ["first run"]})
    append_evaluation(tmp_path, {"lines": ["second run"]})
    text = card.read_text(encoding="utf-8")
    assert text.count(EVALUATION_HEADING) == 1
    assert "second run" in text and "first run" not in text
    assert "Time on this 2-core machine: 37.5 s" in text
